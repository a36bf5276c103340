"""Request hardening: a plain WSGI middleware around trytond's application
that answers malformed requests with a 4xx before trytond reads them.

Trytond 8.0 turns many malformed requests into a 500 (found by
tests/security/test_fuzz.py and test_requests.py): a JSON-RPC envelope
whose method is null or not a string, whose params are not a list; a
cookie login without its parameters, a cookie logout without its cookie;
`/<db>/data/<model>` with an unknown encoding, a delimiter of two
characters, a context that is not an object, the model of a wizard's
form; the bus while it is off; NUL characters, which PostgreSQL refuses,
in URLs and forms.
Each check below names the shape trytond expects and refuses the rest.

It wraps any WSGI application, under any WSGI server:

    from trytond.wsgi import app
    application = Hardening(app)

or, without code, in trytond.conf (trytond wraps its own app with it):

    [wsgi middleware]
    hardening = marcier.hardening.Hardening
"""
import codecs
import io
import json
import re
import urllib.parse

from werkzeug.exceptions import (
    BadRequest, HTTPException, NotFound, RequestEntityTooLarge, Unauthorized,
    UnsupportedMediaType)
from werkzeug.http import parse_cookie

RPC_PATH = re.compile(r'^/([^/]+/)?rpc/$')
SESSION_PATH = re.compile(r'^/[^/]+/session/log(in|out)$')
LOGIN_PATH = re.compile(r'^/[^/]+/session/login$')
DATA_PATH = re.compile(r'^/([^/]+)/data/([^/]+)$')
BUS_PATH = re.compile(r'^/[^/]+/bus$')
# A host name, IPv4 or [IPv6] address and an optional port: no user
# info, path or spaces that would end up in a URL built from it
HOST = re.compile(r'(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|'
    r'\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?')
# A kind (model, wizard, common...), dotted names (with - in those of
# relation models) and the method
METHOD = re.compile(r'[A-Za-z_]+(?:\.[A-Za-z0-9_-]+){1,12}')
MAX_ID = 2 ** 63
MAX_ID_TEXT = 256
# The calls trytond answers itself, by their parameters' types (a tuple
# with OPTIONAL for an optional one, None for any parameters); the others
# go to the models, whose RPC declarations convert their parameters
OPTIONAL = object()
SIGNATURES = {
    'common.db.login': (str, dict, (str, type(None), OPTIONAL)),
    'common.db.logout': (),
    'common.db.reset_password': (str, (str, type(None), OPTIONAL)),
    'system.listMethods': (),
    'system.methodHelp': (),
    'system.methodSignature': None,  # any parameters
    'common.server.version': None,
    'common.db.list': None,
    'common.authentication.services': (),
    }
# Those of /rpc/ without a database
ROOT_METHODS = {
    'common.server.version', 'common.db.list',
    'common.authentication.services'}
# The encodings of /<db>/data/<model> that can write any text: another
# one fails on the first character it lacks (a Chinese name in latin-1)
DATA_ENCODINGS = {'utf-8', 'utf-8-sig', 'utf-16', 'utf-32', 'gb18030'}
DATA_INTEGERS = ['s', 'p', 'h', 'loc']
LANGUAGE = re.compile(r'[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})?(?:@\w+)?')
MAX_BODY = 64 * 1024 * 1024  # above [request] max_size: trytond refuses it


def _body(environ, limit=MAX_BODY):
    "The request body, put back for the application, or None when too big"
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        raise BadRequest()
    if length < 0:
        raise BadRequest()
    if length > limit:
        return None
    body = environ['wsgi.input'].read(length) if length else b''
    environ['wsgi.input'] = io.BytesIO(body)
    return body


def check_nul(environ):
    """NUL characters in the URL or a form body: no text field holds them
    and PostgreSQL refuses them with an error"""
    url = environ.get('PATH_INFO', '') + environ.get('QUERY_STRING', '')
    if '\x00' in url or '%00' in url:
        raise BadRequest()
    if 'application/x-www-form-urlencoded' in environ.get(
            'CONTENT_TYPE', ''):
        body = _body(environ, 1024 * 1024)
        if body is not None and (b'%00' in body or b'\x00' in body):
            raise BadRequest()


def check_host(environ):
    """A Host header that is no host[:port]: trytond copies it into the
    URLs it builds (http_host) and the Origin check compares with it"""
    host = environ.get('HTTP_HOST')
    if host is not None and not HOST.fullmatch(host):
        raise BadRequest()


def _check_id(value):
    if value is None or (type(value) is int and abs(value) < MAX_ID):
        return
    if isinstance(value, str) and len(value) <= MAX_ID_TEXT:
        return
    raise BadRequest()


def _check_params(method, params):
    "The parameters of the calls trytond answers without conversion"
    signature = SIGNATURES.get(method, ())
    if method not in SIGNATURES or signature is None:
        return
    required = [t for t in signature
        if not (isinstance(t, tuple) and OPTIONAL in t)]
    if not len(required) <= len(params) <= len(signature):
        raise BadRequest()
    for types, value in zip(signature, params):
        types = tuple(t for t in (
                types if isinstance(types, tuple) else (types,))
            if t is not OPTIONAL)
        if not isinstance(value, types):
            raise BadRequest()


def check_session_cookie(environ):
    "The cookie of a cookie session: login:user id:token"
    cookie = parse_cookie(environ).get('tryton_session')
    if cookie is None:
        raise Unauthorized()
    parts = cookie.rsplit(':', 2)
    if len(parts) != 3 or not re.fullmatch(r'\d{1,18}', parts[1]):
        raise BadRequest()


def check_rpc(environ):
    """A JSON-RPC call: an object with the id, a method name and a list
    of parameters (trytond answered 500 to a null or numeric method, to
    params that are no list and to calls of the database-less /rpc/ it
    does not know)"""
    path = environ.get('PATH_INFO', '')
    if environ.get('REQUEST_METHOD') != 'POST' or not (
            RPC_PATH.match(path) or SESSION_PATH.match(path)):
        return
    content_type = environ.get('CONTENT_TYPE', '')
    if 'json' not in content_type:
        if 'xml' in content_type and RPC_PATH.match(path):
            return  # XML-RPC: trytond's parser refuses what it cannot read
        raise UnsupportedMediaType()
    body = _body(environ)
    if body is None:
        raise RequestEntityTooLarge()
    if SESSION_PATH.match(path) and not LOGIN_PATH.match(path):
        check_session_cookie(environ)  # the logout reads it only
        return
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest()
    if not isinstance(data, dict):
        raise BadRequest()
    if LOGIN_PATH.match(path):
        # The cookie login reads its params only
        method, keys = 'common.db.login', set(data) | {'id', 'method'}
    else:
        method, keys = data.get('method'), set(data)
    params = data.get('params')
    # The whole envelope: trytond answers an error of a call without one
    # of the three keys with a bare 500 instead of a JSON-RPC error
    if (keys != {'id', 'method', 'params'}
            or not isinstance(method, str) or not METHOD.fullmatch(method)
            or not isinstance(params, list)):
        raise BadRequest()
    _check_id(data.get('id'))
    if path == '/rpc/' and method not in ROOT_METHODS:
        raise BadRequest()
    _check_params(method, params)


def _stores_records(database, model):
    """Whether model of a loaded database keeps records (a wizard's form
    or a report's context does not: their export failed); None when the
    database or the model is unknown here, which trytond answers"""
    from trytond.model import ModelStorage
    from trytond.pool import Pool
    if database not in Pool.database_list():
        return None
    try:
        Model = Pool(database).get(model)
    except KeyError:
        return None
    return issubclass(Model, ModelStorage)


def check_data(environ):
    """The export route /<db>/data/<model>: a model that keeps records,
    its parameters' shapes (trytond answered 500 to an unknown encoding, a
    delimiter or quote of several characters, a context that is not a
    JSON object, the model of a wizard's form)"""
    match = DATA_PATH.match(environ.get('PATH_INFO', ''))
    if not match:
        return
    database, model = match.groups()
    if _stores_records(database, model) is False:
        raise NotFound()
    args = urllib.parse.parse_qs(
        environ.get('QUERY_STRING', ''), keep_blank_values=True)

    def one(name, default=None):
        values = args.get(name, [])
        if len(values) > 1:
            raise BadRequest()
        return values[0] if values else default

    try:
        encoding = codecs.lookup(one('enc', 'utf-8')).name
    except LookupError:
        raise BadRequest()
    if encoding not in DATA_ENCODINGS:
        raise BadRequest()
    for name in ['dl', 'qc']:
        if len(one(name, ',')) != 1:
            raise BadRequest()
    for name in DATA_INTEGERS:
        # Natural numbers: a negative limit or offset is an SQL error
        value = one(name)
        if value is not None and not re.fullmatch(r'\d{1,9}', value):
            raise BadRequest()
    try:
        domain = json.loads(one('d', '[]'))
        context = json.loads(one('c', '{}'))
    except (ValueError, RecursionError):
        raise BadRequest()
    if not isinstance(domain, list) or not isinstance(context, dict):
        raise BadRequest()
    for language in [one('l'), context.get('language')]:
        # ir.lang looks the code up: a number failed there
        if language is not None and not (isinstance(language, str)
                and LANGUAGE.fullmatch(language)):
            raise BadRequest()
    if domain and isinstance(domain[0], (int, float)) and not all(
            type(i) is int and 0 < i < MAX_ID for i in domain):
        raise BadRequest()  # a list of ids
    for value in args.get('f', []) + args.get('o', []):
        if not re.fullmatch(r'[A-Za-z0-9_.:/]+(,(ASC|DESC)( NULLS '
                r'(FIRST|LAST))?)?', value, re.IGNORECASE):
            raise BadRequest()


def check_bus(environ):
    """The notification bus /<db>/bus: absent while [bus] allow_subscribe
    is off (trytond answered 501), else a JSON object with a list of
    channels (another JSON value failed there)"""
    from trytond import config
    if not BUS_PATH.match(environ.get('PATH_INFO', '')):
        return
    if not config.getboolean('bus', 'allow_subscribe', default=False):
        raise NotFound()
    body = _body(environ, 64 * 1024)
    try:
        data = json.loads(body) if body is not None else None
    except (ValueError, RecursionError):
        raise BadRequest()
    if not isinstance(data, dict) or not isinstance(
            data.get('channels', []), list):
        raise BadRequest()


CHECKS = [check_nul, check_host, check_rpc, check_data, check_bus]


class Hardening:
    "Refuse malformed requests with a 4xx, pass the others to app"

    def __init__(self, app, checks=CHECKS):
        self.app = app
        self.checks = checks

    def __call__(self, environ, start_response):
        try:
            for check in self.checks:
                check(environ)
        except HTTPException as refusal:
            return refusal(environ, start_response)
        try:
            return self.app(environ, start_response)
        except HTTPException as refusal:
            # Trytond raises some refusals where nothing turns them into
            # an answer (a request from a foreign Origin: 403)
            return refusal(environ, start_response)
