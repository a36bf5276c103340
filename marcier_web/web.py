# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The one layer of Marcier's public pages (the mall, the WeChat H5 pages):

- ``page()`` declares a page on trytond's ``with_pool`` and
  ``with_transaction`` (as user 0: filter what is public yourself): it
  limits the request body, answers errors with a page and never a stack
  trace, and adds the security headers (strict CSP: no inline script or
  style; a page may allow more sources);
- ``render()`` fills a Jinja2 template (auto-escaped) of the registered
  folders, with the layout ('pc' or 'mobile') chosen from the user agent,
  in the request's language (i18n.py: gettext, prices, dates);
- ``csrf_field()``/``check_csrf()`` put and check a signed double-submit
  token on every form;
- ``check_throttle()``/``count_attempt()`` limit a client's attempts at
  an action, counted in the database (throttle.py) so that every server
  process counts the same.

Settings, in the [marcier] section of trytond.conf: ``database`` (the
database of the pages whose URL names none; set by ``marcier serve``),
``web_secret`` (signs the form tokens; set it when several servers run),
``web_max_body`` (bytes of a form post).
"""
import functools
import hashlib
import hmac
import logging
import re
import secrets
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from werkzeug.exceptions import HTTPException

from trytond import backend, config
from trytond.exceptions import UserError, UserWarning
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    Response, abort, set_max_request_size, with_pool, with_transaction)
from trytond.transaction import Transaction

from . import i18n
from .i18n import N_

logger = logging.getLogger(__name__)

CSRF_COOKIE = 'marcier_csrf'
CSRF_FIELD = 'csrf_token'
# Generated at import, before the server forks its workers, when the
# configuration has none: the workers of one server share it
_SECRET = (config.get('marcier', 'web_secret', default=None)
    or secrets.token_hex(32)).encode()
MOBILE_AGENTS = re.compile(
    r'Mobile|Android|iPhone|iPod|MicroMessenger|HarmonyOS', re.I)
# Nothing inline, nothing from elsewhere: a page adds the sources it needs
CSP = {
    'default-src': "'none'",
    'img-src': "'self'",
    'style-src': "'self'",
    'form-action': "'self'",
    'base-uri': "'none'",
    'frame-ancestors': "'none'",
    }
SECURITY_HEADERS = {
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    }
ERRORS = {
    400: N_("The request could not be understood."),
    403: N_("This form has expired: reload the page and send it again."),
    404: N_("This page does not exist, or the offer is no longer listed."),
    405: N_("This address does not accept that request."),
    413: N_("What you sent is too big."),
    429: N_("Too many requests from your network: please try again later."),
    500: N_("Something went wrong on our side. Please try again later."),
    503: N_("The service is busy. Please try again in a moment."),
    }

_folders = [Path(__file__).parent / 'templates']
environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_folders),
    autoescape=True,  # every template: they all are HTML
    trim_blocks=True, lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
    extensions=['jinja2.ext.i18n'])
environment.policies['ext.i18n.trimmed'] = True
# In the language of the request being served (i18n.activate)
environment.install_gettext_callables(
    lambda message: i18n.translations(i18n.current()).gettext(message),
    lambda singular, plural, number: i18n.translations(
        i18n.current()).ngettext(singular, plural, number),
    newstyle=True)


def with_query(path, params, **changes):
    "path with the non-empty params, some of them changed"
    defaults = {'tab': 'all', 'page': 1}
    query = {k: v for k, v in {**params, **changes}.items()
        if v not in (None, '') and defaults.get(k) != v}
    return path + ('?' + urlencode(query) if query else '')


environment.filters['money'] = i18n.money
environment.filters['date'] = i18n.date
environment.filters['datetime'] = i18n.datetime
environment.globals['with_query'] = with_query


def add_template_folder(folder):
    """Let a module add or override templates: its folder comes first"""
    _folders.insert(0, Path(folder))
    environment.loader = jinja2.FileSystemLoader(_folders)


def content_security_policy(**sources):
    """The strict policy with the sources of some directives replaced, e.g.
    script_src="'self'" for script-src"""
    policy = {'default-src': CSP['default-src'],
        **{name.replace('_', '-'): value for name, value in sources.items()}}
    for name, value in CSP.items():
        policy.setdefault(name, value)
    return '; '.join(f'{name} {value}' for name, value in policy.items())


POLICY = content_security_policy()


def database_name():
    return config.get('marcier', 'database', default=None)


def layout(request):
    "The page layout the client gets: 'mobile' for phones and WeChat"
    if MOBILE_AGENTS.search(request.headers.get('User-Agent', '')):
        return 'mobile'
    return 'pc'


def client_address(request):
    "The address a throttle counts (the proxy's view when [web] num_proxies)"
    return request.remote_addr or 'unknown'


def secure(response, policy=POLICY):
    "response with the security headers, policy its Content-Security-Policy"
    response.headers.setdefault('Content-Security-Policy', policy)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _sign(value):
    return hmac.new(_SECRET, value.encode(), hashlib.sha256).hexdigest()


def sign(purpose, value):
    """The signature of value for purpose (e.g. a picture's grant); the
    purpose keeps it from passing for a form token or another grant"""
    return _sign(f'{purpose}:{value}')


def csrf_field(request):
    """The signed token of the form and the cookie value it pairs with;
    render() sets the cookie when the client has none yet"""
    cookie = request.cookies.get(CSRF_COOKIE, '')
    if not re.fullmatch(r'[A-Za-z0-9_-]{32,64}', cookie):
        cookie = secrets.token_urlsafe(32)
    request.environ['marcier.csrf_cookie'] = cookie
    return _sign(cookie)


def check_csrf(request):
    "Refuse a form whose token does not match the client's cookie"
    cookie = request.cookies.get(CSRF_COOKIE, '')
    token = request.form.get(CSRF_FIELD, '')
    if not cookie or not hmac.compare_digest(_sign(cookie), token):
        abort(HTTPStatus.FORBIDDEN)


def check_throttle(action, request, limit, window):
    """Abort with 429 when the client made limit attempts at action in
    the last window seconds"""
    Attempt = Pool().get('web.client.attempt')
    if not Attempt.allowed(action, client_address(request), limit, window):
        abort(HTTPStatus.TOO_MANY_REQUESTS)


def count_attempt(action, request):
    "Count an attempt of the client at action (e.g. a form it sent)"
    Pool().get('web.client.attempt').record(action, client_address(request))


def throttle(action, client, limit, window):
    """Count an attempt of client (any key: an address, a user, a mobile
    number) at action; 429 past limit in window seconds"""
    Attempt = Pool().get('web.client.attempt')
    if not Attempt.allowed(action, client, limit, window):
        abort(HTTPStatus.TOO_MANY_REQUESTS)
    Attempt.record(action, client)


def language_links(request):
    "The switch link of each language, named in that language"
    return [{'code': language, 'tag': i18n.html_lang(language),
            'name': i18n.babel_locale(language).language_name,
            'url': with_query(request.path, request.args, lang=language)}
        for language in i18n.LANGUAGES]


def render_html(request, template, **values):
    "The HTML text of template for request, in the current language"
    values.setdefault('layout', layout(request))
    values.setdefault('base_url', request.script_root)
    values.setdefault('language', i18n.current())
    values.setdefault('html_lang', i18n.html_lang())
    values.setdefault('language_links', language_links(request))
    return environment.get_template(template).render(**values)


def render(request, template, status=200, cache=None, **values):
    "A secure HTML response of template"
    return html_response(
        request, render_html(request, template, **values), status, cache)


def html_response(request, text, status=200, cache=None):
    response = Response(text, status=status, content_type='text/html; '
        'charset=utf-8')
    # Pages vary with the client's layout and language; forms carry the
    # client's token
    response.headers['Vary'] = 'User-Agent, Accept-Language, Cookie'
    i18n.remember(request, response)
    response.headers['Cache-Control'] = cache or 'no-store'
    if cookie := request.environ.get('marcier.csrf_cookie'):
        if cookie != request.cookies.get(CSRF_COOKIE):
            response.set_cookie(CSRF_COOKIE, cookie, httponly=True,
                samesite='Strict', secure=request.scheme == 'https',
                path=request.script_root + '/')
    return response


def error_page(request, status):
    "The page of an error status, in the request's language, no details"
    message = i18n._(ERRORS.get(status, ERRORS[500]))
    try:
        return render(request, 'error.html', status=status, code=status,
            message=message)
    except Exception:
        logger.exception("error page failed")
        return Response(message, status=status,
            content_type='text/plain; charset=utf-8')


def _error_status(request, exception):
    """The status of the error page of exception, logged; with_pool turns
    a failure into an error carrying the exception as its description"""
    cause = exception.description
    if isinstance(cause, backend.DatabaseOperationalError):
        logger.warning("database busy for %s", request.path, exc_info=cause)
        return HTTPStatus.SERVICE_UNAVAILABLE
    if isinstance(cause, (UserError, UserWarning)):
        # e.g. WeChat refusing an authorisation code
        logger.info("public page %s refused", request.path, exc_info=cause)
    elif isinstance(cause, Exception):
        logger.error("public page %s failed", request.path, exc_info=cause)
    return exception.code or HTTPStatus.INTERNAL_SERVER_ERROR


def served_pool(database_name, model=None):
    """The pool of a database named in a URL: one this server has loaded,
    with model (its module activated); 404 otherwise, as an anonymous
    request never makes the server open a database"""
    if database_name not in Pool.database_list():
        abort(HTTPStatus.NOT_FOUND)
    pool = Pool(database_name)
    _require(pool, model)
    return pool


def _require(pool, model):
    if model:
        try:
            pool.get(model)
        except KeyError:
            abort(HTTPStatus.NOT_FOUND)


def page(rule, methods=('GET',), model=None, max_body=None, readonly=None,
        **sources):
    """Declare a public page, served as user 0 once model is in the pool
    (its module may not be activated) in the database the rule names
    (<database_name>, see served_pool) or else the configured one, which
    the server opens.  The transaction is readonly for GET unless readonly
    says; sources are added to the CSP (script_src=...)."""
    from trytond.wsgi import app
    policy = content_security_policy(**sources)
    named = '<database_name>' in rule

    def decorator(func):
        @with_pool
        @with_transaction(readonly=readonly)
        def serve(request, pool, **kwargs):
            _require(pool, model)
            with Transaction().set_context(language=i18n.current()):
                return func(request, **kwargs)

        @functools.wraps(func)
        def wrapper(request, **kwargs):
            try:
                i18n.activate(i18n.choose(request))
                if named:
                    served_pool(kwargs['database_name'])
                else:
                    kwargs['database_name'] = database_name()
                    if not kwargs['database_name']:
                        abort(HTTPStatus.NOT_FOUND)
                response = serve(request, **kwargs)
            except HTTPException as exception:
                response = error_page(request,
                    _error_status(request, exception))
            except Exception as exception:
                # Before with_pool (e.g. the database list), or raised by
                # a JSON request's body, which with_pool lets through
                error = HTTPException(description=exception)
                response = error_page(request, _error_status(request, error))
            return secure(response, policy)
        set_max_request_size(max_body or config.getint(
                'marcier', 'web_max_body', default=64 * 1024))(wrapper)
        app.route(rule, methods=set(methods))(wrapper)
        return wrapper
    return decorator
