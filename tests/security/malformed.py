"""Generated checks of malformed requests and public pictures, run over
HTTP against a running server (see test_requests.py).  Each check is a
Cell of matrix.py, so counts and summaries read the same:

- 'rpc envelope': JSON-RPC bodies whose method, params or id have the
  wrong type, or that miss a key, on every RPC path: refused (4xx);
- 'data route': /<db>/data/<model> of every model with each malformed
  parameter (encoding, delimiter, quote, domain, context, fields, order,
  limit): refused (4xx); a plain export: answered (below 500);
- 'public images': the stock product_image routes as an anonymous
  client, for every mall product: 200 while a public listing shows it,
  404 otherwise; odd sizes never 500.
"""
import base64
import datetime as dt
import json
import urllib.parse
from dataclasses import dataclass

from .attack import fetch
from .matrix import Cell


@dataclass
class Probe(Cell):
    """expected: True (answered below 400), False (refused with a 4xx) or
    None (any answer but a 5xx)"""

    @property
    def unexpected(self):
        if self.outcome == 'crash':
            return 'crash'
        if self.expected is None:
            return None
        return super().unexpected

    def __str__(self):
        expected = {True: 'an answer', False: 'a refusal',
            None: 'no crash'}[self.expected]
        return (f'{self.model} {self.role} {self.operation}: expected '
            f'{expected}, got {self.outcome} ({self.detail})')


def outcome(status):
    if status >= 500:
        return 'crash'
    return 'deny' if status >= 400 else 'allow'


def probe(cells, model, role, operation, expected, method, url, body=None,
        headers=None):
    status, answer = fetch(method, url, body, headers)
    if 'Traceback' in answer:
        status = 500  # a stack trace is a crash, whatever the status
    cells.append(Probe(model, role, operation, '', expected,
            outcome(status), f'HTTP {status}'))
    return status, answer


# JSON-RPC envelopes, each wrong in one way
ENVELOPES = [
    ('method null', {'id': 1, 'method': None, 'params': []}),
    ('method int', {'id': 1, 'method': 7, 'params': []}),
    ('method list', {'id': 1, 'method': ['model.res.user.read'],
            'params': []}),
    ('method object', {'id': 1, 'method': {}, 'params': []}),
    ('method empty', {'id': 1, 'method': '', 'params': []}),
    ('method undotted', {'id': 1, 'method': 'search', 'params': []}),
    ('method spaces', {'id': 1, 'method': 'model.res.user. read',
            'params': []}),
    ('method newline', {'id': 1, 'method': 'model.res.user.read\n',
            'params': [[1], ['name'], {}]}),
    ('params object', {'id': 1, 'method': 'model.res.user.search',
            'params': {'domain': []}}),
    ('params null', {'id': 1, 'method': 'model.res.user.search',
            'params': None}),
    ('params text', {'id': 1, 'method': 'model.res.user.search',
            'params': 'x'}),
    ('id huge', {'id': 10 ** 30, 'method': 'model.res.user.search',
            'params': [[], 0, 1, None, {}]}),
    ('id list', {'id': [1], 'method': 'model.res.user.search',
            'params': [[], 0, 1, None, {}]}),
    ('id long text', {'id': 'x' * 1000, 'method': 'model.res.user.search',
            'params': [[], 0, 1, None, {}]}),
    ('no id', {'method': 'model.res.user.search',
            'params': [[], 0, 1, None, {}]}),
    ('no params', {'id': 1, 'method': 'model.res.user.search'}),
    ('extra key', {'id': 1, 'method': 'model.res.user.search',
            'params': [[], 0, 1, None, {}], 'x': 1}),
    ('login without params', {'id': 1, 'method': 'common.db.login',
            'params': []}),
    ('login params wrong types', {'id': 1, 'method': 'common.db.login',
            'params': [1, 'password', 'en']}),
    ('logout with params', {'id': 1, 'method': 'common.db.logout',
            'params': [1]}),
    ('not an object', [1, 2, 3]),
    ('null', None),
    ]
ROOT_ENVELOPES = [
    ('root unknown method', {'id': 1, 'method': 'system.x', 'params': []}),
    ('root services with params', {'id': 1,
            'method': 'common.authentication.services', 'params': [1]}),
    ]


def rpc_envelopes(url, database, callers):
    """Every malformed envelope on /<db>/rpc/ and /<db>/session/login,
    and those of the database-less /rpc/, for each caller (role →
    Authorization header or None)"""
    cells = []
    json_type = {'Content-Type': 'application/json'}
    for role, authorization in callers.items():
        headers = {**json_type, **(
                {'Authorization': authorization} if authorization else {})}
        for name, body in ENVELOPES:
            probe(cells, f'/{database}/rpc/', role, name, False, 'POST',
                f'{url}{database}/rpc/', json.dumps(body), headers)
        for name, body in ROOT_ENVELOPES + ENVELOPES[:8]:
            probe(cells, '/rpc/', role, name, False, 'POST', f'{url}rpc/',
                json.dumps(body), headers)
    for name, params in [('login no params', None),
            ('login params object', {'login': 'admin'}),
            ('login short params', ['admin']),
            ('login wrong types', [['admin'], 'password'])]:
        probe(cells, f'/{database}/session/login', 'anonymous', name, False,
            'POST', f'{url}{database}/session/login',
            json.dumps({'params': params}), json_type)
    # A well formed call next to them: answered
    probe(cells, f'/{database}/rpc/', 'anonymous', 'well formed', True,
        'POST', f'{url}rpc/', json.dumps({'id': 1,
                'method': 'common.server.version', 'params': []}),
        json_type)
    return cells


# Parameters of /<db>/data/<model>, each wrong in one way: refused before
# the export (by marcier/hardening.py) or by trytond's own checks
BAD_DATA = [
    ('unknown encoding', {'enc': 'nosuchenc', 'f': 'id'}),
    ('encoding lacking characters', {'enc': 'latin-1', 'f': 'id'}),
    ('binary codec', {'enc': 'rot13', 'f': 'id'}),
    ('two-character delimiter', {'dl': 'ab', 'f': 'id'}),
    ('empty delimiter', {'dl': '', 'f': 'id'}),
    ('empty quote', {'qc': '', 'f': 'id'}),
    ('limit not a number', {'s': 'x', 'f': 'id'}),
    ('negative limit', {'s': '-1', 'f': 'id'}),
    ('negative page', {'s': '5', 'p': '-2', 'f': 'id'}),
    ('header not a number', {'h': 'yes', 'f': 'id'}),
    ('domain not JSON', {'d': '[', 'f': 'id'}),
    ('domain an object', {'d': '{}', 'f': 'id'}),
    ('domain a string', {'d': '"abc"', 'f': 'id'}),
    ('ids of floats', {'d': '[1.5]', 'f': 'id'}),
    ('unknown field in domain', {'d': '[["nosuch", "=", 1]]', 'f': 'id'}),
    ('context not JSON', {'c': 'x', 'f': 'id'}),
    ('context a list', {'c': '[1]', 'f': 'id'}),
    ('context language a number', {'c': '{"language": 5}', 'f': 'id'}),
    ('language not a code', {'l': '../x', 'f': 'id'}),
    ('unknown field', {'f': 'nosuch_field'}),
    ('field with markup', {'f': '<x>'}),
    ('unknown order', {'f': 'id', 'o': 'nosuch_field'}),
    ('order direction', {'f': 'id', 'o': 'id,SIDEWAYS'}),
    ]


# Those that depend on the model (its fields, whether it keeps records)
PER_MODEL = {'unknown encoding', 'two-character delimiter', 'unknown field',
    'context a list'}


def data_route(url, database, authorization, models, role='admin',
        every=10):
    """Every model's export with the bad parameters of PER_MODEL, every
    every-th model with all of BAD_DATA, then a plain export"""
    cells = []
    headers = {'Authorization': authorization}
    for number, model in enumerate(models):
        base = f'{url}{database}/data/{urllib.parse.quote(model)}?'
        for name, params in BAD_DATA:
            if number % every and name not in PER_MODEL:
                continue
            probe(cells, model, role, name, False, 'GET',
                base + urllib.parse.urlencode(params), None, headers)
        # Answered or refused (rights, a model without table): no crash
        probe(cells, model, role, 'plain export', None, 'GET',
            base + urllib.parse.urlencode({'f': 'id', 's': '3'}), None,
            headers)
    return cells


def b64(database):
    return base64.urlsafe_b64encode(database.encode()).decode().rstrip('=')


def shown_products(admin):
    "{template id: whether the mall shows it} of the mall products"
    today = dt.date.today().isoformat()
    shown = set(admin.search('mall.listing', [
                ('state', '=', 'listed'),
                ('product.active', '=', True),
                ['OR', ('valid_from', '=', None),
                    ('valid_from', '<=', {'__class__': 'date',
                            'year': int(today[:4]), 'month': int(today[5:7]),
                            'day': int(today[8:])})],
                ['OR', ('valid_to', '=', None),
                    ('valid_to', '>=', {'__class__': 'date',
                            'year': int(today[:4]), 'month': int(today[5:7]),
                            'day': int(today[8:])})],
                ]))
    listings = admin.read('mall.listing', sorted(shown), ['product'])
    public = {l['product'] for l in listings}
    products = admin.search_read('product.template', [
            ('mall', '=', True), ('images', '!=', None)],
        ['code', 'products'])
    return {p['id']: (p, p['id'] in public) for p in products}


# Query strings a client may send the picture routes: odd sizes are
# answered with one of the allowed sizes, never a 500
PICTURE_QUERIES = ['', 's=20', 's=10000', 's=0', 's=-1', 's=abc',
    'w=5&h=2000', 'i=99', 'i=-1', 'id=abc', 's=99999999999999']


def public_images(url, database, admin, queries=PICTURE_QUERIES):
    """The pictures of every mall product, its variants' too, as an
    anonymous client: shown only for products a public listing shows"""
    cells = []
    for template, public in shown_products(admin).values():
        variants = admin.read('product.product', template['products'],
            ['code'])
        targets = [('product', template['code'])] + [
            ('product/variant', v['code']) for v in variants if v['code']]
        for route, code in targets:
            base = (f'{url}{route}/image/{urllib.parse.quote(code, "")}/'
                f'{b64(database)}/x')
            probe(cells, f'{route} {code}', 'anonymous', 'picture', public,
                'GET', base)
            for query in queries:
                probe(cells, f'{route} {code}', 'anonymous', f'?{query}',
                    None if public else False, 'GET', f'{base}?{query}')
    return cells
