# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Parties under the agents' rules (issue 12): party.party has no company
nor agent, yet an agent's customers are parties.  Two searchable fields
say whose a party is, so that the rules of party.xml can follow the
Marcier records that use it:

- ``marcier_agents``: the agents whose customer it is, or whose records
  (contracts, bills, vehicles: any agent-owned record) name it;
- ``marcier_companies``: the companies it belongs to, as their own
  party, an employee's, an agent's or a customer's.

The searchers are plain SQL on purpose: the rules call them, and neither
the caller's rules on marcier.customer nor its archived records may
change whose a party is."""
from sql import Cast, Literal, Null, Union

from trytond import backend
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .model import AgentOwnedMixin

NULL_ID = Cast(Literal(None), 'INTEGER')


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    marcier_agents = fields.Function(fields.Many2Many(
            'marcier.agent', None, None, "Agents",
            help="The agents whose records (customer, contracts, bills) "
            "name the party."),
        'get_marcier_agents', searcher='search_marcier_agents')
    marcier_companies = fields.Function(fields.Many2Many(
            'company.company', None, None, "Companies",
            help="The companies the party belongs to: as their own party, "
            "an employee's, an agent's or a customer's."),
        'get_marcier_companies', searcher='search_marcier_companies')

    @classmethod
    def _marcier_agent_fields(cls):
        """(Model, field name) of the party fields of agent-owned records:
        customers, contracts, bills, vehicles...  A party stays the agent's
        while one of them names it, also after its customer is deleted"""
        pool = Pool()
        return sorted(((Model, name)
                for _, Model in pool.iterobject()
                if issubclass(Model, AgentOwnedMixin)
                and not Model._is_table_query()
                for name, field in Model._fields.items()
                if field._type == 'many2one'
                and field.model_name == 'party.party'
                and not hasattr(field, 'get')),
            key=lambda m: (m[0].__name__, m[1]))

    @classmethod
    def _marcier_links(cls):
        "Queries of (party, company, agent) per kind of record using parties"
        pool = Pool()
        agent = pool.get('marcier.agent').__table__()
        company = pool.get('company.company').__table__()
        employee = pool.get('company.employee').__table__()

        def select(table, party, company, agent):
            # no NULL party: NOT IN a subquery with a NULL matches nothing
            return table.select(party.as_('party'), company.as_('company'),
                agent.as_('agent'), where=party != Null)
        owned = []
        for Model, name in cls._marcier_agent_fields():
            table = Model.__table__()
            owned.append(select(table,
                    getattr(table, name), table.company, table.agent))
        return {
            'customer': owned,
            'agent': [select(agent, agent.party, agent.company, agent.id)],
            'company': [
                select(company, company.party, company.id, NULL_ID)],
            'employee': [select(
                    employee, employee.party, employee.company, NULL_ID)],
            }

    @classmethod
    def _marcier_query(cls, kinds):
        "One query of (party, company, agent) of the links of kinds"
        links = cls._marcier_links()
        return Union(*(q for k in kinds for q in links[k]), all_=True)

    @classmethod
    def _marcier_get(cls, parties, kinds, column):
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        query = cls._marcier_query(kinds)
        result = {p.id: set() for p in parties}
        for sub_ids in grouped_slice(
                [p.id for p in parties], backend.MAX_QUERY_PARAMS):
            sub_query = query.select(
                query.party, getattr(query, column),
                where=fields.SQL_OPERATORS['in'](query.party, sub_ids))
            cursor.execute(*sub_query)
            for party, value in cursor:
                if value is not None:
                    result[party].add(value)
        return result

    @classmethod
    def get_marcier_agents(cls, parties, name):
        User = Pool().get('res.user')
        agents = cls._marcier_get(parties, ['customer'], 'agent')
        # Agent staff learn only whether the party is their agent's
        # customer, not which other agents have it too
        user_agent = User.get_agent()
        return {p: sorted(a & {user_agent} if user_agent else a)
            for p, a in agents.items()}

    @classmethod
    def get_marcier_companies(cls, parties, name):
        companies = cls._marcier_get(
            parties, ['customer', 'agent', 'company', 'employee'], 'company')
        return {p: sorted(c) for p, c in companies.items()}

    @classmethod
    def _marcier_search(cls, clause, kinds, column):
        "Domain on the parties of the links of kinds whose column matches"
        _, operator, value = clause[:3]
        query = cls._marcier_query(kinds)
        if value is None:
            # '=' None: used by none of them; '!=' None: used by one
            used = query.select(query.party)
            return [('id', 'not in' if operator == '=' else 'in', used)]
        if operator not in {'=', '!=', 'in', 'not in'}:
            raise ValueError(f"Unsupported operator {operator!r}")
        values = value if operator.endswith('in') else [value]
        matching = query.select(query.party, where=fields.SQL_OPERATORS['in'](
                getattr(query, column), [v for v in values if v is not None]
                or [-1]))
        positive = operator in {'=', 'in'}
        return [('id', 'in' if positive else 'not in', matching)]

    @classmethod
    def search_marcier_agents(cls, name, clause):
        return cls._marcier_search(clause, ['customer'], 'agent')

    @classmethod
    def search_marcier_companies(cls, name, clause):
        return cls._marcier_search(
            clause, ['customer', 'agent', 'company', 'employee'], 'company')
