# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Web plumbing of the H5 pages: Jinja2 with autoescape, sessions of
WeChat users, CSRF tokens, strict security headers and throttles.

Module-local until marcier_mall's plumbing lands; then the pages switch to
it and this file goes."""
import functools
import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import HTTPException

from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus, Response, abort

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / 'templates'
SESSION_COOKIE = 'marcier_wechat'
SESSION_TTL = 7 * 24 * 60 * 60
CSP = ("default-src 'none'; script-src 'self' https://res.wx.qq.com; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self' {oauth}; frame-ancestors 'none'; base-uri 'none'")
WECHAT_AGENT = 'MicroMessenger'

jinja = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True, lstrip_blocks=True)


def activated_pool(database_name):
    """The pool of a database this server has loaded with marcier_wechat
    activated; 404 otherwise (an anonymous request never opens databases)"""
    if database_name not in Pool.database_list():
        abort(HTTPStatus.NOT_FOUND)
    pool = Pool(database_name)
    try:
        pool.get('wechat.account')
    except KeyError:
        abort(HTTPStatus.NOT_FOUND)
    return pool


def in_wechat(request):
    return WECHAT_AGENT in request.headers.get('User-Agent', '')


def secure_headers(response, oauth=''):
    response.headers['Content-Security-Policy'] = CSP.format(oauth=oauth)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers['Referrer-Policy'] = 'same-origin'
    response.headers['Cache-Control'] = 'no-store'
    return response


def render(request, template, status=200, **values):
    html = jinja.get_template(template).render(
        wechat=in_wechat(request), request=request, **values)
    return secure_headers(Response(
            html, status=status, content_type='text/html; charset=utf-8'))


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Session:
    "The H5 session of a WeChat user, kept in wechat.store"

    def __init__(self, token, user_id):
        self.token = token
        self.user_id = user_id

    @property
    def csrf(self):
        return hmac.new(self.token.encode(), b'csrf', 'sha256').hexdigest()

    def check_csrf(self, request):
        sent = request.form.get('csrf', '')
        if not hmac.compare_digest(sent, self.csrf):
            abort(HTTPStatus.FORBIDDEN)

    @classmethod
    def load(cls, request):
        Store = Pool().get('wechat.store')
        token = request.cookies.get(SESSION_COOKIE, '')
        if token:
            user_id = Store.get(f'session:{_digest(token)}')
            if user_id:
                return cls(token, user_id)

    @classmethod
    def open(cls, user):
        Store = Pool().get('wechat.store')
        token = secrets.token_urlsafe(32)
        Store.set(f'session:{_digest(token)}', user.id, SESSION_TTL)
        return cls(token, user.id)

    def set_cookie(self, request, response, path):
        response.set_cookie(SESSION_COOKIE, self.token, max_age=SESSION_TTL,
            path=path, httponly=True, samesite='Lax',
            secure=request.scheme == 'https')


def throttle(key, limit, window):
    "Abort with 429 when key saw more than limit hits in window seconds"
    Store = Pool().get('wechat.store')
    if Store.hit(f'throttle:{key}', window) > limit:
        abort(HTTPStatus.TOO_MANY_REQUESTS)


def guarded(func):
    """Errors as plain pages: never a stack trace, user errors shown"""
    from trytond.exceptions import UserError

    @functools.wraps(func)
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except HTTPException as exception:
            if exception.code in {301, 302, 303, 307, 308}:
                raise
            return render(request, 'error.html', status=exception.code,
                code=exception.code, message=exception.name)
        except UserError as exception:
            return render(request, 'error.html', status=400, code=400,
                message=exception.message)
        except Exception:
            logger.exception("H5 page %s", request.path)
            return render(request, 'error.html', status=500, code=500,
                message="Internal error")
    return wrapper
