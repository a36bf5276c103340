# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Renters' accounts (SPEC D4) on Tryton's web.user: made when a WeChat
user binds a mobile number, they sign in with that number and a password
on the PC mall.  The personal centre (WeChat) and My account (PC mall)
change the name, the mobile number (proven by a code sent to the new
number) and the password through these methods.

The pages run as user 0: every method acts on the renter's own records."""
import re

from sql import Literal
from sql.operators import Equal

from trytond import config
from trytond.exceptions import RateLimitException
from trytond.i18n import gettext
from trytond.model import Exclude, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.res.user import PasswordError
from trytond.transaction import without_check_access

from marcier_base.customer import valid_mobile

from . import codes
from .exceptions import RenterError

NAME_SIZE = 100
MARKUP = re.compile(r'[<>]')


class WebUser(metaclass=PoolMeta):
    __name__ = 'web.user'
    mobile = fields.Char("Mobile",
        help="The renter signs in with it; changed only with a code sent "
        "to the new number.")
    company = fields.Many2One(
        'company.company', "Company", ondelete='CASCADE',
        help="The company whose customer the renter is.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Renters sign in with their mobile number: no e-mail needed
        cls.email.states['required'] &= ~Eval('mobile')
        for field in [cls.party, cls.secondary_parties]:
            field.context = {**(field.context or {}),
                'company': Eval('company', -1)}
            field.depends = set(field.depends or ()) | {'company'}
        t = cls.__table__()
        cls._sql_constraints += [
            ('mobile_exclude', Exclude(t, (t.mobile, Equal),
                    where=t.active == Literal(True)),
                'marcier_wechat.msg_renter_mobile_unique'),
            ]

    @classmethod
    def for_customer(cls, company, party, mobile):
        "The account of the customer party, made when it has none"
        users = cls.search([('party', '=', party.id)], limit=1) or \
            cls.search([('mobile', '=', mobile)], limit=1)
        if users:
            return users[0]
        user, = cls.create([{
                    'party': party.id, 'mobile': mobile,
                    'company': company.id,
                    }])
        return user

    @classmethod
    def authenticate_mobile(cls, mobile, password):
        """The active account of mobile if password is its password, else
        None; RateLimitException after [session] max_attempt failures for
        the number (web_user's count of attempts, as for e-mails)"""
        Attempt = Pool().get('web.user.authenticate.attempt')
        mobile = valid_mobile(mobile) or (mobile or '')[:20]
        if Attempt.count(mobile) > config.getint(
                'session', 'max_attempt', default=5):
            Attempt.add(mobile)
            raise RateLimitException()
        users = cls.search([('mobile', '=', mobile)], limit=1)
        if users and users[0].password_hash and password:
            valid, _ = cls.check_password(password, users[0].password_hash)
            if valid:
                Attempt.remove(mobile)
                return users[0]
        Attempt.add(mobile)

    @property
    def name(self):
        return self.party.name if self.party else ''

    def change_name(self, name):
        Party = Pool().get('party.party')
        name = ' '.join((name or '').split())
        if not name:
            raise RenterError(gettext('marcier_wechat.msg_user_name'))
        if len(name) > NAME_SIZE or MARKUP.search(name):
            raise RenterError(gettext(
                    'marcier_wechat.msg_renter_name', size=NAME_SIZE))
        with without_check_access():
            Party.write([self.party], {'name': name})

    def _mobile_key(self):
        return f'renter-mobile:{self.id}'

    def request_mobile_code(self, mobile, language):
        """Send a code to the new number; the caller throttles"""
        mobile = valid_mobile(mobile)
        if not mobile:
            raise RenterError(gettext('marcier_wechat.msg_user_mobile'))
        self.check_mobile_free(mobile)
        return codes.send(self.company, self._mobile_key(), mobile, language)

    def check_mobile_free(self, mobile):
        "Refuse a number of another account or of another customer"
        pool = Pool()
        Customer = pool.get('marcier.customer')
        Party = pool.get('party.party')
        if mobile == self.mobile:
            raise RenterError(gettext('marcier_wechat.msg_renter_mobile_same'))
        with without_check_access():
            taken = (self.__class__.search([
                        ('mobile', '=', mobile), ('id', '!=', self.id)])
                or Customer.search([
                        ('mobile', '=', mobile),
                        ('party', '!=', self.party.id)])
                or Party.search([
                        ('id', '!=', self.party.id),
                        ('contact_mechanisms', 'where', [
                                ('type', '=', 'mobile'),
                                ('value_compact', '=', mobile)]),
                        ]))
        if taken:
            raise RenterError(gettext(
                    'marcier_wechat.msg_renter_mobile_unique'))

    def change_mobile(self, code):
        """Check the code sent to the new number and make it the renter's,
        on the account, the customer party, its customers and WeChat
        users"""
        pool = Pool()
        Customer = pool.get('marcier.customer')
        ContactMechanism = pool.get('party.contact_mechanism')
        WeChatUser = pool.get('wechat.user')
        mobile = codes.check(self._mobile_key(), code)
        self.check_mobile_free(mobile)
        codes.discard(self._mobile_key())
        old = self.mobile
        with without_check_access():
            mechanisms = ContactMechanism.search([
                    ('party', '=', self.party.id), ('type', '=', 'mobile'),
                    ('value_compact', '=', old)]) if old else []
            if mechanisms:
                ContactMechanism.write(mechanisms, {'value': mobile})
            else:
                ContactMechanism.create([{'party': self.party.id,
                            'type': 'mobile', 'value': mobile}])
            Customer.write(Customer.search([
                        ('party', '=', self.party.id),
                        ('mobile', '=', old)]), {'mobile': mobile})
            WeChatUser.write(WeChatUser.search([
                        ('web_user', '=', self.id)]), {'mobile': mobile})
            self.__class__.write([self], {'mobile': mobile})
        return mobile

    def change_password(self, current, new):
        """Set the password; current must be the present one, if any"""
        User = Pool().get('res.user')
        if self.password_hash:
            valid, _ = self.check_password(current or '', self.password_hash)
            if not valid:
                raise RenterError(gettext(
                        'marcier_wechat.msg_renter_password_current'))
        if not new:
            raise RenterError(gettext('marcier_wechat.msg_renter_password'))
        try:
            # web.user checks the policy only for back-office callers
            User.validate_password(new, [self])
        except PasswordError as exception:
            raise RenterError(exception.message) from exception
        with without_check_access():
            self.__class__.write([self], {'password': new})

    def end_sessions(self, keep=None):
        "End the renter's sessions but keep: after a password change"
        Session = Pool().get('web.user.session')
        Session.delete(Session.search([
                    ('user', '=', self.id), ('key', '!=', keep or '')]))

