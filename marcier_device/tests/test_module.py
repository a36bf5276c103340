# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import contextlib
import datetime as dt
from urllib.parse import quote
from unittest.mock import patch

from sql import Column
from sql.functions import CurrentTimestamp

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import CompanyTestMixin, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from marcier_base.tests import AgentTestMixin
from marcier_base.tests.test_module import setup_agents

from . import create_product
from ..fleet_map import MAX_VEHICLES

TODAY = dt.date(2026, 3, 2)


@contextlib.contextmanager
def today(date):
    "Travel in time: ir.date.today() answers date"
    Date = Pool().get('ir.date')
    with patch.object(Date, 'today', return_value=date):
        yield


@contextlib.contextmanager
def as_user(user, company):
    "Act as user through the access checks, as a JSON-RPC call does"
    transaction = Transaction()
    with transaction.set_user(user.id), \
            transaction.set_context(_check_access=True, company=company.id):
        yield


class MarcierDeviceTestCase(CompanyTestMixin, AgentTestMixin, ModuleTestCase):
    "Test Marcier Device module"
    module = 'marcier_device'

    def _setup(self):
        pool = Pool()
        Party = pool.get('party.party')
        Customer = pool.get('marcier.customer')
        setup_agents(self)
        company, agent_a, agent_b = self.company, self.agent_a, self.agent_b
        self.customers = {}
        for code, agent in [('A1', agent_a), ('A2', agent_a), ('B1', agent_b)]:
            party, = Party.create([{'name': f"Customer {code}"}])
            Customer.create([{
                        'party': party.id, 'agent': agent.id,
                        'company': company.id}])
            self.customers[code] = party
        self.products = {code: create_product(name, code)
            for code, name in [('MC-G4', "MC-G4 Golf Cart"),
                ('MC-F20', "MC-F20 Forklift"), ('MC-P2', "MC-P2 Patrol Car")]}

    def _vehicle(self, serial, agent=None, **values):
        Vehicle = Pool().get('device.vehicle')
        vehicle, = Vehicle.create([{
                    'serial': serial,
                    'company': self.company.id,
                    'agent': (agent or self.agent_a).id,
                    'product': self.products['MC-G4'].id,
                    'commissioning_date': dt.date(2026, 1, 1),
                    **values,
                    }])
        return vehicle

    def _messages(self, user, title):
        Notification = Pool().get('res.notification')
        return Notification.search([
                ('user', '=', user.id), ('label', 'like', f'%{title}%')])

    @with_transaction()
    def test_status_moves(self):
        "Repair, retire and return to service move the status"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        vehicle = self._vehicle('V1')
        self.assertEqual(vehicle.status, 'available')
        Vehicle.start_repair([vehicle])
        self.assertEqual(vehicle.status, 'in_repair')
        Vehicle.finish_repair([vehicle])
        self.assertEqual(vehicle.status, 'available')
        Vehicle.retire([vehicle])
        self.assertEqual(vehicle.status, 'retired')
        with self.assertRaisesRegex(UserError, 'return it to service'):
            Vehicle.start_repair([vehicle])
        Vehicle.reactivate([vehicle])
        self.assertEqual(vehicle.status, 'available')

    @with_transaction()
    def test_status_only_by_buttons(self):
        """Neither agent staff nor operators write the status or create a
        vehicle past its first status; the buttons still move it"""
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        vehicle = self._vehicle('V1')
        for user in [self.staff_a, self.operator]:
            with as_user(user, self.company):
                for status in ['available', 'rented', 'in_repair', 'retired']:
                    with self.subTest(user=user.login, status=status), \
                            self.assertRaisesRegex(
                                UserError, 'workflow buttons'):
                        Vehicle.write([Vehicle(vehicle.id)], {
                                'status': status})
                Vehicle.start_repair([Vehicle(vehicle.id)])
                Vehicle.finish_repair([Vehicle(vehicle.id)])
        self.assertEqual(Vehicle(vehicle.id).status, 'available')
        with as_user(self.operator, self.company):
            with self.assertRaisesRegex(UserError, 'workflow buttons'):
                Vehicle.create([{'serial': 'V2', 'company': self.company.id,
                            'status': 'retired'}])
            Vehicle.retire([Vehicle(vehicle.id)])
            copy, = Vehicle.copy([Vehicle(vehicle.id)], {'serial': 'V3'})
        self.assertEqual(Vehicle(vehicle.id).status, 'retired')
        self.assertEqual(copy.status, 'available')
        # Internal code (rent, release, the leasing module) is not external
        Vehicle.write([Vehicle(vehicle.id)], {'status': 'available'})

    @with_transaction()
    def test_identifiers_by_operators(self):
        """Agent staff write neither the serial nor the gateway id: they
        are unique beyond the agent, the refusal would tell them whether
        another agent's vehicle has them"""
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        mine = self._vehicle('V1', gateway_id='gw-v1')
        self._vehicle('V2', agent=self.agent_b, gateway_id='gw-v2')
        for values in [{'serial': 'V2'}, {'serial': 'NEW'},
                {'gateway_id': 'gw-v2'}, {'gateway_id': 'gw-new'}]:
            with as_user(self.staff_a, self.company), \
                    self.subTest(values=values), \
                    self.assertRaisesRegex(AccessError, 'operator staff'):
                Vehicle.write([Vehicle(mine.id)], values)
        with as_user(self.operator, self.company):
            Vehicle.write([Vehicle(mine.id)], {'gateway_id': 'gw-new'})
            with self.assertRaisesRegex(UserError, 'cannot be used'):
                Vehicle.write([Vehicle(mine.id)], {'gateway_id': 'gw-v2'})

    @with_transaction()
    def test_rent_and_release(self):
        "The leasing module rents and releases; repair returns to the renter"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        vehicle = self._vehicle('V1')
        Vehicle.rent([vehicle], self.customers['A1'])
        self.assertEqual(
            (vehicle.status, vehicle.customer), ('rented', self.customers['A1']))
        Vehicle.start_repair([vehicle])
        Vehicle.finish_repair([vehicle])
        self.assertEqual(vehicle.status, 'rented')
        with self.assertRaisesRegex(UserError, 'not available'):
            Vehicle.rent([vehicle], self.customers['A2'])
        with self.assertRaisesRegex(UserError, 'end its rental'):
            Vehicle.retire([vehicle])
        self.assertEqual(vehicle.status, 'rented')
        Vehicle.release([vehicle])
        self.assertEqual((vehicle.status, vehicle.customer), ('available', None))

    @with_transaction()
    def test_rent_to_other_agents_customer(self):
        "A vehicle is rented only to a customer of its agent"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        vehicle = self._vehicle('V1')
        with self.assertRaisesRegex(UserError, 'not a customer of the agent'):
            Vehicle.rent([vehicle], self.customers['B1'])

    @with_transaction()
    def test_status_invariants(self):
        "A rented vehicle has a customer; an available one has none"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        for values in [
                {'status': 'rented'},
                {'status': 'available', 'customer': self.customers['A1']},
                {'status': 'retired', 'customer': self.customers['A1']},
                ]:
            with self.subTest(values=values), \
                    self.assertRaises(UserError):
                Vehicle.check_customer([Vehicle(**{'serial': 'X',
                                'agent': self.agent_a, 'customer': None,
                                **values})])

    @with_transaction()
    def test_ownership_changes_only_by_transfer(self):
        "Users cannot write the agent or customer of a vehicle directly"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        vehicle = self._vehicle('V1')
        with as_user(self.operator, self.company):
            with self.assertRaisesRegex(UserError, 'only through a transfer'):
                Vehicle.write([Vehicle(vehicle.id)], {
                        'agent': self.agent_b.id})
            Vehicle.write([Vehicle(vehicle.id)], {
                    'product': self.products['MC-P2'].id})
        self.assertEqual(Vehicle(vehicle.id).agent, self.agent_a)

    @with_transaction()
    def test_transfer_between_agents(self):
        "The operator transfers a vehicle: event, reminders, visibility"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Event = pool.get('device.vehicle.event')
        self._setup()
        vehicle = self._vehicle('V1', working_hours=12.5)
        with set_company(self.company):
            Event.create([{'vehicle': vehicle.id, 'type': 'entry'}])
        with as_user(self.operator, self.company):
            event, = Vehicle.transfer_to(
                [Vehicle(vehicle.id)], agent=self.agent_b,
                date=TODAY, note="Regional rebalancing")
        self.assertEqual(Vehicle(vehicle.id).agent, self.agent_b)
        self.assertEqual((event.type, event.date, event.working_hours),
            ('transfer', TODAY, 12.5))
        self.assertEqual((event.from_agent, event.to_agent),
            (self.agent_a, self.agent_b))
        for staff in [self.staff_a, self.staff_b]:
            message, = self._messages(staff, "Device transfer")
            self.assertEqual(message.kind, 'reminder')
            self.assertIn("Regional rebalancing", message.body)
        # The new owner can open the vehicle from the message, not the old
        self.assertEqual(
            self._messages(self.staff_b, "Device transfer")[0].related,
            vehicle)
        self.assertIsNone(
            self._messages(self.staff_a, "Device transfer")[0].related)

        with as_user(self.staff_a, self.company):
            self.assertEqual(Vehicle.search([]), [])
            self.assertEqual(Event.search([]), [])
            with self.assertRaises(AccessError):
                Event.read([event.id], ['note'])
        with as_user(self.staff_b, self.company):
            self.assertEqual(Vehicle.search([]), [vehicle])
            self.assertEqual(len(Event.search([])), 2)

    @with_transaction()
    def test_agent_cannot_transfer_to_another_agent(self):
        "Only the operator moves vehicles between agents"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Event = pool.get('device.vehicle.event')
        self._setup()
        vehicle = self._vehicle('V1')
        with as_user(self.staff_a, self.company):
            with self.assertRaisesRegex(AccessError, 'Only operator staff'):
                Vehicle.transfer_to([Vehicle(vehicle.id)], agent=self.agent_b)
        self.assertEqual(Vehicle(vehicle.id).agent, self.agent_a)
        self.assertEqual(Event.search([]), [])

    @with_transaction()
    def test_transfer_between_customers(self):
        "Agent staff move a rented vehicle to another of their customers"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        vehicle = self._vehicle('V1')
        Vehicle.rent([vehicle], self.customers['A1'])
        other = self._vehicle('V2', agent=self.agent_b)
        Vehicle.rent([other], self.customers['B1'])
        with as_user(self.staff_a, self.company):
            event, = Vehicle.transfer_to(
                [Vehicle(vehicle.id)], customer=self.customers['A2'])
            with self.assertRaisesRegex(AccessError, 'another agent'):
                Vehicle.transfer_to(
                    [Vehicle(other.id)], customer=self.customers['A1'])
        vehicle = Vehicle(vehicle.id)
        self.assertEqual(
            (vehicle.customer, vehicle.status),
            (self.customers['A2'], 'rented'))
        self.assertEqual((event.from_customer, event.to_customer),
            (self.customers['A1'], self.customers['A2']))
        self.assertIsNone(event.from_agent)
        message, = self._messages(self.staff_a, "Device transfer")
        self.assertIn("Customer A1", message.body)
        self.assertEqual(self._messages(self.staff_b, "Device transfer"), [])
        with self.assertRaisesRegex(UserError, 'not a customer'):
            Vehicle.transfer_to([vehicle], customer=self.customers['B1'])

    @with_transaction()
    def test_transfer_bad_input(self):
        "Transfers that make no sense are refused with the reason"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Event = pool.get('device.vehicle.event')
        self._setup()
        vehicle = self._vehicle('V1')
        rented = self._vehicle('V2')
        Vehicle.rent([rented], self.customers['A1'])
        retired = self._vehicle('V3')
        Vehicle.retire([retired])
        for vehicles, target, error in [
                ([vehicle], {}, 'either to another agent'),
                ([vehicle], {'agent': self.agent_b,
                        'customer': self.customers['A1']}, 'either'),
                ([vehicle], {'agent': self.agent_a}, 'already belongs'),
                ([vehicle], {'customer': self.customers['A2']},
                    'no customer'),
                ([rented], {'agent': self.agent_b}, 'end the rental'),
                ([rented], {'customer': self.customers['A1']},
                    'already with customer'),
                ([vehicle, retired], {'agent': self.agent_b}, 'retired'),
                ]:
            with self.subTest(error=error), \
                    self.assertRaisesRegex(UserError, error):
                Vehicle.transfer_to(vehicles, **target)
        # Nothing half-done: the first vehicle of the last batch stays put
        self.assertEqual(Vehicle(vehicle.id).agent, self.agent_a)
        self.assertEqual(Event.search([]), [])

    @with_transaction()
    def test_transfer_wizard(self):
        "The wizard proposes the right kind of transfer and runs it"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Transfer = pool.get('device.vehicle.transfer', type='wizard')
        Customer = pool.get('marcier.customer')
        self._setup()
        vehicle = self._vehicle('V1')
        Vehicle.rent([vehicle], self.customers['A1'])
        to_customer, = Customer.search([('party', '=', self.customers['A2'])])
        with as_user(self.staff_a, self.company), \
                Transaction().set_context(active_model='device.vehicle',
                    active_id=vehicle.id, active_ids=[vehicle.id]):
            session_id, _, _ = Transfer.create()
            transfer = Transfer(session_id)
            defaults = transfer.default_start(None)
            self.assertEqual(defaults['kind'], 'customer')
            self.assertFalse(defaults['operator'])
            self.assertEqual(defaults['from_customer'], self.customers['A1'].id)
            Transfer.execute(session_id, {'start': {
                        'kind': 'customer', 'to_customer': to_customer.id,
                        'date': TODAY, 'note': "Sublease"}}, 'transfer')
        self.assertEqual(Vehicle(vehicle.id).customer, self.customers['A2'])

    @with_transaction()
    def test_transfer_events_are_history(self):
        "Transfer events come only from a transfer and stay as recorded"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Event = pool.get('device.vehicle.event')
        self._setup()
        vehicle = self._vehicle('V1')
        event, = Vehicle.transfer_to([vehicle], agent=self.agent_b)
        with as_user(self.operator, self.company):
            with self.assertRaisesRegex(UserError, 'Transfer button'):
                Event.create([{'vehicle': vehicle.id, 'type': 'transfer'}])
            with self.assertRaisesRegex(UserError, 'Transfer button'):
                Event.write([Event(event.id)], {'date': TODAY})
            with self.assertRaisesRegex(UserError, 'Transfer button'):
                Event.delete([Event(event.id)])
            Event.write([Event(event.id)], {'note': "Signed by both"})
        self.assertEqual(Event(event.id).note, "Signed by both")

    @with_transaction()
    def test_agent_events_isolation(self):
        "Agents record events on their vehicles only and never delete them"
        pool = Pool()
        Event = pool.get('device.vehicle.event')
        self._setup()
        mine = self._vehicle('V1')
        theirs = self._vehicle('V2', agent=self.agent_b)
        event_b, = Event.create([{'vehicle': theirs.id, 'type': 'repair'}])
        with as_user(self.staff_a, self.company):
            event, = Event.create([{'vehicle': mine.id, 'type': 'entry',
                        'note': "Arrived at the Bund site"}])
            with self.assertRaises(AccessError):
                Event.create([{'vehicle': theirs.id, 'type': 'exit'}])
            with self.assertRaises(AccessError):
                Event.write([Event(event_b.id)], {'note': "mine"})
            with self.assertRaises(AccessError):
                Event.delete([Event(event.id)])
            self.assertEqual(Event.search([]), [event])

    @with_transaction()
    def test_model_plans_apply_to_vehicles(self):
        "A plan for a product reaches its vehicles: old, new and changed"
        pool = Pool()
        Plan = pool.get('device.maintenance.plan')
        Vehicle = pool.get('device.vehicle')
        self._setup()
        old = self._vehicle('V1')
        other = self._vehicle('V2', product=self.products['MC-F20'].id)
        plan, = Plan.create([{'name': "Quarterly", 'company': self.company.id,
                    'interval_days': 90, 'interval_hours': 250,
                    'product': self.products['MC-G4'].id}])
        new = self._vehicle('V3')
        self.assertEqual(
            sorted(s.vehicle.serial for s in plan.schedules), ['V1', 'V3'])
        schedule, = old.maintenances
        self.assertEqual(
            (schedule.last_date, schedule.last_hours), (dt.date(2026, 1, 1), 0))
        self.assertEqual(
            (schedule.next_date, schedule.next_hours),
            (dt.date(2026, 4, 1), 250))
        self.assertEqual(other.maintenances, ())
        self.assertEqual(len(new.maintenances), 1)
        Plan.write([plan], {'interval_days': 30})
        self.assertEqual(old.maintenances[0].next_date, dt.date(2026, 1, 31))
        Vehicle.write([other], {'product': self.products['MC-G4'].id})
        self.assertEqual([s.plan for s in other.maintenances], [plan])

    @with_transaction()
    def test_plan_needs_positive_interval(self):
        "A plan repeats after some days, some hours or both"
        pool = Pool()
        Plan = pool.get('device.maintenance.plan')
        for days, hours in [(None, None), (0, None), (None, -5), (30, 0)]:
            with self.subTest(days=days, hours=hours), \
                    self.assertRaisesRegex(UserError, 'positive number'):
                Plan.check_intervals([Plan(name="Check",
                            interval_days=days, interval_hours=hours)])
        Plan.check_intervals([Plan(
                    name="Check", interval_days=None, interval_hours=100)])

    @with_transaction()
    def test_maintenance_due_warned_once(self):
        "Due maintenance is warned once; a maintenance event resets it"
        pool = Pool()
        Plan = pool.get('device.maintenance.plan')
        Maintenance = pool.get('device.vehicle.maintenance')
        Event = pool.get('device.vehicle.event')
        Vehicle = pool.get('device.vehicle')
        self._setup()
        vehicle = self._vehicle('V1', working_hours=40)
        self._vehicle('V2', agent=self.agent_b)
        Plan.create([{'name': "Quarterly", 'company': self.company.id,
                    'interval_days': 90,
                    'product': self.products['MC-G4'].id}])
        title = "Maintenance due: V1"
        with today(dt.date(2026, 3, 31)):
            self.assertEqual(Maintenance.notify_due(), [])
            self.assertFalse(Vehicle(vehicle.id).maintenance_due)
        with today(dt.date(2026, 4, 1)):
            self.assertEqual(
                Maintenance.search([('due', '=', True)]),
                list(Maintenance.search([])))
            self.assertTrue(Vehicle(vehicle.id).maintenance_due)
            self.assertEqual(len(Maintenance.notify_due()), 2)
            self.assertEqual(Maintenance.notify_due(), [])
        message, = self._messages(self.staff_a, title)
        self.assertEqual(message.kind, 'warning')
        self.assertIn("V1 ([MC-G4] MC-G4 Golf Cart)", message.body)
        self.assertEqual(len(self._messages(self.operator, title)), 1)
        self.assertEqual(self._messages(self.staff_b, title), [])

        with today(dt.date(2026, 4, 3)):
            with as_user(self.staff_a, self.company):
                Event.create([{'vehicle': vehicle.id, 'type': 'maintenance',
                            'date': dt.date(2026, 4, 3), 'working_hours': 300}])
            schedule, = Vehicle(vehicle.id).maintenances
            self.assertEqual(
                (schedule.last_date, schedule.last_hours, schedule.notified),
                (dt.date(2026, 4, 3), 300, False))
            self.assertFalse(schedule.due)
        with today(dt.date(2026, 7, 2)):
            self.assertEqual(Maintenance.notify_due(), [schedule])
        self.assertEqual(len(self._messages(self.staff_a, title)), 2)

    @with_transaction()
    def test_maintenance_due_by_working_hours(self):
        "Working hours past the plan's make the maintenance due"
        pool = Pool()
        Plan = pool.get('device.maintenance.plan')
        Maintenance = pool.get('device.vehicle.maintenance')
        Vehicle = pool.get('device.vehicle')
        self._setup()
        vehicle = self._vehicle('V1', working_hours=249)
        plan, = Plan.create([{'name': "250 h service",
                    'company': self.company.id, 'interval_hours': 250}])
        schedule, = Maintenance.create([{
                    'vehicle': vehicle.id, 'plan': plan.id}])
        with today(TODAY):
            self.assertFalse(schedule.due)
            Vehicle.write([vehicle], {'working_hours': 250.5})
            self.assertTrue(Maintenance(schedule.id).due)
            self.assertEqual(Maintenance.notify_due(), [schedule])

    @with_transaction()
    def test_agent_cannot_change_schedules(self):
        "Agents see the plans of their vehicles but do not move them"
        pool = Pool()
        Plan = pool.get('device.maintenance.plan')
        Maintenance = pool.get('device.vehicle.maintenance')
        self._setup()
        self._vehicle('V1')
        self._vehicle('V2', agent=self.agent_b)
        Plan.create([{'name': "Quarterly", 'company': self.company.id,
                    'interval_days': 90,
                    'product': self.products['MC-G4'].id}])
        with as_user(self.staff_a, self.company):
            schedule, = Maintenance.search([])
            self.assertEqual(schedule.vehicle.serial, 'V1')
            with self.assertRaisesRegex(AccessError, 'Operator staff'):
                Maintenance.write([schedule], {'last_date': TODAY})
            with self.assertRaises(AccessError):
                Plan.create([{'name': "Mine", 'interval_days': 5}])

    @with_transaction()
    def test_agent_product_access(self):
        """The catalogue is shared: agent staff read its products and give
        one to their own vehicles, but change no product and no vehicle of
        another agent; a search by product finds their vehicles only"""
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Template = pool.get('product.template')
        ModelData = pool.get('ir.model.data')
        self._setup()
        golf, patrol = self.products['MC-G4'], self.products['MC-P2']
        mine = self._vehicle('V1')
        theirs = self._vehicle('V2', agent=self.agent_b)
        with as_user(self.staff_a, self.company):
            for domain in [[('product', '=', golf.id)],
                    [('product.code', '=', 'MC-G4')],
                    [('product.rec_name', 'ilike', '%golf%')]]:
                self.assertEqual(Vehicle.search(domain), [mine])
            self.assertEqual(
                Vehicle(mine.id).product.rec_name, "[MC-G4] MC-G4 Golf Cart")
            Vehicle.write([Vehicle(mine.id)], {'product': patrol.id})
            with self.assertRaises(AccessError):
                Vehicle.write([Vehicle(theirs.id)], {'product': patrol.id})
            with self.assertRaises(AccessError):
                Template.write([Template(golf.id)], {'name': "Mine"})
            with self.assertRaises(AccessError):
                Template.create([{'name': "Mine",
                            'default_uom': ModelData.get_id(
                                'product', 'uom_unit')}])
            # No catalogue model without marcier_mall
            self.assertIsNone(Vehicle(mine.id).product_model)
            self.assertEqual(
                Vehicle.search([('product_model', 'ilike', '%')]), [])
        self.assertEqual(Vehicle(mine.id).product, patrol)
        self.assertEqual(Vehicle(theirs.id).product, golf)

    @with_transaction()
    def test_migrate_model_name(self):
        """The free-text model of vehicles and plans (before issue 13)
        becomes the product it names by name, code or translated name,
        whatever the case and spaces; else a new product of that name,
        shared by the texts that differ only by case; the text goes"""
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Plan = pool.get('device.maintenance.plan')
        Template = pool.get('product.template')
        Lang = pool.get('ir.lang')
        self._setup()
        golf, patrol = self.products['MC-G4'], self.products['MC-P2']
        forklift = self.products['MC-F20']
        chinese, = Lang.search([('code', '=', 'zh_CN')])
        Lang.write([chinese], {'translatable': True})
        with Transaction().set_context(language='zh_CN'):
            Template.write([Template(forklift.id)], {'name': "电动叉车"})
        texts = {'V1': "mc-g4 golf cart", 'V2': " MC-P2 ", 'V3': "电动叉车",
            'V4': "MC-X9 Mystery Car", 'V5': "mc-x9 mystery car ",
            'V6': None, 'V7': " "}
        vehicles = {s: self._vehicle(s, product=None) for s in texts}
        plan, = Plan.create([{'name': "X9 service",
                    'company': self.company.id, 'interval_days': 30}])
        old = {
            Vehicle: {vehicles[s].id: t for s, t in texts.items()},
            Plan: {plan.id: "MC-X9 MYSTERY CAR"},
            }
        cursor = Transaction().connection.cursor()
        for Model, values in old.items():
            Model.__table_handler__('marcier_device').add_column(
                'model_name', 'VARCHAR')
            table = Model.__table__()
            for id_, text in values.items():
                cursor.execute(*table.update(
                        [Column(table, 'model_name')], [text],
                        where=table.id == id_))
        count = Template.search([], count=True)

        for Model in old:
            Model.__register__('marcier_device')
        # Written in SQL: read again
        Transaction().cache.clear()

        mystery, = Template.search([('name', '=', "MC-X9 Mystery Car")])
        self.assertEqual(Template.search([], count=True), count + 1)
        self.assertEqual(
            {v.serial: v.product for v in Vehicle.browse(vehicles.values())},
            {'V1': golf, 'V2': patrol, 'V3': forklift, 'V4': mystery,
                'V5': mystery, 'V6': None, 'V7': None})
        self.assertEqual(Plan(plan.id).product, mystery)
        for Model in old:
            self.assertFalse(Model.__table_handler__(
                    'marcier_device').column_exist('model_name'))

    def _placed(self, serial, lat, lon, agent=None, status='available',
            **values):
        "A vehicle at lat, lon whose changes are an hour old"
        return self._fleet([(serial, lat, lon, agent, status)], **values)[0]

    def _fleet(self, specs, **values):
        """Vehicles of specs [(serial, lat, lon, agent, status)] whose
        changes are an hour old"""
        Vehicle = Pool().get('device.vehicle')
        vehicles = Vehicle.create([{
                    'serial': serial, 'company': self.company.id,
                    'agent': (agent or self.agent_a).id,
                    'product': self.products['MC-G4'].id, **values,
                    } for serial, _, _, agent, _ in specs])
        table = Vehicle.__table__()
        hour_ago = dt.datetime.now() - dt.timedelta(hours=1)
        cursor = Transaction().connection.cursor()
        for vehicle, (_, lat, lon, _, status) in zip(vehicles, specs):
            cursor.execute(*table.update(
                    [table.latitude, table.longitude, table.status,
                        table.create_date, table.write_date,
                        table.live_changed],
                    [lat, lon, status, hour_ago, None, hour_ago],
                    where=table.id == vehicle.id))
        return vehicles

    def _map(self, view):
        Vehicle = Pool().get('device.vehicle')
        return Vehicle.fleet_map({'bounds': [-90, -180, 90, 180], 'zoom': 5,
                **view})

    @with_transaction()
    def test_fleet_map_clusters_add_up(self):
        "Clusters count every vehicle in view once; few vehicles come alone"
        self._setup()
        # two towns and a scatter
        towns = [(31.2, 121.4), (39.9, 116.4)]
        self._fleet([(f'V{n:04}', lat + n * 1e-4, lon, None,
                    'rented' if n % 4 else 'available')
                for n in range(MAX_VEHICLES + 20)
                for lat, lon in [(towns + [(30 + n % 7, 110 + n % 11)])[
                            n % 3]]])
        self._placed('FAR', -33.9, 18.4)
        self._placed('NOWHERE', None, None)
        whole = self._map({'zoom': 4})
        self.assertEqual(whole['mode'], 'clusters')
        self.assertEqual(whole['total'], MAX_VEHICLES + 21)
        self.assertEqual(sum(c[2] for c in whole['clusters']), whole['total'])
        self.assertEqual(sum(whole['counts'].values()), MAX_VEHICLES + 22)
        for lat, lon, count, _, _, south, west, north, east in (
                whole['clusters']):
            self.assertTrue(south <= lat <= north and west <= lon <= east)
        # Finer cells at a closer zoom, the same vehicles
        close = self._map({'zoom': 9})
        self.assertGreater(len(close['clusters']), len(whole['clusters']))
        self.assertEqual(sum(c[2] for c in close['clusters']),
            whole['total'])
        # A viewport: only what is inside, hidden statuses left out
        china = self._map({'bounds': [18, 73, 54, 135], 'zoom': 4,
                'statuses': ['rented']})
        self.assertEqual(china['total'], len([n
                    for n in range(MAX_VEHICLES + 20) if n % 4]))
        self.assertEqual(china['mode'], 'vehicles')
        self.assertEqual({v['status'] for v in china['vehicles']},
            {'rented'})
        self.assertEqual(len(china['vehicles']), china['total'])
        # Zoomed in on one town: the vehicles themselves, few fields
        town = self._map({'bounds': [39.8, 116.3, 40.0, 116.5], 'zoom': 14})
        self.assertEqual(town['mode'], 'vehicles')
        self.assertEqual(town['total'], (MAX_VEHICLES + 20 + 1) // 3)
        self.assertEqual(len(town['vehicles']), town['total'])
        self.assertEqual(set(town['vehicles'][0]), {'id', 'serial',
                'status', 'lat', 'lon', 'key_on', 'soc', 'seen', 'alarms'})

    @with_transaction()
    def test_fleet_map_incremental(self):
        "A poll with a cursor answers only what changed, and what left"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        still = self._placed('V1', 31.20, 121.40)
        moved = self._placed('V2', 31.21, 121.41)
        status = self._placed('V3', 31.22, 121.42)
        away = self._placed('V4', 31.23, 121.43)
        shanghai = {'bounds': [31, 121, 32, 122], 'zoom': 12}
        first = self._map(shanghai)
        self.assertTrue(first['full'])
        self.assertEqual(len(first['vehicles']), 4)
        since = (dt.datetime.now() - dt.timedelta(minutes=5)).isoformat()
        self.assertEqual(self._map({**shanghai, 'since': since})['vehicles'],
            [])
        # The listener moves two vehicles (one out of view), the operator
        # sends one to repair
        table = Vehicle.__table__()
        for vehicle, lat, lon in [(moved, 31.5, 121.5), (away, 39.9, 116.4)]:
            # as the listener does (marcier_iot's update_live_state)
            Transaction().connection.cursor().execute(*table.update(
                    [table.latitude, table.longitude, table.live_changed],
                    [lat, lon, CurrentTimestamp()],
                    where=table.id == vehicle.id))
        Vehicle.start_repair([status])
        answer = self._map({**shanghai, 'since': since,
                'known': [v['id'] for v in first['vehicles']]})
        self.assertFalse(answer['full'])
        self.assertEqual({v['serial']: (v['lat'], v['status'])
                for v in answer['vehicles']},
            {'V2': (31.5, 'available'), 'V3': (31.22, 'in_repair')})
        self.assertEqual(answer['gone'], [away.id])
        self.assertNotIn(still.id, [v['id'] for v in answer['vehicles']])
        # The cursor is the server's, a little before now
        self.assertLess(dt.datetime.fromisoformat(answer['cursor']),
            dt.datetime.now())

    @with_transaction()
    def test_fleet_map_agent_isolation(self):
        "Agent B's map never holds agent A's vehicles, clusters or counts"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        self._fleet([(f'A{n:04}', 31.2, 121.4 + n * 1e-4, None,
                    'available') for n in range(MAX_VEHICLES + 5)])
        mine = self._fleet([(f'B{n}', 39.9, 116.4 + n * 1e-3, self.agent_b,
                    'available') for n in range(3)])
        self._placed('A-BEIJING', 39.9, 116.401)
        with as_user(self.staff_b, self.company):
            whole = self._map({'zoom': 4})
            self.assertEqual(whole['mode'], 'vehicles')
            self.assertEqual(whole['total'], 3)
            self.assertEqual(sorted(v['id'] for v in whole['vehicles']),
                sorted(v.id for v in mine))
            self.assertEqual(whole['counts'], {'available': 3})
            # A's vehicles never come as changes, nor as known ones
            since = (dt.datetime.now() - dt.timedelta(days=1)).isoformat()
            ids = Vehicle.search([], query=False)
            self.assertEqual(len(ids), 3)
            with Transaction().set_user(0):
                theirs = Vehicle.search([('serial', '=', 'A0001')])
            answer = self._map({'zoom': 4, 'since': since,
                    'known': [theirs[0].id]})
            self.assertEqual(answer['gone'], [theirs[0].id])
            self.assertNotIn(theirs[0].id,
                [v['id'] for v in answer['vehicles']])
            page = Vehicle.fleet_map_list('A0')
            self.assertEqual(page['total'], 0)
            page = Vehicle.fleet_map_list('b1')
            self.assertEqual([v['serial'] for v in page['vehicles']], ['B1'])
        with as_user(self.staff_a, self.company):
            whole = self._map({'zoom': 4})
            self.assertEqual(whole['mode'], 'clusters')
            self.assertEqual(whole['total'], MAX_VEHICLES + 6)
            self.assertEqual(sum(c[2] for c in whole['clusters']),
                MAX_VEHICLES + 6)

    @with_transaction()
    def test_fleet_map_list_paged(self):
        "The sidebar pages through a search by serial, gateway or product"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        for n in range(7):
            self._placed(f'V{n}', 31.2, 121.4, gateway_id=f'gw-{n}',
                product=self.products['MC-F20' if n < 2 else 'MC-G4'].id)
        page = Vehicle.fleet_map_list(None, None, 2, 3)
        self.assertEqual(page['total'], 7)
        self.assertEqual([v['serial'] for v in page['vehicles']],
            ['V2', 'V3', 'V4'])
        self.assertEqual(page['vehicles'][0]['product'],
            "[MC-G4] MC-G4 Golf Cart")
        self.assertEqual(Vehicle.fleet_map_list('forklift')['total'], 2)
        self.assertEqual([v['serial'] for v in Vehicle.fleet_map_list(
                        'GW-6')['vehicles']], ['V6'])
        self.assertEqual(Vehicle.fleet_map_list(
                None, ['in_repair'])['total'], 0)

    @with_transaction()
    def test_fleet_map_bad_input(self):
        "A view or page the map cannot show is refused with a clear error"
        Vehicle = Pool().get('device.vehicle')
        self._setup()
        for view in [None, [], {'zoom': 5}, {'bounds': [1, 2, 3], 'zoom': 5},
                {'bounds': [10, 0, 5, 1], 'zoom': 5},
                {'bounds': [0, 0, 1, 'x'], 'zoom': 5},
                {'bounds': [0, 0, 1, 1], 'zoom': 99},
                {'bounds': [0, 0, 1, 1], 'zoom': 5.5},
                {'bounds': [0, 0, 1, 1], 'zoom': 5, 'statuses': ['lost']},
                {'bounds': [0, 0, 1, 1], 'zoom': 5, 'since': 'yesterday'},
                {'bounds': [0, 0, 1, 1], 'zoom': 5, 'known': ['1']},
                {'bounds': [0, 0, 1, 1], 'zoom': 5,
                    'known': list(range(2 * MAX_VEHICLES + 1))},
                ]:
            with self.subTest(view=view), \
                    self.assertRaisesRegex(UserError, 'fleet map'):
                Vehicle.fleet_map(view)
        for args in [('x', None, -1), ('x', None, 0, 0), (3,),
                ('x', None, 0, 10000), ('x', 'rented')]:
            with self.subTest(args=args), \
                    self.assertRaisesRegex(UserError, 'fleet map'):
                Vehicle.fleet_map_list(*args)

    @with_transaction()
    def test_fleet_map_setup(self):
        "The page's strings come in the reader's language"
        Vehicle = Pool().get('device.vehicle')
        setup = Vehicle.fleet_map_setup()
        self.assertEqual(setup['labels']['title'], "Fleet Map")
        self.assertEqual(setup['fields']['soc'], "State of Charge")
        self.assertIn(('in_repair', "In Repair"),
            [tuple(s) for s in setup['statuses']])
        self.assertFalse(setup['replay'])

    @with_transaction()
    def test_fleet_map_url(self):
        "The map opens under the database's path, on the vehicle if any"
        pool = Pool()
        Wizard = pool.get('device.fleet_map.open', type='wizard')
        self._setup()
        vehicle = self._vehicle('V1')
        database = Transaction().database.name
        with set_company(self.company), \
                Transaction().set_context(active_model='device.vehicle',
                active_id=vehicle.id, active_ids=[vehicle.id]):
            session_id, _, _ = Wizard.create()
            result = Wizard.execute(session_id, {}, 'open_')
        (action, _), = result['actions']
        self.assertEqual(action['type'], 'ir.action.url')
        self.assertEqual(action['url'],
            f'/{quote(database)}/device/fleet-map?vehicle={vehicle.id}')


del ModuleTestCase
