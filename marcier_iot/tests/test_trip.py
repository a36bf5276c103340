# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Trips cut as batches arrive (issue 15), through the listener's path"""
import time
import unittest

from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .series import SHANGHAI, base, drive, process, setup_vehicle, stand, utc


class TripTestCase(unittest.TestCase):
    "Test trips"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('marcier_iot')

    def _trips(self, vehicle):
        return Pool().get('iot.trip').search(
            [('vehicle', '=', vehicle.id)], order=[('start', 'ASC')])

    @with_transaction()
    def test_key_off_closes_a_trip_built_over_batches(self):
        vehicle = setup_vehicle()
        start = base()
        process(stand(start, 0), drive(start + 5, 0),
            drive(start + 10, 0.03, speed=25.0))
        trip, = self._trips(vehicle)
        self.assertEqual((trip.state, trip.start, trip.end),
            ('open', utc(start + 5), None))
        self.assertAlmostEqual(trip.distance, 0.03)
        self.assertEqual((trip.company, trip.agent),
            (vehicle.company, vehicle.agent))
        self.assertEqual((trip.start_latitude, trip.start_longitude),
            SHANGHAI)

        # the same batch again changes nothing
        process(stand(start, 0), drive(start + 5, 0),
            drive(start + 10, 0.03, speed=25.0))
        process(drive(start + 15, 0.06, speed=22.0),
            stand(start + 20, 0.08), stand(start + 25, 0.08))
        trip, = self._trips(vehicle)
        self.assertEqual((trip.state, trip.start, trip.end),
            ('closed', utc(start + 5), utc(start + 20)))
        self.assertAlmostEqual(trip.distance, 0.08)
        self.assertAlmostEqual(trip.duration, 15 / 3600)
        self.assertEqual(trip.max_speed, 25.0)
        self.assertAlmostEqual(trip.end_latitude, SHANGHAI[0] + 0.08 / 111.32)
        self.assertEqual(trip.start_latitude, SHANGHAI[0])
        # 80 V × 50 A while driving, then the 1.5 A of a parked controller
        self.assertAlmostEqual(trip.energy,
            (4000 * 10 + (4000 + 120) / 2 * 5) / 3.6e6)

    @with_transaction()
    def test_long_stop_closes_a_trip(self):
        "Key left on, standing for more than 10 minutes"
        vehicle = setup_vehicle()
        start = base()
        process(drive(start, 0), drive(start + 60, 0.3))
        idle = {'key_on': True, 'current': 2.0}
        process(*(stand(start + s, 0.3, **idle) for s in range(65, 600, 5)))
        trip, = self._trips(vehicle)
        self.assertEqual(trip.state, 'open')
        process(stand(start + 665, 0.3, **idle), drive(start + 670, 0.31))
        first, second = self._trips(vehicle)
        self.assertEqual((first.state, first.start, first.end),
            ('closed', utc(start), utc(start + 60)))
        self.assertAlmostEqual(first.duration, 60 / 3600)
        self.assertAlmostEqual(first.distance, 0.3)
        self.assertAlmostEqual(first.end_latitude,
            SHANGHAI[0] + 0.3 / 111.32)
        self.assertEqual((second.state, second.start),
            ('open', utc(start + 670)))
        self.assertEqual(second.distance, 0)

    @with_transaction()
    def test_silent_vehicle_trip_ended_by_task(self):
        """A gateway silent mid-trip: the task ends the trip at its last
        motion once a trip stop has passed, not before; the next report
        starts a new trip"""
        Trip = Pool().get('iot.trip')
        vehicle = setup_vehicle()
        start = base()  # three hours ago: long silent since
        process(drive(start, 0), drive(start + 60, 0.3),
            drive(start + 65, 0.3, speed=0.0))
        Trip.end_silent()
        trip, = self._trips(vehicle)
        self.assertEqual((trip.state, trip.start, trip.end),
            ('closed', utc(start), utc(start + 60)))
        self.assertAlmostEqual(trip.duration, 60 / 3600)
        self.assertAlmostEqual(trip.distance, 0.3)
        self.assertAlmostEqual(trip.end_latitude,
            SHANGHAI[0] + 0.3 / 111.32)

        # Back on the road: a new trip, the ended one stays as it was
        now = float(int(time.time()))
        process(drive(now - 5, 0.3), drive(now, 0.35))
        Trip.end_silent()  # not silent: nothing to end
        first, second = self._trips(vehicle)
        self.assertEqual((first.state, first.end), ('closed', utc(start + 60)))
        self.assertEqual((second.state, second.start),
            ('open', utc(now - 5)))

    @with_transaction()
    def test_trips_relate_from_vehicle(self):
        "The vehicle form's relate opens its trips"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Keyword = pool.get('ir.action.keyword')
        action = ModelData.get_id('marcier_iot', 'act_trip_form_vehicle')
        keywords = Keyword.search([('model', '=', 'device.vehicle,-1'),
                ('keyword', '=', 'form_relate')])
        self.assertIn(action, [k.action.id for k in keywords])
