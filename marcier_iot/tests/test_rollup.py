# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Hour and day figures kept as batches arrive (issue 15): known answers
through the listener's path, idempotent under redelivery, the chart
reading them, their retention"""
import datetime as dt
import unittest

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .. import quality
from .series import base, drive, process, setup_vehicle, stand, utc

FIGURES = ['samples', 'flagged', 'gps_jumps', 'out_of_order', 'distance',
    'working_hours', 'driving_hours', 'energy_out', 'energy_in',
    'charge_sessions', 'soc_min', 'soc_max', 'battery_temp_max', 'faults',
    'alarms', 'overspeed_hours']


def figures(records):
    return [{f: round(getattr(r, f), 6) if isinstance(getattr(r, f), float)
            else getattr(r, f) for f in FIGURES} for r in records]


class RollupTestCase(unittest.TestCase):
    "Test rollups"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('marcier_iot')

    def _hours(self, vehicle):
        return Pool().get('iot.rollup.hour').search(
            [('vehicle', '=', vehicle.id)], order=[('hour', 'ASC')])

    def _days(self, vehicle):
        return Pool().get('iot.rollup.day').search(
            [('vehicle', '=', vehicle.id)], order=[('date', 'ASC')])

    @with_transaction()
    def test_hour_boundary_and_redelivery(self):
        "A minute of driving across the hour, then the same batch again"
        vehicle = setup_vehicle()
        hour = base() + 3600
        batch = [drive(hour + s, (s + 30) / 180, soc=60 - (s + 30) / 10,
                working_hours=10 + (s + 30) / 3600, battery_temp=30 + s / 10)
            for s in range(-30, 35, 5)]  # 13 reports, 20 km/h
        outcome = process(*batch)
        self.assertEqual(outcome.stored, 13)
        before, after = self._hours(vehicle)
        self.assertEqual((before.hour, after.hour),
            (utc(hour - 3600), utc(hour)))
        # 6 reports before the hour, 5 intervals of 5 s; the one after it
        # counts in the later hour
        self.assertEqual(figures([before]), [{'samples': 6, 'flagged': 0,
                    'gps_jumps': 0, 'out_of_order': 0,
                    'distance': round(25 / 180, 6),
                    'working_hours': round(25 / 3600, 6),
                    'driving_hours': round(25 / 3600, 6),
                    'energy_out': round(4000 * 25 / 3.6e6, 6),
                    'energy_in': 0, 'charge_sessions': 0,
                    'soc_min': 57.5, 'soc_max': 60.0,
                    'battery_temp_max': 30.0 - 0.5, 'faults': 0,
                    'alarms': 0, 'overspeed_hours': 0}])
        self.assertEqual(after.samples, 7)
        self.assertAlmostEqual(after.distance, 35 / 180)
        self.assertAlmostEqual(after.driving_hours, 35 / 3600)
        self.assertEqual((after.soc_min, after.soc_max), (54.0, 57.0))
        day_figures = figures(self._days(vehicle))
        if before.hour.date() == after.hour.date():
            day, = day_figures
            self.assertEqual(day['samples'], 13)
            self.assertAlmostEqual(day['distance'], 60 / 180, 5)
            self.assertEqual((day['soc_min'], day['soc_max']), (54.0, 60.0))

        hours = figures(self._hours(vehicle))
        outcome = process(*batch)
        self.assertEqual((outcome.stored, outcome.duplicates), (0, 13))
        self.assertEqual(figures(self._hours(vehicle)), hours)
        self.assertEqual(figures(self._days(vehicle)), day_figures)

    @with_transaction()
    def test_out_of_order_gps_jump_and_flags_stored(self):
        pool = Pool()
        Telemetry = pool.get('iot.telemetry')
        vehicle = setup_vehicle()
        start = base()
        process(drive(start, 0), drive(start + 5, 0.03),
            drive(start + 10, 30.0, odometer=100.06),  # 30 km in 5 s
            drive(start + 15, 0.08))
        # a gateway's late spool: older than what was processed
        process(drive(start + 1, 0), drive(start + 12, 0.07))
        hour, = self._hours(vehicle)
        self.assertEqual((hour.samples, hour.flagged, hour.gps_jumps,
                hour.out_of_order), (6, 3, 1, 2))
        self.assertAlmostEqual(hour.distance, 0.08)
        self.assertAlmostEqual(hour.gps_distance, 0.08, 3)
        stored = {r.timestamp: r.quality for r in Telemetry.search(
                [('vehicle', '=', vehicle.id)])}
        self.assertEqual(stored[utc(start + 10)], quality.GPS_JUMP)
        self.assertEqual(stored[utc(start + 1)], quality.OUT_OF_ORDER)
        self.assertEqual(stored[utc(start + 12)], quality.OUT_OF_ORDER)
        self.assertEqual(stored[utc(start + 15)], 0)

    @with_transaction()
    def test_charge_session_alarm_and_overspeed(self):
        vehicle = setup_vehicle()
        start = base()
        plugged = {'charging': True, 'current': -40.0}
        # alarms follow the latest report of each batch
        process(stand(start, 0, charging=False),
            stand(start + 5, 0, soc=10.0, **plugged))  # low battery
        process(stand(start + 10, 0, soc=10.1, **plugged),
            drive(start + 15, 0, speed=30.0, fault_code=4097))
        process(drive(start + 20, 0.04, speed=30.0))
        hour, = self._hours(vehicle)
        self.assertEqual(hour.charge_sessions, 1)
        self.assertEqual(hour.alarms, 2)  # low battery, controller fault
        self.assertEqual(hour.faults, 1)
        self.assertAlmostEqual(hour.overspeed_hours, 10 / 3600)
        self.assertAlmostEqual(hour.energy_in,
            (80 * 1.5 - 80 * 40) / -2 * 5 / 3.6e6 + 3200 * 5 / 3.6e6)

    @with_transaction()
    def test_chart_reads_rollups_beyond_minutes(self):
        pool = Pool()
        Chart = pool.get('iot.telemetry.chart')
        RollupHour = pool.get('iot.rollup.hour')
        vehicle = setup_vehicle()
        start = base()
        process(*(drive(start + s, s / 180, voltage=80.0 + s / 5,
                    battery_temp=30.0) for s in range(0, 30, 5)))
        context = {'vehicle': vehicle.id, 'from_': utc(start - 7200),
            'to': utc(start + 7200)}
        for resolution in ['hour', 'day']:
            with Transaction().set_context(resolution=resolution, **context):
                row, = Chart.search([])
                self.assertEqual(row.samples, 6)
                self.assertAlmostEqual(row.voltage, 80.0 + 2.5)
                self.assertEqual(row.battery_temp, 30.0)
                self.assertEqual(row.speed, 20.0)
        # hours come from the rollups, not from the raw reports
        hour, = RollupHour.search([('vehicle', '=', vehicle.id)])
        RollupHour.write([hour], {'samples': 99})
        with Transaction().set_context(resolution='hour', **context):
            self.assertEqual(Chart.search([])[0].samples, 99)
        with Transaction().set_context(resolution='minute', **context):
            self.assertEqual(sum(r.samples for r in Chart.search([])), 6)

    @with_transaction()
    def test_rollup_retention(self):
        pool = Pool()
        Telemetry = pool.get('iot.telemetry')
        RollupHour = pool.get('iot.rollup.hour')
        RollupDay = pool.get('iot.rollup.day')
        Configuration = pool.get('iot.configuration')
        vehicle = setup_vehicle()
        self.assertEqual(Configuration(1).rollup_retention, 5 * 366)
        Configuration.write([Configuration(1)], {'rollup_retention': 400})
        today = dt.date.today()
        owned = {'vehicle': vehicle.id, 'company': vehicle.company.id,
            'agent': vehicle.agent.id}
        RollupDay.create([{**owned, 'date': today - dt.timedelta(days=d)}
                for d in (1, 399, 401)])
        RollupHour.create([{**owned, 'hour': dt.datetime.combine(
                        today - dt.timedelta(days=d), dt.time(8))}
                for d in (1, 401)])
        Telemetry.manage_storage()
        self.assertEqual(sorted((today - r.date).days
                for r in self._days(vehicle)), [1, 399])
        self.assertEqual([(today - r.hour.date()).days
                for r in self._hours(vehicle)], [1])
