# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The second factor in Tryton's login chain: with
``[session] authentications = password+totp`` a user who passed the
password meets ``_login_totp``:

- enrolled (TOTP): the login asks for the app's code or a recovery code;
- else, when an SMS backend is configured and the user has a mobile
  number: the code of authentication_sms;
- else, when a group of the user requires two-factor login: the login
  is refused until the user enrols, with a key shown in the login prompt
  (trust on first use of the password);
- else the password alone."""
from trytond import config
from trytond.exceptions import LoginException
from trytond.i18n import gettext, lazy_gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.res.user import PasswordError
from trytond.transaction import (
    Transaction, inactive_records, without_check_access)

from .exceptions import PreferencesError

CODE = 'totp_code'  # the login parameter sao asks for


class Group(metaclass=PoolMeta):
    __name__ = 'res.group'
    _audited_fields = ('totp_required',)  # audit.py
    totp_required = fields.Boolean("Two-Factor Login Required",
        help="Members log in with their password and a code of an "
        "authenticator app (or of SMS where configured).")


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    # back-office credentials and rights (audit.py)
    _audited_fields = ('login', 'active', 'agent', 'groups')
    _audited_secrets = ('password',)
    second_factor = fields.Function(fields.Selection([
                (None, "None"),
                ('totp', "Authenticator App"),
                ('sms', "SMS"),
                ], "Second Factor"), 'get_second_factor')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'reset_second_factor': {
                    'invisible': ~Eval('second_factor'),
                    'icon': 'tryton-clear',
                    'depends': ['second_factor'],
                    },
                })

    # Fields of the preferences that grant rights: administrators change
    # them in the users form.  user_role makes 'roles' a preference and
    # set_preferences writes without access checks: an operator gave
    # itself the administrator role (issue 12).
    _preferences_rights = {'groups', 'roles'}

    @classmethod
    def set_preferences(cls, values):
        cls.check_preferences(values)
        super().set_preferences(values)

    @classmethod
    def check_preferences(cls, values):
        """Refuse the preferences that grant rights, and x2many actions on
        records that are not the user's own: without access checks, a
        ('write', ids, ..) would change anyone's, and a many2many one the
        linked records themselves (ir.action)"""
        pool = Pool()
        user_id = Transaction().user
        for name in sorted(set(values) & cls._preferences_rights):
            raise PreferencesError(gettext(
                    'marcier_security.msg_preferences_rights',
                    field=cls._fields[name].string))
        for name, actions in values.items():
            field = cls._fields.get(name)
            if (field is None or not actions
                    or field._type not in {'one2many', 'many2many'}):
                continue
            error = PreferencesError(gettext(
                    'marcier_security.msg_preferences_records',
                    field=field.string))
            if field._type == 'many2many':
                # Links of this user only; never the targets themselves
                if any(a[0] not in {'add', 'remove'} for a in actions):
                    raise error
                continue
            Target = pool.get(field.model_name)
            for action, *args in actions:
                if action == 'create':
                    continue
                if action == 'write':
                    ids = [i for ids in args[0::2] for i in ids]
                    changes = args[1::2]
                else:
                    ids, changes = args[0], args[1:2]
                if any(field.field in c for c in changes):
                    raise error  # hands the record to another user
                with without_check_access(), inactive_records():
                    own = Target.search([
                            ('id', 'in', ids),
                            (field.field, '=', user_id),
                            ])
                if len(own) != len(set(ids)):
                    raise error

    @classmethod
    def get_second_factor(cls, users, name):
        SecondFactor = Pool().get('res.user.totp')
        with without_check_access():
            enrolled = {f.user.id for f in SecondFactor.search([
                        ('user', 'in', [u.id for u in users]),
                        ('confirmed', '=', True),
                        ])}
        return {u.id: 'totp' if u.id in enrolled
            else 'sms' if cls._sms_available(u) else None for u in users}

    @classmethod
    def validate_password(cls, password, users):
        """Tryton 8.0 dropped [password] entropy: the share of distinct
        characters a password needs, as Tryton checked it before"""
        super().validate_password(password, users)
        entropy = config.getfloat('password', 'entropy', default=0)
        if entropy and password and (
                len(set(password)) / len(password) < entropy):
            raise PasswordError(gettext(
                    'marcier_security.msg_password_entropy'))

    @staticmethod
    def _sms_available(user):
        return bool(config.get('authentication_sms', 'function', default=None)
            and user.mobile)

    def totp_required(self):
        return any(g.totp_required for g in self.groups)

    @classmethod
    def _login_totp(cls, login, parameters):
        pool = Pool()
        SecondFactor = pool.get('res.user.totp')
        RecoveryCode = pool.get('res.user.totp.recovery')
        user_id = cls._get_login(login)[0]
        if not user_id:
            return
        user = cls(user_id)
        code = parameters.get(CODE)
        factor = SecondFactor.get(user_id)
        if factor and factor.confirmed:
            if not code:
                raise LoginException(CODE, gettext(
                        'marcier_security.msg_login_totp_code', login=login),
                    type='char')
            if (SecondFactor.check(user_id, code)
                    or RecoveryCode.use(user_id, code)):
                return user_id
            return  # counted as a failed attempt: brute force is throttled
        if cls._sms_available(user):
            try:
                return cls._login_sms(login, parameters)
            except LoginException:
                # authentication_sms asks again after a wrong code, which
                # no attempt counter sees: make it a failed attempt
                if parameters.get('sms_code'):
                    return
                raise
        if not user.totp_required():
            return user_id
        factor = SecondFactor.pending(user_id)
        if code:
            if SecondFactor.check(user_id, code):
                return user_id
            return
        key = factor.key
        raise LoginException(CODE, gettext(
                'marcier_security.msg_login_totp_enrol', login=login,
                key=' '.join(key[i:i + 4] for i in range(0, len(key), 4))),
            type='char')

    @classmethod
    @ModelView.button
    def reset_second_factor(cls, users):
        "Remove the users' factors: the next login enrols again"
        pool = Pool()
        SecondFactor = pool.get('res.user.totp')
        Notification = pool.get('res.notification')
        Audit = pool.get('marcier.audit')
        users = [u for u in users if u.second_factor == 'totp']
        if not users:
            return
        SecondFactor.remove([u.id for u in users])
        Audit.note(users, 'second_factor', 'totp', None)
        admin = cls(Transaction().user)
        for user in users:
            Notification.notify([user], 'warning',
                lazy_gettext('marcier_security.msg_reset_title'),
                body=lazy_gettext('marcier_security.msg_reset_body',
                    admin=admin.rec_name), record=user)
