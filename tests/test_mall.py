"""The mall through the real JSON-RPC layer and HTTP: catalogue rights,
the listing review workflow, agent isolation of listings and inquiries,
and what the public storefront shows (SPEC A1-A7, B1-B3, H1)."""
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from .rpc import RPCError


def ids(client, model, domain):
    return client.search(model, domain)


def agent_id(client, code):
    agent, = ids(client, 'marcier.agent', [('code', '=', code)])
    return agent


def city_id(client, name):
    city, = ids(client, 'marcier.city', [('name', '=', name)])
    return city


def product_id(client, code):
    product, = ids(client, 'product.template', [('code', '=', code)])
    return product


def new_listing(client, product='MC-G2', city='Shanghai', price='1800'):
    "A draft listing of client's own agent"
    listing, = client.create('mall.listing', [{
                'product': product_id(client, product), 'years_of_use': 1,
                'cities': [('add', [city_id(client, city)])],
                'prices': [('create', [{'city': city_id(client, city),
                                'price': price, 'unit': 'month'}])],
                }])
    return listing


def state(client, listing):
    return client.read('mall.listing', [listing], ['state'])[0]['state']


def reject(client, listing, reason):
    "Run the Reject wizard on listing as client does from the review list"
    context = {**client.context, 'active_model': 'mall.listing',
        'active_id': listing, 'active_ids': [listing]}
    session, _, _ = client.call('wizard.mall.listing.reject.create', context)
    try:
        client.call('wizard.mall.listing.reject.execute', session,
            {'start': {'reason': reason}}, 'reject', context)
    finally:
        client.call('wizard.mall.listing.reject.delete', session, context)


def messages(client, text):
    return client.search_read('res.notification',
        [('label', 'like', f'%{text}%'), ('mine', '=', True)],
        ['label', 'body', 'kind', 'related'])


def get(platform, path, opener=None, language='en'):
    """Status and text of a public page in language (None: the client asks
    for none); English by default, the language of the texts tested"""
    request = urllib.request.Request(platform.url + path.lstrip('/'),
        headers={'Accept-Language': language} if language else {})
    try:
        open_ = opener.open if opener else urllib.request.urlopen
        with open_(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_catalogue_is_the_operators(operator, agent_a):
    "Operators keep categories, models and products; agents only read"
    products = agent_a.search_read('product.template',
        [('mall', '=', True)], ['name', 'rated_load'])
    assert len(products) >= 15
    for model, values in [
            ('product.category', {'name': "Agent category"}),
            ('mall.product.model', {'code': 'X1', 'name': "X"}),
            ]:
        with pytest.raises(RPCError, match='not allowed to'):
            agent_a.create(model, [values])
    with pytest.raises(RPCError, match='not allowed to'):
        agent_a.write('product.template', [products[0]['id']],
            {'rated_load': 1})

    top, = operator.create('product.category', [{'name': f"T{uuid.uuid4()}"}])
    sub, = operator.create('product.category', [{'name': "Sub",
                'parent': top}])
    with pytest.raises(RPCError, match='third level'):
        operator.create('product.category', [{'name': "Deep",
                    'parent': sub}])
    with pytest.raises(RPCError, match='sub-categories'):
        operator.delete('product.category', [top])
    golf, = ids(operator, 'product.category', [('name', '=', "2-4 Seats")])
    with pytest.raises(RPCError, match='still has products'):
        operator.delete('product.category', [golf])
    operator.delete('product.category', [sub, top])


def test_agents_see_only_their_listings(operator, agent_a, agent_b):
    mine = agent_a.search_read('mall.listing', [], ['agent', 'state'])
    assert mine and {l['agent'] for l in mine} == {agent_id(operator, 'A')}
    theirs = ids(agent_b, 'mall.listing', [('state', '=', 'listed')])
    assert theirs and not set(theirs) & {l['id'] for l in mine}
    with pytest.raises(RPCError, match='not allowed to read'):
        agent_a.read('mall.listing', theirs[:1], ['state'])
    with pytest.raises(RPCError, match='not allowed to write'):
        agent_a.write('mall.listing', theirs[:1], {'years_of_use': 9})
    with pytest.raises(RPCError):
        agent_a.button('mall.listing', 'delist', theirs[:1])
    assert state(operator, theirs[0]) == 'listed'
    assert len(ids(operator, 'mall.listing', [])) > len(mine) + len(theirs)


def test_listing_review_workflow(platform, operator, agent_a, agent_b):
    "Draft, submit, reject with reason, resubmit, approve, delist"
    listing = new_listing(agent_a)
    status, _ = get(platform, f'/mall/{listing}')
    assert status == 404  # a draft is not public
    with pytest.raises(RPCError):
        agent_a.button('mall.listing', 'approve', [listing])

    agent_a.button('mall.listing', 'submit', [listing])
    review = ids(operator, 'mall.listing', [('state', '=', 'submitted')])
    assert listing in review
    todo = [m for m in messages(operator,
            operator.message('marcier_mall.msg_listing_review_title'))
        if m['related'] == f'mall.listing,{listing}']
    assert todo and todo[0]['kind'] == 'todo'
    with pytest.raises(RPCError, match='not allowed'):
        agent_a.button('mall.listing', 'approve', [listing])
    with pytest.raises(RPCError):
        reject(agent_a, listing, "I reject my own")
    with pytest.raises(RPCError):
        agent_b.button('mall.listing', 'draft', [listing])
    # Submitted: the offer is frozen until it goes back to draft
    with pytest.raises(RPCError, match='back to draft'):
        agent_a.write('mall.listing', [listing], {'years_of_use': 3})

    reject(operator, listing, "Add the Suzhou price too")
    assert state(agent_a, listing) == 'rejected'
    rejected, = [m for m in messages(agent_a,
            agent_a.message('marcier_mall.msg_listing_rejected_title'))
        if m['related'] == f'mall.listing,{listing}']
    assert rejected['body'] == "Add the Suzhou price too"

    agent_a.button('mall.listing', 'draft', [listing])
    agent_a.write('mall.listing', [listing], {'years_of_use': 2})
    agent_a.button('mall.listing', 'submit', [listing])
    operator.button('mall.listing', 'approve', [listing])
    assert state(agent_a, listing) == 'listed'
    assert [m for m in messages(agent_a,
            agent_a.message('marcier_mall.msg_listing_published_title'))
        if m['related'] == f'mall.listing,{listing}']
    status, page = get(platform, f'/mall/{listing}')
    assert status == 200 and "MC-G2 Golf Cart" in page

    prices = agent_a.read('mall.listing', [listing], ['prices'])[0]['prices']
    with pytest.raises(RPCError, match='back to draft'):
        agent_a.write('mall.listing.price', prices, {'price': '1'})
    with pytest.raises(RPCError):
        agent_a.button('mall.listing', 'approve', [listing])

    agent_a.button('mall.listing', 'delist', [listing])
    assert state(operator, listing) == 'delisted'
    assert get(platform, f'/mall/{listing}')[0] == 404

    logs = agent_a.search_read('mall.listing.log',
        [('listing', '=', listing)], ['from_state', 'to_state', 'user',
            'reason', 'date'], order=[('id', 'ASC')])
    assert [(l['from_state'], l['to_state']) for l in logs] == [
        ('draft', 'submitted'), ('submitted', 'rejected'),
        ('rejected', 'draft'), ('draft', 'submitted'),
        ('submitted', 'listed'), ('listed', 'delisted')]
    assert {l['user'] for l in logs} == {agent_a.uid, operator.uid}
    assert logs[1]['reason'] == "Add the Suzhou price too"
    assert all(l['date'] for l in logs)
    with pytest.raises(RPCError, match='workflow only'):
        agent_a.write('mall.listing.log', [logs[0]['id']], {'reason': "x"})
    with pytest.raises(RPCError, match='workflow only'):
        agent_a.create('mall.listing.log', [{'listing': listing}])


def test_operator_delists_any_listing(platform, operator, agent_b):
    listing = new_listing(agent_b, 'MC-G4', 'Beijing')
    agent_b.button('mall.listing', 'submit', [listing])
    operator.button('mall.listing', 'approve', [listing])
    assert get(platform, f'/mall/{listing}')[0] == 200
    operator.button('mall.listing', 'delist', [listing])
    assert state(agent_b, listing) == 'delisted'
    assert [m for m in messages(agent_b,
            agent_b.message('marcier_mall.msg_listing_delisted_title'))
        if m['related'] == f'mall.listing,{listing}']
    assert get(platform, f'/mall/{listing}')[0] == 404


def test_review_list(operator, agent_a):
    "The operator's review list: submitted listings and their columns"
    review = operator.search_read('mall.listing',
        [('state', '=', 'submitted')],
        ['category.rec_name', 'product_model.rec_name', 'product_code',
            'rated_load', 'lift_height', 'agent.rec_name', 'years_of_use'])
    demo = [r for r in review if r['product_code'] == 'MC-P5']
    assert demo, review
    row = demo[0]
    assert row['category.']['rec_name'].endswith("Enclosed Patrol Cars")
    assert row['product_model.']['rec_name'].startswith('MC-P5')
    assert row['rated_load'] == 450 and row['lift_height'] is None
    assert row['agent.']['rec_name'].startswith('[A]')
    menu = operator.model_data('marcier_mall', 'menu_listing_review')
    assert operator.search('ir.ui.menu', [('id', '=', menu)]) == [menu]
    assert agent_a.search('ir.ui.menu', [('id', '=', menu)]) == []


def test_public_mall_lists_listed_only(platform, operator):
    listed = operator.search_read('mall.listing',
        [('state', '=', 'listed')], ['product.name'])
    hidden = operator.search_read('mall.listing',
        [('state', '!=', 'listed')], ['product.name'])
    status, page = get(platform, '/mall')
    assert status == 200
    names = set(re.findall(r'<h3 class="card-name">(.*?)</h3>', page))
    assert 0 < len(listed) <= 24  # one page
    assert names == {l['product.']['name'] for l in listed}
    assert f"{len(listed)} vehicles for rent" in page
    for listing in hidden:
        assert get(platform, f'/mall/{listing["id"]}')[0] == 404


def test_mall_in_chinese(platform, operator):
    """Chinese first: the demo catalogue's Chinese names, ¥ prices, cities;
    English by the switch link; searches in either language and pinyin"""
    status, page = get(platform, '/mall', language=None)
    assert status == 200 and '<html lang="zh-CN">' in page
    names = re.findall(r'<h3 class="card-name">(.*?)</h3>', page)
    assert "MC-G4 高尔夫球车，4座" in names
    assert all(re.search(r'[\u4e00-\u9fff]', n) for n in names)
    for text in ["观光车", "电动叉车", "上海", "¥4,500</strong>/月起",
            "上市优惠：首月租金8折"]:
        assert text in page
    listing, = ids(operator, 'mall.listing', [('state', '=', 'listed'),
            ('product.code', '=', 'MC-F15')])
    _, page = get(platform, f'/mall/{listing}', language='zh-CN,zh;q=0.9')
    for text in ["MC-F15 电动叉车，1.5吨", "锂电池，可随时补电", "载荷中心距",
            "服务城市：上海、苏州", "押金：一个月租金", "已使用 2 年",
            "平衡重式叉车", "¥3,500</strong>/月"]:
        assert text in page, text
    _, page = get(platform, f'/mall/{listing}?lang=en', language=None)
    for text in ["MC-F15 Electric Forklift, 1.5 t", "Load centre",
            "Serves Shanghai, Suzhou", "CN¥3,500"]:
        assert text in page, text
    assert "电动叉车" not in page

    def found(query, language):
        _, page = get(platform, f'/mall?q={urllib.parse.quote(query)}',
            language=language)
        return re.findall(r'<a href="/mall/(\d+)">\s*<div class="card-pic',
            page)
    for query, codes in [("叉车", {'MC-F15', 'MC-F30'}),
            ("forklift", {'MC-F15', 'MC-F30'}), ("cc", {'MC-F15', 'MC-F30'}),
            ("高尔夫", {'MC-G4', 'MC-G6', 'MC-G2'}),
            ("gef", {'MC-G4', 'MC-G6', 'MC-G2'}),
            ("观光车", {'MC-S11', 'MC-S14', 'MC-S23'}),
            ("guanguang", {'MC-S11', 'MC-S14', 'MC-S23'})]:
        expected = set(ids(operator, 'mall.listing', [
                    ('state', '=', 'listed'),
                    ('product.code', 'in', list(codes))]))
        for language in ['zh-CN', 'en']:
            assert set(map(int, found(query, language))) == expected, (
                query, language)


def test_inquiry_goes_to_the_agent(platform, operator, agent_a, agent_b):
    listing, = ids(operator, 'mall.listing', [('state', '=', 'listed'),
            ('product.code', '=', 'MC-F15')])
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders.append(('Accept-Language', 'en'))
    _, page = get(platform, f'/mall/{listing}', opener)
    token = re.search(r'name="csrf_token" value="(\w+)"', page).group(1)
    name = f"Ms Zhou {uuid.uuid4().hex[:6]}"
    values = {'csrf_token': token, 'name': name,
        'mobile': '13912345678', 'city': city_id(operator, 'Suzhou'),
        'quantity': 4, 'period': 3, 'period_unit': 'month',
        'message': "Warehouse in Suzhou <script>alert(1)</script>"}
    with pytest.raises(urllib.error.HTTPError) as error:
        opener.open(platform.url + f'mall/{listing}',
            urllib.parse.urlencode(values).encode())
    assert error.value.code == 400
    page = error.value.read().decode()
    assert "plain text" in page and '<script>alert' not in page
    values['message'] = "Warehouse in Suzhou, from January"
    form = urllib.parse.urlencode(values).encode()
    with opener.open(platform.url + f'mall/{listing}', form) as response:
        assert response.status == 200
        assert "your inquiry was sent" in response.read().decode()
    with pytest.raises(urllib.error.HTTPError) as error:
        opener.open(platform.url + f'mall/{listing}',
            form.replace(b'csrf_token=', b'csrf_token=0'))
    assert error.value.code == 403

    inquiry, = agent_a.search_read('mall.inquiry', [('name', '=', name)],
        ['state', 'agent', 'mobile', 'quantity', 'message', 'listing'])
    assert inquiry['agent'] == agent_id(operator, 'A')
    assert inquiry['state'] == 'new' and inquiry['quantity'] == 4
    assert inquiry['message'] == "Warehouse in Suzhou, from January"
    assert [m for m in messages(agent_a,
            agent_a.message('marcier_mall.msg_inquiry_title', name=name))
        if m['kind'] == 'todo']
    assert agent_b.search('mall.inquiry', [('name', '=', name)]) == []
    with pytest.raises(RPCError, match='not allowed to read'):
        agent_b.read('mall.inquiry', [inquiry['id']], ['mobile'])
    with pytest.raises(RPCError):
        agent_b.button('mall.inquiry', 'contact', [inquiry['id']])
    with pytest.raises(RPCError, match='not allowed to'):
        agent_a.create('mall.inquiry', [{'listing': listing, 'name': "x"}])

    for button, expected in [('contact', 'contacted'), ('quote', 'quoted'),
            ('close', 'closed')]:
        agent_a.button('mall.inquiry', button, [inquiry['id']])
        assert agent_a.read('mall.inquiry', [inquiry['id']],
            ['state'])[0]['state'] == expected
    with pytest.raises(RPCError):
        agent_a.button('mall.inquiry', 'contact', [inquiry['id']])
    assert operator.search('mall.inquiry', [('name', '=', name)])
