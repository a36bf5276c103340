# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""One batch of uplink messages, in the caller's transaction: telemetry
rows, each vehicle's live state, alarms, command answers and rejects.

The listener (listener.py) commits, then acknowledges the
messages to the broker: nothing acknowledged is ever lost."""
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter

from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_wire import payload as telemetry
from marcier_wire import topics
from marcier_wire.payload import Reject

from . import quality

# Intervals between reports longer than this many report intervals are
# not integrated into driving time and energy: the vehicle was off or silent
GAP_INTERVALS = 4


@dataclass
class Message:
    topic: str
    payload: bytes
    received: float  # epoch seconds
    token: object = None  # the link's acknowledgement token


@dataclass
class Outcome:
    stored: int = 0
    duplicates: int = 0
    answers: int = 0
    rejects: Counter = field(default_factory=Counter)
    sample_times: list = field(default_factory=list)  # epoch, new rows


EPOCH = dt.datetime(1970, 1, 1)


def utc(epoch):
    "The naive UTC datetime Tryton stores (cheaper than fromtimestamp)"
    return EPOCH + dt.timedelta(seconds=epoch)


def directory(gateway_ids):
    """{gateway id: (vehicle id, company id, agent id, vehicle type id)} of
    active vehicles"""
    pool = Pool()
    Vehicle = pool.get('device.vehicle')
    Template = pool.get('product.template')
    table, template = Vehicle.__table__(), Template.__table__()
    cursor = Transaction().connection.cursor()
    found = {}
    ids = list(gateway_ids)
    for start in range(0, len(ids), 1000):
        cursor.execute(*table.join(template, 'LEFT',
                condition=table.product == template.id).select(
                table.gateway_id, table.id, table.company, table.agent,
                template.vehicle_type,
                where=table.gateway_id.in_(ids[start:start + 1000])
                & (table.active == True)))  # noqa: E712
        found.update((g, (v, c, a, t)) for g, v, c, a, t in cursor)
    return found


def process(tenant, messages, now, derive=True):
    """Store a batch; derive=False skips cleaning, rollups and trips (the
    benchmark's reference run only)"""
    pool = Pool()
    Telemetry = pool.get('iot.telemetry')
    Vehicle = pool.get('device.vehicle')
    Alarm = pool.get('iot.alarm')
    Command = pool.get('iot.command')
    RejectLog = pool.get('iot.telemetry.reject')
    VehicleType = pool.get('iot.vehicle.type')
    outcome = Outcome()
    routes = [topics.parse(m.topic, tenant) for m in messages]
    vehicles = directory({r[0] for r in routes if r})
    ranges = VehicleType.ranges({t for *_, t in vehicles.values() if t})
    reports, seen, latest, answers, rejects = [], set(), {}, [], []
    positions = {}  # vehicle → (time, latitude, longitude) of its last fix
    for message, route in zip(messages, routes):
        gateway = route[0] if route else None
        try:
            if route is None:
                raise Reject('topic', 'not an uplink topic of this tenant')
            if gateway not in vehicles:
                raise Reject('unknown_vehicle', f'no vehicle has gateway '
                    f'{gateway}')
            vehicle, company, agent, type_ = vehicles[gateway]
            if route[1] == topics.ACK:
                answers.append((vehicle, parse_ack(message.payload)))
                continue
            epoch, values, extra = telemetry.parse(
                message.payload, now, ranges.get(type_))
        except Reject as reject:
            outcome.rejects[reject.reason] += 1
            rejects.append((utc(message.received), message.topic, gateway,
                    reject.reason, reject.detail, message.payload))
            continue
        time = utc(epoch)
        if (vehicle, time) in seen:
            outcome.duplicates += 1
            continue
        seen.add((vehicle, time))
        reports.append((vehicle, company, agent, time, utc(message.received),
                epoch, values, extra))
        outcome.sample_times.append(epoch)
        if vehicle not in latest or latest[vehicle][0] < time:
            latest[vehicle] = (time, values)
        if values['latitude'] is not None and (
                vehicle not in positions or positions[vehicle][0] < time):
            positions[vehicle] = (time, values['latitude'],
                values['longitude'])
    if reports:
        owners = {v: (c, a) for v, c, a, _ in vehicles.values()
            if v in latest}
        areas = Vehicle.iot_service_areas(
            {v: agent for v, (_, agent) in owners.items()})
        derivation = Derivation(reports, vehicles, areas) if derive else None
        # before the latest positions fill the fixes reports lacked
        flags = derivation.run() if derive else {}
        rows = [(vehicle, company, agent, time, received, 0, received,
                    *values.values(), *flags.get(i, (0, 0)), extra)
            for i, (vehicle, company, agent, time, received, _, values,
                extra) in enumerate(reports)]
        if derive:
            stored = Telemetry.store(rows, keys=True)
            outcome.stored = len(stored)
            if outcome.stored < len(rows):  # a redelivery: count new only
                derivation.run(skip={i for i, r in enumerate(reports)
                        if (r[0], r[3]) not in stored})
        else:
            outcome.stored = Telemetry.store(rows)
        outcome.duplicates += len(rows) - outcome.stored
        for vehicle, (time, values) in latest.items():
            if values['latitude'] is None and vehicle in positions:
                _, values['latitude'], values['longitude'] = positions[
                    vehicle]
        Vehicle.update_live_state(latest)
        opened = Alarm.evaluate(latest, owners, areas)
        if derive:
            derivation.save(owners, opened)
    if answers:
        outcome.answers = Command.answer(answers)
    if rejects:
        RejectLog.log(rejects)
    return outcome


class Derivation:
    """Cleaning, rollups and trips of a batch's reports (quality.py): each
    vehicle's reports in time order against its track, locked until the
    commit"""

    def __init__(self, reports, vehicles, areas):
        pool = Pool()
        Configuration = pool.get('iot.configuration')
        Track = pool.get('iot.vehicle.track')
        VehicleType = pool.get('iot.vehicle.type')
        self.series = {}  # vehicle → [(epoch, values, report index)]
        for index, report in enumerate(reports):
            self.series.setdefault(report[0], []).append(
                (report[5], report[6], index))
        for series in self.series.values():
            series.sort(key=itemgetter(0))
        self.tracks = Track.lock(self.series)
        config = Configuration(1)
        types = {v: t for v, _, _, t in vehicles.values()
            if v in self.series}
        kinds = VehicleType.limits({t for t in types.values() if t})
        default = (config.report_interval, None)
        stop = config.trip_stop_minutes * 60
        self.limits = {}
        for vehicle in self.series:
            interval, speed = kinds.get(types[vehicle], default)
            self.limits[vehicle] = quality.Limits(
                GAP_INTERVALS * interval, speed or config.speed_limit,
                config.harsh_acceleration, config.harsh_braking, stop,
                areas.get(vehicle))

    def run(self, skip=()):
        """{report index: (quality, events)}; skip: indexes of reports not
        stored, which no figure counts"""
        flags = {}
        self.hours, self.trips, self.moved = {}, [], {}
        for vehicle, series in self.series.items():
            track = self.tracks[vehicle].copy()
            flags_, hours, trips = quality.derive(
                track, series, self.limits[vehicle], skip)
            flags.update(flags_)
            self.moved[vehicle] = track
            for hour, figures in hours.items():
                self.hours[vehicle, hour] = figures
            self.trips.extend((vehicle, t) for t in trips)
        return flags

    def save(self, owners, opened):
        "Store the figures, trips and tracks; opened: the batch's alarms"
        pool = Pool()
        RollupHour = pool.get('iot.rollup.hour')
        RollupDay = pool.get('iot.rollup.day')
        Trip = pool.get('iot.trip')
        Track = pool.get('iot.vehicle.track')
        for alarm in opened:
            epoch = (alarm.opened - EPOCH).total_seconds()
            key = (alarm.vehicle.id, int(epoch // 3600))
            figures = self.hours.get(key)
            if figures is None:
                figures = self.hours[key] = quality.bucket()
            figures[quality.ALARMS] += 1
        hours, days = {}, {}
        for (vehicle, hour), figures in self.hours.items():
            hours[vehicle, EPOCH + dt.timedelta(hours=hour)] = figures
            day = EPOCH.date() + dt.timedelta(days=hour // 24)
            if (vehicle, day) in days:
                quality.merge(days[vehicle, day], figures)
            else:
                days[vehicle, day] = list(figures)
        RollupHour.add(hours, owners)
        RollupDay.add(days, owners)
        Trip.extend(self.trips, owners)
        Track.save_tracks(self.moved)


def parse_ack(payload):
    try:
        ack = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        ack = None
    if (not isinstance(ack, dict)
            or not isinstance(ack.get('id'), int)
            or isinstance(ack['id'], bool)
            # Command ids are database ids: 32-bit positive integers
            or not 0 < ack['id'] < 2 ** 31):
        raise Reject('malformed', 'an ack needs a command id')
    return ack
