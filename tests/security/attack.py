"""A scripted attack on a running Marcier demo server (H3): injection
payloads in every public field, forged sessions and cross-site requests,
brute-forced passwords and codes, agent B using agent A's ids in every RPC
call.  Prints each attempt and the number of successes, which must be 0.

    python -m tests.security.attack --url http://127.0.0.1:8000/ --db marcier

Table-driven: a module with new entry points appends to PUBLIC_FIELDS
(where a payload can go), ROUTES (URL templates with {payload}) or
ATTACKS (a whole new kind of attack).
"""
import argparse
import base64
import http.client
import json
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import pyotp

from ..rpc import DEMO_PASSWORD, Client, RPCError, post

PAYLOADS = [
    "' OR '1'='1",
    "admin'--",
    "1; DROP TABLE res_user; --",
    "') UNION SELECT login, password_hash FROM res_user --",
    '"><script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '{{7*7}}${7*7}%(password)s',
    '../../../../etc/passwd',
    '..%2f..%2f..%2fetc%2fpasswd',
    'x\x00y',
    'ä' * 5000,
    ]


@dataclass
class Attempt:
    attack: str
    target: str
    payload: str
    success: bool
    detail: str = ''

    def __str__(self):
        mark = 'SUCCESS' if self.success else 'refused'
        payload = self.payload if len(self.payload) < 60 else (
            self.payload[:57] + '...')
        return (f'[{mark}] {self.attack}: {self.target} '
            f'{payload!r} → {self.detail}')


@dataclass
class Target:
    url: str  # ends with /
    database: str
    password: str = DEMO_PASSWORD
    attempts: list = field(default_factory=list)

    @property
    def rpc(self):
        return f'{self.url}{self.database}/rpc/'

    def client(self, login):
        return Client(self.url, self.database, login, self.password)

    def record(self, attack, target, payload, success, detail=''):
        attempt = Attempt(attack, target, str(payload), bool(success),
            str(detail)[:100])
        self.attempts.append(attempt)
        print(attempt, flush=True)
        return attempt


def fetch(method, url, body=None, headers=None):
    "(status, body text) of a request, whatever the status"
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=60)
    try:
        # The path goes out as given: no client-side normalisation of ../
        connection.request(method, parts.path + (
                f'?{parts.query}' if parts.query else ''),
            body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode('utf-8', 'replace')
    finally:
        connection.close()


def rpc_status(target, method, params, headers):
    "(status, answer) of a JSON-RPC call with the given headers"
    body = json.dumps({'id': 1, 'method': method, 'params': params})
    return fetch('POST', target.rpc, body, {
            'Content-Type': 'application/json', **headers})


def login(target, login_, **parameters):
    "True if the login gave a session"
    try:
        post(target.rpc, 'common.db.login',
            [login_, {'password': target.password, **parameters}, 'en'])
        return True
    except (urllib.error.HTTPError, RPCError):
        return False


def login_answer(target, login_, **parameters):
    "The HTTP status, or 200 with the kind of error, of a login"
    try:
        post(target.rpc, 'common.db.login',
            [login_, {'password': target.password, **parameters}, 'en'])
        return 200, 'session'
    except urllib.error.HTTPError as error:
        return error.code, ''
    except RPCError as error:
        return 200, error.kind


# Where an anonymous or logged-in attacker can put a payload.
# (name, function(target, payload) → (success, detail))
def _login_name(target, payload):
    status, kind = login_answer(target, payload)
    return status >= 500 or kind == 'session', f'HTTP {status} {kind}'


def _rpc_search(target, payload):
    "Agent staff's own session, payloads in domains, orders and fields"
    client = target.agent_b
    results = []
    for call in [
            ('search', [('serial', '=', payload)], 0, None, None),
            ('search', [('serial', 'ilike', f'%{payload}%')], 0, None, None),
            ('search', [(payload, '=', 1)], 0, None, None),
            ('search', [], 0, None, [[payload, 'ASC']]),
            ('read', target.b_vehicles[:1], [payload]),
            ]:
        body = json.dumps({'id': 1,
                'method': f'model.device.vehicle.{call[0]}',
                'params': [*call[1:], client.context]})
        status, answer = fetch('POST', target.rpc, body, {
                'Content-Type': 'application/json',
                'Authorization': client.authorization})
        leaked = False
        if status == 200:
            result = json.loads(answer).get('result')
            if call[0] == 'search' and result:
                leaked = not set(result) <= set(target.b_vehicles)
        results.append((status >= 500 or leaked, status))
    return any(r[0] for r in results), [r[1] for r in results]


def _rpc_stored(target, payload):
    "A payload stored in a text field comes back as it went in"
    client = target.agent_b
    customer, = client.search('marcier.customer', [], limit=1)
    try:
        client.write('marcier.customer', [customer], {'note': payload})
        stored, = client.read('marcier.customer', [customer], ['note'])
    except RPCError as error:
        return False, f'refused: {error.message[:60]}'
    except urllib.error.HTTPError as error:
        return error.code >= 500, f'HTTP {error.code}'
    return stored['note'] != payload, 'stored verbatim'


def _mall_form(target):
    "(listing id, CSRF cookie, CSRF field, token) of a mall detail page"
    status, page = fetch('GET', target.url + 'mall')
    listing = re.search(r'href="/mall/(\d+)"', page).group(1)
    connection = http.client.HTTPConnection(
        *urllib.parse.urlsplit(target.url).netloc.split(':'), timeout=60)
    try:
        connection.request('GET', f'/mall/{listing}')
        response = connection.getresponse()
        page = response.read().decode()
        cookie = response.getheader('Set-Cookie', '').split(';')[0]
    finally:
        connection.close()
    field, token = re.search(
        r'type="hidden" name="([^"]+)" value="([^"]+)"', page).groups()
    return listing, cookie, field, token


def _mall_inquiry(target, payload):
    """The mall's inquiry form with the payload in every text field and a
    bad mobile number: the form comes back with the payload escaped"""
    listing, cookie, field, token = _mall_form(target)
    body = urllib.parse.urlencode({field: token, 'name': payload,
            'mobile': 'x' + payload, 'message': payload, 'quantity': '1',
            'period': '6', 'period_unit': 'month'})
    status, page = fetch('POST', f'{target.url}mall/{listing}', body, {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Cookie': cookie})
    raw = '<' in payload and payload in page
    return status >= 500 or raw or status < 400, f'HTTP {status}'


def _mall_without_token(target, payload):
    "The inquiry form posted without (or with a made-up) CSRF token"
    listing, cookie, field, _ = _mall_form(target)
    body = urllib.parse.urlencode({field: payload, 'name': 'Li Lei',
            'mobile': '13812345678', 'quantity': '1', 'period': '6',
            'period_unit': 'month'})
    status, _ = fetch('POST', f'{target.url}mall/{listing}', body, {
            'Content-Type': 'application/x-www-form-urlencoded',
            'Cookie': cookie})
    return status < 400, f'HTTP {status}'


PUBLIC_FIELDS = [
    ('JSON-RPC login name', _login_name),
    ('JSON-RPC domain, order and field names', _rpc_search),
    ('customer note (stored, shown in the back office)', _rpc_stored),
    ('mall inquiry form (name, mobile, message)', _mall_inquiry),
    ('mall inquiry without its CSRF token', _mall_without_token),
    ]

# Public URL templates; {db} is the database, {payload} the payload
ROUTES = [
    '/{payload}/device/fleet-map',
    '/{db}/device/fleet-map/{payload}',
    '/{db}/device/fleet-map/leaflet/{payload}',
    '/{db}/device/fleet-map?x={payload}',
    '/mall?q={payload}',
    '/mall?city={payload}&category={payload}&tab={payload}',
    '/mall/{payload}',
    '/mall/picture/{payload}/480.jpg',
    '/{db}/wechat/{payload}',
    '/{db}/wechat/wxmarcierdemo0001?signature={payload}&echostr={payload}',
    '/{db}/wechat/wxmarcierdemo0001/h5/{payload}',
    ]


def injection(target):
    for name, function in PUBLIC_FIELDS:
        for payload in PAYLOADS:
            success, detail = function(target, payload)
            target.record('injection', name, payload, success, detail)
    for template in ROUTES:
        for payload in PAYLOADS:
            quoted = urllib.parse.quote(payload, safe='/%')
            url = target.url.rstrip('/') + template.format(
                db=target.database, payload=quoted)
            status, body = fetch('GET', url)
            success = (status >= 500 or 'root:x:0' in body
                or (status == 200 and payload in body and '<' in payload))
            target.record('injection', template, payload, success,
                f'HTTP {status}')
    # The tables the payloads aimed at are still there
    try:
        users = target.operator.search('res.user', [])
        target.record('injection', 'res_user table intact', '',
            not users, f'{len(users)} users')
    except (RPCError, urllib.error.HTTPError) as error:
        target.record('injection', 'res_user table intact', '', True, error)


def preferences_name(client):
    return client.call('model.res.user.get_preferences', False, {})['name']


def forged_sessions(target):
    "Headers and cookies an attacker can make up or steal half of"
    a = target.agent_a
    operator_uid = target.operator.uid
    _, a_uid, a_key = base64.b64decode(
        a.authorization.split()[1]).decode().split(':')

    def session(login_, uid, key):
        return 'Session ' + base64.b64encode(
            f'{login_}:{uid}:{key}'.encode()).decode()
    # (name, headers, whose session it really is: the attacker's own
    # session under another name gains nothing)
    forged = [
        ('random key for operator', {'Authorization': session(
                    'operator', operator_uid, secrets.token_hex(32))}, None),
        ('agent A key with the operator id', {'Authorization': session(
                    'operator', operator_uid, a_key)}, None),
        ('agent A key, operator login', {'Authorization': session(
                    'operator', a_uid, a_key)}, a),
        ('empty key', {'Authorization': session('agent_a', a_uid, '')},
            None),
        ('root user id', {'Authorization': session('admin', 0, a_key)},
            None),
        ('SQL in the key', {'Authorization': session(
                    'agent_a', a_uid, "' OR '1'='1")}, None),
        ('malformed header', {'Authorization': 'Session !!!'}, None),
        ('wrong Basic password', {'Authorization': 'Basic ' +
                base64.b64encode(b'operator:wrong').decode()}, None),
        ('made-up bearer token', {'Authorization': 'Bearer ' +
                secrets.token_hex(32)}, None),
        ('forged session cookie', {'Cookie': f'session=operator:'
                f'{operator_uid}:{secrets.token_hex(32)}'}, None),
        # Cross-site requests riding on a real session
        ('real session from another origin', {
                'Authorization': a.authorization,
                'Origin': 'https://evil.example'}, None),
        ('real session from a null origin', {
                'Authorization': a.authorization, 'Origin': 'null'}, None),
        ]
    for name, headers, holder in forged:
        status, answer = rpc_status(target,
            'model.res.user.get_preferences', [False, {}], headers)
        result = json.loads(answer).get('result') if status == 200 else None
        success = status >= 500 or result is not None and (
            holder is None or result.get('name') != preferences_name(holder))
        target.record('forged session', name, '', success, f'HTTP {status}'
            + (f" as {result.get('name')}" if result else ''))
    # A session that logged out is dead
    client = target.client('agent_c')
    client.call('common.db.logout')
    status, _ = rpc_status(target, 'model.res.user.get_preferences',
        [False, {}], {'Authorization': client.authorization})
    target.record('forged session', 'replay after logout', '',
        status == 200, f'HTTP {status}')


def brute_force(target):
    """Guess a password, then a second-factor code: refused, then locked
    out after [session] max_attempt failures even with the right one"""
    limit = target.max_attempt
    for login_, parameters, what in [
            (target.victim, lambda i: {'password': f'Guess-{i}-2026!'},
                'password'),
            (target.victim_2fa, lambda i: {'totp_code': f'{i:06d}'},
                'second-factor code'),
            ]:
        for attempt in range(limit + 1):
            status, kind = login_answer(target, login_, **parameters(attempt))
            target.record('brute force', f'{what} of {login_}',
                parameters(attempt), kind == 'session', f'HTTP {status}')
        right = {}
        if what == 'second-factor code':
            right = {'totp_code': pyotp.TOTP(target.victim_key).now()}
        status, kind = login_answer(target, login_, **right)
        target.record('brute force', f'right {what} after '
            f'{limit + 1} failures', login_,
            kind == 'session' or status != 429, f'HTTP {status}')


# What agent B tries on each of agent A's records
FOREIGN_CALLS = [
    ('read', lambda ids: [ids, ['id']]),
    ('write', lambda ids: [ids, {}]),
    ('delete', lambda ids: [ids]),
    ('copy', lambda ids: [ids, {}]),
    ('export_data', lambda ids: [ids, ['id']]),
    ('search', lambda ids: [[('id', 'in', ids)], 0, None, None]),
    ('search_count', lambda ids: [[('id', 'in', ids)]]),
    ('search_read', lambda ids: [[('id', 'in', ids)], 0, None, None,
            ['id']]),
    ('resources', lambda ids: [ids[0]]),
    ]


def foreign_ids(target):
    "Agent B with agent A's ids in every RPC call, button and wizard"
    a, b = target.agent_a, target.agent_b
    models = a.search_read('ir.model', [('module', 'like', 'marcier_%')],
        ['name'])
    for model in sorted(m['name'] for m in models):
        try:
            ids = a.search(model, [], limit=20)
        except (RPCError, urllib.error.HTTPError):
            continue
        visible_to_b = set()
        try:
            visible_to_b = set(b.search(model, [('id', 'in', ids)]))
        except (RPCError, urllib.error.HTTPError):
            pass
        # Records both agents see (the agents list, cities) are not A's
        ids = [i for i in ids if i not in visible_to_b]
        if not ids:
            continue
        buttons = [r['name'] for r in a.search_read(
                'ir.model.button', [('model', '=', model)], ['name'])]
        calls = FOREIGN_CALLS + [
            (button, lambda ids: [ids]) for button in buttons]
        for method, params in calls:
            try:
                result = b(model, method, *params(ids))
            except RPCError as error:
                target.record('foreign ids', f'{model}.{method}', ids[:3],
                    False, error.message[:60])
                continue
            except urllib.error.HTTPError as error:
                target.record('foreign ids', f'{model}.{method}', ids[:3],
                    error.code >= 500, f'HTTP {error.code}')
                continue
            leaked = result not in (None, [], 0, {}) and not (
                method == 'resources' and not any(result.values()))
            target.record('foreign ids', f'{model}.{method}', ids[:3],
                leaked, repr(result)[:60])
    # A's records as the parent of B's new records
    a_vehicle = a.search('device.vehicle', [('gateway_id', '!=', None)],
        limit=1)
    for model, values in [
            ('device.vehicle.event', {'vehicle': a_vehicle[0],
                    'type': 'repair', 'date': {'__class__': 'date',
                        'year': 2026, 'month': 1, 'day': 5}}),
            ('iot.command', {'vehicle': a_vehicle[0], 'kind': 'diagnostics'}),
            ]:
        try:
            created = b.create(model, [values])
        except (RPCError, urllib.error.HTTPError) as error:
            target.record('foreign ids', f'{model}.create', values, False,
                getattr(error, 'message', error))
        else:
            target.record('foreign ids', f'{model}.create', values, True,
                created)
    # Wizards opened on A's records
    for wizard, model, state in [
            ('device.vehicle.transfer', 'device.vehicle', 'start'),
            ('res.notification.open', 'res.notification', 'open_'),
            ]:
        ids = a.search(model, [], limit=3)
        context = {**b.context, 'active_model': model,
            'active_id': ids[0], 'active_ids': ids}
        try:
            session, _, _ = b.call(f'wizard.{wizard}.create', context)
            result = b.call(f'wizard.{wizard}.execute', session, {}, state,
                context)
        except (RPCError, urllib.error.HTTPError) as error:
            target.record('foreign ids', f'wizard {wizard}', ids, False,
                getattr(error, 'message', error))
        else:
            target.record('foreign ids', f'wizard {wizard}', ids, True,
                repr(result)[:60])


def _record_cells(target, attack, cells):
    "Record generated checks (malformed.py): a success is an unexpected one"
    for cell in cells:
        target.record(attack, f'{cell.model} {cell.role}', cell.operation,
            cell.unexpected, cell.detail)


def malformed_requests(target):
    """JSON-RPC envelopes of the wrong shape on every RPC path, bad
    parameters of the data route: refused, never a 5xx"""
    from .malformed import data_route, rpc_envelopes
    _record_cells(target, 'malformed requests', rpc_envelopes(
            target.url, target.database,
            {'anonymous': None, 'agent_b': target.agent_b.authorization}))
    _record_cells(target, 'malformed requests', data_route(
            target.url, target.database, target.agent_b.authorization,
            ['device.vehicle', 'mall.listing', 'party.party', 'res.user',
                'device.vehicle.transfer.start'], role='agent_b', every=1))


def public_images(target):
    """product_image's routes as an anonymous client: only the pictures
    of products the mall shows, any size without a crash"""
    from .malformed import public_images as probe
    _record_cells(target, 'public images', probe(target.url,
            target.database, target.operator,
            queries=['s=10000', 's=-1', 's=abc', 'w=5&h=2000']))


def redirect(url, path, host):
    "(status, body, Location) of a GET with the Host header given"
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port,
        timeout=60)
    try:
        connection.putrequest('GET', path, skip_host=host is not None)
        if host is not None:
            connection.putheader('Host', host)
        connection.endheaders()
        response = connection.getresponse()
        return (response.status, response.read().decode('utf-8', 'replace'),
            response.getheader('Location', ''))
    finally:
        connection.close()


FORGED_HOSTS = ['evil.example', 'evil.example:8000', '127.0.0.1:1']
BAD_HOSTS = ['evil.example/x', 'a@evil.example', 'x y', 'evil.example:']


def host_header(target):
    """A forged Host: the WeChat sign-in still sends WeChat the account's
    public URL; a Host that is no host name is refused"""
    for account in target.operator.search_read('wechat.account', [],
            ['app_id', 'public_url']):
        path = f'/{target.database}/wechat/{account["app_id"]}/h5/login'
        public = urllib.parse.urlsplit(account['public_url'] or '').netloc
        for host in FORGED_HOSTS:
            status, _, location = redirect(target.url, path, host)
            back = urllib.parse.parse_qs(urllib.parse.urlsplit(
                    location).query).get('redirect_uri', [''])[0]
            target.record('host header', path, host,
                status >= 500 or urllib.parse.urlsplit(back).netloc
                != public, f'HTTP {status} {back}')
    for host in BAD_HOSTS:
        for path in ['/mall', f'/{target.database}/rpc/']:
            status, _, _ = redirect(target.url, path, host)
            target.record('host header', path, host, status != 400,
                f'HTTP {status}')


def search_oracle(target):
    """Agent B searches what it may read through relations to agent A's
    records: every x2many of the Marcier models naming A's records, and
    the bisection of A's vehicle position through a maintenance plan"""
    a, b = target.agent_a, target.agent_b
    count = len(target.attempts)

    def probe(model, domain, label):
        try:
            found = b(model, 'search_count', domain)
        except (RPCError, urllib.error.HTTPError) as error:
            target.record('search oracle', f'{model} {label}', domain,
                getattr(error, 'code', 0) >= 500,
                getattr(error, 'message', error))
        else:
            target.record('search oracle', f'{model} {label}', domain,
                found, f'{found} found')
    relations = []
    for model in sorted({m['name'] for m in a.search_read('ir.model',
                    [('module', 'like', 'marcier_%')], ['name'])}):
        try:
            definitions = b(model, 'fields_get', None)
        except (RPCError, urllib.error.HTTPError):
            continue
        relations.extend({'model': model, 'name': name,
                'relation': d['relation']}
            for name, d in sorted(definitions.items())
            if d['type'] in {'one2many', 'many2many', 'many2one'}
            and d.get('relation') not in {None, model})
    for field in relations:
        try:
            mine = a.search(field['relation'], [], limit=50)
            theirs = set(b.search(field['relation'], [('id', 'in', mine)]))
        except (RPCError, urllib.error.HTTPError):
            continue
        foreign = [i for i in mine if i not in theirs][:3]
        if not foreign:
            continue
        name = field['name']
        for domain in [[(f'{name}.id', 'in', foreign)],
                [(name, 'where', [('id', 'in', foreign)])]]:
            probe(field['model'], domain, name)
    # The probe's own case: a plan counted by A's vehicle, A's position
    vehicle, = a.search_read('device.vehicle', [
            ('maintenances', '!=', None), ('latitude', '!=', None)],
        ['latitude'], limit=1)
    probe('device.maintenance.plan',
        [('schedules.vehicle', '=', vehicle['id'])], 'by vehicle')
    for delta in [-0.001, 0.001]:
        probe('device.maintenance.plan', [('schedules', 'where', [
                        ('vehicle', '=', vehicle['id']),
                        ('vehicle.latitude', '>',
                            vehicle['latitude'] + delta)])], 'bisection')
    print(f'search oracle: {len(target.attempts) - count} probes',
        flush=True)


# Values of the workflow fields an RPC caller tries to write directly
WORKFLOW_WRITES = [
    ('mall.listing', {'state': 'listed'}),
    ('mall.listing', {'listed_at': None}),
    ('device.vehicle', {'status': 'retired'}),
    ('device.vehicle', {'status': 'rented'}),
    ('lease.contract', {'state': 'completed'}),
    ('lease.contract', {'expiry_warned': True}),
    ('lease.installment', {'state': 'paid'}),
    ('lease.quotation', {'state': 'confirmed'}),
    ('iot.alarm', {'state': 'closed'}),
    ('iot.command', {'state': 'acknowledged'}),
    ('mall.inquiry', {'state': 'closed'}),
    ('device.repair', {'state': 'done'}),
    ]


def workflow_fields(target):
    """Agent B and the operator write workflow fields of records they may
    write, and copy them past their first state"""
    count = len(target.attempts)
    for login, client in [('agent_b', target.agent_b),
            ('operator', target.operator)]:
        for model, values in WORKFLOW_WRITES:
            ids = client.search(model, [], limit=1)
            if not ids:
                continue
            calls = [('write', (ids, values))]
            if None not in values.values():  # a copy past the first state
                calls.append(('copy', (ids, values)))
            for method, args in calls:
                try:
                    result = client(model, method, *args)
                except (RPCError, urllib.error.HTTPError) as error:
                    target.record('workflow fields',
                        f'{login} {model}.{method}', values,
                        getattr(error, 'code', 0) >= 500,
                        getattr(error, 'message', error))
                else:
                    target.record('workflow fields',
                        f'{login} {model}.{method}', values, True, result)
    print(f'workflow fields: {len(target.attempts) - count} probes',
        flush=True)


BROKER_NAMES = ['+', '#', 'gw/+', 'gw-1/#', 'gw 1', 'gw\nuser evil',
    'gw:1', 'gw\u00fc', '$SYS', '-gw', 'g' * 65]


def broker_identifiers(target):
    """MQTT wildcards, separators and newlines as gateway ids (the broker
    user name and a topic level): the operator registers them, agent B
    renames its vehicle's gateway; none is stored"""
    count = len(target.attempts)
    for login, client in [('operator', target.operator),
            ('agent_b', target.agent_b)]:
        vehicle, = client.search_read('device.vehicle', [
                ('gateway_id', '!=', None)], ['gateway_id'], limit=1)
        for name in BROKER_NAMES:
            try:
                client.write('device.vehicle', [vehicle['id']],
                    {'gateway_id': name})
            except (RPCError, urllib.error.HTTPError) as error:
                target.record('broker identifiers', f'{login} gateway_id',
                    name, getattr(error, 'code', 0) >= 500,
                    getattr(error, 'message', error))
            else:
                target.record('broker identifiers', f'{login} gateway_id',
                    name, True, 'stored')
                client.write('device.vehicle', [vehicle['id']],
                    {'gateway_id': vehicle['gateway_id']})
    print(f'broker identifiers: {len(target.attempts) - count} probes',
        flush=True)
def core_models(target):
    """Issue 12: rights through the preferences, agent A's parties, users
    and wizard sessions as agent B, also through the CSV data route"""
    a, b, operator = target.agent_a, target.agent_b, target.operator

    def attempt(name, payload, call, leaked=lambda result: True):
        try:
            result = call()
        except (RPCError, urllib.error.HTTPError) as error:
            detail = getattr(error, 'message', None) or error
            target.record('core models', name, payload,
                getattr(error, 'code', 0) >= 500, str(detail)[:60])
        else:
            target.record('core models', name, payload, leaked(result),
                repr(result)[:60])

    def preferences(client, values):
        return lambda: client.call('model.res.user.set_preferences', values,
            client.context)
    for role in operator.search('res.role', []):
        attempt('operator set_preferences roles', role, preferences(
                operator, {'roles': [('create', [{'role': role}])]}))
    groups = operator.search('res.group', [])
    attempt('agent B set_preferences groups', groups, preferences(
            b, {'groups': [('add', groups)]}))
    # role records of others, by stepping ids
    stepped = list(range(1, 60))
    for action in [('write', stepped, {'user': b.uid}),
            ('add', stepped), ('delete', stepped)]:
        attempt('agent B set_preferences roles of others', action[0],
            preferences(b, {'roles': [action]}))
    # Agent A's customers' parties that are not B's customers too
    own_b = {c['party'] for c in b.search_read(
            'marcier.customer', [], ['party'])}
    parties = [p for p in a.search_read('marcier.customer', [], ['party'])
        if p['party'] not in own_b]
    ids = sorted({p['party'] for p in parties})[:5]
    names = [p['name'] for p in a.read('party.party', ids, ['name'])]
    attempt('party.party.read', ids,
        lambda: b.read('party.party', ids, ['name', 'receivable']))
    attempt('party.party.search', names,
        lambda: b.search('party.party', ['OR', ('id', 'in', ids),
                ('name', 'in', names)]), bool)
    attempt('party.party.write', ids,
        lambda: b.write('party.party', ids, {'name': 'B was here'}))
    attempt('party.contact_mechanism.create', ids[0],
        lambda: b.create('party.contact_mechanism', [{'party': ids[0],
                    'type': 'mobile', 'value': '13900000098'}]))
    for model in ['party.contact_mechanism', 'party.address',
            'ir.attachment', 'ir.note']:
        field = 'resource' if model.startswith('ir.') else 'party'
        values = [f'party.party,{i}' for i in ids] if field == 'resource' \
            else ids
        attempt(f'{model}.search', ids,
            lambda: b.search(model, [(field, 'in', values)]), bool)
    # Users: another agent's staff, and anyone's login or rights
    attempt('res.user.read agent A', a.uid,
        lambda: b.read('res.user', [a.uid], ['name']))
    for field in ['login', 'email', 'groups', 'sessions']:
        attempt(f'res.user.search_read {field}', operator.uid,
            lambda: b.search_read('res.user', [], [field]))
    # Agent A's open wizard, by its session id
    wizard = 'wizard.device.vehicle.transfer'

    def context(client):
        vehicle = client.search('device.vehicle', [], limit=1)
        return {**client.context, 'active_model': 'device.vehicle',
            'active_id': vehicle[0], 'active_ids': vehicle}
    session, _, _ = a.call(f'{wizard}.create', context(a))
    for method, args in [('execute', [session, {}, 'start']),
            ('delete', [session])]:
        attempt(f'wizard session of agent A {method}', session,
            lambda: b.call(f'{wizard}.{method}', *args, context(b)))
    a.call(f'{wizard}.delete', session, context(a))
    # The CSV data route runs as the caller
    status, body = fetch('GET',
        f'{target.url}{target.database}/data/party.party?f=name',
        headers={'Authorization': b.authorization})
    target.record('core models', 'CSV data route party.party', names,
        status >= 500 or any(n in body for n in names), f'HTTP {status}')
def on_change(target):
    """Agent B names agent A's records in the values of on_change,
    on_change_with, their per-field methods, pre_validate and the context
    of default_get: each answer would carry their names and what the
    methods read of them (issue 12.1); stepping ids lists everything"""
    a, b = target.agent_a, target.agent_b

    def first(model, domain=()):
        return (a.search(model, list(domain), limit=1) or [None])[0]
    vehicle = first('device.vehicle', [('gateway_id', '!=', None)])
    contract, installment = first('lease.contract'), first('lease.installment')
    line, command = first('lease.contract.line'), first('iot.command')
    payment = a.search('lease.payment', [], limit=1)
    move_line = payment and target.operator.read('lease.payment', payment,
        ['move_line'])[0]['move_line']
    calls = [
        ('lease.contract.line', 'on_change', {'vehicle': vehicle},
            ['vehicle']),
        ('lease.contract.line', 'on_change_with',
            {'_parent_contract.id': contract}, ['currency']),
        ('lease.contract.line', 'on_change', {'id': line}, ['vehicle']),
        ('lease.contract', 'on_change', {'lines': [line]}, ['lines']),
        ('device.vehicle.event', 'on_change', {'vehicle': vehicle},
            ['vehicle']),
        ('device.vehicle.maintenance', 'on_change_with_working_hours',
            {'vehicle': vehicle}),
        ('iot.command', 'on_change_vehicle', {'vehicle': vehicle}),
        ('iot.command', 'pre_validate', {'id': command}),
        ('lease.installment', 'on_change_with', {'contract': contract},
            ['contract_state']),
        ('lease.payment', 'on_change', {'installment': installment},
            ['installment']),
        ('lease.payment', 'on_change', {'move_line': move_line},
            ['move_line']),
        ('res.notification', 'on_change',
            {'related': f'device.vehicle,{vehicle}'}, ['related']),
        ('iot.telemetry.chart.context', 'on_change', {'vehicle': vehicle},
            ['vehicle']),
        ]
    # Stepping ids: the WeChat users (their openid) and A's vehicles
    calls += [('device.repair', 'on_change', {'wechat_user': i},
            ['wechat_user']) for i in range(1, 4)]
    calls += [('lease.quotation.line', 'on_change', {'vehicle': i},
            ['vehicle']) for i in range(1, 8) if i not in target.b_vehicles]
    for model, method, *args in calls:
        if None in args[0].values():
            continue  # no such record in this database
        try:
            result = b(model, method, *args)
        except RPCError as error:
            target.record('on_change', f'{model}.{method}', args[0], False,
                error.message[:60])
        except urllib.error.HTTPError as error:
            target.record('on_change', f'{model}.{method}', args[0],
                error.code >= 500, f'HTTP {error.code}')
        else:
            target.record('on_change', f'{model}.{method}', args[0],
                True, repr(result)[:60])
    # The chart's context names the vehicle: default_get answers its name
    context = {**b.context, 'vehicle': vehicle}
    try:
        result = b.call('model.iot.telemetry.chart.context.default_get',
            ['vehicle'], True, context)
    except (RPCError, urllib.error.HTTPError) as error:
        target.record('on_change', 'iot.telemetry.chart.context.default_get',
            vehicle, False, getattr(error, 'message', error))
    else:
        target.record('on_change', 'iot.telemetry.chart.context.default_get',
            vehicle, 'vehicle.' in result, repr(result)[:60])


ATTACKS = [
    ('injection', injection),
    ('forged session', forged_sessions),
    ('brute force', brute_force),
    ('foreign ids', foreign_ids),
    ('malformed requests', malformed_requests),
    ('public images', public_images),
    ('host header', host_header),
    ('search oracle', search_oracle),
    ('workflow fields', workflow_fields),
    ('broker identifiers', broker_identifiers),
    ('core models', core_models),
    ('on_change', on_change),
    ]


def prepare(target, victim, victim_2fa, victim_key, max_attempt):
    "Log the attackers in; victims are logins the brute force may lock"
    target.agent_a = target.client('agent_a')
    target.agent_b = target.client('agent_b')
    target.operator = target.client('operator')
    target.b_vehicles = target.agent_b.search('device.vehicle', [])
    target.victim, target.victim_2fa = victim, victim_2fa
    target.victim_key = victim_key
    target.max_attempt = max_attempt
    return target


def run(target, attacks=ATTACKS):
    for name, function in attacks:
        print(f'== {name}', flush=True)
        function(target)
    successes = [a for a in target.attempts if a.success]
    print(f'attack run: {len(target.attempts)} attempts, '
        f'{len(successes)} successes', flush=True)
    return successes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--url', required=True)
    parser.add_argument('--db', required=True)
    parser.add_argument('--victim', default='agent_c',
        help="a login the brute force locks out for [session] timeout")
    parser.add_argument('--victim-2fa', default='operator_2fa')
    parser.add_argument('--victim-key', default='',
        help="the TOTP key of --victim-2fa")
    parser.add_argument('--max-attempt', type=int, default=5)
    args = parser.parse_args(argv)
    target = prepare(Target(args.url.rstrip('/') + '/', args.db),
        args.victim, args.victim_2fa, args.victim_key, args.max_attempt)
    return 1 if run(target) else 0


if __name__ == '__main__':
    sys.exit(main())
