# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Agent ownership for the models of the Marcier modules.

A model becomes agent-owned by inheriting ``AgentOwnedMixin`` and declaring,
in its XML, the two rules every agent-owned model has (see
``customer.xml``): the global company rule and the "own agent" rule of the
agent staff group.  ``tests.AgentTestMixin`` fails when a module forgets them.
"""
from trytond.model import fields
from trytond.pool import Pool
from trytond.pyson import Eval, Id
from trytond.transaction import Transaction

AGENT_STAFF = Id('marcier_base', 'group_agent').in_(
    Eval('context', {}).get('groups', []))
OPERATOR_STAFF = Id('marcier_base', 'group_operator').in_(
    Eval('context', {}).get('groups', []))


def is_operator():
    "Whether the current user is root or operator staff"
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    return (not Transaction().user
        or ModelData.get_id('marcier_base', 'group_operator')
        in User.get_groups())


class AgentOwnedMixin:
    "Record owned by a company and one of its agents"
    __slots__ = ()
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states={
            'readonly': AGENT_STAFF,
            })
    agent = fields.Many2One(
        'marcier.agent', "Agent", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        # Agent staff never choose: the record is theirs.  The "own agent"
        # rule also refuses a write that hands it to another agent.
        states={
            'readonly': AGENT_STAFF,
            })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_agent(cls):
        return Pool().get('res.user').get_agent()
