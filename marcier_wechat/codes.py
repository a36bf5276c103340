# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""One-time codes sent by SMS to prove a mobile number: binding it in
WeChat, changing a renter's number.  Kept in wechat.store as a digest,
valid CODE_TTL seconds and CODE_ATTEMPTS wrong tries; callers throttle
the sending."""
import hashlib
import hmac
import secrets

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_base.customer import valid_mobile

from .exceptions import RegistrationError

CODE_TTL = 10 * 60
CODE_ATTEMPTS = 5


def _digest(code):
    return hashlib.sha256(code.encode()).hexdigest()


def send(company, key, mobile, language):
    """Send a new code to mobile through the SMS backend, for key;
    return the normalised number"""
    from .sms import backend
    Store = Pool().get('wechat.store')
    mobile = valid_mobile(mobile)
    if not mobile:
        raise RegistrationError(gettext('marcier_wechat.msg_user_mobile'))
    code = f'{secrets.randbelow(10 ** 6):06d}'
    Store.set(key, {'mobile': mobile, 'digest': _digest(code),
            'attempts': 0}, CODE_TTL)
    with Transaction().set_context(language=language):
        text = gettext('marcier_wechat.msg_user_code_sms', code=code)
    backend().send(company, mobile, text)
    return mobile


def check(key, code):
    """The mobile number code was sent to for key, or RegistrationError
    (counted: the caller commits it); the code stays until discard()"""
    Store = Pool().get('wechat.store')
    pending = Store.get(key)
    if not pending or pending['attempts'] >= CODE_ATTEMPTS:
        raise RegistrationError(gettext('marcier_wechat.msg_user_no_code'))
    if not hmac.compare_digest(
            pending['digest'], _digest((code or '').strip())):
        pending['attempts'] += 1
        Store.set(key, pending, CODE_TTL)
        raise RegistrationError(gettext('marcier_wechat.msg_user_bad_code'))
    return pending['mobile']


def discard(key):
    Pool().get('wechat.store').delete_key(key)
