"""Serve the trytond WSGI application (JSON-RPC, sao, the routes) and run
its scheduled tasks in the same process (or in the first of several worker
processes)."""
import contextlib
import errno
import io
import json
import logging
import os
import re
import signal
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


RPC_PATH = re.compile(r'^/([^/]+/)?rpc/$|^/[^/]+/session/log(in|out)$')
LOGIN_PATH = re.compile(r'^/[^/]+/session/login$')
MAX_LOGIN_BODY = 64 * 1024


def _readable_login(environ):
    """Whether a cookie login's body has the params trytond reads without
    checking; the body is put back for it"""
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        return False
    if not 0 < length <= MAX_LOGIN_BODY:
        return False
    body = environ['wsgi.input'].read(length)
    environ['wsgi.input'] = io.BytesIO(body)
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return (isinstance(data, dict) and isinstance(data.get('params'), list)
        and len(data['params']) >= 2 and isinstance(data['params'][0], str)
        and isinstance(data['params'][1], dict))


MAX_FORM_BODY = 1024 * 1024


def _has_nul(environ):
    """Whether the URL or a form body carries a NUL character, which no
    text field holds and PostgreSQL refuses with an error"""
    url = environ.get('PATH_INFO', '') + environ.get('QUERY_STRING', '')
    if '\x00' in url or '%00' in url:
        return True
    if 'application/x-www-form-urlencoded' in environ.get('CONTENT_TYPE', ''):
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            return False
        if 0 < length <= MAX_FORM_BODY:
            body = environ['wsgi.input'].read(length)
            environ['wsgi.input'] = io.BytesIO(body)
            return b'%00' in body or b'\x00' in body
    return False


def refusals_as_responses(app):
    """Answer what trytond 8.0 would answer with a 500 (found by
    tests/security/test_fuzz.py): a refusal it raises where nothing turns it
    into an answer (a request from a foreign Origin), and RPC requests in
    neither JSON nor XML, which it cannot read, cookie logins without
    their parameters, and NUL characters in URLs and forms (found on
    PostgreSQL by tests/security/attack.py in the mall and WeChat URLs)"""
    from werkzeug.exceptions import (
        BadRequest, HTTPException, UnsupportedMediaType)

    def application(environ, start_response):
        content_type = environ.get('CONTENT_TYPE', '')
        try:
            if _has_nul(environ):
                raise BadRequest()
            if (environ.get('REQUEST_METHOD') == 'POST'
                    and RPC_PATH.match(environ.get('PATH_INFO', ''))
                    and 'json' not in content_type
                    and 'xml' not in content_type):
                raise UnsupportedMediaType()
            if (environ.get('REQUEST_METHOD') == 'POST'
                    and LOGIN_PATH.match(environ.get('PATH_INFO', ''))
                    and not _readable_login(environ)):
                raise BadRequest()
            return app(environ, start_response)
        except HTTPException as refusal:
            return refusal(environ, start_response)
    return application


def serve(database, host, port, cron=True, on_ready=None, workers=1):
    """Serve with threads in workers processes that share the listening
    socket: the first one also runs the scheduled tasks"""
    from werkzeug.serving import make_server

    from trytond.pool import Pool
    from trytond.wsgi import app

    Pool.start()  # imports the modules once, before forking
    children = []
    listener = None
    application = refusals_as_responses(app)
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
