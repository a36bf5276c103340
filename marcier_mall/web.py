# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Plumbing of Marcier's public pages, shared by the mall and the modules
that reuse its templates (e.g. WeChat H5 pages):

- ``page()`` declares a route of the configured database: it opens the
  transaction (as user 0: filter what is public yourself), limits the
  request body, answers errors with a page and never a stack trace, and
  adds the security headers (strict CSP: no inline script or style);
- ``render()`` fills a Jinja2 template (auto-escaped) of the registered
  folders, with the layout ('pc' or 'mobile') chosen from the user agent,
  in the request's language (i18n.py: gettext, prices, dates);
- ``csrf_field()``/``check_csrf()`` put and check a signed double-submit
  token on every form;
- ``check_throttle()``/``count_attempt()`` limit a client's attempts at
  an action.

Settings, in the [marcier] section of trytond.conf: ``database`` (set by
``marcier serve``), ``web_secret`` (signs the form tokens; set it when
several server processes run), ``web_max_body`` (bytes of a form post).
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
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
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
CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    'Content-Security-Policy': CSP,
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
STATIC = Path(__file__).parent / 'static'
# The one stylesheet, its URL versioned by its content for long caching
STYLESHEET = 'mall.css'
STYLE_VERSION = hashlib.sha256(
    (STATIC / STYLESHEET).read_bytes()).hexdigest()[:12]
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
environment.globals['stylesheet'] = (
    f'/mall/static/{STYLESHEET}?v={STYLE_VERSION}')


def add_template_folder(folder):
    """Let a module add or override templates: its folder comes first"""
    _folders.insert(0, Path(folder))
    environment.loader = jinja2.FileSystemLoader(_folders)


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


def secure(response):
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
    Attempt = Pool().get('mall.client.attempt')
    if not Attempt.allowed(action, client_address(request), limit, window):
        abort(HTTPStatus.TOO_MANY_REQUESTS)


def count_attempt(action, request):
    "Count an attempt of the client at action (e.g. a form it sent)"
    Pool().get('mall.client.attempt').record(action, client_address(request))


class PageError(HTTPException):
    pass


def abort(status):
    error = PageError()
    error.code = int(status)
    raise error


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
    return secure(response)


def error_page(request, status):
    try:
        return render(request, 'error.html', status=status,
            code=status, message=i18n._(ERRORS.get(status, ERRORS[500])))
    except Exception:
        logger.exception("error page failed")
        return secure(Response(
                i18n._(ERRORS.get(status, ERRORS[500])), status=status,
                content_type='text/plain; charset=utf-8'))


def page(rule, methods=('GET',), model=None, max_body=None):
    """Declare a public page of the configured database, served as user 0
    once model is in its pool (the module may not be activated)"""
    from trytond.wsgi import app

    def decorator(func):
        @functools.wraps(func)
        def wrapper(request, **kwargs):
            try:
                language = i18n.activate(i18n.choose(request))
                pool = _pool(model)
                readonly = request.method not in {'POST', 'PUT', 'DELETE'}
                with Transaction().start(pool.database_name, 0,
                        readonly=readonly,
                        context={'language': language}) as t:
                    response = func(request, **kwargs)
                    if not readonly:
                        t.commit()
                return secure(response)
            except HTTPException as exception:
                return error_page(request, exception.code or 500)
            except backend.DatabaseOperationalError:
                logger.warning("database busy for %s", request.path,
                    exc_info=True)
                return error_page(request, 503)
            except Exception:
                logger.exception("public page %s failed", request.path)
                return error_page(request, 500)
        wrapper.max_request_size = max_body or config.getint(
            'marcier', 'web_max_body', default=64 * 1024)
        app.route(rule, methods=set(methods))(wrapper)
        return wrapper
    return decorator


def _pool(model):
    name = database_name()
    if not name:
        abort(HTTPStatus.NOT_FOUND)
    if name not in Pool.database_list():
        # The server's own database ([marcier] database), never one named
        # by the client
        with Transaction().start(name, 0, readonly=True):
            Pool(name).init()
    pool = Pool(name)
    if model:
        try:
            pool.get(model)
        except KeyError:
            abort(HTTPStatus.NOT_FOUND)
    return pool
