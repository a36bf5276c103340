"""The IoT data path end to end (SPEC F1-F3, F5, H4, E3): simulated
vehicles → real gateways → a real Mosquitto with the generated accounts →
`marcier iot-listen` → the database, read back through JSON-RPC."""
import json
import signal
import subprocess
import threading
import time

import pytest

from .conftest import MARCIER, ROOT
from .iot import Broker, Device, start_listener, wait_until
from .rpc import RPCError


@pytest.fixture(scope='module')
def iot(platform, admin, tmp_path_factory, output):
    "Broker accounts from the ledger, a broker and a listener"
    folder = tmp_path_factory.mktemp('mosquitto')
    broker = Broker(folder, platform.uri)
    admin.write('iot.configuration', [1], {'broker': broker.platform_uri()})
    broker.write_files()
    broker.start()
    log = open(output / 'iot-listener.log', 'a')
    broker.listener = start_listener(platform.uri, 'test', log)
    broker.listener_log = log
    try:
        yield broker
    finally:
        broker.listener.terminate()
        broker.listener.wait(timeout=30)
        broker.stop()
        log.close()


def secret(operator, gateway):
    record, = operator.search_read(
        'iot.gateway', [('username', '=', gateway)], ['secret'])
    return record['secret']


def tenant(admin):
    return admin.read('iot.configuration', [1], ['tenant'])[0]['tenant']


def report(**values):
    return json.dumps({'ts': time.time(), 'v': 76.0, 'i': 10.0, 'soc': 60.0,
            **values}).encode()


def test_device_reaches_only_its_own_topics(iot, operator, admin):
    "A device's credentials cannot publish to another device's topic"
    prefix = f'marcier/{tenant(admin)}'
    watcher = Device(iot, 'platform', 'platform-test-secret',
        subscribe=[f'{prefix}/#'])
    device = Device(iot, 'gw-mca0002', secret(operator, 'gw-mca0002'),
        subscribe=[f'{prefix}/gw-mca0003/command'])
    try:
        device.publish(f'{prefix}/gw-mca0003/telemetry', report())
        device.publish(f'{prefix}/gw-mca0002/telemetry', report(soc=61.0))
        watcher.publish(f'{prefix}/gw-mca0003/command', b'{"id": 1}')
        wait_until(lambda: watcher.messages, timeout=10)
        time.sleep(1)
        topics = [t for t, _ in watcher.messages]
        assert f'{prefix}/gw-mca0002/telemetry' in topics
        assert f'{prefix}/gw-mca0003/telemetry' not in topics
        assert device.messages == []  # another device's commands
    finally:
        watcher.close()
        device.close()
    intruder = Device(iot, 'gw-mca0002', 'wrong password')
    assert intruder.reason is not None and intruder.reason.is_failure
    intruder.close()


def test_simulated_fleet_to_rows_and_commands(iot, operator, platform):
    "Vehicles drive, rows and live state arrive, commands are answered"
    log = open(iot.folder / 'simulate.log', 'w')
    simulator = subprocess.Popen([*MARCIER, 'simulate', '--db', platform.uri,
            '--vehicles', '3', '--interval', '1', '--duration', '90'],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        vehicle, = operator.search(
            'device.vehicle', [('gateway_id', '=', 'gw-mca0001')])

        def rows():
            "telemetry of the simulated vehicle stored"
            return operator('iot.telemetry', 'search_count',
                [('vehicle', '=', vehicle)]) >= 3
        wait_until(rows, timeout=60)
        state, = operator.read('device.vehicle', [vehicle],
            ['last_seen', 'soc', 'latitude', 'odometer'])
        assert state['last_seen'] and state['soc'] is not None
        assert 30 < state['latitude'] < 32  # around Shanghai

        answered = {}
        # (a lock waits for the vehicle to stand still: the simulated
        # one drives; marcier_lease's tests lock one)
        for kind in ['diagnostics', 'unlock', 'report_interval']:
            values = {'vehicle': vehicle, 'kind': kind}
            if kind == 'report_interval':
                values['interval'] = 2
            command, = operator.create('iot.command', [values])
            operator.button('iot.command', 'send', [command])
            answered[kind] = command

        def acknowledged():
            "every command acknowledged"
            states = operator.read('iot.command', list(answered.values()),
                ['state', 'detail', 'result'])
            return all(s['state'] == 'acknowledged' for s in states) and states
        states = wait_until(acknowledged, timeout=60)
        details = {s['detail'] for s in states}
        assert {'drive unlocked', 'reporting every 2 s',
            'diagnostics attached'} == details
        diagnostics, = [s for s in states if s['result']]
        assert 'fault_code' in json.loads(diagnostics['result'])
    finally:
        simulator.send_signal(signal.SIGINT)
        simulator.wait(timeout=30)
        log.close()


def test_command_the_broker_refuses_fails(iot, operator, admin):
    "A command published after its commit and not taken is marked failed"
    vehicle, = operator.search(
        'device.vehicle', [('gateway_id', '=', 'gw-mca0002')])
    admin.write('iot.configuration', [1],
        {'broker': 'mqtt://platform:x@127.0.0.1:1'})  # nothing listens
    try:
        command, = operator.create('iot.command', [{'vehicle': vehicle,
                    'kind': 'diagnostics'}])
        operator.button('iot.command', 'send', [command])
        state, = operator.read('iot.command', [command], ['state', 'detail'])
    finally:
        admin.write('iot.configuration', [1], {'broker': iot.platform_uri()})
    assert state['state'] == 'failed'
    assert state['detail'].startswith('not sent: cannot reach the broker')


def test_alarm_opens_and_closes(iot, operator, admin, agent_a, agent_b):
    prefix = f'marcier/{tenant(admin)}'
    device = Device(iot, 'gw-mcb0001', secret(operator, 'gw-mcb0001'))
    vehicle, = operator.search(
        'device.vehicle', [('gateway_id', '=', 'gw-mcb0001')])
    domain = [('vehicle', '=', vehicle), ('kind', '=', 'low_soc')]
    try:
        device.publish(f'{prefix}/gw-mcb0001/telemetry', report(soc=4.0))

        def opened():
            "low battery alarm open"
            return operator.search_read('iot.alarm',
                domain + [('state', '=', 'open')], ['id', 'detail'])
        alarm, = wait_until(opened, timeout=30)
        assert alarm['detail'] == '4.0 % left'
        # Agent B owns the vehicle: B sees the alarm and a warning, A neither
        assert agent_b.search('iot.alarm', [('id', '=', alarm['id'])])
        assert agent_a.search('iot.alarm', [('id', '=', alarm['id'])]) == []
        assert agent_b.search('res.notification', [
                ('model', '=', 'iot.alarm'),
                ('records', '=', json.dumps([alarm['id']])),
                ('kind', '=', 'warning')])

        device.publish(f'{prefix}/gw-mcb0001/telemetry', report(soc=55.0))

        def closed():
            "the alarm closed"
            return operator.read('iot.alarm', [alarm['id']],
                ['state'])[0]['state'] == 'closed'
        wait_until(closed, timeout=30)
    finally:
        device.close()


def test_listener_restart_loses_nothing(iot, operator, admin, platform,
        output):
    "Kill the listener mid-stream: every message stored exactly once"
    prefix = f'marcier/{tenant(admin)}'
    gateway = 'gw-mcc0002'
    vehicle, = operator.search(
        'device.vehicle', [('gateway_id', '=', gateway)])
    device = Device(iot, gateway, secret(operator, gateway))
    count = 3000
    start = time.time() - 3600
    published = threading.Event()

    def publish():
        for n in range(count):
            device.client.publish(f'{prefix}/{gateway}/telemetry',
                json.dumps({'ts': start + n * 0.01, 'v': 70.0, 'i': 5.0,
                        'soc': 50.0}).encode(), qos=1)
            if n % 500 == 0:
                time.sleep(0.2)
        published.set()
    thread = threading.Thread(target=publish)
    thread.start()
    time.sleep(0.5)
    iot.listener.kill()  # no goodbye: unacknowledged messages stay queued
    iot.listener.wait(timeout=10)
    stored_at_kill = operator('iot.telemetry', 'search_count',
        [('vehicle', '=', vehicle)])
    thread.join()
    assert published.wait(30)
    time.sleep(1)
    iot.listener = start_listener(platform.uri, 'test', iot.listener_log)
    try:
        def all_stored():
            "every message stored"
            return operator('iot.telemetry', 'search_count',
                [('vehicle', '=', vehicle)]) >= count
        wait_until(all_stored, timeout=90)
        time.sleep(2)
        rows = operator.search_read('iot.telemetry',
            [('vehicle', '=', vehicle)], ['timestamp'])
        assert len(rows) == count
        assert len({json.dumps(r['timestamp'], sort_keys=True)
                for r in rows}) == count
        assert stored_at_kill < count  # the kill did happen mid-stream
    finally:
        device.close()


def test_agents_see_only_their_iot_records(iot, operator, agent_a, agent_b):
    "Telemetry, alarms and commands of agent A stay hidden from agent B"
    vehicle_a, = operator.search(
        'device.vehicle', [('gateway_id', '=', 'gw-mca0001')])
    for model in ['iot.telemetry', 'iot.command']:
        assert agent_a.search(model, [('vehicle', '=', vehicle_a)]), model
        assert agent_b.search(model, [('vehicle', '=', vehicle_a)]) == []
    command = agent_a.search('iot.command', [], limit=1)
    with pytest.raises(RPCError, match='not allowed to read'):
        agent_b.read('iot.command', command, ['state'])
    with pytest.raises(RPCError):
        agent_b.create('iot.command', [{'vehicle': vehicle_a,
                    'kind': 'lock'}])
    with pytest.raises(RPCError):
        agent_b.search('iot.gateway', [])
    with pytest.raises(RPCError):
        agent_a.read('iot.configuration', [1], ['broker'])
    chart = agent_b('iot.telemetry.chart', 'search', [], 0, None, None)
    assert chart == []


@pytest.mark.browser
def test_alarm_list_and_vehicle_pages(iot, platform, output):
    "The alarm list and the pages the IoT module adds to the vehicle form"
    from .browser import browser, sao_login, sao_open_menu
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 860})
        sao_login(page, platform, 'operator')
        sao_open_menu(page, "Marcier", "IoT", "Alarms")
        page.locator('a[role=tab]', has_text="All").first.click()
        page.locator('.treeview tr', has_text="MCB0001").first.wait_for()
        page.screenshot(path=output / 'iot-alarms.png')
    with browser() as chromium:  # a fresh session: one sao tab only
        page = chromium.new_page(viewport={'width': 1280, 'height': 860})
        sao_login(page, platform, 'operator')
        sao_open_menu(page, "Marcier", "Devices", "Vehicles")
        # MCA0001 is rented in the demo: not on the first (Available) tab
        page.locator('a[role=tab]', has_text="All").first.click()
        page.locator('.treeview tr', has_text="MCA0001").first.dblclick()
        page.locator('a[role=tab]', has_text="Alarms").first.click()
        page.wait_for_timeout(500)
        page.screenshot(path=output / 'iot-vehicle-alarms.png')
        page.locator('a[role=tab]', has_text="Commands").first.click()
        page.wait_for_timeout(1000)
        page.screenshot(path=output / 'iot-vehicle-commands.png')
        page.locator('a[role=tab]', has_text="Telemetry").first.click()
        page.locator('button', has_text="Telemetry Chart").first.wait_for()
