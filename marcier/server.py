"""Run Marcier's processes: trytond's WSGI application under gunicorn
(N worker processes, each with threads), trytond's scheduler
(`trytond-cron`) and its queue worker (`trytond-worker`).

This process only supervises: it writes trytond's configuration once
(config/trytond.conf with what `marcier` sets from its options, and the
request hardening as a `[wsgi middleware]`), starts each program as a
child with that file, and stops them all when it is told to stop or when
one of them dies.  Each child runs in its own process group, which is
killed whole, so no worker outlives `marcier serve`.
"""
import contextlib
import ctypes
import errno
import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from .settings import SettingsError

logger = logging.getLogger(__name__)
HARDENING = 'marcier.hardening.Hardening'
READY_TIMEOUT = 300  # seconds: a cold start on a loaded machine
STOP_TIMEOUT = 30  # seconds between SIGTERM and SIGKILL
# A request may take minutes (reports, imports): gunicorn must not kill a
# worker that is busy with it; trytond's own [request] timeout applies
WORKER_TIMEOUT = 600
PR_SET_PDEATHSIG = 1


def check_port(host, port):
    "Fail early with a clear message when the address is taken"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exception:
        raise SettingsError(f"cannot resolve host {host!r}: {exception}")
    family, type_, proto, _, address = infos[0]
    with socket.socket(family, type_, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exception:
            if exception.errno == errno.EADDRINUSE:
                raise SettingsError(
                    f"port {port} on {host} is already in use: "
                    "stop the other server or pass --port") from None
            raise SettingsError(
                f"cannot listen on {host}:{port}: {exception.strerror}"
                ) from None


def default_workers(database):
    "One worker process per CPU on PostgreSQL, one on SQLite"
    if database.scheme == 'sqlite':
        return 1
    return os.cpu_count() or 1


def processes(database, workers, threads):
    """The number of gunicorn workers and threads for database: SQLite has
    one writer, so one process whose threads wait for its lock in turn
    rather than several processes failing on "database is locked\""""
    if database.scheme == 'sqlite' and workers > 1:
        print(f"marcier: SQLite allows one writer: serving with 1 worker "
            f"process of {threads} threads instead of {workers} "
            "(use PostgreSQL for more)", file=sys.stderr, flush=True)
        workers = 1
    return workers, threads


def write_config(folder, queue):
    """Write trytond's configuration as `marcier` set it in this process
    (see settings.configure) for the children; return the file's path"""
    from trytond import config
    config.set('queue', 'worker', str(bool(queue)))
    if not config.has_section('wsgi middleware'):
        config.add_section('wsgi middleware')
    config.set('wsgi middleware', 'hardening', HARDENING)
    path = os.path.join(folder, 'trytond.conf')
    # It holds [marcier] secret_key: readable by this user only
    with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), 'w') as file:
        config._config.write(file)
    return path


def commands(database, host, port, config_file, workers, threads, cron,
        queue):
    "{name: argv} of the programs to run"
    python = [sys.executable, '-m']
    result = {'gunicorn': [*python, 'gunicorn',
            '--config', 'python:marcier.gunicorn_conf',
            '--bind', f'{host}:{port}',
            '--workers', str(workers),
            '--worker-class', 'gthread', '--threads', str(threads),
            '--timeout', str(WORKER_TIMEOUT),
            'trytond.application:app']}
    daemon = ['-c', config_file, '-d', database.name, '-n', '1']
    if cron:
        result['trytond-cron'] = [*python, __name__, 'cron', *daemon]
    if queue:
        result['trytond-worker'] = [*python, __name__, 'worker', *daemon]
    return result


def _die_with_parent():
    "SIGTERM to this process when its parent dies, even by SIGKILL (Linux)"
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(
            PR_SET_PDEATHSIG, signal.SIGTERM)


def _own_group():
    "In the child: a process group of its own, killed whole on stop"
    os.setpgrp()
    _die_with_parent()


def run_daemon(name, argv):
    """trytond-cron or trytond-worker (trytond.cli.<name>) with argv; its
    pool processes die with it, so a `kill -9` of `marcier serve` leaves
    none of them waiting forever on their queue"""
    import importlib
    os.register_at_fork(after_in_child=_die_with_parent)
    sys.argv = [f'trytond-{name}', *argv]
    return importlib.import_module(f'trytond.cli.{name}').main()


def start(commands, env, children):
    """Start each command into children {name: Popen} (filled as they
    start: a signal meanwhile stops those already started)"""
    for name, argv in commands.items():
        children[name] = subprocess.Popen(
            argv, env=env, preexec_fn=_own_group)


def stop(children, timeout=STOP_TIMEOUT):
    "SIGTERM every child's process group, SIGKILL those still there"
    for child in children.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children.values():
        try:
            child.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            pass
        # The group's other members (pool processes) may outlive it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def wait_ready(host, port, children, timeout=READY_TIMEOUT):
    "Wait until gunicorn answers an HTTP request"
    if host in {'0.0.0.0', '::', ''}:
        host = '127.0.0.1'
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_alive(children)
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request('HEAD', '/')
            connection.getresponse()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    raise SettingsError(f"the server did not answer in {timeout} s")


def check_alive(children):
    for name, child in children.items():
        if child.poll() is not None:
            raise SettingsError(
                f"{name} stopped with exit code {child.returncode}")


def serve(database, host, port, cron=True, queue=True, on_ready=None,
        workers=1, threads=4, in_worker=None, verbose=False):
    """Serve until SIGINT or SIGTERM; queue runs trytond-worker (on
    PostgreSQL only: trytond's queue waits on its notifications);
    in_worker names a function called with the database's name in each
    gunicorn worker once it is up (module:function)"""
    workers, threads = processes(database, workers, threads)
    queue = queue and database.scheme == 'postgresql'

    def terminate(signum, frame):
        raise SystemExit(0)
    previous = signal.signal(signal.SIGTERM, terminate)
    children = {}
    with tempfile.TemporaryDirectory(prefix='marcier-') as folder:
        try:
            config_file = write_config(folder, queue)
            env = {**os.environ,
                'TRYTOND_CONFIG': config_file,
                # trytond.application loads its pool before forking
                'TRYTOND_DATABASE_NAMES': database.name,
                }
            if in_worker:
                env['MARCIER_IN_WORKER'] = in_worker
            if verbose:
                env['TRYTOND_LOGGING_LEVEL'] = str(logging.INFO)
            start(commands(database, host, port, config_file, workers,
                    threads, cron, queue), env, children)
            wait_ready(host, port, children)
            if on_ready:
                on_ready()
            while True:
                check_alive(children)
                time.sleep(0.5)
        finally:
            stop(children)
            signal.signal(signal.SIGTERM, previous)


if __name__ == '__main__':
    sys.exit(run_daemon(sys.argv[1], sys.argv[2:]))
