#!/usr/bin/env python3
"""Back-office benchmark: N users working in sao at once, through the old
server (`marcier serve` of commit d7777b0: Werkzeug's server, pre-forked,
with threads) and the new one (`marcier serve`: gunicorn gthread workers),
on the same PostgreSQL database with the demo data, in the same run.

Each user logs in, asks the view definitions of the lists and forms it
opens once (fields_view_get, as sao does per session), then, until the
time is up, sends what sao sends while people work:
- list: search_read with the list view's fields (and their rec_name, the
  _timestamp, _write and _delete sao asks), limit 1000;
- count: search_count of the list's domain;
- form: read of one record with the form view's fields;
- button: `suspend` of a running contract without a suspension reason:
  the button's access and state checks, its transition in a read-write
  transaction, refused by the contract's check and rolled back (sao's
  button call; nothing changes, so every run starts alike).
Prints requests per second and p50/p95 latency per kind at each number of
users (4 and 16 by default).  Loopback only.

Usage: .venv/bin/python benchmarks/backoffice.py [--pg postgresql://127.0.0.1:5432/]
    [--db postgresql://.../existing] [--seconds 20] [--users 4 16]
    [--workers 2] [--threads 4] [--old d7777b0]
Without --db, a new database is set up with the demo data (minutes) and
dropped at the end.  The target: 16 users, p95 < 100 ms.
"""
import argparse
import http.client
import importlib.util
import json
import os
import random
import signal
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
MARCIER = [sys.executable, '-m', 'marcier.cli']
PASSWORD = 'Marcier-Demo-2026'
LOGINS = ['operator', 'agent_a', 'agent_b', 'agent_c', 'admin']
MODELS = ['device.vehicle', 'lease.contract', 'lease.installment',
    'party.party', 'marcier.customer']
# How often each kind comes while people work (a list, then mostly
# its count, a form or two, a button now and then)
WEIGHTS = {'list': 4, 'count': 2, 'form': 3, 'button': 1}
RELATIONS = {'many2one', 'one2one', 'reference'}
OLD = 'd7777b0'


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class User:
    "One sao session on its own keep-alive connection"

    def __init__(self, port, database, login, timings):
        self.connection = http.client.HTTPConnection(
            '127.0.0.1', port, timeout=60)
        self.path = f'/{database}/rpc/'
        self.timings = timings
        self.authorization = None
        uid, session, *_ = self.rpc('login', 'common.db.login',
            [login, {'password': PASSWORD}, 'en'])
        self.authorization = 'Session ' + b64encode(
            f'{login}:{uid}:{session}'.encode()).decode()
        self.context = self.rpc('login', 'model.res.user.get_preferences',
            [True, {}])
        self.views = {}
        for model in MODELS:
            self.views[model] = {view_type: self.fields(model, view_type)
                for view_type in ['tree', 'form']}

    def rpc(self, kind, method, params):
        "Call method, record the time under kind; the result or None"
        headers = {'Content-Type': 'application/json'}
        if self.authorization:
            headers['Authorization'] = self.authorization
        body = json.dumps({'id': 1, 'method': method, 'params': params})
        start = time.perf_counter()
        # A server may close an idle keep-alive connection: the browser
        # sends again on a new one, so does this
        for attempt in range(2):
            try:
                self.connection.request('POST', self.path, body, headers)
                response = self.connection.getresponse()
                answer = response.read()
                break
            except (OSError, http.client.HTTPException) as exception:
                self.connection.close()
                error = exception
        else:
            self.timings[kind, 'failed'] += 1
            self.timings[kind, 'error'] = f"{method}: {error!r}"
            return None
        self.timings[kind].append(time.perf_counter() - start)
        if response.status != 200:
            self.timings[kind, 'failed'] += 1
            return None
        answer = json.loads(answer)
        if 'error' in answer:
            if answer['error'][0] == 'UserError' and kind == 'button':
                return None  # refused by the button's own check
            self.timings[kind, 'failed'] += 1
            self.timings[kind, 'error'] = f"{method}: {answer['error']}"
            return None
        return answer['result']

    def fields(self, model, view_type):
        "The fields sao reads for the view, asked once per session"
        view = self.rpc('view', f'model.{model}.fields_view_get',
            [None, view_type, self.context])
        if view is None:
            return ['rec_name']
        names = ['rec_name', '_timestamp', '_write', '_delete']
        for name, field in view['fields'].items():
            names.append(name)
            if field['type'] in RELATIONS:
                names.append(f'{name}.rec_name')
        return names

    def work(self, stop):
        kinds = random.Random(id(self)).choices
        ids = {}
        while not stop.is_set():
            kind, = kinds(list(WEIGHTS), list(WEIGHTS.values()))
            model = random.choice(MODELS)
            call = f'model.{model}.'
            if kind == 'list':
                rows = self.rpc(kind, call + 'search_read', [[], 0, 1000,
                        None, self.views[model]['tree'], self.context])
                if rows:
                    ids[model] = [r['id'] for r in rows]
            elif kind == 'count':
                self.rpc(kind, call + 'search_count', [[], 0, None,
                        self.context])
            elif kind == 'form' and ids.get(model):
                self.rpc(kind, call + 'read', [[random.choice(ids[model])],
                        self.views[model]['form'], self.context])
            elif kind == 'button':
                running = ids.get('running')
                if running is None:
                    running = ids['running'] = self.rpc('login',
                        'model.lease.contract.search',
                        [[('state', '=', 'in_progress'),
                                ('suspension_reason', '=', None)], 0, 10, None,
                            self.context]) or []
                if running:
                    self.rpc(kind, 'model.lease.contract.suspend',
                        [[random.choice(running)], self.context])
        self.connection.close()


def load(port, database, users, seconds):
    "users sessions working for seconds; {kind: [seconds]}, wall time"
    timings = {}
    for kind in ['login', 'view', 'list', 'count', 'form', 'button']:
        timings[kind] = []
        timings[kind, 'failed'] = 0
    sessions = [User(port, database, LOGINS[n % len(LOGINS)], timings)
        for n in range(users)]
    for kind in ['list', 'count', 'form', 'button']:
        timings[kind].clear()  # the logins' look-ups are not work
    stop = threading.Event()
    threads = [threading.Thread(target=s.work, args=(stop,))
        for s in sessions]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(120)
    return timings, time.perf_counter() - start


def percentile(values, fraction):
    values = sorted(values)
    return values[min(int(len(values) * fraction), len(values) - 1)]


def report(name, users, timings, wall):
    work = [t for k in ['list', 'count', 'form', 'button']
        for t in timings[k]]
    print(f"{name}, {users} users: {len(work) / wall:.0f} req/s "
        f"({len(work)} requests in {wall:.0f} s)", flush=True)
    for kind in ['view', 'list', 'count', 'form', 'button']:
        values = timings[kind]
        if not values:
            continue
        failed = timings[kind, 'failed']
        print(f"  {kind:7} {len(values):6} calls  "
            f"p50 {statistics.median(values) * 1000:6.1f} ms  "
            f"p95 {percentile(values, 0.95) * 1000:6.1f} ms"
            + (f"  ({failed} failed, e.g. "
                f"{timings.get((kind, 'error'), 'no answer')[:120]})"
                if failed else ''), flush=True)


def serve_old(uri, port, workers, commit):
    """Run `marcier serve` as commit had it: its marcier/server.py, loaded
    as a module of today's package, with today's modules and database"""
    from marcier import settings
    database = settings.parse_database(uri)
    settings.configure(database, listen=f'127.0.0.1:{port}')
    source = subprocess.run(['git', 'show', f'{commit}:marcier/server.py'],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader('marcier.old_server', loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = 'marcier'
    exec(compile(source, f'{commit}:marcier/server.py', 'exec'),
        module.__dict__)
    module.serve(database, '127.0.0.1', port, cron=False, workers=workers,
        on_ready=lambda: print("ready", flush=True))


def start_server(argv, port):
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items()
            if k != 'TRYTOND_DATABASE_URI'})
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{argv} stopped with {process.returncode}")
        try:
            connection = http.client.HTTPConnection('127.0.0.1', port, 5)
            connection.request('HEAD', '/')
            connection.getresponse()
            connection.close()
            return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit(f"{argv} did not answer")


def stop_server(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pg', default='postgresql://127.0.0.1:5432/')
    parser.add_argument('--db', help="an existing database with demo data")
    parser.add_argument('--seconds', type=float, default=20)
    parser.add_argument('--users', type=int, nargs='+', default=[4, 16])
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--threads', type=int, nargs='+', default=[4],
        help="threads per gunicorn worker: one configuration each")
    parser.add_argument('--old', default=OLD, help="the old server's commit")
    parser.add_argument('--serve-old', nargs=3, metavar=('URI', 'PORT', 'N'),
        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_old:
        uri, port, workers = args.serve_old
        return serve_old(uri, int(port), int(workers), args.old)

    uri = args.db
    if not uri:
        uri = args.pg.rstrip('/') + f'/marcier_bench_{uuid.uuid4().hex[:8]}'
        print(f"Setting up {uri} with the demo data...", flush=True)
        subprocess.run([*MARCIER, 'setup', '--db', uri, '--demo'], cwd=ROOT,
            check=True, stdout=subprocess.DEVNULL)
    from marcier.settings import parse_database
    database = parse_database(uri).name
    configurations = [(f"old ({args.old}: Werkzeug, {args.workers} "
            "processes x threads)", lambda port: [sys.executable, __file__,
                '--old', args.old, '--serve-old', uri, str(port),
                str(args.workers)])]
    for threads in args.threads:
        configurations.append((f"new (gunicorn, {args.workers} gthread "
                f"workers x {threads} threads)", lambda port, t=threads: [
                    *MARCIER, 'serve', '--db', uri, '--port', str(port),
                    '--workers', str(args.workers), '--threads', str(t),
                    '--no-cron', '--no-queue']))
    try:
        for name, argv in configurations:
            port = free_port()
            process = start_server(argv(port), port)
            try:
                for users in args.users:
                    report(name, users, *load(port, database, users,
                            args.seconds))
            finally:
                stop_server(process)
    finally:
        if not args.db:
            subprocess.run(['psql', args.pg.rstrip('/') + '/postgres', '-qc',
                    f'DROP DATABASE IF EXISTS "{database}"'],
                capture_output=True)


if __name__ == '__main__':
    main()
