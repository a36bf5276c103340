# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Payment plan lines (回款计划), their bills and actual payments (实际回款).

Bills and payments are Tryton accounting documents (customer invoices and
their payment moves); each plan line also keeps its amount, paid amount and
due date, and each payment its date, so that the workbench figures are
sums over two indexed tables."""
from decimal import Decimal

from trytond.i18n import gettext, lazy_gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from marcier_base.model import AgentOwnedMixin

from .exceptions import InstallmentError, PaymentError
from .late_fee import daily_fee

KINDS = [
    ('rent', "Rent"),
    ('deposit', "Deposit"),
    ]
INSTALLMENT_STATES = [
    ('planned', "Planned"),
    ('billed', "Billed"),
    ('paid', "Paid"),
    ]
# Fields of a plan line its user may change, before the contract starts
PLAN_FIELDS = {'due_date', 'amount', 'period_start', 'period_end', 'kind',
    'description'}


class Installment(AgentOwnedMixin, ModelSQL, ModelView):
    "Payment plan line of a lease contract, billed when due"
    __name__ = 'lease.installment'
    _audited_fields = ('amount', 'due_date', 'state')  # audit trail
    _editable = ((Eval('state') == 'planned')
        & (Eval('contract_state', 'not_started') == 'not_started'))
    contract = fields.Many2One(
        'lease.contract', "Contract", required=True, ondelete='CASCADE',
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    contract_state = fields.Function(
        fields.Selection('get_contract_states', "Contract State"),
        'on_change_with_contract_state')
    customer = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, readonly=True)
    kind = fields.Selection(KINDS, "Kind", required=True, sort=False,
        states={
            'readonly': ~_editable,
            })
    kind_string = kind.translated('kind')
    description = fields.Char("Description",
        states={
            'readonly': ~_editable,
            })
    period_start = fields.Date("Period Start",
        states={
            'readonly': ~_editable,
            'invisible': Eval('kind') != 'rent',
            })
    period_end = fields.Date("Period End",
        states={
            'readonly': ~_editable,
            'invisible': Eval('kind') != 'rent',
            })
    due_date = fields.Date("Due Date", required=True,
        states={
            'readonly': ~_editable,
            })
    amount = Monetary("Amount", currency='currency', digits='currency',
        required=True,
        domain=[
            ('amount', '>', 0),
            ],
        states={
            'readonly': ~_editable,
            })
    late_fee_amount = Monetary(
        "Late Fees", currency='currency', digits='currency', required=True,
        readonly=True,
        help="The late fees of earlier bills that this bill carries.")
    paid_amount = Monetary("Paid", currency='currency', digits='currency',
        required=True, readonly=True)
    unpaid_amount = Monetary(
        "Unpaid", currency='currency', digits='currency', required=True,
        readonly=True)
    last_payment_date = fields.Date("Last Payment", readonly=True)
    invoice = fields.Many2One(
        'account.invoice', "Bill", readonly=True, ondelete='RESTRICT')
    bill_number = fields.Char("Bill Number", readonly=True)
    payments = fields.One2Many(
        'lease.payment', 'installment', "Payments", readonly=True)
    late_fees = fields.One2Many(
        'lease.late_fee', 'installment', "Late Fees Accrued", readonly=True,
        help="The late fees this bill accrues while it is overdue.")
    billed_late_fees = fields.One2Many(
        'lease.late_fee', 'bill', "Late Fees Billed", readonly=True)
    follow_ups = fields.One2Many(
        'lease.installment.follow_up', 'installment', "Follow-Ups",
        states={
            'readonly': Eval('state') != 'billed',
            })
    state = fields.Selection(
        INSTALLMENT_STATES, "State", readonly=True, required=True, sort=False)
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue', searcher='search_overdue')
    days_overdue = fields.Function(
        fields.Integer("Days Overdue"), 'get_overdue')
    del _editable

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        cls.agent.readonly = cls.company.readonly = True
        # bill() and pay() move it (marcier_base.model.WorkflowFieldsMixin)
        cls._workflow_fields = {'state'}
        t = cls.__table__()
        billed = t.state == 'billed'
        cls._sql_indexes.update({
                # Receivable and overdue of a period, all agents or one:
                # index-only scans
                Index(t, (t.due_date, Index.Range()),
                    include=[t.company, t.agent, t.amount, t.state,
                        t.unpaid_amount]),
                Index(t, (t.agent, Index.Equality()),
                    (t.due_date, Index.Range()),
                    include=[t.company, t.amount, t.state, t.unpaid_amount]),
                # Overdue as of today: billed and not fully paid
                Index(t, (t.due_date, Index.Range()),
                    include=[t.id, t.company, t.agent, t.customer,
                        t.currency, t.unpaid_amount],
                    where=billed),
                Index(t, (t.customer, Index.Equality()),
                    (t.due_date, Index.Range()), where=billed),
                # The bills to make
                Index(t, (t.due_date, Index.Range()),
                    where=t.state == 'planned'),
                Index(t, (t.contract, Index.Equality())),
                })
        cls._order = [('due_date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def default_kind(cls):
        return 'rent'

    @classmethod
    def default_state(cls):
        return 'planned'

    @classmethod
    def default_paid_amount(cls):
        return Decimal(0)

    @classmethod
    def default_late_fee_amount(cls):
        return Decimal(0)

    @classmethod
    def get_contract_states(cls):
        return Pool().get('lease.contract').fields_get(
            ['state'])['state']['selection']

    @fields.depends('contract', '_parent_contract.state')
    def on_change_with_contract_state(self, name=None):
        return self.contract.state if self.contract else None

    @classmethod
    def get_overdue(cls, installments, name):
        today = Pool().get('ir.date').today()
        result = {}
        for installment in installments:
            days = (today - installment.due_date).days
            overdue = installment.state == 'billed' and days > 0
            result[installment.id] = (
                overdue if name == 'overdue' else (days if overdue else 0))
        return result

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        today = Pool().get('ir.date').today()
        overdue = [('state', '=', 'billed'), ('due_date', '<', today)]
        if (operator == '=') == bool(value):
            return overdue
        return ['OR', ('state', '!=', 'billed'), ('due_date', '>=', today)]

    def get_rec_name(self, name):
        return f'{self.contract.rec_name} {self.due_date}'

    @classmethod
    def preprocess_values(cls, mode, values):
        "Plan lines belong to their contract's agent, customer and company"
        pool = Pool()
        Contract = pool.get('lease.contract')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('contract'):
            contract = Contract(values['contract'])
            values.update({
                    'company': contract.company.id,
                    'agent': contract.agent.id,
                    'customer': contract.customer.id,
                    'currency': contract.currency.id,
                    })
        if 'amount' in values or mode == 'create':
            values.setdefault('paid_amount', Decimal(0))
            values.setdefault('late_fee_amount', Decimal(0))
        if 'amount' in values:
            values['unpaid_amount'] = (values['amount']
                + values.get('late_fee_amount', Decimal(0))
                - values.get('paid_amount', Decimal(0)))
        return values

    @classmethod
    def check_modification(
            cls, mode, installments, values=None, external=False):
        super().check_modification(
            mode, installments, values=values, external=external)
        if not external:
            return
        if mode == 'create':
            for installment in installments:
                if (installment.state != 'planned'
                        or installment.paid_amount or installment.invoice
                        or installment.bill_number
                        or installment.contract.state != 'not_started'):
                    raise InstallmentError(gettext(
                            'marcier_lease.msg_installment_started',
                            installment=installment.rec_name))
            return
        if mode == 'write' and not set(values) - {'description'}:
            return
        if mode == 'write' and set(values) - PLAN_FIELDS:
            raise InstallmentError(gettext(
                    'marcier_lease.msg_installment_system_fields'))
        for installment in installments:
            if installment.state != 'planned':
                raise InstallmentError(gettext(
                        'marcier_lease.msg_installment_billed',
                        installment=installment.rec_name))
            if installment.contract.state != 'not_started':
                raise InstallmentError(gettext(
                        'marcier_lease.msg_installment_started',
                        installment=installment.rec_name))

    @property
    def revenue_key(self):
        return (self.company.id, self.agent.id, self.due_date)

    @classmethod
    def on_modification(cls, mode, installments, field_names=None):
        "Keep the revenue days of the workbench up to date"
        RevenueDay = Pool().get('lease.revenue.day')
        super().on_modification(mode, installments, field_names=field_names)
        if mode == 'create' or (mode == 'write' and field_names & {
                    'company', 'agent', 'due_date', 'amount', 'state',
                    'unpaid_amount'}):
            RevenueDay.refresh({i.revenue_key for i in installments})

    @classmethod
    def on_write(cls, installments, values):
        RevenueDay = Pool().get('lease.revenue.day')
        callbacks = super().on_write(installments, values)
        if values.keys() & {'company', 'agent', 'due_date'}:
            # the days they leave
            keys = {i.revenue_key for i in installments}
            callbacks.append(lambda: RevenueDay.refresh(keys))
        return callbacks

    @classmethod
    def on_delete(cls, installments):
        RevenueDay = Pool().get('lease.revenue.day')
        callbacks = super().on_delete(installments)
        keys = {i.revenue_key for i in installments}
        callbacks.append(lambda: RevenueDay.refresh(keys))
        return callbacks

    @classmethod
    def bill(cls, installments, date=None):
        """Make and post a customer invoice dated date (today) for each
        planned line and tell the agent's staff (to-do "customer bill")"""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Address = pool.get('party.address')
        LateFee = pool.get('lease.late_fee')
        date = date or pool.get('ir.date').today()
        installments = [i for i in installments if i.state == 'planned']
        if not installments:
            return []
        with without_check_access():
            # A bill goes to an address: the customer's first, else a blank
            # one (customers made without the party form have none)
            Address.create([{'party': p.id} for p in {
                        i.customer for i in installments
                        if not i.customer.address_get(type='invoice')}])
            invoices, fees, taken = [], [], set()
            for installment in installments:
                invoice = installment._get_invoice(date)
                # The contract's accrued late fees go on its first bill
                # of the run
                late = [f for f in LateFee.to_bill(installment, date)
                    if f not in taken]
                taken.update(late)
                invoice.lines = list(invoice.lines) + [
                    f._invoice_line() for f in late]
                invoices.append(invoice)
                fees.append(late)
            Invoice.save(invoices)
            # A bill made after its due date (a contract entered late, a
            # replayed day) is meant to be due in the past
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post(invoices)
        for installment, invoice, late in zip(installments, invoices, fees):
            installment.invoice = invoice
            installment.bill_number = invoice.number
            installment.state = 'billed'
            installment.late_fee_amount = sum(
                (f.amount for f in late), Decimal(0))
            installment.unpaid_amount += installment.late_fee_amount
        cls.save(installments)
        for installment, late in zip(installments, fees):
            LateFee.mark_billed(late, installment)
        for installment in installments:
            installment.contract.agent.notify('todo',
                lazy_gettext('marcier_lease.msg_bill_title',
                    bill=installment.bill_number,
                    customer=installment.customer.rec_name),
                body=lazy_gettext('marcier_lease.msg_bill_body',
                    bill=installment.bill_number,
                    contract=installment.contract.rec_name,
                    customer=installment.customer.rec_name,
                    amount=installment.amount,
                    currency=installment.currency.code,
                    due=installment.due_date),
                record=installment)
        return invoices

    def _get_invoice(self, date):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        Configuration = pool.get('lease.configuration')
        # Customer invoice lines take only revenue accounts in Tryton:
        # deposits too, told apart by their description
        account = Configuration.get_accounting('revenue_account')
        # Issued the day the daily run bills it: invoice dates follow
        # their sequence even when a contract is entered late; due on the
        # plan's date, from which dunning counts (without a payment term
        # Tryton would make it due on the server's today)
        invoice = Invoice(
            company=self.company, type='out', party=self.customer,
            invoice_date=date, payment_term_date=self.due_date,
            currency=self.currency, reference=self.contract.number)
        invoice.set_journal()
        invoice.on_change_party()
        invoice.lines = [InvoiceLine(
                company=self.company, type='line', currency=self.currency,
                account=account, quantity=1, unit_price=self.amount,
                description=self.bill_description)]
        return invoice

    def dunning_values(self, level):
        "The placeholders of the collection messages of this bill"
        Lang = Pool().get('ir.lang')
        return {
            'bill': self.bill_number, 'contract': self.contract.number,
            'customer': self.customer.rec_name, 'level': level.rec_name,
            'due': self.due_date, 'days': self.days_overdue,
            'unpaid': Lang.get().currency(self.unpaid_amount, self.currency),
            }

    def dunning_text(self, level):
        "The reminder the customer reads, in the context's language"
        return gettext('marcier_lease.msg_dunning_customer',
            **self.dunning_values(level))

    @classmethod
    def remind_customers(cls, dunnings):
        """Send the customers of the bills of dunnings their reminder;
        return {dunning id: how it was sent}.  The channels are other
        modules' (marcier_wechat: WeChat template message or SMS)"""
        return {}

    @property
    def late_fee_base(self):
        "The rent left to pay (payments pay the rent before late fees)"
        return max(self.amount - self.paid_amount, Decimal(0))

    def _late_fee(self, method, start, end, amount, base=None, rate=None):
        "The values of a late fee of this overdue bill from start to end"
        return {
            'installment': self.id, 'method': method,
            'start_date': start, 'end_date': end, 'days': (end - start).days,
            'base': base if base is not None else self.late_fee_base,
            'rate': rate,
            'amount': (amount if amount is not None
                else daily_fee(self.currency, base, rate, (end - start).days)),
            }

    @property
    def bill_description(self):
        if self.kind == 'deposit':
            return gettext('marcier_lease.msg_bill_line_deposit',
                contract=self.contract.number)
        return self.description or gettext('marcier_lease.msg_bill_line_rent',
            contract=self.contract.number,
            start=self.period_start, end=self.period_end)

    def pay(self, amount, date, description=None):
        """Record a payment of amount received on date against the bill;
        partial payments leave the rest to pay"""
        pool = Pool()
        Payment = pool.get('lease.payment')
        MoveLine = pool.get('account.move.line')
        Configuration = pool.get('lease.configuration')
        Lang = pool.get('ir.lang')
        if self.state != 'billed':
            raise PaymentError(gettext(
                    'marcier_lease.msg_payment_not_billed',
                    installment=self.rec_name))
        amount = self.currency.round(amount)
        if amount <= 0 or amount > self.unpaid_amount:
            lang = Lang.get()
            raise PaymentError(gettext(
                    'marcier_lease.msg_payment_amount',
                    installment=self.rec_name,
                    amount=lang.currency(amount, self.currency),
                    unpaid=lang.currency(self.unpaid_amount, self.currency)))
        method = Configuration.get_accounting('payment_method')
        with without_check_access():
            # As account_invoice's Pay wizard: the lines that the amount
            # settles, reconciled when it pays off the bill
            invoice = self.invoice
            reconcile, remainder = invoice.get_reconcile_lines_for_amount(
                amount, self.currency)
            lines = invoice.pay_invoice(
                amount, method, date, description or self.bill_number)
            if not remainder:
                MoveLine.reconcile(reconcile + lines)
            payment, = Payment.create([{
                        'installment': self.id,
                        'date': date,
                        'amount': amount,
                        'description': description,
                        'move_line': lines[0].id,
                        }])
        paid = self.paid_amount + amount
        self.paid_amount = paid
        self.unpaid_amount = self.amount + self.late_fee_amount - paid
        self.last_payment_date = max(filter(None,
                [self.last_payment_date, date]))
        if not self.unpaid_amount:
            self.state = 'paid'
        self.save()
        return payment


class Payment(AgentOwnedMixin, ModelSQL, ModelView):
    "Payment received from a customer against a bill"
    __name__ = 'lease.payment'
    _audited_fields = ('amount', 'date')  # audit trail
    installment = fields.Many2One(
        'lease.installment', "Plan Line", required=True, readonly=True,
        ondelete='RESTRICT')
    contract = fields.Many2One(
        'lease.contract', "Contract", required=True, readonly=True,
        ondelete='RESTRICT')
    customer = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    currency = fields.Many2One(
        'currency.currency', "Currency", required=True, readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    amount = Monetary("Amount", currency='currency', digits='currency',
        required=True, readonly=True)
    description = fields.Char("Description", readonly=True)
    move_line = fields.Many2One(
        'account.move.line', "Accounting Line", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        cls.agent.readonly = cls.company.readonly = True
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range()),
                    include=[t.company, t.agent, t.amount]),
                Index(t, (t.agent, Index.Equality()),
                    (t.date, Index.Range()), include=[t.company, t.amount]),
                Index(t, (t.installment, Index.Equality())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def on_modification(cls, mode, payments, field_names=None):
        "Keep the revenue days of the workbench up to date"
        RevenueDay = Pool().get('lease.revenue.day')
        super().on_modification(mode, payments, field_names=field_names)
        if mode == 'create':
            RevenueDay.refresh(
                {(p.company.id, p.agent.id, p.date) for p in payments})

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Installment = pool.get('lease.installment')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('installment'):
            installment = Installment(values['installment'])
            values.update({
                    'company': installment.company.id,
                    'agent': installment.agent.id,
                    'contract': installment.contract.id,
                    'customer': installment.customer.id,
                    'currency': installment.currency.id,
                    })
        return values


class PayStart(ModelView):
    "Record a payment"
    __name__ = 'lease.installment.pay.start'
    currency = fields.Many2One('currency.currency', "Currency", readonly=True)
    unpaid_amount = Monetary(
        "Left to Pay", currency='currency', digits='currency', readonly=True)
    amount = Monetary("Amount", currency='currency', digits='currency',
        required=True,
        domain=[
            ('amount', '>', 0),
            ('amount', '<=', Eval('unpaid_amount', 0)),
            ])
    date = fields.Date("Date", required=True)
    description = fields.Char("Description")


class Pay(Wizard):
    "Record a customer's payment against a bill, in full or in part"
    __name__ = 'lease.installment.pay'
    start = StateView('lease.installment.pay.start',
        'marcier_lease.installment_pay_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Record", 'pay', 'tryton-ok', default=True),
            ])
    pay = StateTransition()

    def default_start(self, fields):
        installment = self.record
        if installment.state != 'billed':
            raise PaymentError(gettext(
                    'marcier_lease.msg_payment_not_billed',
                    installment=installment.rec_name))
        return {
            'currency': installment.currency.id,
            'unpaid_amount': installment.unpaid_amount,
            'amount': installment.unpaid_amount,
            'date': Pool().get('ir.date').today(),
            }

    def transition_pay(self):
        self.record.pay(
            self.start.amount, self.start.date, self.start.description)
        return 'end'
