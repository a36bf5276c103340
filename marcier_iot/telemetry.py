# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
import json
import re

from sql import Cast, Literal
from sql.aggregate import Avg, Count, Max, Min
from sql.conditionals import NullIf
from sql.functions import DateTrunc, Function

from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from marcier_base.model import AgentOwnedMixin
from marcier_wire.payload import (
    COLUMNS, FIELDS, MAX_PAST, REJECT_REASONS)

from . import partition
from .commit import on_rollback

# Columns written by the listener, in this order
STORED = ['vehicle', 'company', 'agent', 'timestamp', 'received',
    'create_uid', 'create_date'] + COLUMNS + ['quality', 'events', 'extra']
COPY_TYPES = ['int4', 'int4', 'int4', 'timestamp', 'timestamp', 'int4',
    'timestamp'] + [
    {float: 'float8', int: 'int4', bool: 'bool'}[f.type] for f in FIELDS] + [
    'int4', 'int4', 'jsonb']
# Bits of a report's quality flags (data cleaning, marcier_iot/quality.py):
# a flagged value is kept but no rollup counts it
QUALITY_FLAGS = [
    ('gps_jump', "GPS jump"),
    ('stuck', "Stuck sensor"),
    ('odometer_back', "Odometer backwards"),
    ('out_of_order', "Out of order"),
    ]
# Bits of a report's driving events
EVENT_FLAGS = [
    ('harsh_acceleration', "Harsh acceleration"),
    ('harsh_braking', "Harsh braking"),
    ('overspeed', "Overspeed"),
    ('out_of_area', "Out of service area"),
    ]
# The chart's measures of the telemetry columns, and how a bucket sums up
# its samples
MEASURES = {'voltage': Avg, 'current': Avg, 'soc': Avg, 'battery_temp': Max,
    'speed': Avg, 'lift_height': Max, 'load_weight': Max, 'brush_speed': Avg,
    'water_level': Min, 'vacuum': Avg}
# Day partitions ahead of today (PostgreSQL); the listener accepts reports
# up to MAX_PAST old, so that many days back always exist too
DAYS_AHEAD = 3
DAYS_BACK = MAX_PAST // 86400 + 1
# What a signal of the extra column may be called ('Message.Signal')
SIGNAL_NAME = re.compile(r'[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*\Z')


class _JsonbText(Function):
    __slots__ = ()
    _function = 'JSONB_EXTRACT_PATH_TEXT'


class _JsonExtract(Function):
    __slots__ = ()
    _function = 'JSON_EXTRACT'


def signal_value(column, name):
    "SQL of the number a report's extra column holds for the signal name"
    if backend.name == 'postgresql':
        return Cast(_JsonbText(column, name), 'FLOAT')
    return _JsonExtract(column, f'$."{name}"')


class Telemetry(AgentOwnedMixin, ModelSQL, ModelView):
    """Vehicle Telemetry

    One row per gateway report, written in batches by the listener; the
    agent is the vehicle's owner when the sample arrived, so a transferred
    vehicle's past stays with the agent who had it."""
    __name__ = 'iot.telemetry'
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, readonly=True,
        ondelete='CASCADE')
    timestamp = fields.Timestamp("Time", required=True, readonly=True)
    received = fields.Timestamp("Received", readonly=True)
    latitude = fields.Float("Latitude", digits=(9, 6), readonly=True)
    longitude = fields.Float("Longitude", digits=(9, 6), readonly=True)
    speed = fields.Float("Speed", digits=(5, 1), readonly=True,
        help="km/h")
    heading = fields.Float("Heading", digits=(5, 1), readonly=True)
    voltage = fields.Float("Voltage", digits=(6, 1), readonly=True,
        help="Pack voltage in V.")
    current = fields.Float("Current", digits=(6, 1), readonly=True,
        help="Pack current in A, positive while discharging.")
    soc = fields.Float("State of Charge", digits=(5, 1), readonly=True)
    battery_temp = fields.Float("Battery Temperature", digits=(5, 1),
        readonly=True, help="Hottest cell, °C.")
    battery_temp_min = fields.Float("Coldest Cell", digits=(5, 1),
        readonly=True)
    bms_faults = fields.Integer("BMS Faults", readonly=True)
    rpm = fields.Integer("Motor RPM", readonly=True)
    motor_temp = fields.Float("Motor Temperature", digits=(5, 1),
        readonly=True)
    controller_temp = fields.Float("Controller Temperature", digits=(5, 1),
        readonly=True)
    fault_code = fields.Integer("Fault Code", readonly=True)
    key_on = fields.Boolean("Key On", readonly=True)
    charging = fields.Boolean("Charging", readonly=True)
    drive_locked = fields.Boolean("Drive Locked", readonly=True)
    odometer = fields.Float("Odometer", digits=(10, 1), readonly=True)
    working_hours = fields.Float("Working Hours", digits=(10, 1),
        readonly=True)
    # Quantities of some vehicle types only
    lift_height = fields.Float("Lift Height", digits=(5, 3), readonly=True,
        help="m")
    load_weight = fields.Float("Load", digits=(7, 0), readonly=True,
        help="kg")
    fork_tilt = fields.Float("Fork Tilt", digits=(4, 1), readonly=True,
        help="°")
    brush_speed = fields.Float("Brush Speed", digits=(6, 0), readonly=True,
        help="rpm")
    water_level = fields.Float("Water Tank", digits=(5, 1), readonly=True,
        help="%")
    vacuum = fields.Float("Vacuum", digits=(5, 1), readonly=True,
        help="kPa")
    quality = fields.Integer("Quality Flags", readonly=True,
        help="What data cleaning found wrong with this report (bits of "
        "QUALITY_FLAGS); 0 when clean.")
    events = fields.Integer("Driving Events", readonly=True,
        help="Harsh acceleration, braking, overspeed, out of area (bits of "
        "EVENT_FLAGS).")
    extra = fields.Dict(None, "Other Signals", readonly=True,
        help="Every other signal the vehicle's DBC decoded, by "
        "Message.Signal.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # Also the index of every per-vehicle time range query
        cls._sql_constraints += [
            ('vehicle_timestamp_unique', Unique(t, t.vehicle, t.timestamp),
                'marcier_iot.msg_telemetry_unique'),
            ]
        # the lists and charts by time, of all agents and of one
        cls._sql_indexes.update({
                Index(t, (t.timestamp, Index.Range(order='DESC'))),
                Index(t, (t.agent, Index.Equality()),
                    (t.timestamp, Index.Range(order='DESC'))),
                })
        cls._order = [('timestamp', 'DESC'), ('id', 'DESC')]

    @classmethod
    def __register__(cls, module):
        "On PostgreSQL the table is partitioned by day (issue 15)"
        if backend.name == 'postgresql':
            found = partition.kind(cls._table)
            if found is None:
                partition.create(cls._table, 'timestamp')
            elif found != 'p':
                partition.convert(cls._table, 'timestamp')
        super().__register__(module)
        if backend.name == 'postgresql':
            cls.ensure_partitions()

    @classmethod
    def ensure_partitions(cls, first=None, last=None):
        "Day partitions of first to last, by default around today"
        today = dt.date.today()
        first = first or today - dt.timedelta(days=DAYS_BACK)
        last = last or today + dt.timedelta(days=DAYS_AHEAD)
        partition.ensure(cls._table, first, last)
        _partitions.pop(Transaction().database.name, None)

    @classmethod
    def manage_storage(cls):
        """Daily (scheduled task): create the coming days' partitions,
        drop the raw telemetry and rejects beyond the retention, delete the
        rollups beyond theirs"""
        pool = Pool()
        Configuration = pool.get('iot.configuration')
        Reject = pool.get('iot.telemetry.reject')
        RollupHour = pool.get('iot.rollup.hour')
        RollupDay = pool.get('iot.rollup.day')
        config = Configuration(1)
        kept = dt.date.today() - dt.timedelta(days=config.rollup_retention)
        RollupHour.purge(dt.datetime.combine(kept, dt.time()))
        RollupDay.purge(kept)
        retention = config.telemetry_retention
        cutoff = dt.date.today() - dt.timedelta(days=retention)
        start = dt.datetime.combine(cutoff, dt.time())
        if backend.name == 'postgresql':
            cls.ensure_partitions()
            partition.drop_before(cls._table, cutoff)
            _partitions.pop(Transaction().database.name, None)
        else:
            table = cls.__table__()
            Transaction().connection.cursor().execute(
                *table.delete(where=table.timestamp < start))
        Reject.delete(Reject.search([('received', '<', start)]))

    @classmethod
    def store(cls, rows, keys=False):
        """Insert rows (tuples in STORED order) in one go, skipping samples
        already stored (a redelivered message); return how many were new,
        with keys the set of their (vehicle id, timestamp)"""
        if backend.name == 'postgresql':
            return cls._store_copy(rows, keys)
        return cls._store_executemany(rows, keys)

    @classmethod
    def _store_executemany(cls, rows, keys=False):
        "SQLite: the extra signals as JSON text"
        cursor = Transaction().connection.cursor()
        if keys:
            # one transaction writes at a time: what is not there is new
            table = cls.__table__()
            times = [r[3] for r in rows]
            cursor.execute(*table.select(table.vehicle, table.timestamp,
                    where=table.vehicle.in_(list({r[0] for r in rows}))
                    & (table.timestamp >= min(times))
                    & (table.timestamp <= max(times))))
            there = set(cursor)
            rows = [r for r in rows if (r[0], r[3]) not in there]
        before = cursor.connection.total_changes
        cursor.executemany(
            f'INSERT INTO "{cls._table}" ({", ".join(STORED)}) '
            f'VALUES ({", ".join("?" * len(STORED))}) '
            'ON CONFLICT (vehicle, timestamp) DO NOTHING',
            (row[:-1] + (json.dumps(row[-1], separators=(',', ':'),
                        sort_keys=True) if row[-1] else None,)
                for row in rows))
        if keys:
            return {(r[0], r[3]) for r in rows}
        return cursor.connection.total_changes - before

    @classmethod
    def _store_copy(cls, rows, keys=False):
        """PostgreSQL: binary COPY into a temporary table, then one INSERT
        that skips what is already there"""
        cls._partitions_for(rows)
        cursor = Transaction().connection.cursor()
        staging = f'{cls._table}_staging'
        columns = ', '.join(STORED)
        cursor.execute(
            f'CREATE TEMPORARY TABLE IF NOT EXISTS "{staging}" '
            f'ON COMMIT DELETE ROWS AS SELECT {columns} '
            f'FROM "{cls._table}" WITH NO DATA')
        with cursor.copy(f'COPY "{staging}" ({columns}) '
                'FROM STDIN (FORMAT BINARY)') as copy:
            copy.set_types(COPY_TYPES)
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f'INSERT INTO "{cls._table}" ({columns}) '
            f'SELECT {columns} FROM "{staging}" '
            'ON CONFLICT (vehicle, timestamp) DO NOTHING'
            + (' RETURNING vehicle, timestamp' if keys else ''))
        if keys:
            return set(cursor)
        return cursor.rowcount


    @classmethod
    def _partitions_for(cls, rows):
        """Create the day partitions rows need that the scheduled task did
        not (a server down for days, a gateway's old spool)"""
        name = Transaction().database.name
        known = _partitions.get(name)
        needed = {row[3].date() for row in rows}
        if known is None or not needed <= known:
            known = set(partition.days(cls._table))
            missing = needed - known
            if missing:
                partition.ensure(cls._table, min(missing), max(missing),
                    known)
                known |= missing
                # its rollback drops the partitions: forget their days
                # too, or the next batch of the same days fails for want
                # of a partition
                on_rollback(('telemetry partitions', name),
                    _partitions.pop, name, None)
            _partitions[name] = known


# database name → the days of the telemetry partitions known to exist
_partitions = {}


class Reject(ModelSQL, ModelView):
    "Rejected Message"
    __name__ = 'iot.telemetry.reject'
    received = fields.Timestamp("Received", required=True, readonly=True)
    topic = fields.Char("Topic", readonly=True)
    gateway = fields.Char("Gateway", readonly=True)
    reason = fields.Selection(
        REJECT_REASONS, "Reason", required=True, readonly=True, sort=False)
    detail = fields.Char("Detail", readonly=True)
    payload = fields.Text("Payload", readonly=True,
        help="The first 500 characters of what was received.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.reason, Index.Equality())))
        cls._order = [('received', 'DESC'), ('id', 'DESC')]

    @classmethod
    def log(cls, rejects):
        "rejects: (received, topic, gateway, reason, detail, payload)"
        def text(value, size):
            # PostgreSQL text cannot hold NUL: show it as U+FFFD
            if isinstance(value, bytes):
                value = value.decode('utf-8', 'replace')
            return value[:size].replace('\x00', '\ufffd') if value else value
        cls.create([{
                    'received': received, 'topic': text(topic, 200),
                    'gateway': text(gateway, 64), 'reason': reason,
                    'detail': text(detail, 200),
                    'payload': text(payload, 500),
                    } for received, topic, gateway, reason, detail, payload
                in rejects])


class ChartContext(ModelView):
    "Telemetry Chart Context"
    __name__ = 'iot.telemetry.chart.context'
    vehicle = fields.Many2One('device.vehicle', "Vehicle")
    from_ = fields.DateTime("From", required=True,
        domain=[('from_', '<=', Eval('to'))])
    to = fields.DateTime("To", required=True,
        domain=[('to', '>=', Eval('from_'))])
    resolution = fields.Selection([
            ('minute', "Minute"),
            ('hour', "Hour"),
            ('day', "Day"),
            ], "Resolution", required=True, sort=False)
    signal = fields.Char(
        "Other Signal",
        help="A signal of the vehicle's DBC to chart (Message.Signal, "
        "as the telemetry's other signals name it).")

    @classmethod
    def default_signal(cls):
        return Transaction().context.get('signal')

    @classmethod
    def default_vehicle(cls):
        return Transaction().context.get('vehicle')

    @classmethod
    def default_from_(cls):
        return Transaction().context.get('from_') or (
            dt.datetime.now() - dt.timedelta(hours=2)).replace(
            second=0, microsecond=0)

    @classmethod
    def default_to(cls):
        return Transaction().context.get('to') or (
            dt.datetime.now() + dt.timedelta(minutes=5)).replace(
            second=0, microsecond=0)

    @classmethod
    def default_resolution(cls):
        return Transaction().context.get('resolution') or 'minute'


class Chart(AgentOwnedMixin, ModelSQL, ModelView):
    "Telemetry Chart"
    __name__ = 'iot.telemetry.chart'
    vehicle = fields.Many2One('device.vehicle', "Vehicle", readonly=True)
    time = fields.Timestamp("Time", readonly=True)
    voltage = fields.Float("Voltage (V)", digits=(6, 1), readonly=True)
    current = fields.Float("Current (A)", digits=(6, 1), readonly=True)
    soc = fields.Float("State of Charge (%)", digits=(5, 1), readonly=True)
    battery_temp = fields.Float(
        "Battery Temperature (°C)", digits=(5, 1), readonly=True)
    speed = fields.Float("Speed (km/h)", digits=(5, 1), readonly=True)
    lift_height = fields.Float(
        "Lift Height (m)", digits=(5, 3), readonly=True)
    load_weight = fields.Float("Load (kg)", digits=(7, 0), readonly=True)
    brush_speed = fields.Float(
        "Brush Speed (rpm)", digits=(6, 0), readonly=True)
    water_level = fields.Float(
        "Water Tank (%)", digits=(5, 1), readonly=True)
    vacuum = fields.Float("Vacuum (kPa)", digits=(5, 1), readonly=True)
    signal = fields.Float("Other Signal", digits=(16, 3), readonly=True,
        help="The signal chosen in the context, averaged.")
    samples = fields.Integer("Samples", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('time', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        """Hours and days from the rollups (kept for years, a row per
        vehicle and period), minutes and a DBC signal (not rolled up) from
        the raw reports"""
        context = Transaction().context
        resolution = context.get('resolution') or 'minute'
        if resolution not in {'minute', 'hour', 'day'}:
            resolution = 'minute'
        now = dt.datetime.now()
        from_ = context.get('from_') or now - dt.timedelta(hours=2)
        to = context.get('to') or now
        vehicle = context.get('vehicle') or -1
        signal = context.get('signal') or ''
        if not SIGNAL_NAME.match(signal):
            signal = None
        if resolution == 'minute' or signal:
            return cls._raw_query(resolution, from_, to, vehicle, signal)
        return cls._rollup_query(resolution, from_, to, vehicle)

    @classmethod
    def _rollup_query(cls, resolution, from_, to, vehicle):
        pool = Pool()
        if resolution == 'hour':
            rollup = pool.get('iot.rollup.hour').__table__()
            time = rollup.hour
            first = from_.replace(minute=0, second=0, microsecond=0)
        else:
            rollup = pool.get('iot.rollup.day').__table__()
            time = cls.time.sql_cast(rollup.date)
            first, to = from_.date(), to.date()
        measured = NullIf(rollup.measured, 0)
        time_ = rollup.hour if resolution == 'hour' else rollup.date
        return rollup.select(
            rollup.id, rollup.vehicle, rollup.company, rollup.agent,
            time.as_('time'),
            *((getattr(rollup, f'{c}_sum') / measured).as_(c)
                for c in ['voltage', 'current', 'soc', 'speed',
                    'brush_speed', 'vacuum']),
            rollup.battery_temp_max.as_('battery_temp'),
            rollup.lift_height_max.as_('lift_height'),
            rollup.load_weight_max.as_('load_weight'),
            rollup.water_level_min.as_('water_level'),
            Cast(Literal(None), 'FLOAT').as_('signal'),
            rollup.samples.as_('samples'),
            where=(rollup.vehicle == vehicle) & (time_ >= first)
            & (time_ <= to))

    @classmethod
    def _raw_query(cls, resolution, from_, to, vehicle, signal):
        Telemetry = Pool().get('iot.telemetry')
        telemetry = Telemetry.__table__()
        where = (telemetry.timestamp >= from_) & (telemetry.timestamp <= to)
        where &= telemetry.vehicle == vehicle
        signal = signal_value(telemetry.extra, signal) \
            if signal else Cast(Literal(None), 'FLOAT')
        # Bucket in a sub-query: PostgreSQL would not match a parameterised
        # DATE_TRUNC of the SELECT with the one of the GROUP BY
        samples = telemetry.select(
            telemetry.id, telemetry.vehicle, telemetry.company,
            telemetry.agent, *(getattr(telemetry, c) for c in MEASURES),
            signal.as_('signal'),
            cls.time.sql_cast(DateTrunc(resolution, telemetry.timestamp)
                ).as_('time'),
            where=where)
        return samples.select(
            Min(samples.id).as_('id'),
            samples.vehicle, samples.company, samples.agent, samples.time,
            *(aggregate(getattr(samples, c)).as_(c)
                for c, aggregate in MEASURES.items()),
            Avg(samples.signal).as_('signal'),
            Count(samples.id).as_('samples'),
            group_by=[samples.vehicle, samples.company, samples.agent,
                samples.time])
