"""Workflow fields written directly (issue 12, item 6), generated from the
facts: every role writes each value of each workflow field of every
Marcier model (marcier_base.model.WorkflowFieldsMixin: a Workflow's state,
the fields a model lists in _workflow_fields) to a sample record of every
owner, and copies the record with that value (a create past the first
state).  Every call is refused, the operator's included: states move
through the buttons only.

An agent listed its own listing without review with
mall.listing.write(ids, {'state': 'listed'}) and retired a vehicle whose
Retire button it may not click."""
from . import policy
from .matrix import Cell, attempt

REFUSAL = 'workflow buttons'


class Workflows:
    def __init__(self, facts, clients, models=None, fields=None):
        self.facts = facts
        self.clients = clients
        self.models = sorted(models or facts)
        # {model: {field: {'values', 'initial'}}}: the facts' unless
        # given (a self-test names a field the control does not cover)
        self.fields = fields or {m: self.facts[m].get('workflow', {})
            for m in self.models}
        self.cells = []

    def run(self):
        for model in self.models:
            if policy.grant(model, self.facts) is None:
                continue
            samples = {o: ids[0] for o, ids in
                self.facts[model]['owners'].items() if ids}
            for field, facts in sorted(self.fields.get(model, {}).items()):
                forged = [v for v in facts['values']
                    if v != facts['initial']]
                for role, client in self.clients.items():
                    for owner, id_ in sorted(samples.items()):
                        for value in facts['values']:
                            self.write(model, role, client, owner, id_,
                                field, value)
                        # a copy past the first state (Workflow.copy
                        # resets the state unless told)
                        for value in forged[-1:]:
                            self.copy(model, role, client, owner, id_,
                                field, value)
        return self

    def write(self, model, role, client, owner, id_, field, value):
        outcome, detail = attempt(
            lambda: client(model, 'write', [id_], {field: value}),
            (REFUSAL,))
        self.add(model, role, f'write:{field}={value}', owner, outcome,
            detail)

    def copy(self, model, role, client, owner, id_, field, value):
        outcome, detail = attempt(
            lambda: client(model, 'copy', [id_], {field: value}),
            (REFUSAL,))
        if outcome == 'allow' and not isinstance(detail, list):
            # Refused for another reason (a unique serial): no record
            outcome = 'refused'
        self.add(model, role, f'copy:{field}={value}', owner, outcome,
            detail)
        if outcome == 'allow' and isinstance(detail, list):
            # A leak: do not leave the copies behind
            attempt(lambda: self.clients['operator'](
                    model, 'delete', detail))

    def add(self, model, role, operation, owner, outcome, detail):
        self.cells.append(Cell(model, role, operation, owner, False,
                outcome, detail))

    def summary(self):
        unexpected = [c for c in self.cells if c.unexpected]
        fields = {(m, f) for m, fs in self.fields.items() for f in fs}
        return (f'workflow fields: {len(self.cells)} cells, '
            f'{len(unexpected)} unexpected ({len(fields)} fields of '
            f'{len({m for m, _ in fields})} models)')
