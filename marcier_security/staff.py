# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Operators manage the staff accounts (SPEC A1): deactivate and
reactivate, reset the password (the user changes it at the next login),
reset the second factor and choose the staff roles.

Operators have no write access on res.user: the buttons and wizards check
who they act on (staff, never an account with more rights than the
operator's, never themselves) and then write as root, audited.  Agent
staff manage no one: the operator maintains the agents' accounts."""
import datetime as dt
import hmac

from trytond import config
from trytond.exceptions import LoginException
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.res.user import PasswordError, gen_password
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .audit import CHANGED
from .exceptions import StaffError

NEW_PASSWORD = 'new_password'  # the login parameter of the forced change
# Whoever holds one of these is not staff an operator manages
PRIVILEGED_GROUPS = [('res', 'group_admin'), ('marcier_base', 'group_admin')]


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    staff_kind = fields.Function(fields.Selection([
                (None, ""),
                ('operator', "Operator Staff"),
                ('agent', "Agent Staff"),
                ], "Staff"), 'get_staff_kind')
    password_change_required = fields.Function(fields.Boolean(
            "Password Change Required",
            help="The user logs in with a temporary password and sets a "
            "new one."), 'get_password_change_required')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'deactivate_staff': {
                    'invisible': ~Eval('active', True),
                    'icon': 'tryton-archive',
                    'depends': ['active'],
                    },
                'reactivate_staff': {
                    'invisible': Eval('active', True),
                    'icon': 'tryton-unarchive',
                    'depends': ['active'],
                    },
                'reset_staff_password': {
                    'invisible': ~Eval('active', True),
                    'icon': 'tryton-refresh',
                    'depends': ['active'],
                    },
                'set_staff_roles': {
                    'icon': 'tryton-group',
                    },
                })

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        # Tryton makes every button of an inactive record read-only, and
        # this one is what brings the record back
        cls._buttons['reactivate_staff'].pop('readonly')

    @classmethod
    def get_staff_kind(cls, users, name):
        return {u.id: 'agent' if u.agent else 'operator' for u in users}

    @classmethod
    def get_password_change_required(cls, users, name):
        now = dt.datetime.now()
        with without_check_access():
            return {u.id: bool(u.password_reset and u.password_reset_expire
                    and u.password_reset_expire > now) for u in users}

    @classmethod
    def check_staff_managed(cls, users):
        """Refuse unless the caller is operator staff (or root) and users
        are staff of the caller's companies with no more rights than the
        caller's, other than the caller"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        caller = Transaction().user
        if not caller:
            return
        groups = set(cls.get_groups())
        if ModelData.get_id('marcier_base', 'group_operator') not in groups:
            raise StaffError(gettext('marcier_security.msg_staff_operator'))
        privileged = {ModelData.get_id(*g) for g in PRIVILEGED_GROUPS}
        administrator = ModelData.get_id('res', 'group_admin') in groups
        with without_check_access():
            companies = {c.id for c in cls(caller).companies}
            for user in cls.browse([int(u) for u in users]):
                if user.id == caller:
                    raise StaffError(gettext(
                            'marcier_security.msg_staff_self'))
                if (user.id == 0
                        or ({g.id for g in user.groups} & privileged)
                        - groups):
                    raise StaffError(gettext(
                            'marcier_security.msg_staff_privileged',
                            user=user.rec_name))
                # Another tenant's staff are not the caller's to manage
                # (Tryton's administrators write any user anyway)
                staff_companies = ({user.agent.company.id} if user.agent
                    else {c.id for c in user.companies})
                if not administrator and not staff_companies & companies:
                    raise StaffError(gettext(
                            'marcier_security.msg_staff_company',
                            user=user.rec_name))

    @classmethod
    @ModelView.button
    def deactivate_staff(cls, users):
        "The user can no longer log in; their sessions end now"
        cls.check_staff_managed(users)
        with without_check_access():
            cls.write(users, {'active': False})
            cls.end_sessions(users)

    @classmethod
    @ModelView.button
    def reactivate_staff(cls, users):
        cls.check_staff_managed(users)
        with without_check_access():
            cls.write(users, {'active': True})

    @classmethod
    def end_sessions(cls, users):
        Session = Pool().get('ir.session')
        Session.delete(Session.search(
                [('create_uid', 'in', [u.id for u in users])]))

    @classmethod
    @ModelView.button_action('marcier_security.wizard_staff_reset_password')
    def reset_staff_password(cls, users):
        cls.check_staff_managed(users)

    @classmethod
    @ModelView.button_action('marcier_security.wizard_staff_roles')
    def set_staff_roles(cls, users):
        cls.check_staff_managed(users)

    @classmethod
    @ModelView.button
    def reset_second_factor(cls, users):
        cls.check_staff_managed(users)
        with without_check_access():
            super().reset_second_factor(users)

    @classmethod
    def temporary_password(cls, users):
        """Replace the users' passwords by a temporary one each, valid
        [password] reset_timeout seconds; {user id: password}"""
        length = max(12, config.getint('password', 'length', default=0))
        expire = dt.datetime.now() + dt.timedelta(
            seconds=config.getint('password', 'reset_timeout'))
        passwords = {}
        with without_check_access():
            for user in users:
                passwords[user.id] = gen_password(length=length)
                # The old password stops working: it may be the reason
                cls.write([user], {
                        'password_hash': None,
                        'password_reset': passwords[user.id],
                        'password_reset_expire': expire,
                        })
            cls.end_sessions(users)
        return passwords

    @classmethod
    def _temporary_login(cls, login, password):
        "Whether password is the unexpired temporary password of login"
        _, _, password_reset = cls._get_login(login)
        return bool(password_reset and password and hmac.compare_digest(
                password_reset.encode(), password.encode()))

    @classmethod
    def _login_password(cls, login, parameters):
        """With the temporary password, the login asks for a new password
        (set once every factor passed, get_login)"""
        user_id = super()._login_password(login, parameters)
        if user_id and cls._temporary_login(login, parameters['password']):
            new = parameters.get(NEW_PASSWORD)
            message = gettext('marcier_security.msg_login_new_password',
                login=login)
            if new:
                try:
                    with without_check_access():
                        cls.validate_password(new, [cls(user_id)])
                    if new == parameters['password']:
                        raise PasswordError(gettext(
                                'marcier_security.msg_login_same_password'))
                except PasswordError as exception:
                    message = f'{exception.message}\n{message}'
                    new = None
            if not new:
                raise LoginException(NEW_PASSWORD, message, type='password')
        return user_id

    @classmethod
    def get_login(cls, login, parameters):
        temporary = cls._temporary_login(login, parameters.get('password'))
        user_id = super().get_login(login, parameters)
        if user_id and temporary:
            with without_check_access():
                # set_password clears the temporary password
                cls.write([cls(user_id)], {
                        'password': parameters[NEW_PASSWORD]})
        return user_id


class ResetPasswordStart(ModelView):
    "Reset Staff Password"
    __name__ = 'res.user.staff.reset_password.start'
    users = fields.Many2Many('res.user', None, None, "Users", readonly=True)


class ResetPasswordDone(ModelView):
    "Reset Staff Password"
    __name__ = 'res.user.staff.reset_password.done'
    passwords = fields.Text("Temporary Passwords", readonly=True,
        help="Give each user theirs: at the next login they set a new "
        "password. It is not shown again.")


class ResetPassword(Wizard):
    "Reset Staff Password"
    __name__ = 'res.user.staff.reset_password'
    start = StateView('res.user.staff.reset_password.start',
        'marcier_security.staff_reset_password_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Reset", 'reset', 'tryton-ok', default=True),
            ])
    reset = StateTransition()
    done = StateView('res.user.staff.reset_password.done',
        'marcier_security.staff_reset_password_done_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def default_start(self, fields):
        self.model.check_staff_managed(self.records)
        return {'users': [u.id for u in self.records]}

    def transition_reset(self):
        pool = Pool()
        Audit = pool.get('marcier.audit')
        User = self.model
        User.check_staff_managed(self.records)
        passwords = User.temporary_password(self.records)
        Audit.note(self.records, 'password', None, CHANGED)
        with without_check_access():
            self.done.passwords = '\n'.join(
                f'{u.login}: {passwords[u.id]}' for u in self.records)
        return 'done'

    def default_done(self, fields):
        return {'passwords': self.done.passwords}


class StaffRolesStart(ModelView):
    "Staff Roles"
    __name__ = 'res.user.staff.roles.start'
    kind = fields.Selection([
            ('operator', "Operator Staff"),
            ('agent', "Agent Staff"),
            ], "Staff", readonly=True)
    roles = fields.Many2Many('res.role', None, None, "Roles",
        domain=[('staff', '=', Eval('kind', ''))],
        help="The jobs of the users: each role grants its rights.")


class StaffRoles(Wizard):
    "Staff Roles"
    __name__ = 'res.user.staff.roles'
    start = StateView('res.user.staff.roles.start',
        'marcier_security.staff_roles_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Apply", 'apply', 'tryton-ok', default=True),
            ])
    apply = StateTransition()

    def _kind(self):
        kinds = {u.staff_kind for u in self.records}
        if len(kinds) != 1:
            raise StaffError(gettext('marcier_security.msg_staff_kinds'))
        return kinds.pop()

    def default_start(self, fields):
        self.model.check_staff_managed(self.records)
        kind = self._kind()
        with without_check_access():
            roles = {r.role.id for u in self.records for r in u.roles
                if r.role.staff == kind}
        return {'kind': kind, 'roles': sorted(roles)}

    def transition_apply(self):
        User = self.model
        User.check_staff_managed(self.records)
        kind = self._kind()
        chosen = {r.id for r in self.start.roles}
        with without_check_access():
            if any(r.staff != kind for r in self.start.roles):
                raise StaffError(gettext('marcier_security.msg_staff_kinds'))
            to_write = []
            for user in User.browse([r.id for r in self.records]):
                # Only the staff roles: the administrators' (second factor
                # required, ...) stay
                current = {r.role.id: r for r in user.roles
                    if r.role.staff == kind}
                to_write.extend([[user], {'roles': [
                                ('delete', [r.id for i, r in current.items()
                                        if i not in chosen]),
                                ('create', [{'role': i}
                                        for i in sorted(
                                            chosen - current.keys())]),
                                ]}])
            # user_role syncs the groups, which the audit records
            User.write(*to_write)
        return 'end'

    def end(self):
        return 'reload'
