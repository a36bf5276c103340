"""H2 and the login controls of H3 against the running server: the
second factor in Tryton's login chain, its enrolment and reset, the
password policy, session expiry and the per-network rate limit."""
import base64
import configparser
import re
import urllib.error

import pytest

from ..conftest import ROOT
from ..rpc import DEMO_PASSWORD, Client, RPCError, post
from . import db
from .users import code, enrol, new_user

CONFIG = configparser.ConfigParser()
CONFIG.read(ROOT / 'config' / 'trytond.conf')
KEY = re.compile(r'\b((?:[A-Z2-7]{4} ?){8})')


def login(platform, login, **parameters):
    "common.db.login: [user id, session, ...] or RPCError / HTTPError"
    return post(f'{platform.url}{platform.database}/rpc/', 'common.db.login',
        [login, {'password': DEMO_PASSWORD, **parameters}, 'en'])


def refused(platform, login_, **parameters):
    "The HTTP status that refuses the login"
    with pytest.raises(urllib.error.HTTPError) as refusal:
        login(platform, login_, **parameters)
    return refusal.value.code


def prompt(platform, login_, **parameters):
    "The parameter the login asks for next, and its message"
    with pytest.raises(RPCError) as asked:
        login(platform, login_, **parameters)
    assert asked.value.kind == 'LoginException'
    return asked.value.message, asked.value.description


@pytest.fixture(scope='module')
def admin(secured):
    return secured.client('admin')


def test_demo_logins_password_alone(secured):
    "The fixed demo logins keep working with the password alone"
    for name in ['admin', 'operator', 'agent_a', 'agent_b', 'agent_c']:
        assert Client(secured.url, secured.database, name).uid


def test_demo_two_factor_login(secured):
    "operator_2fa needs a code of the key `setup --demo` prints, once"
    match = re.search(r'operator_2fa, password \S+, then a code of an '
        r'authenticator app set up with the key ([A-Z2-7]{32})',
        secured.setup_output)
    assert match, secured.setup_output
    key = match.group(1)
    name, message = prompt(secured, 'operator_2fa')
    assert name == 'totp_code'
    assert 'authenticator app' in message
    assert refused(secured, 'operator_2fa', totp_code='000000') == 401
    current = code(key)
    uid, session, *_ = login(secured, 'operator_2fa', totp_code=current)
    assert uid and session
    # A code works once
    assert refused(secured, 'operator_2fa', totp_code=current) == 401
    # and never without the password
    with pytest.raises(urllib.error.HTTPError):
        post(f'{secured.url}{secured.database}/rpc/', 'common.db.login',
            ['operator_2fa', {'password': 'wrong', 'totp_code': code(key)},
                'en'])


def test_enrol_use_and_reset(secured, admin):
    """A user enrols from the Workbench wizard, logs in with codes and
    recovery codes; an administrator's reset is audited and announced"""
    new_user(admin, 'enrolling', ['marcier_base.role_operator'])
    user = Client(secured.url, secured.database, 'enrolling')
    key, codes = enrol(user)
    assert len(codes) == 10
    assert prompt(secured, 'enrolling')[0] == 'totp_code'
    # The wizard spent this period's code: the next one (clocks drift)
    assert login(secured, 'enrolling', totp_code=code(key, 1))[0] == user.uid
    assert login(secured, 'enrolling', totp_code=codes[0])[0] == user.uid
    assert refused(secured, 'enrolling', totp_code=codes[0]) == 401
    # The secrets are out of reach, even of their owner and the admin
    for client in [user, admin]:
        with pytest.raises(urllib.error.HTTPError):
            client.search('res.user.totp', [])

    operator = secured.client('operator')
    # operators may reset it too (A1, test_staff.py); agent staff not
    with pytest.raises(RPCError, match='not allowed'):
        secured.client('agent_a').button(
            'res.user', 'reset_second_factor', [user.uid])
    admin.button('res.user', 'reset_second_factor', [user.uid])
    assert login(secured, 'enrolling')[0] == user.uid
    again = Client(secured.url, secured.database, 'enrolling')
    warning, = again.search_read('res.notification',
        [('kind', '=', 'warning')], ['label', 'body'])
    assert warning['label'] == "Your second factor was reset"
    name, = admin.read('res.user', [admin.uid], ['rec_name'])
    assert name['rec_name'] in warning['body']
    line, = operator.search_read('marcier.audit', [
            ('model', '=', 'res.user'), ('record_id', '=', user.uid),
            ('field', '=', 'second_factor')],
        ['user', 'old_value', 'new_value'])
    assert (line['user'], line['old_value'], line['new_value']) == (
        admin.uid, 'totp', None)


def test_required_group_enrols_at_login(secured, admin):
    """A member of a group that requires two-factor login and has no
    factor is refused until the key in the prompt gives a code"""
    uid = new_user(admin, 'newcomer', ['marcier_base.role_operator',
            'marcier_security.role_totp_required'])
    name, message = prompt(secured, 'newcomer')
    assert name == 'totp_code'
    assert 'needs a second factor' in message
    key = KEY.search(message).group(1)
    assert prompt(secured, 'newcomer')[1] == message  # same key each time
    assert refused(secured, 'newcomer', totp_code='123456') == 401
    assert login(secured, 'newcomer', totp_code=code(key))[0] == uid
    name, message = prompt(secured, 'newcomer')
    assert 'needs a second factor' not in message


@pytest.mark.parametrize('password, reason', [
        ('Ab1-', 'at least'),
        ('password123', 'forbidden'),
        ('aaaabbbbAAAA', 'repeats too many'),
        ])
def test_password_policy(admin, password, reason):
    "Tryton's [password] policy of config/trytond.conf holds"
    with pytest.raises(RPCError) as refusal:
        new_user(admin, f'weak_{len(password)}', password=password)
    assert reason in refusal.value.message


def age_session(platform, client, seconds):
    "Make the client's session look seconds older, unused since its login"
    session = base64.b64decode(
        client.authorization.split()[1]).decode().rsplit(':', 1)[1]
    if platform.uri.startswith('sqlite'):
        older = "datetime(create_date, '-%d seconds')" % seconds
    else:
        older = "create_date - INTERVAL '%d seconds'" % seconds
    db.execute(platform.uri, f'UPDATE ir_session SET create_date = {older}, '
        'write_date = NULL WHERE key = ?', (session,))


def test_session_max_age(secured):
    "A session dies [session] max_age seconds after the login"
    client = Client(secured.url, secured.database, 'agent_c')
    client.search('marcier.customer', [])
    age_session(secured, client, CONFIG.getint('session', 'max_age') + 60)
    with pytest.raises(urllib.error.HTTPError) as expired:
        client.search('marcier.customer', [])
    assert expired.value.code == 401


def test_idle_session_cannot_change_factor(secured):
    """A session idle for [session] timeout seconds still reads, but can
    no longer change the password or the second factor"""
    client = Client(secured.url, secured.database, 'agent_c')
    age_session(secured, client, CONFIG.getint('session', 'timeout') + 60)
    client.search('marcier.customer', [])
    wizard = 'wizard.res.user.totp.enrol'
    session, _, _ = client.call(f'{wizard}.create', client.context)
    for method, args in [
            (f'{wizard}.execute', [session, {}, 'start']),
            ('model.res.user.set_preferences', [{'password': 'x'}])]:
        with pytest.raises(urllib.error.HTTPError) as stale:
            client.call(method, *args, client.context)
        assert stale.value.code == 401


def test_network_rate_limit(secured):
    """Past [session] max_attempt_ip_network failed logins from a network,
    every login from it waits, even a good one"""
    limit = CONFIG.getint('session', 'max_attempt_ip_network')
    try:
        for attempt in range(limit + 1):
            # A new login each time: no per-login delay slows the flood
            with pytest.raises(urllib.error.HTTPError):
                post(f'{secured.url}{secured.database}/rpc/',
                    'common.db.login',
                    [f'flood-{attempt}', {'password': 'x'}, 'en'])
        assert refused(secured, 'agent_c') == 429
    finally:
        # Failed attempts count for [session] timeout: clear the flood's
        db.execute(secured.uri, 'DELETE FROM res_user_login_attempt '
            'WHERE login LIKE ?', ('flood-%',))
    assert login(secured, 'agent_c')[0]
