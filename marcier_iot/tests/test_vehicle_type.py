# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Vehicle types: onboarding from a DBC and a CAN log (issue 13).

The module's generic checks run in test_module; here only the type and
its wizard, on the three makes of marcier_wire's data."""
import json
import unittest

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from marcier_base.tests.test_module import setup_agents
from marcier_wire import data_file, dbc, mapping

from ..exceptions import VehicleTypeError, VehicleTypeWarning


def dbc_file(name):
    return data_file(name).read_bytes()


def candump(database, frames):
    "A candump -L log of (message name, signals)"
    lines = []
    for n, (name, signals) in enumerate(frames):
        message = database.get_message_by_name(name)
        frame_id = (f'{message.frame_id:08X}' if message.is_extended_frame
            else f'{message.frame_id:03X}')
        lines.append(f'({1767225600 + n / 10:.6f}) can0 {frame_id}#'
            f'{message.encode(signals).hex().upper()}')
    return '\n'.join(lines).encode() + b'\n'


class VehicleTypeTestCase(unittest.TestCase):
    "Test vehicle types"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('marcier_iot')

    def _start(self, name, data):
        pool = Pool()
        Onboard = pool.get('iot.vehicle.type.onboard', type='wizard')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        unit, = Uom.search([], limit=1)
        product, = Template.create([{'name': f"{name} product",
                    'default_uom': unit.id}])
        session, _, _ = Onboard.create()
        return Onboard, session, {'name': name, 'products': [product.id],
            'report_interval': 10, 'dbc': data,
            'dbc_filename': 'type.dbc'}

    @with_transaction()
    def test_onboard_forklift(self):
        "DBC → proposed map → test decode of a CAN log → vehicle type"
        pool = Pool()
        VehicleType = pool.get('iot.vehicle.type')
        Onboard, session, start = self._start(
            "Forklift FE25", dbc_file('hexin_forklift.dbc'))
        result = Onboard.execute(session, {'start': start}, 'read_dbc')
        values = result['view']['defaults']
        self.assertEqual(values['summary'], "6 messages, 25 signals "
            "(6 with extended ids, 0 CAN FD, 1 multiplexed)")
        self.assertEqual(values['warnings'], '')
        lines = {line['quantity']: line for line in values['lines']}
        self.assertEqual(
            (lines['lift']['signal'], lines['lift']['factor']),
            ('LiftHeight', 0.001))
        self.assertEqual(
            (lines['lift']['low'], lines['lift']['high'], lines['lift']['unit']),
            (0, 20, 'm'))

        # the operator narrows the lift's range and drops the tilt
        lines['lift']['high'] = 1.2
        del lines['tilt']
        database = dbc.load(start['dbc']).database
        log = candump(database, [
                ('TRK_Hydraulic', {'LiftHeight': 850, 'LoadWeight': 85,
                        'TiltAngle': 2.5, 'PumpMotorRpm': 1800}),
                ('TRK_Hydraulic', {'LiftHeight': 2350, 'LoadWeight': 85,
                        'TiltAngle': 2.5, 'PumpMotorRpm': 1800}),
                ('BMS_Temps', {'TempPage': 1, 'MotorTemp': 66,
                        'CtrlTemp': 48}),
                ])
        map_ = {**values, 'lines': list(lines.values()), 'log': log,
            'log_filename': 'trace.log'}
        result = Onboard.execute(session, {'map': map_}, 'test')
        self.assertEqual(result['view']['defaults']['decoded'].splitlines(), [
                '   0.000s 0x18ff1121 TRK_Hydraulic: lift=0.85 m  '
                'load=850 kg',
                '   0.100s 0x18ff1121 TRK_Hydraulic: load=850 kg  '
                'lift=2.35 m (out of range)',
                '   0.200s 0x18ff3021 BMS_Temps: mt=66 degC  ct=48 degC',
                ])

        Onboard.execute(session, {'map': map_}, 'create_')
        type_, = VehicleType.search([])
        self.assertEqual(
            (type_.name, [p.name for p in type_.products],
                type_.report_interval),
            ("Forklift FE25", ["Forklift FE25 product"], 10))
        self.assertEqual(type_.dbc_warnings, '')
        signal_map = type_.mapping
        self.assertNotIn('tilt', signal_map.entries)
        self.assertEqual(signal_map.ranges['lift'], (0, 1.2))
        self.assertEqual(signal_map.entries['wh'].factor, 1 / 60)
        self.assertEqual(json.loads(type_.signal_map)['version'],
            mapping.VERSION)

    @with_transaction()
    def test_onboard_fatal_dbc(self):
        "A DBC that cannot be used stops the wizard with its line"
        Onboard, session, start = self._start("Broken", dbc_file(
                'marcier_vehicle.dbc').replace(b'SG_ SoC : 32|10@1+',
                b'SG_ SoC : 32|10@1+ ('))
        with self.assertRaises(VehicleTypeError) as error:
            Onboard.execute(session, {'start': start}, 'read_dbc')
        self.assertEqual(error.exception.message, 'The DBC file of vehicle '
            'type "Broken" cannot be used: line 12: invalid syntax at column '
            '23 near \'(0.1,0) [0|100] "%" GW\'')

    @with_transaction()
    def test_onboard_lenient_dbc(self):
        "A DBC with non-fatal problems loads once the operator agrees"
        pool = Pool()
        Warning = pool.get('res.user.warning')
        Onboard, session, start = self._start(
            "Sweeper S80", dbc_file('qingyuan_sweeper.dbc'))
        with self.assertRaises(VehicleTypeWarning) as warning:
            Onboard.execute(session, {'start': start}, 'read_dbc')
        self.assertIn('2 problems are overlooked', warning.exception.message)
        self.assertIn('line 74: value table of unknown signal SqueegeeMode',
            warning.exception.message)
        Warning.skip(warning.exception.name)
        result = Onboard.execute(session, {'start': start}, 'read_dbc')
        values = result['view']['defaults']
        self.assertEqual(values['warnings'].splitlines(), [
                'line 10: value table LegacyModes is used by no signal',
                'line 74: value table of unknown signal SqueegeeMode of '
                'message id 1298 ignored'])
        self.assertIn('brush',
            {line['quantity'] for line in values['lines']})

        with self.assertRaises(VehicleTypeError) as error:
            Onboard.execute(session, {'map': values}, 'test')
        self.assertEqual(error.exception.message,
            "Upload a CAN log to test the signal map.")
        with self.assertRaises(VehicleTypeError) as error:
            Onboard.execute(session, {'map': {**values,
                        'log': b'id,data\n', 'log_filename': 'x.csv'}},
                'test')
        self.assertEqual(error.exception.message, "The CAN log cannot be "
            "read: not a CAN log: expected candump -L, Vector ASC or BLF")

    @with_transaction()
    def test_onboard_refuses_bad_edits(self):
        "Edited lines must name the DBC's signals, once per quantity"
        Onboard, session, start = self._start(
            "Cart", dbc_file('marcier_vehicle.dbc'))
        values = Onboard.execute(
            session, {'start': start}, 'read_dbc')['view']['defaults']
        # back to the first page and on again: the upload is kept
        back = Onboard.execute(session, {'map': values}, 'start')
        self.assertEqual(back['view']['defaults']['name'], "Cart")
        self.assertEqual(back['view']['defaults']['dbc'], start['dbc'])
        values = Onboard.execute(
            session, {'start': start}, 'read_dbc')['view']['defaults']
        lines = values['lines']
        lines[0] = {**lines[0], 'signal': 'Lattitude'}
        lines.append({**lines[1]})
        lines[2] = {**lines[2], 'low': 10, 'high': -10}
        with self.assertRaises(VehicleTypeError) as error:
            Onboard.execute(session, {'map': values}, 'create_')
        self.assertEqual(error.exception.message, 'The signal map of '
            'vehicle type "Cart" is not valid: lon: mapped more than once; '
            f'{lines[2]["quantity"]}: low above high; '
            'lat: no signal Lattitude in message GPS_Position')

    @with_transaction()
    def test_signal_map_checked_against_the_dbc(self):
        "A type's map names only its DBC's signals and is valid JSON"
        VehicleType = Pool().get('iot.vehicle.type')
        data = dbc_file('marcier_vehicle.dbc')
        good = mapping.Mapping([mapping.Entry('soc', 'BMS_Pack', 'SoC')])
        type_, = VehicleType.create([{'name': "Cart", 'dbc': data,
                    'signal_map': good.to_json()}])
        self.assertEqual(type_.report_interval, 5)  # the configuration's
        bad = mapping.Mapping([mapping.Entry('soc', 'BMS_Pack', 'SOC')])
        with self.assertRaises(VehicleTypeError) as error:
            VehicleType.write([type_], {'signal_map': bad.to_json()})
        self.assertEqual(error.exception.message, 'The signal map of '
            'vehicle type "Cart" is not valid: soc: no signal SOC in '
            'message BMS_Pack')
        with self.assertRaises(VehicleTypeError) as error:
            VehicleType.write([type_], {'signal_map': '{"version": 1,'})
        self.assertIn('not JSON', error.exception.message)
        # a new DBC without the mapped signal is refused too
        with self.assertRaises(VehicleTypeError):
            VehicleType.write([type_],
                {'dbc': data.replace(b' SoC ', b' SOC ')})
        with self.assertRaises(VehicleTypeError) as error:
            VehicleType.write([type_], {'dbc': b'BO_ x'})
        self.assertIn('cannot be used: line 1: invalid syntax',
            error.exception.message)

    @with_transaction()
    def test_dbc_warnings_follow_the_file(self):
        VehicleType = Pool().get('iot.vehicle.type')
        type_, = VehicleType.create([{'name': "Sweeper",
                    'dbc': dbc_file('qingyuan_sweeper.dbc'),
                    'signal_map': mapping.Mapping().to_json()}])
        self.assertEqual(len(type_.dbc_warnings.splitlines()), 2)
        VehicleType.write([type_], {'dbc': dbc_file('marcier_vehicle.dbc')})
        self.assertEqual(type_.dbc_warnings, '')

    @with_transaction()
    def test_access(self):
        "Operators keep the types, agents read them"
        VehicleType = Pool().get('iot.vehicle.type')
        setup_agents(self)
        transaction = Transaction()
        values = {'name': "Cart", 'dbc': dbc_file('marcier_vehicle.dbc'),
            'signal_map': mapping.Mapping().to_json()}
        with transaction.set_user(self.operator.id), \
                transaction.set_context(_check_access=True):
            type_, = VehicleType.create([values])
            VehicleType.write([type_], {'report_interval': 30})
        with transaction.set_user(self.staff_a.id), \
                transaction.set_context(_check_access=True):
            self.assertEqual(VehicleType.search([]), [type_])
            with self.assertRaises(AccessError):
                VehicleType.write([type_], {'report_interval': 1})
            with self.assertRaises(AccessError):
                VehicleType.create([{**values, 'name': "Other"}])
