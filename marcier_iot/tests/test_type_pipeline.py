# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Vehicle types on the platform side (issue 13): a product names its
vehicles' type, the listener checks their reports against the type's
ranges and keeps every other signal, the chart draws any of them, and a
type change reaches the gateways once committed."""
import datetime as dt
import json
import tempfile
import time
import unittest
from pathlib import Path

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, activate_module, with_transaction)
from trytond.transaction import Transaction

from marcier_base.tests.test_module import create_agent
from marcier_wire import data_file, dbc, mapping, profile, topics
from marcier_wire.transport import LocalHub

from .. import downlink, ingest

TENANT = 'types'


def forklift_values(name="Forklift FE25"):
    data = data_file('hexin_forklift.dbc').read_bytes()
    signal_map = mapping.propose(dbc.load(data).database)
    # the operator narrows the forklift's speed
    signal_map.ranges['spd'] = (0, 25)
    return {'name': name, 'dbc': data, 'dbc_filename': 'forklift.dbc',
        'signal_map': signal_map.to_json()}


def message(gateway, values):
    return ingest.Message(f'marcier/{TENANT}/{gateway}/telemetry',
        json.dumps(values).encode(), time.time())


class TypePipelineTestCase(unittest.TestCase):
    "Test vehicle types in the IoT pipeline"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('marcier_iot')

    def _setup(self):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        VehicleType = pool.get('iot.vehicle.type')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Configuration = pool.get('iot.configuration')
        Configuration.write([Configuration(1)], {'tenant': TENANT})
        company = create_company()
        agent = create_agent(company, 'A')
        forklift, = VehicleType.create([forklift_values()])
        unit, = Uom.search([], limit=1)
        product, plain = Template.create([{
                    'name': "FE25", 'default_uom': unit.id,
                    'vehicle_type': forklift.id,
                    }, {'name': "Golf cart", 'default_uom': unit.id}])
        with set_company(company):
            vehicles = Vehicle.create([{'serial': serial,
                        'company': company.id, 'agent': agent.id,
                        'gateway_id': f'gw-{serial}', 'product': p.id}
                    for serial, p in [('F1', product), ('G1', plain)]])
        return forklift, product, vehicles

    @with_transaction()
    def test_reports_checked_per_type_and_every_signal_kept(self):
        pool = Pool()
        Telemetry = pool.get('iot.telemetry')
        Reject = pool.get('iot.telemetry.reject')
        forklift, _, (fork, cart) = self._setup()
        self.assertEqual(fork.vehicle_type, forklift)
        self.assertIsNone(cart.vehicle_type)
        now = time.time()
        fast = {'ts': now - 5, 'ver': 2, 'spd': 30.0, 'soc': 50.0}
        outcome = ingest.process(TENANT, [
                message('gw-F1', {'ts': now - 10, 'ver': 2, 'soc': 80.0,
                        'lift': 1.5, 'load': 1200.0, 'tilt': -3.5,
                        'x': {'TRK_Hydraulic.PumpMotorRpm': 2200,
                            'TRK_Drive.SeatSwitch': 1}}),
                # the forklift's range refuses 30 km/h, the golf cart's not
                message('gw-F1', fast),
                message('gw-G1', fast),
                ], now)
        self.assertEqual((outcome.stored, dict(outcome.rejects)),
            (2, {'range': 1}))
        reject, = Reject.search([])
        self.assertEqual(reject.detail, 'spd=30.0 outside [0, 25]')
        row, = Telemetry.search([('vehicle', '=', fork.id)])
        self.assertEqual((row.lift_height, row.load_weight, row.fork_tilt),
            (1.5, 1200.0, -3.5))
        self.assertEqual(row.extra, {'TRK_Hydraulic.PumpMotorRpm': 2200,
                'TRK_Drive.SeatSwitch': 1})
        row, = Telemetry.search([('vehicle', '=', cart.id)])
        self.assertEqual((row.speed, row.extra), (30.0, None))

        # a narrower range reaches the listener at once (cache cleared)
        signal_map = forklift.mapping
        signal_map.ranges['soc'] = (10, 100)
        forklift.signal_map = signal_map.to_json()
        forklift.save()
        outcome = ingest.process(TENANT, [message('gw-F1',
                    {'ts': now - 1, 'ver': 2, 'soc': 5.0})], now)
        self.assertEqual(dict(outcome.rejects), {'range': 1})

    @with_transaction()
    def test_chart_of_work_and_other_signals(self):
        Chart = Pool().get('iot.telemetry.chart')
        _, _, (fork, _) = self._setup()
        start = time.time() // 60 * 60 - 120
        ingest.process(TENANT, [message('gw-F1', {'ts': start + s, 'ver': 2,
                        'load': 100.0 * s, 'lift': s / 100,
                        'x': {'TRK_Hydraulic.PumpMotorRpm': 1000 + s}})
                for s in (1, 2, 61)], time.time())
        context = {'vehicle': fork.id,
            'from_': dt.datetime.utcfromtimestamp(start - 60),
            'to': dt.datetime.utcfromtimestamp(start + 300)}
        with Transaction().set_context(context,
                signal='TRK_Hydraulic.PumpMotorRpm'):
            points = Chart.search([])
            self.assertEqual(
                [(p.samples, p.load_weight, p.signal) for p in points],
                [(2, 200.0, 1001.5), (1, 6100.0, 1061.0)])
        # a name that is not a signal's charts nothing (never SQL)
        with Transaction().set_context(context, signal="x'); DROP"):
            self.assertEqual({p.signal for p in Chart.search([])}, {None})

    def test_type_change_reaches_gateways_after_commit(self):
        "Retained on each gateway's config topic, never on rollback"
        hub = downlink.HUB = LocalHub()
        received = []

        class Link:
            def _deliver(self, topic, payload):
                received.append((topic, payload))
        try:
            # the first write of the settings locks their table
            with Transaction().start(DB_NAME, 0,
                    _lock_tables=['iot_configuration']) as transaction:
                forklift, product, (fork, cart) = self._setup()
                ids = forklift.id, product.id, cart.id
                transaction.commit()
            config = topics.topic(TENANT, 'gw-F1', topics.CONFIG)
            hub.subscribe(Link(), f'marcier/{TENANT}/+/config')
            # registering the vehicles sent their profiles
            sent = dict(received)
            self.assertEqual(
                profile.Profile.from_json(sent[config]).code,
                "Forklift FE25")
            self.assertEqual(
                profile.Profile.from_json(sent[config.replace('F1', 'G1')]
                    ).digest, profile.builtin().digest)

            received.clear()
            with self.assertRaises(ZeroDivisionError), \
                    Transaction().start(DB_NAME, 0):
                VehicleType = Pool().get('iot.vehicle.type')
                VehicleType.write([VehicleType(ids[0])],
                    {'report_interval': 30})
                1 / 0
            self.assertEqual(received, [])
            with Transaction().start(DB_NAME, 0) as transaction:
                pool = Pool()
                VehicleType = pool.get('iot.vehicle.type')
                Template = pool.get('product.template')
                VehicleType.write([VehicleType(ids[0])],
                    {'report_interval': 30})
                # the golf cart's product becomes a forklift
                Template.write([Template(
                            pool.get('device.vehicle')(ids[2]).product)],
                    {'vehicle_type': ids[0]})
                transaction.commit()
            sent = dict(received)
            self.assertEqual(set(sent), {config, config.replace('F1', 'G1')})
            for payload in sent.values():
                self.assertEqual(
                    profile.Profile.from_json(payload).interval, 30.0)
        finally:
            downlink.HUB = None
            with Transaction().start(DB_NAME, 0) as transaction:
                pool = Pool()
                for model in ['device.vehicle', 'product.template',
                        'iot.vehicle.type']:
                    Model = pool.get(model)
                    with Transaction().set_context(active_test=False):
                        Model.delete(Model.search([]))
                transaction.commit()

    @with_transaction()
    def test_gateway_config_files(self):
        "The config names the profile written next to it"
        Gateway = Pool().get('iot.gateway')
        self._setup()
        gateway, = Gateway.search([('username', '=', 'gw-F1')])
        with tempfile.TemporaryDirectory() as folder:
            config, written = gateway.write_config(folder)
            self.assertIn(f'profile = {written.name}\n',
                config.read_text())
            self.assertEqual(config.stat().st_mode & 0o777, 0o600)
            loaded = profile.Profile.from_json(written.read_bytes())
            self.assertEqual(loaded.mapping.ranges['spd'], (0, 25))
            self.assertEqual(Path(folder, 'gw-F1.profile.json'), written)

    @with_transaction()
    def test_migrate_type_code(self):
        "Types that named their catalogue model by code link its products"
        pool = Pool()
        VehicleType = pool.get('iot.vehicle.type')
        Template = pool.get('product.template')
        forklift, product, _ = self._setup()
        Template.write([product], {'vehicle_type': None, 'code': 'FE25'})
        table = VehicleType.__table_handler__('marcier_iot')
        table.add_column('product_model', 'VARCHAR')
        type_ = VehicleType.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*type_.update([type_.product_model], ['FE25']))
        Template._migrate_vehicle_type_code('marcier_iot')
        template = Template.__table__()
        cursor.execute(*template.select(template.vehicle_type,
                where=template.id == product.id))
        self.assertEqual(cursor.fetchone(), (forklift.id,))
        self.assertFalse(VehicleType.__table_handler__(
                'marcier_iot').column_exist('product_model'))
