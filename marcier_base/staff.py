# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Operators open the back-office accounts of agents' staff (SPEC A1).

Operators have no rights on res.user: this wizard creates only agent staff
(agent, company and a role of agent staff fixed), so it cannot be used to
grant anyone operator or administrator rights.
"""
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import AgentStaffError


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
    role = fields.Many2One('res.role', "Role", required=True,
        domain=[('staff', '=', 'agent')],
        help="The staff member's job; Settings › Staff Accounts changes it.")


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
        ModelData = Pool().get('ir.model.data')
        return {'agent': self.record.id,
            'role': ModelData.get_id('marcier_base', 'role_agent')}

    def transition_create_(self):
        pool = Pool()
        User = pool.get('res.user')
        agent = self.record
        role = self.start.role
        if role.staff != 'agent':
            raise AgentStaffError(gettext(
                    'marcier_base.msg_staff_role_agent', role=role.rec_name))
        with without_check_access():
            User.create([{
                        'name': self.start.name,
                        'login': self.start.login,
                        'email': self.start.email,
                        'password': self.start.password,
                        'agent': agent.id,
                        'companies': [('add', [agent.company.id])],
                        'company': agent.company.id,
                        'roles': [('create', [{'role': int(role)}])],
                        }])
        return 'end'

    def end(self):
        return 'reload'
