"""Agent and tenant isolation through the real JSON-RPC layer (SPEC H1)."""
import pytest

from .rpc import RPCError


def customers(client, **domain):
    return client.search_read(
        'marcier.customer', [], ['agent', 'party.rec_name'])


@pytest.fixture(scope='module')
def customer_b(operator):
    "A customer of agent B"
    agent_b, = operator.search('marcier.agent', [('code', '=', 'B')])
    ids = operator.search('marcier.customer', [('agent', '=', agent_b)])
    return ids[0]


def test_agent_sees_only_own_customers(agent_a, operator):
    agent_a_id, = operator.search('marcier.agent', [('code', '=', 'A')])
    mine = customers(agent_a)
    assert mine, "the demo gives agent A customers"
    assert {c['agent'] for c in mine} == {agent_a_id}
    everything = customers(operator)
    assert len({c['agent'] for c in everything}) == 3
    assert len(everything) > len(mine)


def test_agent_cannot_read_another_agents_record(agent_a, customer_b):
    with pytest.raises(RPCError, match='not allowed to read'):
        agent_a.read('marcier.customer', [customer_b], ['party'])
    assert agent_a.search(
        'marcier.customer', [('id', '=', customer_b)]) == []


def test_agent_cannot_write_or_delete_another_agents_record(
        agent_a, customer_b):
    with pytest.raises(RPCError, match='not allowed to write'):
        agent_a.write('marcier.customer', [customer_b], {'note': "mine now"})
    with pytest.raises(RPCError, match='not allowed to delete'):
        agent_a.delete('marcier.customer', [customer_b])


def test_agent_cannot_hand_a_record_to_another_agent(agent_a, operator):
    agent_b_id, = operator.search('marcier.agent', [('code', '=', 'B')])
    own = agent_a.search('marcier.customer', [], limit=1)
    with pytest.raises(RPCError,
            match="not allowed to write|another agent's book"):
        agent_a.write('marcier.customer', own, {'agent': agent_b_id})
    record, = operator.read('marcier.customer', own, ['agent'])
    assert record['agent'] != agent_b_id


def test_agent_creates_for_own_agent_only(agent_a, operator):
    agent_a_id, = operator.search('marcier.agent', [('code', '=', 'A')])
    agent_b_id, = operator.search('marcier.agent', [('code', '=', 'B')])
    party, = agent_a.create('party.party', [{'name': "Walk-in Customer"}])
    customer, = agent_a.create('marcier.customer', [{'party': party}])
    record, = agent_a.read('marcier.customer', [customer], ['agent'])
    assert record['agent'] == agent_a_id
    party2, = agent_a.create('party.party', [{'name': "Forged Customer"}])
    with pytest.raises(RPCError):
        agent_a.create('marcier.customer', [
                {'party': party2, 'agent': agent_b_id}])
    assert operator.search('marcier.customer', [
            ('party', '=', party2)]) == []


def test_agent_cannot_manage_agents(agent_a, operator):
    agent_b_id, = operator.search('marcier.agent', [('code', '=', 'B')])
    with pytest.raises(RPCError, match='not allowed'):
        agent_a.write('marcier.agent', [agent_b_id], {'code': 'Z'})
    with pytest.raises(RPCError, match='not allowed'):
        agent_a.create('marcier.city', [{
                    'name': "Atlantis", 'latitude': 0, 'longitude': 0}])


def test_messages_are_private(agent_a, agent_b, operator):
    mine = agent_a.search_read('res.notification', [], ['user', 'label'])
    assert mine and {m['user'] for m in mine} == {agent_a.uid}
    theirs = agent_b.search('res.notification', [])
    assert theirs
    with pytest.raises(RPCError, match='not allowed to read'):
        agent_a.read('res.notification', theirs, ['label'])
    assert not set(operator.search('res.notification', [])) & set(theirs)


def test_open_message_marks_read_and_links_record(agent_b):
    message, = agent_b.search_read('res.notification', [
            ('label', '=', agent_b.message('marcier_base.msg_welcome_title'))],
        ['unread', 'model', 'related'])
    assert message['model'] == 'marcier.agent'
    wizard, _, _ = agent_b.call(
        'wizard.res.notification.open.create', agent_b.context)
    context = {**agent_b.context, 'active_model': 'res.notification',
        'active_id': message['id'], 'active_ids': [message['id']]}
    result = agent_b.call(
        'wizard.res.notification.open.execute', wizard, {}, 'open_', context)
    (action, _), = result['actions']
    assert action['res_model'] == 'res.notification'
    assert action['res_id'] == [message['id']]
    record, = agent_b.read('res.notification', [message['id']], ['unread'])
    assert not record['unread']

    action = agent_b.button('res.notification', 'open_related', [message['id']])
    assert action['res_model'] == 'marcier.agent'
    assert action['res_id'] == [int(message['related'].split(',')[1])]


@pytest.fixture(scope='module')
def second_company(platform, admin):
    "Another tenant with its own operator, agent and customer"
    currency, = admin.search('currency.currency', [('code', '=', 'CNY')])
    party, = admin.create('party.party', [{'name': "Other Tenant Ltd."}])
    company, = admin.create('company.company', [
            {'party': party, 'currency': currency}])
    role = admin.model_data('marcier_base', 'role_operator')
    user, = admin.create('res.user', [{
                'login': 'tenant2', 'name': "Tenant Two",
                'password': 'Tenant-Two-2026',
                'companies': [('add', [company])], 'company': company,
                'roles': [('create', [{'role': role}])]}])
    tenant = platform.client('tenant2', password='Tenant-Two-2026')
    agent_party, = tenant.create('party.party', [{'name': "Tenant2 Agent"}])
    agent, = tenant.create('marcier.agent', [
            {'party': agent_party, 'code': 'T2A'}])
    customer_party, = tenant.create('party.party', [{'name': "T2 Customer"}])
    customer, = tenant.create('marcier.customer', [
            {'party': customer_party, 'agent': agent}])
    return {'company': company, 'agent': agent, 'customer': customer,
        'client': tenant}


def test_second_company_sees_nothing_of_the_first(second_company):
    tenant = second_company['client']
    assert tenant.search('marcier.customer', []) == [
        second_company['customer']]
    assert tenant.search('marcier.agent', []) == [second_company['agent']]


def test_first_company_sees_nothing_of_the_second(operator, second_company):
    assert second_company['customer'] not in operator.search(
        'marcier.customer', [])
    with pytest.raises(RPCError, match='not allowed to read'):
        operator.read(
            'marcier.customer', [second_company['customer']], ['party'])
