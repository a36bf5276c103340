# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import re

from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from .model import AgentOwnedMixin

MOBILE = re.compile(r'^1[3-9]\d{9}$')


def normalise_mobile(value):
    "A mainland mobile number without spaces, dashes or +86"
    value = re.sub(r'[\s-]', '', value or '')
    return re.sub(r'^(\+|00)?86', '', value) if len(value) > 11 else value


def valid_mobile(value):
    "The normalised mainland mobile number of value, or None"
    value = normalise_mobile(value)
    return value if MOBILE.match(value) else None


class Customer(AgentOwnedMixin, DeactivableMixin, ModelSQL, ModelView):
    "An end customer in an agent's book"
    __name__ = 'marcier.customer'
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    city = fields.Many2One('marcier.city', "City", ondelete='RESTRICT')
    mobile = fields.Char("Mobile")
    source = fields.Selection([
            ('manual', "Manual"),
            ('mall', "Mall Inquiry"),
            ('wechat', "WeChat"),
            ], "Source", required=True)
    note = fields.Text("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        t = cls.__table__()
        cls._sql_constraints += [
            ('party_agent_unique', Unique(t, t.party, t.agent),
                'marcier_base.msg_customer_party_agent_unique'),
            ]

    @classmethod
    def default_source(cls):
        return 'manual'

    def get_rec_name(self, name):
        return self.party.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name', *clause[1:])]

    @classmethod
    def for_mobile(cls, agent, name, mobile, city=None, source='manual'):
        """The customer of agent with this mobile number: an existing one,
        else the party known by the number (or a new party named name) made
        a customer of agent.  Workflows call it for visitors, whatever the
        caller may read."""
        Party = Pool().get('party.party')
        with without_check_access():
            customers = cls.search([
                    ('agent', '=', agent.id), ('mobile', '=', mobile)],
                order=[('id', 'ASC')], limit=1)
            if customers:
                return customers[0]
            parties = Party.search([
                    ('contact_mechanisms', 'where', [
                            ('type', '=', 'mobile'),
                            ('value_compact', '=', mobile)]),
                    ], order=[('id', 'ASC')], limit=1)
            if parties:
                party, = parties
            else:
                party, = Party.create([{
                            'name': name,
                            'contact_mechanisms': [('create', [{
                                            'type': 'mobile',
                                            'value': mobile,
                                            }])],
                            }])
            customers = cls.search([
                    ('agent', '=', agent.id), ('party', '=', party.id)],
                limit=1)
            if customers:
                return customers[0]
            customer, = cls.create([{
                        'party': party.id,
                        'agent': agent.id,
                        'company': agent.company.id,
                        'city': city.id if city else None,
                        'mobile': mobile,
                        'source': source,
                        }])
            return customer
