#!/usr/bin/env python3
"""Telemetry at fleet scale (issue 15), on PostgreSQL.

Ingest section: ingest.process in this process on batches of 5,000
reports from 1,000 vehicles (5 reports each, 5 s apart, the simulator's
physics: marcier_gateway.vehicle), committed one transaction per batch as
the listener does, with the derivations (cleaning, rollups, trips) and
without them.  Two fleets of 1,000 vehicles, one per mode, their batches
alternating so that both modes meet the same table sizes; each fleet's
series runs on in time from batch to batch.  Prints messages/s of each
mode from the time spent in ingest.process + commit, and their ratio
(target: derivations keep ≥ 90 %).

Usage: .venv/bin/python benchmarks/telemetry.py [--pg postgresql://127.0.0.1:5432/]
    [--batches 20] [--profile]
"""
import argparse
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MARCIER = [sys.executable, '-m', 'marcier.cli']
VEHICLES = 1000  # per fleet
PER_BATCH = 5  # reports per vehicle per batch: 5,000 reports
INTERVAL = 5.0  # seconds between two reports of a vehicle
HOME, RADIUS = (31.2304, 121.4737), 30.0  # the agents' service area


def set_up(uri):
    "A database with two agents in Shanghai and two fleets of VEHICLES"
    subprocess.run([*MARCIER, 'setup', '--db', uri], check=True, cwd=ROOT,
        stdout=subprocess.DEVNULL)
    from marcier.iot.cli import open_database
    database = open_database(uri)
    from trytond.modules.company.tests import create_company
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from marcier_base.tests.test_module import create_agent
    with Transaction().start(database.name, 0) as transaction:
        pool = Pool()
        City = pool.get('marcier.city')
        Vehicle = pool.get('device.vehicle')
        Configuration = pool.get('iot.configuration')
        company = create_company()
        city, = City.create([{'name': "Shanghai", 'latitude': HOME[0],
                    'longitude': HOME[1], 'radius': RADIUS}])
        agents = [create_agent(company, code) for code in 'AB']
        for agent in agents:
            agent.city = city
            agent.save()
        with transaction.set_context(company=company.id):
            Vehicle.create([{
                        'serial': f'TEL{n:05d}', 'gateway_id': f'gw-tel{n:05d}',
                        'company': company.id,
                        'agent': agents[n % len(agents)].id,
                        } for n in range(2 * VEHICLES)])
        tenant = Configuration(1).tenant
        transaction.commit()
    fleet = [(f'gw-tel{n:05d}', HOME, RADIUS) for n in range(2 * VEHICLES)]
    return database, tenant, fleet[:VEHICLES], fleet[VEHICLES:]


class Physics:
    "A simulated vehicle's physics and its reports"

    def __init__(self, gateway, home, radius):
        from marcier_gateway.vehicle import SimulatedPhysics
        self.gateway = gateway
        self.vehicle = SimulatedPhysics(home, radius, seed=gateway,
            soc=random.Random(gateway).uniform(30, 95))

    def report(self, ts):
        from marcier_wire import payload
        for _ in range(int(INTERVAL)):
            self.vehicle.step(1.0)
        return payload.report(ts, self.vehicle.quantities(), {})


def batches(tenant, fleet, count, start):
    "count batches of PER_BATCH reports per vehicle, in time order"
    from marcier_iot.ingest import Message
    from marcier_wire import topics
    vehicles = [Physics(*member) for member in fleet]
    result = []
    for n in range(count):
        messages = []
        for step in range(PER_BATCH):
            ts = start + (n * PER_BATCH + step) * INTERVAL
            for physics in vehicles:
                messages.append(Message(topics.topic(tenant, physics.gateway,
                            topics.TELEMETRY), physics.report(ts), 0))
        result.append(messages)
    return result


def commit_batch(database, tenant, messages, derive):
    "Seconds spent in ingest.process and the commit, the outcome"
    from trytond.transaction import Transaction

    from marcier_iot import ingest
    from marcier_iot.listener import read_committed
    now = time.time()
    for message in messages:
        message.received = now
    begin = time.perf_counter()
    with Transaction().start(database.name, 0) as transaction:
        read_committed(transaction)
        outcome = ingest.process(tenant, messages, now, derive=derive)
        transaction.commit()
    return time.perf_counter() - begin, outcome


def ingest_section(database, tenant, fleets, count, profile=False):
    """messages/s without and with the derivations; the first batch of each
    mode warms up (caches, the tracks' first rows) and is not counted"""
    start = time.time() - 86400
    work = {derive: batches(tenant, fleet, count + 1, start)
        for derive, fleet in zip((False, True), fleets)}
    seconds = {False: 0.0, True: 0.0}
    stored = {False: 0, True: 0}
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
    for n in range(count + 1):
        for derive in (False, True):
            if profiler and derive and n:
                profiler.enable()
            spent, outcome = commit_batch(database, tenant, work[derive][n],
                derive)
            if profiler:
                profiler.disable()
            if outcome.stored != len(work[derive][n]):
                raise RuntimeError(f"batch {n}: {outcome}")
            if n:
                seconds[derive] += spent
                stored[derive] += outcome.stored
    rates = {d: stored[d] / seconds[d] for d in seconds}
    print(f"{'ingest, 5,000 reports of 1,000 vehicles a batch':<58}"
        f"{'msgs/s':>10}")
    print(f"{'  without derivations':<58}{rates[False]:>10,.0f}")
    print(f"{'  with cleaning, rollups and trips':<58}{rates[True]:>10,.0f}")
    print(f"{'  kept':<58}{100 * rates[True] / rates[False]:>9.1f} %"
        "   (target ≥ 90 %)")
    if profiler:
        import pstats
        pstats.Stats(profiler).sort_stats('cumulative').print_stats(30)
    return rates


def derived_figures(database):
    "What the derivations made, to see they worked"
    from trytond.transaction import Transaction
    with Transaction().start(database.name, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute('SELECT COUNT(*), SUM(distance), SUM(samples), '
            'SUM(flagged) FROM iot_rollup_hour')
        hours, distance, samples, flagged = cursor.fetchone()
        cursor.execute("SELECT COUNT(*), COUNT(*) FILTER (WHERE "
            "state = 'closed') FROM iot_trip")
        trips, closed = cursor.fetchone()
    print(f"  derived: {hours:,} vehicle hours, {samples:,} reports "
        f"({flagged:,} flagged), {distance or 0:,.1f} km, {trips:,} trips "
        f"({closed:,} ended)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pg', default='postgresql://127.0.0.1:5432/')
    parser.add_argument('--batches', type=int, default=20,
        help="measured batches per mode")
    parser.add_argument('--profile', action='store_true',
        help="profile the batches with derivations")
    args = parser.parse_args()
    uri = args.pg.rstrip('/') + f'/marcier_bench_{uuid.uuid4().hex[:8]}'
    print(f"Setting up {uri}...", flush=True)
    database, tenant, *fleets = set_up(uri)
    try:
        ingest_section(database, tenant, fleets, args.batches, args.profile)
        derived_figures(database)
    finally:
        name = uri.rsplit('/', 1)[1]
        subprocess.run(['psql', args.pg.rstrip('/') + '/postgres', '-qc',
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            capture_output=True)


if __name__ == '__main__':
    main()
