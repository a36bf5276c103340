# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.pyson import Eval

from .model import AgentOwnedMixin


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
