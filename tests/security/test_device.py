"""H4 on a private Mosquitto with the accounts and ACL the platform
generates: a device reaches only its own topics, with its own password;
revoking the vehicle's gateway cuts it off."""
import time

import pytest

from ..iot import PLATFORM_PASSWORD, Device, wait_until
from ..rpc import RPCError
from .conftest import secret

SETTLE = 1.0  # seconds for a message to cross the local broker


def delivered(device, topic, payload, readers):
    "Whether a message device publishes on topic reaches any of readers"
    for reader in readers:
        reader.messages.clear()
    device.publish(topic, payload)
    time.sleep(SETTLE)
    return any((topic, payload) in r.messages for r in readers)


def test_device_confined_to_its_topics(secured, broker):
    operator = secured.client('operator')
    prefix = f'marcier/{broker.tenant}'
    me, other = 'gw-mca0002', 'gw-mcb0002'
    mine = {k: f'{prefix}/{me}/{k}' for k in ('telemetry', 'ack', 'command')}
    theirs = {k: f'{prefix}/{other}/{k}'
        for k in ('telemetry', 'ack', 'command')}
    platform = Device(broker, 'platform', PLATFORM_PASSWORD,
        subscribe=[f'{prefix}/#'])
    neighbour = Device(broker, other, secret(operator, other),
        subscribe=[theirs['command']])
    # Every subscription a curious device may try
    device = Device(broker, me, secret(operator, me), subscribe=[
            mine['command'], '#', 'marcier/#', f'{prefix}/+/command',
            f'{prefix}/+/telemetry', theirs['command'], '$SYS/#',
            f'$share/spy/{prefix}/+/telemetry'])
    tried = 0
    try:
        # Its own uplink topics work: the test would prove nothing else
        assert delivered(device, mine['telemetry'], b'own', [platform])
        assert delivered(device, mine['ack'], b'own-ack', [platform])
        forbidden = [mine['command'], *theirs.values(),
            f'marcier/other-tenant/{me}/telemetry', f'{prefix}/{me}',
            f'{prefix}/{me}/telemetry/extra', 'marcier', '$SYS/x']
        for topic in forbidden:
            tried += 1
            assert not delivered(device, topic, b'forged',
                [platform, neighbour]), f'{me} published to {topic}'
        # What the platform and the neighbour exchange stays theirs
        device.messages.clear()
        platform.publish(theirs['command'], b'{"id": 1}')
        neighbour.publish(theirs['telemetry'], b'theirs')
        platform.publish(mine['command'], b'{"id": 2}')
        time.sleep(SETTLE)
        tried += 2
        assert [t for t, _ in device.messages] == [mine['command']]
        assert (theirs['command'], b'{"id": 1}') in neighbour.messages
    finally:
        for client in [device, neighbour, platform]:
            client.close()
    # Nobody logs in as a device without its password
    for username, password in [(me, secret(operator, other)),
            (me, ''), ('', ''), ('platform', 'guess')]:
        tried += 1
        intruder = Device(broker, username, password)
        assert intruder.reason is None or intruder.reason.is_failure
        intruder.close()
    print(f'device confinement: {tried} forbidden actions, all refused')


def test_revoked_device_cut_off(secured, broker):
    """Deactivating the vehicle removes its account: the server rewrites
    the broker's files and signals it, the device can no longer log in
    and its open session no longer reaches the platform"""
    operator = secured.client('operator')
    prefix = f'marcier/{broker.tenant}'
    gateway = 'gw-mca0003'
    password = secret(operator, gateway)
    vehicle, = operator.search('device.vehicle',
        [('gateway_id', '=', gateway)])
    platform = Device(broker, 'platform', PLATFORM_PASSWORD,
        subscribe=[f'{prefix}/#'])
    device = Device(broker, gateway, password)
    topic = f'{prefix}/{gateway}/telemetry'
    try:
        assert delivered(device, topic, b'before', [platform])
        operator.write('device.vehicle', [vehicle], {'active': False})

        def dropped():
            "the broker files no longer list the gateway"
            return gateway not in (broker.folder / 'passwd').read_text()
        wait_until(dropped, timeout=30)
        time.sleep(SETTLE)  # the broker reloads on SIGHUP
        # Mosquitto closes the sessions of the accounts it no longer has
        try:
            assert not delivered(device, topic, b'after', [platform])
        except RuntimeError as error:
            assert 'not currently connected' in str(error)
        again = Device(broker, gateway, password)
        assert again.reason is None or again.reason.is_failure
        again.close()
    finally:
        device.close()
        platform.close()
        operator.write('device.vehicle', [vehicle], {'active': True})


BROKER_NAMES = ['+', '#', 'gw/+', 'gw-1/#', 'gw 1', 'gw\nuser x', 'gw:1',
    'gwü', '$SYS', '-gw', 'g' * 65]


def test_gateway_ids_safe_alphabet(secured):
    """Gateway ids with an MQTT wildcard, a topic separator, a space, a
    newline or non-ASCII are refused with a clear message (agent staff
    may not change them at all); the vehicle and the broker's ACL stay as
    they were"""
    operator = secured.client('operator')
    agent_b = secured.client('agent_b')
    acl = secured.broker_folder / 'acl'
    vehicle, = operator.search_read('device.vehicle', [
            ('gateway_id', '=', 'gw-mca0004')], ['gateway_id'])

    def rename(name):
        "A valid rename: the server rewrites the files after the commit"
        operator.write('device.vehicle', [vehicle['id']],
            {'gateway_id': name})
        wait_until(lambda: acl.exists()
            and f'user {name}\n' in acl.read_text(), timeout=30)

    rename('gw-mca0004-safe')
    before = acl.read_text()
    b_vehicle, = agent_b.search('device.vehicle',
        [('gateway_id', '!=', None)], limit=1)
    for name in BROKER_NAMES:
        with pytest.raises(RPCError, match='may only contain letters'
                '|invalid char'):
            operator.write('device.vehicle', [vehicle['id']],
                {'gateway_id': name})
        with pytest.raises(RPCError, match='operator staff'):
            agent_b.write('device.vehicle', [b_vehicle], {'gateway_id': name})
    time.sleep(SETTLE)
    record, = operator.read('device.vehicle', [vehicle['id']],
        ['gateway_id'])
    assert record['gateway_id'] == 'gw-mca0004-safe'
    assert acl.read_text() == before
    assert not [line for line in before.splitlines()
        if line.startswith('user ') and (
            '+' in line or '#' in line or line.count(' ') > 1)]
    rename(vehicle['gateway_id'])
