# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Late fees (滞纳金) of overdue bills: accrued by the daily run, billed as
lines of the contract's next bill, waived with a reason.

A daily rate accrues on what is left to pay of the bill's rent (never on
fees): fee = unpaid rent x rate x days overdue, rounded to the currency.
A fee covers the days from its start to its end at one base; when a
payment changes the base, or once the fee is billed or waived, the next
day's run starts a new fee where it ended.  A fixed fee is charged once
per overdue bill."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from marcier_base.model import AgentOwnedMixin

from .exceptions import LateFeeError

METHODS = [
    ('none', "None"),
    ('daily', "Daily Rate"),
    ('fixed', "Fixed Fee"),
    ]
RATE_DIGITS = (16, 6)


def daily_fee(currency, base, rate, days):
    "Unpaid rent x daily rate x days, rounded to the currency"
    return currency.round(base * rate * days)


class LateFee(AgentOwnedMixin, Workflow, ModelSQL, ModelView):
    "Late fee accrued on an overdue bill"
    __name__ = 'lease.late_fee'
    _audited_fields = ('state', 'amount', 'waive_reason')  # audit trail
    installment = fields.Many2One(
        'lease.installment', "Overdue Bill", required=True, readonly=True,
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
    method = fields.Selection(
        METHODS, "Method", required=True, readonly=True, sort=False)
    start_date = fields.Date("From", required=True, readonly=True,
        help="The fee counts the days after this date.")
    end_date = fields.Date("To", required=True, readonly=True,
        help="The last day the fee counts.")
    days = fields.Integer("Days", required=True, readonly=True)
    base = Monetary("Unpaid Rent", currency='currency', digits='currency',
        required=True, readonly=True)
    rate = fields.Numeric("Daily Rate", digits=RATE_DIGITS, readonly=True,
        states={
            'invisible': Eval('method') != 'daily',
            })
    amount = Monetary("Amount", currency='currency', digits='currency',
        required=True, readonly=True)
    bill = fields.Many2One(
        'lease.installment', "Billed On", readonly=True, ondelete='RESTRICT',
        states={
            'invisible': ~Eval('bill'),
            },
        help="The bill whose invoice carries the fee.")
    waive_reason = fields.Text("Waiver Reason",
        states={
            'readonly': Eval('state') != 'accrued',
            'invisible': (Eval('state') == 'billed') & ~Eval('waive_reason'),
            })
    waived_by = fields.Many2One('res.user', "Waived By", readonly=True,
        states={
            'invisible': Eval('state') != 'waived',
            })
    state = fields.Selection([
            ('accrued', "Accrued"),
            ('billed', "Billed"),
            ('waived', "Waived"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        cls.agent.readonly = cls.company.readonly = True
        cls._workflow_fields = {
            'bill', 'waived_by', 'amount', 'days', 'end_date', 'base'}
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.installment, Index.Equality())),
                Index(t, (t.contract, Index.Equality()),
                    where=t.state == 'accrued'),
                Index(t, (t.end_date, Index.Range()),
                    include=[t.company, t.agent, t.amount, t.state]),
                })
        cls._order = [('end_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('accrued', 'billed'),
            ('accrued', 'waived'),
            }
        cls._buttons.update({
                'waive': {
                    'invisible': Eval('state') != 'accrued',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'accrued'

    def get_rec_name(self, name):
        return gettext('marcier_lease.msg_late_fee_rec_name',
            bill=self.installment.bill_number or self.installment.rec_name,
            start=self.start_date, end=self.end_date)

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

    @classmethod
    def check_modification(cls, mode, fees, values=None, external=False):
        super().check_modification(
            mode, fees, values=values, external=external)
        # Only the daily run creates them (no one has the right to create or
        # delete them): a fee is waived, not deleted
        if external and mode == 'write':
            for fee in fees:
                if set(values) - {'waive_reason'} or (
                        values and fee.state != 'accrued'):
                    raise LateFeeError(gettext(
                            'marcier_lease.msg_late_fee_write',
                            fee=fee.rec_name))

    @property
    def revenue_key(self):
        return (self.company.id, self.agent.id, self.end_date)

    @classmethod
    def on_modification(cls, mode, fees, field_names=None):
        "The late fee series of the revenue charts"
        RevenueDay = Pool().get('lease.revenue.day')
        super().on_modification(mode, fees, field_names=field_names)
        if mode == 'create' or (mode == 'write' and field_names & {
                    'end_date', 'amount', 'state'}):
            RevenueDay.refresh({f.revenue_key for f in fees})

    @classmethod
    def on_write(cls, fees, values):
        RevenueDay = Pool().get('lease.revenue.day')
        callbacks = super().on_write(fees, values)
        if 'end_date' in values:
            keys = {f.revenue_key for f in fees}
            callbacks.append(lambda: RevenueDay.refresh(keys))
        return callbacks

    @classmethod
    @ModelView.button
    @Workflow.transition('waived')
    def waive(cls, fees):
        "Waive accrued fees: the reason is kept in the audit trail"
        for fee in fees:
            if not (fee.waive_reason or '').strip():
                raise LateFeeError(gettext(
                        'marcier_lease.msg_late_fee_waive_reason',
                        fee=fee.rec_name))
        cls.write(fees, {'waived_by': Transaction().user})

    @classmethod
    def accrue(cls, date):
        """Accrue the fees of every overdue bill through date (the daily
        run), for the contracts of the context company"""
        pool = Pool()
        Installment = pool.get('lease.installment')
        company = Transaction().context.get('company')
        domain = [
            ('state', '=', 'billed'),
            ('due_date', '<', date),
            ('contract.late_fee_method', 'in', ['daily', 'fixed']),
            ]
        if company:
            domain.append(('company', '=', company))
        installments = Installment.search(domain)
        if not installments:
            return
        latest = {}
        for fee in cls.search([
                    ('installment', 'in', [i.id for i in installments]),
                    ], order=[('end_date', 'ASC'), ('id', 'ASC')]):
            latest[fee.installment] = fee
        to_create, to_save = [], []
        for installment in installments:
            fee = latest.get(installment)
            contract = installment.contract
            if contract.late_fee_method == 'fixed':
                if fee is None and contract.late_fee_amount:
                    to_create.append(installment._late_fee(
                            'fixed', date, date, contract.late_fee_amount))
                continue
            base = installment.late_fee_base
            rate = contract.late_fee_rate
            if not base or not rate:
                continue
            if (fee and fee.state == 'accrued' and fee.method == 'daily'
                    and fee.base == base and fee.rate == rate):
                if fee.end_date < date:
                    fee.end_date = date
                    fee.days = (date - fee.start_date).days
                    fee.amount = fee.compute_amount()
                    to_save.append(fee)
                continue
            start = fee.end_date if fee else installment.due_date
            if start < date:
                to_create.append(installment._late_fee(
                        'daily', start, date, None, base=base, rate=rate))
        cls.save(to_save)
        cls.create(to_create)

    def compute_amount(self):
        return daily_fee(self.currency, self.base, self.rate, self.days)

    @classmethod
    def to_bill(cls, installment, date):
        "The contract's accrued fees to bill with installment on date"
        return cls.search([
                ('contract', '=', installment.contract.id),
                ('state', '=', 'accrued'),
                ('end_date', '<=', date),
                ('amount', '>', 0),
                ], order=[('installment', 'ASC'), ('start_date', 'ASC')])

    def _invoice_line(self):
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        Configuration = pool.get('lease.configuration')
        if self.method == 'daily':
            description = gettext('marcier_lease.msg_bill_line_late_fee',
                bill=self.installment.bill_number,
                start=self.start_date + dt.timedelta(days=1),
                end=self.end_date, days=self.days,
                rate=f'{self.rate * 100:.4f}'.rstrip('0').rstrip('.'))
        else:
            description = gettext(
                'marcier_lease.msg_bill_line_late_fee_fixed',
                bill=self.installment.bill_number)
        return InvoiceLine(
            company=self.company, type='line', currency=self.currency,
            account=Configuration.get_accounting('revenue_account'),
            quantity=1, unit_price=self.amount, description=description)

    @classmethod
    @Workflow.transition('billed')
    def mark_billed(cls, fees, bill):
        "The fees are billed on bill (a plan line), as its invoice's lines"
        cls.write(fees, {'bill': bill.id})
