# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Workbench charts (SPEC C2-C5): SQL aggregates over the plan lines, the
payments, the vehicles and the contracts, with drill-through to the ledgers.

Revenue: receivable = plan lines due in the period, received = payments
dated in the period, overdue = billed lines due in the period, before today,
not fully paid; late fees = fees accrued in the period (by the last day
they count), not waived.  Fleet utilisation: the vehicles' days of
utilisation.py per agent, product, city or vehicle, and per day, week or
month."""
import datetime as dt
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sql import Cast, Column, Literal
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import Extract

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import StateAction, StateTransition, Wizard

from marcier_base.model import AGENT_STAFF

from .contract import STATES

GRANULARITIES = [
    ('month', "Month"),
    ('quarter', "Quarter"),
    ('year', "Year"),
    ]
PERIODS = GRANULARITIES + [('custom', "Custom")]
UTILISATION_GRANULARITIES = [
    ('day', "Day"),
    ('week', "Week"),
    ('month', "Month"),
    ]
# The grouping of the utilisation: a column of lease.utilisation.day
GROUPINGS = [
    ('agent', "Agent"),
    ('product', "Product"),
    ('city', "City"),
    ('vehicle', "Vehicle"),
    ]
AGE_BUCKETS = [(1, 30), (31, 60), (61, 90), (91, None)]


def period_dates(period, date):
    "First and last day of the month, quarter or year of date"
    if period == 'month':
        first = date.replace(day=1)
        months = 1
    elif period == 'quarter':
        first = date.replace(month=(date.month - 1) // 3 * 3 + 1, day=1)
        months = 3
    else:
        first = date.replace(month=1, day=1)
        months = 12
    return first, first + relativedelta(months=months) - dt.timedelta(days=1)


def report_agent():
    """The agent whose figures are read: agent staff always their own, the
    operator the agent of the context (all when none)"""
    User = Pool().get('res.user')
    return User.get_agent() or Transaction().context.get('agent')


class ReportingContext(ModelView):
    "Workbench period and agent"
    __name__ = 'lease.reporting.context'
    period = fields.Selection(PERIODS, "Period", required=True, sort=False)
    from_date = fields.Date("From Date", required=True,
        domain=[
            ('from_date', '<=', Eval('to_date')),
            ],
        states={
            'readonly': Eval('period') != 'custom',
            })
    to_date = fields.Date("To Date", required=True,
        domain=[
            ('to_date', '>=', Eval('from_date')),
            ],
        states={
            'readonly': Eval('period') != 'custom',
            })
    granularity = fields.Selection(
        GRANULARITIES, "Chart By", required=True, sort=False)
    agent = fields.Many2One('marcier.agent', "Agent",
        states={
            'readonly': AGENT_STAFF,
            },
        help="Leave empty for all agents.")

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'year')

    @classmethod
    def default_granularity(cls):
        return Transaction().context.get('granularity', 'month')

    @classmethod
    def default_from_date(cls):
        if date := Transaction().context.get('from_date'):
            return date
        return period_dates(
            cls.default_period(), Pool().get('ir.date').today())[0]

    @classmethod
    def default_to_date(cls):
        if date := Transaction().context.get('to_date'):
            return date
        return period_dates(
            cls.default_period(), Pool().get('ir.date').today())[1]

    @classmethod
    def default_agent(cls):
        return report_agent()

    @fields.depends('period', 'from_date', 'to_date')
    def on_change_period(self):
        if self.period and self.period != 'custom':
            self.from_date, self.to_date = period_dates(
                self.period, Pool().get('ir.date').today())


class UtilisationContext(ReportingContext):
    "Fleet utilisation period, grouping and agent"
    __name__ = 'lease.reporting.utilisation.context'
    grouping = fields.Selection(GROUPINGS, "Group By", required=True,
        sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.granularity.selection = list(UTILISATION_GRANULARITIES)

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')

    @classmethod
    def default_granularity(cls):
        return Transaction().context.get('granularity', 'day')

    @classmethod
    def default_grouping(cls):
        return Transaction().context.get('grouping', 'agent')


class UtilisationMixin(ModelSQL):
    "The utilisation figures of the context period"
    __slots__ = ()
    fleet_days = fields.Integer("Days in Fleet")
    rented_days = fields.Integer("Days Rented")
    rented_share = fields.Float("Rented Share", digits=(3, 4),
        help="Days on contract / days in the fleet.")
    rented_hours = fields.Float("Rented Hours", digits=(12, 1))
    working_hours = fields.Float("Working Hours", digits=(12, 1))
    working_share = fields.Float("Working Share", digits=(3, 4),
        help="Working hours on the rented days / rented hours.")
    distance = fields.Float("Distance", digits=(12, 1), help="km")
    energy = fields.Float("Energy Used", digits=(12, 1), help="kWh")

    @classmethod
    def _period(cls):
        context = Transaction().context
        default_from, default_to = period_dates(
            'month', Pool().get('ir.date').today())
        return (context.get('from_date') or default_from,
            context.get('to_date') or default_to)

    @classmethod
    def _days(cls):
        """The days of the period, of the context company and of the
        agent of report_agent(); the aggregates over them"""
        Day = Pool().get('lease.utilisation.day')
        rows = Day.rows(*cls._period())
        where = rows.company == (Transaction().context.get('company') or -1)
        if agent := report_agent():
            where &= rows.agent == agent
        return rows, where, Day.aggregates(rows)

    @classmethod
    def _drill_days(cls):
        "The domain of the days of the context, on lease.utilisation.day"
        from_date, to_date = cls._period()
        domain = [('date', '>=', from_date), ('date', '<=', to_date)]
        if agent := report_agent():
            domain.append(('agent', '=', agent))
        return domain


class Utilisation(UtilisationMixin, ModelView):
    "Fleet utilisation per agent, product, city or vehicle over the period"
    __name__ = 'lease.reporting.utilisation'
    agent = fields.Many2One('marcier.agent', "Agent")
    product = fields.Many2One('product.template', "Product")
    city = fields.Many2One('marcier.city', "City")
    vehicle = fields.Many2One('device.vehicle', "Vehicle")
    label = fields.Function(fields.Char("Group"), 'get_label')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('rented_share', 'DESC'), ('id', 'ASC')]

    @classmethod
    def grouping(cls):
        grouping = Transaction().context.get('grouping')
        return grouping if grouping in dict(GROUPINGS) else 'agent'

    @classmethod
    def table_query(cls):
        rows, where, aggregates = cls._days()
        grouping = cls.grouping()
        key = Column(rows, grouping)
        # id 0 is no record: the days without agent, product or city are
        # id 1, the others their key + 1
        return rows.select((Coalesce(key, 0) + 1).as_('id'),
            *(key.as_(g) if g == grouping else Literal(None).as_(g)
                for g, _ in GROUPINGS),
            *(a.as_(n) for n, a in aggregates.items()),
            where=where, group_by=[key])

    def get_label(self, name):
        record = getattr(self, self.grouping())
        return record.rec_name if record else '-'

    @classmethod
    def drill_domain(cls, rows):
        grouping = cls.grouping()
        return [('utilisation_days', 'where', [*cls._drill_days(),
                    (grouping, 'in', [getattr(r, grouping).id
                            if getattr(r, grouping) else None
                            for r in rows]),
                    ])]


class UtilisationTimeSeries(UtilisationMixin, ModelView):
    "Fleet utilisation per day, week or month"
    __name__ = 'lease.reporting.utilisation.time_series'
    date = fields.Date("Date")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def granularity(cls):
        granularity = Transaction().context.get('granularity')
        return (granularity if granularity in dict(UTILISATION_GRANULARITIES)
            else 'day')

    @classmethod
    def table_query(cls):
        "Buckets by the day's own week or month start (see utilisation.py)"
        rows, where, aggregates = cls._days()
        bucket = Column(rows, {'day': 'date'}.get(
                cls.granularity(), cls.granularity()))
        id_ = Cast(Extract('YEAR', bucket) * 10000
            + Extract('MONTH', bucket) * 100 + Extract('DAY', bucket),
            cls.id.sql_type().base)
        # Grouped in an outer query, as RevenueTimeSeries
        buckets = rows.select(id_.as_('id'), bucket.as_('date'),
            *(Column(rows, n) for n in [
                    'rented', 'rented_hours', 'working_hours', 'distance',
                    'energy_out']),
            where=where)
        return buckets.select(buckets.id, Min(buckets.date).as_('date'),
            *(a.as_(n) for n, a in Pool().get(
                    'lease.utilisation.day').aggregates(buckets).items()),
            group_by=[buckets.id])

    @classmethod
    def drill_domain(cls, rows):
        last = {
            'day': lambda d: d,
            'week': lambda d: d + dt.timedelta(days=6),
            'month': lambda d: d + relativedelta(months=1, days=-1),
            }[cls.granularity()]
        return [('utilisation_days', 'where', [*cls._drill_days(),
                    ['OR', *([('date', '>=', r.date),
                                ('date', '<=', last(r.date))]
                            for r in rows)],
                    ])]


class MoneyReport(ModelSQL):
    "Money sums read as Decimal rounded to the company currency"
    __slots__ = ()
    _money = ()

    @classmethod
    def read(cls, ids, fields_names):
        rows = super().read(ids, fields_names)
        if backend.name == 'sqlite':
            # SQLite sums Numeric as float
            Company = Pool().get('company.company')
            company = Transaction().context.get('company')
            currency = Company(company).currency if company else None
            for row in rows:
                for name in cls._money:
                    value = row.get(name)
                    if value is not None:
                        value = Decimal(str(value))
                        row[name] = (currency.round(value)
                            if currency else value)
        return rows


class RevenueMixin(MoneyReport):
    __slots__ = ()
    _money = ('receivable', 'received', 'overdue', 'late_fees')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    receivable = Monetary(
        "Receivable", currency='currency', digits='currency')
    received = Monetary("Received", currency='currency', digits='currency')
    overdue = Monetary("Overdue", currency='currency', digits='currency')
    late_fees = Monetary(
        "Late Fees", currency='currency', digits='currency')

    def get_currency(self, name):
        Company = Pool().get('company.company')
        if company := Transaction().context.get('company'):
            return Company(company).currency.id

    @classmethod
    def _amounts(cls):
        """The revenue days of the context period: company, agent, date,
        receivable, received, overdue (billed unpaid, due before today),
        late fees"""
        pool = Pool()
        RevenueDay = pool.get('lease.revenue.day')
        Date = pool.get('ir.date')
        context = Transaction().context
        today = Date.today()
        default_from, default_to = period_dates('year', today)
        from_date = context.get('from_date') or default_from
        to_date = context.get('to_date') or default_to
        day = RevenueDay.__table__()
        where = ((day.company == (context.get('company') or -1))
            & (day.date >= from_date) & (day.date <= to_date))
        if agent := report_agent():
            where &= day.agent == agent
        return day.select(
            day.company, day.agent, day.date, day.receivable, day.received,
            Case((day.date < today, day.billed_unpaid),
                else_=Literal(Decimal(0))).as_('overdue'), day.late_fees,
            where=where)

    @classmethod
    def _sums(cls, amounts):
        return [Sum(getattr(amounts, n)).as_(n) for n in cls._money]


class Revenue(RevenueMixin, ModelView):
    "Revenue per agent over the period"
    __name__ = 'lease.reporting.revenue'
    company = fields.Many2One('company.company', "Company")
    agent = fields.Many2One('marcier.agent', "Agent")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('agent', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        amounts = cls._amounts()
        return amounts.select(
            amounts.agent.as_('id'), amounts.company, amounts.agent,
            *cls._sums(amounts),
            group_by=[amounts.company, amounts.agent])


class RevenueTimeSeries(RevenueMixin, ModelView):
    "Revenue by month, quarter or year"
    __name__ = 'lease.reporting.revenue.time_series'
    date = fields.Function(fields.Date("Date"), 'get_date')
    label = fields.Function(fields.Char("Period"), 'get_date')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'ASC')]

    @classmethod
    def table_query(cls):
        """Buckets keyed year * 100 + first month, built from EXTRACT of
        the month: SQLite cannot truncate to quarters"""
        amounts = cls._amounts()
        granularity = Transaction().context.get('granularity', 'month')
        month = Extract('MONTH', amounts.date)
        if granularity == 'quarter':
            month = Case((month <= 3, 1), (month <= 6, 4), (month <= 9, 7),
                else_=10)
        elif granularity == 'year':
            month = Literal(1)
        bucket = Cast(Extract('YEAR', amounts.date) * 100 + month,
            cls.id.sql_type().base)
        # Grouped in an outer query: PostgreSQL does not match an
        # expression with parameters in GROUP BY
        buckets = amounts.select(bucket.as_('bucket'),
            *(getattr(amounts, n) for n in cls._money))
        return buckets.select(buckets.bucket.as_('id'),
            *cls._sums(buckets), group_by=[buckets.bucket])

    @classmethod
    def get_date(cls, rows, names):
        granularity = Transaction().context.get('granularity', 'month')
        result = {'date': {}, 'label': {}}
        for row in rows:
            year, month = divmod(int(row.id), 100)
            result['date'][row.id] = dt.date(year, month, 1)
            result['label'][row.id] = {
                'month': f'{year}-{month:02d}',
                'quarter': f'{year} Q{(month - 1) // 3 + 1}',
                'year': str(year),
                }[granularity]
        return {n: result[n] for n in names}


class Overdue(MoneyReport, ModelView):
    """Overdue debt per customer as of today

    No record rules: the query itself keeps to the context company and to
    the agent of agent staff (report_agent), and a rule would make each read
    aggregate every overdue bill once more."""
    __name__ = 'lease.reporting.overdue'
    _money = ('amount',) + tuple(
        f'days_{low}' for low, _ in AGE_BUCKETS)
    agent = fields.Many2One('marcier.agent', "Agent")
    customer = fields.Many2One('party.party', "Customer")
    currency = fields.Many2One('currency.currency', "Currency")
    bills = fields.Integer("Bills")
    oldest_due_date = fields.Date("Oldest Due Date")
    days_overdue = fields.Function(
        fields.Integer("Days Overdue"), 'get_days_overdue')
    amount = Monetary("Overdue", currency='currency', digits='currency')
    days_1 = Monetary("1-30 Days", currency='currency', digits='currency')
    days_31 = Monetary("31-60 Days", currency='currency', digits='currency')
    days_61 = Monetary("61-90 Days", currency='currency', digits='currency')
    days_91 = Monetary(
        "Over 90 Days", currency='currency', digits='currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('amount', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Installment = pool.get('lease.installment')
        today = pool.get('ir.date').today()
        line = Installment.__table__()
        where = ((line.state == 'billed') & (line.due_date < today)
            & (line.company == (Transaction().context.get('company') or -1)))
        if agent := report_agent():
            where &= line.agent == agent
        buckets = []
        for low, high in AGE_BUCKETS:
            # due on or after today - high, before or on today - low
            condition = line.due_date <= today - dt.timedelta(days=low)
            if high:
                condition &= line.due_date >= today - dt.timedelta(days=high)
            buckets.append(Sum(Case((condition, line.unpaid_amount),
                        else_=Literal(Decimal(0)))).as_(f'days_{low}'))
        return line.select(
            Min(line.id).as_('id'), line.agent, line.customer,
            line.currency, Count(Literal(1)).as_('bills'),
            Min(line.due_date).as_('oldest_due_date'),
            Sum(line.unpaid_amount).as_('amount'), *buckets,
            where=where,
            group_by=[line.agent, line.customer, line.currency])

    def get_days_overdue(self, name):
        return (Pool().get('ir.date').today() - self.oldest_due_date).days

    @classmethod
    def drill_domain(cls, rows):
        return ['OR'] + [[
                ('overdue', '=', True),
                ('customer', '=', r.customer.id),
                ('agent', '=', r.agent.id),
                ] for r in rows]


class VehicleStatus(ModelSQL, ModelView):
    "Today's vehicles per agent and status, with their share of the fleet"
    __name__ = 'lease.reporting.vehicle_status'
    company = fields.Many2One('company.company', "Company")
    agent = fields.Many2One('marcier.agent', "Agent")
    status = fields.Selection('get_statuses', "Status")
    vehicles = fields.Integer("Vehicles")
    ratio = fields.Float("Share", digits=(3, 4),
        help="Share of the agent's vehicles in this status.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('agent', 'ASC'), ('status', 'ASC'), ('id', 'ASC')]

    @classmethod
    def get_statuses(cls):
        return Pool().get('device.vehicle').fields_get(
            ['status'])['status']['selection']

    @classmethod
    def table_query(cls):
        Vehicle = Pool().get('device.vehicle')
        vehicle = Vehicle.__table__()
        vehicle_company = Transaction().context.get('company') or -1
        where = ((vehicle.company == vehicle_company)
            & (vehicle.active == Literal(True)))
        if agent := report_agent():
            where &= vehicle.agent == agent
        per_status = vehicle.select(
            Min(vehicle.id).as_('id'), vehicle.company, vehicle.agent,
            vehicle.status, Count(Literal(1)).as_('vehicles'),
            where=where,
            group_by=[vehicle.company, vehicle.agent, vehicle.status])
        total = Vehicle.__table__()
        totals = total.select(total.agent, Count(Literal(1)).as_('total'),
            where=(total.active == Literal(True))
            & (total.company == vehicle_company),
            group_by=[total.agent])
        return per_status.join(totals,
            condition=Coalesce(per_status.agent, -1)
            == Coalesce(totals.agent, -1)).select(
            per_status.id, per_status.company, per_status.agent,
            per_status.status, per_status.vehicles,
            (Cast(per_status.vehicles, cls.ratio.sql_type().base)
                / NullIf(totals.total, 0)).as_('ratio'))

    @classmethod
    def drill_domain(cls, rows):
        return ['OR'] + [[
                ('status', '=', r.status),
                ('agent', '=', r.agent.id if r.agent else None),
                ] for r in rows]


class ContractStatus(ModelSQL, ModelView):
    "Contracts per agent and state"
    __name__ = 'lease.reporting.contract_status'
    company = fields.Many2One('company.company', "Company")
    agent = fields.Many2One('marcier.agent', "Agent")
    state = fields.Selection(STATES, "State", sort=False)
    contracts = fields.Integer("Contracts")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('agent', 'ASC'), ('state', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        Contract = Pool().get('lease.contract')
        contract = Contract.__table__()
        where = contract.company == (
            Transaction().context.get('company') or -1)
        if agent := report_agent():
            where &= contract.agent == agent
        return contract.select(
            Min(contract.id).as_('id'), contract.company, contract.agent,
            contract.state, Count(Literal(1)).as_('contracts'),
            where=where,
            group_by=[contract.company, contract.agent, contract.state])

    @classmethod
    def drill_domain(cls, rows):
        return ['OR'] + [[
                ('state', '=', r.state), ('agent', '=', r.agent.id),
                ] for r in rows]


class OpenReport(Wizard):
    "Drill-through from a workbench chart to the records behind it"
    __name__ = 'lease.reporting.open'
    start = StateTransition()
    overdue = StateAction('marcier_lease.act_installment_overdue')
    vehicles = StateAction('marcier_device.act_vehicle_form')
    contracts = StateAction('marcier_lease.act_contract_form')

    TARGETS = {
        'lease.reporting.overdue': 'overdue',
        'lease.reporting.vehicle_status': 'vehicles',
        'lease.reporting.contract_status': 'contracts',
        'lease.reporting.utilisation': 'vehicles',
        'lease.reporting.utilisation.time_series': 'vehicles',
        }

    def transition_start(self):
        return self.TARGETS[self.model.__name__]

    def _open(self, action):
        action['pyson_domain'] = PYSONEncoder().encode(
            self.model.drill_domain(self.records))
        # The records asked for, not the ledger's tabs
        action['domains'] = []
        return action, {}

    do_overdue = do_vehicles = do_contracts = _open
