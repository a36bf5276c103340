# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import CompanyTestMixin
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from marcier_base.tests import AgentTestMixin
from marcier_base.tests.test_module import setup_agents
from marcier_device.tests import create_product
from marcier_device.tests.test_module import as_user, today

from ..accounting import ensure_accounting
from ..contract import billing_periods
from . import refused
from .test_collections import CollectionsTests

D = Decimal
JAN15 = dt.date(2026, 1, 15)


class LeaseTestMixin:
    """A company with accounting, agents A and B, staff, customers, vehicles:
    built and committed once per class (the chart of accounts and three
    fiscal years take seconds); each test runs in its own transaction,
    rolled back, on a copy of the same records"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # with_transaction retries on the table locks the set-up asks for
        cls._fixture = with_transaction()(cls._build_fixture)()

    @classmethod
    def _build_fixture(cls):
        "Create and commit the records; return their models and ids"
        pool = Pool()
        Party = pool.get('party.party')
        Customer = pool.get('marcier.customer')
        Vehicle = pool.get('device.vehicle')
        built = SimpleNamespace()
        setup_agents(built)
        company = built.company
        customers = {}
        for code, agent in [('A1', built.agent_a), ('A2', built.agent_a),
                ('B1', built.agent_b)]:
            party, = Party.create([{
                        'name': f"Customer {code}",
                        'addresses': [('create', [{}])]}])
            Customer.create([{
                        'party': party.id, 'agent': agent.id,
                        'company': company.id}])
            customers[code] = party
        built.golf = create_product("MC-G4 Golf Cart", 'MC-G4')
        built.patrol = create_product("MC-P2 Patrol Car", 'MC-P2')
        vehicles = {}
        for serial, agent in [('VA1', built.agent_a), ('VA2', built.agent_a),
                ('VA3', built.agent_a), ('VB1', built.agent_b)]:
            vehicles[serial], = Vehicle.create([{
                        'serial': serial, 'company': company.id,
                        'agent': agent.id, 'product': built.golf.id}])
        ensure_accounting(company, [2025, 2026, 2027])
        fixture = {name: (record.__name__, record.id)
            for name, record in vars(built).items()}
        fixture['customers'] = {code: (r.__name__, r.id)
            for code, r in customers.items()}
        fixture['vehicles'] = {serial: (r.__name__, r.id)
            for serial, r in vehicles.items()}
        Transaction().commit()
        return fixture

    def _setup(self):
        "The class's records, as instances of this test's transaction"
        pool = Pool()
        for name, value in self._fixture.items():
            if isinstance(value, dict):
                setattr(self, name, {key: pool.get(model)(id_)
                        for key, (model, id_) in value.items()})
            else:
                model, id_ = value
                setattr(self, name, pool.get(model)(id_))

    def _contract(self, customer='A1', vehicles=('VA1',), rents=None,
            start=JAN15, end=dt.date(2026, 3, 31), cycle='monthly',
            deposit=D(0), agent=None, plan=True):
        pool = Pool()
        Contract = pool.get('lease.contract')
        rents = rents or [D('1000')] * len(vehicles)
        contract, = Contract.create([{
                    'company': self.company.id,
                    'agent': (agent or self.agent_a).id,
                    'customer': self.customers[customer].id,
                    'start_date': start, 'end_date': end,
                    'billing_cycle': cycle, 'deposit': deposit,
                    'lines': [('create', [{
                                    'vehicle': self.vehicles[v].id,
                                    'rent': r}
                                for v, r in zip(vehicles, rents)])],
                    }])
        if plan:
            Contract.plan([contract])
        return contract

    def _messages(self, user, text):
        Notification = Pool().get('res.notification')
        return Notification.search([
                ('user', '=', user.id), ('label', 'like', f'%{text}%')])

    def _process(self, date):
        Contract = Pool().get('lease.contract')
        with today(date), Transaction().set_context(company=self.company.id):
            Contract.process()


class MarcierLeaseTestCase(CollectionsTests,
        LeaseTestMixin, CompanyTestMixin, AgentTestMixin, ModuleTestCase):
    "Test Marcier Lease module"
    module = 'marcier_lease'
    extras = ['marcier_iot', 'marcier_mall']

    def test_billing_periods(self):
        "Billing periods by cycle; a partial month counts its days / 30"
        self.assertEqual(
            billing_periods(JAN15, dt.date(2026, 3, 31), 'monthly'), [
                (JAN15, dt.date(2026, 2, 14), D(1)),
                (dt.date(2026, 2, 15), dt.date(2026, 3, 14), D(1)),
                (dt.date(2026, 3, 15), dt.date(2026, 3, 31),
                    D(17) / 30)])
        self.assertEqual(
            billing_periods(
                dt.date(2026, 1, 1), dt.date(2026, 12, 31), 'quarterly'),
            [(dt.date(2026, m, 1),
                    dt.date(2026, m + 3, 1) - dt.timedelta(days=1)
                    if m < 10 else dt.date(2026, 12, 31), D(3))
                for m in [1, 4, 7, 10]])
        self.assertEqual(
            billing_periods(
                dt.date(2026, 1, 31), dt.date(2026, 3, 15), 'one_off'),
            [(dt.date(2026, 1, 31), dt.date(2026, 3, 15),
                    D(1) + D(16) / 30)])

    @with_transaction()
    def test_plan(self):
        "The plan has the deposit and one line per period, rounded"
        self._setup()
        contract = self._contract(vehicles=('VA1', 'VA2'),
            rents=[D('1000.00'), D('550.50')], deposit=D('2000'))
        self.assertEqual(contract.rent, D('1550.50'))
        self.assertEqual(
            [(i.kind, i.due_date, i.amount, i.state)
                for i in contract.installments], [
                ('deposit', JAN15, D('2000'), 'planned'),
                ('rent', JAN15, D('1550.50'), 'planned'),
                ('rent', dt.date(2026, 2, 15), D('1550.50'), 'planned'),
                ('rent', dt.date(2026, 3, 15), D('878.62'), 'planned'),
                ])
        self.assertTrue(all(
                (i.agent, i.customer, i.unpaid_amount)
                == (self.agent_a, self.customers['A1'], i.amount)
                for i in contract.installments))

    @with_transaction()
    def test_workflow(self):
        "Start, suspend, resume, complete move the contract and vehicles"
        pool = Pool()
        Contract = pool.get('lease.contract')
        self._setup()
        contract = self._contract(vehicles=('VA1', 'VA2'))
        vehicles = [self.vehicles['VA1'], self.vehicles['VA2']]
        self.assertEqual(contract.state, 'not_started')
        self.assertTrue(self._messages(self.staff_a, 'created'))
        with today(JAN15):
            Contract.start([contract])
        self.assertEqual(contract.state, 'in_progress')
        self.assertEqual({(v.status, v.customer) for v in vehicles},
            {('rented', self.customers['A1'])})
        self.assertTrue(self._messages(self.staff_a, 'started'))
        with refused(self, 'reason'):
            Contract.suspend([contract])
        self.assertEqual(contract.state, 'in_progress')
        contract.suspension_reason = "Site closed for the holidays"
        contract.save()
        Contract.suspend([contract])
        self.assertEqual(contract.state, 'suspended')
        Contract.resume([contract])
        self.assertEqual(contract.state, 'in_progress')
        with today(dt.date(2026, 3, 31)):
            Contract.complete([contract])
        self.assertEqual(contract.state, 'completed')
        self.assertEqual({(v.status, v.customer) for v in vehicles},
            {('available', None)})
        self.assertTrue(self._messages(self.staff_a, 'ended'))

    @with_transaction()
    def test_cancel(self):
        "A contract not started can be cancelled; its plan goes"
        pool = Pool()
        Contract = pool.get('lease.contract')
        self._setup()
        contract = self._contract()
        Contract.cancel([contract])
        self.assertEqual((contract.state, contract.installments),
            ('cancelled', ()))
        # The vehicle is free for another contract of the same period
        self._contract(customer='A2')

    @with_transaction()
    def test_terminate(self):
        "Early termination ends today and drops the rent not yet billed"
        pool = Pool()
        Contract = pool.get('lease.contract')
        self._setup()
        contract = self._contract()
        self._process(JAN15)
        with today(dt.date(2026, 2, 10)):
            Contract.terminate([contract])
        self.assertEqual((contract.state, contract.termination_date),
            ('completed', dt.date(2026, 2, 10)))
        self.assertEqual([i.state for i in contract.installments],
            ['billed'])
        self.assertEqual(self.vehicles['VA1'].status, 'available')
        # The vehicle may be leased again after the termination
        self._contract(customer='A2', start=dt.date(2026, 2, 11))
        with today(dt.date(2026, 2, 10)), \
                refused(self, 'complete it'):
            Contract.terminate([self._contract(
                        vehicles=('VA3',), end=dt.date(2026, 2, 1))])

    @with_transaction()
    def test_renew(self):
        "Renewal creates the successor from the day after the end"
        pool = Pool()
        Contract = pool.get('lease.contract')
        self._setup()
        contract = self._contract(deposit=D(500))
        self._process(JAN15)
        Contract.renew([contract])
        successor, = contract.successors
        self.assertEqual(
            (successor.state, successor.start_date, successor.end_date,
                successor.predecessor),
            ('not_started', dt.date(2026, 4, 1), dt.date(2026, 6, 17),
                contract))
        self.assertFalse(successor.expiry_warned)
        self.assertNotEqual(successor.number, contract.number)
        self.assertEqual(len(successor.installments), 4)
        # The predecessor ends, the successor starts: the vehicle stays
        self._process(dt.date(2026, 4, 1))
        self.assertEqual(
            (contract.state, successor.state), ('completed', 'in_progress'))
        self.assertEqual(
            (self.vehicles['VA1'].status, self.vehicles['VA1'].customer),
            ('rented', self.customers['A1']))

    @with_transaction()
    def test_process(self):
        "The daily run starts, bills, warns once 5 days ahead and completes"
        self._setup()
        contract = self._contract(deposit=D(300))
        self._process(dt.date(2026, 1, 14))
        self.assertEqual(contract.state, 'not_started')
        self._process(JAN15)
        self.assertEqual(contract.state, 'in_progress')
        self.assertEqual([i.state for i in contract.installments],
            ['billed', 'billed', 'planned', 'planned'])
        bills = self._messages(self.staff_a, 'Customer bill')
        self.assertEqual(len(bills), 2)
        self.assertEqual({b.kind for b in bills}, {'todo'})
        invoice = contract.installments[1].invoice
        self.assertEqual(
            (invoice.state, invoice.total_amount, invoice.party,
                invoice.invoice_date),
            ('posted', D(1000), self.customers['A1'], JAN15))
        self.assertEqual(contract.installments[1].bill_number, invoice.number)
        self._process(dt.date(2026, 3, 25))
        self.assertFalse(self._messages(self.staff_a, 'expires'))
        self._process(dt.date(2026, 3, 26))
        self.assertEqual(len(self._messages(self.staff_a, 'expires')), 1)
        self.assertEqual(len(self._messages(self.operator, 'expires')), 1)
        self.assertEqual(self._messages(self.staff_a, 'expires')[0].kind,
            'warning')
        self.assertFalse(self._messages(self.staff_b, 'expires'))
        self.assertTrue(contract.expiry_warned)
        self._process(dt.date(2026, 3, 27))
        self.assertEqual(len(self._messages(self.staff_a, 'expires')), 1)
        self.assertEqual([i.state for i in contract.installments],
            ['billed'] * 4)
        self._process(dt.date(2026, 3, 31))
        self.assertEqual(contract.state, 'in_progress')
        self._process(dt.date(2026, 4, 1))
        self.assertEqual(contract.state, 'completed')
        self.assertEqual(self.vehicles['VA1'].status, 'available')

    @with_transaction()
    def test_start_blocked(self):
        "A contract whose vehicle is away waits, its staff warned once"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        self._setup()
        blocked = self._contract(vehicles=('VA1', 'VA2'))
        other = self._contract(vehicles=('VA3',))
        Vehicle.start_repair([self.vehicles['VA2']])
        self._process(JAN15)
        self._process(dt.date(2026, 1, 16))
        self.assertEqual((blocked.state, other.state),
            ('not_started', 'in_progress'))
        self.assertEqual(self.vehicles['VA1'].status, 'available')
        self.assertEqual(
            len(self._messages(self.staff_a, 'cannot start')), 1)
        Vehicle.finish_repair([self.vehicles['VA2']])
        self._process(dt.date(2026, 1, 17))
        self.assertEqual(blocked.state, 'in_progress')

    @with_transaction()
    def test_suspended_not_billed(self):
        "A suspended contract is not billed until it resumes"
        pool = Pool()
        Contract = pool.get('lease.contract')
        self._setup()
        contract = self._contract()
        self._process(JAN15)
        contract.suspension_reason = "Dispute"
        contract.save()
        Contract.suspend([contract])
        self._process(dt.date(2026, 2, 20))
        self.assertEqual(contract.installments[1].state, 'planned')
        Contract.resume([contract])
        self._process(dt.date(2026, 2, 21))
        self.assertEqual(contract.installments[1].state, 'billed')

    @with_transaction()
    def test_events(self):
        "Entry on site starts the contract, exit makes the vehicle available"
        pool = Pool()
        Event = pool.get('device.vehicle.event')
        self._setup()
        contract = self._contract(vehicles=('VA1', 'VA2'))
        va1, va2 = self.vehicles['VA1'], self.vehicles['VA2']
        with refused(self, 'not started'):
            Event.create([{'vehicle': va1.id, 'type': 'repair',
                        'date': JAN15, 'contract': contract.id}])
        with refused(self, 'Contract'):
            Event.create([{'vehicle': self.vehicles['VA3'].id,
                        'type': 'entry', 'date': JAN15,
                        'contract': contract.id}])
        with today(JAN15):
            Event.create([{'vehicle': va1.id, 'type': 'entry',
                        'date': JAN15, 'contract': contract.id}])
        self.assertEqual(contract.state, 'in_progress')
        self.assertEqual((va1.status, va2.status), ('rented', 'rented'))
        Event.create([
                {'vehicle': va1.id, 'type': 'maintenance',
                    'date': dt.date(2026, 2, 1), 'contract': contract.id},
                {'vehicle': va2.id, 'type': 'exit',
                    'date': dt.date(2026, 2, 2), 'contract': contract.id}])
        self.assertEqual((va1.status, va2.status), ('rented', 'available'))
        self.assertEqual(
            sorted(e.type for e in contract.events),
            ['entry', 'exit', 'maintenance'])
        # Back on site during the lease: rented again
        Event.create([{'vehicle': va2.id, 'type': 'entry',
                    'date': dt.date(2026, 2, 5), 'contract': contract.id}])
        self.assertEqual(va2.status, 'rented')

    @with_transaction()
    def test_bad_input(self):
        "Clear errors for bad dates, overlaps, other agents' customers"
        pool = Pool()
        Contract = pool.get('lease.contract')
        self._setup()
        with refused(self, 'before its start'):
            self._contract(end=dt.date(2026, 1, 1))
        self._contract()
        with refused(self, 'already leased'):
            self._contract(customer='A2', start=dt.date(2026, 3, 31),
                end=dt.date(2026, 5, 1))
        # the day after is free
        self._contract(customer='A2', start=dt.date(2026, 4, 1),
            end=dt.date(2026, 5, 1))
        with refused(self, 'not a customer'):
            self._contract(customer='B1', vehicles=('VA2',))
        with refused(self, 'vehicle on every line'):
            contract, = Contract.create([{
                        'company': self.company.id,
                        'agent': self.agent_a.id,
                        'customer': self.customers['A1'].id,
                        'start_date': JAN15, 'end_date': JAN15,
                        'lines': [('create', [{
                                        'product': self.patrol.id,
                                        'rent': D(10)}])]}])
            Contract.start([contract])
        self.assertEqual(Contract.search([], count=True), 2)

    @with_transaction()
    def test_plan_edit(self):
        "The plan is editable before the start, never once billed"
        pool = Pool()
        Installment = pool.get('lease.installment')
        self._setup()
        contract = self._contract()
        first = contract.installments[0]
        with as_user(self.staff_a, self.company):
            Installment.write([Installment(first.id)], {'amount': D(900)})
            self.assertEqual(Installment(first.id).unpaid_amount, D(900))
            with refused(self, 'Only the due date'):
                Installment.write([Installment(first.id)],
                    {'paid_amount': D(900)})
        self._process(JAN15)
        with as_user(self.staff_a, self.company):
            with refused(self, 'has been billed'):
                Installment.write([Installment(first.id)],
                    {'amount': D(1)})
            with refused(self, 'fixed once'):
                Installment.write(
                    [Installment(contract.installments[1].id)],
                    {'due_date': dt.date(2026, 3, 1)})
        self.assertEqual(first.amount, D(900))

    @with_transaction()
    def test_payments(self):
        "Partial payments, full payment reconciles the bill, no overpayment"
        self._setup()
        contract = self._contract()
        self._process(JAN15)
        line = contract.installments[0]
        with refused(self, 'at most'):
            line.pay(D('1000.01'), dt.date(2026, 1, 20))
        with refused(self, 'at most'):
            line.pay(D(0), dt.date(2026, 1, 20))
        with refused(self, 'no bill'):
            contract.installments[1].pay(D(1), dt.date(2026, 1, 20))
        line.pay(D('400.10'), dt.date(2026, 1, 20))
        self.assertEqual(
            (line.state, line.paid_amount, line.unpaid_amount,
                line.invoice.amount_to_pay, line.invoice.state),
            ('billed', D('400.10'), D('599.90'), D('599.90'), 'posted'))
        line.pay(D('599.90'), dt.date(2026, 2, 3))
        self.assertEqual(
            (line.state, line.paid_amount, line.unpaid_amount,
                line.last_payment_date, line.invoice.amount_to_pay),
            ('paid', D(1000), D(0), dt.date(2026, 2, 3), D(0)))
        # settled: account_invoice's queue marks it paid after the commit
        self.assertTrue(line.invoice.reconciled)
        self.assertEqual(
            sorted((p.date, p.amount, p.agent, p.customer)
                for p in line.payments), [
                (dt.date(2026, 1, 20), D('400.10'), self.agent_a,
                    self.customers['A1']),
                (dt.date(2026, 2, 3), D('599.90'), self.agent_a,
                    self.customers['A1'])])
        with refused(self, 'no bill'):
            line.pay(D(1), dt.date(2026, 2, 4))

    @with_transaction()
    def test_pay_wizard(self):
        "Agent staff record a partial payment with the wizard"
        pool = Pool()
        Pay = pool.get('lease.installment.pay', type='wizard')
        self._setup()
        contract = self._contract()
        self._process(JAN15)
        line = contract.installments[0]
        with as_user(self.staff_a, self.company), today(JAN15):
            session_id, _, _ = Pay.create()
            pay = Pay(session_id)
            with Transaction().set_context(
                    active_model='lease.installment', active_id=line.id,
                    active_ids=[line.id]):
                defaults = pay.default_start(None)
                self.assertEqual(defaults['amount'], D(1000))
                pay.start.amount = D(250)
                pay.start.date = JAN15
                pay.start.description = "Cash at the depot"
                pay.transition_pay()
        self.assertEqual((line.paid_amount, line.payments[0].description),
            (D(250), "Cash at the depot"))

    def _money_fixture(self):
        """Hand-computed: rent 1000.00 + 550.50 a month from 15 January to
        31 March 2026, deposit 2000; today is 20 March"""
        self._setup()
        contract = self._contract(vehicles=('VA1', 'VA2'),
            rents=[D('1000.00'), D('550.50')], deposit=D('2000'))
        self._process(JAN15)
        deposit, rent1, rent2, rent3 = contract.installments
        deposit.pay(D('2000'), dt.date(2026, 1, 20))
        # across the month boundary
        rent1.pay(D('1000.00'), dt.date(2026, 1, 31))
        rent1.pay(D('550.50'), dt.date(2026, 2, 2))
        self._process(dt.date(2026, 2, 15))
        # agent B's figures that A's must not include
        other = self._contract(customer='B1', vehicles=('VB1',),
            agent=self.agent_b, rents=[D('777')],
            start=dt.date(2026, 3, 1))
        self._process(dt.date(2026, 3, 1))
        other.installments[0].pay(D('77'), dt.date(2026, 3, 2))
        self._process(dt.date(2026, 3, 15))
        rent3.pay(D('300'), dt.date(2026, 3, 16))
        return contract

    def _read(self, model, context, fields, user=None):
        Model = Pool().get(model)
        context = {'company': self.company.id, **context}
        transaction = Transaction()
        with today(dt.date(2026, 3, 20)):
            if user:
                with as_user(user, self.company), \
                        transaction.set_context(**context):
                    records = Model.search([])
                    return Model.read([r.id for r in records], fields)
            with transaction.set_context(**context):
                records = Model.search([])
                return Model.read([r.id for r in records], fields)

    @with_transaction()
    def test_revenue(self):
        "Receivable, received and overdue per month, quarter, agent"
        self._money_fixture()
        a, b = self.agent_a.id, self.agent_b.id
        money = ['receivable', 'received', 'overdue']

        def figures(model, context, key, user=None):
            return {r[key]: tuple(r[m] for m in money)
                for r in self._read(model, context, money + [key], user)}
        q1 = {'from_date': dt.date(2026, 1, 1),
            'to_date': dt.date(2026, 3, 31)}
        self.assertEqual(
            figures('lease.reporting.revenue.time_series',
                {**q1, 'granularity': 'month', 'agent': a}, 'label'), {
                '2026-01': (D('3550.50'), D('3000.00'), D('0.00')),
                '2026-02': (D('1550.50'), D('550.50'), D('1550.50')),
                '2026-03': (D('878.62'), D('300.00'), D('578.62')),
                })
        self.assertEqual(
            figures('lease.reporting.revenue.time_series',
                {**q1, 'granularity': 'quarter', 'agent': a}, 'label'), {
                '2026 Q1': (D('5979.62'), D('3850.50'), D('2129.12')),
                })
        self.assertEqual(
            figures('lease.reporting.revenue.time_series',
                {**q1, 'granularity': 'year'}, 'label'), {
                '2026': (D('6756.62'), D('3927.50'), D('2829.12')),
                })
        # A custom period cut at the February boundary
        self.assertEqual(
            figures('lease.reporting.revenue', {
                    'from_date': dt.date(2026, 2, 1),
                    'to_date': dt.date(2026, 2, 28)}, 'agent'), {
                a: (D('1550.50'), D('550.50'), D('1550.50')),
                })
        # The revenue days kept up to date are those computed from scratch
        RevenueDay = Pool().get('lease.revenue.day')
        fields = ['company', 'agent', 'date', 'receivable', 'received',
            'billed_unpaid']

        def days():
            return sorted(tuple(r[f] for f in fields) for r in
                RevenueDay.read([d.id for d in RevenueDay.search([])],
                    fields))
        kept = days()
        RevenueDay.rebuild()
        self.assertEqual(kept, days())
        # Agent staff read their own figures whatever they ask for
        self.assertEqual(
            figures('lease.reporting.revenue', {**q1, 'agent': a}, 'agent',
                user=self.staff_b), {
                b: (D('777.00'), D('77.00'), D('700.00'))})
        self.assertEqual(
            figures('lease.reporting.revenue.time_series',
                {**q1, 'granularity': 'quarter'}, 'label',
                user=self.staff_b), {
                '2026 Q1': (D('777.00'), D('77.00'), D('700.00'))})

    @with_transaction()
    def test_overdue(self):
        "Overdue per customer with age buckets, drill-through to the bills"
        pool = Pool()
        Overdue = pool.get('lease.reporting.overdue')
        Installment = pool.get('lease.installment')
        contract = self._money_fixture()
        rows = self._read('lease.reporting.overdue', {}, [
                'customer', 'agent', 'bills', 'oldest_due_date',
                'days_overdue', 'amount', 'days_1', 'days_31', 'days_61',
                'days_91'])
        row_a, = [r for r in rows if r['agent'] == self.agent_a.id]
        self.assertEqual(
            {k: v for k, v in row_a.items() if k != 'id'}, {
                'customer': self.customers['A1'].id,
                'agent': self.agent_a.id, 'bills': 2,
                'oldest_due_date': dt.date(2026, 2, 15),
                'days_overdue': 33, 'amount': D('2129.12'),
                'days_1': D('578.62'), 'days_31': D('1550.50'),
                'days_61': D('0.00'), 'days_91': D('0.00'),
                })
        with today(dt.date(2026, 3, 20)), \
                Transaction().set_context(company=self.company.id):
            domain = Overdue.drill_domain([Overdue(row_a['id'])])
            self.assertEqual(
                Installment.search(domain),
                [contract.installments[2], contract.installments[3]])
        rows = self._read('lease.reporting.overdue', {}, ['agent'],
            user=self.staff_b)
        self.assertEqual({r['agent'] for r in rows}, {self.agent_b.id})

    @with_transaction()
    def test_status_charts(self):
        "Vehicle and contract status counts, drill-through domains"
        pool = Pool()
        Contract = pool.get('lease.contract')
        VehicleStatus = pool.get('lease.reporting.vehicle_status')
        ContractStatus = pool.get('lease.reporting.contract_status')
        Vehicle = pool.get('device.vehicle')
        self._setup()
        self._contract()
        self._contract(vehicles=('VA2',), start=dt.date(2026, 6, 1),
            end=dt.date(2026, 7, 1))
        self._process(JAN15)
        rows = self._read('lease.reporting.vehicle_status', {},
            ['agent', 'status', 'vehicles', 'ratio'])
        self.assertEqual(
            {(r['agent'], r['status']): (r['vehicles'], round(r['ratio'], 4))
                for r in rows}, {
                (self.agent_a.id, 'rented'): (1, round(1 / 3, 4)),
                (self.agent_a.id, 'available'): (2, round(2 / 3, 4)),
                (self.agent_b.id, 'available'): (1, 1.0),
                })
        rows = self._read('lease.reporting.contract_status', {},
            ['agent', 'state', 'contracts'])
        self.assertEqual(
            {(r['agent'], r['state']): r['contracts'] for r in rows}, {
                (self.agent_a.id, 'in_progress'): 1,
                (self.agent_a.id, 'not_started'): 1,
                })
        with Transaction().set_context(company=self.company.id):
            rented = [VehicleStatus(r['id']) for r in self._read(
                    'lease.reporting.vehicle_status', {}, ['status'])
                if r['status'] == 'rented']
            self.assertEqual(
                Vehicle.search(VehicleStatus.drill_domain(rented)),
                [self.vehicles['VA1']])
            started = [ContractStatus(r['id']) for r in self._read(
                    'lease.reporting.contract_status', {}, ['state'])
                if r['state'] == 'not_started']
            self.assertEqual(
                [c.start_date for c in Contract.search(
                        ContractStatus.drill_domain(started))],
                [dt.date(2026, 6, 1)])
        rows = self._read('lease.reporting.contract_status', {}, ['agent'],
            user=self.staff_b)
        self.assertEqual(rows, [])

    @with_transaction()
    def test_agent_isolation(self):
        "Agent B sees none of A's contracts, plan lines or payments"
        pool = Pool()
        Contract = pool.get('lease.contract')
        Installment = pool.get('lease.installment')
        Payment = pool.get('lease.payment')
        self._setup()
        contract = self._contract()
        self._process(JAN15)
        contract.installments[0].pay(D(10), JAN15)
        with as_user(self.staff_b, self.company):
            self.assertEqual(Contract.search([]), [])
            self.assertEqual(Installment.search([]), [])
            self.assertEqual(Payment.search([]), [])
            with self.assertRaises(AccessError):
                Contract.read([contract.id], ['number'])
            with self.assertRaises(AccessError):
                Contract.write([Contract(contract.id)], {'note': "x"})
        with as_user(self.staff_a, self.company):
            self.assertEqual(Contract.search([]), [Contract(contract.id)])
            self.assertEqual(len(Payment.search([])), 1)
            # the bill's number, not the accounting document
            line, = Installment.read(
                [contract.installments[0].id], ['bill_number'])
            self.assertTrue(line['bill_number'])
            with self.assertRaises(AccessError):
                Installment.read([contract.installments[0].id], ['invoice'])
        with as_user(self.operator, self.company):
            self.assertEqual(len(Contract.search([])), 1)
        with as_user(self.staff_b, self.company):
            with refused(self, '', AccessError):
                Contract.create([{
                            'company': self.company.id,
                            'agent': self.agent_a.id,
                            'customer': self.customers['A1'].id,
                            'start_date': JAN15, 'end_date': JAN15}])

    @with_transaction()
    def test_quotation(self):
        "A confirmed quotation becomes a planned contract"
        pool = Pool()
        Quotation = pool.get('lease.quotation')
        Vehicle = pool.get('device.vehicle')
        self._setup()
        # Two patrol cars free to quote
        Vehicle.create([{'serial': s, 'company': self.company.id,
                    'agent': self.agent_a.id, 'product': self.patrol.id}
                for s in ['PA1', 'PA2']])
        with as_user(self.staff_a, self.company):
            quotation, = Quotation.create([{
                        'customer': self.customers['A1'].id,
                        'start_date': JAN15,
                        'end_date': dt.date(2026, 2, 14),
                        'deposit': D(100),
                        'lines': [('create', [
                                    {'vehicle': self.vehicles['VA1'].id,
                                        'rent': D(800)},
                                    {'product': self.patrol.id,
                                        'quantity': 2, 'rent': D(600)}])],
                        }])
            self.assertEqual(quotation.agent, self.agent_a)
            self.assertEqual(quotation.rent, D(2000))
            self.assertTrue(quotation.number)
            Quotation.quote([quotation])
            Quotation.confirm([quotation])
            quotation = Quotation(quotation.id)
            contract = quotation.contract
            self.assertEqual(quotation.state, 'confirmed')
            self.assertEqual(
                [(l.vehicle, l.product, l.rent) for l in contract.lines], [
                    (self.vehicles['VA1'], self.golf, D(800)),
                    (None, self.patrol, D(600)),
                    (None, self.patrol, D(600))])
            self.assertEqual(
                [i.amount for i in contract.installments],
                [D(100), D(2000)])
        with refused(self, 'at least one line'):
            empty, = Quotation.create([{
                        'company': self.company.id,
                        'agent': self.agent_a.id,
                        'customer': self.customers['A1'].id,
                        'start_date': JAN15, 'end_date': JAN15}])
            Quotation.quote([empty])
        self.assertEqual(Quotation._get_origin(), ['mall.inquiry'])

    @with_transaction()
    def test_iot_service_areas(self):
        "A leased vehicle's geofence is the city of its contract"
        pool = Pool()
        City = pool.get('marcier.city')
        Vehicle = pool.get('device.vehicle')
        Agent = pool.get('marcier.agent')
        self._setup()
        shanghai, suzhou = City.create([
                {'name': "Shanghai", 'latitude': 31.23,
                    'longitude': 121.47, 'radius': 60},
                {'name': "Suzhou", 'latitude': 31.3,
                    'longitude': 120.59, 'radius': 40}])
        Agent.write([self.agent_a], {
                'cities': [('add', [shanghai.id, suzhou.id])]})
        contract = self._contract()
        contract.city = suzhou
        contract.save()
        va1, va2 = self.vehicles['VA1'], self.vehicles['VA2']
        agents = {va1.id: self.agent_a.id, va2.id: self.agent_a.id}
        self.assertEqual(len(Vehicle.iot_service_areas(agents)[va1.id]), 2)
        self._process(JAN15)
        areas = Vehicle.iot_service_areas(agents)
        self.assertEqual(areas[va1.id], [(31.3, 120.59, 40)])
        self.assertEqual(len(areas[va2.id]), 2)


del ModuleTestCase
