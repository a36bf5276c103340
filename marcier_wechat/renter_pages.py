# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The renter's account pages (SPEC D4): the forms of the personal centre
(WeChat, h5.py's me/account) and the PC mall's sign-in and My account,
with the same account (renter.py).

PC sessions are web_user's (web.user.session) in an HttpOnly cookie of the
/mall pages.  Signing in is throttled per mobile number (web_user's
attempts, [session] max_attempt) and per client address (marcier_web)."""
from http import HTTPStatus

from werkzeug.utils import redirect

from marcier_web import i18n, web
from marcier_web.i18n import _
from trytond import config
from trytond.exceptions import RateLimitException
from trytond.pool import Pool
from trytond.transaction import Transaction

from .exceptions import RegistrationError, RenterError

COOKIE = 'marcier_renter'
ROOT = '/mall/account'
LOGIN_LIMIT = 30  # failed sign-ins per client address and window
LOGIN_WINDOW = 15 * 60
NOTICES = {'name', 'mobile', 'password', 'sent'}

web.environment.globals['account_url'] = ROOT


def apply(request, renter):
    """Do the action of the posted form for renter: (notice, error); a
    refusal is committed, so that the attempts at a code count"""
    form = request.form
    action = form.get('action')
    key = f'renter:{renter.id}'
    try:
        if action == 'name':
            renter.change_name(form.get('name'))
        elif action == 'send_code':
            web.throttle('renter-code-minute', key, 1, 60)
            web.throttle('renter-code-renter', key, 5, 3600)
            web.throttle('renter-code-ip', web.client_address(request), 20,
                3600)
            mobile = renter.request_mobile_code(
                form.get('mobile'), i18n.current())
            web.throttle('renter-code-mobile', mobile, 5, 3600)
            return 'sent', None
        elif action == 'mobile':
            renter.change_mobile(form.get('code'))
        elif action == 'password':
            if form.get('new_password') != form.get('confirm_password'):
                raise RenterError(_("The two new passwords differ."))
            renter.change_password(
                form.get('current_password'), form.get('new_password'))
            # Signed in elsewhere with the old password: signed out
            renter.end_sessions(keep=_session_key(request))
        else:
            web.abort(HTTPStatus.BAD_REQUEST)
    except (RenterError, RegistrationError) as exception:
        Transaction().commit()
        return None, exception.message
    return action, None


def handle(request, renter, url):
    """The account page at url of renter: (redirect after a change, None)
    or (None, the template's values)"""
    notice = request.args.get('done')
    error = None
    if request.method == 'POST':
        notice, error = apply(request, renter)
        if notice and notice != 'sent':
            return redirect(f'{url}?done={notice}', code=303), None
    form = request.form
    return None, {'renter': renter, 'action': url, 'error': error,
        'notice': notice if notice in NOTICES else None,
        'values': {'name': form.get('name'), 'mobile': form.get('mobile')},
        'status': HTTPStatus.BAD_REQUEST if error else 200}


def _session_key(request):
    return request.cookies.get(COOKIE, '')


def _renter(request):
    "The signed-in renter of the PC mall, or None"
    WebUser = Pool().get('web.user')
    key = _session_key(request)
    return WebUser.get_user(key) if key else None


def _set_cookie(request, response, key):
    Session = Pool().get('web.user.session')
    response.set_cookie(COOKIE, key, path=ROOT, httponly=True,
        samesite='Lax', secure=request.scheme == 'https',
        max_age=int(Session.timeout().total_seconds()))


def _render(request, template, status=200, **values_):
    return web.render(request, template, status=status,
        csrf_name=web.CSRF_FIELD, csrf_token=web.csrf_field(request),
        **values_)


@web.page(f'{ROOT}/login', methods=['GET', 'POST'], model='web.user',
    readonly=False)
def login(request):
    WebUser = Pool().get('web.user')
    error = None
    mobile = ''
    if request.method == 'POST':
        web.check_csrf(request)
        web.check_throttle('renter-login', request, config.getint(
                'marcier', 'renter_login_limit', default=LOGIN_LIMIT),
            LOGIN_WINDOW)
        mobile = request.form.get('mobile', '')[:20]
        try:
            renter = WebUser.authenticate_mobile(
                mobile, request.form.get('password'))
        except RateLimitException:
            Transaction().commit()
            web.abort(HTTPStatus.TOO_MANY_REQUESTS)
        if renter:
            response = redirect(ROOT, code=303)
            _set_cookie(request, response, renter.new_session())
            return response
        web.count_attempt('renter-login', request)
        Transaction().commit()
        error = _("Wrong mobile number or password.")
    return _render(request, 'mall_login.html', error=error, mobile=mobile,
        status=HTTPStatus.UNAUTHORIZED if error else 200)


@web.page(ROOT, methods=['GET', 'POST'], model='web.user', readonly=False)
def account(request):
    renter = _renter(request)
    if not renter:
        return redirect(f'{ROOT}/login', code=303)
    if request.method == 'POST':
        web.check_csrf(request)
    response, values = handle(request, renter, ROOT)
    return response or _render(request, 'mall_account.html', **values)


@web.page(f'{ROOT}/logout', methods=['POST'], model='web.user',
    readonly=False)
def logout(request):
    Session = Pool().get('web.user.session')
    web.check_csrf(request)
    if key := _session_key(request):
        Session.remove(key)
    response = redirect('/mall', code=303)
    response.delete_cookie(COOKIE, path=ROOT)
    return response
