"""The package as users install it (issue 13): a wheel built with `pip
wheel`, installed into a fresh virtual environment and run from a folder
outside the checkout sets up the demo, serves the mall and JSON-RPC with
the shipped configuration, and stores the vehicles' reports.

The fresh environment takes the dependencies of the project's .venv
through a .pth line (no download): a .pth line only adds the folder to
sys.path, it does not run the editable install's finder that sits there,
so `marcier` and the Tryton modules come from the wheel alone (checked)."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, free_port, wait_for
from .rpc import Client, RPCError, post

pytestmark = pytest.mark.wheel

PACKAGES = ['marcier', 'marcier_base', 'marcier_device', 'marcier_gateway',
    'marcier_iot', 'marcier_lease', 'marcier_mall', 'marcier_security',
    'marcier_wechat', 'marcier_wire']


def run(argv, **kwargs):
    "Run argv; fail with its output unless it succeeds"
    kwargs.setdefault('timeout', 600)
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode:
        pytest.fail(f"{' '.join(map(str, argv))} failed "
            f"({done.returncode}):\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-5000:]}")
    return done.stdout


def sources(target):
    "Copy the checkout's files (tracked or not, unless ignored) to target"
    listed = run(['git', 'ls-files', '--cached', '--others',
            '--exclude-standard', '-z'], cwd=ROOT)
    for name in filter(None, listed.split('\0')):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(source.read_bytes())


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """{python, marcier, home, env}: the wheel installed into a fresh
    virtual environment, home a folder outside the checkout"""
    folder = tmp_path_factory.mktemp('wheel')
    # Built from a copy: pip builds in the source tree (build/, egg-info)
    sources(folder / 'src')
    # With build isolation (setuptools>=68 of pyproject.toml comes from
    # pip's index, here its local mirror): the .venv's may be older
    run([sys.executable, '-m', 'pip', 'wheel', '--no-deps',
            '--wheel-dir', folder / 'dist', folder / 'src'], cwd=folder)
    wheel, = (folder / 'dist').glob('marcier-*.whl')

    venv = folder / 'venv'
    run([sys.executable, '-m', 'venv', '--without-pip', venv])
    python = venv / 'bin' / 'python'
    purelib = Path(run([python, '-c',
                'import sysconfig; print(sysconfig.get_path("purelib"))']
            ).strip())
    dependencies = {sysconfig.get_path('purelib'),
        sysconfig.get_path('platlib')}
    (purelib / 'marcier-dependencies.pth').write_text(
        ''.join(f'{p}\n' for p in sorted(dependencies)))
    run([sys.executable, '-m', 'pip', '--python', python, 'install',
            '--no-deps', '--no-index', wheel])

    home = folder / 'home'
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
        if not k.startswith(('TRYTOND_', 'MARCIER_', 'PYTHON'))
        and k not in {'DB_NAME', 'DB_CACHE'}}
    env['PYTHONUNBUFFERED'] = '1'
    env['PATH'] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    found = json.loads(run([python, '-c',
                'import importlib, json, sys; print(json.dumps({name: '
                'importlib.import_module(name).__file__ '
                'for name in sys.argv[1:]}))', *PACKAGES],
            cwd=home, env=env))
    for name, file in found.items():
        assert Path(file).is_relative_to(purelib), (name, file)
    return {'python': python, 'marcier': venv / 'bin' / 'marcier',
        'home': home, 'env': env, 'venv': venv}


def get(url, language=None):
    request = urllib.request.Request(url,
        headers={'Accept-Language': language} if language else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read().decode()


def telemetry_ids(file):
    with sqlite3.connect(file) as connection:
        return connection.execute(
            'SELECT MAX(id), COUNT(*) FROM iot_telemetry').fetchone()


def test_wheel_sets_up_serves_and_ingests(installed):
    home, env = installed['home'], installed['env']
    file = home / 'marcier.sqlite'
    uri = f'sqlite:///{file}'
    printed = run([installed['marcier'], 'setup', '--db', uri, '--demo'],
        cwd=home, env=env, timeout=900)
    assert f"Database {uri} is ready." in printed
    assert re.search(r'operator_2fa, password \S+, then a code', printed)
    # Its files in the folder it runs in, not in the checkout's
    assert (home / 'var' / 'secret.key').exists()
    last, _ = telemetry_ids(file)

    port = free_port()
    url = f'http://127.0.0.1:{port}/'
    log_path = home / 'serve.log'
    with open(log_path, 'w') as log:
        # `marcier demo` starts the embedded IoT pipeline (simulated fleet,
        # CAN frames decoded with the shipped DBC files, listener) in its
        # worker this way; serve does on request, without a second setup
        server = subprocess.Popen([installed['marcier'], 'serve',
                '--db', uri, '--port', str(port), '--no-cron'],
            cwd=home, stdout=log, stderr=subprocess.STDOUT,
            env={**env, 'MARCIER_IN_WORKER': 'marcier_iot.embedded:start'})
        try:
            # (no web client at / outside the checkout: var/sao is not in it)
            wait_for(f'{url}mall', server)
            # The mall: templates, page catalogues, translated catalogue
            status, page = get(f'{url}mall')
            assert status == 200 and '<html lang="zh-CN">' in page
            assert "观光车" in page
            status, page = get(f'{url}mall?lang=en', 'en')
            assert status == 200 and "vehicles for rent" in page
            status, css = get(f'{url}mall/static/mall.css')
            assert status == 200 and css

            # JSON-RPC: a login, and the second factor the shipped
            # configuration asks for
            operator = Client(url, 'marcier', 'operator')
            assert operator.search('device.vehicle', [])
            with pytest.raises(RPCError) as asked:
                post(f'{url}marcier/rpc/', 'common.db.login',
                    ['operator_2fa', {'password': 'Marcier-Demo-2026'},
                        'en'])
            assert (asked.value.kind, asked.value.message) == (
                'LoginException', 'totp_code')

            # Ingest: the demo fleet's reports become rows
            deadline = time.monotonic() + 120
            while (telemetry_ids(file)[0] or 0) <= (last or 0):
                assert server.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(1)
            stored = operator.search_read('iot.telemetry',
                [('id', '>', last or 0)], ['vehicle', 'voltage', 'soc'],
                limit=1)
            assert stored and stored[0]['vehicle']
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
    assert "IoT: " in log_path.read_text()
