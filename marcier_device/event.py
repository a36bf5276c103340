# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext, lazy_gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import EventError
from .product import lazy_product_name

EVENT_TYPES = [
    ('entry', "Entry to Site"),
    ('exit', "Exit from Site"),
    ('repair', "Repair"),
    ('maintenance', "Maintenance"),
    ('transfer', "Transfer"),
    ]


class Event(ModelSQL, ModelView):
    "Life-cycle event of a vehicle: site entry and exit, repair, maintenance, transfer"
    __name__ = 'device.vehicle.event'
    _transfer = Eval('type') == 'transfer'
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, ondelete='CASCADE',
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    type = fields.Selection(EVENT_TYPES, "Type", required=True, sort=False,
        states={
            'readonly': _transfer,
            })
    type_string = type.translated('type')
    date = fields.Date("Date", required=True,
        states={
            'readonly': _transfer,
            })
    note = fields.Text("Note")
    working_hours = fields.Float(
        "Working Hours", digits=(10, 1),
        states={
            'readonly': _transfer,
            },
        help="The vehicle's working hours at the event.")
    plan = fields.Many2One(
        'device.maintenance.plan', "Maintenance Plan", ondelete='RESTRICT',
        domain=[
            ('schedules.vehicle', '=', Eval('vehicle', -1)),
            ],
        states={
            'invisible': Eval('type') != 'maintenance',
            },
        help="The plan this maintenance fulfils; "
        "leave empty when it covers every plan of the vehicle.")
    from_agent = fields.Many2One(
        'marcier.agent', "From Agent", readonly=True,
        states={
            'invisible': ~Eval('from_agent'),
            })
    to_agent = fields.Many2One(
        'marcier.agent', "To Agent", readonly=True,
        states={
            'invisible': ~Eval('to_agent'),
            })
    from_customer = fields.Many2One(
        'party.party', "From Customer", readonly=True,
        states={
            'invisible': ~Eval('from_customer'),
            })
    to_customer = fields.Many2One(
        'party.party', "To Customer", readonly=True,
        states={
            'invisible': ~Eval('to_customer'),
            })
    summary = fields.Function(fields.Char("Summary"), 'get_summary')
    del _transfer

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('vehicle')
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.vehicle, Index.Range()), (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('vehicle', '_parent_vehicle.working_hours', 'working_hours')
    def on_change_vehicle(self):
        if self.vehicle and self.working_hours is None:
            self.working_hours = self.vehicle.working_hours

    def get_summary(self, name):
        note = (self.note or '').strip().split('\n')[0]
        if self.type != 'transfer':
            return note
        if self.from_agent:
            from_, to = self.from_agent, self.to_agent
        else:
            from_, to = self.from_customer, self.to_customer
        summary = gettext('marcier_device.msg_event_transfer_summary',
            from_=from_.rec_name if from_ else '',
            to=to.rec_name if to else '')
        return f'{summary}: {note}' if note else summary

    def get_rec_name(self, name):
        return f'{self.vehicle.rec_name} {self.type_string} {self.date}'

    @classmethod
    def check_modification(cls, mode, events, values=None, external=False):
        super().check_modification(
            mode, events, values=values, external=external)
        if not external:
            return
        if mode == 'write' and 'vehicle' in values:
            raise EventError(gettext('marcier_device.msg_event_vehicle'))
        if mode == 'write' and 'type' in values:
            events = events + [cls(type=values['type'])]
        if any(e.type == 'transfer' for e in events) and (
                mode != 'write' or set(values) - {'note'}):
            raise EventError(gettext('marcier_device.msg_event_transfer'))

    @classmethod
    def on_modification(cls, mode, events, field_names=None):
        pool = Pool()
        Maintenance = pool.get('device.vehicle.maintenance')
        super().on_modification(mode, events, field_names=field_names)
        if mode == 'create':
            Maintenance.reset([e for e in events if e.type == 'maintenance'])

    def notify_transfer(self):
        "Send the 'device transfer' reminder to the staff of both sides"
        if self.from_agent:
            from_, to = self.from_agent.rec_name, self.to_agent.rec_name
        else:
            from_, to = self.from_customer.rec_name, self.to_customer.rec_name
        title = lazy_gettext('marcier_device.msg_transfer_title',
            vehicle=self.vehicle.rec_name)
        body = lazy_gettext('marcier_device.msg_transfer_body',
            vehicle=self.vehicle.rec_name,
            model=lazy_product_name(self.vehicle.product),
            from_=from_, to=to, date=self.date, note=self.note or '')
        with Transaction().set_context(company=self.vehicle.company.id):
            self.vehicle.agent.notify(
                'reminder', title, body=body, record=self.vehicle)
            if self.from_agent:
                # The vehicle is out of their sight now: no link to open
                self.from_agent.notify('reminder', title, body=body)
