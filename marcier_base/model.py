# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Agent ownership for the models of the Marcier modules.

A model becomes agent-owned by inheriting ``AgentOwnedMixin`` and declaring,
in its XML, the two rules every agent-owned model has (see
``customer.xml``): the global company rule and the "own agent" rule of the
agent staff group.  ``tests.AgentTestMixin`` fails when a module forgets them.
"""
from trytond.i18n import gettext
from trytond.model import Model, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, Id
from trytond.transaction import Transaction

from .exceptions import AgentBookError, WorkflowFieldError

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

    @classmethod
    def _before_create(cls, vlist):
        if Transaction().check_access:
            cls.check_own_agent(vlist)
        return super()._before_create(vlist)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        if external and mode == 'write':
            cls.check_own_agent([values])
        super().check_modification(
            mode, records, values=values, external=external)

    @classmethod
    def check_own_agent(cls, vlist):
        """Agent staff put records in their own agent's book only, refused
        before the SQL: the record rules come after the unique constraints,
        which told agent B that a party is agent A's customer (issue 12,
        item 3)"""
        agent = Pool().get('res.user').get_agent()
        if agent is not None and any(
                v.get('agent') not in {None, agent} for v in vlist):
            raise AgentBookError(gettext(
                    'marcier_base.msg_agent_other_book',
                    model=cls.__names__()['model']))


class WorkflowFieldsMixin:
    """Workflow fields change through buttons only, on every model: the
    state of a Workflow and the fields a model lists in
    ``_workflow_fields`` (set in ``__setup__``: a status driven by
    buttons, the dates and flags its transitions fill).

    An RPC caller (external) may neither write them nor create a record
    where they differ from their default; buttons, wizards, crons and the
    IoT listener run without check_access and are not external.  Fields
    the model fills itself at creation (a sequence number) are listed in
    ``_workflow_filled``: not checked at creation.

    Found by an outside probe (issue 12, item 6): an agent listed its
    listing without review, and retired a vehicle whose Retire button it
    may not click."""
    __slots__ = ()
    # No class attributes here: Tryton adds the mixins after __setup__,
    # theirs would hide the models'.

    @classmethod
    def workflow_fields(cls):
        "The names of the fields only the workflow sets"
        names = set(getattr(cls, '_workflow_fields', ()))
        if issubclass(cls, Workflow):
            names.add(cls._transition_state)
        return names & cls._fields.keys()

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        # Before the models' own checks: whatever the record's state, the
        # answer is the same
        if external and mode in {'create', 'write'}:
            cls.check_workflow_fields(mode, records, values)
        super().check_modification(
            mode, records, values=values, external=external)

    @classmethod
    def check_workflow_fields(cls, mode, records, values=None):
        names = cls.workflow_fields()
        if mode == 'write':
            forged = names & values.keys()
        else:
            filled = set(getattr(cls, '_workflow_filled', ()))
            forged = {n for n in names - filled
                for r in records
                if cls._workflow_value(getattr(r, n))
                != cls._workflow_value(cls._workflow_default(n))}
        if forged:
            raise WorkflowFieldError(gettext(
                    'marcier_base.msg_workflow_fields',
                    model=cls.__names__()['model'],
                    fields=', '.join(sorted(
                            cls.__names__(f)['field'] for f in forged))))

    @classmethod
    def copy(cls, records, default=None):
        "A copy starts where the workflow starts"
        default = default.copy() if default is not None else {}
        for name in cls.workflow_fields():
            default.setdefault(name, cls._workflow_default(name))
        return super().copy(records, default=default)

    @classmethod
    def _workflow_default(cls, name):
        default = cls._defaults.get(name)
        return default() if default else None

    @staticmethod
    def _workflow_value(value):
        "Comparable: records by id, empty values alike"
        if isinstance(value, Model):
            return value.id
        return value or None
