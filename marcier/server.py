"""Serve the trytond WSGI application (JSON-RPC, sao, the routes) and run
its scheduled tasks in the same process."""
import errno
import logging
import socket
import threading
import time

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


def refusals_as_responses(app):
    """trytond raises some refusals (a request from a foreign Origin) where
    nothing turns them into answers: werkzeug would answer 500"""
    from werkzeug.exceptions import HTTPException

    def application(environ, start_response):
        try:
            return app(environ, start_response)
        except HTTPException as refusal:
            return refusal(environ, start_response)
    return application


def serve(database, host, port, cron=True, on_ready=None):
    from werkzeug.serving import make_server

    from trytond.pool import Pool
    from trytond.wsgi import app

    Pool.start()
    Pool(database.name).init()
    if cron:
        threading.Thread(
            target=run_crons, args=(database.name,), daemon=True).start()
    server = make_server(
        host, port, refusals_as_responses(app), threaded=True)
    if on_ready:
        on_ready()
    server.serve_forever()
