# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The H5 pages the official account's menu opens: sign-in through
WeChat's web authorisation, binding a mobile number, my vehicles, my
repair work orders and the personal centre.

Every page reads only the signed-in user's records: ids of others answer
404.  Pages run as user 0 (no access rules), hence the explicit filters.
"""
import functools
import secrets
import time
import urllib.parse
from pathlib import Path

from werkzeug.utils import redirect, send_from_directory

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, set_max_request_size)
from trytond.transaction import Transaction
from trytond.worker import run_task
from trytond.wsgi import app

from . import images, web
from .repair import MAX_PHOTOS

STATIC = Path(__file__).parent / 'static'
OAUTH_TTL = 10 * 60
MAX_UPLOAD = MAX_PHOTOS * images.MAX_BYTES + 256 * 1024


class Page:
    "What a page handler works with"

    def __init__(self, request, account, session, user):
        self.request = request
        self.account = account
        self.session = session
        self.user = user
        self.database = Transaction().database.name
        self.base = f'/{self.database}/wechat/{account.app_id}/h5/'

    def url(self, path=''):
        return self.base + str(path)

    def render(self, template, status=200, **values):
        return web.render(self.request, template, status=status,
            page=self, user=self.user,
            csrf=self.session.csrf if self.session else '', **values)

    def redirect(self, path):
        return redirect(self.url(path), code=303)

    def require_bound(self):
        if not self.user.bound:
            abort(HTTPStatus.NOT_FOUND)


def page(path, methods=('GET',), login=True, readonly=None, max_size=None):
    def decorator(func):
        @functools.wraps(func)
        @web.guarded
        def wrapper(request, database_name, app_id, **kwargs):
            pool = web.activated_pool(database_name)
            readonly_ = (request.method == 'GET') if readonly is None \
                else readonly
            with Transaction().start(
                    database_name, 0, readonly=readonly_) as transaction:
                account = pool.get('wechat.account').by_app_id(app_id)
                if not account:
                    abort(HTTPStatus.NOT_FOUND)
                with transaction.set_context(company=account.company.id):
                    session, user = web.Session.load(request), None
                    if session:
                        user = pool.get('wechat.user')(session.user_id)
                        if user.account != account:
                            session, user = None, None
                    context = Page(request, account, session, user)
                    if login and not user:
                        return redirect(context.url('login?' + urllib.parse
                                .urlencode({'next': request.full_path})))
                    if request.method == 'POST':
                        session.check_csrf(request)
                    response = func(context, **kwargs)
            while transaction.tasks:
                run_task(pool, transaction.tasks.pop())
            return response
        if max_size:
            set_max_request_size(max_size)(wrapper)
        app.route(f'/<database_name>/wechat/<app_id>/h5/{path}',
            methods=set(methods))(wrapper)
        return wrapper
    return decorator


# Sign in: snsapi_base gives the openid silently, snsapi_userinfo (asked
# once) the nickname and avatar

def _authorize(context, scope, next_):
    Store = Pool().get('wechat.store')
    state = secrets.token_urlsafe(16)
    Store.set(f'oauth:{state}', {'next': next_}, OAUTH_TTL)
    callback = context.request.host_url.rstrip('/') + context.url('oauth')
    return redirect(context.account.oauth(
            callback, scope=scope, state=state).authorize_url)


def _safe_next(context, next_):
    "Only back to one of our pages: no open redirect"
    if next_ and next_.startswith(context.base) and '//' not in next_:
        return next_
    return context.url('')


@page('login', login=False, readonly=False)
def login(context):
    return _authorize(context, 'snsapi_base',
        _safe_next(context, context.request.args.get('next')))


@page('oauth', login=False, readonly=False)
def oauth(context):
    pool = Pool()
    Store = pool.get('wechat.store')
    User = pool.get('wechat.user')
    args = context.request.args
    state = args.get('state', '')
    pending = Store.get(f'oauth:{state}') if state else None
    if not pending or not args.get('code'):
        abort(HTTPStatus.FORBIDDEN)
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
                })
    elif not user.nickname:
        return _authorize(context, 'snsapi_userinfo', pending['next'])
    session = web.Session.open(user)
    response = redirect(pending['next'], code=303)
    session.set_cookie(context.request, response, context.base)
    return response


@page('')
def home(context):
    return context.render('home.html')


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
                web.throttle(f'code:user:{user.id}', 1, 60)
                web.throttle(f'code:user-hour:{user.id}', 5, 3600)
                web.throttle(f'code:ip:{request.remote_addr}', 20, 3600)
                mobile = user.request_code(values['mobile'])
                web.throttle(f'code:mobile:{mobile}', 5, 3600)
                message = 'sent'
            else:
                agent = {str(a.id): a for a in agents}.get(values['agent'])
                user.bind(request.form.get('code'), values['name'], agent)
                return context.redirect('me')
        except RegistrationError as exception:
            # The pending code and its attempts must stay: commit them
            Transaction().commit()
            error = exception.message
    return context.render('bind.html', agents=agents, values=values,
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
        abort(HTTPStatus.NOT_FOUND)
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
        abort(HTTPStatus.NOT_FOUND)
    return repairs[0]


@page('me')
def me(context):
    return context.render('me.html', vehicles=_my_vehicles(context),
        repairs=_my_repairs(context))


@page('vehicles')
def vehicles(context):
    return context.render('vehicles.html', vehicles=_my_vehicles(context))


@page('vehicles/<int:vehicle_id>')
def vehicle(context, vehicle_id):
    vehicle = _my_vehicle(context, vehicle_id)
    return context.render('vehicle.html', vehicle=vehicle,
        repairs=_my_repairs(context, [('vehicle', '=', vehicle.id)]))


@page('repairs')
def repairs(context):
    return context.render('repairs.html', repairs=_my_repairs(context))


def _jssdk(context):
    "The signed wx.config of the JS-SDK, inside WeChat only"
    if not web.in_wechat(context.request):
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


@page('repairs/new', methods=('GET', 'POST'), readonly=False,
    max_size=MAX_UPLOAD)
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
    return context.render('repair_new.html', vehicles=vehicles, error=error,
        form=form, jssdk=_jssdk(context), max_photos=MAX_PHOTOS,
        status=400 if error else 200)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        abort(HTTPStatus.NOT_FOUND)


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
    return context.render('repair.html', repair=repair, error=error,
        status=400 if error else 200)


@page('photos/<int:photo_id>/<any(image, thumbnail):size>')
def photo(context, photo_id, size):
    Photo = Pool().get('device.repair.photo')
    photos = Photo.search([('id', '=', photo_id)], limit=1)
    if not photos or photos[0].repair not in _my_repairs(context):
        abort(HTTPStatus.NOT_FOUND)
    photo, = photos
    response = Response(bytes(getattr(photo, size)),
        content_type=photo.content_type)
    response.headers['Cache-Control'] = 'private, max-age=3600'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@app.route('/<database_name>/wechat/<app_id>/h5/static/<name>',
    methods={'GET'})
def static(request, database_name, app_id, name):
    web.activated_pool(database_name)
    response = send_from_directory(STATIC, name, request.environ,
        max_age=3600)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response
