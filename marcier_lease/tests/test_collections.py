# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Collections: dunning levels and their messages, follow-ups, late fees
(known answers), the approved drive lock.  A mixin of the module's test
case (test_module.py), to share its database and fixture."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

from marcier_device.tests.test_module import as_user

from . import refused

D = Decimal
JAN15 = dt.date(2026, 1, 15)
FEB15 = dt.date(2026, 2, 15)


class CollectionsTests:
    "Needs LeaseTestMixin (and marcier_iot for the drive lock)"

    def _late_fee_contract(self, method='daily', rate=D('0.0005'),
            amount=None, **kwargs):
        contract = self._contract(plan=False, **kwargs)
        contract.late_fee_method = method
        contract.late_fee_rate = rate
        contract.late_fee_amount = amount
        contract.save()
        Pool().get('lease.contract').plan([contract])
        return contract

    def _fees(self, contract):
        LateFee = Pool().get('lease.late_fee')
        return [(f.installment.due_date, f.start_date, f.end_date, f.days,
                f.base, f.amount, f.state)
            for f in LateFee.search([('contract', '=', contract.id)],
                order=[('installment', 'ASC'), ('start_date', 'ASC')])]

    def _procedure(self):
        "Reminder on day 1, warning on day 15, lock proposal on day 30"
        pool = Pool()
        Procedure = pool.get('account.dunning.procedure')
        Configuration = pool.get('lease.configuration')
        procedure, = Procedure.create([{
                    'name': "Lease",
                    'levels': [('create', [{
                                    'sequence': i, 'name': name,
                                    'overdue': dt.timedelta(days=days),
                                    'propose_lock': lock,
                                    } for i, (name, days, lock) in enumerate([
                                        ("Reminder", 1, False),
                                        ("Warning", 15, False),
                                        ("Lock Proposal", 30, True)])])],
                    }])
        config = Configuration(1)
        config.dunning_procedure = procedure
        config.save()
        return procedure

    @with_transaction()
    def test_late_fee_daily(self):
        "Unpaid rent x 0.05 % x days, billed with the next bill"
        pool = Pool()
        RevenueDay = pool.get('lease.revenue.day')
        self._setup()
        contract = self._late_fee_contract()
        jan, feb, mar = contract.installments
        self._process(JAN15)
        self._process(dt.date(2026, 1, 25))
        self.assertEqual(self._fees(contract), [
                (JAN15, JAN15, dt.date(2026, 1, 25), 10, D(1000), D('5.00'),
                    'accrued')])
        self._process(dt.date(2026, 2, 14))
        self.assertEqual(self._fees(contract)[0][3:6],
            (30, D(1000), D('15.00')))
        # The billing run of 15 February bills 31 days on the next bill
        self._process(FEB15)
        self.assertEqual(self._fees(contract), [
                (JAN15, JAN15, FEB15, 31, D(1000), D('15.50'), 'billed')])
        self.assertEqual(
            (feb.late_fee_amount, feb.unpaid_amount, feb.invoice.total_amount),
            (D('15.50'), D('1015.50'), D('1015.50')))
        self.assertIn('31 days', feb.invoice.lines[-1].description)
        self.assertEqual(jan.billed_late_fees, ())
        self.assertEqual(feb.billed_late_fees[0].installment, jan)
        # Next day: a new fee of the January bill, one of February's
        self._process(dt.date(2026, 2, 16))
        self.assertEqual(self._fees(contract)[1:], [
                (JAN15, FEB15, dt.date(2026, 2, 16), 1, D(1000), D('0.50'),
                    'accrued'),
                (FEB15, FEB15, dt.date(2026, 2, 16), 1, D(1000), D('0.50'),
                    'accrued')])
        # A payment lowers the base: a new fee from where the last ended;
        # a bill's late fees are paid after its rent
        jan.pay(D(400), dt.date(2026, 2, 16))
        feb.pay(D('1010'), dt.date(2026, 2, 16))
        self.assertEqual((feb.late_fee_base, feb.unpaid_amount),
            (D(0), D('5.50')))
        self._process(dt.date(2026, 2, 18))
        self.assertEqual(self._fees(contract)[1:], [
                (JAN15, FEB15, dt.date(2026, 2, 16), 1, D(1000), D('0.50'),
                    'accrued'),
                (JAN15, dt.date(2026, 2, 16), dt.date(2026, 2, 18), 2, D(600),
                    D('0.60'), 'accrued'),
                (FEB15, FEB15, dt.date(2026, 2, 16), 1, D(1000), D('0.50'),
                    'accrued')])
        # The revenue charts' late fee series: by the fees' last day
        day = RevenueDay.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*day.select(day.date, day.late_fees,
                where=(day.agent == self.agent_a.id) & (day.late_fees != 0),
                order_by=[day.date]))
        self.assertEqual([(d, D(str(f))) for d, f in cursor], [
                (FEB15, D('15.50')), (dt.date(2026, 2, 16), D('1.00')),
                (dt.date(2026, 2, 18), D('0.60'))])

    @with_transaction()
    def test_late_fee_fixed(self):
        "A fixed fee, once per overdue bill; none without a late fee"
        self._setup()
        contract = self._late_fee_contract('fixed', amount=D(50))
        other = self._late_fee_contract('none', vehicles=('VA2',),
            customer='A2')
        self._process(JAN15)
        for day in [16, 20, 31]:
            self._process(dt.date(2026, 1, day))
        self.assertEqual(self._fees(contract), [
                (JAN15, dt.date(2026, 1, 16), dt.date(2026, 1, 16), 0,
                    D(1000), D(50), 'accrued')])
        self.assertEqual(self._fees(other), [])
        self._process(FEB15)
        self.assertEqual(contract.installments[1].late_fee_amount, D(50))

    @with_transaction()
    def test_late_fee_waive(self):
        "Waiving needs a reason and says who; only the run accrues fees"
        pool = Pool()
        LateFee = pool.get('lease.late_fee')
        self._setup()
        contract = self._late_fee_contract()
        self._process(JAN15)
        self._process(dt.date(2026, 1, 20))
        fee, = LateFee.search([('contract', '=', contract.id)])
        with as_user(self.staff_a, self.company):
            with refused(self, 'reason'):
                LateFee.waive([LateFee(fee.id)])
            with refused(self, 'waiver reason'):
                LateFee.write([LateFee(fee.id)], {'method': 'fixed'})
            with refused(self, 'not allowed'):
                LateFee.create([{'installment': fee.installment.id,
                            'method': 'fixed', 'start_date': JAN15,
                            'end_date': JAN15, 'days': 0, 'base': D(1),
                            'amount': D(1)}])
            with refused(self, 'not allowed'):
                LateFee.delete([LateFee(fee.id)])
            LateFee.write([LateFee(fee.id)],
                {'waive_reason': "First delay of a good customer"})
            LateFee.waive([LateFee(fee.id)])
        self.assertEqual((fee.state, fee.waived_by), ('waived', self.staff_a))
        with as_user(self.staff_a, self.company), \
                refused(self, 'waiver reason'):
            LateFee.write([LateFee(fee.id)], {'waive_reason': "Changed"})
        with as_user(self.staff_b, self.company):
            self.assertEqual(LateFee.search([]), [])
        # Not billed; the run starts a new fee after the waived one:
        # 26 days x 0.50
        self._process(FEB15)
        self.assertEqual(contract.installments[1].late_fee_amount, D('13.00'))
        self.assertEqual([(f[1], f[6]) for f in self._fees(contract)], [
                (JAN15, 'waived'), (dt.date(2026, 1, 20), 'billed')])

    @with_transaction()
    def test_bill_due_on_plan_date(self):
        """A bill made days after its due date is due on that date: the
        dunning counts from it, not from the day it was billed"""
        Dunning = Pool().get('account.dunning')
        self._setup()
        self._procedure()
        contract = self._contract()
        jan = contract.installments[0]
        self._process(dt.date(2026, 1, 20))
        receivable, = [l for l in jan.invoice.move.lines if l.maturity_date]
        self.assertEqual(receivable.maturity_date, jan.due_date)
        dunning, = Dunning.search([('installment', '=', jan.id)])
        self.assertEqual(dunning.level.name, "Reminder")

    @with_transaction()
    def test_dunning_levels(self):
        "Each level reached sends its to-do and logs the reminder, once"
        pool = Pool()
        Dunning = pool.get('account.dunning')
        FollowUp = pool.get('lease.installment.follow_up')
        self._setup()
        self._procedure()
        contract = self._contract()
        jan = contract.installments[0]
        self._process(JAN15)
        self.assertFalse(Dunning.search([('installment', '=', jan.id)]))
        for day, level in [(16, "Reminder"), (29, "Reminder"),
                (30, "Warning"), (31, "Warning")]:
            self._process(dt.date(2026, 1, day))
            dunning, = Dunning.search([('installment', '=', jan.id)])
            self.assertEqual((dunning.level.name, dunning.state),
                (level, 'waiting'))
        self.assertEqual(dunning.date, dt.date(2026, 1, 30))
        self._process(dt.date(2026, 2, 14))
        self.assertEqual(dunning.level.name, "Lock Proposal")
        todos = self._messages(self.staff_a, 'overdue')
        self.assertEqual(sorted(t.label.split(':')[0] for t in todos),
            ["Lock Proposal", "Reminder", "Warning"])
        self.assertEqual({t.kind for t in todos}, {'todo'})
        self.assertIn('drive lock', [t for t in todos
                if t.label.startswith("Lock")][0].body)
        self.assertFalse(self._messages(self.staff_b, 'overdue'))
        self.assertFalse(self._messages(self.operator, 'overdue'))
        logs = FollowUp.search([('installment', '=', jan.id)],
            order=[('date', 'ASC')])
        self.assertEqual(
            [(f.kind, f.date, f.agent) for f in logs], [
                ('reminder', dt.date(2026, 1, 16), self.agent_a),
                ('reminder', dt.date(2026, 1, 30), self.agent_a),
                ('reminder', dt.date(2026, 2, 14), self.agent_a)])
        # no channel without marcier_wechat in this database
        self.assertIn('not sent', logs[0].note)
        # Paid off: the dunning is over
        jan.pay(D(1000), dt.date(2026, 2, 14))
        self.assertFalse(Dunning.search([('installment', '=', jan.id)]))

    @with_transaction()
    def test_follow_up(self):
        "Agent staff log calls and promises on their own bills only"
        pool = Pool()
        FollowUp = pool.get('lease.installment.follow_up')
        self._setup()
        contract = self._contract()
        self._process(JAN15)
        jan = contract.installments[0]
        with as_user(self.staff_a, self.company):
            with refused(self, 'before the follow-up date'):
                FollowUp.create([{'installment': jan.id, 'kind': 'promise',
                            'date': dt.date(2026, 1, 20),
                            'promised_date': dt.date(2026, 1, 19)}])
            with refused(self, 'dunning run only'):
                FollowUp.create([{'installment': jan.id, 'kind': 'reminder',
                            'date': dt.date(2026, 1, 20)}])
            with refused(self, 'Note'):
                FollowUp.create([{'installment': jan.id, 'kind': 'dispute',
                            'date': dt.date(2026, 1, 20)}])
            promise, = FollowUp.create([{'installment': jan.id,
                        'kind': 'promise', 'date': dt.date(2026, 1, 20),
                        'promised_date': dt.date(2026, 1, 25),
                        'note': "Pays on Sunday"}])
            self.assertEqual((promise.agent, promise.user),
                (self.agent_a, self.staff_a))
        with as_user(self.staff_b, self.company):
            self.assertEqual(FollowUp.search([]), [])
            with refused(self, ''):
                FollowUp.create([{'installment': jan.id, 'kind': 'call',
                            'date': dt.date(2026, 1, 20)}])

    def _moving(self, vehicle, key_on=True, speed=25.0, age=0):
        "The live state the listener would store"
        Vehicle = Pool().get('device.vehicle')
        Vehicle.write([Vehicle(vehicle.id)], {
                'last_seen': dt.datetime.now(dt.timezone.utc).replace(
                    tzinfo=None) - dt.timedelta(seconds=age),
                'key_on': key_on, 'speed': speed})

    def _lock_setup(self, unlock_approval=False):
        pool = Pool()
        IotConfiguration = pool.get('iot.configuration')
        Configuration = pool.get('lease.configuration')
        # nothing is published: the tests roll back before the commit
        IotConfiguration.write([IotConfiguration(1)],
            {'broker': 'mqtt://platform:x@127.0.0.1:1883'})
        config = Configuration(1)
        config.unlock_approval = unlock_approval
        config.save()
        for serial in ['VA1', 'VA2']:
            self.vehicles[serial].gateway_id = f'gw-{serial.lower()}'
            self.vehicles[serial].save()
        vehicle = self.vehicles['VA1']
        contract = self._contract()
        self._process(JAN15)
        self._process(dt.date(2026, 1, 20))
        return contract, vehicle

    @with_transaction()
    def test_lock_request(self):
        """Request, approve, not sent while moving, sent at standstill,
        paid off: unlocked; commands are never changed once sent"""
        pool = Pool()
        LockRequest = pool.get('lease.lock.request')
        Command = pool.get('iot.command')
        self._setup()
        contract, vehicle = self._lock_setup()
        self._moving(vehicle)
        values = {'contract': contract.id, 'vehicle': vehicle.id,
            'reason': "Two months unpaid"}
        with as_user(self.staff_a, self.company):
            with refused(self, 'reason'):
                LockRequest.create([{**values, 'reason': "  "}])
            with refused(self, 'not leased'):
                LockRequest.create([{**values,
                            'vehicle': self.vehicles['VA2'].id}])
            with refused(self, 'lock request'):
                Command.create([{'vehicle': vehicle.id, 'kind': 'lock'}])
            request, = LockRequest.create([values])
            with refused(self, 'open drive lock request'):
                LockRequest.create([values])
            with refused(self, 'is not allowed'):
                LockRequest.approve([LockRequest(request.id)])
            with refused(self, 'not allowed'):
                LockRequest.delete([LockRequest(request.id)])
        with refused(self, 'kept as a record'):
            LockRequest.delete([request])
        self.assertEqual((request.state, request.requested_by),
            ('requested', self.staff_a))
        self.assertTrue(self._messages(self.operator, 'Drive lock requested'))
        with as_user(self.staff_b, self.company):
            self.assertEqual(LockRequest.search([]), [])
        # Approved while the vehicle drives: nothing is sent
        with as_user(self.operator, self.company):
            LockRequest.approve([LockRequest(request.id)])
        self.assertEqual((request.state, request.lock_command, request.decided_by),
            ('approved', None, self.operator))
        LockRequest.send_locks()
        self.assertEqual(request.state, 'approved')
        # nor to a vehicle whose standstill is five minutes old
        self._moving(vehicle, key_on=False, age=301)
        LockRequest.send_locks()
        self.assertEqual(request.state, 'approved')
        bare, = Command.create([{'vehicle': vehicle.id, 'kind': 'lock'}])
        with refused(self, 'moving'):
            Command.send([bare])
        # Key off now: the task sends it
        self._moving(vehicle, key_on=False, speed=None)
        LockRequest.send_locks()
        self.assertEqual(request.state, 'locked')
        lock = request.lock_command
        self.assertEqual((lock.kind, lock.state), ('lock', 'sent'))
        self.assertTrue(self._messages(self.staff_a, 'locked'))
        # Sent: nobody edits or deletes it, root included
        with refused(self, 'cannot be changed'):
            Command.write([lock], {'kind': 'unlock'})
        with refused(self, 'cannot be deleted'):
            Command.delete([lock])
        with as_user(self.operator, self.company), \
                refused(self, 'cannot be changed'):
            Command.write([Command(lock.id)], {'detail': "ok"})
        # Paying off unlocks
        for bill in contract.installments:
            if bill.state == 'billed':
                bill.pay(bill.unpaid_amount, dt.date(2026, 1, 21))
        self.assertEqual(request.state, 'unlocked')
        self.assertEqual(
            (request.unlock_command.kind, request.unlock_command.state),
            ('unlock', 'sent'))

    @with_transaction()
    def test_lock_request_unlock_approval(self):
        "With unlock approval, paying off waits for an operator"
        pool = Pool()
        LockRequest = pool.get('lease.lock.request')
        self._setup()
        contract, vehicle = self._lock_setup(unlock_approval=True)
        self._moving(vehicle, speed=0.0)
        request, = LockRequest.create([{'contract': contract.id,
                    'vehicle': vehicle.id, 'reason': "Unpaid"}])
        LockRequest.approve([request])
        self.assertEqual(request.state, 'locked')
        for bill in contract.installments:
            if bill.state == 'billed':
                bill.pay(bill.unpaid_amount, dt.date(2026, 1, 21))
        self.assertEqual((request.state, request.unlock_command),
            ('paid', None))
        self.assertTrue(self._messages(self.operator, 'approve the unlock'))
        with as_user(self.staff_a, self.company), \
                refused(self, 'is not allowed'):
            LockRequest.unlock([LockRequest(request.id)])
        LockRequest.unlock([request])
        self.assertEqual(request.state, 'unlocked')

    @with_transaction()
    def test_lock_request_refused(self):
        "Refused, or paid before the lock: nothing is sent"
        pool = Pool()
        LockRequest = pool.get('lease.lock.request')
        self._setup()
        contract, vehicle = self._lock_setup()
        request, = LockRequest.create([{'contract': contract.id,
                    'vehicle': vehicle.id, 'reason': "Unpaid"}])
        request.decision_note = "Customer promised to pay Monday"
        request.save()
        LockRequest.refuse([request])
        self.assertEqual((request.state, request.lock_command),
            ('refused', None))
        self.assertTrue(self._messages(self.staff_a, 'refused'))
        with as_user(self.staff_a, self.company), \
                refused(self, 'has been decided'):
            LockRequest.write([LockRequest(request.id)], {'reason': "x"})
        self._moving(vehicle)
        second, = LockRequest.create([{'contract': contract.id,
                    'vehicle': vehicle.id, 'reason': "Still unpaid"}])
        LockRequest.approve([second])
        for bill in contract.installments:
            if bill.state == 'billed':
                bill.pay(bill.unpaid_amount, dt.date(2026, 1, 21))
        self.assertEqual((second.state, second.lock_command),
            ('cancelled', None))
        with refused(self, 'no overdue bill'):
            LockRequest.create([{'contract': contract.id,
                        'vehicle': vehicle.id, 'reason': "Unpaid"}])
