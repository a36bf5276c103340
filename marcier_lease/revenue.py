# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Revenue per agent and day, kept up to date from the plan lines, the
payments and the late fees: the revenue charts sum a few rows per agent and day instead of
every plan line and payment (100,000 contracts make a million of them)."""
from decimal import Decimal

from sql import Literal, Union
from sql.aggregate import Sum
from sql.conditionals import Case
from sql.functions import CurrentTimestamp

from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool
from trytond.transaction import Transaction


class RevenueDay(ModelSQL):
    """Receivable, received, billed unpaid amounts and late fees of an agent
    on a day"""
    __name__ = 'lease.revenue.day'
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    agent = fields.Many2One(
        'marcier.agent', "Agent", required=True, ondelete='CASCADE')
    date = fields.Date("Date", required=True)
    receivable = fields.Numeric("Receivable", required=True)
    received = fields.Numeric("Received", required=True)
    billed_unpaid = fields.Numeric(
        "Billed Unpaid", required=True,
        help="Left to pay of the bills due that day: overdue once past.")
    late_fees = fields.Numeric(
        "Late Fees", required=True,
        help="The late fees accrued through that day, not waived.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range()),
                    include=[t.company, t.agent, t.receivable, t.received,
                        t.billed_unpaid, t.late_fees]),
                Index(t, (t.agent, Index.Equality()),
                    (t.date, Index.Range()),
                    include=[t.company, t.receivable, t.received,
                        t.billed_unpaid, t.late_fees]),
                })

    @classmethod
    def default_late_fees(cls):
        # the days computed before late fees existed had none
        return Decimal(0)

    @classmethod
    def _sources(cls, where_line, where_payment, where_fee):
        pool = Pool()
        Installment = pool.get('lease.installment')
        Payment = pool.get('lease.payment')
        LateFee = pool.get('lease.late_fee')
        line, payment = Installment.__table__(), Payment.__table__()
        fee = LateFee.__table__()
        zero = Literal(Decimal(0))
        return Union(
            line.select(line.company, line.agent, line.due_date.as_('date'),
                line.amount.as_('receivable'), zero.as_('received'),
                Case((line.state == 'billed', line.unpaid_amount),
                    else_=zero).as_('billed_unpaid'), zero.as_('late_fees'),
                where=where_line(line)),
            payment.select(payment.company, payment.agent,
                payment.date.as_('date'), zero.as_('receivable'),
                payment.amount.as_('received'), zero.as_('billed_unpaid'),
                zero.as_('late_fees'),
                where=where_payment(payment)),
            fee.select(fee.company, fee.agent, fee.end_date.as_('date'),
                zero.as_('receivable'), zero.as_('received'),
                zero.as_('billed_unpaid'), fee.amount.as_('late_fees'),
                where=(fee.state != 'waived') & where_fee(fee)),
            all_=True)

    @classmethod
    def _fill(cls, where_line, where_payment, where_fee):
        table = cls.__table__()
        sources = cls._sources(where_line, where_payment, where_fee)
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.insert(
                [table.company, table.agent, table.date, table.receivable,
                    table.received, table.billed_unpaid, table.late_fees,
                    table.create_uid, table.create_date],
                sources.select(
                    sources.company, sources.agent, sources.date,
                    Sum(sources.receivable), Sum(sources.received),
                    Sum(sources.billed_unpaid), Sum(sources.late_fees),
                    Literal(Transaction().user), CurrentTimestamp(),
                    group_by=[sources.company, sources.agent,
                        sources.date])))

    @classmethod
    def refresh(cls, keys):
        "Compute again the days of keys = {(company id, agent id, date)}"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        days = {}
        for company, agent, date in keys:
            if company and agent and date:
                days.setdefault((company, agent), set()).add(date)
        for (company, agent), dates in days.items():
            dates = list(dates)

            def where(table, date_column):
                return ((table.company == company) & (table.agent == agent)
                    & date_column(table).in_(dates))
            cursor.execute(*table.delete(
                    where=where(table, lambda t: t.date)))
            cls._fill(
                lambda t: where(t, lambda t: t.due_date),
                lambda t: where(t, lambda t: t.date),
                lambda t: where(t, lambda t: t.end_date))

    @classmethod
    def rebuild(cls):
        "Compute every day again (after a bulk load)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete())
        cls._fill(lambda t: None, lambda t: None, lambda t: Literal(True))
