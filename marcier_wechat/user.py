# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Followers of the official account and how one becomes a customer."""
from trytond.i18n import gettext, lazy_gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from marcier_base.customer import valid_mobile
from marcier_web import i18n

from . import codes
from .exceptions import RegistrationError


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
    web_user = fields.Many2One(
        'web.user', "Renter Account", readonly=True, ondelete='SET NULL',
        help="The customer's account: its mobile number and password "
        "sign in on the PC mall.")

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

    # The one-time code that binds a mobile number (codes.py)

    def _code_key(self):
        return f'code:{self.id}'

    def request_code(self, mobile):
        """Send a one-time code to mobile through the SMS backend; the
        caller throttles"""
        return codes.send(
            self.account.company, self._code_key(), mobile, self.speaks)

    def bind(self, code, name=None, agent=None):
        """Check the code and make the user a customer: the party of the
        mobile number when one is known, else a new customer of agent;
        the customer's account (web.user) signs in on the PC mall too"""
        WebUser = Pool().get('web.user')
        mobile = codes.check(self._code_key(), code)
        party, agent = self._customer(mobile, name, agent)
        codes.discard(self._code_key())
        web_user = WebUser.for_customer(self.account.company, party, mobile)
        self.__class__.write([self], {
                'mobile': mobile, 'party': party.id, 'agent': agent.id,
                'web_user': web_user.id})

    def renter(self):
        """The web.user of the bound user, made for those bound before
        renters had one"""
        WebUser = Pool().get('web.user')
        if not self.bound:
            return None
        if not self.web_user:
            self.web_user = WebUser.for_customer(
                self.account.company, self.party, self.mobile)
            self.save()
        return self.web_user

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
