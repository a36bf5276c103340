"""`marcier serve`: gunicorn serves trytond's app with the request
hardening, trytond-cron runs the due scheduled tasks, trytond-worker the
queue (PostgreSQL), and stopping the command leaves no process behind."""
import datetime as dt
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import MARCIER, ROOT, free_port

READY_TIMEOUT = 300
CRON_TIMEOUT = 150  # trytond-cron wakes at each minute
DATETIME = ['year', 'month', 'day', 'hour', 'minute', 'second',
    'microsecond']


def descendants(pid):
    "{pid: command line} of pid's children, their children..."
    children = {}
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try:
            fields = stat.read_text().rsplit(')', 1)[1].split()
            cmdline = (stat.parent / 'cmdline').read_bytes()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(
            (int(stat.parent.name), cmdline.replace(b'\0', b' ').decode()))
    found, todo = {}, [pid]
    while todo:
        for child, cmdline in children.get(todo.pop(), []):
            found[child] = cmdline
            todo.append(child)
    return found


def alive(pid):
    "Whether pid runs (a zombie has ended)"
    try:
        return Path(f'/proc/{pid}/stat').read_text().rsplit(
            ')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


class Serve:
    "`marcier serve` on the platform's database, with cron and queue"

    def __init__(self, platform, *options):
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}/'
        self.process = subprocess.Popen(
            [*MARCIER, 'serve', '--db', platform.uri, '--port',
                str(self.port), *options],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            cwd=ROOT, env={k: v for k, v in os.environ.items()
                if k != 'TRYTOND_DATABASE_URI'})
        self.printed = []
        deadline = time.monotonic() + READY_TIMEOUT
        for line in self.process.stdout:
            self.printed.append(line)
            if line.startswith("Press Ctrl+C") or (
                    time.monotonic() > deadline):
                break
        assert "Press Ctrl+C" in self.printed[-1], ''.join(self.printed)
        self.children = descendants(self.process.pid)

    def gunicorn(self, count, timeout=30):
        """The gunicorn processes once count of them run: the master
        answers once its first worker is up, the others may still boot"""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.children.values() if '-m gunicorn' in c]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)
            self.children = descendants(self.process.pid)

    def programs(self):
        return {name for name in ['gunicorn', 'marcier.server cron',
                'marcier.server worker']
            if any(f'-m {name} ' in c for c in self.children.values())}

    def stop(self, signum):
        "Send signum; return the exit code and the processes left"
        self.process.send_signal(signum)
        code = self.process.wait(timeout=60)
        if signum == signal.SIGKILL:
            return code, None  # the children see it after a while
        self.process.stdout.close()
        return code, [c for p, c in self.children.items() if alive(p)]


def post(url, body):
    request = urllib.request.Request(url, data=body,
        headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None


@pytest.fixture
def serve(platform):
    servers = []

    def start(*options):
        servers.append(Serve(platform, *options))
        return servers[-1]
    yield start
    for server in servers:
        if server.process.poll() is None:
            server.stop(signal.SIGKILL)


def test_serve_gunicorn_cron_queue_then_stops_clean(platform, admin, serve):
    """The processes run, the hardening answers through gunicorn, a due
    task runs in trytond-cron; SIGTERM stops every process"""
    server = serve('--workers', '2')
    expected = {'gunicorn', 'marcier.server cron'}
    if platform.uri.startswith('postgresql'):
        expected.add('marcier.server worker')
    assert server.programs() == expected
    # master and its workers: 2 on PostgreSQL, 1 on SQLite (one writer)
    count = 3 if 'marcier.server worker' in expected else 2
    assert len(server.gunicorn(count)) == count

    rpc = f'{server.url}{platform.database}/rpc/'
    assert post(rpc, b'{"id": 1, "method": null, "params": []}')[0] == 400
    assert post(f'{server.url}rpc/', json.dumps({'id': 1,
                'method': 'common.server.version', 'params': []}).encode()
        ) == (200, {'id': 1, 'result': '8.0'})

    # A daily task made due yesterday runs within the next minutes
    cron, = admin.search('ir.cron', [('method', '=', 'ir.queue|clean')])
    yesterday = dt.datetime.now() - dt.timedelta(days=1)
    admin.write('ir.cron', [cron], {'next_call': {'__class__': 'datetime',
                **{k: getattr(yesterday, k) for k in DATETIME}}})
    deadline = time.monotonic() + CRON_TIMEOUT
    while time.monotonic() < deadline:
        next_call = admin.read('ir.cron', [cron], ['next_call'])[0][
            'next_call']
        if dt.datetime(*(next_call[k] for k in DATETIME)) > yesterday:
            break
        time.sleep(2)
    else:
        pytest.fail("trytond-cron did not run the due task")

    code, left = server.stop(signal.SIGTERM)
    assert code == 0
    assert not left


def test_serve_ctrl_c_stops_clean(serve):
    "Ctrl+C (SIGINT to the command) stops gunicorn and trytond-cron too"
    server = serve('--no-queue')
    assert server.programs() == {'gunicorn', 'marcier.server cron'}
    code, left = server.stop(signal.SIGINT)
    assert code == 130
    assert not left


def test_serve_killed_leaves_no_process(serve):
    """`kill -9` of the command: gunicorn, trytond-cron and its pool
    processes stop by themselves (they die with their parent)"""
    server = serve('--no-queue')
    assert len(server.children) >= 4  # master, worker, cron, its pool
    server.stop(signal.SIGKILL)
    deadline = time.monotonic() + 30
    while any(alive(p) for p in server.children) and (
            time.monotonic() < deadline):
        time.sleep(0.5)
    assert not [c for p, c in server.children.items() if alive(p)]
