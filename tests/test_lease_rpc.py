"""Leasing through the real JSON-RPC layer on the demo data: agent isolation
of contracts, plans, bills, payments and chart figures; the operator's view
of every agent; contract workflow, payments and bad input as sao sends them
(SPEC G1, C2-C5, H1)."""
import datetime as dt
import json
from decimal import Decimal

import pytest

from .rpc import RPCError

MONEY = ['receivable', 'received', 'overdue']


def agent_id(client, code):
    agent, = client.search('marcier.agent', [('code', '=', code)])
    return agent


def report(client, model, fields, **context):
    "Rows of a workbench chart read with the context form's values"
    return client.call(f'model.{model}.search_read', [], 0, None, None,
        fields, {**client.context, **context})


def money(value):
    "Numeric as JSON-RPC sends it"
    if isinstance(value, dict):
        return Decimal(value['decimal'])
    return Decimal(str(value))


def year(client):
    today = dt.date.today()
    return {'from_date': {'__class__': 'date', 'year': today.year,
            'month': 1, 'day': 1},
        'to_date': {'__class__': 'date', 'year': today.year,
            'month': 12, 'day': 31}}


def run_wizard(client, name, model, record, values):
    context = {**client.context, 'active_model': model,
        'active_id': record, 'active_ids': [record]}
    session, _, _ = client.call(f'wizard.{name}.create', context)
    try:
        start = client.call(
            f'wizard.{name}.execute', session, {}, 'start', context)
        if 'view' not in start:
            return start
        defaults = {k: v for k, v in start['view']['defaults'].items()
            if not k.endswith('.')}
        return client.call(f'wizard.{name}.execute', session,
            {'start': {**defaults, **values}}, 'pay', context)
    finally:
        client.call(f'wizard.{name}.delete', session, context)


@pytest.mark.parametrize('model', [
        'lease.contract', 'lease.installment', 'lease.payment',
        'lease.quotation'])
def test_agent_b_cannot_see_a(agent_a, agent_b, operator, model):
    a, b = agent_id(operator, 'A'), agent_id(operator, 'B')
    mine = agent_a.search_read(model, [], ['agent'])
    theirs = agent_b.search_read(model, [], ['agent'])
    assert mine and {r['agent'] for r in mine} == {a}
    assert theirs and {r['agent'] for r in theirs} == {b}
    everything = operator.search_read(model, [], ['agent'])
    assert {r['agent'] for r in everything} == {
        agent_id(operator, c) for c in 'ABC'} or model == 'lease.quotation'
    with pytest.raises(RPCError, match='not allowed to read'):
        agent_b.read(model, [mine[0]['id']], ['agent'])


def test_agent_b_cannot_change_a(agent_a, agent_b):
    contract = agent_a.search('lease.contract', [], limit=1)
    with pytest.raises(RPCError):
        agent_b.write('lease.contract', contract, {'note': "Mine now"})
    with pytest.raises(RPCError):
        agent_b.button('lease.contract', 'suspend', contract)
    installment = agent_a.search('lease.installment',
        [('state', '=', 'billed')], limit=1)
    with pytest.raises(RPCError):
        run_wizard(agent_b, 'lease.installment.pay', 'lease.installment',
            installment[0], {'amount': 1})


@pytest.mark.parametrize('model,fields', [
        ('lease.reporting.revenue', ['agent'] + MONEY),
        ('lease.reporting.overdue', ['agent', 'customer', 'amount']),
        ('lease.reporting.vehicle_status', ['agent', 'status', 'vehicles']),
        ('lease.reporting.contract_status', ['agent', 'state', 'contracts']),
        ])
def test_chart_rows_of_own_agent(agent_b, operator, model, fields):
    b = agent_id(operator, 'B')
    # asking for agent A's figures changes nothing for agent B's staff
    rows = report(agent_b, model, fields, agent=agent_id(operator, 'A'),
        **year(agent_b))
    assert rows and {r['agent'] for r in rows} == {b}
    everyone = report(operator, model, fields, **year(operator))
    assert {r['agent'] for r in everyone} == {
        agent_id(operator, c) for c in 'ABC'}
    assert [{k: v for k, v in r.items() if k != 'id'} for r in rows] == [
        {k: v for k, v in r.items() if k != 'id'}
        for r in everyone if r['agent'] == b]


def test_revenue_time_series_per_agent(agent_b, operator):
    fields = ['label'] + MONEY
    context = {**year(operator), 'granularity': 'quarter'}

    def totals(rows):
        return [sum((money(r[m]) for r in rows), Decimal(0)) for m in MONEY]
    per_agent = {r['agent']: [money(r[m]) for m in MONEY]
        for r in report(operator, 'lease.reporting.revenue',
            ['agent'] + MONEY, **year(operator))}
    for code in 'AB':
        agent = agent_id(operator, code)
        rows = report(operator, 'lease.reporting.revenue.time_series',
            fields, agent=agent, **context)
        assert all(r['label'].endswith(('Q1', 'Q2', 'Q3', 'Q4'))
            for r in rows)
        assert totals(rows) == per_agent[agent]
    # Agent B's staff get B's series whatever agent they ask for
    b = agent_id(operator, 'B')
    assert report(agent_b, 'lease.reporting.revenue.time_series', fields,
        agent=agent_id(operator, 'A'), **context) == report(
        operator, 'lease.reporting.revenue.time_series', fields,
        agent=b, **context)
    everyone = report(operator, 'lease.reporting.revenue.time_series',
        fields, **context)
    assert totals(everyone) == [
        sum(v[i] for v in per_agent.values()) for i in range(3)]
    assert any(money(r['overdue']) for r in everyone)


def test_drill_through(operator):
    "Opening a chart row gives the ledger filtered by it"
    rows = report(operator, 'lease.reporting.contract_status',
        ['state', 'agent', 'contracts'])
    row = next(r for r in rows if r['state'] == 'in_progress')
    result = run_wizard(operator, 'lease.reporting.open',
        'lease.reporting.contract_status', row['id'], {})
    (action, _), = result['actions']
    assert action['res_model'] == 'lease.contract'
    contracts = operator.search_read('lease.contract', [], ['state', 'agent'])
    expected = [c['id'] for c in contracts
        if c['state'] == 'in_progress' and c['agent'] == row['agent']]
    assert len(expected) == row['contracts']
    opened = operator.search(
        'lease.contract', json.loads(action['pyson_domain']))
    assert sorted(opened) == sorted(expected)


def test_workbench_first_screen(agent_a, operator):
    workbench = operator.model_data('marcier_lease', 'act_workbench')
    for client in [agent_a, operator]:
        user, = client.read('res.user', [client.uid], ['actions'])
        assert workbench in user['actions']
    action, = operator('ir.action.act_window', 'read', [workbench],
        ['res_model', 'views'])
    assert not action['res_model']


def test_payment(agent_a):
    "Partial payment of a bill; more than what is left is refused"
    line, = agent_a.search_read('lease.installment',
        [('state', '=', 'billed')], ['unpaid_amount', 'paid_amount'],
        limit=1, order=[('due_date', 'ASC')])
    unpaid = money(line['unpaid_amount'])
    with pytest.raises(RPCError, match='at most'):
        run_wizard(agent_a, 'lease.installment.pay', 'lease.installment',
            line['id'], {'amount': {'__class__': 'Decimal',
                    'decimal': str(unpaid + 1)}})
    run_wizard(agent_a, 'lease.installment.pay', 'lease.installment',
        line['id'], {'amount': {'__class__': 'Decimal', 'decimal': '10.00'}})
    after, = agent_a.read('lease.installment', [line['id']],
        ['unpaid_amount', 'paid_amount', 'bill_number'])
    assert money(after['unpaid_amount']) == unpaid - 10
    assert money(after['paid_amount']) == money(line['paid_amount']) + 10
    payment, = agent_a.search_read('lease.payment', [
            ('installment', '=', line['id'])], ['amount'],
        order=[('id', 'DESC')], limit=1)
    assert money(payment['amount']) == 10


def _contract_values(client, operator, vehicle, **values):
    customer, = client.search_read('marcier.customer', [], ['party'],
        limit=1, order=[('id', 'ASC')])
    today = dt.date.today()
    start = today + dt.timedelta(days=400)
    return {
        'customer': customer['party'],
        'start_date': {'__class__': 'date', 'year': start.year,
            'month': start.month, 'day': start.day},
        'end_date': {'__class__': 'date', 'year': start.year + 1,
            'month': start.month, 'day': 1},
        'lines': [['create', [{'vehicle': vehicle,
                        'rent': {'__class__': 'Decimal', 'decimal': '1234.50'}
                        }]]],
        **values}


def test_contract_by_agent(agent_a, operator):
    "Agent staff make, plan and cancel their contract; bad input refused"
    vehicle, = agent_a.search('device.vehicle',
        [('serial', '=', 'MCA0005')])
    before = len(agent_a.search('lease.contract', []))
    contract, = agent_a.create('lease.contract',
        [_contract_values(agent_a, operator, vehicle)])
    agent_a.button('lease.contract', 'plan', [contract])
    lines = agent_a.search_read('lease.installment',
        [('contract', '=', contract)], ['amount'])
    assert lines and all(money(l['amount']) > 0 for l in lines)
    # the same vehicle in the same period
    with pytest.raises(RPCError, match='already leased'):
        agent_a.create('lease.contract',
            [_contract_values(agent_a, operator, vehicle)])
    end_before_start = _contract_values(agent_a, operator, vehicle,
        end_date={'__class__': 'date', 'year': 2020, 'month': 1, 'day': 1})
    with pytest.raises(RPCError, match='before its start'):
        agent_a.create('lease.contract', [end_before_start])
    assert len(agent_a.search('lease.contract', [])) == before + 1
    agent_a.button('lease.contract', 'cancel', [contract])
    state, = agent_a.read('lease.contract', [contract], ['state'])
    assert state['state'] == 'cancelled'
    messages = agent_a.search_read('res.notification',
        [('label', 'like', agent_a.message(
                    'marcier_lease.msg_contract_created_title'))], ['label'])
    assert messages


def test_workflow_fields_only_by_buttons(agent_a):
    "A forged write cannot skip the workflow or touch a billed plan line"
    contract, = agent_a.search('lease.contract',
        [('state', '=', 'in_progress')], limit=1)
    with pytest.raises(RPCError, match='workflow buttons'):
        agent_a.write('lease.contract', [contract], {'state': 'completed'})
    with pytest.raises(RPCError, match='workflow buttons'):
        agent_a.write('lease.contract', [contract], {'expiry_warned': True})
    state, = agent_a.read('lease.contract', [contract], ['state'])
    assert state['state'] == 'in_progress'
    line, = agent_a.search('lease.installment', [
            ('contract', '=', contract), ('state', '=', 'billed')], limit=1)
    with pytest.raises(RPCError, match='Only the due date'):
        agent_a.write('lease.installment', [line], {
                'paid_amount': {'__class__': 'Decimal', 'decimal': '1'}})
    with pytest.raises(RPCError, match='fixed once'):
        agent_a.create('lease.installment', [{
                'contract': contract, 'due_date': {'__class__': 'date',
                    'year': 2026, 'month': 1, 'day': 1},
                'amount': {'__class__': 'Decimal', 'decimal': '1'}}])
