"""The security tests run against a server of their own: the matrix and
the attacks change and delete records, and lock logins out."""
import json
import subprocess

import pytest

from ..conftest import MARCIER, ROOT, running_platform
from ..iot import Broker
from .facts import OTHER_LOGIN
from .matrix import Anonymous, forged

FACTS = [MARCIER[0], '-m', 'tests.security.facts']


def read_facts(uri):
    "The models' facts and records' owners as they are now (see facts.py)"
    answer = subprocess.run([*FACTS, '--db', uri], check=True,
        cwd=ROOT, timeout=300, capture_output=True, text=True)
    return json.loads(answer.stdout)


@pytest.fixture(scope='session')
def secured(demo, tmp_path_factory, output):
    "A running demo server with a second tenant and a broker folder"
    # The server writes the broker accounts there and signals the broker
    # of the device tests (tests/security/test_device.py)
    broker = tmp_path_factory.mktemp('mosquitto')
    env = {'TRYTOND_IOT__BROKER_DIR': str(broker),
        'TRYTOND_IOT__BROKER_PID_FILE': str(broker / 'mosquitto.pid')}
    # read_facts seeds the second tenant before the server runs
    with running_platform(demo, tmp_path_factory.mktemp('secured'),
            output / 'security-server.log', prepare=read_facts,
            env=env) as platform:
        platform.broker_folder = broker
        platform.setup_output = demo.printed
        yield platform


@pytest.fixture(scope='session')
def roles(secured):
    "A caller per role of the matrix"
    # A customer has no back-office account: what they can try is a
    # session made up from what they know (their mobile number)
    return {
        'anonymous': Anonymous(secured.url, secured.database),
        'customer': Anonymous(secured.url, secured.database,
            forged('13800000001')),
        'agent_a': secured.client('agent_a'),
        'agent_b': secured.client('agent_b'),
        'operator': secured.client('operator'),
        'other_company': secured.client(OTHER_LOGIN),
        }


@pytest.fixture(scope='session')
def broker(secured):
    "A private Mosquitto with the accounts and ACL the platform generates"
    admin = secured.client('admin')
    broker = Broker(secured.broker_folder, secured.uri)
    admin.write('iot.configuration', [1], {'broker': broker.platform_uri()})
    broker.write_files()
    broker.start()
    broker.tenant = admin.read(
        'iot.configuration', [1], ['tenant'])[0]['tenant']
    try:
        yield broker
    finally:
        broker.stop()


def secret(operator, gateway):
    "The broker password of a gateway, as operators read it"
    record, = operator.search_read(
        'iot.gateway', [('username', '=', gateway)], ['secret'])
    return record['secret']


def pytest_collection_modifyitems(items):
    """The matrix deletes every record a role may delete: the other tests
    of the server, which read the demo's records, run before it"""
    matrix = [i for i in items
        if i.nodeid.startswith('tests/security/test_matrix.py')]
    rest = [i for i in items if i not in matrix]
    secured = [k for k, i in enumerate(rest)
        if i.nodeid.startswith('tests/security/')]
    if matrix and secured:
        items[:] = rest[:secured[-1] + 1] + matrix + rest[secured[-1] + 1:]
