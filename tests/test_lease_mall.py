"""A mall visitor's inquiry becomes the agent's lease quotation (SPEC G1:
inquiry → quote → contract), through the public page and JSON-RPC."""
import http.cookiejar
import re
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal

import pytest

from .rpc import RPCError
from .test_mall import city_id, get, ids


def send_inquiry(platform, listing, **values):
    "Post the detail page's inquiry form as a visitor does"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _, page = get(platform, f'/mall/{listing}', opener)
    token = re.search(r'name="csrf_token" value="(\w+)"', page).group(1)
    form = urllib.parse.urlencode({'csrf_token': token, **values}).encode()
    with opener.open(platform.url + f'mall/{listing}', form) as response:
        assert response.status == 200


def test_inquiry_to_quotation(platform, operator, agent_a, agent_b):
    listing, = ids(operator, 'mall.listing', [('state', '=', 'listed'),
            ('product.code', '=', 'MC-F15'), ('agent.code', '=', 'A')])
    name = f"Mr Gao {uuid.uuid4().hex[:6]}"
    mobile = '1390000' + str(uuid.uuid4().int)[:4]
    send_inquiry(platform, listing, name=name, mobile=mobile,
        city=city_id(operator, 'Shanghai'), quantity=2, period=6,
        period_unit='month', start_date='2027-01-01', message="Two forklifts")
    inquiry, = agent_a.search('mall.inquiry', [('name', '=', name)])

    with pytest.raises(RPCError):
        agent_b.button('mall.inquiry', 'make_quotation', [inquiry])
    assert agent_a.search('lease.quotation',
        [('origin', '=', f'mall.inquiry,{inquiry}')]) == []

    action = agent_a.button('mall.inquiry', 'make_quotation', [inquiry])
    quotation, = action['res_id']
    values, = agent_a.read('lease.quotation', [quotation], [
            'origin', 'customer.name', 'agent', 'city', 'start_date',
            'end_date', 'state', 'lines', 'note'])
    assert values['origin'] == f'mall.inquiry,{inquiry}'
    assert values['customer.']['name'] == name
    assert values['start_date'] == {
        '__class__': 'date', 'year': 2027, 'month': 1, 'day': 1}
    assert values['end_date'] == {
        '__class__': 'date', 'year': 2027, 'month': 6, 'day': 30}
    assert values['state'] == 'draft' and values['note'] == "Two forklifts"
    line, = agent_a.read('lease.quotation.line', values['lines'],
        ['quantity', 'rent', 'product'])
    # The listing's catalogue product
    assert line['product'] == operator.read('mall.listing', [listing],
        ['product'])[0]['product']
    price, = operator.search_read('mall.listing.price', [
            ('listing', '=', listing), ('city.name', '=', 'Shanghai'),
            ('unit', '=', 'month')], ['price'])
    assert line['quantity'] == 2
    assert Decimal(line['rent']['decimal']) == Decimal(
        price['price']['decimal'])
    customer, = agent_a.search_read('marcier.customer',
        [('mobile', '=', mobile)], ['source', 'party'])
    assert customer['source'] == 'mall'
    assert agent_b.search('lease.quotation', [('id', '=', quotation)]) == []
    state = agent_a.read('mall.inquiry', [inquiry], ['state'])[0]['state']
    assert state == 'contacted'

    # Agent A has one MC-F15, leased by then: quoting two is refused, with
    # the reason in the staff's language
    with pytest.raises(RPCError) as refused:
        agent_a.button('lease.quotation', 'quote', [quotation])
    assert refused.value.kind == 'UserError'
    assert 'MC-F15' in refused.value.message
    assert '2 ×' in refused.value.message, refused.value.message
    # One, once the demo's leases are over
    agent_a.write('lease.quotation', [quotation], {
            'start_date': {'__class__': 'date', 'year': 2030, 'month': 1,
                'day': 1},
            'end_date': {'__class__': 'date', 'year': 2030, 'month': 6,
                'day': 30},
            'lines': [('write', values['lines'], {'quantity': 1})]})
    agent_a.button('lease.quotation', 'quote', [quotation])
    state = agent_a.read('mall.inquiry', [inquiry], ['state'])[0]['state']
    assert state == 'quoted'
    # A second inquiry from the same mobile finds the same customer
    send_inquiry(platform, listing, name="Gao again", mobile=mobile,
        city=city_id(operator, 'Shanghai'), quantity=1, period=10,
        period_unit='day')
    second, = agent_a.search('mall.inquiry', [('name', '=', "Gao again")])
    action = agent_a.button('mall.inquiry', 'make_quotation', [second])
    other, = agent_a.read('lease.quotation', action['res_id'], ['customer'])
    assert other['customer'] == customer['party']
