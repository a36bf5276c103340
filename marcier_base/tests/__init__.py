# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import Pool, isregisteredby
from trytond.pyson import Eval, PYSONEncoder
from trytond.tests.test_tryton import with_transaction

from ..model import AgentOwnedMixin

__all__ = ['AgentTestMixin']


class AgentTestMixin:
    "Every AgentOwnedMixin model of the module has the 'own agent' rule"

    @with_transaction()
    def test_agent_rule(self):
        "Test missing agent rule"
        pool = Pool()
        Rule = pool.get('ir.rule')
        ModelData = pool.get('ir.model.data')
        group_agent = ModelData.get_id('marcier_base', 'group_agent')

        models = {
            mname for mname, model in pool.iterobject()
            if isregisteredby(model, self.module)
            and issubclass(model, AgentOwnedMixin)
            and not model._is_table_query()}
        if models:
            rules = Rule.search([
                    ('rule_group', 'where', [
                            ('model', 'in', list(models)),
                            ('global_p', '=', False),
                            ('groups', '=', group_agent),
                            ('perm_read', '=', True),
                            ('perm_write', '=', True),
                            ('perm_delete', '=', True),
                            ]),
                    ('domain', '=', PYSONEncoder(sort_keys=True).encode(
                            [('agent', '=', Eval('user_agent', -1))])),
                    ])
            with_rules = {r.rule_group.model for r in rules}
            self.assertGreaterEqual(with_rules, models,
                msg='Models %s are missing the agent staff rule' % ', '.join(
                    f'"{m}"' for m in sorted(models - with_rules)))
