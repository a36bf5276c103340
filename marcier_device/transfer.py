# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.wizard import Button, StateTransition, StateView, Wizard

from marcier_base.model import is_operator


class Transfer(Wizard):
    "Transfer vehicles to another agent or to another customer"
    __name__ = 'device.vehicle.transfer'
    start = StateView('device.vehicle.transfer.start',
        'marcier_device.vehicle_transfer_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Transfer", 'transfer', 'tryton-ok', default=True),
            ])
    transfer = StateTransition()

    def default_start(self, fields):
        agents = {v.agent for v in self.records}
        customers = {v.customer for v in self.records}
        agent, = agents if len(agents) == 1 else [None]
        customer, = customers if len(customers) == 1 else [None]
        operator = is_operator()
        return {
            'kind': 'agent' if operator and not customer else 'customer',
            'operator': operator,
            'company': self.records[0].company.id if self.records else None,
            'vehicle_count': len(self.records),
            'from_agent': agent.id if agent else None,
            'from_customer': customer.id if customer else None,
            }

    def transition_transfer(self):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        start = self.start
        if start.kind == 'agent':
            target = {'agent': start.to_agent}
        else:
            target = {'customer': start.to_customer.party
                if start.to_customer else None}
        Vehicle.transfer_to(
            list(self.records), date=start.date, note=start.note, **target)
        return 'end'


class TransferStart(ModelView):
    "Transfer vehicles"
    __name__ = 'device.vehicle.transfer.start'
    kind = fields.Selection([
            ('agent', "To Another Agent"),
            ('customer', "To Another Customer"),
            ], "Transfer", required=True,
        states={
            'readonly': ~Eval('operator', False),
            },
        help="Only operator staff transfer vehicles between agents.")
    operator = fields.Boolean("Operator", readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    vehicle_count = fields.Integer("Vehicles", readonly=True)
    from_agent = fields.Many2One('marcier.agent', "From Agent", readonly=True)
    from_customer = fields.Many2One(
        'party.party', "From Customer", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    to_agent = fields.Many2One(
        'marcier.agent', "To Agent",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('id', '!=', Eval('from_agent', -1)),
            ],
        states={
            'invisible': Eval('kind') != 'agent',
            'required': Eval('kind') == 'agent',
            })
    to_customer = fields.Many2One(
        'marcier.customer', "To Customer",
        domain=[
            ('agent', '=', Eval('from_agent', -1)),
            ('party', '!=', Eval('from_customer', -1)),
            ],
        states={
            'invisible': Eval('kind') != 'customer',
            'required': Eval('kind') == 'customer',
            })
    date = fields.Date("Date", required=True)
    note = fields.Text("Note")

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()
