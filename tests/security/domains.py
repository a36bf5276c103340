"""Search oracles through relations (issue 12, item 3), generated over
every relational field of every Marcier model from the facts: a role
searches a model with a domain that names a record of the target through
the field, in each form a domain can take, and must find the records
linked to it only when the role reaches that target record.

Agent B counted maintenance plans by agent A's vehicle and bisected A's
vehicle positions with ('schedules', 'where', [('vehicle.latitude', '>',
x)]): the plan is B's to read, the vehicle is not.  The control is
marcier_security.search.RelatedRulesMixin.

Only pairs where the role reads at least one record linked to the target
record are probed: elsewhere a search finds nothing whatever the rules."""
from . import policy
from .matrix import Cell, attempt

# The roles that have a session (the others are refused any search)
ROLES = ['agent_a', 'agent_b', 'operator', 'other_company']
X2MANY = {'one2many', 'many2many'}


def forms(field, relation, target, id_):
    "(name, domain): the ways a domain names target record id_ via field"
    if relation['type'] == 'reference':
        yield 'dotted', [(f'{field}.id', '=', id_, target)]
        return
    yield 'dotted', [(f'{field}.id', '=', id_)]
    # dotted to a column of the target, not only its id
    yield 'dotted-column', [(f'{field}.id', 'in', [id_]),
        (f'{field}.create_date', '!=', None)]
    yield 'where', [(field, 'where', [('id', '=', id_)])]
    # the complement: a linked record is left out only when the search
    # sees the target
    yield 'not-where', [(field, 'not where', [('id', '=', id_)])]
    if relation['type'] in X2MANY:
        yield 'ids', [(field, 'in', [id_])]


class Oracles:
    def __init__(self, facts, clients, models=None, roles=ROLES):
        self.facts = facts
        self.clients = clients
        self.models = sorted(models or facts)
        self.roles = roles
        self.cells = []
        self.visible = {}  # (model, role) → ids the role finds, or None
        self.skipped = 0  # relations to models without policy

    def policed(self, model):
        return model in self.facts and policy.grant(
            model, self.facts) is not None

    def finds(self, model, role):
        "The ids the role finds with an empty domain (None: refused)"
        key = model, role
        if key not in self.visible:
            outcome, found = attempt(lambda: self.clients[role](
                    model, 'search', [], 0, None, None))
            self.visible[key] = set(found) if (
                outcome == 'allow' and isinstance(found, list)) else None
        return self.visible[key]

    def run(self):
        for model in self.models:
            facts = self.facts[model]
            if (not self.policed(model) or facts['table_query']
                    or 'search' not in facts['rpc']):
                continue
            for field, relation in sorted(facts['relations'].items()):
                for target in relation['targets']:
                    if not self.policed(target):
                        self.skipped += 1
                        continue
                    self.probe(model, field, relation, target)
        return self

    def probe(self, model, field, relation, target):
        owner_of = {ids[0]: owner for owner, ids in
            self.facts[target]['owners'].items() if ids}
        linked = self.facts[model]['links'].get(field, {}).get(target, {})
        for id_, records in sorted(linked.items()):
            owner = owner_of[int(id_)]
            for role in self.roles:
                visible = self.finds(model, role)
                if not visible or not visible & set(records):
                    continue
                expected = (
                    policy.reaches(target, self.facts, role, owner)
                    and 'r' in policy.rights(target, self.facts, role)
                    and policy.searches_through(
                        model, self.facts, role, field, owner))
                for name, domain in forms(field, relation, target, int(id_)):
                    self.add(model, role, f'{name}:{field}', owner,
                        expected, domain, visible & set(records))

    def add(self, model, role, operation, owner, expected, domain, linked):
        outcome, found = attempt(lambda: self.clients[role](
                model, 'search', domain, 0, None, None))
        detail = found
        if outcome == 'allow' and isinstance(found, list):
            found = set(found)
            if name_only(operation) == 'not-where':
                # 'allow': the search saw the target (left all out)
                seen = not found & linked
            else:
                # 'allow': it saw the target; reaching it, it finds every
                # record linked to it that it reads
                seen = (found == linked) if expected else bool(
                    found & linked)
            outcome = 'allow' if seen else 'deny'
            detail = f'{len(found)} found, {len(linked)} linked'
        self.cells.append(Cell(model, role, operation, owner, expected,
                outcome, detail))

    def summary(self):
        unexpected = [c for c in self.cells if c.unexpected]
        return (f'search oracle: {len(self.cells)} cells, '
            f'{len(unexpected)} unexpected '
            f'({len({c.model for c in self.cells})} models, '
            f'{len({(c.model, c.operation.split(":")[1]) for c in self.cells})}'
            f' relations probed, {self.skipped} relations to models '
            f'without policy not probed)')


def name_only(operation):
    return operation.split(':', 1)[0]
