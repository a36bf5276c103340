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

from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_wire import payload as telemetry
from marcier_wire import topics
from marcier_wire.payload import Reject


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


def process(tenant, messages, now):
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
    rows, seen, latest, answers, rejects = [], set(), {}, [], []
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
        received = utc(message.received)
        rows.append((vehicle, company, agent, time, received, 0, received,
                *values.values(), 0, 0, extra))
        outcome.sample_times.append(epoch)
        if vehicle not in latest or latest[vehicle][0] < time:
            latest[vehicle] = (time, values)
        if values['latitude'] is not None and (
                vehicle not in positions or positions[vehicle][0] < time):
            positions[vehicle] = (time, values['latitude'],
                values['longitude'])
    for vehicle, (time, values) in latest.items():
        if values['latitude'] is None and vehicle in positions:
            _, values['latitude'], values['longitude'] = positions[vehicle]
    if rows:
        outcome.stored = Telemetry.store(rows)
        outcome.duplicates += len(rows) - outcome.stored
        Vehicle.update_live_state(latest)
        owners = {v: (c, a) for v, c, a, _ in vehicles.values()
            if v in latest}
        Alarm.evaluate(latest, owners, Vehicle.iot_service_areas(
                {v: agent for v, (_, agent) in owners.items()}))
    if answers:
        outcome.answers = Command.answer(answers)
    if rejects:
        RejectLog.log(rejects)
    return outcome


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
