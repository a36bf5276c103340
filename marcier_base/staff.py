# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Operators open the back-office accounts of agents' staff (SPEC A1).

Operators have no rights on res.user: this wizard creates only agent staff
(agent, company and the Agent Staff role fixed), so it cannot be used to
grant anyone operator or administrator rights.
"""
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard


class CreateStaffStart(ModelView):
    "Create Agent Staff Account"
    __name__ = 'marcier.agent.staff.create.start'
    agent = fields.Many2One('marcier.agent', "Agent", readonly=True)
    name = fields.Char("Name", required=True)
    login = fields.Char("Login", required=True, strip=True)
    email = fields.Char("Email")
    password = fields.Char(
        "Password", required=True, strip=False,
        help="The staff member changes it in the preferences.")


class CreateStaff(Wizard):
    "Create Agent Staff Account"
    __name__ = 'marcier.agent.staff.create'
    start = StateView(
        'marcier.agent.staff.create.start',
        'marcier_base.agent_staff_create_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateTransition()

    def default_start(self, fields):
        return {'agent': self.record.id}

    def transition_create_(self):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        agent = self.record
        with without_check_access():
            User.create([{
                        'name': self.start.name,
                        'login': self.start.login,
                        'email': self.start.email,
                        'password': self.start.password,
                        'agent': agent.id,
                        'companies': [('add', [agent.company.id])],
                        'company': agent.company.id,
                        'roles': [('create', [{
                                        'role': ModelData.get_id(
                                            'marcier_base', 'role_agent'),
                                        }])],
                        }])
        return 'end'

    def end(self):
        return 'reload'
