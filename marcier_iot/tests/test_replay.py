# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Replay on the fleet map (issue 15): a vehicle's track over a period or a
trip, thinned, without GPS jumps, with where driving events began and the
alarms raised; an agent replays its own vehicles only."""
import datetime as dt
import unittest
from urllib.parse import quote
from unittest.mock import patch

from trytond.exceptions import UserError
from trytond.modules.company.tests import set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from marcier_base.tests.test_module import setup_agents
from marcier_device.fleet_map import epoch
from marcier_device.tests.test_module import as_user

from .. import replay
from ..telemetry import STORED

GPS_JUMP = 1
HARSH_BRAKING = 2
OVERSPEED = 4


class ReplayTestCase(unittest.TestCase):
    "Test the replay of a vehicle's track"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('marcier_iot')

    def _setup(self):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Telemetry = pool.get('iot.telemetry')
        setup_agents(self)
        with set_company(self.company):
            self.mine, self.theirs = Vehicle.create([{
                        'serial': serial, 'company': self.company.id,
                        'agent': agent.id,
                        } for serial, agent in [('VA', self.agent_a),
                        ('VB', self.agent_b)]])
        # 100 reports 5 s apart, heading north-east: a GPS jump at 50,
        # harsh braking at 20, overspeed from 60 to 62
        self.start = (dt.datetime.now() - dt.timedelta(hours=2)).replace(
            microsecond=0)
        rows = []
        for n in range(100):
            quality = GPS_JUMP if n == 50 else 0
            events = (HARSH_BRAKING if n == 20 else 0) | (
                OVERSPEED if 60 <= n <= 62 else 0)
            lat = 45.0 if n == 50 else 31.2 + n * 1e-4
            rows.append(self._row(self.mine, n, lat, 121.4 + n * 1e-4,
                    quality=quality, events=events))
            rows.append(self._row(self.theirs, n, 39.9, 116.4))
        Telemetry.store(rows)

    def _row(self, vehicle, n, lat, lon, **values):
        "A report n × 5 s after the start, in the listener's column order"
        time = self.start + dt.timedelta(seconds=5 * n)
        row = dict.fromkeys(STORED)
        row.update({'vehicle': vehicle.id, 'company': vehicle.company.id,
                'agent': vehicle.agent.id, 'timestamp': time,
                'received': time, 'create_uid': 0, 'create_date': time,
                'latitude': lat, 'longitude': lon, 'speed': 20.0 + n,
                'quality': 0, 'events': 0, **values})
        return tuple(row[c] for c in STORED)

    def _at(self, n):
        return epoch(self.start + dt.timedelta(seconds=5 * n))

    def _alarm(self, vehicle, n):
        Alarm = Pool().get('iot.alarm')
        with set_company(self.company):
            return Alarm.create([{
                        'company': self.company.id,
                        'agent': vehicle.agent.id, 'vehicle': vehicle.id,
                        'kind': 'low_soc', 'value': 9.0,
                        'opened': self.start + dt.timedelta(seconds=5 * n),
                        }])[0]

    @with_transaction()
    def test_track(self):
        "Every clean position, where events began, the alarms on the track"
        Vehicle = Pool().get('device.vehicle')
        self._setup()
        self._alarm(self.mine, 31)
        self._alarm(self.theirs, 31)
        answer = Vehicle.fleet_replay(
            self.mine.id, self._at(0) - 60, self._at(99) + 60)
        self.assertEqual(answer['vehicle'],
            {'id': self.mine.id, 'serial': 'VA'})
        self.assertEqual(answer['total'], 99)
        self.assertEqual([p[0] for p in answer['points']],
            [self._at(n) for n in range(100) if n != 50])
        self.assertNotIn(45.0, [p[1] for p in answer['points']])
        self.assertEqual(answer['points'][0],
            [self._at(0), 31.2, 121.4, 20.0])
        self.assertEqual(answer['events'], [
                [self._at(20), 31.2 + 20e-4, 121.4 + 20e-4, ['harsh_braking']],
                [self._at(60), 31.2 + 60e-4, 121.4 + 60e-4, ['overspeed']],
                ])
        (time, lat, lon, kind, _), = answer['alarms']
        self.assertEqual((time, lat, lon, kind),
            (self._at(31), 31.2 + 31e-4, 121.4 + 31e-4, "Low Battery"))
        # A period before the reports: nothing
        empty = Vehicle.fleet_replay(
            self.mine.id, self._at(0) - 3600, self._at(0) - 60)
        self.assertEqual((empty['points'], empty['total']), ([], 0))

    @with_transaction()
    def test_long_track_thinned(self):
        "A long track keeps every n-th position, the last and the events"
        Vehicle = Pool().get('device.vehicle')
        self._setup()
        with patch.object(replay, 'MAX_POINTS', 10):
            answer = Vehicle.fleet_replay(
                self.mine.id, self._at(0), self._at(99))
        times = [p[0] for p in answer['points']]
        self.assertEqual(answer['total'], 99)
        self.assertLessEqual(len(times), 10 + 1 + 2)
        self.assertEqual(times[0], self._at(0))
        self.assertEqual(times[-1], self._at(99))
        self.assertIn(self._at(20), times)
        self.assertEqual(times, sorted(times))
        self.assertEqual(len(answer['events']), 2)

    @with_transaction()
    def test_trip(self):
        "A trip replays from its start to its end"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Trip = pool.get('iot.trip')
        self._setup()
        trip, = Trip.create([{'vehicle': self.mine.id,
                    'company': self.company.id, 'agent': self.agent_a.id,
                    'start': self.start + dt.timedelta(seconds=50),
                    'end': self.start + dt.timedelta(seconds=100),
                    'state': 'closed'}])
        answer = Vehicle.fleet_replay(self.mine.id, trip=trip.id)
        self.assertEqual([p[0] for p in answer['points']],
            [self._at(n) for n in range(10, 21)])
        self.assertEqual((answer['start'], answer['end']),
            (self._at(10), self._at(20)))
        # The trip decides the vehicle
        self.assertEqual(Vehicle.fleet_replay(
                self.theirs.id, trip=trip.id)['vehicle']['serial'], 'VA')

    @with_transaction()
    def test_agent_isolation(self):
        "Agent B replays its vehicles only: A's tracks, trips and alarms stay"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Trip = pool.get('iot.trip')
        self._setup()
        self._alarm(self.mine, 31)
        trip, = Trip.create([{'vehicle': self.mine.id,
                    'company': self.company.id, 'agent': self.agent_a.id,
                    'start': self.start, 'state': 'open'}])
        period = (self._at(0), self._at(99))
        with as_user(self.staff_b, self.company):
            with self.assertRaisesRegex(UserError, 'not one you may see'):
                Vehicle.fleet_replay(self.mine.id, *period)
            with self.assertRaisesRegex(UserError, 'not one you may see'):
                Vehicle.fleet_replay(self.theirs.id, trip=trip.id)
            own = Vehicle.fleet_replay(self.theirs.id, *period)
            self.assertEqual(own['total'], 100)
            self.assertEqual({(p[1], p[2]) for p in own['points']},
                {(39.9, 116.4)})
            self.assertEqual(own['alarms'], [])
        with as_user(self.staff_a, self.company):
            answer = Vehicle.fleet_replay(self.mine.id, *period)
            self.assertEqual(answer['total'], 99)
            self.assertEqual(len(answer['alarms']), 1)
            self.assertEqual(len(Vehicle.fleet_replay(
                        self.mine.id, trip=trip.id)['points']), 99)

    @with_transaction()
    def test_bad_input(self):
        "A period, vehicle or trip that cannot be replayed: a clear error"
        Vehicle = Pool().get('device.vehicle')
        self._setup()
        start = self._at(0)
        for args, message in [
                ((self.mine.id, start, start), 'Choose the period'),
                ((self.mine.id, start, start - 60), 'Choose the period'),
                ((self.mine.id, start, start + 32 * 86400),
                    'Choose the period'),
                ((self.mine.id, 'yesterday', start), 'Choose the period'),
                ((self.mine.id, None, None), 'Choose the period'),
                ((self.mine.id, 1e30, 2e30), 'Choose the period'),
                (('VA', start - 60, start), 'vehicle to replay'),
                ((-1, start - 60, start), 'vehicle to replay'),
                ((self.mine.id, None, None, 'x'), 'trip to replay'),
                ((self.mine.id, None, None, -1), 'trip to replay'),
                ]:
            with self.subTest(args=args), \
                    self.assertRaisesRegex(UserError, message):
                Vehicle.fleet_replay(*args)

    @with_transaction()
    def test_setup_and_stamps(self):
        """The map offers the replay; the listener and the alarms stamp the
        vehicle for the map's next poll"""
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Alarm = pool.get('iot.alarm')
        self._setup()
        setup = Vehicle.fleet_map_setup()
        self.assertTrue(setup['replay'])
        self.assertEqual(setup['labels']['replay_play'], "Play")
        self.assertEqual(setup['events']['harsh_braking'], "Harsh braking")
        self.assertIsNone(Vehicle(self.mine.id).live_changed)
        Vehicle.update_live_state({self.mine.id: (dt.datetime.now(), {
                        'latitude': 31.3, 'longitude': 121.5,
                        'key_on': True, 'speed': 12.0, 'soc': 70.0,
                        'odometer': 2.0, 'working_hours': 1.0})})
        self.assertIsNotNone(Vehicle(self.mine.id).live_changed)
        self.assertIsNone(Vehicle(self.theirs.id).live_changed)
        Alarm.count_active([self.theirs.id])
        self.assertIsNotNone(Vehicle(self.theirs.id).live_changed)

    @with_transaction()
    def test_replay_url(self):
        "The vehicle and trip forms open the map in replay mode"
        pool = Pool()
        Wizard = pool.get('iot.replay.open', type='wizard')
        Trip = pool.get('iot.trip')
        self._setup()
        trip, = Trip.create([{'vehicle': self.mine.id,
                    'company': self.company.id, 'agent': self.agent_a.id,
                    'start': self.start, 'state': 'open'}])
        database = Transaction().database.name
        for model, record, query in [
                ('device.vehicle', self.mine, f'vehicle={self.mine.id}'),
                ('iot.trip', trip,
                    f'vehicle={self.mine.id}&trip={trip.id}')]:
            with set_company(self.company), Transaction().set_context(
                    active_model=model, active_id=record.id,
                    active_ids=[record.id]):
                session_id, _, _ = Wizard.create()
                result = Wizard.execute(session_id, {}, 'open_')
            (action, _), = result['actions']
            self.assertEqual(action['url'],
                f'/{quote(database)}/device/fleet-map?{query}&replay=1')
