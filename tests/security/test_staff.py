"""A1 against the running server: operators manage the staff accounts
(deactivate, reactivate, reset the password with a change forced at the
next login, reset the second factor, roles); agent staff manage no one,
and no operator manages an administrator, themselves or another tenant's
staff."""
import urllib.error

import pytest

from ..rpc import DEMO_PASSWORD, Client, RPCError, post
from .facts import OTHER_LOGIN
from .users import code, enrol


@pytest.fixture(scope='module')
def admin(secured):
    return secured.client('admin')


@pytest.fixture(scope='module')
def operator(secured):
    return secured.client('operator')


def login(platform, login_, password=DEMO_PASSWORD, **parameters):
    return post(f'{platform.url}{platform.database}/rpc/', 'common.db.login',
        [login_, {'password': password, **parameters}, 'en'])


def staff(admin, login_, agent=None, roles=('marcier_base.role_agent',)):
    "A new staff user (of agent code, or the operator's)"
    company = admin.context['company']
    agent_id = None
    if agent:
        agent_id, = admin.search('marcier.agent', [('code', '=', agent)])
    user, = admin.create('res.user', [{
                'login': login_, 'name': login_, 'password': DEMO_PASSWORD,
                'agent': agent_id,
                'companies': [('add', [company])], 'company': company,
                'roles': [('create', [{'role': admin.model_data(
                                    *r.split('.'))} for r in roles])],
                }])
    return user


def run_wizard(client, name, ids, steps):
    """Run wizard name on res.user ids as sao does: steps is [(state,
    values of the start view)]; return the last answer"""
    context = {**client.context, 'active_model': 'res.user',
        'active_id': ids[0], 'active_ids': ids}
    wizard = f'wizard.{name}'
    session, _, _ = client.call(f'{wizard}.create', context)
    try:
        answer = client.call(
            f'{wizard}.execute', session, {}, 'start', context)
        defaults = answer['view']['defaults']
        for state, values in steps:
            answer = client.call(f'{wizard}.execute', session,
                {'start': {**defaults, **values}}, state, context)
        return answer
    finally:
        client.call(f'{wizard}.delete', session, context)


def reset_password(client, user_id):
    "The temporary password the reset wizard shows"
    answer = run_wizard(client, 'res.user.staff.reset_password', [user_id],
        [('reset', {})])
    line, = answer['view']['defaults']['passwords'].split('\n')
    return line.split(': ', 1)[1]


def test_agent_manages_no_one(secured, admin):
    "Agent staff cannot deactivate, reset or change the roles of anyone"
    colleague = staff(admin, 'colleague_a', 'A')
    agent_a = secured.client('agent_a')
    for button in ['deactivate_staff', 'reset_staff_password',
            'reset_second_factor', 'set_staff_roles']:
        with pytest.raises(RPCError, match='not allowed'):
            agent_a.button('res.user', button, [colleague])
    for wizard in ['res.user.staff.reset_password', 'res.user.staff.roles']:
        with pytest.raises((RPCError, urllib.error.HTTPError)):
            run_wizard(agent_a, wizard, [colleague], [])
    assert login(secured, 'colleague_a')[0] == colleague


def test_operator_deactivates_and_reactivates(secured, admin, operator):
    "A deactivated user cannot log in and their session ends; audited"
    user_id = staff(admin, 'leaving_a', 'A')
    client = Client(secured.url, secured.database, 'leaving_a')
    client.search('marcier.customer', [])
    operator.button('res.user', 'deactivate_staff', [user_id])
    with pytest.raises(urllib.error.HTTPError) as ended:
        client.search('marcier.customer', [])
    assert ended.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as refused:
        login(secured, 'leaving_a')
    assert refused.value.code == 401
    deactivated = operator.search('res.user', [
            ('login', '=', 'leaving_a'), ('active', '=', False)])
    assert deactivated == [user_id]
    lines = operator.search_read('marcier.audit', [
            ('model', '=', 'res.user'), ('record_id', '=', user_id),
            ('field', '=', 'active')],
        ['user', 'event', 'old_value', 'new_value'])
    # (SQLite gives the booleans back as 1 and 0)
    assert any(line['user'] == operator.uid and line['event'] == 'write'
        and line['new_value'] in {'False', '0'} for line in lines), lines
    operator.button('res.user', 'reactivate_staff', [user_id])
    assert login(secured, 'leaving_a')[0] == user_id


def test_reset_forces_a_new_password(secured, admin, operator):
    """The reset replaces the password by a temporary one; logging in with
    it asks for a new password, which must pass the policy"""
    user_id = staff(admin, 'forgetful_a', 'A')
    temporary = reset_password(operator, user_id)
    with pytest.raises(urllib.error.HTTPError):
        login(secured, 'forgetful_a')  # the old password is gone
    with pytest.raises(RPCError) as asked:
        login(secured, 'forgetful_a', temporary)
    assert asked.value.kind == 'LoginException'
    assert asked.value.message == 'new_password'
    assert 'temporary password' in asked.value.description
    with pytest.raises(RPCError) as weak:
        login(secured, 'forgetful_a', temporary, new_password='short')
    assert weak.value.message == 'new_password'
    assert 'at least' in weak.value.description
    new = 'Fresh-Start-2026'
    uid, session, *_ = login(secured, 'forgetful_a', temporary,
        new_password=new)
    assert uid == user_id and session
    with pytest.raises(urllib.error.HTTPError):
        login(secured, 'forgetful_a', temporary)
    assert login(secured, 'forgetful_a', new)[0] == user_id
    assert operator.read('res.user', [user_id],
        ['password_change_required'])[0]['password_change_required'] is False
    line, = operator.search_read('marcier.audit', [
            ('model', '=', 'res.user'), ('record_id', '=', user_id),
            ('field', '=', 'password'), ('user', '=', operator.uid)],
        ['new_value'])
    assert line['new_value'] == '(changed)'


def test_second_factor_reset_lets_enrol_again(secured, admin, operator):
    "After an operator's reset, the user logs in and enrols a new factor"
    user_id = staff(admin, 'phone_lost', roles=('marcier_base.role_operator',))
    client = Client(secured.url, secured.database, 'phone_lost')
    key, _ = enrol(client)
    with pytest.raises(RPCError):
        login(secured, 'phone_lost')  # asks for the code
    operator.button('res.user', 'reset_second_factor', [user_id])
    assert login(secured, 'phone_lost')[0] == user_id
    again = Client(secured.url, secured.database, 'phone_lost')
    new_key, _ = enrol(again)
    assert new_key != key
    assert login(secured, 'phone_lost',
        totp_code=code(new_key, 1))[0] == user_id


def test_operator_limits(secured, admin, operator):
    "Not an administrator, not oneself, not another tenant's operator"
    for login_ in ['admin', 'operator', OTHER_LOGIN]:
        user_id, = admin.search('res.user', [('login', '=', login_)])
        for button in ['deactivate_staff', 'reset_staff_password']:
            with pytest.raises(RPCError) as refused:
                operator.button('res.user', button, [user_id])
            assert refused.value.kind == 'UserError'
    assert login(secured, 'admin')[0]
    assert login(secured, OTHER_LOGIN)[0]


def test_roles(secured, admin, operator):
    """Operators give staff the roles of the seed's jobs of their kind:
    the groups follow; an operator role is refused for agent staff"""
    user_id = staff(admin, 'specialist_a', 'A')
    business = admin.model_data('marcier_base', 'role_agent_business')
    device = admin.model_data('marcier_base', 'role_agent_device')
    run_wizard(operator, 'res.user.staff.roles', [user_id],
        [('apply', {'roles': [business, device]})])
    groups = set(admin.read('res.user', [user_id], ['groups'])[0]['groups'])
    assert {admin.model_data('marcier_base', g) for g in [
            'group_agent', 'group_job_business', 'group_job_device']} <= groups
    assert admin.model_data('marcier_base', 'group_operator') not in groups
    with pytest.raises(RPCError):
        run_wizard(operator, 'res.user.staff.roles', [user_id],
            [('apply', {'roles': [admin.model_data(
                                'marcier_base', 'role_operator_business')]})])
    run_wizard(operator, 'res.user.staff.roles', [user_id],
        [('apply', {'roles': [business]})])
    roles = admin.search_read('res.user.role', [('user', '=', user_id)],
        ['role'])
    assert [r['role'] for r in roles] == [business]
    assert login(secured, 'specialist_a')[0] == user_id
