# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Fleet utilisation (issue 15): per vehicle and day, whether it was in the
fleet and on contract and, with marcier_iot (iot.py), the working hours,
distance and energy of its day rollup.

Rented share = days on contract / days in the fleet; working share =
working hours of the rented days / rented hours (the configured hours per
rented day).  A scheduled task keeps the days up to its watermark; the
days after it (today) are read live from the same query, so a page reads
one row per vehicle and day and never the raw telemetry."""
import datetime as dt

from sql import Cast, Column, Literal, Null, Select, Union
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce, NullIf
from sql.functions import CurrentTimestamp

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from marcier_base.model import AgentOwnedMixin

# The contracts whose days count as rented (a suspended contract keeps
# the vehicle with its customer)
RENTED_STATES = ['in_progress', 'suspended', 'completed']
# The first run goes back at most this far
BACKFILL_DAYS = 400
# Each run computes again the last days before its watermark: reports of
# a gateway that was offline arrive late
RECOMPUTE_DAYS = 2
# Changes are looked for from the last run's start less this margin: a
# transaction that began before it may commit after it (recomputing a day
# twice is harmless)
CHANGE_MARGIN = dt.timedelta(hours=1)
# Days after the watermark read live, at most (the task is hourly)
LIVE_DAYS = 7
# The period of the figures on the vehicle and listing forms
RECENT_DAYS = 30
# The figures of the rollups; NULL without marcier_iot
USAGE = ['working_hours', 'driving_hours', 'distance', 'energy_out',
    'energy_in']


def week_start(date):
    "The Monday of date's week (ISO)"
    return date - dt.timedelta(days=date.weekday())


def days(first, last):
    "The dates first..last"
    return [first + dt.timedelta(days=n)
        for n in range((last - first).days + 1)]


class UtilisationDay(AgentOwnedMixin, ModelSQL, ModelView):
    """Vehicle Utilisation Day

    A vehicle's day in the fleet: the agent, product, city and contract of
    the day, whether it was rented and what it did."""
    __name__ = 'lease.utilisation.day'
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, readonly=True,
        ondelete='CASCADE')
    date = fields.Date("Date", required=True, readonly=True)
    # Week and month starts kept with the day: SQLite truncates dates to
    # weeks wrongly, and a bucket column is indexed
    week = fields.Date("Week", required=True, readonly=True)
    month = fields.Date("Month", required=True, readonly=True)
    product = fields.Many2One(
        'product.template', "Product", readonly=True, ondelete='SET NULL',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    city = fields.Many2One(
        'marcier.city', "City", readonly=True, ondelete='SET NULL',
        help="The contract's city, else the agent's head office city.")
    contract = fields.Many2One(
        'lease.contract', "Contract", readonly=True, ondelete='SET NULL')
    rented = fields.Integer("Rented", readonly=True,
        help="1 when the vehicle was on a contract that day, else 0.")
    rented_hours = fields.Float("Rented Hours", readonly=True)
    working_hours = fields.Float("Working Hours", readonly=True)
    driving_hours = fields.Float("Driving Hours", readonly=True)
    distance = fields.Float("Distance", readonly=True, help="km")
    energy_out = fields.Float("Energy Used", readonly=True, help="kWh")
    energy_in = fields.Float("Energy Charged", readonly=True, help="kWh")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('vehicle_date_unique', Unique(t, t.vehicle, t.date),
                'marcier_lease.msg_utilisation_day_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range())),
                Index(t, (t.agent, Index.Equality()),
                    (t.date, Index.Range())),
                Index(t, (t.contract, Index.Equality()),
                    where=t.contract != Null),
                })
        cls._order = [('date', 'DESC'), ('vehicle', 'ASC'), ('id', 'DESC')]

    @classmethod
    def _columns(cls):
        "The names of the computed columns, in the order of the queries"
        return ['company', 'agent', 'vehicle', 'date', 'week', 'month',
            'product', 'city', 'contract', 'rented', 'rented_hours', *USAGE]

    # The computation: one INSERT ... SELECT per day, built like Tryton's
    # reports from tables, joins and columns that iot.py extends

    @classmethod
    def _source_tables(cls):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Contract = pool.get('lease.contract')
        return {
            'vehicle': Vehicle.__table__(),
            'line': pool.get('lease.contract.line').__table__(),
            'contract': Contract.__table__(),
            'leased': Contract.__table__(),
            'agent': pool.get('marcier.agent').__table__(),
            }

    @classmethod
    def _source_from(cls, tables, date):
        vehicle, line, contract, leased, agent = (tables[n] for n in [
                'vehicle', 'line', 'contract', 'leased', 'agent'])
        # A vehicle is on one live contract at a time; Max keeps one row
        # where a renewal starts the day its predecessor was terminated
        covering = line.join(contract,
            condition=line.contract == contract.id).select(
            line.vehicle, Max(contract.id).as_('contract'),
            where=contract.state.in_(RENTED_STATES)
            & (contract.start_date <= date)
            & (Coalesce(contract.termination_date, contract.end_date)
                >= date),
            group_by=[line.vehicle])
        tables['covering'] = covering
        return (vehicle
            .join(covering, 'LEFT', condition=covering.vehicle == vehicle.id)
            .join(leased, 'LEFT', condition=leased.id == covering.contract)
            .join(agent, 'LEFT',
                condition=agent.id == Coalesce(leased.agent, vehicle.agent)))

    @classmethod
    def _source_columns(cls, tables, date):
        Configuration = Pool().get('lease.configuration')
        vehicle, leased, agent = (
            tables[n] for n in ['vehicle', 'leased', 'agent'])
        hours = Configuration(1).get_rented_hours()
        rented = leased.id != Null
        # Typed: a union of live days only must not guess them
        float_ = cls.rented_hours.sql_type().base
        return {
            'company': vehicle.company,
            'agent': Coalesce(leased.agent, vehicle.agent),
            'vehicle': vehicle.id,
            'date': Literal(date),
            'week': Literal(week_start(date)),
            'month': Literal(date.replace(day=1)),
            'product': vehicle.product,
            'city': Coalesce(leased.city, agent.city),
            'contract': leased.id,
            'rented': Case((rented, 1), else_=0),
            'rented_hours': Cast(Case((rented, hours), else_=0.0), float_),
            **{n: Cast(Null, float_) for n in USAGE},
            }

    @classmethod
    def _source_where(cls, tables, date, vehicles=None):
        """In the fleet: commissioned (created, without a commissioning
        date) by the end of the day and not retired, or on contract"""
        vehicle, leased = tables['vehicle'], tables['leased']
        midnight = dt.datetime.combine(
            date + dt.timedelta(days=1), dt.time())
        commissioned = (
            ((vehicle.commissioning_date != Null)
                & (vehicle.commissioning_date <= date))
            | ((vehicle.commissioning_date == Null)
                & (vehicle.create_date < midnight)))
        where = ((commissioned & (vehicle.status != 'retired')
                & (vehicle.active == Literal(True)))
            | (leased.id != Null))
        if vehicles is not None:
            where &= fields.SQL_OPERATORS['in'](vehicle.id, list(vehicles))
        return where

    @classmethod
    def _source(cls, date, vehicles=None, extra=None):
        "The rows of date, computed: the columns of _columns(), then extra"
        tables = cls._source_tables()
        from_ = cls._source_from(tables, date)
        columns = cls._source_columns(tables, date)
        return from_.select(
            *(columns[n].as_(n) for n in cls._columns()), *(extra or []),
            where=cls._source_where(tables, date, vehicles))

    @classmethod
    def compute(cls, dates, vehicles=None):
        "Compute again dates, of every vehicle or of vehicles (ids)"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        names = cls._columns()
        for date in sorted(set(dates)):
            where = table.date == date
            if vehicles is not None:
                where &= fields.SQL_OPERATORS['in'](
                    table.vehicle, list(vehicles))
            cursor.execute(*table.delete(where=where))
            cursor.execute(*table.insert(
                    [Column(table, n) for n in names]
                    + [table.create_uid, table.create_date],
                    cls._source(date, vehicles, extra=[
                            Literal(Transaction().user),
                            CurrentTimestamp()])))

    @classmethod
    def update(cls, date=None):
        """The scheduled task: compute the days from the watermark to date
        (today by default; its figures change until tomorrow), and the
        earlier days whose contracts or rollups changed since the last run
        """
        pool = Pool()
        Configuration = pool.get('lease.configuration')
        Date = pool.get('ir.date')
        today = date or Date.today()
        started = cls._now()
        config = Configuration(1)
        if config.utilisation_date:
            first = config.utilisation_date - dt.timedelta(
                days=RECOMPUTE_DAYS - 1)
        else:
            first = cls._first_date(today)
        cls.compute(days(first, today))
        if config.utilisation_run:
            changed = {}
            for date, vehicles in cls._changed(
                    config.utilisation_run - CHANGE_MARGIN):
                if date < first:
                    changed.setdefault(date, set()).update(vehicles)
            for date, vehicles in changed.items():
                cls.compute([date], vehicles)
        Configuration.write([config], {
                'utilisation_date': today - dt.timedelta(days=1),
                'utilisation_run': started,
                })

    @classmethod
    def _now(cls):
        "The database's clock, the one of write_date"
        cursor = Transaction().connection.cursor()
        cursor.execute(*Select([CurrentTimestamp()]))
        now, = cursor.fetchone()
        if isinstance(now, str):  # SQLite
            now = dt.datetime.fromisoformat(now)
        if now.tzinfo:
            now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return now

    @classmethod
    def _first_date(cls, today):
        "The first day of a first run: the oldest contract or vehicle"
        pool = Pool()
        contract = pool.get('lease.contract').__table__()
        vehicle = pool.get('device.vehicle').__table__()
        cursor = Transaction().connection.cursor()
        oldest = today - dt.timedelta(days=BACKFILL_DAYS)
        found = []
        for query in [
                contract.select(Min(contract.start_date),
                    where=contract.state.in_(RENTED_STATES)),
                vehicle.select(Min(vehicle.commissioning_date)),
                ] + cls._first_date_queries():
            cursor.execute(*query)
            value, = cursor.fetchone()
            if value:
                found.append(dt.date.fromisoformat(value)
                    if isinstance(value, str) else value)
        return min(max([oldest, min(found, default=today)]), today)

    @classmethod
    def _first_date_queries(cls):
        "More queries of one oldest date (iot.py: the rollups)"
        return []

    @classmethod
    def _changed(cls, since):
        """[(date, vehicle ids)] whose figures changed since the timestamp:
        the days of the contracts written since"""
        pool = Pool()
        Contract = pool.get('lease.contract')
        Date = pool.get('ir.date')
        today = Date.today()
        contract = Contract.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*contract.select(contract.id,
                where=Coalesce(contract.write_date, contract.create_date)
                >= since))
        ids = [i for i, in cursor]
        for contract in Contract.browse(ids):
            vehicles = [v.id for v in contract.vehicles]
            if vehicles:
                for date in days(contract.start_date,
                        min(contract.last_day, today)):
                    yield date, vehicles

    # Reading: the kept days and, after the watermark, the live ones

    @classmethod
    def rows(cls, from_date, to_date):
        "The query of the days from_date..to_date: the columns of _columns()"
        pool = Pool()
        Configuration = pool.get('lease.configuration')
        today = pool.get('ir.date').today()
        table = cls.__table__()
        names = cls._columns()
        kept = Configuration(1).utilisation_date
        queries = []
        if kept and from_date <= kept:
            queries.append(table.select(*(Column(table, n) for n in names),
                    where=(table.date >= from_date)
                    & (table.date <= min(to_date, kept))))
        live = max(from_date, today - dt.timedelta(days=LIVE_DAYS - 1))
        if kept:
            live = max(live, kept + dt.timedelta(days=1))
        for date in days(live, min(to_date, today)):
            queries.append(cls._source(date))
        if not queries:
            queries.append(table.select(*(Column(table, n) for n in names),
                    where=Literal(False)))
        if len(queries) == 1:
            return queries[0]
        return Union(*queries, all_=True)

    @classmethod
    def aggregates(cls, rows):
        "{figure: SQL aggregate} over rows"
        float_ = cls.rented_hours.sql_type().base
        fleet_days = Count(Literal(1))
        rented_days = Sum(rows.rented)
        rented_hours = Sum(rows.rented_hours)
        return {
            'fleet_days': fleet_days,
            'rented_days': rented_days,
            'rented_share': (
                Cast(rented_days, float_) / NullIf(fleet_days, 0)),
            'rented_hours': rented_hours,
            'working_hours': Sum(rows.working_hours),
            'working_share': (
                Sum(Case((rows.rented == 1, rows.working_hours)))
                / NullIf(rented_hours, 0)),
            'distance': Sum(rows.distance),
            'energy': Sum(rows.energy_out),
            }

    @classmethod
    def figures(cls, from_date, to_date, keys, where):
        """{key: {figure: value}} of the days from_date..to_date where
        where(rows), grouped by keys(rows) (a list of columns; the key is
        the tuple of their values, or the value of one)"""
        rows = cls.rows(from_date, to_date)
        aggregates = cls.aggregates(rows)
        group = keys(rows)
        cursor = Transaction().connection.cursor()
        cursor.execute(*rows.select(*group,
                *(a.as_(n) for n, a in aggregates.items()),
                where=where(rows), group_by=group))
        result = {}
        for row in cursor:
            key = row[0] if len(group) == 1 else tuple(row[:len(group)])
            result[key] = dict(zip(aggregates, row[len(group):]))
        return result


class UtilisationFiguresMixin:
    "A record's utilisation figures (see UtilisationDay.figures)"
    __slots__ = ()
    utilisation_fleet_days = fields.Function(
        fields.Integer("Days in Fleet"), 'get_utilisation')
    utilisation_rented_days = fields.Function(
        fields.Integer("Days Rented"), 'get_utilisation')
    utilisation_rented_share = fields.Function(
        fields.Float("Rented Share", digits=(3, 4),
            help="Days on contract / days in the fleet."),
        'get_utilisation')
    utilisation_rented_hours = fields.Function(
        fields.Float("Rented Hours", digits=(10, 1),
            help="Days on contract × the hours of a rented day."),
        'get_utilisation')
    utilisation_working_hours = fields.Function(
        fields.Float("Working Hours", digits=(10, 1)), 'get_utilisation')
    utilisation_working_share = fields.Function(
        fields.Float("Working Share", digits=(3, 4),
            help="Working hours on the rented days / rented hours."),
        'get_utilisation')
    utilisation_distance = fields.Function(
        fields.Float("Distance", digits=(10, 1), help="km"),
        'get_utilisation')
    utilisation_energy = fields.Function(
        fields.Float("Energy Used", digits=(10, 1), help="kWh"),
        'get_utilisation')

    @classmethod
    def get_utilisation(cls, records, names):
        figures = cls._utilisation(records)
        return {n: {r.id: figures.get(r.id, {}).get(
                    n.removeprefix('utilisation_'))
                for r in records}
            for n in names}

    @classmethod
    def _utilisation(cls, records):
        "{record id: figures}"
        raise NotImplementedError

    @classmethod
    def _recent(cls):
        "The period of the recent figures: the last RECENT_DAYS days"
        today = Pool().get('ir.date').today()
        return today - dt.timedelta(days=RECENT_DAYS - 1), today


class Vehicle(UtilisationFiguresMixin, metaclass=PoolMeta):
    __name__ = 'device.vehicle'
    utilisation_days = fields.One2Many(
        'lease.utilisation.day', 'vehicle', "Utilisation Days",
        readonly=True)

    @classmethod
    def _utilisation(cls, vehicles):
        Day = Pool().get('lease.utilisation.day')
        ids = [v.id for v in vehicles]
        return Day.figures(*cls._recent(), lambda r: [r.vehicle],
            lambda r: fields.SQL_OPERATORS['in'](r.vehicle, ids))


class Contract(UtilisationFiguresMixin, metaclass=PoolMeta):
    __name__ = 'lease.contract'

    @classmethod
    def _utilisation(cls, contracts):
        "Over each contract's days up to today"
        Day = Pool().get('lease.utilisation.day')
        today = Pool().get('ir.date').today()
        ids = [c.id for c in contracts]
        first = min((c.start_date for c in contracts), default=today)
        last = min(max((c.last_day for c in contracts), default=today),
            today)
        if first > last:
            return {}
        return Day.figures(first, last, lambda r: [r.contract],
            lambda r: fields.SQL_OPERATORS['in'](r.contract, ids))
