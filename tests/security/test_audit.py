"""The audit trail through the running server: a vehicle handed to
another agent and a gateway's new password leave old and new values (the
password only as changed), readable by operators, not by agent staff."""
import pytest

from ..rpc import RPCError
from ..test_device_ledger import run_transfer


def lines(client, model, record, field):
    return client.search_read('marcier.audit', [
            ('model', '=', model), ('record_id', '=', record),
            ('field', '=', field), ('event', '=', 'write')],
        ['user', 'event', 'old_value', 'new_value', 'company'])


def test_owner_and_credentials_audited(secured):
    operator = secured.client('operator')
    agent_c = secured.client('agent_c')
    vehicle, = operator.search('device.vehicle', [
            ('serial', '=', 'MCC0004'), ('customer', '=', None)])
    agent_b, = operator.search('marcier.agent', [('code', '=', 'B')])
    run_transfer(operator, vehicle, {'to_agent': agent_b})
    line, = lines(operator, 'device.vehicle', vehicle, 'agent')
    assert line['user'] == operator.uid and line['event'] == 'write'
    assert line['old_value'].startswith('[C] ')
    assert line['new_value'].startswith('[B] ')
    assert line['company'] == operator.context['company']

    gateway, = operator.search('iot.gateway', [('vehicle', '=', vehicle)])
    operator.button('iot.gateway', 'rotate', [gateway])
    secret, = operator.read('iot.gateway', [gateway], ['secret'])
    changed = lines(operator, 'iot.gateway', gateway, 'secret')
    assert [(c['old_value'], c['new_value']) for c in changed] == [
        (None, '(changed)')]
    assert not operator.search('marcier.audit', [
            ('new_value', 'like', f"%{secret['secret']}%")])

    # Agent staff read no audit line, not even of their own vehicles
    with pytest.raises(RPCError, match='not allowed'):
        agent_c.search('marcier.audit', [])


def test_listing_price_and_state_audited(secured):
    "An agent's new price and the listing's submission keep old and new"
    operator = secured.client('operator')
    agent_a = secured.client('agent_a')
    listing, = agent_a.search_read('mall.listing', [('state', '=', 'draft')],
        ['prices'], limit=1)
    price_id = listing['prices'][0]
    old, = agent_a.read('mall.listing.price', [price_id], ['price'])
    new = {'__class__': 'Decimal', 'decimal': '1234.50'}
    agent_a.write('mall.listing.price', [price_id], {'price': new})
    agent_a.button('mall.listing', 'submit', [listing['id']])
    try:
        price, = lines(operator, 'mall.listing.price', price_id, 'price')
        assert (price['old_value'], price['new_value'], price['user']) == (
            str(old['price']['decimal']), '1234.50', agent_a.uid)
        state, = lines(operator, 'mall.listing', listing['id'], 'state')
        assert (state['old_value'], state['new_value']) == (
            'draft', 'submitted')
    finally:
        # The demo's draft as it was: later tests start from drafts
        agent_a.button('mall.listing', 'draft', [listing['id']])
        agent_a.write('mall.listing.price', [price_id],
            {'price': old['price']})
