"""The role × model × operation matrix, run through JSON-RPC against a
running server: each cell is one call whose answer is classified as
allowed (it passed the access checks, whatever else it met) or denied."""
import base64
import re
import urllib.error
from collections import Counter
from dataclasses import dataclass

from ..rpc import RPCError, post
from . import policy

DENIAL = re.compile(
    r"not allowed|^On table_query|is not valid according to its domain",
    re.IGNORECASE)
# (a domain refuses a reference to a record of another tenant or agent)
# Refused, but it says nothing of the rights: a button hidden by its
# states for this record (its status), a record created without a value
# it needs (PostgreSQL checks that before the record rules, SQLite after)
REFUSED = re.compile(r"You can not call |A value is required for field")
GONE = re.compile(r"that don't exist")


class Anonymous:
    "A caller without a valid session: none, or a forged one"

    def __init__(self, url, database, authorization=None):
        self.url = f'{url}{database}/rpc/'
        self.authorization = authorization
        self.context = {}

    def __call__(self, model, method, *args):
        return post(f'{self.url}', f'model.{model}.{method}',
            [*args, self.context], self.authorization)


def forged(login, uid=1, session='0' * 64):
    token = base64.b64encode(f'{login}:{uid}:{session}'.encode()).decode()
    return 'Session ' + token


def attempt(function, refusals=()):
    "('allow' | 'deny' | 'refused' | 'gone' | 'crash', detail)"
    try:
        return 'allow', function()
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            return 'crash', f'HTTP {error.code}'
        return 'deny', f'HTTP {error.code}'
    except RPCError as error:
        message = f'{error.kind}: {error.message}'
        text = str(error.message) if error.kind == 'UserError' else message
        if DENIAL.search(text) or any(r in text for r in refusals):
            return 'deny', message[:160]
        if REFUSED.search(text):
            return 'refused', message[:160]
        if GONE.search(text):
            return 'gone', message[:160]
        # Refused for another reason (a missing value): the call went
        # through the access checks
        return 'allow', message[:160]


@dataclass
class Cell:
    model: str
    role: str
    operation: str
    target: str  # the owner of the record acted on, or '' for none
    expected: bool
    outcome: str
    detail: object = None

    @property
    def unexpected(self):
        if self.outcome == 'crash':
            return 'crash'
        if self.outcome in {'refused', 'gone'}:
            return None
        allowed = self.outcome == 'allow'
        if allowed and not self.expected:
            return 'allow'
        if not allowed and self.expected:
            return 'deny'

    def __str__(self):
        return (f'{self.model} {self.role} {self.operation} {self.target}: '
            f'expected {"allow" if self.expected else "deny"}, '
            f'got {self.outcome} ({self.detail})')


# The record a role creates under (the owner of the parent it names)
HOME = {'anonymous': 'A', 'customer': 'A', 'agent_a': 'A', 'agent_b': 'B',
    'operator': 'A', 'other_company': 'co2'}


class Matrix:
    def __init__(self, facts, agents, clients, models=None):
        self.facts = facts
        self.agents = agents  # agent code → id
        self.clients = clients  # role → caller
        self.models = sorted(models or facts)
        self.cells = []
        self.unpoliced = [m for m in self.models
            if policy.grant(m, facts) is None]
        self.deleted = set()  # (model, id)
        self.owner_of = {
            m: {i: o for o, ids in f['owners'].items() for i in ids}
            for m, f in facts.items()}

    def samples(self, model):
        "One record per owner: {owner: id}"
        return {o: ids[0] for o, ids in self.facts[model]['owners'].items()
            if ids}

    def add(self, model, role, operation, target, function, button=None):
        expected = policy.allowed(model, self.facts, role, operation,
            owner=target or None, button=button)
        outcome, detail = attempt(
            function, policy.grant(model, self.facts).refusals)
        name = f'{operation}:{button}' if button else operation
        cell = Cell(model, role, name, target, expected, outcome, detail)
        self.cells.append(cell)
        return cell

    def run(self, delete=True):
        models = [m for m in self.models if m not in self.unpoliced]
        for model in models:
            for role, client in self.clients.items():
                self.search(model, role, client)
                for owner, id_ in self.samples(model).items():
                    self.add(model, role, 'read', owner,
                        lambda: client(model, 'read', [id_], ['create_date']))
                    self.add(model, role, 'write', owner,
                        lambda: client(model, 'write', [id_], {}))
                    for button in self.facts[model]['buttons']:
                        if button in policy.grant(
                                model, self.facts).unclicked:
                            continue
                        self.add(model, role, 'button', owner,
                            lambda: client(model, button, [id_]),
                            button=button)
        for model in models:
            for role, client in self.clients.items():
                for target, values in self.creations(model, role):
                    self.add(model, role, 'create', target,
                        lambda: client(model, 'create', [values]))
        if not delete:
            return self
        # Refused deletes first, records that refer to others before them
        for role in ['anonymous', 'customer', 'other_company', 'agent_b',
                'agent_a', 'operator']:
            client = self.clients[role]
            for model in self.deletion_order(models):
                for owner, id_ in self.samples(model).items():
                    if (model, id_) in self.deleted:
                        continue
                    cell = self.add(model, role, 'delete', owner,
                        lambda: client(model, 'delete', [id_]))
                    if cell.outcome == 'allow' and cell.detail is None:
                        self.deleted.add((model, id_))
        return self

    def creations(self, model, role):
        """(owner, values) to create: the defaults, then records under
        each owner's parent or agent, others' included"""
        facts = self.facts[model]
        cases = []
        for field, parent in facts['parents'].items():
            samples = self.samples(parent) if parent in self.facts else {}
            for owner in [HOME[role]] + sorted({'A', 'B', 'co2'} - {
                        HOME[role]}):
                if owner in samples:
                    cases.append((owner, {field: samples[owner]}))
        if facts['agent_owned']:
            cases.append(('', {}))
            cases.extend((code, {'agent': self.agents[code]})
                for code in ['A', 'B'] if code in self.agents)
        return cases or [('', {})]

    def deletion_order(self, models):
        "Models that refer to others first: deleting a parent cascades"
        remaining, order = list(models), []
        while remaining:
            referred = {r for m in remaining
                for r in self.facts[m]['references'] if r != m}
            free = [m for m in remaining if m not in referred] or remaining
            order.extend(free)
            remaining = [m for m in remaining if m not in free]
        return order

    def search(self, model, role, client):
        cell = self.add(model, role, 'search', '',
            lambda: client(model, 'search', [], 0, None, None))
        if cell.outcome != 'allow' or not isinstance(cell.detail, list):
            return
        # Every record found must be one the role reaches
        owners = self.owner_of[model]
        found = Counter(owners.get(i) for i in cell.detail)
        for owner in sorted(set(owners.values())):
            reaches = policy.reaches(model, self.facts, role, owner)
            got = 'allow' if found.get(owner) else 'deny'
            self.cells.append(Cell(model, role, 'search-finds', owner,
                    reaches, got, found.get(owner, 0)))

    def summary(self):
        problems = Counter(c.unexpected for c in self.cells if c.unexpected)
        outcomes = Counter(c.outcome for c in self.cells)
        return (f'security matrix: {len(self.models)} models x '
            f'{len(self.clients)} roles, {len(self.cells)} cells: '
            f'{outcomes["allow"]} allowed, {outcomes["deny"]} denied, '
            f'{outcomes["refused"]} refused by state, '
            f'{outcomes["gone"]} already deleted, '
            f'{problems["allow"]} unexpected allows, '
            f'{problems["deny"]} unexpected denies, '
            f'{problems["crash"]} crashes; '
            f'{len(self.unpoliced)} models without policy')
