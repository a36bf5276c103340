# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Live availability (mall and quotations), transfers of leased vehicles
between customers (E6), the vehicle's lease history and the printed
documents, with known answers on small hand-made fleets."""
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

from trytond import config
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase, with_transaction
from trytond.transaction import Transaction

from marcier_base.tests.test_module import create_agent, load_chinese
from marcier_device.tests.test_module import as_user, today
from marcier_mall.tests.test_module import create_listing
from marcier_mall.tests.test_module import create_product as mall_product

from ..availability import free_now
from .test_module import JAN15, LeaseTestMixin, refused

D = Decimal
FEB20 = dt.date(2026, 2, 20)
SHANGHAI = (31.23, 121.47)
BEIJING = (39.9, 116.4)
HANGZHOU = (30.27, 120.15)


def create_cities():
    City = Pool().get('marcier.city')
    return City.create([
            {'name': "Shanghai", 'latitude': SHANGHAI[0],
                'longitude': SHANGHAI[1], 'radius': 60},
            {'name': "Beijing", 'latitude': BEIJING[0],
                'longitude': BEIJING[1], 'radius': 60}])


def live(vehicles, place, soc=80, minutes_ago=1):
    "Give vehicles a last report at place (None: no fix), soc, minutes ago"
    Vehicle = Pool().get('device.vehicle')
    latitude, longitude = place or (None, None)
    Vehicle.write(list(vehicles), {
            'latitude': latitude, 'longitude': longitude, 'soc': soc,
            'last_seen': dt.datetime.now() - dt.timedelta(
                minutes=minutes_ago)})


class LeaseAvailabilityTestCase(LeaseTestMixin, RouteTestCase):
    "Test availability, transfers, lease history and documents"
    module = 'marcier_lease'
    extras = ['marcier_iot', 'marcier_mall']

    @classmethod
    def setUpClass(cls):
        if not config.has_section('marcier'):
            config.add_section('marcier')
        config.set('marcier', 'database', DB_NAME)
        super().setUpClass()

    def _vehicle(self, serial, product=None, agent=None):
        Vehicle = Pool().get('device.vehicle')
        vehicle, = Vehicle.create([{
                    'serial': serial, 'company': self.company.id,
                    'agent': (agent or self.agent_a).id,
                    'product': (product or self.golf).id}])
        return vehicle

    def _serve_cities(self, agent, cities):
        Agent = Pool().get('marcier.agent')
        Agent.write([agent], {'cities': [('add', [c.id for c in cities])]})

    @with_transaction()
    def test_free_now(self):
        "Free now: repair, low charge, silent gateway, leases excluded"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        shanghai, beijing = create_cities()
        self._serve_cities(self.agent_a, [shanghai, beijing])
        va1, va2, va3 = (self.vehicles[s] for s in ['VA1', 'VA2', 'VA3'])
        repair, leased, anywhere, away = (self._vehicle(s) for s in [
                'VA4', 'VA5', 'VA6', 'VA7'])
        live([va1, repair], SHANGHAI)
        live([va2], SHANGHAI, soc=10)  # low charge
        live([va3], SHANGHAI, minutes_ago=60)  # gateway silent
        live([leased], BEIJING)
        live([anywhere], None)  # no fix yet: any city of its agent
        live([away], (23.13, 113.26))  # in Guangzhou, not served
        Vehicle.start_repair([repair])
        self.vehicles['VA5'] = leased
        with today(FEB20):
            contract = self._contract(vehicles=['VA5'], start=FEB20,
                end=dt.date(2026, 5, 31))
            self._contract(customer='A2', vehicles=['VA1'],
                start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
            pool.get('lease.contract').start([contract])
            key = (self.agent_a.id, self.golf.id)
            found = free_now([key])[key]
            # VA1 is free today, leased from March 1
            self.assertEqual(found, {
                    shanghai.id: (2, None),
                    beijing.id: (1, dt.date(2026, 6, 1)),
                    })
            self.assertEqual(
                free_now([(self.agent_b.id, self.golf.id)]),
                {(self.agent_b.id, self.golf.id): {}})
        with today(dt.date(2026, 3, 1)):
            self.assertEqual(free_now([key])[key][shanghai.id],
                (1, dt.date(2026, 4, 1)))

    @with_transaction()
    def test_quotation_refused(self):
        "Quoting more vehicles than are free is refused with the reason"
        pool = Pool()
        Quotation = pool.get('lease.quotation')
        Vehicle = pool.get('device.vehicle')
        self._setup()
        shanghai, beijing = create_cities()
        self._serve_cities(self.agent_a, [shanghai, beijing])
        live([self.vehicles['VA3']], BEIJING)

        def quotation(quantity, vehicle=None, city=shanghai,
                start=JAN15, end=dt.date(2026, 2, 14)):
            line = {'vehicle': vehicle.id, 'rent': D(900)} if vehicle \
                else {'product': self.golf.id, 'quantity': quantity,
                    'rent': D(900)}
            with as_user(self.staff_a, self.company):
                record, = Quotation.create([{
                            'customer': self.customers['A1'].id,
                            'city': city.id if city else None,
                            'start_date': start, 'end_date': end,
                            'lines': [('create', [line])]}])
            return record

        with today(dt.date(2026, 1, 10)):
            # VA1, VA2 (no position) serve Shanghai, VA3 is in Beijing
            with refused(self, r'3 × ".*MC-G4 Golf Cart" quoted, but agent '
                    r'"\[A\] Agent A" has only 2 free in Shanghai from '
                    r'2026-01-15 to 2026-02-14'):
                Quotation.quote([quotation(3)])
            Quotation.quote([quotation(3, city=None)])
            self._contract(vehicles=['VA1'], start=dt.date(2026, 2, 1))
            with refused(self, 'only 1 free in Shanghai'):
                Quotation.quote([quotation(2)])
            with refused(self, r'vehicle "VA1" is not free from 2026-01-15 '
                    r'to 2026-02-14, contract "[^"]+" leases it'):
                Quotation.quote([quotation(1, self.vehicles['VA1'])])
            # After the lease: free again
            Quotation.quote([quotation(1, self.vehicles['VA1'],
                        start=dt.date(2026, 4, 1),
                        end=dt.date(2026, 4, 30))])
            # A confirmed quantity takes a vehicle until one is assigned
            first = quotation(1)
            Quotation.quote([first])
            second = quotation(1)
            Quotation.quote([second])
            Quotation.confirm([first])
            with refused(self, 'only 0 free in Shanghai'):
                Quotation.confirm([second])
            Vehicle.start_repair([self.vehicles['VA3']])
            with refused(self, r'vehicle "VA3" is not free, it is In Repair'):
                Quotation.quote([quotation(1, self.vehicles['VA3'],
                            city=None, start=dt.date(2026, 1, 10))])

    @with_transaction()
    def test_transfer(self):
        "A leased vehicle moves to the new customer's contract, billed once"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Contract = pool.get('lease.contract')
        self._setup()
        va1 = self.vehicles['VA1']
        old = self._contract(vehicles=['VA1', 'VA2'],
            end=dt.date(2026, 4, 14))
        day = JAN15
        while day <= FEB20:
            self._process(day)
            day += dt.timedelta(days=1)
        old = Contract(old.id)
        self.assertEqual([i.state for i in old.installments],
            ['billed', 'billed', 'planned'])
        with today(FEB20), as_user(self.staff_a, self.company):
            with refused(self, r'record its transfer on the day it happens'):
                Vehicle.transfer_to([Vehicle(va1.id)],
                    customer=self.customers['A2'], date=FEB20
                    + dt.timedelta(days=1))
            with refused(self, r'can be transferred only after that day'):
                Vehicle.transfer_to([Vehicle(va1.id)],
                    customer=self.customers['A2'], date=JAN15)
            event, = Vehicle.transfer_to([Vehicle(va1.id)],
                customer=self.customers['A2'], date=FEB20)
        old = Contract(old.id)
        line = [l for l in old.lines if l.vehicle == va1][0]
        # Billed through March 14: the old customer keeps it until then
        self.assertEqual(line.end_date, dt.date(2026, 3, 14))
        self.assertEqual(old.rent, D(1000))
        self.assertEqual(
            [(i.period_start, i.amount) for i in old.installments
                if i.state == 'planned'],
            [(dt.date(2026, 3, 15), D(1000))])  # VA2 alone
        new, = Contract.search([('customer', '=', self.customers['A2'].id)])
        self.assertEqual((new.start_date, new.end_date, new.state),
            (dt.date(2026, 3, 15), dt.date(2026, 4, 14), 'not_started'))
        self.assertEqual([(l.vehicle, l.rent) for l in new.lines],
            [(va1, D(1000))])
        self.assertEqual([i.amount for i in new.installments], [D(1000)])
        va1 = Vehicle(va1.id)
        self.assertEqual((va1.customer, va1.status),
            (self.customers['A2'], 'rented'))
        self.assertEqual(event.to_customer, self.customers['A2'])
        # The old customer's last vehicle leaves: the contract ends then
        with today(dt.date(2026, 2, 25)), \
                as_user(self.staff_a, self.company):
            Vehicle.transfer_to([Vehicle(self.vehicles['VA2'].id)],
                customer=self.customers['A2'], date=dt.date(2026, 2, 25))
        old = Contract(old.id)
        self.assertEqual(old.termination_date, dt.date(2026, 3, 14))
        self.assertEqual(old.rent, D(0))
        self.assertEqual([i.state for i in old.installments],
            ['billed', 'billed'])
        self._process(dt.date(2026, 3, 15))
        old = Contract(old.id)
        news = Contract.search([('customer', '=', self.customers['A2'].id)])
        self.assertEqual(old.state, 'completed')
        self.assertEqual([c.state for c in news], ['in_progress'] * 2)
        self.assertEqual(Vehicle(va1.id).customer, self.customers['A2'])
        # Each day is billed once: 3 months of 2 vehicles
        self.assertEqual(sum(i.amount for c in [old] + news
                for i in c.installments), D(6000))
        self._process(dt.date(2026, 4, 15))
        self.assertEqual(Vehicle(va1.id).status, 'available')
        # One-off billing: billed to the end, nothing left to transfer
        one_off = self._contract(vehicles=['VA3'], start=dt.date(2026, 4, 20),
            end=dt.date(2026, 5, 31), cycle='one_off')
        self._process(dt.date(2026, 4, 20))
        with today(dt.date(2026, 4, 25)), \
                as_user(self.staff_a, self.company):
            with refused(self, 'billed to its end'):
                Vehicle.transfer_to([Vehicle(self.vehicles['VA3'].id)],
                    customer=self.customers['A2'],
                    date=dt.date(2026, 4, 25))
        self.assertEqual(Contract(one_off.id).state, 'in_progress')

    @with_transaction()
    def test_lease_history(self):
        "The vehicle form lists its leases with its agent, and theirs only"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        contract = self._contract(vehicles=['VA1'])
        day = JAN15
        while day <= dt.date(2026, 2, 16):
            self._process(day)
            day += dt.timedelta(days=1)
        with as_user(self.staff_a, self.company):
            line, = Vehicle(self.vehicles['VA1'].id).leases
            self.assertEqual(
                (line.contract, line.customer, line.first_day,
                    line.last_day, line.contract_state, line.revenue),
                (contract, self.customers['A1'], JAN15,
                    dt.date(2026, 3, 31), 'in_progress', D(2000)))
        with as_user(self.staff_b, self.company):
            with refused(self, '', AccessError):
                Vehicle.read([self.vehicles['VA1'].id], ['leases'])
        # Back with the agent after the lease, then moved to agent B
        self._process(dt.date(2026, 4, 1))
        with as_user(self.operator, self.company):
            Vehicle.transfer_to([Vehicle(self.vehicles['VA1'].id)],
                agent=self.agent_b)
        with as_user(self.staff_b, self.company):
            self.assertEqual(
                Vehicle(self.vehicles['VA1'].id).leases, ())

    @with_transaction()
    def test_reports(self):
        "Each document prints its number and customer in their language"
        pool = Pool()
        Party = pool.get('party.party')
        Quotation = pool.get('lease.quotation')
        Customer = pool.get('marcier.customer')
        Installment = pool.get('lease.installment')
        self._setup()
        chinese = load_chinese('marcier_lease')
        Party.write([self.customers['A2']], {'lang': chinese.id})
        for code, label in [('A1', "Quotation"), ('A2', "报价单")]:
            contract = self._contract(customer=code, vehicles=[
                    'VA1' if code == 'A1' else 'VA2'])
            quotation, = Quotation.create([{
                        'company': self.company.id,
                        'agent': self.agent_a.id,
                        'customer': self.customers[code].id,
                        'start_date': JAN15, 'end_date': JAN15,
                        'lines': [('create', [{
                                        'product': self.golf.id,
                                        'rent': D(800)}])]}])
            with today(dt.date(2026, 2, 20)):
                Installment.bill(contract.installments[:1],
                    date=JAN15)
                customer, = Customer.search([
                        ('party', '=', self.customers[code].id)])
                bill = Installment(contract.installments[0].id)
                documents = [
                    ('lease.quotation', quotation, quotation.number, label),
                    ('lease.contract', contract, contract.number,
                        {'A1': "Lease Contract", 'A2': "租赁合同"}[code]),
                    ('lease.installment', bill, bill.bill_number,
                        {'A1': "Bill", 'A2': "账单"}[code]),
                    ('lease.overdue_statement', customer, bill.bill_number,
                        {'A1': "Overdue Statement", 'A2': "逾期对账单"}[code]),
                    ]
                for name, record, number, title in documents:
                    Report = pool.get(name, type='report')
                    with as_user(self.staff_a, self.company):
                        kind, content, _, _ = Report.execute([record.id], {})
                    self.assertEqual(kind, 'odt')
                    with zipfile.ZipFile(io.BytesIO(content)) as odt:
                        text = odt.read('content.xml').decode()
                    self.assertIn(number, text, name)
                    self.assertIn(self.customers[code].name, text, name)
                    self.assertIn(title, text, name)
                    with as_user(self.staff_b, self.company):
                        with refused(self, '', AccessError):
                            Report.execute([record.id], {})

    def test_mall(self):
        """The mall shows the vehicles free now in both languages and
        follows a contract or a gateway's report at once"""
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Listing = pool.get('mall.listing')
            Party = pool.get('party.party')
            Customer = pool.get('marcier.customer')
            City = pool.get('marcier.city')
            self._setup()
            load_chinese('marcier_mall')
            # Its own agent, city and customer: the data stays committed
            agent = create_agent(self.company, 'M')
            party, = Party.create([{'name': "Customer M1"}])
            Customer.create([{'party': party.id, 'agent': agent.id,
                        'company': self.company.id}])
            city, = City.create([{'name': "Hangzhou", 'latitude': HANGZHOU[0],
                        'longitude': HANGZHOU[1], 'radius': 40}])
            self._serve_cities(agent, [city])
            with Transaction().set_context(language='zh_CN'):
                City.write([city], {'name': "杭州"})
            product = mall_product("Golf Cart M9")
            listing = create_listing(agent, product, city)
            Listing.submit([listing])
            Listing.approve([listing])
            vehicles = [self._vehicle(s, product, agent)
                for s in ['VM1', 'VM2']]
            low = self._vehicle('VM3', product, agent)
            live(vehicles, HANGZHOU)
            live([low], HANGZHOU, soc=5)
            transaction.commit()
            ids = {'listing': listing.id, 'low': low.id, 'agent': agent.id,
                'customer': party.id, 'vehicles': [v.id for v in vehicles]}
        client = self.client()
        zh = {'Accept-Language': 'zh-CN'}
        en = {'Accept-Language': 'en'}
        path = f'/mall/{ids["listing"]}'

        def available(text):
            return re.findall(r'class="availability [a-z]+">([^<]+)<', text)

        self.assertEqual(available(client.get(path, headers=en).text),
            ['2 available in Hangzhou now'])
        self.assertEqual(available(client.get(path, headers=zh).text),
            ['杭州现有 2 辆可租'])
        listed = client.get('/mall?available=1', headers=en).text
        self.assertIn(path, listed)
        self.assertIn('2 available in Hangzhou now', listed)

        # A contract takes both vehicles: the pages follow at once
        with Transaction().start(DB_NAME, 0) as transaction:
            self._setup()
            Contract = Pool().get('lease.contract')
            today_ = Pool().get('ir.date').today()
            contract, = Contract.create([{
                        'company': self.company.id,
                        'agent': ids['agent'], 'customer': ids['customer'],
                        'start_date': today_,
                        'end_date': today_ + dt.timedelta(days=9),
                        'lines': [('create', [{
                                        'vehicle': v, 'rent': D(900)}
                                    for v in ids['vehicles']])]}])
            Contract.start([contract])
            transaction.commit()
        end = today_ + dt.timedelta(days=10)
        text = available(client.get(path, headers=en).text)[0]
        self.assertEqual(text, 'In Hangzhou from '
            + end.strftime('%b ') + str(end.day))
        self.assertEqual(available(client.get(path, headers=zh).text),
            [f'杭州 {end.month}月{end.day}日起可租'])
        self.assertNotIn(path,
            client.get('/mall?available=1', headers=en).text)

        # The low vehicle's gateway reports a full battery
        with Transaction().start(DB_NAME, 0) as transaction:
            Vehicle = Pool().get('device.vehicle')
            Vehicle.update_live_state({ids['low']: (
                        dt.datetime.now(), {
                            'latitude': HANGZHOU[0],
                            'longitude': HANGZHOU[1], 'key_on': False,
                            'speed': 0.0, 'soc': 95.0, 'odometer': None,
                            'working_hours': None})})
            transaction.commit()
        self.assertEqual(available(client.get(path, headers=en).text),
            ['1 available in Hangzhou now'])
        self.assertIn(path, client.get('/mall?available=1', headers=en).text)
