"""on_change and on_change_with with other owners' ids (issue 12.1): the
client builds the record from values, and the answer carries the rec_name
of every record they name and whatever the methods read of them.  For
every Marcier model and every relational field, each back-office role sets
the field to a record of each owner (and '_parent_x.id' for the parents of
lines, and the record's own 'id'); the call must be refused exactly when
the role may not read that record.

Expected answers: the policy's read (policy.py) of the target when it is a
Marcier model, else (Tryton's models: party, move lines, users...) what the
same role's own `read` of that id answers: on_change may not show more
than read does.  Cells are matrix.Cell objects, so counts and reports are
the matrix's."""
from collections import Counter

from . import policy
from .matrix import Cell, attempt

ROLES = ['agent_a', 'agent_b', 'operator', 'other_company']


class Changes:
    def __init__(self, facts, clients, models=None, roles=ROLES):
        self.facts = facts
        self.clients = {r: clients[r] for r in roles}
        self.models = sorted(m for m in (models or facts)
            if facts[m].get('change_relations') or facts[m]['owners'])
        self.cells = []
        self.reads = {}  # (role, model, id) → allowed, for Tryton's models

    def samples(self, model):
        "One record per owner: [(owner, id)]"
        return sorted((o, ids[0])
            for o, ids in self.facts[model]['owners'].items() if ids)

    def policed(self, model):
        return model in self.facts and policy.grant(model, self.facts)

    def targets(self, info):
        "[(owner, model, id)] the field is set to"
        target = info['target']
        if self.policed(target):
            return [(o, target, i) for o, i in self.samples(target)]
        # A record of another model as Marcier's records name it
        return sorted((f'{owner}:{model}', model, id_)
            for owner, (model, id_) in info['named'].items())

    def readable(self, role, model, id_):
        """Whether the role may read the record: the expected answer, or
        None for a model without RPC read (its records cannot be asked)"""
        if self.policed(model):
            owner = self.owner_of(model, id_)
            return policy.allowed(model, self.facts, role, 'read', owner)
        key = role, model, id_
        if key not in self.reads:
            client = self.clients[role]
            outcome, detail = attempt(
                lambda: client(model, 'read', [id_], ['id']))
            self.reads[key] = (None if detail == 'HTTP 403'
                else outcome == 'allow')
        return self.reads[key]

    def owner_of(self, model, id_):
        return next(o for o, ids in self.facts[model]['owners'].items()
            if id_ in ids)

    def add(self, model, role, operation, owner, expected, function):
        outcome, detail = attempt(function)
        self.cells.append(Cell(model, role, operation, owner, expected,
                outcome, detail))

    def run(self):
        for model in self.models:
            facts = self.facts[model]
            rpc = set(facts['rpc'])
            relations = facts.get('change_relations', {})
            # Calling the model's methods needs its read access
            for role, client in self.clients.items():
                if 'on_change' not in rpc:
                    continue
                may = 'r' in policy.rights(model, self.facts, role)
                for owner, id_ in self.samples(model):
                    expected = may and self.readable(role, model, id_)
                    # a field whose on_change reads the record, if any
                    names = sorted(relations, key=lambda f: (
                            not relations[f]['on_change'], f))[:1] or ['id']
                    self.add(model, role, 'on_change:id', owner, expected,
                        lambda: client(model, 'on_change', {'id': id_}, names))
                    self.add(model, role, 'pre_validate:id', owner, expected,
                        lambda: client(model, 'pre_validate', {'id': id_}))
                for field, info in sorted(relations.items()):
                    for owner, target, id_ in self.targets(info):
                        readable = self.readable(role, target, id_)
                        if readable is None:
                            continue
                        expected = may and readable
                        self.field(model, role, client, field, info, owner,
                            expected, target, id_, rpc)
        return self

    def field(self, model, role, client, field, info, owner, expected,
            target, id_, rpc):
        "The cells of one field set to one record"
        value = {'reference': f'{target},{id_}',
            'one2many': [id_], 'many2many': [id_]}.get(info['type'], id_)
        calls = [(f'on_change:{field}', 'on_change', {field: value}, [field])]
        if info['on_change'] and f'on_change_{field}' in rpc:
            calls.append((f'on_change_{field}', f'on_change_{field}',
                    {field: value}))
        if field in self.facts[model]['parents']:
            calls.append((f'on_change:_parent_{field}', 'on_change',
                    {f'_parent_{field}.id': id_}, [field]))
        for other in info['with']:
            calls.append((f'on_change_with:{field}>{other}',
                    'on_change_with', {field: value}, [other]))
            calls.append((f'on_change_with_{other}:{field}',
                    f'on_change_with_{other}', {field: value}))
        for operation, method, *args in calls:
            self.add(model, role, operation, owner, expected,
                lambda: client(model, method, *args))

    def summary(self):
        problems = Counter(c.unexpected for c in self.cells if c.unexpected)
        outcomes = Counter(c.outcome for c in self.cells)
        return (f'on_change: {len(self.cells)} cells, '
            f'{sum(problems.values())} unexpected ({len(self.models)} '
            f'models x {len(self.clients)} roles: '
            f'{outcomes["allow"]} allowed, {outcomes["deny"]} denied, '
            f'{problems["allow"]} unexpected allows, '
            f'{problems["deny"]} unexpected denies, '
            f'{problems["crash"]} crashes)')
