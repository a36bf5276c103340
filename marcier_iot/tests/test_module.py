# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
import json
import os
import tempfile
import threading
import time
import uuid
from unittest.mock import patch
from urllib.parse import quote

from hypothesis import example, given, settings
from hypothesis import strategies as st
from paho.mqtt import client as mqtt

from trytond import config
from trytond.exceptions import UserError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, with_transaction)
from trytond.transaction import Transaction

from marcier_base.tests import AgentTestMixin
from marcier_base.tests.test_module import (
    create_agent, create_user, load_chinese)
from marcier_wire import topics
from marcier_wire.transport import parse_broker

from .. import broker, downlink, ingest
from ..commit import after_commit

TENANT = 'test'
# The machine's Mosquitto (anonymous, as installed): what a rolled back
# transaction must not publish to
LOCAL_BROKER = 'mqtt://127.0.0.1:1883'


def report(ts, **values):
    values = {'v': 76.0, 'i': 20.0, 'soc': 60.0, **values}
    return json.dumps({'ts': ts, **values}).encode()


class Subscriber:
    "A session on a broker that collects what arrives on one topic filter"

    def __init__(self, uri, pattern):
        broker = parse_broker(uri)
        self.messages = []
        subscribed = threading.Event()
        self.client = client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
            client_id=f'test-{uuid.uuid4().hex[:12]}')
        client.on_connect = lambda c, *_: c.subscribe(pattern, qos=1)
        client.on_subscribe = lambda *_: subscribed.set()
        client.on_message = lambda c, u, m: self.messages.append(m.topic)
        client.connect(broker.host, broker.port)
        client.loop_start()
        if not subscribed.wait(10):
            raise TimeoutError(f"no subscription on {uri}")

    def wait(self, seconds):
        "What arrived until seconds passed or something arrived"
        deadline = time.monotonic() + seconds
        while not self.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def patch_config(section, option, value):
    "trytond's configuration with section.option = value for a while"
    get = config.get

    def patched(section_, option_, **kw):
        if (section_, option_) == (section, option):
            return value
        return get(section_, option_, **kw)
    patched.cache_clear = get.cache_clear
    return patch.object(config, 'get', patched)


def message(gateway, payload, kind='telemetry'):
    return ingest.Message(f'marcier/{TENANT}/{gateway}/{kind}', payload,
        time.time())


class MarcierIotTestCase(CompanyTestMixin, AgentTestMixin, ModuleTestCase):
    "Test Marcier IoT module"
    module = 'marcier_iot'

    def _setup(self):
        pool = Pool()
        City = pool.get('marcier.city')
        Vehicle = pool.get('device.vehicle')
        Configuration = pool.get('iot.configuration')
        Configuration.write([Configuration(1)], {'tenant': TENANT})
        company = create_company()
        city, = City.create([{'name': "Shanghai", 'latitude': 31.2304,
                    'longitude': 121.4737, 'radius': 50}])
        agent = create_agent(company, 'A')
        agent.city = city
        agent.save()
        staff = create_user('staff_a', company, 'role_agent', agent)
        operator = create_user('op', company, 'role_operator')
        with set_company(company):
            vehicle, = Vehicle.create([{'serial': 'V1', 'company': company.id,
                        'agent': agent.id, 'gateway_id': 'gw-v1'}])
        return company, agent, staff, operator, vehicle

    def _process(self, *messages):
        return ingest.process(TENANT, list(messages), time.time())

    @with_transaction()
    def test_registration_gives_credentials(self):
        "A vehicle with a gateway id gets a broker account, kept in step"
        pool = Pool()
        Gateway = pool.get('iot.gateway')
        Vehicle = pool.get('device.vehicle')
        company, agent, _, _, vehicle = self._setup()
        gateway, = Gateway.search([('vehicle', '=', vehicle.id)])
        self.assertEqual(gateway.username, 'gw-v1')
        self.assertEqual(gateway.password_hash, broker.hash_password(
                gateway.secret,
                salt=__import__('base64').b64decode(
                    gateway.password_hash.split('$')[3])))
        old = gateway.secret
        Gateway.rotate([gateway])
        self.assertNotEqual(gateway.secret, old)

        Vehicle.write([vehicle], {'gateway_id': 'gw-renamed'})
        self.assertEqual(Gateway(gateway.id).username, 'gw-renamed')
        with set_company(company):
            bare, = Vehicle.create([{'serial': 'V2', 'company': company.id}])
        self.assertEqual(Gateway.search([('vehicle', '=', bare.id)]), [])
        Vehicle.write([vehicle], {'gateway_id': None})
        self.assertEqual(Gateway.search([('vehicle', '=', vehicle.id)]), [])

    @with_transaction()
    def test_broker_files(self):
        "Each gateway may write only its topics and read only its commands"
        pool = Pool()
        Gateway = pool.get('iot.gateway')
        Configuration = pool.get('iot.configuration')
        self._setup()
        Configuration.write([Configuration(1)], {
                'broker': 'mqtt://platform:s3cret@127.0.0.1:1883'})
        with tempfile.TemporaryDirectory() as folder:
            passwd, acl = Gateway.write_broker_files(folder)
            users = [line.split(':')[0] for line in
                passwd.read_text().splitlines() if ':' in line]
            rules = acl.read_text()
        self.assertEqual(users, ['platform', 'gw-v1'])
        self.assertIn('user platform\ntopic readwrite marcier/test/#', rules)
        self.assertIn('user gw-v1\n'
            'topic write marcier/test/gw-v1/telemetry\n'
            'topic write marcier/test/gw-v1/ack\n'
            'topic read marcier/test/gw-v1/command\n', rules)
        gateway, = Gateway.search([])
        config = gateway.config_text()
        self.assertIn(f'broker = mqtt://gw-v1:{gateway.secret}@127.0.0.1:1883',
            config)

    @with_transaction()
    def test_broker_names_strict_alphabet(self):
        """Gateway ids, broker users and tenants with an MQTT wildcard, a
        separator, a space, a newline or non-ASCII are refused by the
        models with a clear message, and again where the broker's files
        are written: nothing is written, the files stay as they were.
        (A refused call rolls its transaction back: tests/security's
        broker test reads the values back through the server.)"""
        pool = Pool()
        Gateway = pool.get('iot.gateway')
        Vehicle = pool.get('device.vehicle')
        Configuration = pool.get('iot.configuration')
        _, _, _, _, vehicle = self._setup()
        bad = ['+', '#', 'gw/1', 'gw+', 'gw 1', 'gw\nuser x', 'gw\n',
            'gw:1', 'ü1', '-gw', '.', 'g' * 65, '$SYS']
        refused = 'may only contain letters|invalid char'
        for name in bad:
            with self.subTest(name=name):
                with self.assertRaisesRegex(UserError, refused):
                    Configuration.write([Configuration(1)], {
                            'broker': f'mqtt://{quote(name)}:x@127.0.0.1'})
                if topics.safe(name.strip()):
                    continue  # Char fields strip: 'gw\n' is stored 'gw'
                with self.assertRaisesRegex(UserError, refused):
                    Vehicle.write([vehicle], {'gateway_id': name})
                gateway, = Gateway.search([])
                with self.assertRaisesRegex(UserError, refused):
                    Gateway.write([gateway], {'username': name})
                with self.assertRaisesRegex(UserError, refused):
                    Configuration.write([Configuration(1)], {
                            'tenant': name})
        Configuration.write([Configuration(1)], {
                'tenant': TENANT, 'broker': None})
        Vehicle.write([vehicle], {'gateway_id': 'GW_v-1.2'})
        self.assertEqual(Gateway.search([])[0].username, 'GW_v-1.2')

        # Defence in depth: a bad name that reached the table (SQL, an
        # old database) stops the files from being written at all
        with tempfile.TemporaryDirectory() as folder:
            passwd, acl = Gateway.write_broker_files(folder)
            before = passwd.read_text(), acl.read_text()
            table = Gateway.__table__()
            Transaction().connection.cursor().execute(*table.update(
                    [table.username], ['+']))
            Transaction().counter += 1  # forget the records read so far
            with self.assertRaisesRegex(ValueError, 'unsafe MQTT name'):
                Gateway.write_broker_files(folder)
            self.assertEqual((passwd.read_text(), acl.read_text()), before)
        for name in bad:
            with self.subTest(name=name), \
                    self.assertRaisesRegex(ValueError, 'unsafe MQTT name'):
                broker.acl_file(TENANT, None, [name])
            with self.subTest(name=name), \
                    self.assertRaises(ValueError):
                broker.acl_file(name, None, ['gw-v1'])
            with self.subTest(name=name), \
                    self.assertRaises(ValueError):
                broker.password_file([(name, 'hash')])
            with self.subTest(name=name), \
                    self.assertRaises(ValueError):
                topics.topic(TENANT, name, topics.COMMAND)

    @with_transaction()
    def test_ingest(self):
        "Rows stored once, live state updated, bad messages rejected"
        pool = Pool()
        Telemetry = pool.get('iot.telemetry')
        Reject = pool.get('iot.telemetry.reject')
        _, agent, _, _, vehicle = self._setup()
        now = time.time()
        outcome = self._process(
            message('gw-v1', report(now - 10, soc=71.5, lat=31.2, lon=121.4,
                    key=1, odo=10.5)),
            message('gw-v1', report(now - 5, soc=70.0)),
            message('gw-v1', report(now - 5, soc=70.0)),  # redelivered
            message('gw-v1', b'{"ts": 1, broken'),
            message('gw-v1', report(now, soc=250)),
            message('gw-nobody', report(now)),
            ingest.Message('elsewhere/x', b'', now),
            )
        self.assertEqual(outcome.stored, 2)
        self.assertEqual(outcome.duplicates, 1)
        self.assertEqual(dict(outcome.rejects), {
                'malformed': 1, 'range': 1, 'unknown_vehicle': 1,
                'topic': 1})
        self.assertEqual(Reject.search([], count=True), 4)
        rows = Telemetry.search([], order=[('timestamp', 'ASC')])
        self.assertEqual([r.soc for r in rows], [71.5, 70.0])
        self.assertEqual({r.agent for r in rows}, {agent})
        vehicle = type(vehicle)(vehicle.id)
        self.assertEqual(vehicle.soc, 70.0)
        # The position stays when the newest sample has no GPS fix
        self.assertEqual(vehicle.latitude, 31.2)

        # Redelivered after a commit: skipped by the database
        outcome = self._process(message('gw-v1', report(now - 5, soc=70.0)))
        self.assertEqual((outcome.stored, outcome.duplicates), (0, 1))
        # An older sample from a gateway's spool does not rewind the state
        self._process(message('gw-v1', report(now - 3600, soc=99.0)))
        self.assertEqual(type(vehicle)(vehicle.id).soc, 70.0)
        self.assertEqual(Telemetry.search([], count=True), 3)

    @with_transaction()
    def test_fuzzed_messages_never_fail_a_batch(self):
        "Whatever arrives is stored or rejected, and rejects are counted"
        Reject = Pool().get('iot.telemetry.reject')
        self._setup()

        @settings(max_examples=150, deadline=None)
        @given(st.lists(st.tuples(
                    st.sampled_from(['gw-v1', 'gw-x', 'a/b', '+']),
                    st.sampled_from(['telemetry', 'ack', 'command']),
                    st.binary(max_size=80) | st.dictionaries(
                        st.sampled_from(['ts', 'v', 'i', 'soc', 'lat', 'fc',
                                'id', 'ok']),
                        st.floats() | st.integers() | st.text(max_size=5),
                        ).map(lambda d: json.dumps(d).encode())),
                max_size=8))
        # Found by this test: an id beyond the database's integers
        @example([('gw-v1', 'ack', b'{"id": 9223372036854775808}')])
        @example([('gw-v1', 'ack', b'{"id": true}')])
        def check(items):
            before = Reject.search([], count=True)
            outcome = self._process(*[message(g, p, k) for g, k, p in items])
            handled = (outcome.stored + outcome.duplicates + outcome.answers
                + sum(outcome.rejects.values()))
            self.assertLessEqual(handled, len(items))
            self.assertEqual(Reject.search([], count=True) - before,
                sum(outcome.rejects.values()))
        check()

    @with_transaction()
    def test_alarms(self):
        "Open once, update while active, close when cleared; warn people"
        pool = Pool()
        Alarm = pool.get('iot.alarm')
        Notification = pool.get('res.notification')
        Vehicle = pool.get('device.vehicle')
        company, agent, staff, operator, vehicle = self._setup()
        now = time.time()
        with set_company(company):
            self._process(message('gw-v1', report(now - 30, soc=10.0)))
            self._process(message('gw-v1', report(now - 20, soc=8.0,
                        fc=4097)))
            alarms = {a.kind: a for a in Alarm.search([])}
            self.assertEqual(set(alarms), {'low_soc', 'controller_fault'})
            low = alarms['low_soc']
            self.assertEqual((low.state, low.occurrences, low.value),
                ('open', 2, 8.0))
            self.assertIn('OVERCURRENT', alarms['controller_fault'].detail)
            self.assertEqual(Vehicle(vehicle.id).alarm_count, 2)
            warned = Notification.search([('kind', '=', 'warning')])
            self.assertLessEqual({staff, operator}, {n.user for n in warned})

            # Inside the hysteresis band: still open; above it: closed
            self._process(message('gw-v1', report(now - 10, soc=17.0)))
            self.assertEqual(Alarm(low.id).state, 'open')
            self._process(message('gw-v1', report(now, soc=21.0,
                        lat=40.0, lon=116.0)))
            self.assertEqual(Alarm(low.id).state, 'closed')
            self.assertEqual(Alarm(alarms['controller_fault'].id).state,
                'open')  # no motor frame in the sample: no opinion
            geofence, = Alarm.search([('kind', '=', 'geofence')])
            self.assertEqual(geofence.state, 'open')
            self.assertGreater(geofence.value, 1000)

            Alarm.acknowledge([geofence])
            self.assertEqual(geofence.state, 'acknowledged')
            Alarm.close([geofence])
            self.assertEqual(Vehicle(vehicle.id).alarm_count, 1)

    @with_transaction()
    def test_alarm_detail_languages(self):
        "An alarm's detail and warning read in each reader's language"
        pool = Pool()
        Alarm = pool.get('iot.alarm')
        Notification = pool.get('res.notification')
        company, agent, staff, operator, vehicle = self._setup()
        staff.language = load_chinese('marcier_iot')
        staff.save()
        with set_company(company):
            self._process(message('gw-v1', report(time.time(), soc=8.0,
                        bf=0b100001)))
            alarms = {a.kind: a for a in Alarm.search([])}
            for language, low, faults in [
                    ('en', "8.0 % left", "over-voltage, cell imbalance"),
                    ('zh_CN', "剩余电量 8.0%", "过压, 电芯不均衡")]:
                with Transaction().set_context(language=language):
                    self.assertEqual(
                        Alarm(alarms['low_soc'].id).detail, low)
                    self.assertEqual(
                        Alarm(alarms['battery_fault'].id).detail, faults)
            bodies = {}
            for note in Notification.search([('kind', '=', 'warning'),
                        ('model', '=', 'iot.alarm')]):
                bodies[note.user] = bodies.get(note.user, '') + note.body
        self.assertIn("剩余电量 8.0%", bodies[staff])
        self.assertIn("8.0 % left", bodies[operator])

    @with_transaction()
    def test_no_data_alarm(self):
        "A silent vehicle raises an alarm that its next sample closes"
        pool = Pool()
        Alarm = pool.get('iot.alarm')
        company, _, _, _, vehicle = self._setup()
        self._process(message('gw-v1', report(time.time() - 3600)))
        with set_company(company):
            Alarm.check_silence()
            alarm, = Alarm.search([('kind', '=', 'no_data')])
            self.assertEqual(alarm.state, 'open')
            self._process(message('gw-v1', report(time.time())))
            self.assertEqual(alarm.state, 'closed')

    @with_transaction()
    def test_command_answers(self):
        "Only the vehicle's own gateway answers its command"
        pool = Pool()
        Command = pool.get('iot.command')
        Vehicle = pool.get('device.vehicle')
        company, agent, _, _, vehicle = self._setup()
        with set_company(company):
            other, = Vehicle.create([{'serial': 'V9', 'company': company.id,
                        'gateway_id': 'gw-v9'}])
            command, = Command.create([{'vehicle': vehicle.id,
                        'kind': 'diagnostics'}])
        self.assertEqual(command.agent, agent)
        ack = json.dumps({'id': command.id, 'ok': True, 'detail': 'done',
                'result': {'fault': 'NONE'}}).encode()
        # Sends publish after their commit: a draft was never sent
        outcome = self._process(message('gw-v1', ack, 'ack'))
        self.assertEqual(outcome.answers, 0)
        self.assertEqual(command.state, 'draft')
        Command.write([command], {'state': 'sent',
                'sent_at': dt.datetime.now()})
        self._process(message('gw-v9', ack, 'ack'))
        self.assertEqual(command.state, 'sent')
        outcome = self._process(message('gw-v1', ack, 'ack'))
        self.assertEqual(outcome.answers, 1)
        self.assertEqual(command.state, 'acknowledged')
        self.assertEqual(json.loads(command.result), {'fault': 'NONE'})

        with set_company(company):
            late, = Command.create([{'vehicle': vehicle.id, 'kind': 'lock'}])
        Command.write([late], {'state': 'sent',
                'sent_at': dt.datetime.now() - dt.timedelta(hours=1)})
        Command.time_out()
        self.assertEqual(late.state, 'timed_out')

    @with_transaction()
    def test_send_without_broker(self):
        "No broker, no embedded hub: the command stays a draft"
        pool = Pool()
        Command = pool.get('iot.command')
        company, _, _, _, vehicle = self._setup()
        with set_company(company):
            command, = Command.create([{'vehicle': vehicle.id,
                        'kind': 'unlock'}])
        with self.assertRaises(Exception) as caught:
            Command.send([command])
        self.assertIn('not sent', str(caught.exception))

    def test_after_commit(self):
        "A call waits for the commit; a rollback drops it"
        calls = []
        with Transaction().start(DB_NAME, 0):
            after_commit('test', calls.append, 'first')
            after_commit('test', calls.append, 'same key, once')
            after_commit('test many', calls.append, 'one', once=False)
            after_commit('test many', calls.append, 'two', once=False)
            self.assertEqual(calls, [])
        self.assertEqual(calls, ['first', 'one', 'two'])
        with self.assertRaises(ZeroDivisionError):
            with Transaction().start(DB_NAME, 0):
                after_commit('test', calls.append, 'rolled back')
                1 / 0
        self.assertEqual(calls, ['first', 'one', 'two'])

    def test_broker_files_after_commit_only(self):
        "A rolled back registration leaves the broker's files alone"
        with tempfile.TemporaryDirectory() as folder, \
                patch_config('iot', 'broker_dir', folder):
            with self.assertRaises(ZeroDivisionError):
                # The first write of the settings locks their table
                with Transaction().start(DB_NAME, 0,
                        _lock_tables=['iot_configuration']):
                    self._setup()  # registers a gateway
                    1 / 0
            self.assertEqual(os.listdir(folder), [])
            # What a commit runs: from the committed ledger
            Pool(DB_NAME).get('iot.gateway').update_broker(DB_NAME)
            self.assertEqual(sorted(os.listdir(folder)), ['acl', 'passwd'])

    @with_transaction()
    def test_send_rolled_back_publishes_nothing(self):
        "A send whose transaction rolls back tells the gateway nothing"
        pool = Pool()
        Command = pool.get('iot.command')
        Configuration = pool.get('iot.configuration')
        company, _, _, _, vehicle = self._setup()
        tenant = f'test-{uuid.uuid4().hex[:12]}'  # no one else's topics
        Configuration.write([Configuration(1)],
            {'tenant': tenant, 'broker': LOCAL_BROKER})
        topic = f'marcier/{tenant}/gw-v1/command'
        subscriber = Subscriber(LOCAL_BROKER, topic)
        try:
            with set_company(company):
                command, = Command.create([{'vehicle': vehicle.id,
                            'kind': 'unlock'}])
            Command.send([command])
            self.assertEqual(command.state, 'sent')
            self.assertEqual(subscriber.wait(1), [])  # not before the end
            Transaction().rollback()
            self.assertEqual(subscriber.wait(2), [])
            # The subscription works: what is published does arrive
            downlink.publish(parse_broker(LOCAL_BROKER), topic, b'{}')
            self.assertEqual(subscriber.wait(10), [topic])
        finally:
            subscriber.close()

    @with_transaction()
    def test_chart(self):
        "The chart averages a vehicle's samples per minute"
        pool = Pool()
        Chart = pool.get('iot.telemetry.chart')
        _, _, _, _, vehicle = self._setup()
        start = time.time() // 60 * 60 - 120
        self._process(*[message('gw-v1', report(start + s, soc=40.0 + s / 2))
                for s in (1, 2, 61)])
        with Transaction().set_context(vehicle=vehicle.id,
                from_=dt.datetime.utcfromtimestamp(start - 60),
                to=dt.datetime.utcfromtimestamp(start + 300)):
            points = Chart.search([])
            self.assertEqual([(p.samples, p.soc) for p in points],
                [(2, 40.75), (1, 70.5)])


del ModuleTestCase
