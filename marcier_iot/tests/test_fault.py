# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The fault catalogue of vehicle types (issue 17): seeded from the value
tables of the three makes of marcier_wire's data, kept through reseeding,
linked from controller fault alarms."""
import datetime as dt
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from marcier_base.tests.test_module import setup_agents
from marcier_wire import data_file, dbc, faults, mapping
from marcier_wire.profile import BUILTIN_DBC

from ..exceptions import FaultError
from ..fault import SYSTEMS

# (code, name, system, severity) known from the DBC files' VAL_ lines
MARCIER = [
    (0x1001, 'OVERCURRENT', 'controller', 'critical'),
    (0x1002, 'PHASE_LOSS', 'motor', 'warning'),
    (0x1003, 'HALL_SENSOR', 'motor', 'warning'),
    (0x2001, 'CONTROLLER_OVERHEAT', 'controller', 'critical'),
    (0x2002, 'MOTOR_OVERHEAT', 'motor', 'critical'),
    (0x3001, 'UNDERVOLTAGE', 'battery', 'warning'),
    (0x3002, 'OVERVOLTAGE', 'battery', 'warning'),
    (0x4001, 'THROTTLE_FAULT', 'other', 'warning'),
    (0x4002, 'BRAKE_SWITCH', 'brakes_steering', 'warning'),
    (0x5001, 'CAN_TIMEOUT', 'other', 'warning'),
    ]
FORKLIFT = [
    (17, '欠压', 'battery', 'warning'),
    (18, '过流', 'controller', 'critical'),
    (33, '控制器过热', 'controller', 'critical'),
    (34, '电机过热', 'motor', 'critical'),
    (49, '油泵堵转', 'hydraulics', 'critical'),
    (65, '超载', 'other', 'warning'),
    ]
SWEEPER = [
    (257, 'BRUSH_OVERCURRENT', 'work_equipment', 'critical'),
    (258, 'BRUSH_STALL', 'work_equipment', 'critical'),
    (513, 'VACUUM_MOTOR_FAULT', 'work_equipment', 'warning'),
    (769, 'WATER_PUMP_DRY', 'work_equipment', 'warning'),
    (1025, 'BATTERY_LOW', 'battery', 'warning'),
    ]


def type_values(name, file_name, signal_map=None):
    data = data_file(file_name).read_bytes()
    if signal_map is None:
        signal_map = mapping.propose(dbc.load(data).database)
    return {'name': name, 'dbc': data, 'dbc_filename': file_name,
        'signal_map': signal_map.to_json()}


class FaultTestCase(unittest.TestCase):
    "Test the fault catalogue"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('marcier_iot')

    def _catalogue(self, type_):
        return [(f.code, f.name, f.system, f.severity) for f in type_.faults]

    def test_systems_of_the_guess(self):
        "Every system the labels are guessed into is a selection value"
        self.assertEqual([s for s, _ in SYSTEMS], faults.SYSTEMS)

    def test_guess(self):
        for label, expected in [
                ('MotorOverheat', ('motor', 'critical')),
                ('OVER_CURRENT', ('other', 'critical')),
                ('Charger_Comm_Lost', ('charger', 'warning')),
                ('BMS_CELL_IMBALANCE', ('battery', 'warning')),
                ('Lift pump stall', ('hydraulics', 'critical')),
                ('转向故障', ('brakes_steering', 'warning')),
                ('无故障', ('other', 'warning')),
                ]:
            self.assertEqual(faults.guess(label), expected, label)
        self.assertFalse(faults.is_fault(0, 'OVERCURRENT'))
        self.assertFalse(faults.is_fault(1, 'No_Fault'))

    @with_transaction()
    def test_seeded_from_the_dbc(self):
        "A type made with a DBC gets its value table's faults"
        VehicleType = Pool().get('iot.vehicle.type')
        cart, forklift, sweeper = VehicleType.create([
                type_values("Cart", BUILTIN_DBC),
                type_values("Forklift", 'hexin_forklift.dbc'),
                type_values("Sweeper", 'qingyuan_sweeper.dbc'),
                ])
        self.assertEqual(self._catalogue(cart), MARCIER)
        self.assertEqual(self._catalogue(forklift), FORKLIFT)
        self.assertEqual(self._catalogue(sweeper), SWEEPER)
        self.assertEqual(cart.faults[0].rec_name, '0x1001 OVERCURRENT')
        self.assertEqual(forklift.faults[0].rec_name, '0x0011 欠压')

    @with_transaction()
    def test_reseeding_keeps_edits(self):
        "Seeding again adds the missing codes and changes none"
        pool = Pool()
        VehicleType = pool.get('iot.vehicle.type')
        Fault = pool.get('iot.fault')
        type_, = VehicleType.create([type_values("Sweeper",
                    'qingyuan_sweeper.dbc')])
        brush, stall = type_.faults[:2]
        Fault.write([brush], {'name': "Main brush overcurrent",
                'system': 'motor', 'severity': 'warning',
                'causes': "Tangled string", 'repair_hours': 0.5})
        Fault.delete([stall])
        VehicleType.seed_faults([type_])
        self.assertEqual(self._catalogue(VehicleType(type_.id)),
            [(257, "Main brush overcurrent", 'motor', 'warning')]
            + SWEEPER[1:])
        self.assertEqual(Fault(brush.id).causes, "Tangled string")

    @with_transaction()
    def test_no_fault_value_table(self):
        "The button says why a type has nothing to seed"
        VehicleType = Pool().get('iot.vehicle.type')
        data = data_file(BUILTIN_DBC).read_bytes()
        proposal = mapping.propose(dbc.load(data).database)
        no_signal = mapping.Mapping([proposal.entries['soc']])
        no_table = mapping.Mapping([mapping.Entry(
                    'fc', 'Motor_Status', 'MotorRpm')])
        plain, other = VehicleType.create([
                type_values("Plain", BUILTIN_DBC, no_signal),
                type_values("Other", BUILTIN_DBC, no_table)])
        self.assertEqual((plain.faults, other.faults), ((), ()))
        with self.assertRaises(FaultError) as error:
            VehicleType.seed_faults([plain])
        self.assertEqual(error.exception.message, 'The fault catalogue of '
            'vehicle type "Plain" cannot be seeded: its signal map gives no '
            'signal for the fault code.')
        with self.assertRaises(FaultError) as error:
            VehicleType.seed_faults([other])
        self.assertEqual(error.exception.message, 'The fault catalogue of '
            'vehicle type "Other" cannot be seeded: its fault code signal '
            'Motor_Status.MotorRpm has no value table in the DBC file.')

    @with_transaction()
    def test_alarm_links_its_fault(self):
        "A fault code alarm shows its type's entry, closed or not"
        pool = Pool()
        VehicleType = pool.get('iot.vehicle.type')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Vehicle = pool.get('device.vehicle')
        Alarm = pool.get('iot.alarm')
        setup_agents(self)
        forklift, sweeper = VehicleType.create([
                type_values("Forklift", 'hexin_forklift.dbc'),
                type_values("Sweeper", 'qingyuan_sweeper.dbc')])
        unit, = Uom.search([], limit=1)
        product, = Template.create([{'name': "FE25",
                    'default_uom': unit.id, 'vehicle_type': forklift.id}])
        with set_company(self.company):
            vehicle, = Vehicle.create([{'serial': 'F1',
                        'company': self.company.id,
                        'agent': self.agent_a.id, 'product': product.id}])
            owners = {vehicle.id: (self.company.id, self.agent_a.id)}
            now = dt.datetime.now()
            alarm, = Alarm.evaluate(
                {vehicle.id: (now, {'fault_code': 49})}, owners, {})
            pump = forklift.faults[4]
            self.assertEqual(alarm.fault, pump)
            Alarm.evaluate({vehicle.id: (now, {'fault_code': 0})},
                owners, {})
            self.assertEqual(Alarm(alarm.id).state, 'closed')
            self.assertEqual(Alarm(alarm.id).fault, pump)
            # the sweeper's 49 is no fault: only the forklift's entry
            self.assertEqual(
                Alarm.search([('fault', '=', pump.id)]), [alarm])
            self.assertEqual(
                Alarm.search([('fault.system', '=', 'hydraulics')]), [alarm])
            self.assertEqual(
                Alarm.search([('fault', '=', sweeper.faults[0].id)]), [])

    @with_transaction()
    def test_access(self):
        "Operators keep the catalogue, agents read it"
        pool = Pool()
        VehicleType = pool.get('iot.vehicle.type')
        Fault = pool.get('iot.fault')
        setup_agents(self)
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        type_, = VehicleType.create([type_values("Forklift",
                    'hexin_forklift.dbc')])
        unit, = Uom.search([], limit=1)
        template, = Template.create([{'name': "Seat switch",
                    'default_uom': unit.id, 'products': [('create', [{}])]}])
        part, = template.products
        transaction = Transaction()
        with transaction.set_user(self.operator.id), \
                transaction.set_context(_check_access=True):
            entry, = Fault.create([{'vehicle_type': type_.id,
                        'code': 99, 'name': "Seat switch",
                        'parts': [('add', [part.id])]}])
            Fault.write([entry], {'checks': "Seat contact"})
            VehicleType.seed_faults([type_])
        with transaction.set_user(self.staff_a.id), \
                transaction.set_context(_check_access=True):
            self.assertEqual(len(Fault.search([])), 7)
            # what the catalogue's form shows them
            shown, = Fault.read([entry.id], ['rec_name', 'parts.rec_name'])
            self.assertEqual((shown['rec_name'],
                    [p['rec_name'] for p in shown['parts.']]),
                ('0x0063 Seat switch', ["Seat switch"]))
            with self.assertRaises(AccessError):
                Fault.write([entry], {'name': "Seat"})
            with self.assertRaises(AccessError):
                Fault.create([{'vehicle_type': type_.id, 'code': 100}])
