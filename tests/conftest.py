"""Fixtures of the cross-module tests: a real trytond server set up with
the demo data, on PostgreSQL when CI=true (or MARCIER_TEST_DB is a
postgresql:// URI), on SQLite otherwise."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from .rpc import Client

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path(os.environ.get('MARCIER_TEST_OUTPUT', ROOT / 'test-output'))
MARCIER = [sys.executable, '-m', 'marcier.cli']


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_database_uri(folder):
    "The URI of a new database for this test run"
    uri = os.environ.get('MARCIER_TEST_DB')
    if not uri and os.environ.get('CI') == 'true':
        uri = 'postgresql://127.0.0.1:5432/'
    if uri and uri.startswith('postgresql'):
        return uri.rstrip('/') + f'/marcier_test_{uuid.uuid4().hex[:8]}'
    return f'sqlite:///{folder}/marcier_test.sqlite'


def drop_database(uri):
    if uri.startswith('postgresql'):
        base, name = uri.rsplit('/', 1)
        subprocess.run(
            ['psql', base + '/postgres', '-qc', f'DROP DATABASE IF EXISTS "{name}"'],
            capture_output=True, timeout=60)


@dataclass
class Platform:
    "A running Marcier server with demo data"
    url: str  # ends with /
    database: str
    uri: str
    process: subprocess.Popen

    def client(self, login, **kwargs):
        return Client(self.url, self.database, login, **kwargs)


def wait_for(url, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server stopped with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout}s")


@pytest.fixture(scope='session')
def output():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


def copy_database(source, target):
    "Copy the database of URI source (no one connected) to URI target"
    if source.startswith('postgresql'):
        base, name = source.rsplit('/', 1)
        subprocess.run(['psql', base + '/postgres', '-qc',
                f'CREATE DATABASE "{target.rsplit("/", 1)[1]}" '
                f'TEMPLATE "{name}"'], check=True, timeout=300)
    else:
        shutil.copyfile(source.removeprefix('sqlite:///'),
            target.removeprefix('sqlite:///'))


@dataclass
class Demo:
    "A database set up by `marcier setup --demo`, left untouched"
    uri: str
    printed: str  # the set-up's notes: logins, keys


class DemoSetup:
    "`marcier setup --demo` on a new test database, run in the background"

    def __init__(self, folder):
        self.uri = test_database_uri(folder)
        env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
        env.pop('TRYTOND_DATABASE_URI', None)
        # Files, not pipes: nobody reads them until the set-up ends
        self.stdout = open(folder / 'setup.out', 'w+')
        self.stderr = open(folder / 'setup.err', 'w+')
        self.process = subprocess.Popen(
            [*MARCIER, 'setup', '--db', self.uri, '--demo'],
            env=env, cwd=ROOT, stdout=self.stdout, stderr=self.stderr,
            text=True)

    def result(self, timeout=900):
        "The Demo once set up; fail the test if the set-up failed"
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        printed = self._read(self.stdout)
        if self.process.returncode:
            pytest.fail(f"marcier setup --demo failed:\n{printed}\n"
                f"{self._read(self.stderr)[-5000:]}")
        return Demo(self.uri, printed)

    @staticmethod
    def _read(file):
        file.seek(0)
        return file.read()

    def close(self):
        "Stop the set-up if it still runs, drop its database"
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.stdout.close()
        self.stderr.close()
        drop_database(self.uri)


# The demo set-up started when the collection ends (pytest_collection_finish)
_demo_setups = []


def pytest_collection_finish(session):
    """Start the demo's set-up (minutes, in another process) as soon as the
    tests are known, when one of them needs it: it runs while the module
    tests, which come first, use the other core"""
    if session.config.option.collectonly or not any(
            'demo' in getattr(item, 'fixturenames', ())
            for item in session.items):
        return
    _demo_setups.append(DemoSetup(
            session.config._tmp_path_factory.mktemp('demo')))


def pytest_sessionfinish(session):
    "The demo set-up that no test took (an interrupted or failed run)"
    while _demo_setups:
        _demo_setups.pop().close()


@pytest.fixture(scope='session')
def demo(tmp_path_factory):
    """The demo, set up once per test run (minutes): each server of the
    tests runs on a copy of it (seconds)"""
    setup = (_demo_setups.pop() if _demo_setups
        else DemoSetup(tmp_path_factory.mktemp('demo')))
    try:
        yield setup.result()
    finally:
        setup.close()


@contextlib.contextmanager
def running_platform(demo, folder, log_path, prepare=None, env=None):
    """Copy the demo database, call prepare(uri) if given, serve it on a
    free port until the end of the with block; env adds to the processes'
    environment"""
    uri = test_database_uri(folder)
    env = {**os.environ, 'PYTHONUNBUFFERED': '1', **(env or {})}
    env.pop('TRYTOND_DATABASE_URI', None)
    copy_database(demo.uri, uri)
    try:
        if prepare:
            prepare(uri)
        port = free_port()
        with open(log_path, 'w') as log:
            process = subprocess.Popen([*MARCIER, 'serve', '--db', uri,
                    '--port', str(port), '--no-cron'],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            try:
                url = f'http://127.0.0.1:{port}/'
                wait_for(url, process)
                database = uri.rsplit('/', 1)[1].removesuffix('.sqlite')
                yield Platform(url, database, uri, process)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
    finally:
        drop_database(uri)


@pytest.fixture(scope='session')
def platform(demo, tmp_path_factory, output):
    with running_platform(demo, tmp_path_factory.mktemp('platform'),
            output / 'server.log') as platform:
        yield platform


@pytest.fixture(scope='session')
def operator(platform):
    return platform.client('operator')


@pytest.fixture(scope='session')
def agent_a(platform):
    return platform.client('agent_a')


@pytest.fixture(scope='session')
def agent_b(platform):
    return platform.client('agent_b')


@pytest.fixture(scope='session')
def admin(platform):
    return platform.client('admin')


@pytest.fixture(scope='session')
def fake_wechat():
    "The stand-in for WeChat's servers (marcier_wechat.fake)"
    from marcier_wechat.fake import FakeWeChat
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture(scope='session')
def wechat_account(platform, operator, fake_wechat):
    "The demo company's official account, talking to the fake WeChat"
    from .wechat import APP_ID, TOKEN
    values = {'name': "Marcier", 'app_id': APP_ID, 'secret': 'test-secret',
        'token': TOKEN, 'api_url': fake_wechat.url,
        'open_url': fake_wechat.url, 'public_url': platform.url,
        'repair_template': 'tpl-repair', 'aes_key': None,
        'reply_timeout': 4.5}
    existing = operator.search('wechat.account', [])
    if existing:
        operator.write('wechat.account', existing, values)
        return existing[0]
    account, = operator.create('wechat.account', [values])
    return account
