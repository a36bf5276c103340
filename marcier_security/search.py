# This file is part of Marcier. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Search domains and orders of RPC callers through relations filtered by
the targets' record rules (issue 12, item 3; tests/security/domains.py)."""
from contextlib import contextmanager

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import (
    Transaction, check_access, inactive_records, without_check_access)


# Set on the transaction while the domain of an RPC caller's search is
# turned into SQL (see RelatedRulesMixin)
RELATED_RULES = '_marcier_related_rules'


@contextmanager
def related_rules(value):
    transaction = Transaction()
    previous = getattr(transaction, RELATED_RULES, False)
    setattr(transaction, RELATED_RULES, value)
    try:
        yield
    finally:
        setattr(transaction, RELATED_RULES, previous)


class RelatedRulesMixin:
    """The record rules of the targets also filter what a search domain
    reaches through a relation: a dotted path ('schedules.vehicle'),
    'where' / 'not where', a name searched on a Many2One, an x2many
    compared to ids or None.

    Tryton 8.0 converts a domain without check_access, so the rules that
    the relational fields' convert_domain ask for are empty: agent B
    counted plans by A's vehicles and bisected A's vehicle positions
    (issue 12, item 3).  While the caller's own domain is converted, the
    ir.rule extension below answers with the target's rules again, and
    nothing for a target model the caller may not read at all.

    An order through a Many2One joins the target without rules either:
    sorting by 'invoice' ranks the numbers of bills the caller may not
    read (Tryton checks the access of dotted orders, not of this one nor
    the rules).  When the records searched point to such targets, the
    search leaves that order out."""
    __slots__ = ()

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            **kwargs):  # query: ModelSingleton.search has none
        transaction = Transaction()
        if (order and not count and transaction.user
                and transaction.check_access
                and not getattr(transaction, RELATED_RULES, False)):
            order = [(e, t) for e, t in order
                if not cls._orders_hidden(domain, e)]
        return super().search(domain, offset=offset, limit=limit,
            order=order, count=count, **kwargs)

    @classmethod
    def _orders_hidden(cls, domain, expression):
        "Whether the order ranks targets the caller may not read"
        name, _, path = expression.partition('.')
        field = cls._fields.get(name)
        return bool(isinstance(field, fields.Many2One) and path != 'id'
            and cls.search([domain, (name, '!=', None),
                    (name, 'not where', [])], limit=1, order=[]))

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        transaction = Transaction()
        if (transaction.check_access
                and not getattr(transaction, RELATED_RULES, False)
                and not cls._is_rule_domain(domain)):
            with related_rules(True):
                return super().search_domain(
                    domain, active_test=active_test, tables=tables)
        return super().search_domain(
            domain, active_test=active_test, tables=tables)

    @classmethod
    def _is_rule_domain(cls, domain):
        "Whether domain is the model's record rules (converted as they are)"
        Rule = Pool().get('ir.rule')
        return bool(domain) and any(
            domain == Rule.domain_get(cls.__name__, mode=m)
            for m in Rule.modes)


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def domain_get(cls, model_name, mode='read'):
        transaction = Transaction()
        if (mode != 'read' or not transaction.user
                or not getattr(transaction, RELATED_RULES, False)):
            return super().domain_get(model_name, mode=mode)
        # The rules as a subquery computed by root, as Rule.check tests
        # them: the rule domains themselves are not filtered again (a rule
        # may name records the user cannot read), nor recurse.
        pool = Pool()
        Model = pool.get(model_name)
        ModelAccess = pool.get('ir.model.access')
        with related_rules(False):
            with check_access():
                if not ModelAccess.check(
                        model_name, 'read', raise_exception=False):
                    # Nor may a domain reach a model the user cannot read
                    return [('id', '=', None)]
                domain = super().domain_get(model_name, mode=mode)
            if not domain:
                return domain
            with transaction.set_user(0), without_check_access(), \
                    inactive_records():
                query = Model.search(domain, order=[], query=True)
        return [('id', 'in', query)]
