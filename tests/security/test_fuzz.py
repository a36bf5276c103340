"""Fuzzing with hypothesis against the running server: the public routes
and the JSON-RPC endpoint never answer 5xx; hostile MQTT payloads sent
by a device through the real broker and listener are counted as rejects,
exactly those the validator refuses, and nothing stops the listener."""
import json
import time
import urllib.parse
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marcier_wire import payload as telemetry
from marcier_iot.ingest import parse_ack

from ..iot import Device, start_listener, wait_until
from .attack import fetch
from .conftest import secret

# (path template, the methods it answers); other methods are tried too
ROUTES = [
    ('/{db}/device/fleet-map', 'GET'),
    ('/{db}/device/fleet-map/{x}', 'GET'),
    ('/{db}/device/fleet-map/leaflet/{x}', 'GET'),
    ('/{x}/device/fleet-map', 'GET'),
    ('/{db}/rpc/', 'POST'),
    ('/{db}/session/login', 'POST'),
    ('/mall', 'GET'),
    ('/mall/{x}', 'GET'),
    ('/mall/1', 'POST'),
    ('/{db}/wechat/{x}', 'POST'),
    ('/{db}/wechat/wxmarcierdemo0001', 'POST'),
    ('/{db}/wechat/wxmarcierdemo0001/h5/{x}', 'GET'),
    ('/{x}', 'GET'),
    ]
segments = st.text(min_size=1, max_size=40).map(
    lambda t: urllib.parse.quote(t, safe=''))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(
        allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.text(max_size=8), children, max_size=4),
    max_leaves=12)
rpc_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({
            'id': json_values,
            'method': st.sampled_from([
                    'common.db.login', 'model.device.vehicle.search',
                    'model.device.vehicle.read', 'model.res.user.x',
                    'wizard.device.vehicle.transfer.create', 'system.x',
                    ]) | st.text(max_size=30),
            'params': json_values,
            }).map(lambda v: json.dumps(v).encode()))


def test_routes_never_fail(secured, output):
    "Any path, query, method or body: an answer below 500"
    statuses = Counter()

    @settings(max_examples=300, deadline=None, database=None,
        suppress_health_check=list(HealthCheck))
    @given(route=st.sampled_from(ROUTES), segment=segments,
        query=st.dictionaries(st.text(max_size=10), st.text(max_size=30),
            max_size=3),
        other=st.sampled_from([None] * 8 + ['GET', 'POST', 'PUT', 'HEAD']),
        body=rpc_bodies,
        content_type=st.sampled_from(['application/json'] * 4 + [
                'text/plain', 'application/x-www-form-urlencoded']))
    def check(route, segment, query, other, body, content_type):
        template, method = route
        method = other or method
        path = template.format(db=secured.database, x=segment)
        if query:
            path += '?' + urllib.parse.urlencode(query)
        status, answer = fetch(method, secured.url.rstrip('/') + path,
            body if method in {'POST', 'PUT'} else None,
            {'Content-Type': content_type})
        statuses[status] += 1
        assert status < 500, f'{method} {path}: {status} {answer[:200]}'
        assert 'Traceback' not in answer
    check()
    summary = ', '.join(f'{s}: {n}' for s, n in sorted(statuses.items()))
    print(f'route fuzzing: {sum(statuses.values())} requests ({summary})')
    (output / 'security-fuzz-routes.txt').write_text(summary + '\n')
    assert statuses[200] and sum(
        n for s, n in statuses.items() if 400 <= s < 500)


# Reports near the valid ones: offsets from now for ts (inside and outside
# the accepted window), values inside and outside their ranges
reports = st.fixed_dictionaries(
    {'ts': st.sampled_from([0, -1, -60, -3600, 200, 400, -8 * 24 * 3600])
            | st.integers(-10 ** 6, 10 ** 6) | st.floats()
            | st.text(max_size=5),
        'v': st.floats(0, 1000) | st.floats(-10, 1100) | st.text(max_size=3),
        'i': st.floats(-1000, 1000),
        'soc': st.floats(0, 100) | st.floats(-5, 105) | st.none()},
    optional={k: st.floats(0, 100) | st.floats() | st.integers()
            | st.booleans() | st.none()
        for k in ['lat', 'lon', 'fc', 'key', 'bf', 'odo', 'spd']})
valid_reports = st.fixed_dictionaries(
    {'ts': st.integers(-3600, 0), 'v': st.floats(0, 1000),
        'i': st.floats(-1000, 1000), 'soc': st.floats(0, 100)},
    optional={'lat': st.floats(-90, 90), 'lon': st.floats(-180, 180),
        'key': st.booleans(), 'fc': st.integers(0, 65535)})
payloads = st.one_of(
    st.binary(max_size=120),
    json_values.map(lambda v: json.dumps(v).encode()),
    reports, valid_reports)


def rejected(kind, payload, now):
    "Whether the platform's validator refuses the message (the oracle)"
    try:
        if kind == 'ack':
            parse_ack(payload)
        else:
            telemetry.parse(payload, now)
    except telemetry.Reject:
        return True
    return False


@pytest.fixture(scope='module')
def listener(secured, broker, output):
    log = open(output / 'security-listener.log', 'a')
    process = start_listener(secured.uri, 'security-fuzz', log)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_mqtt_payloads_rejected_and_counted(secured, broker, listener):
    operator = secured.client('operator')
    gateway = 'gw-mcb0003'
    prefix = f'marcier/{broker.tenant}/{gateway}'
    device = Device(broker, gateway, secret(operator, gateway))

    def rejects():
        return operator('iot.telemetry.reject', 'search_count',
            [('gateway', '=', gateway)])
    before, sent, expected = rejects(), Counter(), 0

    @settings(max_examples=200, deadline=None, database=None,
        suppress_health_check=list(HealthCheck))
    @given(kind=st.sampled_from(['telemetry', 'ack']), payload=payloads)
    def publish(kind, payload):
        nonlocal expected
        if isinstance(payload, dict):
            payload = dict(payload)
            if type(payload['ts']) is int:  # an offset from now
                payload['ts'] += time.time()
            payload = json.dumps(payload).encode()
        if rejected(kind, payload, time.time()):
            expected += 1
        sent[kind] += 1
        device.publish(f'{prefix}/{kind}', payload)
    try:
        publish()
    finally:
        device.close()

    def counted():
        "every refused message is in the reject log"
        return rejects() - before >= expected
    wait_until(counted, timeout=120)
    time.sleep(2)
    assert rejects() - before == expected
    assert listener.poll() is None, "the listener stopped"
    print(f'MQTT fuzzing: {sum(sent.values())} messages ({dict(sent)}), '
        f'{expected} rejected and counted')
