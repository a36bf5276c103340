"""The marcier command: clear one-line errors and a repeatable demo."""
import os
import socket
import sqlite3
import subprocess
import time


from .conftest import MARCIER, ROOT, free_port


def marcier(*args, timeout=120):
    return subprocess.run(
        [*MARCIER, *args], capture_output=True, text=True, cwd=ROOT,
        timeout=timeout)


def assert_one_line_error(result, text):
    assert result.returncode == 2
    assert 'Traceback' not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert text in lines[0]


def test_unknown_scheme():
    assert_one_line_error(
        marcier('setup', '--db', 'mysql://localhost/marcier'),
        "unknown database URI scheme 'mysql'")


def test_unreachable_postgresql():
    assert_one_line_error(
        marcier('setup', '--db', 'postgresql://127.0.0.1:1/marcier'),
        "cannot reach PostgreSQL")


def test_port_in_use(platform):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert_one_line_error(
            marcier('serve', '--db', platform.uri, '--port', str(port)),
            f"port {port} on 127.0.0.1 is already in use")


def test_serve_database_not_set_up(tmp_path):
    assert_one_line_error(
        marcier('serve', '--db', f'sqlite:///{tmp_path}/none.sqlite',
            '--port', str(free_port())),
        "is not set up: run `marcier setup")


def test_no_configuration(tmp_path):
    "A folder without trytond.conf (trytond itself says TypeError)"
    result = subprocess.run(
        [*MARCIER, 'setup', '--db', f'sqlite:///{tmp_path}/none.sqlite'],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, 'MARCIER_CONFIG_DIR': str(tmp_path)})
    assert_one_line_error(
        result, f"no trytond configuration at {tmp_path}/trytond.conf")


def run_demo(uri, port, timeout=300):
    "Run `marcier demo` until it serves, return what it printed"
    process = subprocess.Popen(
        [*MARCIER, 'demo', '--db', uri, '--port', str(port), '--no-cron'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        cwd=ROOT)
    lines = []
    deadline = time.monotonic() + timeout
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl+C") or time.monotonic() > deadline:
                break
    finally:
        process.terminate()
        process.wait(timeout=30)
    return ''.join(lines)


def count(file, table):
    with sqlite3.connect(file) as connection:
        return connection.execute(f'SELECT COUNT(*) FROM {table}').fetchone()[0]


def test_demo_twice_keeps_the_database(tmp_path):
    file = tmp_path / 'demo.sqlite'
    uri = f'sqlite:///{file}'
    port = free_port()
    printed = run_demo(uri, port)
    assert f"running at http://127.0.0.1:{port}/" in printed
    for login in ['admin', 'operator', 'agent_a', 'agent_b', 'agent_c']:
        assert login in printed
    assert 'Marcier-Demo-2026' in printed
    counts = {t: count(file, t) for t in [
            'res_user', 'marcier_agent', 'marcier_customer',
            'res_notification']}
    assert counts['marcier_agent'] == 3
    with sqlite3.connect(file) as connection:
        connection.execute(
            "INSERT INTO marcier_city (name, latitude, longitude, radius) "
            "VALUES ('Kept City', 1, 2, 3)")
        # As a database made before Chinese came: the upgrade loads it
        connection.execute("DELETE FROM ir_translation "
            "WHERE lang = 'zh_CN' AND module = 'party'")
        connection.execute(
            "UPDATE ir_lang SET translatable = 0 WHERE code = 'zh_CN'")

    printed = run_demo(uri, port)
    assert "Upgrading" in printed and "Press Ctrl+C" in printed
    assert {t: count(file, t) for t in counts} == counts
    with sqlite3.connect(file) as connection:
        assert connection.execute(
            "SELECT COUNT(*) FROM marcier_city WHERE name = 'Kept City'"
            ).fetchone()[0] == 1
        assert connection.execute(
            "SELECT translatable FROM ir_lang WHERE code = 'zh_CN'"
            ).fetchone()[0]
        assert connection.execute("SELECT COUNT(*) FROM ir_translation "
            "WHERE lang = 'zh_CN' AND module = 'party' AND value != ''"
            ).fetchone()[0] > 100
