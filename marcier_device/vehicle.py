# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from marcier_wire import topics
from marcier_base.model import AGENT_STAFF, AgentOwnedMixin, is_operator

from .exceptions import (
    TransferAccessError, TransferError, VehicleCustomerError,
    VehicleGatewayError, VehicleIdentifierError, VehicleLedgerError,
    VehicleStatusError)
from .product import ProductMigrationMixin, catalogue_model

STATUSES = [
    ('available', "Available"),
    ('rented', "Rented"),
    ('in_repair', "In Repair"),
    ('retired', "Retired"),
    ]
# Fields that change only through transfer(), rent() and release(), so
# that every change of hands leaves an event in the vehicle's history
OWNERSHIP_FIELDS = {'agent', 'customer'}
# Registered by the operator's device managers.  Unique per company
# (serial) and platform-wide (gateway: the broker's user names), so an
# agent writing them would learn whether another agent's vehicle has
# them (issue 12, item 3)
IDENTIFIER_FIELDS = {'serial', 'gateway_id'}



class Vehicle(
        ProductMigrationMixin, AgentOwnedMixin, DeactivableMixin, ModelSQL,
        ModelView):
    "Vehicle of the fleet, with the last state its gateway reported"
    __name__ = 'device.vehicle'
    _rec_name = 'serial'
    _audited_fields = (  # audit trail: owners (E6), what makes it reachable
        'company', 'agent', 'customer', 'status', 'gateway_id', 'active')
    _new = Eval('id', -1) < 0
    serial = fields.Char("Serial / VIN", required=True, strip=True,
        states={
            'readonly': AGENT_STAFF,
            })
    product = fields.Many2One(
        'product.template', "Product", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The catalogue product the vehicle is.")
    product_model = fields.Function(
        fields.Char("Product Model",
            help="The catalogue model of the product, "
            "when the mall is activated.",
            states={
                'invisible': ~Eval('product_model'),
                }),
        'on_change_with_product_model', searcher='search_product_model')
    customer = fields.Many2One(
        'party.party', "Current Customer", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        states={
            'readonly': ~_new,
            },
        depends={'company'},
        help="The customer who rents the vehicle now.")
    status = fields.Selection(STATUSES, "Status", required=True, sort=False,
        states={
            'readonly': ~_new,
            })
    commissioning_date = fields.Date("Commissioning Date")
    gateway_id = fields.Char(
        "Gateway ID", strip=True,
        states={
            'readonly': AGENT_STAFF,
            },
        help="Identifier of the IoT gateway wired to the vehicle controller: "
        "letters, digits, \"-\", \"_\" and \".\" (it is its broker user "
        "name and part of its MQTT topics).")

    # Last state reported by the gateway, kept up to date by the IoT module
    latitude = fields.Float("Latitude", digits=(9, 6), readonly=True)
    longitude = fields.Float("Longitude", digits=(9, 6), readonly=True)
    last_seen = fields.Timestamp("Last Seen", readonly=True)
    key_on = fields.Boolean("Key On", readonly=True)
    soc = fields.Float(
        "State of Charge", digits=(5, 1), readonly=True,
        help="Battery state of charge in percent.")
    odometer = fields.Float(
        "Odometer", digits=(10, 1), readonly=True, help="In kilometres.")
    working_hours = fields.Float(
        "Working Hours", digits=(10, 1), readonly=True)
    alarm_count = fields.Integer(
        "Active Alarms", readonly=True,
        help="Number of alarms open on the vehicle.")

    events = fields.One2Many(
        'device.vehicle.event', 'vehicle', "History")
    maintenances = fields.One2Many(
        'device.vehicle.maintenance', 'vehicle', "Maintenance Plans",
        states={
            'readonly': AGENT_STAFF,
            })
    maintenance_due = fields.Function(
        fields.Boolean("Maintenance Due"),
        'get_maintenance_due', searcher='search_maintenance_due')
    del _new

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('serial_unique', Unique(t, t.company, t.serial),
                'marcier_device.msg_vehicle_serial_unique'),
            ('gateway_unique', Unique(t, t.gateway_id),
                'marcier_device.msg_vehicle_gateway_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.status, Index.Equality())),
                Index(t, (t.product, Index.Equality())),
                })
        cls._order.insert(0, ('serial', 'ASC'))
        cls.agent.states['readonly'] |= Eval('id', -1) >= 0
        # The buttons, rent() and release() move it
        # (marcier_base.model.WorkflowFieldsMixin)
        cls._workflow_fields = {'status'}
        cls._status_transitions = {
            ('available', 'rented'),
            ('rented', 'available'),
            ('available', 'in_repair'),
            ('rented', 'in_repair'),
            ('in_repair', 'available'),
            ('in_repair', 'rented'),
            ('available', 'retired'),
            ('in_repair', 'retired'),
            ('retired', 'available'),
            }
        cls._buttons.update({
                'start_repair': {
                    'invisible': ~Eval('status').in_(['available', 'rented']),
                    'icon': 'tryton-launch',
                    'depends': ['status'],
                    },
                'finish_repair': {
                    'invisible': Eval('status') != 'in_repair',
                    'icon': 'tryton-ok',
                    'depends': ['status'],
                    },
                'retire': {
                    'invisible': Eval('status') == 'retired',
                    'icon': 'tryton-cancel',
                    'depends': ['status'],
                    },
                'reactivate': {
                    'invisible': Eval('status') != 'retired',
                    'icon': 'tryton-refresh',
                    'depends': ['status'],
                    },
                'transfer': {
                    # Agent staff move only rented vehicles, between
                    # their customers
                    'invisible': ((Eval('status') == 'retired')
                        | (AGENT_STAFF & ~Eval('customer'))),
                    'icon': 'tryton-forward',
                    'depends': ['status', 'customer'],
                    },
                'open_map': {
                    'icon': 'tryton-public',
                    },
                })

    @classmethod
    def default_status(cls):
        return 'available'

    @classmethod
    def default_key_on(cls):
        return False

    @classmethod
    def default_alarm_count(cls):
        return 0

    @fields.depends('product')
    def on_change_with_product_model(self, name=None):
        return catalogue_model(self.product)

    @classmethod
    def search_product_model(cls, name, clause):
        Template = Pool().get('product.template')
        if 'mall_model' not in Template._fields:
            return [('id', '=', None)]
        return [('product.mall_model.rec_name', *clause[1:])]

    @classmethod
    def get_maintenance_due(cls, vehicles, name):
        pool = Pool()
        Maintenance = pool.get('device.vehicle.maintenance')
        with without_check_access():
            due = {m.vehicle.id for m in Maintenance.search([
                        ('vehicle', 'in', [v.id for v in vehicles]),
                        ('due', '=', True),
                        ])}
        return {v.id: v.id in due for v in vehicles}

    @classmethod
    def search_maintenance_due(cls, name, clause):
        _, operator, value = clause
        due = [('maintenances', 'where', [('due', '=', True)])]
        if (operator == '=') == bool(value):
            return due
        return ['NOT', due]

    @classmethod
    def check_modification(cls, mode, vehicles, values=None, external=False):
        super().check_modification(
            mode, vehicles, values=values, external=external)
        if (mode == 'write' and external and IDENTIFIER_FIELDS & set(values)
                and not is_operator()):
            raise VehicleIdentifierError(gettext(
                    'marcier_device.msg_vehicle_identifiers_operator'))
        if mode == 'write' and external and OWNERSHIP_FIELDS & set(values):
            raise VehicleLedgerError(gettext(
                    'marcier_device.msg_vehicle_ownership_transfer',
                    vehicle=vehicles[0].rec_name if vehicles else ''))
        if mode == 'write' and 'status' in values:
            cls.check_status_transition(vehicles, values['status'])

    @classmethod
    def check_status_transition(cls, vehicles, status):
        labels = dict(STATUSES)
        for vehicle in vehicles:
            if (vehicle.status == status
                    or (vehicle.status, status) in cls._status_transitions):
                continue
            if vehicle.status == 'rented' and status == 'retired':
                message = 'msg_vehicle_retire_rented'
            elif vehicle.status == 'retired':
                message = 'msg_vehicle_retired'
            else:
                message = 'msg_vehicle_status_transition'
            raise VehicleStatusError(gettext(
                    f'marcier_device.{message}',
                    vehicle=vehicle.rec_name,
                    from_=labels[vehicle.status], to=labels[status]))

    @classmethod
    def validate_fields(cls, vehicles, field_names):
        super().validate_fields(vehicles, field_names)
        if field_names & {'customer', 'agent', 'status'}:
            cls.check_customer(vehicles)
        if 'gateway_id' in field_names:
            cls.check_gateway_id(vehicles)

    @classmethod
    def check_gateway_id(cls, vehicles):
        "The gateway id is a broker user name and a level of MQTT topics"
        for vehicle in vehicles:
            if vehicle.gateway_id and not topics.safe(vehicle.gateway_id):
                raise VehicleGatewayError(gettext(
                        'marcier_device.msg_vehicle_gateway_id',
                        gateway=vehicle.gateway_id))

    @classmethod
    def check_customer(cls, vehicles):
        "A rented vehicle has a customer, who is a customer of its agent"
        pool = Pool()
        Customer = pool.get('marcier.customer')
        for vehicle in vehicles:
            if vehicle.status == 'rented' and not vehicle.customer:
                raise VehicleCustomerError(gettext(
                        'marcier_device.msg_vehicle_rented_customer',
                        vehicle=vehicle.serial))
            if vehicle.status in {'available', 'retired'} and vehicle.customer:
                raise VehicleCustomerError(gettext(
                        'marcier_device.msg_vehicle_idle_customer',
                        vehicle=vehicle.serial,
                        customer=vehicle.customer.rec_name))
            if vehicle.customer:
                with without_check_access():
                    known = vehicle.agent and Customer.search([
                            ('party', '=', vehicle.customer.id),
                            ('agent', '=', vehicle.agent.id),
                            ], limit=1)
                if not known:
                    raise VehicleCustomerError(gettext(
                            'marcier_device.msg_vehicle_customer_agent',
                            vehicle=vehicle.serial,
                            customer=vehicle.customer.rec_name))

    @classmethod
    def on_modification(cls, mode, vehicles, field_names=None):
        pool = Pool()
        Maintenance = pool.get('device.vehicle.maintenance')
        super().on_modification(mode, vehicles, field_names=field_names)
        if mode == 'create' or (mode == 'write' and field_names & {
                    'product', 'company'}):
            Maintenance.apply_product_plans(vehicles)

    # Status moves: buttons for the back office, rent() and release() for
    # the leasing module.  check_status_transition() guards every write.

    @classmethod
    @ModelView.button
    def start_repair(cls, vehicles):
        cls.write(vehicles, {'status': 'in_repair'})

    @classmethod
    @ModelView.button
    def finish_repair(cls, vehicles):
        "Back to the customer who rents it, else available"
        for status in ['rented', 'available']:
            cls.write([
                    v for v in vehicles
                    if v.status == 'in_repair'
                    and bool(v.customer) == (status == 'rented')],
                {'status': status})

    @classmethod
    @ModelView.button
    def retire(cls, vehicles):
        cls.write(vehicles, {'status': 'retired'})

    @classmethod
    @ModelView.button
    def reactivate(cls, vehicles):
        cls.write(vehicles, {'status': 'available'})

    @classmethod
    def rent(cls, vehicles, customer):
        """Hand available vehicles to customer (party.party), a customer of
        their agent: status becomes rented.  The caller checks the rights."""
        for vehicle in vehicles:
            if vehicle.status != 'available':
                raise VehicleStatusError(gettext(
                        'marcier_device.msg_vehicle_not_available',
                        vehicle=vehicle.rec_name,
                        status=dict(STATUSES)[vehicle.status]))
        with without_check_access():
            cls.write(vehicles, {'status': 'rented', 'customer': customer.id})

    @classmethod
    def release(cls, vehicles):
        """End the rental of vehicles: they lose their customer and rented
        ones become available (a vehicle in repair stays there)"""
        rented = [v for v in vehicles if v.status == 'rented']
        others = [v for v in vehicles if v.status != 'rented']
        with without_check_access():
            cls.write(rented, {'customer': None, 'status': 'available'},
                others, {'customer': None})

    @classmethod
    @ModelView.button_action('marcier_device.wizard_vehicle_transfer')
    def transfer(cls, vehicles):
        pass

    @classmethod
    @ModelView.button_action('marcier_device.wizard_fleet_map')
    def open_map(cls, vehicles):
        pass

    @classmethod
    def transfer_to(cls, vehicles, agent=None, customer=None, date=None,
            note=None):
        """Transfer vehicles to another agent (operator only) or, when they
        have a customer, to another customer of the same agent (party.party).
        Records a transfer event and sends a "device transfer" reminder to
        the staff of both sides.  Returns the events."""
        pool = Pool()
        Event = pool.get('device.vehicle.event')
        Date = pool.get('ir.date')
        User = pool.get('res.user')
        if bool(agent) == bool(customer):
            raise TransferError(gettext('marcier_device.msg_transfer_target'))
        if agent and not is_operator():
            raise TransferAccessError(gettext(
                    'marcier_device.msg_transfer_agent_operator'))
        user_agent = User.get_agent()
        date = date or Date.today()
        events = []
        for vehicle in vehicles:
            if user_agent and vehicle.agent and vehicle.agent.id != user_agent:
                raise TransferAccessError(gettext(
                        'marcier_device.msg_transfer_not_own',
                        vehicle=vehicle.rec_name))
            cls._check_transferable(vehicle, agent, customer)
            events.append({
                    'vehicle': vehicle.id,
                    'type': 'transfer',
                    'date': date,
                    'note': note,
                    'working_hours': vehicle.working_hours,
                    'from_agent': vehicle.agent.id if agent else None,
                    'to_agent': agent.id if agent else None,
                    'from_customer': None if agent else vehicle.customer.id,
                    'to_customer': None if agent else customer.id,
                    })
        with without_check_access():
            if agent:
                cls.write(vehicles, {'agent': agent.id})
            else:
                cls.write(vehicles, {'customer': customer.id})
            events = Event.create(events)
        for event in events:
            event.notify_transfer()
        return events

    @classmethod
    def _check_transferable(cls, vehicle, agent, customer):
        def error(message, **kwargs):
            return TransferError(gettext(
                    f'marcier_device.{message}', vehicle=vehicle.rec_name,
                    **kwargs))
        if vehicle.status == 'retired':
            raise error('msg_transfer_retired')
        if agent:
            if vehicle.agent == agent:
                raise error('msg_transfer_same_agent', agent=agent.rec_name)
            if vehicle.customer:
                raise error('msg_transfer_agent_rented',
                    customer=vehicle.customer.rec_name)
        else:
            if not vehicle.customer:
                raise error('msg_transfer_no_customer')
            if vehicle.customer == customer:
                raise error('msg_transfer_same_customer',
                    customer=customer.rec_name)
