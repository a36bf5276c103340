#!/usr/bin/env python3
"""Fleet map benchmark (issue 15): open maps polling a fleet of 10,000
vehicles through a real server (`marcier serve`, gunicorn) on PostgreSQL.

The demo is set up (or --db reused) and topped up with COPY to --vehicles
vehicles around the agents' cities; while the clients poll, a "listener"
thread moves the vehicles that are driving (--moving of them, every 5 s, in
SQL as the listener does), so the incremental polls have changes to send.

Each client is one open map, logged in as the operator or an agent's staff
(record rules apply), polling every --interval seconds what the page asks
(device.vehicle.fleet_map): a third of them look at the whole country
(clusters), a third at a city (clusters or vehicles), a third at a few
streets (vehicles, then only the changes); every sixth poll also reads a
page of the sidebar (fleet_map_list).  Printed: p50/p95 per refresh and the
bytes of the answers, next to the old page's call (every vehicle through
search_read with dotted fields), measured in the same run: one map alone,
then as many maps as the new one.  The target: < 300 ms per refresh at
10,000 vehicles with 20 maps open.

Usage: .venv/bin/python benchmarks/fleet_map.py
    [--pg postgresql://127.0.0.1:5432/] [--db URI] [--keep] [--vehicles 10000] [--clients 20] [--seconds 60]
    [--interval 5] [--workers 2] [--threads 4] [--baseline-seconds 60]
"""
import argparse
import datetime as dt
import http.client
import json
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from base64 import b64encode
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import MARCIER, free_port, wait_for  # noqa: E402

PASSWORD = 'Marcier-Demo-2026'
LOGINS = ['operator', 'agent_a', 'agent_b', 'agent_c']
STATUSES = ['available'] * 4 + ['rented'] * 5 + ['in_repair', 'retired']
# The old page's call (fleet_map.js before issue 15)
OLD_FIELDS = ['serial', 'product.rec_name', 'status', 'agent.rec_name',
    'customer.rec_name', 'latitude', 'longitude', 'soc', 'key_on',
    'last_seen', 'alarm_count', 'working_hours', 'odometer']
COUNTRY = ([15, 70, 55, 140], 5)


def bulk_load(uri, count, rng):
    """COPY vehicles up to count around the agents' cities; the cities'
    (latitude, longitude) for the clients' views"""
    import psycopg
    now = dt.datetime.utcnow()
    with psycopg.connect(uri) as conn, conn.cursor() as cursor:
        cursor.execute('SELECT a.id, a.company, c.latitude, c.longitude '
            'FROM marcier_agent a JOIN marcier_city c ON c.id = a.city')
        agents = cursor.fetchall()
        cursor.execute('SELECT id FROM product_template WHERE id IN '
            '(SELECT product FROM device_vehicle)')
        products = [p for p, in cursor]
        cursor.execute('SELECT COUNT(*), COALESCE(MAX(id), 0) '
            'FROM device_vehicle')
        existing, last_id = cursor.fetchone()
        columns = ['id', 'serial', 'company', 'agent', 'product', 'status',
            'active', 'latitude', 'longitude', 'key_on', 'soc',
            'last_seen', 'live_changed', 'alarm_count', 'odometer',
            'working_hours', 'create_uid', 'create_date']
        with cursor.copy('COPY device_vehicle ({}) FROM STDIN'.format(
                    ', '.join(columns))) as copy:
            for n in range(max(count - existing, 0)):
                agent, company, lat, lon = agents[n % len(agents)]
                copy.write_row((last_id + n + 1, f'BENCH{n:06}', company,
                        agent, rng.choice(products), rng.choice(STATUSES),
                        True, lat + rng.uniform(-0.3, 0.3),
                        lon + rng.uniform(-0.3, 0.3), rng.random() < 0.4,
                        rng.uniform(10, 100), now, now,
                        1 if rng.random() < 0.03 else 0,
                        rng.uniform(0, 9000), rng.uniform(0, 3000), 0, now))
        cursor.execute("SELECT setval(pg_get_serial_sequence("
            "'device_vehicle', 'id'), (SELECT MAX(id) FROM device_vehicle))")
        cursor.execute('ANALYZE device_vehicle')
        return [(lat, lon) for _, _, lat, lon in agents]


def listener(uri, share, stop, moved):
    """Every 5 s, move the driving vehicles (share of them) a little, as
    the listener's bulk update does: position, last seen, live_changed"""
    import psycopg
    with psycopg.connect(uri, autocommit=True) as conn:
        while not stop.wait(5):
            start = time.perf_counter()
            with conn.cursor() as cursor:
                cursor.execute('UPDATE device_vehicle SET '
                    'latitude = latitude + (random() - 0.5) * 0.002, '
                    'longitude = longitude + (random() - 0.5) * 0.002, '
                    'last_seen = NOW() AT TIME ZONE \'UTC\', '
                    'live_changed = CURRENT_TIMESTAMP '
                    'WHERE key_on AND random() < %s', (share / 0.4,))
                moved.append((cursor.rowcount, time.perf_counter() - start))


class Map:
    "One open map: a session on its own keep-alive connection"

    def __init__(self, port, database, login):
        self.connection = http.client.HTTPConnection(
            '127.0.0.1', port, timeout=600)
        self.path = f'/{database}/rpc/'
        self.authorization = None
        self.context = {}
        uid, session, *_ = self.call('common.db.login',
            [login, {'password': PASSWORD}, 'en'])[0]
        self.authorization = 'Session ' + b64encode(
            f'{login}:{uid}:{session}'.encode()).decode()
        self.context = self.call('model.res.user.get_preferences',
            [True, {}])[0]

    def call(self, method, params):
        "(result, seconds, bytes) of method"
        headers = {'Content-Type': 'application/json'}
        if self.authorization:
            headers['Authorization'] = self.authorization
        body = json.dumps({'id': 1, 'method': method, 'params': params})
        start = time.perf_counter()
        for attempt in range(2):
            try:
                self.connection.request('POST', self.path, body, headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                # a server closing an idle keep-alive connection
                self.connection.close()
                if attempt:
                    raise
        seconds = time.perf_counter() - start
        answer = json.loads(data)
        if 'error' in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer['result'], seconds, len(data)

    def close(self):
        self.connection.close()


def percentile(values, fraction):
    values = sorted(values)
    return values[min(int(len(values) * fraction), len(values) - 1)]


def view_of(index, cities, rng):
    "The viewport a client looks at: country, city or streets"
    lat, lon = cities[index % len(cities)]
    kind = ['country', 'city', 'streets'][index % 3]
    if kind == 'country':
        bounds, zoom = COUNTRY
    elif kind == 'city':
        bounds, zoom = [lat - 0.35, lon - 0.6, lat + 0.35, lon + 0.6], 10
    else:
        lat += rng.uniform(-0.2, 0.2)
        lon += rng.uniform(-0.2, 0.2)
        bounds, zoom = [lat - 0.01, lon - 0.02, lat + 0.01, lon + 0.02], 15
    return kind, {'bounds': bounds, 'zoom': zoom}


def new_maps(port, database, clients, cities, seconds, interval, results):
    "clients open maps polling for seconds; fills results[kind]"
    lock = threading.Lock()
    stop = threading.Event()

    def run(index):
        rng = random.Random(index)
        client = Map(port, database, LOGINS[index % len(LOGINS)])
        client.call('model.device.vehicle.fleet_map_setup', [client.context])
        kind, view = view_of(index, cities, rng)
        cursor, known, polls = None, [], 0
        # Open maps do not poll in step
        stop.wait(rng.uniform(0, interval))
        while not stop.is_set():
            began = time.perf_counter()
            asked = dict(view)
            if cursor:
                asked.update(since=cursor, known=known)
            answer, seconds_, size = client.call(
                'model.device.vehicle.fleet_map', [asked, client.context])
            if answer['mode'] == 'vehicles':
                cursor = answer['cursor']
                known = sorted((set(known) | {v['id']
                            for v in answer['vehicles']})
                    - set(answer['gone']))
            polls += 1
            with lock:
                results.setdefault(kind, []).append((seconds_, size))
                results.setdefault('all', []).append((seconds_, size))
                results.setdefault(f"{kind} {answer['mode']}", []).append(
                    (seconds_, size))
            if polls % 6 == 1:  # the first poll too, as the page opens
                _, seconds_, size = client.call(
                    'model.device.vehicle.fleet_map_list',
                    ['', None, 0, 50, client.context])
                with lock:
                    results.setdefault('sidebar page', []).append(
                        (seconds_, size))
            stop.wait(max(0, interval - (time.perf_counter() - began)))
        client.close()

    threads = [threading.Thread(target=run, args=(i,))
        for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(600)


def old_maps(port, database, clients, seconds, interval, results, key):
    "clients polling as the old page did; results[key]"
    lock = threading.Lock()
    stop = threading.Event()

    def run(index):
        client = Map(port, database, LOGINS[index % len(LOGINS)])
        stop.wait(random.Random(index).uniform(0, interval))
        while not stop.is_set():
            began = time.perf_counter()
            _, seconds_, size = client.call(
                'model.device.vehicle.search_read', [[['active', '=', True]],
                    0, None, [['serial', 'ASC']], OLD_FIELDS, client.context])
            with lock:
                results.setdefault(key, []).append((seconds_, size))
            stop.wait(max(0, interval - (time.perf_counter() - began)))
        client.close()

    threads = [threading.Thread(target=run, args=(i,))
        for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(900)


def report(results, keys):
    for key in keys:
        values = results.get(key)
        if not values:
            continue
        times = [t for t, _ in values]
        sizes = [s for _, s in values]
        print(f"  {key:26} {len(values):5} calls  "
            f"p50 {statistics.median(times) * 1000:8.1f} ms  "
            f"p95 {percentile(times, 0.95) * 1000:8.1f} ms  "
            f"bytes p50 {statistics.median(sizes):>9,.0f}  "
            f"max {max(sizes):>9,}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pg', default='postgresql://127.0.0.1:5432/')
    parser.add_argument('--db', help="an existing database with demo data")
    parser.add_argument('--keep', action='store_true',
        help="keep the database made (reuse it with --db)")
    parser.add_argument('--vehicles', type=int, default=10000)
    parser.add_argument('--clients', type=int, default=20)
    parser.add_argument('--seconds', type=float, default=60)
    parser.add_argument('--baseline-seconds', type=float, default=60)
    parser.add_argument('--interval', type=float, default=5)
    parser.add_argument('--moving', type=float, default=0.3,
        help="share of the vehicles driving (moved every 5 s)")
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--threads', type=int, default=4)
    args = parser.parse_args()
    uri = args.db
    if not uri:
        uri = args.pg.rstrip('/') + f'/marcier_map_{uuid.uuid4().hex[:8]}'
        print(f"Setting up {uri} with the demo data...", flush=True)
        subprocess.run([*MARCIER, 'setup', '--db', uri, '--demo'], cwd=ROOT,
            check=True, stdout=subprocess.DEVNULL)
    database = uri.rsplit('/', 1)[1]
    rng = random.Random(2026)
    try:
        cities = bulk_load(uri, args.vehicles, rng)
        port = free_port()
        server = subprocess.Popen([*MARCIER, 'serve', '--db', uri,
                '--port', str(port), '--workers', str(args.workers),
                '--threads', str(args.threads), '--no-cron', '--no-queue'],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stop, moved = threading.Event(), []
        mover = threading.Thread(target=listener,
            args=(uri, args.moving, stop, moved))
        try:
            wait_for(f'http://127.0.0.1:{port}/', server)
            mover.start()
            results = {}
            print(f"fleet map, {args.vehicles:,} vehicles, {args.clients} "
                f"maps polling every {args.interval:g} s for "
                f"{args.seconds:g} s (server: {args.workers} workers x "
                f"{args.threads} threads):", flush=True)
            new_maps(port, database, args.clients, cities, args.seconds,
                args.interval, results)
            report(results, ['all', 'country', 'country clusters', 'city',
                    'city clusters', 'city vehicles', 'streets',
                    'streets vehicles', 'sidebar page'])
            if moved:
                mean = statistics.mean(m for m, _ in moved)
                print(f"  (listener: {mean:,.0f} vehicles moved every 5 s)",
                    flush=True)
            print("baseline, the old page's search_read of every vehicle "
                "with dotted fields:", flush=True)
            old_maps(port, database, 1, args.baseline_seconds, args.interval,
                results, 'old call, 1 map')
            old_maps(port, database, args.clients, args.baseline_seconds,
                args.interval, results, f'old call, {args.clients} maps')
            report(results, ['old call, 1 map',
                    f'old call, {args.clients} maps'])
        finally:
            stop.set()
            if mover.is_alive():
                mover.join(30)
            server.terminate()
            server.wait(60)
    finally:
        if not args.db and not args.keep:
            subprocess.run(['psql', args.pg.rstrip('/') + '/postgres', '-qc',
                    f'DROP DATABASE IF EXISTS "{database}"'],
                capture_output=True)
        elif args.keep:
            print(f"kept {uri}")


if __name__ == '__main__':
    main()
