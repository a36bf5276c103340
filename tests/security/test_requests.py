"""Malformed requests answer 4xx, never 5xx; the stock picture routes show
only what the mall shows; URLs sent out never come from the Host header.
Generated over every RPC path, every model's data route and every mall
product (malformed.py); the hardening layer is marcier/hardening.py."""
import io
import json
import re
import urllib.parse
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marcier.hardening import Hardening

from ..browser import browser, sao_login
from . import db
from .attack import BAD_HOSTS, FORGED_HOSTS, fetch, redirect
from .malformed import (
    b64, data_route, public_images, rpc_envelopes, shown_products)
from .test_fuzz import segments


def report(cells, output, name):
    "Print '<name>: N cells, M unexpected', write the cells, return those"
    wrong = [c for c in cells if c.unexpected]
    outcomes = Counter(c.outcome for c in cells)
    summary = (f'{name}: {len(cells)} cells, {len(wrong)} unexpected '
        f'({", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))})')
    print(summary)
    (output / f'security-{name.replace(" ", "-")}.txt').write_text('\n'.join(
            [summary, *map(str, wrong), '', 'all cells:', *map(str, cells)])
        + '\n')
    return wrong


def test_rpc_envelopes(secured, output):
    "Each malformed JSON-RPC envelope, on every RPC path: 4xx"
    callers = {'anonymous': None,
        'admin': secured.client('admin').authorization,
        'agent_b': secured.client('agent_b').authorization}
    cells = rpc_envelopes(secured.url, secured.database, callers)
    wrong = report(cells, output, 'rpc envelope')
    assert len(cells) > 80
    assert not wrong, '\n'.join(map(str, wrong))


def models(client):
    return sorted(m['name'] for m in client.search_read(
            'ir.model', [], ['name']))


def test_data_route_every_model(secured, output):
    """/<db>/data/<model> of every model: each malformed parameter 4xx,
    a plain export answered, as the administrator and as agent staff"""
    admin, agent = secured.client('admin'), secured.client('agent_b')
    names = models(admin)
    cells = data_route(secured.url, secured.database, admin.authorization,
        names)
    cells += data_route(secured.url, secured.database, agent.authorization,
        names[::7], role='agent_b')
    wrong = report(cells, output, 'data route')
    assert len(names) > 100 and len(cells) > 100 * 7
    assert not wrong, '\n'.join(map(str, wrong[:50]))


# Every route of trytond, its modules and Marcier, with the parameters
# they read; test_fuzz.py fuzzes Marcier's public pages and RPC bodies
ROUTES = [
    '/{db}/data/{model}',
    '/{db}/data/{x}',
    '/{db}/ir/html/{model}/1/{x}',
    '/avatar/{b64}/{x}',
    '/product/image/{code}/{b64}/{x}',
    '/product/image/{x}/{b64}',
    '/product/variant/image/{code}/{b64}/{x}',
    '/product-category/image/{x}/{b64}/{x}',
    '/{db}/rest/model/{model}',
    '/{db}/rest/model/{model}/1',
    '/{db}/rest/report/{x}/1',
    '/{db}/user/application/',
    '/{db}/bus',
    '/{db}/session/logout',
    '/{db}/device/fleet-map',
    '/mall/picture/1/{x}.jpg',
    '/{db}/wechat/wxmarcierdemo0001/h5/{x}',
    '/{x}/rpc/',
    ]
PARAMETERS = ['s', 'w', 'h', 'i', 'id', 'e', 'k', 't', 'enc', 'dl', 'qc',
    'd', 'c', 'f', 'o', 'p', 'l', 'loc', 'language', 'tab', 'page', 'q',
    'next', 'state', 'code']
values = st.one_of(st.text(max_size=12), st.integers().map(str),
    st.sampled_from(['-1', '0', '10000', '99999999999999999999', '[]', '{}',
            '[1.5]', 'null', '"x"', '[["id", ">", 0]]', 'utf-16',
            'latin-1', ',,', '', '1']))


def test_routes_malformed_parameters(secured, output):
    "Any route with any of the parameters they read: an answer below 500"
    admin = secured.client('admin')
    code = shown_products(admin).popitem()[1][0]['code']
    statuses = Counter()

    @settings(max_examples=400, deadline=None, database=None,
        suppress_health_check=list(HealthCheck))
    @given(route=st.sampled_from(ROUTES), segment=segments,
        model=st.sampled_from(['res.user', 'party.party', 'mall.listing',
                'device.vehicle', 'ir.model', 'nosuch.model']),
        query=st.lists(st.tuples(st.sampled_from(PARAMETERS), values),
            max_size=5),
        method=st.sampled_from(['GET'] * 6 + ['POST', 'PUT', 'DELETE']),
        signed=st.booleans())
    def check(route, segment, model, query, method, signed):
        path = route.format(db=secured.database, x=segment, model=model,
            b64=b64(secured.database), code=code)
        if query:
            path += '?' + urllib.parse.urlencode(query)
        headers = {'Authorization': admin.authorization} if signed else {}
        status, answer = fetch(method, secured.url.rstrip('/') + path,
            b'{}' if method != 'GET' else None,
            {'Content-Type': 'application/json', **headers})
        statuses[status] += 1
        assert status < 500, f'{method} {path}: {status} {answer[:200]}'
        assert 'Traceback' not in answer
    check()
    summary = ', '.join(f'{s}: {n}' for s, n in sorted(statuses.items()))
    print(f'malformed parameters: {sum(statuses.values())} requests '
        f'({summary})')
    (output / 'security-malformed-parameters.txt').write_text(summary + '\n')
    assert statuses[200] and statuses[400]


def cache_sizes(secured, image):
    "The (width, height) of the cached sizes of the image (no RPC reads it)"
    return set(db.execute(secured.uri, 'SELECT width, height FROM '
            'product_image_cache WHERE product_image = ?', (image,)))


def test_public_images(secured, output):
    """Every mall product's pictures as an anonymous client: only those a
    public listing shows; arbitrary sizes add no cache row"""
    from marcier_mall.product_image import SIZES
    from trytond.modules.product_image.product import ImageMixin
    admin = secured.client('admin')
    cells = public_images(secured.url, secured.database, admin)
    wrong = report(cells, output, 'public images')
    shown = shown_products(admin)
    assert {s for _, s in shown.values()} == {True, False}, (
        "the demo has products shown and hidden")
    assert not wrong, '\n'.join(map(str, wrong))

    # Many sizes of one picture: the cache keeps one row per allowed size
    template = next(p for p, s in shown.values() if s)
    image = admin.search('product.image', [('template', '=', template['id'])],
        limit=1)[0]
    base = (f'{secured.url}product/image/{template["code"]}/'
        f'{b64(secured.database)}/x')
    for size in [1, 7, 19, 21, 33, 49, 65, 100, 161, 300, 401, 700, 961,
            2000, 2049, 10000, 123456]:
        status, _ = fetch('GET', f'{base}?s={size}')
        assert status == 200, (size, status)
        status, _ = fetch('GET', f'{base}?w={size}&h={size * 3 % 1000 + 1}')
        assert status == 200, (size, status)
    sizes = cache_sizes(secured, image)
    assert len(sizes) <= len(SIZES) ** 2
    allowed = {ImageMixin._round_size(s) for s in SIZES}
    assert {d for size in sizes for d in size} <= allowed, sizes


def listing_state(secured, listing, state):
    "Move the listing to state through the buttons of the workflow"
    operator = secured.client('operator')
    current, = operator.read('mall.listing', [listing], ['state'])
    path = {('draft', 'listed'): ['submit', 'approve'],
        ('listed', 'delisted'): ['delist'],
        ('delisted', 'draft'): ['draft']}[current['state'], state]
    for button in path:
        operator.button('mall.listing', button, [listing])


def test_public_images_follow_listing(secured):
    """The check of the class: a draft listing's product hidden, shown
    once approved (the operator's buttons), hidden again once delisted;
    the back office's image_url shows it all along"""
    admin = secured.client('admin')
    shown = shown_products(admin)
    # A product whose listings are all in draft
    drafts = {l['product'] for l in admin.search_read('mall.listing',
            [('state', '=', 'draft')], ['product'])}
    others = {l['product'] for l in admin.search_read('mall.listing',
            [('state', '!=', 'draft')], ['product'])}
    template_id = sorted((drafts - others) & set(shown))[0]
    template = shown[template_id][0]
    listing, = admin.search('mall.listing',
        [('product', '=', template_id)], limit=1)
    url = (f'{secured.url}product/image/{template["code"]}/'
        f'{b64(secured.database)}/x?s=20')
    granted, = admin.read('product.template', [template_id], ['image_url'])
    granted = secured.url.rstrip('/') + granted['image_url']

    assert fetch('GET', url)[0] == 404
    assert fetch('GET', granted)[0] == 200
    # another key (its first character changed)
    forged = re.sub(r'k=(\w)',
        lambda m: 'k=' + ('1' if m.group(1) == '0' else '0'), granted)
    assert forged != granted and fetch('GET', forged)[0] == 404
    listing_state(secured, listing, 'listed')
    try:
        assert fetch('GET', url)[0] == 200
    finally:
        listing_state(secured, listing, 'delisted')
        assert fetch('GET', url)[0] == 404
        listing_state(secured, listing, 'draft')
    assert fetch('GET', url)[0] == 404
    assert fetch('GET', granted)[0] == 200


PICTURES_IN_LIST = '''() => Array.from(
    document.querySelectorAll('.treeview img[src*="/product/image/"]'))'''


@pytest.mark.browser
def test_sao_shows_hidden_pictures(secured, output):
    """sao's product list draws image_url in <img> tags, which carry no
    session: the grant shows the operator every product's picture, those
    the mall hides too"""
    hidden = sorted(p['code'] for p, shown in shown_products(
            secured.client('admin')).values() if not shown)
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 900})
        sao_login(page, secured, 'operator')
        # The default list of product templates: product_image's, with
        # the picture before the code
        page.goto(f'{secured.url}#{secured.database}/model/product.template')
        page.locator('.treeview tr', has_text=hidden[0]).first.wait_for(
            timeout=60000)
        page.wait_for_function(
            f'() => ({PICTURES_IN_LIST})().every(i => i.complete)',
            timeout=30000)
        drawn = dict(page.evaluate(f'''() => ({PICTURES_IN_LIST})().map(
            i => [decodeURIComponent(i.src.split('/')[5]), i.naturalWidth])
            '''))
        page.screenshot(path=output / 'security-sao-product-pictures.png')
    assert hidden and all(drawn.get(code) for code in hidden), drawn


def test_oauth_redirect_ignores_host(secured):
    """The WeChat sign-in sends WeChat the account's public URL, whatever
    Host the client sends; a Host that is no host name is refused"""
    operator = secured.client('operator')
    account, = operator.search_read('wechat.account', [],
        ['app_id', 'public_url'], limit=1)
    path = (f'/{secured.database}/wechat/{account["app_id"]}/h5/login')
    expected = (f'{account["public_url"].rstrip("/")}{path[:-len("login")]}'
        'oauth')
    for host in [None, *FORGED_HOSTS]:
        status, _, location = redirect(secured.url, path, host)
        assert status in {302, 303}, (host, status)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        assert query['redirect_uri'] == [expected], (host, location)
    for host in BAD_HOSTS:
        assert redirect(secured.url, path, host)[0] == 400, host


def call(application, method, path, body=b'', content_type='', **extra):
    "Status and body of a request to a WSGI application"
    environ = {'REQUEST_METHOD': method, 'PATH_INFO': path.split('?')[0],
        'QUERY_STRING': path.partition('?')[2], 'CONTENT_TYPE': content_type,
        'CONTENT_LENGTH': str(len(body)), 'wsgi.input': io.BytesIO(body),
        'SERVER_NAME': 'x', 'SERVER_PORT': '80', 'wsgi.url_scheme': 'http',
        'HTTP_HOST': 'x', **extra}
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer['status'] = int(status.split()[0])
    content = b''.join(application(environ, start_response))
    return answer['status'], content


def test_hardening_is_plain_wsgi():
    """The layer wraps any WSGI application: what it passes arrives whole
    (the body it read is put back), what it refuses never arrives"""
    received = []

    def application(environ, start_response):
        received.append(environ['wsgi.input'].read())
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'ok']
    hardened = Hardening(application)
    good = json.dumps({'id': 1, 'method': 'model.res.user.read',
            'params': [[1], ['name'], {}]}).encode()
    assert call(hardened, 'POST', '/db/rpc/', good,
        'application/json') == (200, b'ok')
    assert received == [good]
    assert call(hardened, 'GET', '/db/data/res.user?f=name&enc=utf-8')[0] \
        == 200
    for method, path, body, content_type, extra in [
            ('POST', '/db/rpc/', b'{"id": 1, "method": null, "params": []}',
                'application/json', {}),
            ('POST', '/db/rpc/', b'x', 'text/plain', {}),
            ('GET', '/db/data/res.user?enc=nosuchenc', b'', '', {}),
            ('GET', '/db/data/res.user?dl=ab', b'', '', {}),
            ('GET', '/mall?q=%00', b'', '', {}),
            ('GET', '/mall', b'', '', {'HTTP_HOST': 'a/b'}),
            ]:
        status, _ = call(hardened, method, path, body, content_type, **extra)
        assert 400 <= status < 500, (path, body)
    assert len(received) == 2
