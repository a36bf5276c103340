"""Users the security tests make through the administrator's client, and
the second-factor steps a user takes."""
import base64
import time

import pyotp
import pytest

from ..rpc import DEMO_PASSWORD, RPCError


def code(key, step=0):
    "The app's code now, or step periods later"
    return pyotp.TOTP(key.replace(' ', '')).at(time.time() + 30 * step)


def enrol(client):
    "Run the enrolment wizard as sao does; return (key, recovery codes)"
    wizard = 'wizard.res.user.totp.enrol'
    session, _, _ = client.call(f'{wizard}.create', client.context)
    try:
        start = client.call(f'{wizard}.execute', session, {}, 'start',
            client.context)['view']['defaults']
        qr_code = base64.b64decode(start['qr_code']['base64'])
        assert qr_code.startswith(b'\x89PNG')
        with pytest.raises(RPCError) as wrong:
            client.call(f'{wizard}.execute', session, {
                    'start': {**start, 'code': '000000'}}, 'activate',
                client.context)
        assert 'not the code of the new key' in wrong.value.message
        codes = client.call(f'{wizard}.execute', session, {
                'start': {**start, 'code': code(start['key'])}}, 'activate',
            client.context)['view']['defaults']['codes'].split('\n')
    finally:
        client.call(f'{wizard}.delete', session, client.context)
    return start['key'], codes


def new_user(admin, login_, roles=(), password=DEMO_PASSWORD):
    company = admin.context['company']
    user, = admin.create('res.user', [{
                'login': login_, 'name': login_, 'password': password,
                'companies': [('add', [company])], 'company': company,
                'roles': [('create', [{'role': admin.model_data(*r.split('.'))}
                            for r in roles])],
                }])
    return user


