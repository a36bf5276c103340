"""The WeChat official account against the running trytond: pushes signed
as WeChat signs them, the fake WeChat API recording the calls, and the H5
pages as a WeChat user's browser sees them."""
import hashlib
import io
import re
import time

import pytest
from PIL import Image

from .rpc import RPCError
from .test_lease_rpc import agent_id
from .wechat import (
    AES_KEY, APP_ID, H5User, Pusher, event_xml, page_path, sign, text_xml)


@pytest.fixture
def pusher(platform, wechat_account):
    return Pusher(platform)


@pytest.fixture
def safe_mode(operator, wechat_account):
    operator.write('wechat.account', [wechat_account], {'aes_key': AES_KEY})
    yield
    operator.write('wechat.account', [wechat_account], {'aes_key': None})


def wait(condition, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    return condition()


def photo(format_='JPEG'):
    buffer = io.BytesIO()
    Image.new('RGB', (640, 480), (10, 120, 60)).save(buffer, format_)
    return buffer.getvalue()


def test_echo(pusher):
    "WeChat checks the server URL with a signed GET"
    response = pusher.http.get(pusher.url,
        params=pusher.query(echostr='hello-123'))
    assert response.status_code == 200
    assert response.text == 'hello-123'
    forged = pusher.query(token='not-the-token', echostr='x')
    assert pusher.http.get(pusher.url, params=forged).status_code == 403
    old = pusher.query(timestamp=int(time.time()) - 301, echostr='x')
    assert pusher.http.get(pusher.url, params=old).status_code == 403


def test_text_reply(pusher):
    """A keyword without matching listing gets the hint, in plaintext mode,
    in Chinese (WeChat gives no language for a follower we never asked);
    each word the hint suggests finds vehicles"""
    response = pusher.push(text_xml('o-text', 'hello', 7000000001))
    assert response.status_code == 200
    assert '<ToUserName><![CDATA[o-text]]>' in response.text
    assert '<MsgType><![CDATA[text]]>' in response.text
    assert '没有与“hello”匹配的车辆' in response.text
    suggested = re.findall(r'“(.*?)”',
        re.search(r'请发送(.*?)等关键词', response.text).group(1))
    assert len(suggested) == 3
    for number, keyword in enumerate(suggested):
        response = pusher.push(text_xml('o-text', keyword, 7000000100 + number))
        assert '<MsgType><![CDATA[news]]>' in response.text, keyword


@pytest.mark.parametrize('keyword, title', [
        ('叉车', "电动叉车"), ('高尔夫', "高尔夫球车"), ('观光车', "观光"),
        ('gef', "高尔夫球车"), ('golf', "高尔夫球车")])
def test_chinese_keywords(pusher, platform, keyword, title):
    "Chinese keywords (and pinyin, English) find the demo's vehicles"
    response = pusher.push(text_xml(
            'o-keywords', keyword, 7000000200 + hash(keyword) % 10 ** 6))
    assert '<MsgType><![CDATA[news]]>' in response.text
    titles = re.findall(r'<Title><!\[CDATA\[(.*?)\]\]>', response.text)
    assert titles and all(title in t for t in titles), titles
    descriptions = re.findall(
        r'<Description><!\[CDATA\[(.*?)\]\]>', response.text)
    assert all(re.search(r'¥[\d,]+/(月|天)起', d) for d in descriptions)


def test_keyword_articles(pusher, platform):
    "A keyword answers the matching mall listings as news articles"
    response = pusher.push(text_xml('o-golf', 'golf', 7000000010))
    assert '<MsgType><![CDATA[news]]>' in response.text
    titles = re.findall(r'<Title><!\[CDATA\[(.*?)\]\]>', response.text)
    assert titles and all('高尔夫球车' in t for t in titles)
    urls = re.findall(r'<Url><!\[CDATA\[(.*?)\]\]>', response.text)
    assert all(u.startswith(platform.url + 'mall/') for u in urls)
    pictures = re.findall(r'<PicUrl><!\[CDATA\[(.*?)\]\]>', response.text)
    assert pictures and '/mall/picture/' in pictures[0]


def test_subscribe(pusher, operator, fake_wechat):
    "Following: welcome with the menu's pages, the follower recorded"
    response = pusher.push(event_xml('o-follow', 'subscribe'))
    assert '欢迎关注马赛尔电动车租赁' in response.text
    assert '/h5/repairs/new' in response.text
    users = operator.search_read('wechat.user',
        [('openid', '=', 'o-follow')], ['subscribed'])
    assert [u['subscribed'] for u in users] == [True]
    assert pusher.push(event_xml('o-follow', 'unsubscribe')).text == 'success'
    users = operator.search_read('wechat.user',
        [('openid', '=', 'o-follow')], ['subscribed'])
    assert [u['subscribed'] for u in users] == [False]


def test_duplicate_answered_once(pusher):
    "WeChat retries a push three times: the same MsgId is answered once"
    xml = text_xml('o-dup', 'golf', 7000000002)
    first = pusher.push(xml)
    assert '<MsgType>' in first.text
    for _ in range(3):
        retry = pusher.push(xml)
        assert retry.status_code == 200
        assert retry.text == 'success'


def test_refused_pushes(pusher):
    "Forged, stale, oversized and hostile pushes are refused"
    xml = text_xml('o-bad', 'hi', 7000000003)
    assert pusher.push(xml, token='forged').status_code == 403
    assert pusher.push(xml,
        timestamp=int(time.time()) - 6 * 60).status_code == 403
    query = pusher.query()
    query['signature'] = query['signature'][:-1] + (
        '0' if query['signature'][-1] != '0' else '1')
    assert pusher.push(xml, query=query).status_code == 403
    big = text_xml('o-bad', 'x' * (64 * 1024), 7000000004)
    assert pusher.push(big).status_code == 413
    # gunicorn closes a connection whose body was refused unread
    pusher.http.close()
    bomb = ('<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<xml><ToUserName>x</ToUserName><FromUserName>&b;</FromUserName>'
        '<MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>')
    assert pusher.push(bomb).status_code == 400
    assert pusher.push('not xml at all').status_code == 400
    # The mode must be the account's: no plaintext in safe mode and back
    assert pusher.push(xml, safe=True).status_code == 400


def test_safe_mode(pusher, safe_mode):
    "Encrypted push, encrypted reply; a bad message signature is refused"
    response = pusher.push(text_xml('o-aes', 'hello', 7000000005), safe=True)
    assert response.status_code == 200
    assert '<Encrypt>' in response.text
    reply = pusher.decrypt(response)
    assert '<ToUserName><![CDATA[o-aes]]>' in reply
    assert '没有与“hello”匹配的车辆' in reply

    xml = text_xml('o-aes', 'hello', 7000000006)
    query = pusher.query()
    envelope = pusher.crypto.encrypt_message(
        xml, query['nonce'], query['timestamp'])
    encrypt = re.search(r'<Encrypt><!\[CDATA\[(.*?)\]\]>', envelope).group(1)
    query.update(encrypt_type='aes', msg_signature=sign(
            'other-token', query['timestamp'], query['nonce'], encrypt))
    response = pusher.http.post(pusher.url, params=query,
        data=f'<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>')
    assert response.status_code == 403
    assert pusher.push(xml).status_code == 400  # plaintext in safe mode


def test_late_reply(pusher, operator, wechat_account, fake_wechat):
    "Past the reply timeout: 'success' now, the customer service API later"
    operator.write('wechat.account', [wechat_account],
        {'reply_timeout': 0})
    try:
        response = pusher.push(text_xml('o-late', 'late one', 7000000007))
    finally:
        operator.write('wechat.account', [wechat_account],
            {'reply_timeout': 4.5})
    assert response.text == 'success'
    sent = wait(lambda: [c for c in fake_wechat.received(
                '/cgi-bin/message/custom/send')
            if c['body']['touser'] == 'o-late'])
    assert sent, fake_wechat.calls
    assert 'late one' in sent[0]['body']['text']['content']


def test_publish_menu(operator, wechat_account, fake_wechat):
    "The custom menu goes to WeChat with one cached access token"
    before = fake_wechat.tokens_issued
    operator.button('wechat.account', 'publish_menu', [wechat_account])
    operator.button('wechat.account', 'publish_menu', [wechat_account])
    menus = fake_wechat.received('/cgi-bin/menu/create')
    assert [b['name'] for b in menus[-1]['body']['button']] == [
        "租车", "我的车辆", "报修", "我的"]
    assert all(b['type'] == 'view' for b in menus[-1]['body']['button'])
    assert fake_wechat.tokens_issued - before <= 1


def test_account_settings_operator_only(agent_a, wechat_account):
    "Agent staff cannot read the account's secrets"
    with pytest.raises(RPCError):
        agent_a.read('wechat.account', [wechat_account], ['secret'])


def test_h5_register_and_repair(platform, fake_wechat, operator, agent_a,
        agent_b, wechat_account):
    "Sign in, bind, report a fault with a photo; nobody else's records"
    owner = H5User(platform, fake_wechat, 'o-owner')
    home = owner.sign_in()
    assert 'Bind my mobile' in home.text
    # Asked userinfo once: the nickname of the fake WeChat
    assert 'WeChat wner' in home.text
    scopes = [c['query'].get('scope') for c in fake_wechat.received(
            '/connect/oauth2/authorize')]
    assert scopes[-2:] == ['snsapi_base', 'snsapi_userinfo']

    # Not bound: no vehicle, no bill, no way to a vehicle by its id
    vehicle_a, = operator.search('device.vehicle',
        [('serial', '=', 'MCA0001')])
    assert 'No vehicle.' in owner.get('vehicles').text
    assert owner.get(f'vehicles/{vehicle_a}').status_code == 404

    # CSRF token required, code requests throttled
    assert owner.post('bind', {'mobile': '13800000001', 'action': 'send'},
        csrf=False).status_code == 403
    response = owner.bind(operator, '13800000001')
    assert page_path(response.url).endswith('/h5/me')
    assert '13800000001' in response.text
    assert 'Shanghai Bund Sightseeing Co.' in response.text
    assert owner.post('bind', {'mobile': '13800000001',
                'action': 'send'}).status_code == 429

    vehicles = owner.get('vehicles')
    assert 'MCA0001' in vehicles.text
    assert 'MCB0001' not in vehicles.text
    assert owner.get(f'vehicles/{vehicle_a}').status_code == 200

    # Inside WeChat the form carries the JS-SDK config, signed from the
    # jsapi_ticket for the page's URL
    form = owner.get(f'repairs/new?vehicle={vehicle_a}')
    config = dict(re.findall(r'data-(\w+)="([^"]*)"', form.text))
    signed = '&'.join(sorted([f'jsapi_ticket={fake_wechat.ticket}',
                f'noncestr={config["nonce"]}',
                f'timestamp={config["timestamp"]}', f'url={form.url}']))
    assert config['signature'] == hashlib.sha1(signed.encode()).hexdigest()
    assert config['appid'] == APP_ID
    assert fake_wechat.received('/cgi-bin/ticket/getticket')

    # A GIF is refused and nothing is written
    response = owner.post('repairs/new', {'vehicle': vehicle_a,
            'description': "Brakes"},
        files=[('photos', ('a.gif', photo('GIF'), 'image/gif'))])
    assert response.status_code == 400
    assert 'not a JPEG or PNG' in response.text
    assert not agent_a.search('device.repair', [('vehicle', '=', vehicle_a),
                ('description', '=', "Brakes")])

    response = owner.post('repairs/new', {'vehicle': vehicle_a,
            'description': "Brakes squeal when going downhill",
            'latitude': '31.23', 'longitude': '121.47'},
        files=[('photos', ('a.jpg', photo(), 'image/jpeg'))])
    assert response.status_code == 200, response.text
    repair_id = int(page_path(response.url).rsplit('/', 1)[1])
    assert 'Submitted' in response.text
    thumbnail, = re.findall(r'src="([^"]+/thumbnail)"', response.text)
    image = owner.http.get(platform.url.rstrip('/') + thumbnail)
    assert image.headers['Content-Type'] == 'image/jpeg'

    # The agent of the vehicle has it, with a to-do; agent B does not
    repair, = agent_a.read('device.repair', [repair_id],
        ['state', 'agent', 'photos', 'latitude'])
    assert repair['state'] == 'submitted'
    assert len(repair['photos']) == 1
    assert repair['latitude'] == pytest.approx(31.23)
    assert agent_a.search('res.notification', [
            ('label', 'like', agent_a.message(
                    'marcier_wechat.msg_repair_todo_title')),
            ('kind', '=', 'todo')])
    assert agent_b.search('device.repair', [('id', '=', repair_id)]) == []

    # Another bound user: none of the owner's vehicle, order or photo
    other = H5User(platform, fake_wechat, 'o-other')
    other.sign_in()
    other.bind(operator, '13900000002')
    assert 'MCB0001' in other.get('vehicles').text
    assert other.get(f'vehicles/{vehicle_a}').status_code == 404
    assert other.get(f'repairs/{repair_id}').status_code == 404
    assert other.http.get(
        platform.url.rstrip('/') + thumbnail).status_code == 404
    response = other.post('repairs/new', {'vehicle': vehicle_a,
            'description': "Not mine"})
    assert response.status_code == 404

    # The workflow, each step a template message to the owner
    staff = agent_a.uid  # (agents do not read logins)
    agent_a.button('device.repair', 'accept', [repair_id])
    agent_a.write('device.repair', [repair_id], {'technician': staff})
    for step in ['dispatch', 'start', 'finish']:
        agent_a.button('device.repair', step, [repair_id])
    sent = wait(lambda: len([c for c in fake_wechat.received(
                    '/cgi-bin/message/template/send')
                if c['body']['touser'] == 'o-owner']) >= 5 and [c for c in
            fake_wechat.received('/cgi-bin/message/template/send')
            if c['body']['touser'] == 'o-owner'])
    # (each a queued task of its own, run after its commit: two of them
    # may reach WeChat in the other order)
    assert sorted(c['body']['data']['keyword2']['value'] for c in sent) == \
        sorted(["Submitted", "Accepted", "Dispatched", "In Repair", "Done"])
    assert sent[0]['body']['url'].endswith(f'/h5/repairs/{repair_id}')
    event, = agent_a.read('device.repair', [repair_id], ['event'])
    assert event['event']

    # Rated once
    page = owner.get(f'repairs/{repair_id}')
    assert 'Done' in page.text and 'rate-form' in page.text
    response = owner.post(f'repairs/{repair_id}', {'rating': '4',
            'comment': "Quick and clean"})
    assert 'Your rating: ★★★★' in response.text
    again = owner.post(f'repairs/{repair_id}', {'rating': '1'},
        csrf=False)
    assert again.status_code == 403
    rating, = agent_a.read('device.repair', [repair_id], ['rating'])
    assert rating['rating'] == '4'


def test_h5_errors(platform, fake_wechat, wechat_account):
    "Unknown pages and accounts answer plain error pages, strict headers"
    user = H5User(platform, fake_wechat, 'o-errors')
    user.sign_in()
    response = user.get('repairs/999999')
    assert response.status_code == 404
    assert 'Traceback' not in response.text
    csp = user.get('me').headers['Content-Security-Policy']
    assert "script-src 'self' https://res.wx.qq.com;" in csp
    assert 'unsafe-inline' not in csp
    # No route of ours: trytond's own answer, no page
    assert user.get('vehicles/not-a-number').status_code in {404, 405}
    # A forged or replayed authorisation: no session
    assert user.get('oauth?code=forged&state=unknown').status_code == 403
    login = user.http.get(user.base + 'login', allow_redirects=False)
    state = re.search(r'state=([^&#]+)', login.headers['Location']).group(1)
    assert user.get(f'oauth?code=forged&state={state}').status_code == 400
    stranger = user.http.get(
        f'{platform.url}{platform.database}/wechat/wxnobody/h5/')
    assert stranger.status_code == 404
    # No session: sent to sign in, never shown the page
    anonymous = H5User(platform, fake_wechat, 'o-anon').http.get(
        user.base + 'me', allow_redirects=False)
    assert anonymous.status_code == 302
    assert '/h5/login' in anonymous.headers['Location']


def test_h5_languages(platform, fake_wechat, operator, wechat_account):
    """The H5 pages in the language WeChat gives for the user, Chinese
    first; the switch link is remembered"""
    user = H5User(platform, fake_wechat, 'o-chinese', language='zh_CN')
    home = user.sign_in()
    assert '<html lang="zh-CN">' in home.text
    assert '绑定手机号' in home.text and '我的工单' in home.text
    assert '暂无车辆。' in user.get('vehicles').text
    assert '页面不存在' in user.get('repairs/999999').text
    page = user.get('me?lang=en').text
    assert '<html lang="en">' in page and 'My work orders' in page
    assert 'No vehicle.' in user.get('vehicles').text  # remembered
    assert '暂无车辆。' in user.get('vehicles?lang=zh_CN').text
    english = H5User(platform, fake_wechat, 'o-english', language='en')
    assert 'Bind my mobile' in english.sign_in().text
    users = operator.search_read('wechat.user',
        [('openid', 'in', ['o-chinese', 'o-english'])],
        ['openid', 'language'])
    assert {u['openid']: u['language'] for u in users} == {
        'o-chinese': 'zh_CN', 'o-english': 'en'}


def test_h5_leasing(platform, fake_wechat, operator, agent_a,
        wechat_account):
    "My contracts and bills with what is overdue; nobody else's"
    unbound = H5User(platform, fake_wechat, 'o-lease-unbound')
    unbound.sign_in()
    assert 'No contract.' in unbound.get('contracts').text
    assert 'No bill.' in unbound.get('bills').text

    party, = [c['party'] for c in agent_a.search_read('marcier.customer',
            [('mobile', '=', '13800000001')], ['party'])]
    contracts = agent_a.search_read('lease.contract', [
            ('customer', '=', party),
            ('state', '!=', 'cancelled')], ['number'])
    bills = agent_a.search_read('lease.installment', [
            ('customer', '=', party), ('state', 'in', ['billed', 'paid'])],
        ['bill_number', 'overdue'])
    assert contracts and bills, "the demo leases to this customer"

    user = H5User(platform, fake_wechat, 'o-lease')
    user.sign_in()
    user.bind(operator, '13800000001')
    page = user.get('contracts')
    for contract in contracts:
        assert contract['number'] in page.text
    contract_id = contracts[0]['id']
    assert user.get(f'contracts/{contract_id}').status_code == 200
    page = user.get('bills')
    assert page.text.count('class="wx-item bill') >= len(bills)
    overdue = [b for b in bills if b['overdue']]
    assert f'Overdue ({len(overdue)})' in page.text
    if overdue:
        assert 'overdue' in user.get('me').text

    other = H5User(platform, fake_wechat, 'o-lease-other')
    other.sign_in()
    other.bind(operator, '13900000002')
    assert other.get(f'contracts/{contract_id}').status_code == 404
    assert contracts[0]['number'] not in other.get('contracts').text
    assert unbound.get(f'contracts/{contract_id}').status_code == 404


def test_demo_repairs(operator, agent_a, agent_b):
    """The demo's work orders: every state, the done ones rated; each
    agent sees its own only"""
    repairs = operator.search_read('device.repair',
        [('description', 'like', 'Demo: %')],
        ['state', 'rating', 'done_at', 'technician'])
    states = operator('device.repair', 'fields_get', ['state'])['state']
    assert {r['state'] for r in repairs} == {
        s for s, _ in states['selection']}
    done = [r for r in repairs if r['state'] == 'done']
    assert done and all(r['rating'] and r['done_at'] for r in done)
    assert all(r['technician'] for r in repairs if r['state'] != 'submitted')
    for client, code in [(agent_a, 'A'), (agent_b, 'B')]:
        mine = client.search_read('device.repair',
            [('description', 'like', 'Demo: %')], ['agent'])
        assert mine and {r['agent'] for r in mine} == {
            agent_id(operator, code)}
