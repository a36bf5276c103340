# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Followers of the official account and how one becomes a customer."""
import hashlib
import hmac
import secrets

from trytond.i18n import gettext, lazy_gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from marcier_base.customer import valid_mobile
from marcier_web import i18n

from .exceptions import RegistrationError

CODE_TTL = 10 * 60
CODE_ATTEMPTS = 5


class User(ModelSQL, ModelView):
    "WeChat User"
    __name__ = 'wechat.user'
    account = fields.Many2One(
        'wechat.account', "Account", required=True, ondelete='CASCADE',
        readonly=True)
    company = fields.Function(
        fields.Many2One('company.company', "Company"), 'get_company',
        searcher='search_company')
    openid = fields.Char("OpenID", required=True, readonly=True)
    nickname = fields.Char("Nickname", readonly=True)
    avatar = fields.Char("Avatar URL", readonly=True)
    language = fields.Char("Language", readonly=True,
        help="The language WeChat gives for the user (e.g. zh_CN, en): "
        "the H5 pages and replies use it.")
    subscribed = fields.Boolean("Following", readonly=True)
    mobile = fields.Char("Mobile", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", readonly=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The customer the user acts for, once the mobile is bound.")
    agent = fields.Many2One(
        'marcier.agent', "Agent", readonly=True, ondelete='RESTRICT')

    @property
    def speaks(self):
        "The language of the texts sent to the user (template messages, SMS)"
        return i18n.match(self.language) or i18n.DEFAULT

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('openid_unique', Unique(t, t.account, t.openid),
                'marcier_wechat.msg_user_openid_unique'),
            ]

    def get_company(self, name):
        return self.account.company.id

    @classmethod
    def search_company(cls, name, clause):
        return [('account.company',) + tuple(clause[1:])]

    def get_rec_name(self, name):
        return self.nickname or self.openid

    @classmethod
    def get_or_create(cls, account, openid):
        users = cls.search([
                ('account', '=', account.id), ('openid', '=', openid)],
            limit=1)
        if users:
            return users[0]
        user, = cls.create([{'account': account.id, 'openid': openid}])
        return user

    @classmethod
    def set_subscribed(cls, account, openid, subscribed):
        user = cls.get_or_create(account, openid)
        if user.subscribed != subscribed:
            cls.write([user], {'subscribed': subscribed})

    @property
    def bound(self):
        return bool(self.party)

    # The one-time code that binds a mobile number

    def _code_key(self):
        return f'code:{self.id}'

    @staticmethod
    def _digest(code):
        return hashlib.sha256(code.encode()).hexdigest()

    def request_code(self, mobile):
        """Send a one-time code to mobile through the SMS backend; the
        caller throttles"""
        from .sms import backend
        Store = Pool().get('wechat.store')
        mobile = valid_mobile(mobile)
        if not mobile:
            raise RegistrationError(gettext('marcier_wechat.msg_user_mobile'))
        code = f'{secrets.randbelow(10 ** 6):06d}'
        Store.set(self._code_key(), {
                'mobile': mobile, 'digest': self._digest(code),
                'attempts': 0}, CODE_TTL)
        with Transaction().set_context(language=self.speaks):
            text = gettext('marcier_wechat.msg_user_code_sms', code=code)
        backend().send(self.account.company, mobile, text)
        return mobile

    def bind(self, code, name=None, agent=None):
        """Check the code and make the user a customer: the party of the
        mobile number when one is known, else a new customer of agent"""
        Store = Pool().get('wechat.store')
        pending = Store.get(self._code_key())
        if not pending or pending['attempts'] >= CODE_ATTEMPTS:
            raise RegistrationError(gettext('marcier_wechat.msg_user_no_code'))
        if not hmac.compare_digest(
                pending['digest'], self._digest((code or '').strip())):
            pending['attempts'] += 1
            Store.set(self._code_key(), pending, CODE_TTL)
            raise RegistrationError(gettext('marcier_wechat.msg_user_bad_code'))
        party, agent = self._customer(pending['mobile'], name, agent)
        Store.delete_key(self._code_key())
        self.__class__.write([self], {
                'mobile': pending['mobile'], 'party': party.id,
                'agent': agent.id})

    def _customer(self, mobile, name, agent):
        """(party, agent): the customer with this mobile number or the one
        of its party, whatever the agent; else a new customer of agent"""
        pool = Pool()
        Customer = pool.get('marcier.customer')
        Party = pool.get('party.party')
        company = self.account.company
        with without_check_access():
            known = Customer.search([
                    ('company', '=', company.id), ('mobile', '=', mobile)],
                order=[('id', 'ASC')], limit=1)
            if not known:
                known = Customer.search([
                        ('company', '=', company.id),
                        ('party.contact_mechanisms', 'where', [
                                ('type', '=', 'mobile'),
                                ('value_compact', '=', mobile)]),
                        ], order=[('id', 'ASC')], limit=1)
            if known:
                return known[0].party, known[0].agent
            if not agent or agent.company != company or not agent.active:
                raise RegistrationError(gettext(
                        'marcier_wechat.msg_user_agent'))
            name = (name or '').strip()[:100]
            if not name and not Party.search([
                        ('contact_mechanisms', 'where', [
                                ('type', '=', 'mobile'),
                                ('value_compact', '=', mobile)]),
                        ], limit=1):
                raise RegistrationError(gettext('marcier_wechat.msg_user_name'))
            customer = Customer.for_mobile(agent, name, mobile, source='wechat')
            agent.notify('reminder', lazy_gettext(
                    'marcier_wechat.msg_user_new_customer_title',
                    customer=customer.party.rec_name),
                lazy_gettext('marcier_wechat.msg_user_new_customer_body',
                    customer=customer.party.rec_name, mobile=mobile))
            return customer.party, agent
