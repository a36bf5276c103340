# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The H5 pages the official account's menu opens: sign-in through
WeChat's web authorisation, binding a mobile number, my vehicles, my
repair work orders and the personal centre.

Every page reads only the signed-in user's records: ids of others answer
404.  Pages run as user 0 (no access rules), hence the explicit filters.
"""
import functools
import hashlib
import logging
import secrets
import time
import urllib.parse
from pathlib import Path

from werkzeug.utils import redirect, send_from_directory

from marcier_web import i18n, web
from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus, Response
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import images, renter_pages
from .repair import MAX_PHOTOS

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / 'static'
TEMPLATES = Path(__file__).parent / 'templates'
OAUTH_TTL = 10 * 60
MAX_UPLOAD = MAX_PHOTOS * images.MAX_BYTES + 256 * 1024
SESSION_COOKIE = 'marcier_wechat'
SESSION_TTL = 7 * 24 * 60 * 60
# The strict policy, plus this module's script (and WeChat's JS-SDK)
SOURCES = {'script_src': "'self' https://res.wx.qq.com",
    'connect_src': "'self'"}
WECHAT_AGENT = 'MicroMessenger'

web.add_template_folder(TEMPLATES)
i18n.add_catalogue(Path(__file__).parent / 'web_locale')


def activated_pool(database_name):
    """The pool of a database this server has loaded with marcier_wechat
    activated; 404 otherwise (an anonymous request never opens databases)"""
    return web.served_pool(database_name, 'wechat.account')


def in_wechat(request):
    return WECHAT_AGENT in request.headers.get('User-Agent', '')


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Session:
    "The H5 session of a WeChat user, kept in wechat.store"

    def __init__(self, token, user_id):
        self.token = token
        self.user_id = user_id

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


class Page:
    "What a page handler works with"

    def __init__(self, request, account, user):
        self.request = request
        self.account = account
        self.user = user
        self.database = Transaction().database.name
        self.base = f'/{self.database}/wechat/{account.app_id}/h5/'

    def url(self, path=''):
        return self.base + str(path)

    def render(self, template, status=200, **values):
        values.setdefault('error', None)
        return web.render(self.request, template, status=status,
            page=self, user=self.user,
            csrf_name=web.CSRF_FIELD,
            csrf_token=web.csrf_field(self.request), **values)

    def redirect(self, path):
        return redirect(self.url(path), code=303)


def page(path, methods=('GET',), login=True, max_size=None):
    """An H5 page of the account app_id: a public page (marcier_web) in a
    writable transaction (sign-in and sessions write on GET)"""
    def decorator(func):
        @web.page(f'/<database_name>/wechat/<app_id>/h5/{path}', methods,
            model='wechat.account', max_body=max_size, readonly=False,
            **SOURCES)
        @functools.wraps(func)
        def wrapper(request, app_id, **kwargs):
            return _serve(request, app_id, login, func, kwargs)
        return wrapper
    return decorator


def _serve(request, app_id, login, func, kwargs):
    pool = Pool()
    account = pool.get('wechat.account').by_app_id(app_id)
    if not account:
        web.abort(HTTPStatus.NOT_FOUND)
    with Transaction().set_context(company=account.company.id):
        session, user = Session.load(request), None
        if session:
            user = pool.get('wechat.user')(session.user_id)
            if user.account != account:
                user = None
        # The language WeChat gives for the user, unless switched
        language = i18n.activate(
            i18n.choose(request, user.language if user else None))
        with Transaction().set_context(language=language):
            if user:
                user = pool.get('wechat.user')(user.id)
            context = Page(request, account, user)
            if login and not user:
                return redirect(context.url('login?' + urllib.parse.urlencode(
                            {'next': request.full_path})))
            if request.method == 'POST':
                web.check_csrf(request)
            return func(context, **kwargs)


# Sign in: snsapi_base gives the openid silently, snsapi_userinfo (asked
# once) the nickname and avatar

def _authorize(context, scope, next_):
    Store = Pool().get('wechat.store')
    state = secrets.token_urlsafe(16)
    Store.set(f'oauth:{state}', {'next': next_}, OAUTH_TTL)
    # From the account's public URL only: the request's Host header is the
    # client's to forge, and WeChat would send the code to that host
    callback = context.account.page_url('oauth')
    if not callback:
        logger.warning("WeChat account %s has no public URL: no sign-in",
            context.account.app_id)
        web.abort(HTTPStatus.SERVICE_UNAVAILABLE)
    return redirect(context.account.oauth(
            callback, scope=scope, state=state).authorize_url)


def _safe_next(context, next_):
    "Only back to one of our pages: no open redirect"
    if next_ and next_.startswith(context.base) and '//' not in next_:
        return next_
    return context.url('')


@page('login', login=False)
def login(context):
    return _authorize(context, 'snsapi_base',
        _safe_next(context, context.request.args.get('next')))


@page('oauth', login=False)
def oauth(context):
    pool = Pool()
    Store = pool.get('wechat.store')
    User = pool.get('wechat.user')
    args = context.request.args
    state = args.get('state', '')
    pending = Store.get(f'oauth:{state}') if state else None
    if not pending or not args.get('code'):
        web.abort(HTTPStatus.FORBIDDEN)
    Store.delete_key(f'oauth:{state}')
    auth = context.account.oauth('')
    token = context.account.call(lambda c: auth.fetch_access_token(
            args['code']))
    user = User.get_or_create(context.account, token['openid'])
    if 'snsapi_userinfo' in token.get('scope', ''):
        info = context.account.call(lambda c: auth.get_user_info())
        User.write([user], {
                'nickname': (info.get('nickname') or '')[:64] or None,
                'avatar': (info.get('headimgurl') or '')[:500] or None,
                'language': (info.get('language') or '')[:10] or None,
                })
    elif not user.nickname:
        return _authorize(context, 'snsapi_userinfo', pending['next'])
    session = Session.open(user)
    response = redirect(pending['next'], code=303)
    session.set_cookie(context.request, response, context.base)
    return response


@page('')
def home(context):
    return context.render('wechat_home.html')


@page('bind', methods=('GET', 'POST'))
def bind(context):
    from .exceptions import RegistrationError
    pool = Pool()
    Agent = pool.get('marcier.agent')
    request = context.request
    user = context.user
    agents = Agent.search([
            ('company', '=', context.account.company.id),
            ('active', '=', True)])
    values = {'mobile': request.form.get('mobile', user.mobile or ''),
        'name': request.form.get('name', ''),
        'agent': request.form.get('agent', '')}
    message = error = None
    if request.method == 'POST':
        try:
            if request.form.get('action') == 'send':
                web.throttle('wechat-code-minute', f'user:{user.id}', 1, 60)
                web.throttle('wechat-code-user', f'user:{user.id}', 5, 3600)
                web.throttle('wechat-code-ip', web.client_address(request), 20,
                    3600)
                mobile = user.request_code(values['mobile'])
                web.throttle('wechat-code-mobile', mobile, 5, 3600)
                message = 'sent'
            else:
                agent = {str(a.id): a for a in agents}.get(values['agent'])
                user.bind(request.form.get('code'), values['name'], agent)
                return context.redirect('me')
        except RegistrationError as exception:
            # The pending code and its attempts must stay: commit them
            Transaction().commit()
            error = exception.message
    return context.render('wechat_bind.html', agents=agents, values=values,
        message=message, error=error,
        status=400 if error else 200)


def _my_vehicles(context, domain=None):
    Vehicle = Pool().get('device.vehicle')
    if not context.user.bound:
        return []
    return Vehicle.search([
            ('company', '=', context.account.company.id),
            ('customer', '=', context.user.party.id),
            *(domain or [])])


def _my_vehicle(context, vehicle_id):
    vehicles = _my_vehicles(context, [('id', '=', vehicle_id)])
    if not vehicles:
        web.abort(HTTPStatus.NOT_FOUND)
    return vehicles[0]


def _my_repairs(context, domain=None):
    Repair = Pool().get('device.repair')
    if not context.user.bound:
        return []
    return Repair.search([
            ('company', '=', context.account.company.id),
            ('customer', '=', context.user.party.id),
            *(domain or [])])


def _my_repair(context, repair_id):
    repairs = _my_repairs(context, [('id', '=', repair_id)])
    if not repairs:
        web.abort(HTTPStatus.NOT_FOUND)
    return repairs[0]


@page('me')
def me(context):
    return context.render('wechat_me.html', vehicles=_my_vehicles(context),
        repairs=_my_repairs(context))


@page('me/account', methods=('GET', 'POST'))
def my_account(context):
    "The personal centre's name, mobile number and password (D4)"
    renter = context.user.renter()
    if not renter:
        return context.redirect('bind')
    response, values = renter_pages.handle(
        context.request, renter, context.url('me/account'))
    return response or context.render('wechat_account.html', **values)


@page('vehicles')
def vehicles(context):
    return context.render('wechat_vehicles.html', vehicles=_my_vehicles(context))


@page('vehicles/<int:vehicle_id>')
def vehicle(context, vehicle_id):
    vehicle = _my_vehicle(context, vehicle_id)
    return context.render('wechat_vehicle.html', vehicle=vehicle,
        repairs=_my_repairs(context, [('vehicle', '=', vehicle.id)]))


@page('repairs')
def repairs(context):
    return context.render('wechat_repairs.html', repairs=_my_repairs(context))


def _jssdk(context):
    "The signed wx.config of the JS-SDK, inside WeChat only"
    if not in_wechat(context.request):
        return None
    account = context.account
    nonce = secrets.token_hex(8)
    timestamp = int(time.time())
    url = context.request.url.split('#')[0]
    try:
        ticket = account.call(lambda c: c.jsapi.get_jsapi_ticket())
    except Exception:
        return None  # the page works without location
    signature = account.client().jsapi.get_jsapi_signature(
        nonce, ticket, timestamp, url)
    return {'appid': account.app_id, 'timestamp': timestamp,
        'nonce': nonce, 'signature': signature}


@page('repairs/new', methods=('GET', 'POST'), max_size=MAX_UPLOAD)
def repair_new(context):
    from .exceptions import RepairError
    pool = Pool()
    Repair = pool.get('device.repair')
    request = context.request
    vehicles = _my_vehicles(context, [('status', 'in', ['rented'])])
    error = None
    form = request.form
    if request.method == 'POST':
        vehicle = _my_vehicle(context, _int(form.get('vehicle')))
        uploads = [f for f in request.files.getlist('photos') if f.filename]
        try:
            if len(uploads) > MAX_PHOTOS:
                raise RepairError(gettext(
                        'marcier_wechat.msg_repair_photos', count=MAX_PHOTOS))
            photos = []
            for upload in uploads:
                image, thumbnail, content_type = images.clean(
                    upload.read(images.MAX_BYTES + 1), upload.filename)
                photos.append({'image': image, 'thumbnail': thumbnail,
                        'content_type': content_type})
            repair, = Repair.create([{
                        'vehicle': vehicle.id,
                        'customer': context.user.party.id,
                        'wechat_user': context.user.id,
                        'description': (form.get('description') or '').strip(),
                        'latitude': _coordinate(form.get('latitude'), 90),
                        'longitude': _coordinate(form.get('longitude'), 180),
                        'photos': [('create', photos)],
                        }])
        except RepairError as exception:
            Transaction().rollback()
            error = exception.message
        else:
            return context.redirect(f'repairs/{repair.id}')
    return context.render('wechat_repair_new.html', vehicles=vehicles, error=error,
        form=form, jssdk=_jssdk(context), max_photos=MAX_PHOTOS,
        selected=form.get('vehicle') or request.args.get('vehicle'),
        status=400 if error else 200)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        web.abort(HTTPStatus.NOT_FOUND)


def _coordinate(value, limit):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return round(value, 6) if -limit <= value <= limit else None


@page('repairs/<int:repair_id>', methods=('GET', 'POST'))
def repair(context, repair_id):
    from .exceptions import RatingError
    repair = _my_repair(context, repair_id)
    error = None
    if context.request.method == 'POST':
        form = context.request.form
        try:
            repair.rate(form.get('rating'), form.get('comment'))
        except RatingError as exception:
            error = exception.message
        else:
            return context.redirect(f'repairs/{repair.id}')
    return context.render('wechat_repair.html', repair=repair, error=error,
        status=400 if error else 200)


@page('photos/<int:photo_id>/<any(image, thumbnail):size>')
def photo(context, photo_id, size):
    Photo = Pool().get('device.repair.photo')
    photos = Photo.search([('id', '=', photo_id)], limit=1)
    if not photos or photos[0].repair not in _my_repairs(context):
        web.abort(HTTPStatus.NOT_FOUND)
    photo, = photos
    response = Response(bytes(getattr(photo, size)),
        content_type=photo.content_type)
    response.headers['Cache-Control'] = 'private, max-age=3600'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@app.route('/<database_name>/wechat/<app_id>/h5/static/<name>',
    methods={'GET'})
def static(request, database_name, app_id, name):
    activated_pool(database_name)
    response = send_from_directory(STATIC, name, request.environ,
        max_age=3600)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


# Leasing (marcier_lease's part of wechat.user, lease.py): 404 without it

def _leasing(context):
    if not hasattr(context.user, 'contracts'):
        web.abort(HTTPStatus.NOT_FOUND)
    return context.user


def _states():
    "The labels of the contract states"
    Contract = Pool().get('lease.contract')
    return dict(Contract.fields_get(['state'])['state']['selection'])


@page('contracts')
def contracts(context):
    user = _leasing(context)
    return context.render('wechat_contracts.html', contracts=user.contracts(),
        states=_states())


@page('contracts/<int:contract_id>')
def contract(context, contract_id):
    user = _leasing(context)
    contracts = [c for c in user.contracts() if c.id == contract_id]
    if not contracts:
        web.abort(HTTPStatus.NOT_FOUND)
    contract, = contracts
    bills = [b for b in user.bills() if b.contract == contract]
    return context.render('wechat_contract.html', contract=contract,
        bills=bills, states=_states())


@page('bills')
def bills(context):
    user = _leasing(context)
    return context.render('wechat_bills.html', bills=user.bills(),
        overdue=user.bills(overdue=True))
