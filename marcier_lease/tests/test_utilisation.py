# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Fleet utilisation (issue 15): known answers on a hand-made April.

VA1 (agent A) in the fleet all April, on contract 11-20 April (10 days,
80 rented hours of 8), working 4 h each rented day (40 h) and 3 h on
5 April; VA2 (A) commissioned 16 April, never rented; VA3 (A) retired;
VB1 (B) on contract all April, working 8 h a day."""
import datetime as dt

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import drop_db, with_transaction
from trytond.transaction import Transaction

from marcier_device.tests.test_module import as_user, today
from marcier_mall.tests.test_module import create_product

from .test_module import LeaseTestMixin

APR = [dt.date(2026, 4, d) for d in range(1, 31)]
MAY1 = dt.date(2026, 5, 1)
APRIL = {'from_date': APR[0], 'to_date': APR[-1]}


class UtilisationTestCase(LeaseTestMixin, test_tryton.TestCase):
    "Test fleet utilisation"

    @classmethod
    def setUpClass(cls):
        drop_db()
        test_tryton.activate_module(
            ['marcier_lease', 'marcier_iot', 'marcier_mall'])
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def _april(self):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Contract = pool.get('lease.contract')
        Rollup = pool.get('iot.rollup.day')
        self._setup()
        v = self.vehicles
        jan1 = dt.date(2026, 1, 1)
        Vehicle.write([v['VA1'], v['VA3'], v['VB1']],
            {'commissioning_date': jan1},
            [v['VA2']], {'commissioning_date': dt.date(2026, 4, 16)})
        Vehicle.retire([v['VA3']])
        self.contract_a = self._contract(vehicles=('VA1',),
            start=APR[10], end=APR[19])
        self.contract_b = self._contract(customer='B1', vehicles=('VB1',),
            agent=self.agent_b, start=APR[0], end=APR[-1])
        Contract.start([self.contract_a, self.contract_b])
        with today(MAY1):
            Contract.complete([self.contract_a, self.contract_b])

        def rollup(vehicle, date, hours, km, kwh):
            return {'vehicle': vehicle.id, 'company': self.company.id,
                'agent': vehicle.agent.id, 'date': date,
                'working_hours': hours, 'distance': km, 'energy_out': kwh}
        Rollup.create([rollup(v['VA1'], d, 4, 10, 2) for d in APR[10:20]]
            + [rollup(v['VA1'], APR[4], 3, 5, 2)]
            + [rollup(v['VB1'], d, 8, 20, 4) for d in APR])

    def _update(self, date=MAY1):
        with today(date):
            Pool().get('lease.utilisation.day').update()

    def _read(self, model, context, fields, user=None, date=MAY1):
        Model = Pool().get(model)
        context = {'company': self.company.id, **APRIL, **context}
        with today(date):
            if user:
                with as_user(user, self.company), \
                        Transaction().set_context(**context):
                    return Model.read(
                        [r.id for r in Model.search([])], fields)
            with Transaction().set_context(**context):
                return Model.read([r.id for r in Model.search([])], fields)

    FIGURES = ['fleet_days', 'rented_days', 'rented_share', 'rented_hours',
        'working_hours', 'working_share', 'distance', 'energy']

    def _figures(self, model, context, key, user=None, date=MAY1):
        return {r[key]: tuple(
                round(r[f], 4) if isinstance(r[f], float) else r[f]
                for f in self.FIGURES)
            for r in self._read(
                model, context, self.FIGURES + [key], user, date)}

    @with_transaction()
    def test_known_answers(self):
        "Rented and working shares, distance, energy per agent and vehicle"
        self._april()
        self._update()
        a, b = self.agent_a.id, self.agent_b.id
        # A: 30 + 15 fleet days, 10 rented, 43 h of which 40 on 80 rented
        self.assertEqual(
            self._figures('lease.reporting.utilisation',
                {'grouping': 'agent'}, 'agent'), {
                a: (45, 10, round(10 / 45, 4), 80, 43, 0.5, 105, 22),
                b: (30, 30, 1.0, 240, 240, 1.0, 600, 120),
                })
        va1, va2 = self.vehicles['VA1'].id, self.vehicles['VA2'].id
        self.assertEqual(
            self._figures('lease.reporting.utilisation',
                {'grouping': 'vehicle', 'agent': a}, 'vehicle'), {
                va1: (30, 10, round(1 / 3, 4), 80, 43, 0.5, 105, 22),
                va2: (15, 0, 0, 0, None, None, None, None),
                })
        # The golf cart: every vehicle is one
        self.assertEqual(
            self._figures('lease.reporting.utilisation',
                {'grouping': 'product'}, 'product'), {
                self.golf.id: (75, 40, round(40 / 75, 4), 320, 283,
                    round(280 / 320, 4), 705, 142)})
        # The city: the agents have none, the contract neither
        rows = self._read('lease.reporting.utilisation',
            {'grouping': 'city'}, ['city', 'label', 'fleet_days'])
        self.assertEqual([(r['city'], r['fleet_days']) for r in rows],
            [(None, 75)])
        # The forms: VA1's last 30 days, A's contract over its days
        with today(APR[-1]):
            vehicle = Pool().get('device.vehicle')(va1)
            self.assertEqual((vehicle.utilisation_fleet_days,
                    vehicle.utilisation_rented_days,
                    round(vehicle.utilisation_rented_share, 4),
                    vehicle.utilisation_working_share,
                    vehicle.utilisation_distance,
                    vehicle.utilisation_energy),
                (30, 10, round(1 / 3, 4), 0.5, 105, 22))
            contract = Pool().get('lease.contract')(self.contract_a.id)
            self.assertEqual((contract.utilisation_rented_days,
                    contract.utilisation_rented_hours,
                    contract.utilisation_working_hours,
                    contract.utilisation_working_share,
                    contract.utilisation_distance),
                (10, 80, 40, 0.5, 100))

    @with_transaction()
    def test_buckets(self):
        "Day, week (from Monday) and month buckets"
        self._april()
        self._update()
        a = self.agent_a.id

        def rented(granularity):
            return {r['date']: r['rented_days'] for r in self._read(
                    'lease.reporting.utilisation.time_series',
                    {'granularity': granularity, 'agent': a},
                    ['date', 'rented_days'])}
        # 11 April is a Saturday
        self.assertEqual(rented('week'), {
                dt.date(2026, 3, 30): 0, dt.date(2026, 4, 6): 2,
                dt.date(2026, 4, 13): 7, dt.date(2026, 4, 20): 1,
                dt.date(2026, 4, 27): 0})
        self.assertEqual(rented('month'), {dt.date(2026, 4, 1): 10})
        days = rented('day')
        self.assertEqual(len(days), 30)
        self.assertEqual(sum(days.values()), 10)
        self.assertEqual(days[APR[10]], 1)
        self.assertEqual(days[APR[9]], 0)
        # Across a month end: weeks stay whole weeks of their Monday
        self.assertEqual(
            {r['date']: r['fleet_days'] for r in self._read(
                    'lease.reporting.utilisation.time_series',
                    {'granularity': 'week', 'agent': a,
                        'from_date': dt.date(2026, 3, 28),
                        'to_date': dt.date(2026, 4, 5)},
                    ['date', 'fleet_days'])}, {
                dt.date(2026, 3, 23): 2, dt.date(2026, 3, 30): 7})

    @with_transaction()
    def test_drill_through(self):
        "The vehicles behind a bar or a point of the charts"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Utilisation = pool.get('lease.reporting.utilisation')
        TimeSeries = pool.get('lease.reporting.utilisation.time_series')
        self._april()
        self._update()
        v = self.vehicles
        context = {'company': self.company.id, **APRIL}

        def drill(Model, context, pick):
            with today(MAY1), Transaction().set_context(**context):
                rows = [r for r in Model.search([]) if pick(r)]
                return set(Vehicle.search(Model.drill_domain(rows)))
        self.assertEqual(
            drill(Utilisation, {**context, 'grouping': 'agent'},
                lambda r: r.agent == self.agent_a),
            {v['VA1'], v['VA2']})
        self.assertEqual(
            drill(Utilisation, {**context, 'grouping': 'vehicle'},
                lambda r: r.vehicle == v['VB1']),
            {v['VB1']})
        self.assertEqual(
            drill(TimeSeries, {**context, 'granularity': 'day',
                    'agent': self.agent_a.id},
                lambda r: r.date == APR[11]),
            {v['VA1']})
        self.assertEqual(
            drill(TimeSeries, {**context, 'granularity': 'week'},
                lambda r: r.date == dt.date(2026, 4, 20)),
            {v['VA1'], v['VA2'], v['VB1']})
        # Through the wizard of the charts
        OpenReport = pool.get('lease.reporting.open', type='wizard')
        self.assertEqual(OpenReport.TARGETS[Utilisation.__name__],
            'vehicles')

    @with_transaction()
    def test_agent_boundary(self):
        "Agent B never sees agent A's figures, whatever it asks for"
        pool = Pool()
        Day = pool.get('lease.utilisation.day')
        self._april()
        self._update()
        a, b = self.agent_a.id, self.agent_b.id
        for grouping in ['agent', 'product', 'city', 'vehicle']:
            rows = self._read('lease.reporting.utilisation',
                {'grouping': grouping, 'agent': a}, ['fleet_days'],
                user=self.staff_b)
            self.assertEqual(sum(r['fleet_days'] for r in rows), 30)
        rows = self._read('lease.reporting.utilisation.time_series',
            {'granularity': 'month', 'agent': a}, ['rented_days'],
            user=self.staff_b)
        self.assertEqual([r['rented_days'] for r in rows], [30])
        with as_user(self.staff_b, self.company):
            self.assertEqual({d.agent.id for d in Day.search([])}, {b})
            theirs = Day.search([('agent', '=', a)])
            self.assertEqual(theirs, [])
        ids = [d.id for d in Day.search([('agent', '=', a)])]
        with as_user(self.staff_b, self.company):
            with self.assertRaises(AccessError):
                Day.read(ids[:1], ['working_hours'])
        with as_user(self.operator, self.company):
            self.assertEqual(
                {d.agent.id for d in Day.search([])}, {a, b})

    @with_transaction()
    def test_live_days(self):
        """Days after the watermark are read live and equal the kept ones;
        a rollup changed later is counted again by the next run"""
        pool = Pool()
        Rollup = pool.get('iot.rollup.day')
        Configuration = pool.get('lease.configuration')
        self._april()
        week = {'from_date': APR[23], 'to_date': APR[29],
            'grouping': 'agent'}
        live = self._figures('lease.reporting.utilisation', week, 'agent',
            date=APR[29])
        self.assertEqual(live[self.agent_b.id][:2], (7, 7))
        self._update(APR[29])
        self.assertEqual(Configuration(1).utilisation_date, APR[28])
        self.assertEqual(live, self._figures(
                'lease.reporting.utilisation', week, 'agent', date=APR[29]))
        # A late report of 5 April: the next run sees its rollup change
        late, = Rollup.search([
                ('vehicle', '=', self.vehicles['VA1'].id),
                ('date', '=', APR[4])])
        Rollup.write([late], {'working_hours': 6})
        self._update()
        figures = self._figures('lease.reporting.utilisation',
            {'grouping': 'vehicle', 'agent': self.agent_a.id}, 'vehicle')
        self.assertEqual(figures[self.vehicles['VA1'].id][4], 46)

    @with_transaction()
    def test_contract_trips(self):
        "A contract's trips: its vehicles' in its period"
        pool = Pool()
        Trip = pool.get('iot.trip')
        Contract = pool.get('lease.contract')
        self._april()
        v = self.vehicles

        def trip(vehicle, start):
            return {'vehicle': vehicle.id, 'company': self.company.id,
                'agent': vehicle.agent.id, 'start': start,
                'state': 'closed'}
        inside, after, other = Trip.create([
                trip(v['VA1'], dt.datetime(2026, 4, 20, 23, 30)),
                trip(v['VA1'], dt.datetime(2026, 4, 21, 0, 30)),
                trip(v['VA2'], dt.datetime(2026, 4, 12, 9)),
                ])
        contract = Contract(self.contract_a.id)
        self.assertEqual(contract.trips, (inside,))
        self.assertEqual(
            Trip.search([('contract', '=', contract.id)]), [inside])
        self.assertEqual(
            Trip.search([('contract', '=', self.contract_a.number)]),
            [inside])
        self.assertEqual([t.contract for t in [inside, after, other]],
            [contract, None, None])
        with as_user(self.staff_b, self.company):
            self.assertEqual(
                Trip.search([('contract', '=', contract.id)]), [])

    @with_transaction()
    def test_listing_figures(self):
        "A listing shows its agent's vehicles of its product"
        pool = Pool()
        Listing = pool.get('mall.listing')
        Vehicle = pool.get('device.vehicle')
        self._april()
        product = create_product()
        Vehicle.write([self.vehicles['VA1']], {'product': product.id})
        self._update()
        listing, = Listing.create([{'company': self.company.id,
                    'agent': self.agent_a.id, 'product': product.id}])
        with today(APR[-1]):
            listing = Listing(listing.id)
            self.assertEqual((listing.utilisation_fleet_days,
                    listing.utilisation_rented_days,
                    listing.utilisation_working_share),
                (30, 10, 0.5))

