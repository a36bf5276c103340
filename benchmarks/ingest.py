#!/usr/bin/env python3
"""Ingest benchmark: 1,000 simulated vehicles, each with its own gateway
account, publishing to a private Mosquitto (the shipped config) while
`marcier iot-listen` stores into PostgreSQL.

Prints, from one run on this machine:
- ceiling 1, MQTT: paho publish → paho receive, no database (msgs/s);
- ceiling 2, COPY: binary COPY of the same rows, no broker (rows/s);
- the pipeline: sustained messages/s from the broker to committed rows,
  unpaced, and the commit lag p50/p99 at 1 report per vehicle per second.

Usage: .venv/bin/python benchmarks/ingest.py [--pg postgresql://127.0.0.1:5432/]
Needs PostgreSQL and the mosquitto binary; takes about three minutes.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MARCIER = [sys.executable, '-m', 'marcier.cli']
VEHICLES = 1000
REPORTS = 20  # simulated reports per vehicle, replayed with fresh times


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# --- Set-up: database, vehicles, broker -------------------------------------

def register_vehicles(uri, folder, broker_uri):
    "1,000 vehicles spread over the demo agents; the broker's files"
    from marcier import settings
    from marcier.iot import platform
    database = platform.open_database(uri)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database.name, 0,
            _lock_tables=['iot_configuration']) as transaction:
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Agent = pool.get('marcier.agent')
        Configuration = pool.get('iot.configuration')
        Gateway = pool.get('iot.gateway')
        Configuration.write([Configuration(1)], {'broker': broker_uri})
        agents = Agent.search([])
        with transaction.set_context(company=agents[0].company.id):
            Vehicle.create([{
                        'serial': f'BENCH{n:04d}', 'gateway_id': f'gw-bench{n:04d}',
                        'company': agents[0].company.id,
                        'agent': agents[n % len(agents)].id,
                        } for n in range(VEHICLES)])
        Gateway.write_broker_files(folder)
        tenant = Configuration(1).tenant
        members = platform.members()
        transaction.commit()
    members = [m for m in members if m.gateway_id.startswith('gw-bench')]
    return database, tenant, members


def start_broker(folder, port):
    text = (ROOT / 'config' / 'mosquitto.conf').read_text()
    text = text.replace('listener 1883 127.0.0.1', f'listener {port} 127.0.0.1')
    text = text.replace('var/mosquitto/', f'{folder}/')
    text = text.replace('log_dest stdout', 'log_dest none')
    if os.geteuid() == 0:
        text += '\nuser root\n'
    (folder / 'mosquitto.conf').write_text(text)
    process = subprocess.Popen(['mosquitto', '-c', str(folder / 'mosquitto.conf')])
    time.sleep(1)
    return process


def simulated_reports(members, tenant):
    """Real reports: each simulated vehicle's CAN frames decoded by its
    gateway, REPORTS per vehicle; the time is patched in at publish"""
    import can

    from marcier.iot import dbc, telemetry, topics
    from marcier.iot.vehicle import SimulatedVehicle
    reports = []
    for member in members:
        channel = f'bench-{member.gateway_id}'
        bus = can.Bus(interface='virtual', channel=channel)
        gateway_bus = can.Bus(interface='virtual', channel=channel)
        vehicle = SimulatedVehicle(bus, member.home, member.radius,
            seed=member.gateway_id, soc=random.uniform(30, 95))
        topic = topics.topic(tenant, member.gateway_id, topics.TELEMETRY)
        for _ in range(REPORTS):
            for _ in range(5):
                vehicle.step(1.0)
            frames = {}
            while (frame := gateway_bus.recv(timeout=0)) is not None:
                name, signals = dbc.decode(frame)
                frames[name] = signals
            payload = telemetry.report(0, frames)
            reports.append((member, topic, payload.split(b',', 1)[1]))
        bus.shutdown()
        gateway_bus.shutdown()
    return reports


# --- The publisher, a process of its own -----------------------------------

def publish(args):
    """1,000 gateway sessions in one thread, publishing the reports in
    turn, paced at --rate msgs/s (0: as fast as possible) for --seconds"""
    import pickle

    from marcier.iot.mux import Mux
    from marcier.iot.transport import MqttLink, parse_broker
    with open(args.publish, 'rb') as file:
        members, reports = pickle.load(file)
    broker = parse_broker(args.broker)
    links = {m.gateway_id: MqttLink(broker.as_user(m.gateway_id, m.secret),
            f'bench-{m.gateway_id}', inflight=1000) for m in members}
    stop = threading.Event()
    state = {'sent': 0, 'next': 0, 'start': None}
    count = len(reports)

    def tick(now):
        if not all(link.connected for link in links.values()):
            return
        if state['start'] is None:
            state['start'] = now
            print('START', now, flush=True)
        elapsed = now - state['start']
        if elapsed >= args.seconds:
            stop.set()
            return
        due = (int(elapsed * args.rate) if args.rate
            else state['sent'] + 2000)
        while state['sent'] < due:
            member, topic, rest = reports[state['next']]
            state['next'] = (state['next'] + 1) % count
            links[member.gateway_id].publish(
                topic, b'{"ts":%.3f,' % time.time() + rest)
            state['sent'] += 1
    for link in links.values():
        link.on_connection = None
    Mux(list(links.values()), tick, period=0.01).run(stop)
    print('SENT', state['sent'], flush=True)


def run_publisher(reports_file, broker_uri, rate, seconds):
    output = subprocess.run([sys.executable, __file__, '--publish',
            reports_file, '--broker', broker_uri, '--rate', str(rate),
            '--seconds', str(seconds)], capture_output=True, text=True,
        timeout=seconds + 120, cwd=ROOT)
    lines = dict(line.split(' ', 1) for line in output.stdout.splitlines()
        if ' ' in line)
    if 'SENT' not in lines:
        raise RuntimeError(output.stderr[-2000:])
    return float(lines['START']), int(lines['SENT'])


# --- Measurements -----------------------------------------------------------

def mqtt_ceiling(broker, tenant, reports_file, broker_uri, seconds):
    "Counting subscriber, no database"
    from paho.mqtt import client as mqtt
    times = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
        client_id=f'bench-counter-{uuid.uuid4().hex[:6]}')
    client.username_pw_set(broker.username, broker.password)
    client.on_message = lambda c, u, m: times.append(time.time())
    client.on_connect = lambda c, u, f, r, p: c.subscribe(
        f'marcier/{tenant}/+/telemetry', qos=1)
    client.connect(broker.host, broker.port)
    client.loop_start()
    time.sleep(1)
    _, sent = run_publisher(reports_file, broker_uri, 0, seconds)
    while True:
        count = len(times)
        time.sleep(2)
        if len(times) == count:
            break
    client.disconnect()
    client.loop_stop()
    return steady_rate(times), sent, len(times)


def steady_rate(times):
    "Rate between 10 % and 90 % of the events, excluding ramp-up and tail"
    times = sorted(times)
    low, high = times[len(times) // 10], times[len(times) * 9 // 10]
    return (len(times) * 8 // 10) / max(high - low, 1e-9)


def copy_ceiling(database, reports):
    "Binary COPY of the same rows into a table like iot_telemetry"
    import psycopg

    from marcier_iot import ingest
    from marcier_iot.telemetry import COPY_TYPES, STORED
    from marcier.iot import telemetry
    rows = []
    now = time.time()
    for n, (member, topic, rest) in enumerate(reports):
        epoch, values = telemetry.parse(
            b'{"ts":%.3f,' % (now - n * 0.001) + rest, now)
        time_ = ingest.utc(epoch)
        rows.append((n % VEHICLES + 1, 1, 1, time_, time_, 0, time_,
                *values.values()))
    columns = ', '.join(STORED)
    with psycopg.connect(database.uri + database.name) as conn:
        conn.execute('CREATE TEMPORARY TABLE scratch '
            '(LIKE iot_telemetry INCLUDING ALL)')
        start = time.perf_counter()
        with conn.cursor().copy(f'COPY scratch ({columns}) '
                'FROM STDIN (FORMAT BINARY)') as copy:
            copy.set_types(COPY_TYPES)
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return len(rows) / (time.perf_counter() - start)


def pipeline(database, uri, reports_file, broker_uri, rate, seconds, log):
    "The listener stores while the vehicles publish"
    import psycopg
    listener = subprocess.Popen([*MARCIER, 'iot-listen', '--db', uri,
            '--name', 'bench', '--json', '--stats-every', '1'],
        stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
    stats = []
    threading.Thread(target=lambda: stats.extend(
            json.loads(line) for line in listener.stdout
            if line.startswith('{')), daemon=True).start()
    time.sleep(8)  # the listener loads the pool and subscribes
    conn = psycopg.connect(database.uri + database.name, autocommit=True)
    before = conn.execute('SELECT count(*) FROM iot_telemetry').fetchone()[0]
    counts = []
    done = threading.Event()

    def poll():
        while not done.is_set():
            counts.append((time.time(), conn.execute(
                        'SELECT count(*) FROM iot_telemetry').fetchone()[0]
                    - before))
            time.sleep(0.25)
    poller = threading.Thread(target=poll)
    poller.start()
    start, sent = run_publisher(reports_file, broker_uri, rate, seconds)
    deadline = time.time() + 120
    while time.time() < deadline and (not counts or counts[-1][1] < sent):
        time.sleep(0.5)
    done.set()
    poller.join()
    listener.terminate()
    listener.wait(timeout=30)
    time.sleep(0.5)
    stored = counts[-1][1]
    # Sustained: committed rows between 10 % and 90 % of the total
    low = next(t for t, c in counts if c >= stored * 0.1)
    high = next(t for t, c in counts if c >= stored * 0.9)
    final = stats[-1] if stats else {}
    return {
        'sent': sent, 'stored': stored,
        'rate': stored * 0.8 / max(high - low, 1e-9),
        'p50': final.get('lag_p50_ms'), 'p99': final.get('lag_p99_ms'),
        'duplicates': final.get('duplicates', 0),
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pg', default='postgresql://127.0.0.1:5432/')
    parser.add_argument('--seconds', type=float, default=20)
    parser.add_argument('--publish')
    parser.add_argument('--broker')
    parser.add_argument('--rate', type=float, default=0)
    args = parser.parse_args()
    if args.publish:
        return publish(args)

    import pickle

    from marcier.iot.transport import parse_broker
    uri = args.pg.rstrip('/') + f'/marcier_bench_{uuid.uuid4().hex[:8]}'
    folder = Path(tempfile.mkdtemp(prefix='marcier-bench-'))
    port = free_port()
    broker_uri = f'mqtt://platform:bench-{uuid.uuid4().hex[:8]}@127.0.0.1:{port}'
    broker = parse_broker(broker_uri)
    log = open(folder / 'listener.log', 'w')
    mosquitto = None
    try:
        print(f"Setting up {uri} with the demo data...", flush=True)
        subprocess.run([*MARCIER, 'setup', '--db', uri, '--demo'], check=True,
            cwd=ROOT, stdout=subprocess.DEVNULL)
        database, tenant, members = register_vehicles(uri, folder, broker_uri)
        mosquitto = start_broker(folder, port)
        reports = simulated_reports(members, tenant)
        reports_file = str(folder / 'reports.pickle')
        with open(reports_file, 'wb') as file:
            pickle.dump((members, reports), file)
        print(f"{len(members)} vehicles, {len(reports)} simulated reports "
            f"of ~{sum(len(r[2]) for r in reports) // len(reports) + 20} B",
            flush=True)

        mqtt_rate, sent, received = mqtt_ceiling(
            broker, tenant, reports_file, broker_uri, args.seconds)
        copy_rate = copy_ceiling(database, reports)
        paced = pipeline(database, uri, reports_file, broker_uri, VEHICLES,
            args.seconds, log)
        unpaced = pipeline(database, uri, reports_file, broker_uri, 0,
            args.seconds, log)
        lower = min(mqtt_rate, copy_rate)
        print()
        print(f"{'figure':<58} {'value':>12}")
        print(f"{'ceiling 1: paho publish → receive, QoS 1, no DB (msgs/s)':<58} "
            f"{mqtt_rate:>12,.0f}   ({received:,} of {sent:,} received)")
        print(f"{'ceiling 2: binary COPY of the same rows, no broker (rows/s)':<58} "
            f"{copy_rate:>12,.0f}")
        print(f"{'pipeline, unpaced: broker → committed rows (msgs/s)':<58} "
            f"{unpaced['rate']:>12,.0f}   ({unpaced['stored']:,} of "
            f"{unpaced['sent']:,} stored, "
            f"{100 * unpaced['rate'] / lower:.0f} % of the lower ceiling)")
        print(f"{'pipeline at 1 report/s per vehicle: commit lag p50 / p99 (ms)':<58} "
            f"{paced['p50']!s:>6} / {paced['p99']!s}   ({paced['stored']:,} of "
            f"{paced['sent']:,} stored)")
        print(f"{'pipeline, unpaced: commit lag p50 / p99 (ms)':<58} "
            f"{unpaced['p50']!s:>6} / {unpaced['p99']!s}")
    finally:
        if mosquitto:
            mosquitto.terminate()
            mosquitto.wait(timeout=10)
        log.close()
        name = uri.rsplit('/', 1)[1]
        subprocess.run(['psql', args.pg.rstrip('/') + '/postgres', '-qc',
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            capture_output=True)


if __name__ == '__main__':
    sys.exit(main())
