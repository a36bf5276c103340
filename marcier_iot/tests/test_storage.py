# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Telemetry storage that lasts (issue 15): day partitions on PostgreSQL,
created ahead and on demand, dropped after the retention; an existing
table converted without losing a row; SQLite keeps working by deleting."""
import datetime as dt
import unittest

from trytond import backend
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, activate_module, with_transaction)
from trytond.transaction import Transaction

from marcier_base.tests.test_module import create_agent

from .. import partition

postgresql = unittest.skipUnless(backend.name == 'postgresql',
    "partitions are PostgreSQL's")


def row(vehicle, time, soc=50.0):
    "A row in the listener's column order (Telemetry.store)"
    from ..telemetry import STORED
    values = dict.fromkeys(STORED)
    values.update({'vehicle': vehicle.id, 'company': vehicle.company.id,
            'agent': vehicle.agent.id, 'timestamp': time, 'received': time,
            'create_uid': 0, 'create_date': time, 'soc': soc})
    return tuple(values[c] for c in STORED)


class StorageTestCase(unittest.TestCase):
    "Test telemetry storage"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('marcier_iot')

    def _vehicle(self):
        Vehicle = Pool().get('device.vehicle')
        company = create_company()
        agent = create_agent(company, 'A')
        with set_company(company):
            vehicle, = Vehicle.create([{'serial': 'S1',
                        'company': company.id, 'agent': agent.id}])
        return vehicle

    @postgresql
    @with_transaction()
    def test_partitions_ahead_and_on_demand(self):
        Telemetry = Pool().get('iot.telemetry')
        self.assertEqual(partition.kind('iot_telemetry'), 'p')
        today = dt.date.today()
        days = set(partition.days('iot_telemetry'))
        self.assertLessEqual({today + dt.timedelta(days=n)
                for n in range(-8, 4)}, days)
        vehicle = self._vehicle()
        # a day no task prepared (a server down for weeks)
        old = dt.datetime.combine(today - dt.timedelta(days=40),
            dt.time(10))
        self.assertEqual(Telemetry.store([row(vehicle, old),
                    row(vehicle, old + dt.timedelta(minutes=1))]), 2)
        self.assertIn(old.date(), partition.days('iot_telemetry'))
        # the (vehicle, time) key still refuses a redelivery
        self.assertEqual(Telemetry.store([row(vehicle, old)]), 0)

    @postgresql
    @with_transaction()
    def test_partition_rolled_back_forgotten(self):
        "A partition a rolled back batch created is not taken as existing"
        from .. import telemetry
        Telemetry = Pool().get('iot.telemetry')
        vehicle = self._vehicle()
        old = dt.datetime.combine(dt.date.today() - dt.timedelta(days=50),
            dt.time(10))
        Telemetry.store([row(vehicle, old)])
        self.assertIn(old.date(), telemetry._partitions[DB_NAME])
        Transaction().rollback()
        self.assertNotIn(old.date(), partition.days('iot_telemetry'))
        self.assertNotIn(old.date(),
            telemetry._partitions.get(DB_NAME, set()))

    @with_transaction()
    def test_retention(self):
        "Beyond the retention raw reports and rejects go, the rest stays"
        pool = Pool()
        Telemetry = pool.get('iot.telemetry')
        Reject = pool.get('iot.telemetry.reject')
        Configuration = pool.get('iot.configuration')
        Configuration.write([Configuration(1)], {'telemetry_retention': 10})
        vehicle = self._vehicle()
        now = dt.datetime.combine(dt.date.today(), dt.time(9))
        times = [now - dt.timedelta(days=d) for d in (0, 9, 11, 30)]
        Telemetry.store([row(vehicle, t) for t in times])
        Reject.log([(t, 'x', 'gw', 'malformed', 'bad', b'{')
                for t in times])
        Telemetry.manage_storage()
        kept = [t.timestamp for t in Telemetry.search(
                [('vehicle', '=', vehicle.id)],
                order=[('timestamp', 'DESC')])]
        self.assertEqual(kept, times[:2])
        self.assertEqual(sorted(r.received for r in Reject.search([])),
            sorted(times[:2]))
        if backend.name == 'postgresql':
            cutoff = dt.date.today() - dt.timedelta(days=10)
            self.assertTrue(all(d >= cutoff
                    for d in partition.days('iot_telemetry')))
            # ahead of today too
            self.assertIn(dt.date.today() + dt.timedelta(days=3),
                partition.days('iot_telemetry'))
        with self.assertRaises(Exception):
            Configuration.write([Configuration(1)],
                {'telemetry_retention': 3})

    @postgresql
    @with_transaction()
    def test_convert_keeps_rows_and_ids(self):
        "The migration of an unpartitioned table"
        cursor = Transaction().connection.cursor()
        cursor.execute('CREATE TABLE conv_test ('
            'id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, '
            'time TIMESTAMP NOT NULL, value FLOAT)')
        cursor.execute("INSERT INTO conv_test (time, value) "
            "SELECT TIMESTAMP '2026-01-01 23:00' + n * INTERVAL '1 hour', n "
            "FROM generate_series(0, 49) AS n")
        partition.convert('conv_test', 'time')
        self.assertEqual(partition.kind('conv_test'), 'p')
        self.assertEqual(partition.days('conv_test')[0], dt.date(2026, 1, 1))
        self.assertEqual(len(partition.days('conv_test')), 4)
        cursor.execute('SELECT COUNT(*), SUM(value), MAX(id) '
            'FROM conv_test')
        self.assertEqual(cursor.fetchone(), (50, sum(range(50)), 50))
        # new rows continue the ids
        cursor.execute("INSERT INTO conv_test (time, value) "
            "VALUES ('2026-01-02 12:00', 0) RETURNING id")
        self.assertEqual(cursor.fetchone()[0], 51)
        self.assertEqual(partition.drop_before('conv_test',
                dt.date(2026, 1, 3)), [dt.date(2026, 1, 1),
                dt.date(2026, 1, 2)])
        cursor.execute('SELECT COUNT(*) FROM conv_test')
        self.assertEqual(cursor.fetchone()[0], 25)  # 3 and 4 January

    @postgresql
    def test_concurrent_batches_of_one_vehicle(self):
        """Two listeners' batches on the same vehicle: the second waits
        for the first and commits (REPEATABLE READ made it fail)"""
        import json
        import threading
        import time

        from marcier_wire.transport import LocalHub, LocalLink

        from .. import ingest
        from ..listener import Listener
        with Transaction().start(DB_NAME, 0,
                _lock_tables=['iot_configuration']) as transaction:
            Configuration = Pool().get('iot.configuration')
            Configuration.write([Configuration(1)], {'tenant': 'rc'})
            vehicle = self._vehicle()
            Pool().get('device.vehicle').write([vehicle],
                {'gateway_id': 'gw-rc'})
            transaction.commit()
        now = time.time()

        def batch(ts, soc):
            return [ingest.Message('marcier/rc/gw-rc/telemetry',
                    json.dumps({'ts': ts, 'ver': 2, 'soc': soc}).encode(),
                    now)]
        listener = Listener(LocalLink(LocalHub()), DB_NAME, 'rc')
        outcomes = []
        with Transaction().start(DB_NAME, 0) as first:
            ingest.process('rc', batch(now - 2, 50.0), now)  # holds the row
            second = threading.Thread(target=lambda: outcomes.append(
                    listener.store(batch(now - 1, 49.0))))
            second.start()
            time.sleep(1)  # the second waits on the vehicle's row
            self.assertEqual(outcomes, [])
            first.commit()
        second.join(30)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Vehicle = pool.get('device.vehicle')
            Telemetry = pool.get('iot.telemetry')
            vehicle, = Vehicle.search([('gateway_id', '=', 'gw-rc')])
            try:
                self.assertEqual(outcomes[0].stored, 1)
                self.assertEqual(vehicle.soc, 49.0)  # the newer one
            finally:  # committed: the other tests start without them
                cursor = transaction.connection.cursor()
                table = Telemetry.__table__()
                cursor.execute(*table.delete(
                        where=table.vehicle == vehicle.id))
                Vehicle.delete([vehicle])
                transaction.commit()
