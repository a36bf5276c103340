# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Replay on the fleet map (issue 15): one vehicle's track over a period or
a trip, with its alarms and driving events, for the map's time slider.

Read through the caller's searches, so the record rules apply: agent staff
replay their own vehicles, and only the telemetry, trips and alarms of
their agent (a vehicle transferred to them keeps its earlier track with
the agent who had it)."""
import bisect
import datetime as dt
import math

from sql import Null
from sql.aggregate import Count
from sql.conditionals import Coalesce
from sql.functions import Lag, RowNumber, Window
from sql.operators import BAnd, BNot

from trytond.i18n import gettext
from trytond.model import ModelView
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction

from marcier_device.fleet_map import OpenFleetMap, epoch

from .exceptions import ReplayError
from .telemetry import EVENT_FLAGS, QUALITY_FLAGS

# A longer track is thinned to about this many points
MAX_POINTS = 3000
MAX_DAYS = 31
MAX_ALARMS = 500
GPS_JUMP = 1 << [f for f, _ in QUALITY_FLAGS].index('gps_jump')
# The replay panel's strings: ir.message msg_replay_<key>
LABELS = ['replay', 'vehicle_label', 'period_label', 'trip_label', 'from',
    'to', 'show', 'play', 'pause', 'speed', 'close', 'empty', 'sampled',
    'no_trip', 'alarm', 'km']


class Vehicle(metaclass=PoolMeta):
    __name__ = 'device.vehicle'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__['fleet_replay'] = RPC()
        cls._buttons.update({
                'open_replay': {'icon': 'tryton-history'},
                })

    @classmethod
    @ModelView.button_action('marcier_iot.wizard_replay')
    def open_replay(cls, vehicles):
        pass

    @classmethod
    def fleet_map_setup(cls):
        setup = super().fleet_map_setup()
        setup['replay'] = True
        setup['labels'].update({f'replay_{k}': gettext(
                    f'marcier_iot.msg_replay_{k}') for k in LABELS})
        setup['events'] = {f: gettext(f'marcier_iot.msg_replay_event_{f}')
            for f, _ in EVENT_FLAGS}
        return setup

    @classmethod
    def fleet_replay(cls, vehicle, start=None, end=None, trip=None):
        """The track of vehicle (an id) from start to end (seconds since
        1970, UTC) or over trip (an id): {'vehicle', 'start', 'end',
        'total' positions, 'points' [[time, lat, lon, speed]] thinned to
        about MAX_POINTS, 'events' [[time, lat, lon, [flags]]] where a
        driving event began, 'alarms' [[time, lat, lon, kind, detail]]};
        positions flagged as GPS jumps are left out"""
        pool = Pool()
        Trip = pool.get('iot.trip')
        if trip is not None:
            trips = Trip.search([('id', '=', _id(trip, 'msg_replay_trip'))])
            if not trips:
                raise ReplayError(gettext('marcier_iot.msg_replay_trip'))
            trip, = trips
            vehicle = trip.vehicle.id
            start = trip.start
            end = trip.end or dt.datetime.now()
        else:
            start, end = _instant(start), _instant(end)
            if (start is None or end is None or start >= end
                    or end - start > dt.timedelta(days=MAX_DAYS)):
                raise ReplayError(gettext('marcier_iot.msg_replay_period',
                        days=MAX_DAYS))
        vehicles = cls.search([
                ('id', '=', _id(vehicle, 'msg_replay_vehicle')),
                ('active', 'in', [True, False]),
                ])
        if not vehicles:
            raise ReplayError(gettext('marcier_iot.msg_replay_vehicle'))
        vehicle, = vehicles
        points, events, total = _track(vehicle, start, end)
        return {
            'vehicle': {'id': vehicle.id, 'serial': vehicle.serial},
            'start': epoch(start), 'end': epoch(end), 'total': total,
            'points': points, 'events': events,
            'alarms': _alarms(vehicle, start, end, points),
            }


def _id(value, message):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReplayError(gettext(f'marcier_iot.{message}'))
    return value


def _instant(value):
    "The naive UTC datetime of seconds since 1970, None if not a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(
            tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def _datetime(value):
    # SQLite answers text for a window's timestamps
    return dt.datetime.fromisoformat(value) if isinstance(value, str) \
        else value


def _track(vehicle, start, end):
    "(points, events, total) of vehicle's telemetry from start to end"
    Telemetry = Pool().get('iot.telemetry')
    telemetry = Telemetry.__table__()
    cursor = Transaction().connection.cursor()
    # The caller's search carries the record rules; the same conditions
    # outside let PostgreSQL skip the other days' partitions
    readable = Telemetry.search([
            ('vehicle', '=', vehicle.id),
            ('timestamp', '>=', start), ('timestamp', '<=', end),
            ], order=[], query=True)
    where = ((telemetry.vehicle == vehicle.id)
        & (telemetry.timestamp >= start) & (telemetry.timestamp <= end)
        & telemetry.id.in_(readable)
        & (telemetry.latitude != Null) & (telemetry.longitude != Null)
        & (BAnd(Coalesce(telemetry.quality, 0), GPS_JUMP) == 0))
    cursor.execute(*telemetry.select(Count(), where=where))
    total, = cursor.fetchone()
    if not total:
        return [], [], 0
    step = math.ceil(total / MAX_POINTS)
    window = Window([], order_by=[telemetry.timestamp.asc])
    events = Coalesce(telemetry.events, 0)
    rows = telemetry.select(
        telemetry.timestamp, telemetry.latitude, telemetry.longitude,
        telemetry.speed, events.as_('events'),
        RowNumber(window=window).as_('number'),
        Lag(events, 1, 0, window=window).as_('before'),
        where=where)
    # Every step-th position, the last, and every one where an event began
    began = BAnd(rows.events, BNot(rows.before))
    cursor.execute(*rows.select(
            rows.timestamp, rows.latitude, rows.longitude, rows.speed,
            began,
            where=(((rows.number - 1) % step) == 0) | (rows.number == total)
            | (began != 0),
            order_by=[rows.timestamp.asc]))
    points, marks = [], []
    for time, lat, lon, speed, flags in cursor:
        time = epoch(_datetime(time))
        points.append([time, lat, lon, speed])
        if flags:
            marks.append([time, lat, lon, [name
                        for bit, (name, _) in enumerate(EVENT_FLAGS)
                        if flags & (1 << bit)]])
    return points, marks, total


def _alarms(vehicle, start, end, points):
    "The alarms raised on vehicle from start to end, placed on the track"
    Alarm = Pool().get('iot.alarm')
    alarms = Alarm.search([
            ('vehicle', '=', vehicle.id),
            ('opened', '>=', start), ('opened', '<=', end),
            ], order=[('opened', 'ASC')], limit=MAX_ALARMS)
    times = [p[0] for p in points]
    result = []
    for alarm in alarms:
        time = epoch(alarm.opened)
        lat = lon = None
        if points:
            # The position reported closest before (or at) the alarm
            index = max(bisect.bisect_right(times, time) - 1, 0)
            _, lat, lon, _ = points[index]
        result.append([time, lat, lon, alarm.kind_string,
                alarm.detail or ''])
    return result


class Trip(metaclass=PoolMeta):
    __name__ = 'iot.trip'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'open_replay': {'icon': 'tryton-history'},
                })

    @classmethod
    @ModelView.button_action('marcier_iot.wizard_replay')
    def open_replay(cls, trips):
        pass


class OpenReplay(OpenFleetMap):
    "Open the fleet map replaying the vehicle or the trip it is opened from"
    __name__ = 'iot.replay.open'

    def map_parameters(self):
        if self.model and self.model.__name__ == 'iot.trip' and self.record:
            return {'vehicle': self.record.vehicle.id,
                'trip': self.record.id, 'replay': 1}
        return {**super().map_parameters(), 'replay': 1}
