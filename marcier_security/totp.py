# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Time-based one-time passwords (RFC 6238) as second login factor (H2).

The secrets and recovery codes live in tables that no one reads through
RPC: only the login method and the enrolment wizard use them, as root."""
import hmac
import io
import re
import secrets
import time

import pyotp
import segno

from trytond import config
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import secret
from .exceptions import SecondFactorError

STEP = 30  # seconds per code, what authenticator apps assume
RECOVERY_CODES = 10
BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'


def normalize(code):
    "What the user typed, without spaces and dashes, lower case"
    return re.sub(r'[\s-]', '', code or '').lower()


class SecondFactor(ModelSQL):
    "User Second Factor"
    __name__ = 'res.user.totp'
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    secret = fields.Char("Encrypted Secret", required=True, strip=False)
    confirmed = fields.Boolean(
        "Confirmed", help="Unconfirmed while enrolment waits for a code.")
    last_step = fields.Integer(
        "Last Step", help="Time step of the last code accepted: a code "
        "works once.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('user_unique', Unique(t, t.user),
                'marcier_security.msg_totp_user_unique'),
            ]
        # Nothing of it leaves the server
        cls.__rpc__.clear()

    @classmethod
    def default_confirmed(cls):
        return False

    @classmethod
    @without_check_access
    def get(cls, user_id):
        factors = cls.search([('user', '=', user_id)], limit=1)
        return factors[0] if factors else None

    @staticmethod
    def new_secret():
        return pyotp.random_base32()

    @staticmethod
    def uri(key, login):
        issuer = config.get('marcier', 'totp_issuer', default='Marcier')
        return pyotp.TOTP(key).provisioning_uri(
            name=login, issuer_name=issuer)

    @staticmethod
    def matching_step(key, code, after=None, now=None):
        """The time step (previous, current or next: clocks drift) whose
        code is code, or None; steps up to after are spent"""
        code = normalize(code)
        if not key or not re.fullmatch(r'\d{6}', code):
            return None
        totp = pyotp.TOTP(key)
        step = int(now if now is not None else time.time()) // STEP
        for candidate in (step - 1, step, step + 1):
            if after is not None and candidate <= after:
                continue
            if hmac.compare_digest(totp.generate_otp(candidate), code):
                return candidate

    @property
    def key(self):
        return secret.decrypt(self.secret)

    @classmethod
    @without_check_access
    def check(cls, user_id, code):
        "Whether code is the user's current code, spending it"
        factor = cls.get(user_id)
        if not factor:
            return False
        step = cls.matching_step(factor.key, code, after=factor.last_step)
        if step is None:
            return False
        values = {'last_step': step}
        if not factor.confirmed:
            values['confirmed'] = True
        cls.write([factor], values)
        return True

    @classmethod
    @without_check_access
    def pending(cls, user_id):
        "The unconfirmed factor of the user, made when missing"
        factor = cls.get(user_id)
        if factor and factor.confirmed:
            return factor
        if not factor:
            factor, = cls.create([{
                        'user': user_id,
                        'secret': secret.encrypt(cls.new_secret()),
                        }])
        return factor

    @classmethod
    @without_check_access
    def enrol(cls, user_id, key, step):
        "Set key as the user's confirmed factor, code of step spent"
        cls.remove([user_id])
        cls.create([{
                    'user': user_id,
                    'secret': secret.encrypt(key),
                    'confirmed': True,
                    'last_step': step,
                    }])

    @classmethod
    @without_check_access
    def remove(cls, user_ids):
        pool = Pool()
        RecoveryCode = pool.get('res.user.totp.recovery')
        cls.delete(cls.search([('user', 'in', list(user_ids))]))
        RecoveryCode.delete(RecoveryCode.search(
                [('user', 'in', list(user_ids))]))


class RecoveryCode(ModelSQL):
    "Second Factor Recovery Code"
    __name__ = 'res.user.totp.recovery'
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    digest = fields.Char("Digest", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.clear()

    @classmethod
    @without_check_access
    def renew(cls, user_id):
        "Replace the user's recovery codes; return the new ones in clear"
        cls.delete(cls.search([('user', '=', user_id)]))
        codes = []
        for _ in range(RECOVERY_CODES):
            # 10 base-32 characters: 50 bits, as many as a guess needs
            raw = ''.join(secrets.choice(BASE32) for _ in range(10))
            codes.append(f'{raw[:5]}-{raw[5:]}')
        cls.create([{'user': user_id, 'digest': secret.digest(normalize(c))}
                for c in codes])
        return codes

    @classmethod
    @without_check_access
    def use(cls, user_id, code):
        "Whether code is one of the user's recovery codes, spending it"
        code = normalize(code)
        if not re.fullmatch(r'[a-z2-7]{10}', code):
            return False
        records = cls.search([
                ('user', '=', user_id),
                ('digest', '=', secret.digest(code)),
                ])
        cls.delete(records)
        return bool(records)


class EnrolStart(ModelView):
    "Two-Factor Login"
    __name__ = 'res.user.totp.enrol.start'
    enrolled = fields.Boolean("Enrolled", readonly=True)
    qr_code = fields.Binary("QR Code", readonly=True)
    key = fields.Char("Key", readonly=True,
        help="Type it into the app when you cannot scan the QR code.")
    code = fields.Char("Code from the App", required=True,
        help="The 6 digits the app shows after adding the key.")
    current_code = fields.Char("Current Code",
        states={
            'required': Eval('enrolled', False),
            'invisible': ~Eval('enrolled', False),
            },
        help="A code of the app you use now, or a recovery code: "
        "replacing the factor needs the old one.")


class EnrolCodes(ModelView):
    "Two-Factor Login Recovery Codes"
    __name__ = 'res.user.totp.enrol.codes'
    codes = fields.Text("Recovery Codes", readonly=True,
        help="Each works once instead of a code from the app. "
        "Keep them offline: they are not shown again.")


class Enrol(Wizard):
    "Set Up Two-Factor Login"
    __name__ = 'res.user.totp.enrol'
    start = StateView('res.user.totp.enrol.start',
        'marcier_security.totp_enrol_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Activate", 'activate', 'tryton-ok', default=True),
            ])
    activate = StateTransition()
    codes = StateView('res.user.totp.enrol.codes',
        'marcier_security.totp_enrol_codes_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # As for a new password: a session left idle cannot change the factor
        cls.__rpc__['execute'] = RPC(
            readonly=False, check_access=False, fresh_session=True)

    def default_start(self, fields):
        pool = Pool()
        User = pool.get('res.user')
        SecondFactor = pool.get('res.user.totp')
        user = User(Transaction().user)
        factor = SecondFactor.get(user.id)
        # The key makes the round trip through the user's own client:
        # activating checks that their app computes its codes
        key = SecondFactor.new_secret()
        qr_code = io.BytesIO()
        segno.make(SecondFactor.uri(key, user.login), error='m').save(
            qr_code, kind='png', scale=5, border=2)
        return {
            'enrolled': bool(factor and factor.confirmed),
            'qr_code': qr_code.getvalue(),
            'key': ' '.join(key[i:i + 4] for i in range(0, len(key), 4)),
            }

    def transition_activate(self):
        pool = Pool()
        SecondFactor = pool.get('res.user.totp')
        RecoveryCode = pool.get('res.user.totp.recovery')
        user_id = Transaction().user
        factor = SecondFactor.get(user_id)
        if factor and factor.confirmed:
            code = self.start.current_code
            if not (SecondFactor.check(user_id, code)
                    or RecoveryCode.use(user_id, code)):
                raise SecondFactorError(gettext(
                        'marcier_security.msg_totp_current_code'))
        key = normalize(self.start.key).upper()
        step = SecondFactor.matching_step(key, self.start.code)
        if step is None:
            raise SecondFactorError(gettext(
                    'marcier_security.msg_totp_wrong_code'))
        SecondFactor.enrol(user_id, key, step)
        return 'codes'

    def default_codes(self, fields):
        RecoveryCode = Pool().get('res.user.totp.recovery')
        return {'codes': '\n'.join(RecoveryCode.renew(Transaction().user))}
