# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Which vehicles an agent can lease: free now, per product and city (the
mall shows it), and free over a period (quotations are refused beyond it).

A vehicle is in the service city of its agent whose area holds its last
position (the nearest when areas overlap); a vehicle with no position yet
may serve any city of its agent; one outside every area serves none.
Free now: available, on no live contract today, charged above the
configured threshold and its gateway reporting within the configured
minutes.  Free over a period: not retired, not in repair when the period
has begun, on no contract of the period; the contract lines without a
vehicle (quantities confirmed but not yet assigned) take their number."""
import datetime as dt
import math
from collections import defaultdict

from sql import As, Literal, Null
from sql.aggregate import Count, Max, Min
from sql.conditionals import Coalesce

from trytond import backend
from trytond.model import fields
from trytond.pool import Pool
from trytond.tools import sqlite_apply_types
from trytond.transaction import Transaction

# Contracts that hold their vehicles (a completed one ended on its last day)
HOLDING = ['not_started', 'in_progress', 'suspended', 'completed']
IN = fields.SQL_OPERATORS['in']
EARTH_KM = 6371


def distance(latitude1, longitude1, latitude2, longitude2):
    "Kilometres between two points (equirectangular: cities are small)"
    x = math.radians(longitude2 - longitude1) * math.cos(
        math.radians((latitude1 + latitude2) / 2))
    y = math.radians(latitude2 - latitude1)
    return EARTH_KM * math.hypot(x, y)


def places():
    """({agent id: [service city ids]}, {city id: (latitude, longitude,
    radius km)}) of every agent: two small queries"""
    pool = Pool()
    AgentCity = pool.get('marcier.agent-marcier.city')
    City = pool.get('marcier.city')
    cursor = Transaction().connection.cursor()
    link, city = AgentCity.__table__(), City.__table__()
    cities = defaultdict(list)
    cursor.execute(*link.select(link.agent, link.city,
            order_by=[link.agent, link.city]))
    for agent, city_ in cursor:
        cities[agent].append(city_)
    cursor.execute(*city.select(
            city.id, city.latitude, city.longitude, city.radius))
    return dict(cities), {c: (la, lo, r) for c, la, lo, r in cursor}


def city_of(latitude, longitude, cities, areas):
    """The city of cities holding the position, None when outside them all;
    ... (Ellipsis) when the position is unknown: any of them"""
    if latitude is None or longitude is None:
        return ...
    best = None
    for city in cities:
        if city not in areas:
            continue
        lat, lon, radius = areas[city]
        km = distance(latitude, longitude, lat, lon)
        if km <= (radius or 0) and (best is None or km < best[0]):
            best = (km, city)
    return best[1] if best else None


def live_settings():
    "(minimum state of charge %, minutes of silence) of a free vehicle"
    Configuration = Pool().get('lease.configuration')
    config = Configuration(1)
    charge = config.available_charge
    if charge is None:
        charge = Configuration.default_available_charge()
    return charge, (config.available_silence
        or Configuration.default_available_silence())


def live_thresholds(settings=None):
    "(minimum state of charge %, oldest last report) of a free vehicle now"
    charge, silence = settings or live_settings()
    return charge, dt.datetime.now() - dt.timedelta(minutes=silence)


def is_live(soc, last_seen, thresholds):
    minimum, oldest = thresholds
    return (soc is not None and soc >= minimum
        and last_seen is not None and last_seen >= oldest)


def _held_until(today):
    """Query of (vehicle, first day held, last day held) for the vehicles on
    contracts that hold them today or later"""
    pool = Pool()
    Line = pool.get('lease.contract.line')
    Contract = pool.get('lease.contract')
    line, contract = Line.__table__(), Contract.__table__()
    last = Coalesce(line.end_date, contract.termination_date,
        contract.end_date)
    return line.join(contract, condition=line.contract == contract.id
        ).select(line.vehicle,
            Min(Coalesce(line.start_date, contract.start_date)).as_('first'),
            Max(last).as_('until'),
            where=contract.state.in_(HOLDING[:3]) & (line.vehicle != Null)
            & (last >= today),
            group_by=[line.vehicle])


def free_now(pairs, geography=None, thresholds=None):
    """{(agent id, product id): {city id: (vehicles free now, first date
    one comes free or None)}} for pairs of (agent id, product id), every
    agent's and product's when None, in one query; geography is places()
    (the mall caches it)"""
    pool = Pool()
    Vehicle = pool.get('device.vehicle')
    Date = pool.get('ir.date')
    everything = pairs is None
    pairs = set(pairs or [])
    result = defaultdict(dict, {p: {} for p in pairs})
    if not pairs and not everything:
        return result
    today = Date.today()
    agent_cities, areas = geography or places()
    thresholds = thresholds or live_thresholds()
    vehicle = Vehicle.__table__()
    held = _held_until(today)
    where = (vehicle.active == Literal(True)) & (vehicle.status != 'retired')
    if not everything:
        where &= (IN(vehicle.agent, list({a for a, _ in pairs}))
            & IN(vehicle.product, list({p for _, p in pairs})))
    query = vehicle.join(held, 'LEFT', condition=held.vehicle == vehicle.id
        ).select(vehicle.agent, vehicle.product, vehicle.status,
            vehicle.latitude, vehicle.longitude, vehicle.soc,
            As(vehicle.last_seen, 'last_seen'), As(held.first, 'first'),
            As(held.until, 'until'), where=where)
    if backend.name == 'sqlite':
        sqlite_apply_types(query, [None] * 6 + ['TIMESTAMP', 'DATE', 'DATE'])
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    for (agent, product, status, latitude, longitude, soc, last_seen, first,
            until) in cursor:
        if not everything and (agent, product) not in pairs:
            continue
        cities = agent_cities.get(agent, [])
        city = city_of(latitude, longitude, cities, areas)
        held_now = first is not None and first <= today
        free = (status == 'available' and not held_now
            and is_live(soc, last_seen, thresholds))
        comes_free = (until + dt.timedelta(days=1)
            if not free and held_now and status != 'in_repair' else None)
        counts = result[agent, product]
        for city in (cities if city is ... else [city] if city else []):
            count, next_ = counts.get(city, (0, None))
            if comes_free and (next_ is None or comes_free < next_):
                next_ = comes_free
            counts[city] = (count + free, next_)
    return result


def holding_contract(vehicle, start, end, exclude_lines=()):
    "The number of a contract holding vehicle (id) between start and end"
    pool = Pool()
    Line = pool.get('lease.contract.line')
    Contract = pool.get('lease.contract')
    line, contract = Line.__table__(), Contract.__table__()
    where = (contract.state.in_(HOLDING) & (line.vehicle == vehicle)
        & (Coalesce(line.start_date, contract.start_date) <= end)
        & (Coalesce(line.end_date, contract.termination_date,
                contract.end_date) >= start))
    if exclude_lines:
        where &= ~IN(line.id, list(exclude_lines))
    cursor = Transaction().connection.cursor()
    cursor.execute(*line.join(contract, condition=line.contract == contract.id
            ).select(contract.number, where=where, limit=1))
    row = cursor.fetchone()
    return row[0] if row else None


def free_over(agent, product, city, start, end, exclude=()):
    """The vehicles (ids) of agent and product free from start to end in
    city (any when None), and how many contract lines without a vehicle
    (not in contracts exclude) take some of them"""
    pool = Pool()
    Vehicle = pool.get('device.vehicle')
    Line = pool.get('lease.contract.line')
    Contract = pool.get('lease.contract')
    Date = pool.get('ir.date')
    today = Date.today()
    vehicle = Vehicle.__table__()
    line, contract = Line.__table__(), Contract.__table__()
    first = Coalesce(line.start_date, contract.start_date)
    last = Coalesce(line.end_date, contract.termination_date,
        contract.end_date)
    overlaps = (contract.state.in_(HOLDING)
        & (first <= end) & (last >= start))
    busy = line.join(contract, condition=line.contract == contract.id
        ).select(line.vehicle,
            where=overlaps & (line.vehicle != Null))
    where = ((vehicle.agent == agent) & (vehicle.product == product)
        & (vehicle.active == Literal(True))
        & (vehicle.status != 'retired')
        & ~vehicle.id.in_(busy))
    if start <= today:
        where &= vehicle.status != 'in_repair'
    cursor = Transaction().connection.cursor()
    cursor.execute(*vehicle.select(
            vehicle.id, vehicle.latitude, vehicle.longitude, where=where))
    rows = cursor.fetchall()
    if city:
        agent_cities, areas = places()
        cities = agent_cities.get(agent, [])
        rows = [r for r in rows if city_of(r[1], r[2], cities, areas)
            in {city, ...}]
    taken = overlaps & (line.vehicle == Null) & (line.product == product) \
        & (contract.agent == agent)
    if city:
        taken &= (contract.city == city) | (contract.city == Null)
    if exclude:
        taken &= ~IN(contract.id, list(exclude))
    cursor.execute(*line.join(contract, condition=line.contract == contract.id
            ).select(Count(line.id), where=taken))
    reserved, = cursor.fetchone()
    return [r[0] for r in rows], reserved
