"""Collections through the real JSON-RPC layer on the demo data: the demo's
dunning run, late fees and pending drive lock request; agent isolation of
requests, follow-ups and fees; waiving (reason, audit trail); requests
decided by operators only; bad input refused with its reason (issue 16).
The lock's standstill rule and the fee arithmetic: marcier_lease's module
tests."""
import datetime as dt

import pytest

from .rpc import RPCError
from .test_lease_rpc import agent_id, money, report, year

MODELS = ['lease.lock.request', 'lease.installment.follow_up',
    'lease.late_fee']




def test_demo_collections(operator):
    "A dunning run with late fees and a pending lock request"
    levels = operator.search_read('account.dunning.level', [],
        ['name', 'overdue', 'propose_lock'], order=[('sequence', 'ASC')])
    assert [(round(l['overdue']['seconds'] / 86400), l['propose_lock'])
        for l in levels] == [(1, False), (15, False), (30, True)]
    dunnings = operator.search_read('account.dunning',
        [('installment', '!=', None)], ['level', 'state', 'date'])
    # the last level reached, a dunning is final
    assert {d['state'] for d in dunnings} <= {'waiting', 'final'}
    assert {levels[0]['id'], levels[2]['id']} <= {
        d['level'] for d in dunnings}
    fees = operator.search_read('lease.late_fee', [],
        ['state', 'amount', 'agent', 'bill'])
    assert {f['state'] for f in fees} >= {'accrued', 'billed'}
    assert all(money(f['amount']) > 0 for f in fees)
    billed = [f['bill'] for f in fees if f['state'] == 'billed']
    bills = operator.read('lease.installment', billed, ['late_fee_amount'])
    assert all(money(b['late_fee_amount']) > 0 for b in bills)
    pending = operator.search_read('lease.lock.request',
        [('state', '=', 'requested')], ['agent', 'reason'])
    assert agent_id(operator, 'A') in {r['agent'] for r in pending}
    # the revenue charts' late fee series
    rows = report(operator, 'lease.reporting.revenue', ['late_fees'],
        **year(operator))
    assert sum(money(r['late_fees']) for r in rows) > 0


@pytest.mark.parametrize('model', MODELS)
def test_agent_b_never_sees_a(agent_a, agent_b, operator, model):
    a, b = agent_id(operator, 'A'), agent_id(operator, 'B')
    mine = agent_a.search_read(model, [], ['agent'])
    theirs = agent_b.search_read(model, [], ['agent'])
    assert mine and {r['agent'] for r in mine} == {a}
    assert theirs and {r['agent'] for r in theirs} == {b}
    with pytest.raises(RPCError, match='not allowed to read'):
        agent_b.read(model, [mine[0]['id']], ['agent'])


def test_agents_read_no_dunning(agent_a):
    "Dunnings are accounting records: agents see follow-ups and to-dos"
    with pytest.raises(RPCError, match='not allowed'):
        agent_a.search('account.dunning', [])


def test_reminders_reach_customers_and_staff(operator, agent_a):
    "Each level reached logged a reminder and gave agent staff a to-do"
    reminders = agent_a.search_read('lease.installment.follow_up',
        [('kind', '=', 'reminder')], ['note', 'installment'])
    assert reminders
    # the demo's customers have mobiles or none: an SMS or "not sent"
    assert all(r['note'] for r in reminders)
    pattern = agent_a.message('marcier_lease.msg_dunning_title')
    todos = agent_a.search_read('res.notification',
        [('label', 'like', pattern), ('kind', '=', 'todo')], ['label'])
    assert todos
    with pytest.raises(RPCError, match='dunning run only'):
        agent_a.delete('lease.installment.follow_up', [reminders[0]['id']])


def test_follow_up(agent_a, agent_b):
    bill, = agent_a.search('lease.installment', [('overdue', '=', True)],
        limit=1)
    today = dt.date.today()
    date = {'__class__': 'date', 'year': today.year, 'month': today.month,
        'day': today.day}
    yesterday = today - dt.timedelta(days=1)
    with pytest.raises(RPCError, match='is before the follow-up date'):
        agent_a.create('lease.installment.follow_up', [{
                    'installment': bill, 'kind': 'promise', 'date': date,
                    'promised_date': {'__class__': 'date',
                        'year': yesterday.year, 'month': yesterday.month,
                        'day': yesterday.day}}])
    promise, = agent_a.create('lease.installment.follow_up', [{
                'installment': bill, 'kind': 'promise', 'date': date,
                'promised_date': date, 'note': "Pays today"}])
    record, = agent_a.read('lease.installment.follow_up', [promise],
        ['agent', 'user'])
    assert record['agent'] == agent_id(agent_a, 'A')
    assert record['user'] == agent_a.uid
    with pytest.raises(RPCError):
        agent_b.create('lease.installment.follow_up', [{
                    'installment': bill, 'kind': 'call', 'date': date}])
    assert not agent_b.search('lease.installment.follow_up',
        [('id', '=', promise)])


def test_waive_late_fee(agent_a, agent_b, operator):
    "Waiving needs a reason, says who, and is in the audit trail"
    fee, = agent_a.search('lease.late_fee', [('state', '=', 'accrued')],
        limit=1)
    with pytest.raises(RPCError, match='not allowed'):
        agent_b.write('lease.late_fee', [fee], {'waive_reason': "Mine"})
    with pytest.raises(RPCError, match='Fill in the reason'):
        agent_a.button('lease.late_fee', 'waive', [fee])
    with pytest.raises(RPCError, match='only the waiver reason'):
        agent_a.write('lease.late_fee', [fee], {'method': 'fixed'})
    with pytest.raises(RPCError, match='not allowed'):
        agent_a.delete('lease.late_fee', [fee])
    agent_a.write('lease.late_fee', [fee],
        {'waive_reason': "Bank transfer delayed by the holidays"})
    agent_a.button('lease.late_fee', 'waive', [fee])
    record, = agent_a.read('lease.late_fee', [fee],
        ['state', 'waived_by'])
    assert (record['state'], record['waived_by']) == ('waived', agent_a.uid)
    audit = operator.search_read('marcier.audit', [
            ('model', '=', 'lease.late_fee'), ('record_id', '=', fee)],
        ['field', 'old_value', 'new_value', 'user'])
    assert {(a['field'], a['new_value'], a['user']) for a in audit} >= {
        ('state', 'waived', agent_a.uid),
        ('waive_reason', "Bank transfer delayed by the holidays",
            agent_a.uid)}
    with pytest.raises(RPCError, match='only the waiver reason'):
        agent_a.write('lease.late_fee', [fee], {'waive_reason': "Other"})


def test_lock_request_decided_by_operators(agent_a, agent_b, operator):
    request, = agent_a.search('lease.lock.request',
        [('state', '=', 'requested')], limit=1)
    for client in [agent_a, agent_b]:
        with pytest.raises(RPCError, match='not allowed'):
            client.button('lease.lock.request', 'approve', [request])
    with pytest.raises(RPCError, match='not allowed'):
        operator.delete('lease.lock.request', [request])
    values, = agent_a.read('lease.lock.request', [request],
        ['contract', 'vehicle'])
    with pytest.raises(RPCError, match='already has an open'):
        agent_a.create('lease.lock.request', [{
                    'contract': values['contract'],
                    'vehicle': values['vehicle'], 'reason': "Again"}])
    with pytest.raises(RPCError, match='Give the reason'):
        agent_a.create('lease.lock.request', [{
                    'contract': values['contract'],
                    'vehicle': values['vehicle'], 'reason': " "}])
    # Without overdue bill: refused with the reason
    paid = [c for c in agent_a.search_read('lease.contract',
            [('state', '=', 'in_progress')], ['installments'])
        if not agent_a.search('lease.installment', [
                ('contract', '=', c['id']), ('overdue', '=', True)])]
    if paid:
        line, = agent_a.search_read('lease.contract.line',
            [('contract', '=', paid[0]['id'])], ['vehicle'], limit=1)
        with pytest.raises(RPCError, match='has no overdue bill'):
            agent_a.create('lease.lock.request', [{
                        'contract': paid[0]['id'],
                        'vehicle': line['vehicle'], 'reason': "Unpaid"}])
    operator.write('lease.lock.request', [request],
        {'decision_note': "Customer promised to pay on Friday"})
    operator.button('lease.lock.request', 'refuse', [request])
    record, = agent_a.read('lease.lock.request', [request],
        ['state', 'decided_by', 'lock_command'])
    assert (record['state'], record['decided_by'], record['lock_command']
        ) == ('refused', operator.uid, None)
    with pytest.raises(RPCError, match='has been decided'):
        agent_a.write('lease.lock.request', [request], {'reason': "Now"})
    audit = operator.search_read('marcier.audit', [
            ('model', '=', 'lease.lock.request'), ('record_id', '=', request),
            ('field', '=', 'state')], ['new_value'])
    assert {a['new_value'] for a in audit} >= {'requested', 'refused'}


def test_agents_send_no_bare_lock(agent_a):
    "A lock goes through an approved request, never a bare command"
    vehicle, = agent_a.search('device.vehicle',
        [('gateway_id', '!=', None)], limit=1)
    with pytest.raises(RPCError, match='lock request'):
        agent_a.create('iot.command', [{'vehicle': vehicle, 'kind': 'lock'}])
