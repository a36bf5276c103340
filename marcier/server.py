"""Serve the trytond WSGI application (JSON-RPC, sao, the routes) and run
its scheduled tasks in the same process (or in the first of several worker
processes)."""
import contextlib
import errno
import logging
import os
import signal
import socket
import threading
import time

from .hardening import Hardening
from .settings import SettingsError

logger = logging.getLogger(__name__)


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


def run_crons(database_name, interval=60):
    "Run the due ir.cron tasks every interval seconds"
    from trytond.pool import Pool
    while True:
        time.sleep(interval)
        try:
            Pool(database_name).get('ir.cron').run(database_name)
        except Exception:
            logger.exception("scheduled tasks failed")


def serve(database, host, port, cron=True, on_ready=None, workers=1):
    """Serve with threads in workers processes that share the listening
    socket: the first one also runs the scheduled tasks"""
    from werkzeug.serving import make_server

    from trytond.pool import Pool
    from trytond.wsgi import app

    Pool.start()  # imports the modules once, before forking
    children = []
    listener = None
    application = Hardening(app)
    if workers > 1:
        listener = make_server(host, port, application, threaded=True)
        for _ in range(workers - 1):
            pid = os.fork()
            if pid == 0:
                # Each worker opens its own database connections
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                Pool(database.name).init()
                listener.serve_forever()
                os._exit(0)
            children.append(pid)

        def stop(signum, frame):
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            raise SystemExit(0)
        signal.signal(signal.SIGTERM, stop)
    Pool(database.name).init()
    if cron:
        threading.Thread(
            target=run_crons, args=(database.name,), daemon=True).start()
    server = listener or make_server(
        host, port, application, threaded=True)
    if on_ready:
        on_ready()
    try:
        server.serve_forever()
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
