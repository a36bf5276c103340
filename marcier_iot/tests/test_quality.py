# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Data cleaning, rollup figures and trip cuts on hand-made series
(quality.derive, no database)"""
import unittest

from marcier_wire.payload import COLUMNS

from .. import quality as q
from ..rules import distance_km

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
SHANGHAI = (31.2304, 121.4737)
KM = 1 / 111.32  # degrees of latitude per km


def limits(**values):
    return q.Limits(**{'gap': 20.0, 'speed': 25.0, 'acceleration': 2.5,
            'braking': 3.0, 'stop': 600.0, 'areas': [(*SHANGHAI, 50.0)],
            **values})


def series(*reports):
    "[(seconds after T0, {column: value})] → derive's reports"
    result = []
    for key, (seconds, values) in enumerate(reports):
        row = dict.fromkeys(COLUMNS)
        row.update(values)
        result.append((T0 + seconds, row, key))
    return result


def drive(seconds, km, **values):
    "A report of a vehicle driving north of Shanghai, km from the start"
    return (seconds, {'latitude': SHANGHAI[0] + km * KM,
            'longitude': SHANGHAI[1], 'odometer': 100.0 + km,
            'speed': 20.0, 'key_on': True, 'voltage': 80.0, 'current': 50.0,
            'soc': 60.0 - seconds / 100, **values})


def derive(reports, track=None, skip=(), **limits_):
    track = track or q.Track()
    flags, hours, trips = q.derive(track, series(*reports), limits(**limits_),
        skip)
    return track, flags, hours, trips


def total(hours, index):
    return sum(h[index] for h in hours.values())


class QualityTestCase(unittest.TestCase):
    "Test data cleaning and derivations"

    def test_clean_drive(self):
        "Distance, driving time, energy, extremes of a clean minute"
        track, flags, hours, _ = derive(
            [drive(s, s / 180) for s in range(0, 65, 5)])  # 20 km/h
        self.assertEqual(set(flags.values()), {(0, 0)})
        self.assertEqual(list(hours), [int(T0 // 3600)])
        figures, = hours.values()
        self.assertEqual(figures[q.SAMPLES], 13)
        self.assertEqual(figures[q.FLAGGED], 0)
        self.assertAlmostEqual(figures[q.DISTANCE], 60 / 180)
        self.assertAlmostEqual(figures[q.GPS_DISTANCE], 60 / 180, 3)
        self.assertAlmostEqual(figures[q.DRIVING_HOURS], 60 / 3600)
        # 80 V × 50 A for 60 s = 4000 W × 60 s
        self.assertAlmostEqual(figures[q.ENERGY_OUT], 4000 * 60 / 3.6e6)
        self.assertEqual(figures[q.ENERGY_IN], 0)
        self.assertEqual(figures[q.SOC_MIN], 59.4)
        self.assertEqual(figures[q.SOC_MAX], 60.0)
        self.assertEqual(figures[q.MEASURED], 13)
        self.assertAlmostEqual(figures[q.MEASURED + 1], 80.0 * 13)  # volts
        self.assertEqual(track.time, T0 + 60)
        self.assertEqual(track.odometer, 100 + 60 / 180)

    def test_gps_jump(self):
        "One fix 30 km away in 5 s is flagged, the next good one is not"
        reports = [drive(0, 0), drive(5, 0.03), drive(10, 30.0),
            drive(15, 0.08)]
        reports[2][1]['odometer'] = 100.06
        track, flags, hours, _ = derive(reports)
        self.assertEqual([flags[k][0] for k in range(4)],
            [0, 0, q.GPS_JUMP, 0])
        figures, = hours.values()
        self.assertEqual(figures[q.GPS_JUMPS], 1)
        self.assertEqual(figures[q.FLAGGED], 1)
        self.assertAlmostEqual(figures[q.GPS_DISTANCE], 0.08, 3)
        self.assertAlmostEqual(track.latitude, SHANGHAI[0] + 0.08 * KM)
        # values of the flagged report are not averaged
        self.assertEqual(figures[q.MEASURED], 3)

    def test_gps_relocation(self):
        "Fixes that stay far away become the reference after RELOCATE"
        reports = [drive(0, 0)] + [drive(s, 30.0) for s in (5, 10, 15, 20)]
        _, flags, _, _ = derive(reports)
        self.assertEqual([flags[k][0] for k in range(5)],
            [0, q.GPS_JUMP, q.GPS_JUMP, 0, 0])

    def test_slow_jump_is_travel(self):
        "30 km in an hour of silence is a journey, not a jump"
        _, flags, hours, _ = derive([drive(0, 0), drive(3600, 30.0)])
        self.assertEqual(flags[1], (0, 0))
        figures = hours[int(T0 // 3600) + 1]
        self.assertAlmostEqual(figures[q.GPS_DISTANCE], 30.0, 1)
        # the odometer counts across the gap, driving time does not
        self.assertAlmostEqual(figures[q.DISTANCE], 30.0)
        self.assertEqual(figures[q.DRIVING_HOURS], 0)
        self.assertEqual(total(hours, q.ENERGY_OUT), 0)

    def test_odometer_backwards(self):
        reports = [drive(0, 0), drive(5, 0.03), drive(10, 0.06),
            drive(15, 0.09)]
        reports[2][1]['odometer'] = 99.0
        track, flags, hours, _ = derive(reports)
        self.assertEqual(flags[2][0], q.ODOMETER_BACK)
        figures, = hours.values()
        self.assertEqual(figures[q.ODOMETER_BACKWARDS], 1)
        # 100.03 → (99 ignored) → 100.09
        self.assertAlmostEqual(figures[q.DISTANCE], 0.09)
        self.assertEqual(track.odometer, 100.09)

    def test_out_of_order(self):
        "Older than the last accepted report: flagged, counts nothing"
        track = q.Track()
        derive([drive(0, 0), drive(10, 0.06)], track)
        before = track.copy()
        _, flags, hours, trips = derive([drive(5, 0.03), drive(10, 0.06)],
            track)
        self.assertEqual(flags, {0: (q.OUT_OF_ORDER, 0),
                1: (q.OUT_OF_ORDER, 0)})
        figures, = hours.values()
        self.assertEqual(figures[q.SAMPLES], 2)
        self.assertEqual(figures[q.OUT_OF_ORDERS], 2)
        self.assertEqual(figures[q.DISTANCE], 0)
        self.assertEqual(figures[q.SOC_MIN], None)
        self.assertEqual(trips, [])
        self.assertEqual(track, before)

    def test_skip_counts_nothing(self):
        "Reports not stored (a redelivery) move the track, count nothing"
        _, flags, hours, trips = derive([drive(0, 0), drive(5, 0.03)],
            skip={0, 1})
        self.assertEqual(hours, {})
        self.assertEqual(trips[0][6], 0)  # the trip's distance

    def test_stuck_soc(self):
        "The same charge for more than 10 minutes of driving is stuck"
        reports = [drive(s, s / 180, soc=55.0) for s in range(0, 725, 5)]
        _, flags, hours, _ = derive(reports)
        stuck = [k for k, (quality, _) in flags.items() if quality]
        # 600 s of unchanged charge are reached at the 121st report
        self.assertEqual(stuck, list(range(120, 145)))
        self.assertEqual(total(hours, q.STUCK_SENSORS), 25)
        # a stuck report's energy is not counted: 119 intervals are
        self.assertAlmostEqual(total(hours, q.ENERGY_OUT),
            4000 * 595 / 3.6e6)

    def test_parked_soc_is_not_stuck(self):
        "A parked vehicle keeps its charge: no current, no motion"
        reports = [(s, {'soc': 55.0, 'voltage': 80.0, 'current': 1.5,
                    'speed': 0.0, 'key_on': False})
            for s in range(0, 1800, 5)]
        _, flags, _, trips = derive(reports)
        self.assertEqual(set(flags.values()), {(0, 0)})
        self.assertEqual(trips, [])

    def test_harsh_events_and_overspeed(self):
        reports = [drive(0, 0, speed=10.0), drive(5, 0.02, speed=30.0),
            drive(10, 0.05, speed=28.0), drive(15, 0.08, speed=5.0)]
        # +20 km/h in 5 s = 1.1 m/s², -23 km/h = -1.3 m/s²: harsh at 1,
        # not at 2.5 and 3
        _, flags, hours, trips = derive(reports)
        self.assertEqual([flags[k][1] for k in range(4)],
            [0, q.OVERSPEED, q.OVERSPEED, 0])
        _, flags, hours, trips = derive(reports, acceleration=1.0,
            braking=1.0)
        self.assertEqual(flags[1][1], q.OVERSPEED | q.HARSH_ACCELERATION)
        self.assertEqual(flags[3][1], q.HARSH_BRAKING)
        figures, = hours.values()
        self.assertEqual(figures[q.HARSH_ACCELERATIONS], 1)
        self.assertEqual(figures[q.HARSH_BRAKINGS], 1)
        self.assertAlmostEqual(figures[q.OVERSPEED_HOURS], 10 / 3600)
        trip, = trips
        self.assertEqual(trip[9], 30.0)  # top speed
        self.assertEqual(trip[10:12], [1, 1])

    def test_out_of_area(self):
        "55 km north of a 50 km service area is out of it"
        reports = [drive(s, 0, latitude=SHANGHAI[0] + 55 * KM)
            for s in (0, 5, 10)]
        _, flags, hours, _ = derive(reports)
        self.assertEqual({e for _, e in flags.values()}, {q.OUT_OF_AREA})
        self.assertAlmostEqual(total(hours, q.OUT_OF_AREA_HOURS), 10 / 3600)
        _, flags, _, _ = derive(reports, areas=[])
        self.assertEqual({e for _, e in flags.values()}, {0})

    def test_hour_boundary(self):
        "An interval across the hour counts in the later report's hour"
        _, _, hours, _ = derive([drive(3590, 0), drive(3600, 0.1)])
        first, second = int(T0 // 3600), int(T0 // 3600) + 1
        self.assertEqual(hours[first][q.DISTANCE], 0)
        self.assertAlmostEqual(hours[second][q.DISTANCE], 0.1)
        self.assertAlmostEqual(hours[second][q.DRIVING_HOURS], 10 / 3600)
        self.assertEqual([hours[h][q.SAMPLES] for h in (first, second)],
            [1, 1])

    def test_charge_session(self):
        "Charging off → on starts a session; charging current is energy in"
        plug = {'key_on': False, 'speed': 0.0, 'voltage': 80.0}
        reports = [(0, {**plug, 'charging': False, 'current': 1.5}),
            (5, {**plug, 'charging': True, 'current': -40.0}),
            (10, {**plug, 'charging': True, 'current': -40.0}),
            (15, {**plug, 'charging': False, 'current': 1.5}),
            (20, {**plug, 'charging': True, 'current': -40.0})]
        _, _, hours, trips = derive(reports)
        figures, = hours.values()
        self.assertEqual(figures[q.CHARGE_SESSIONS], 2)
        # trapezoids of 5 s: -1540 W, -3200 W, then twice -1540 W
        self.assertAlmostEqual(figures[q.ENERGY_IN],
            (3 * 1540 + 3200) * 5 / 3.6e6)
        self.assertEqual(trips, [])

    def test_trip_closed_by_key_off(self):
        reports = [(0, {'key_on': False, 'speed': 0.0, 'odometer': 100.0}),
            drive(5, 0.0), drive(10, 0.03), drive(15, 0.06),
            (20, {'key_on': False, 'speed': 0.0, 'odometer': 100.08,
                    'latitude': SHANGHAI[0] + 0.08 * KM,
                    'longitude': SHANGHAI[1]}),
            (25, {'key_on': False, 'speed': 0.0, 'odometer': 100.08})]
        track, _, _, trips = derive(reports)
        trip, = trips
        values = dict(zip(q.TRIP, trip))
        self.assertEqual(values['start'], T0 + 5)
        self.assertEqual(values['end'], T0 + 20)
        self.assertEqual(values['state'], 'closed')
        self.assertAlmostEqual(values['distance'], 0.08)
        self.assertAlmostEqual(values['duration'], 15 / 3600)
        self.assertEqual((values['start_latitude'],
                values['start_longitude']), SHANGHAI)
        self.assertAlmostEqual(values['end_latitude'],
            SHANGHAI[0] + 0.08 * KM)
        # the key-off report has no pack values: its interval no energy
        self.assertAlmostEqual(values['energy'], 4000 * 10 / 3.6e6)
        self.assertIsNone(track.trip_start)

    def test_trip_closed_by_long_stop(self):
        "Key on, standing still for more than the stop: ends at the stop"
        stand = {'speed': 0.0, 'key_on': True}
        reports = [drive(0, 0), drive(60, 0.3),
            *((s, {**stand, 'odometer': 100.3}) for s in range(65, 700, 5)),
            drive(700, 0.35)]
        track, _, _, trips = derive(reports)
        first, second = (dict(zip(q.TRIP, t)) for t in trips)
        self.assertEqual((first['start'], first['end'], first['state']),
            (T0, T0 + 60, 'closed'))
        self.assertAlmostEqual(first['end_latitude'], SHANGHAI[0] + 0.3 * KM)
        self.assertAlmostEqual(first['duration'], 60 / 3600)
        self.assertEqual((second['start'], second['end'], second['state']),
            (T0 + 700, None, 'open'))
        self.assertEqual(track.trip_start, T0 + 700)

    def test_trip_across_batches(self):
        "An open trip goes on in the next batch as a piece of itself"
        track = q.Track()
        _, _, _, trips = derive([drive(0, 0), drive(5, 0.03)], track)
        self.assertEqual(trips[0][12], 'open')
        _, _, _, trips = derive([drive(10, 0.06),
                (15, {'key_on': False, 'odometer': 100.06})], track)
        piece = dict(zip(q.TRIP, trips[0]))
        self.assertEqual(piece['start'], T0)  # the trip's key
        self.assertIsNone(piece['start_latitude'])  # kept from the first
        self.assertAlmostEqual(piece['distance'], 0.03)
        self.assertEqual((piece['end'], piece['state']), (T0 + 15, 'closed'))
        self.assertAlmostEqual(piece['duration'], 15 / 3600)

    def test_merge(self):
        a, b = q.bucket(), q.bucket()
        a[q.SAMPLES], b[q.SAMPLES] = 2, 3
        a[q.SOC_MIN], a[q.SOC_MAX], b[q.SOC_MIN] = 40.0, 50.0, 30.0
        b[q.MOTOR_TEMP_MAX] = 70.0
        q.merge(a, b)
        self.assertEqual((a[q.SAMPLES], a[q.SOC_MIN], a[q.SOC_MAX],
                a[q.MOTOR_TEMP_MAX]), (5, 30.0, 50.0, 70.0))

    def test_distance_reference(self):
        "The figures' GPS distance is the alarm rules' geometry"
        self.assertAlmostEqual(distance_km(*SHANGHAI, SHANGHAI[0] + KM,
                SHANGHAI[1]), 1.0, 2)
