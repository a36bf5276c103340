#!/usr/bin/env python3
"""Ingest benchmark: 1,000 simulated vehicles, each with its own gateway
account, publishing over MQTT to a private Mosquitto (the shipped config),
then to a private 3-node NATS cluster (JetStream, its MQTT gateway, the
stream replicated on every node), while `marcier iot-listen` stores into
PostgreSQL: from the broker's shared subscription, then from the stream.

Prints, from one run on this machine, for each transport:
- ceiling 1, the transport: gateways publish → a counting consumer (paho
  subscriber; nats-py pull consumer), acknowledging, no database (msgs/s);
- ceiling 2, COPY: binary COPY of the same rows, no broker (rows/s);
- the pipeline, 1 and 2 listeners: messages/s from the broker to committed
  rows, unpaced, from the listeners' own commit times (first to last
  commit, over at least 20 s of work), next to its ceiling (n listeners:
  n consumers); a figure above it is flagged as a measurement error;
- the commit lag p50/p99 at 1 report per vehicle per second.

Usage: .venv/bin/python benchmarks/ingest.py [--pg postgresql://127.0.0.1:5432/]
    [--messages 400000] [--transport mqtt,jetstream]
Needs PostgreSQL, the mosquitto binary and nats-server; takes about ten
minutes with both transports.
"""
import argparse
import json
import os
import random
import shutil
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
    from marcier.iot.cli import open_database
    from marcier_iot import platform
    database = open_database(uri)
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
    process = subprocess.Popen(
        ['mosquitto', '-c', str(folder / 'mosquitto.conf')])
    time.sleep(1)
    return process


def start_nats_cluster(folder, nodes=3):
    """nats-server nodes clustered on loopback, JetStream and MQTT on each;
    (processes, client URLs, MQTT ports) once JetStream is up everywhere"""
    import urllib.request
    names = [f'n{n}' for n in range(1, nodes + 1)]
    routes = {name: free_port() for name in names}
    processes, servers, mqtt_ports, monitors = [], [], [], []
    for name in names:
        port, mqtt_port, http = free_port(), free_port(), free_port()
        config = folder / f'{name}.conf'
        config.write_text(f"""server_name: {name}
listen: 127.0.0.1:{port}
http: 127.0.0.1:{http}
jetstream {{ store_dir: "{folder / name}" }}
cluster {{ name: bench, listen: 127.0.0.1:{routes[name]},
  routes: [{', '.join(f'nats://127.0.0.1:{p}' for p in routes.values())}] }}
mqtt {{ listen: 127.0.0.1:{mqtt_port} }}
""")
        processes.append(subprocess.Popen(['nats-server', '-c', str(config),
                    '-l', str(folder / f'{name}.log')]))
        servers.append(f'127.0.0.1:{port}')
        mqtt_ports.append(mqtt_port)
        monitors.append(f'http://127.0.0.1:{http}/healthz')
    deadline = time.time() + 60
    for monitor in monitors:
        while True:
            try:
                with urllib.request.urlopen(monitor, timeout=5) as reply:
                    if json.load(reply).get('status') == 'ok':
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("the NATS cluster did not come up")
            time.sleep(0.5)
    return processes, servers, mqtt_ports


def simulated_reports(members, tenant):
    """Real reports: each simulated vehicle's CAN frames decoded by its
    gateway, REPORTS per vehicle; the time is patched in at publish"""
    import can

    from marcier_gateway.vehicle import SimulatedVehicle
    from marcier_wire import payload as telemetry
    from marcier_wire import profile, topics
    decoder = profile.builtin().decoder()
    per_vehicle = []
    for member in members:
        channel = f'bench-{member.gateway_id}'
        bus = can.Bus(interface='virtual', channel=channel)
        gateway_bus = can.Bus(interface='virtual', channel=channel)
        vehicle = SimulatedVehicle(bus, member.home, member.radius,
            seed=member.gateway_id, soc=random.uniform(30, 95))
        topic = topics.topic(tenant, member.gateway_id, topics.TELEMETRY)
        reports = []
        for _ in range(REPORTS):
            for _ in range(5):
                vehicle.step(1.0)
            values, extra = {}, {}
            while (frame := gateway_bus.recv(timeout=0)) is not None:
                decoded = decoder.decode_frame(frame)
                values.update(decoded.values)
                extra.update(decoded.extra)
            payload = telemetry.report(0, values, extra)
            reports.append((member, topic, payload.split(b',', 1)[1]))
        bus.shutdown()
        gateway_bus.shutdown()
        per_vehicle.append(reports)
    # Interleaved, as a fleet reports: every vehicle once, then again
    return [r for round_ in zip(*per_vehicle) for r in round_]


# --- The publisher, a process of its own -----------------------------------

def publish(args):
    """1,000 gateway sessions in one thread, publishing the reports in
    turn, paced at --rate msgs/s (0: as fast as possible) for --seconds"""
    import pickle

    from marcier_gateway.main import raise_file_limit
    from marcier_gateway.mux import Mux
    from marcier_wire.transport import MqttLink, parse_broker
    with open(args.publish, 'rb') as file:
        members, reports = pickle.load(file)
    raise_file_limit(len(members) + 100)
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
        if elapsed >= args.seconds or (
                args.count and state['sent'] >= args.count):
            if all(not link.client._out_messages for link in links.values()):
                stop.set()  # the broker has taken every message
            return
        due = (int(elapsed * args.rate) if args.rate
            else state['sent'] + 500)
        if args.count:
            due = min(due, args.count)
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


def run_publisher(reports_file, broker_uri, rate, seconds=600, count=0):
    output = subprocess.run([sys.executable, __file__, '--publish',
            reports_file, '--broker', broker_uri, '--rate', str(rate),
            '--seconds', str(seconds), '--count', str(count)],
        capture_output=True, text=True, timeout=seconds + 120, cwd=ROOT)
    lines = dict(line.split(' ', 1) for line in output.stdout.splitlines()
        if ' ' in line)
    if 'SENT' not in lines:
        raise RuntimeError(output.stderr[-2000:])
    return float(lines['START']), int(lines['SENT'])


# --- Measurements -----------------------------------------------------------

def mqtt_ceiling(broker, tenant, reports_file, broker_uri, count):
    """A counting paho subscriber (QoS 1, persistent session, the
    listener's shared subscription), no database: the vehicles publish
    count messages while it is away, then it drains its queue"""
    from paho.mqtt import client as mqtt

    from marcier_wire import topics
    times = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
        client_id=f'bench-counter-{uuid.uuid4().hex[:6]}',
        clean_session=False)
    client.username_pw_set(broker.username, broker.password)
    client.on_message = lambda c, u, m: times.append(time.time())
    client.connect(broker.host, broker.port)
    client.subscribe(topics.shared(tenant, topics.TELEMETRY), qos=1)
    client.loop(1)
    client.loop(1)
    client.disconnect()
    run_publisher(reports_file, broker_uri, 0, count=count)
    client.reconnect()
    client.loop_start()
    while True:
        before = len(times)
        time.sleep(2)
        if len(times) == before:
            break
    client.disconnect()
    client.loop_stop()
    # End its session: a member of the share group, even away, would be
    # handed its share of the listener's messages
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
        client_id=client._client_id.decode(), clean_session=True)
    client.username_pw_set(broker.username, broker.password)
    client.connect(broker.host, broker.port)
    client.loop(1)
    client.disconnect()
    return steady_rate(times), len(times)


def jetstream_ceiling(stream_uri, tenant, reports_file, broker_uri, count):
    """A counting nats-py consumer of the listeners' durable consumer,
    fetching and acknowledging as the JetStream link does, no database:
    the vehicles publish count messages into the stream, then it drains
    them (the stream exists: a listener has run)"""
    import asyncio

    import nats

    from marcier_wire import topics
    from marcier_wire.jetstream import parse_cluster, stream_name
    run_publisher(reports_file, broker_uri, 0, count=count)
    cluster = parse_cluster(stream_uri)
    times = []

    async def drain():
        nc = await nats.connect(cluster.urls())
        subscription = await nc.jetstream().pull_subscribe_bind(
            durable=topics.SHARE_GROUP, stream=stream_name(tenant))
        while True:
            try:
                messages = await subscription.fetch(10000, timeout=2)
            except nats.errors.TimeoutError:
                break
            for message in messages:
                times.append(time.time())
                await nc.publish(message.reply)
        await nc.close()
    asyncio.run(drain())
    return steady_rate(times), len(times)


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
    from marcier_wire import payload as telemetry
    rows = []
    now = time.time()
    for n, (member, topic, rest) in enumerate(reports):
        epoch, values, extra = telemetry.parse(
            b'{"ts":%.3f,' % (now - n * 0.001) + rest, now)
        time_ = ingest.utc(epoch)
        rows.append((n % VEHICLES + 1, 1, 1, time_, time_, 0, time_,
                *values.values(), extra))
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


class Listener:
    "`marcier iot-listen` in a process of its own, with its JSON stats"

    def __init__(self, uri, log, name='bench', stream=None):
        self.process = subprocess.Popen([*MARCIER, 'iot-listen', '--db', uri,
                '--name', name, '--json', '--stats-every', '1',
                *(['--stream', stream] if stream else [])],
            stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
        self.stats = []
        threading.Thread(target=self._read, daemon=True).start()
        while not self.stats:  # its first line: loaded and subscribed
            if self.process.poll() is not None:
                raise RuntimeError("the listener stopped")
            time.sleep(0.2)

    def _read(self):
        for line in self.process.stdout:
            if line.startswith('{'):
                self.stats.append(json.loads(line))

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        time.sleep(1.5)
        return self.stats[-1]

    @staticmethod
    def retire(uri, name, stream=None):
        "End the session: else it keeps its share of the next messages"
        if stream:  # JetStream listeners share one consumer: no session
            return
        subprocess.run([*MARCIER, 'iot-listen', '--db', uri, '--name', name,
                '--retire'], check=True, cwd=ROOT, capture_output=True)


def count_rows(database):
    import psycopg
    with psycopg.connect(database.uri + database.name) as conn:
        return conn.execute('SELECT count(*) FROM iot_telemetry').fetchone()[0]


def wait_for_rows(database, until, timeout=600):
    "Wait until the table holds `until` rows (bounded)"
    deadline = time.time() + timeout
    while time.time() < deadline and count_rows(database) < until:
        time.sleep(1)
    return count_rows(database)


def pipeline_lag(uri, reports_file, broker_uri, seconds, log, stream=None):
    "Live: 1 report per vehicle per second; the listener's commit lag"
    listener = Listener(uri, log, 'bench-live', stream)
    run_publisher(reports_file, broker_uri, VEHICLES, seconds=seconds)
    time.sleep(3)
    stats = listener.stop()
    Listener.retire(uri, 'bench-live', stream)
    return stats


def pipeline_throughput(database, uri, reports_file, broker_uri, count, log,
        listeners=1, stream=None):
    """The vehicles publish count messages while the listeners are away
    (their sessions, or the stream, keep them); then they drain: broker →
    committed rows.  Several listeners share the load through the shared
    subscription or the durable consumer.

    The rate comes from the listeners' own commit times: the messages
    committed after the first commit, over first to last commit (polling
    the table counted batches of 5,000 rows as if they came at once)."""
    names = [f'bench-{listeners}-{n}' for n in range(listeners)]
    for name in names:  # their sessions (the stream) exist and subscribe
        Listener(uri, log, name, stream).stop()
    run_publisher(reports_file, broker_uri, 0, count=count)
    time.sleep(1)
    base = count_rows(database)
    running = [Listener(uri, log, name, stream) for name in names]
    stored = wait_for_rows(database, base + count) - base
    time.sleep(2)  # the last commits' stats lines
    stats = [listener.stop() for listener in running]
    for name in names:
        Listener.retire(uri, name, stream)
    worked = [s for s in stats if 'first_commit' in s]
    first = min(worked, key=lambda s: s['first_commit'])
    last = max(s['last_commit'] for s in worked)
    committed = sum(s.get('received', 0) for s in worked)
    seconds = last - first['first_commit']
    return {'stored': stored, 'seconds': seconds,
        'rate': (committed - first['first_batch']) / max(seconds, 1e-9),
        'duplicates': sum(s.get('duplicates', 0) for s in stats)}


def measure(database, uri, tenant, reports_file, broker_uri, args, log,
        broker=None, stream=None):
    """Ceiling 1, the commit lag and the drains of 1 and 2 listeners, of
    the broker's shared subscription or (stream) of JetStream"""
    if stream:
        Listener(uri, log, 'bench-setup', stream).stop()  # the stream exists
        ceiling = jetstream_ceiling(
            stream, tenant, reports_file, broker_uri, args.messages)
    else:
        ceiling = mqtt_ceiling(
            broker, tenant, reports_file, broker_uri, args.messages)
    lag = pipeline_lag(uri, reports_file, broker_uri, args.seconds, log,
        stream)
    drains = [pipeline_throughput(database, uri, reports_file, broker_uri,
            args.messages, log, listeners=n, stream=stream) for n in (1, 2)]
    return ceiling, lag, drains


def print_figures(transport, consumer, measured, copy_rate, messages):
    (rate, received), lag, drains = measured
    print()
    print(f"{transport:<62} {'value':>10}")
    print(f"{f'ceiling 1: {consumer}, no database (msgs/s)':<62} "
        f"{rate:>10,.0f}   ({received:,} of {messages:,} received)")
    print(f"{'ceiling 2: binary COPY of the same rows, no broker (rows/s)':<62}"
        f" {copy_rate:>10,.0f}")
    for listeners, drain in enumerate(drains, 1):
        label = (f"pipeline, {listeners} listener{'s' * (listeners > 1)}: "
            "broker → committed rows (msgs/s)")
        # Each listener is one consumer: n of them may reach n times the
        # transport's ceiling, never the COPY one
        ceiling = min(rate * listeners, copy_rate)
        print(f"{label:<62} {drain['rate']:>10,.0f}   ({drain['stored']:,}"
            f" of {messages:,} stored in {drain['seconds']:.1f} s "
            f"first to last commit, {drain['duplicates']} duplicates; "
            f"{100 * drain['rate'] / ceiling:.0f} % of its ceiling "
            f"{ceiling:,.0f})")
        if drain['seconds'] < 20:
            print("    under 20 s of work: raise --messages for a "
                "steady figure")
        if drain['rate'] > ceiling:
            print("    ABOVE ITS CEILING: a measurement error, not a "
                "result (the ceilings were measured in this run)")
    print(f"{'pipeline at 1 report/s per vehicle: commit lag p50 / p99 (ms)':<62}"
        f" {lag.get('lag_p50_ms')!s:>10} / {lag.get('lag_p99_ms')}   "
        f"({lag.get('stored', 0):,} stored)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pg', default='postgresql://127.0.0.1:5432/')
    parser.add_argument('--seconds', type=float, default=20)
    parser.add_argument('--publish')
    parser.add_argument('--broker')
    parser.add_argument('--rate', type=float, default=0)
    parser.add_argument('--count', type=int, default=0)
    parser.add_argument('--messages', type=int, default=400000,
        help="messages of the throughput runs (at least 20 s of work)")
    parser.add_argument('--transport', default='mqtt,jetstream',
        help="the transports to measure, comma-separated")
    args = parser.parse_args()
    if args.publish:
        return publish(args)

    import pickle

    from marcier_wire.transport import parse_broker
    transports = args.transport.split(',')
    uri = args.pg.rstrip('/') + f'/marcier_bench_{uuid.uuid4().hex[:8]}'
    folder = Path(tempfile.mkdtemp(prefix='marcier-bench-'))
    port = free_port()
    password = f'bench-{uuid.uuid4().hex[:8]}'
    broker_uri = f'mqtt://platform:{password}@127.0.0.1:{port}'
    broker = parse_broker(broker_uri)
    log = open(folder / 'listener.log', 'w')
    servers = []
    try:
        print(f"Setting up {uri} with the demo data...", flush=True)
        subprocess.run([*MARCIER, 'setup', '--db', uri, '--demo'], check=True,
            cwd=ROOT, stdout=subprocess.DEVNULL)
        database, tenant, members = register_vehicles(uri, folder, broker_uri)
        reports = simulated_reports(members, tenant)
        reports_file = str(folder / 'reports.pickle')
        with open(reports_file, 'wb') as file:
            pickle.dump((members, reports), file)
        print(f"{len(members)} vehicles, {len(reports)} simulated reports "
            f"of ~{sum(len(r[2]) for r in reports) // len(reports) + 20} B",
            flush=True)
        copy_rate = copy_ceiling(database, reports)
        figures = []
        if 'mqtt' in transports:
            servers.append(start_broker(folder, port))
            figures.append(("Mosquitto, shared subscription",
                    "paho subscriber, QoS 1",
                    measure(database, uri, tenant, reports_file, broker_uri,
                        args, log, broker=broker)))
            mosquitto = servers.pop()
            mosquitto.terminate()
            mosquitto.wait(timeout=10)
        if 'jetstream' in transports:
            nodes, nats_servers, mqtt_ports = start_nats_cluster(folder)
            servers.extend(nodes)
            # The gateways on one node's MQTT port; no accounts on the
            # cluster (the listeners' figures do not depend on them)
            nats_uri = f'mqtt://platform:{password}@127.0.0.1:{mqtt_ports[0]}'
            stream = f"nats://{','.join(nats_servers)}?replicas=3"
            figures.append(("NATS cluster of 3, JetStream stream ×3",
                    "nats-py pull consumer, acks",
                    measure(database, uri, tenant, reports_file, nats_uri,
                        args, log, stream=stream)))
        for transport, consumer, measured in figures:
            print_figures(transport, consumer, measured, copy_rate,
                args.messages)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
        name = uri.rsplit('/', 1)[1]
        subprocess.run(['psql', args.pg.rstrip('/') + '/postgres', '-qc',
                f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            capture_output=True)


if __name__ == '__main__':
    sys.exit(main())
