"""The uplink on a broker cluster (issue 15): a 3-node NATS cluster with
JetStream and its MQTT gateway, the stream replicated on all three, three
`marcier iot-listen` sharing its durable consumer, storing into a private
PostgreSQL.  Gateways publish QoS 1 over MQTT while a broker node and a
listener are killed and PostgreSQL restarts: every report acknowledged to
a gateway is stored exactly once."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from paho.mqtt import client as mqtt

from marcier_wire.errors import ConfigError
from marcier_wire.jetstream import (
    parse_cluster, stream_name, subject, topic)

from .conftest import MARCIER, ROOT, free_port
from .iot import wait_until

NATS_SERVER = shutil.which('nats-server') or (
    '/usr/sbin/nats-server' if Path('/usr/sbin/nats-server').exists()
    else None)
PG_BIN = next(iter(sorted(Path('/usr/lib/postgresql').glob('*/bin'))), None)
needs_cluster = pytest.mark.skipif(
    not NATS_SERVER or not PG_BIN or not (PG_BIN / 'initdb').exists(),
    reason="needs nats-server and PostgreSQL's binaries")

TENANT = 'nats-test'
GATEWAYS = [f'gw-nats{n}' for n in range(6)]
REPORTS = 700  # per gateway, 35 s at 20 a second
ACK_WAIT = 5  # seconds before a dead listener's messages go to the others


def test_stream_uri():
    cluster = parse_cluster(
        'nats://platform:p%40ss@127.0.0.1:4222,10.0.0.2?replicas=3&ack_wait=5')
    assert cluster.servers == ('127.0.0.1:4222', '10.0.0.2:4222')
    assert (cluster.username, cluster.password) == ('platform', 'p@ss')
    assert (cluster.replicas, cluster.ack_wait) == (3, 5.0)
    assert str(cluster) == 'nats://platform@127.0.0.1:4222,10.0.0.2:4222'
    assert parse_cluster('') is None
    for bad in ['mqtt://host:1883', 'nats://', 'nats://host:x',
            'nats://host?replicas=7', 'nats://host?partitions=2']:
        with pytest.raises(ConfigError):
            parse_cluster(bad)


def test_subjects_as_the_mqtt_gateway_maps_them():
    assert subject('$share/g/marcier/t/+/telemetry'.split('/', 2)[2]) == (
        'marcier.t.*.telemetry')
    assert subject('marcier/t/gw.1/ack') == 'marcier.t.gw//1.ack'
    assert topic('marcier.t.gw//1.ack') == 'marcier/t/gw.1/ack'


class Postgres:
    "A PostgreSQL of the test's own, which it may restart"

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.data = folder / 'data'
        self.sockets = folder / 'sockets'
        self.sockets.mkdir()
        # initdb refuses root: run the server as postgres then
        self.prefix = []
        if os.geteuid() == 0:
            shutil.chown(folder, 'postgres')
            shutil.chown(self.sockets, 'postgres')
            self.prefix = ['runuser', '-u', 'postgres', '--']
        self.run('initdb', '-D', str(self.data), '-U', 'postgres',
            '--auth=trust', '-E', 'UTF8', '--locale=C')
        self.uri = f'postgresql://postgres@127.0.0.1:{self.port}/'

    def run(self, program, *args):
        subprocess.run([*self.prefix, str(PG_BIN / program), *args],
            check=True, timeout=60, capture_output=True)

    def start(self):
        self.run('pg_ctl', '-D', str(self.data), '-w', '-t', '30',
            '-l', str(self.folder / 'postgres.log'), '-o',
            f'-p {self.port} -k {self.sockets} '
            '-c listen_addresses=127.0.0.1 -c fsync=off', 'start')

    def stop(self, mode='fast'):
        self.run('pg_ctl', '-D', str(self.data), '-m', mode, '-w', 'stop')

    def query(self, database, sql):
        import psycopg
        with psycopg.connect(self.uri + database) as connection:
            return connection.execute(sql).fetchall()


class Node:
    "One nats-server of the cluster: JetStream, MQTT, monitoring"

    def __init__(self, folder, name, routes):
        self.name = name
        self.port, self.mqtt, self.http = free_port(), free_port(), free_port()
        self.route = routes[name]
        self.config = folder / f'{name}.conf'
        self.config.write_text(f'''
server_name: {name}
listen: 127.0.0.1:{self.port}
http: 127.0.0.1:{self.http}
jetstream {{ store_dir: "{folder / name}" }}
cluster {{
  name: marcier
  listen: 127.0.0.1:{self.route}
  routes: [{", ".join(f"nats://127.0.0.1:{p}" for p in routes.values())}]
}}
mqtt {{ listen: 127.0.0.1:{self.mqtt} }}
''')
        self.log = folder / f'{name}.log'
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [NATS_SERVER, '-c', str(self.config), '-l', str(self.log)])

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def get(self, path):
        with urllib.request.urlopen(
                f'http://127.0.0.1:{self.http}{path}', timeout=5) as reply:
            return json.load(reply)

    def healthy(self):
        try:
            return self.get('/healthz').get('status') == 'ok'
        except OSError:
            return False

    def leader(self, stream):
        "The server name of the stream's leader"
        reply = self.get('/jsz?accounts=true&streams=true')
        for account in reply.get('account_details', []):
            for detail in account.get('stream_detail', []):
                if detail['name'] == stream:
                    return detail.get('cluster', {}).get('leader')

    def clients(self):
        "The names of the NATS clients connected to this node"
        return {c.get('name') for c in self.get('/connz')['connections']}


class Gateway:
    """A vehicle's MQTT session on one of the cluster's MQTT ports, moving
    to the next when its node goes (what a load balancer does for the
    real gateways); notes the reports the cluster acknowledged"""

    def __init__(self, name, ports):
        self.name = name
        self.ports = list(ports)
        self.sent = {}  # mid → report time (mids stay under 65,536)
        self.acked_mids = set()
        self.client = client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
            client_id=f'test-{name}')
        client.max_inflight_messages_set(100)
        client.reconnect_delay_set(0.2, 1)
        client.on_publish = self.on_publish
        client.on_disconnect = self.on_disconnect
        client.connect('127.0.0.1', self.ports[0])
        client.loop_start()

    def on_publish(self, client, userdata, mid, reason, properties):
        # No lock of ours here: paho calls this holding its own, which
        # publish() takes too
        self.acked_mids.add(mid)

    def on_disconnect(self, client, userdata, flags, reason, properties):
        self.ports.append(self.ports.pop(0))
        # paho's port setter refuses while the socket is still open, as
        # it is here; its reconnection then takes the next node
        client._port = self.ports[0]

    def publish(self, time_):
        payload = json.dumps({'ts': time_, 'v': 72.0, 'i': 8.0,
                'soc': 64.0}).encode()
        info = self.client.publish(
            f'marcier/{TENANT}/{self.name}/telemetry', payload, qos=1)
        self.sent[info.mid] = time_

    def acked(self):
        "The report times the cluster acknowledged"
        return {self.sent[mid] for mid in set(self.acked_mids)}

    def resend(self):
        """Publish again what is not acknowledged, as a gateway's spool
        does; True when there was nothing left"""
        left = set(self.sent.values()) - self.acked()
        for time_ in sorted(left):
            self.publish(time_)
        return not left

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


class Listener:
    "`marcier iot-listen` with its JSON counters"

    def __init__(self, uri, name, folder):
        self.name = name
        self.log = open(folder / f'listener-{name}.log', 'w')
        self.process = subprocess.Popen([*MARCIER, 'iot-listen', '--db', uri,
                '--name', name, '--json', '--stats-every', '1',
                '--batch-size', '500'],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.stats = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            if line.startswith('{'):
                self.stats.append(json.loads(line))

    def connected(self):
        assert self.process.poll() is None, f"listener {self.name} stopped"
        return self.stats and self.stats[-1]['connected']

    def stop(self, signum=signal.SIGTERM):
        self.process.send_signal(signum)
        self.process.wait(timeout=30)
        time.sleep(0.5)  # its last line
        self.log.close()
        return self.stats[-1] if self.stats else {}


def set_up_database(uri, stream_uri):
    "(In a process of its own) the IoT module, a company, the vehicles"
    from marcier import database as db
    from marcier import settings
    database = settings.parse_database(uri)
    settings.configure(database)
    db.create(database)
    from trytond import admin, commandline
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
        passfile.write('nats-test-admin\n')
        passfile.flush()
        os.environ['TRYTONPASSFILE'] = passfile.name
        admin.run(commandline.get_parser_admin().parse_args([
                    '-d', database.name, '--email', 'admin@marcier.example',
                    '-u', 'marcier_iot', '--activate-dependencies']))
    from trytond.modules.company.tests import create_company, set_company
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from marcier_base.tests.test_module import create_agent
    with Transaction().start(database.name, 0,
            _lock_tables=['iot_configuration']) as transaction:
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Configuration = pool.get('iot.configuration')
        company = create_company()
        agent = create_agent(company, 'A')
        with set_company(company):
            Vehicle.create([{'serial': name.upper(), 'gateway_id': name,
                        'company': company.id, 'agent': agent.id}
                    for name in GATEWAYS])
        Configuration.write([Configuration(1)],
            {'tenant': TENANT, 'stream': stream_uri})
        transaction.commit()


@pytest.fixture
def folder():
    # Short and readable by the postgres user (not pytest's tmp_path)
    path = Path(tempfile.mkdtemp(prefix='marcier-nats-'))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@needs_cluster
@pytest.mark.skipif(os.environ.get('MARCIER_CLUSTER_TEST') != '1',
    reason="not passing yet (issue 15): with a node killed, the cluster's "
    "MQTT gateway left reports unacknowledged for over 60 s on a loaded "
    "machine, and killing the stream leader loses reports it had "
    "acknowledged (docs/scaling.md); MARCIER_CLUSTER_TEST=1 runs it")
def test_cluster_loses_no_acknowledged_report(folder, output):
    postgres = Postgres(folder)
    names = ['n1', 'n2', 'n3']
    routes = {name: free_port() for name in names}
    nodes = [Node(folder, name, routes) for name in names]
    uri = postgres.uri + 'marcier_nats'
    stream_uri = ('nats://' + ','.join(f'127.0.0.1:{n.port}' for n in nodes)
        + f'?replicas=3&ack_wait={ACK_WAIT}')
    listeners, gateways = [], []
    postgres.start()
    try:
        for node in nodes:
            node.start()
        setup = subprocess.run([sys.executable, '-c',
                'import sys; from tests.test_nats_cluster import '
                'set_up_database; set_up_database(*sys.argv[1:])',
                uri, stream_uri], cwd=ROOT, capture_output=True, text=True,
            timeout=300)
        assert setup.returncode == 0, setup.stderr[-3000:]

        def healthy():
            "every node healthy (JetStream meta leader elected)"
            return all(node.healthy() for node in nodes)
        wait_until(healthy, timeout=30)
        listeners = [Listener(uri, f'nats{n}', folder) for n in range(3)]

        def connected():
            "every listener connected, the stream and consumer made"
            return all(listener.connected() for listener in listeners)
        wait_until(connected, timeout=60)
        gateways = [Gateway(name, [n.mqtt for n in nodes[i % 3:]]
                + [n.mqtt for n in nodes[:i % 3]])
            for i, name in enumerate(GATEWAYS)]

        # A node that a listener uses, so that it must move; not the
        # stream's leader: nats-server's MQTT gateway acknowledges QoS 1
        # reports that no stream stores while a new leader is elected
        # (docs/scaling.md)
        leader = nodes[0].leader(stream_name(TENANT))
        ident, victim = next((c, n) for n in nodes if n.name != leader
            for c in sorted(filter(None, n.clients())) if c.startswith(
                f'marcier-listener-{TENANT}-'))
        killed = next(listener for listener in listeners
            if not ident.endswith(f'-{listener.name}'))
        killed_stats, failed = {}, []

        def failures():
            "a broker node, a listener, PostgreSQL, while the reports flow"
            try:
                time.sleep(8)
                victim.kill()
                time.sleep(6)
                killed_stats.update(killed.stop(signal.SIGKILL))
                time.sleep(6)
                postgres.stop('immediate')
                time.sleep(2)
                postgres.start()
            except BaseException as exception:
                failed.append(exception)
                raise
        chaos = threading.Thread(target=failures)
        chaos.start()
        start = time.time() - 86400  # reports of yesterday
        began = time.monotonic()
        for n in range(REPORTS):
            for gateway in gateways:
                gateway.publish(start + n)
            time.sleep(max(0, began + (n + 1) / 20 - time.monotonic()))
        chaos.join(timeout=60)
        assert not chaos.is_alive() and not failed, failed
        published = {(g.name, t) for g in gateways for t in g.sent.values()}

        def all_acknowledged():
            "the cluster acknowledged every report (resent until then)"
            return all([g.resend() for g in gateways])
        time.sleep(5)
        wait_until(all_acknowledged, timeout=60, interval=5)
        acked = {(g.name, t) for g in gateways for t in g.acked()}

        def stored():
            rows = postgres.query('marcier_nats',
                'SELECT v.gateway_id, EXTRACT(EPOCH FROM t.timestamp) '
                'FROM iot_telemetry t JOIN device_vehicle v '
                'ON v.id = t.vehicle')
            return [(g, float(t)) for g, t in rows]

        def all_stored():
            "every acknowledged report stored"
            return acked <= set(stored())
        wait_until(all_stored, timeout=60)
        time.sleep(ACK_WAIT + 1)  # what else may come back comes now
        rows = stored()

        def moved():
            "the first listener reconnected to a node still up"
            return any(ident in n.clients() for n in nodes if n is not victim)
        wait_until(moved, timeout=10)
        survivors = [l for l in listeners if l is not killed]
        assert all(listener.connected() for listener in survivors)
        final = [listener.stop() for listener in survivors]
    finally:
        for gateway in gateways:
            gateway.close()
        for listener in listeners:
            if listener.process.poll() is None:
                listener.stop(signal.SIGKILL)
        for node in nodes:
            if node.process and node.process.poll() is None:
                node.process.terminate()
                node.process.wait(timeout=10)
        postgres.stop()
        for log in folder.glob('*.log'):
            shutil.copy(log, output / f'nats-cluster-{log.name}')

    # Nothing lost, nothing twice, nothing made up
    assert len(rows) == len(set(rows))
    assert acked <= set(rows) <= published
    # The counters agree with the table: each row stored by one listener
    # (the killed one's last line may miss its last second)
    for stats in final + [killed_stats]:
        assert stats['received'] == stats['stored'] + stats['duplicates'], (
            stats)
    assert sum(s['stored'] for s in final) + killed_stats['stored'] <= len(
        rows)
    # The listeners rode out PostgreSQL's restart and the node's loss
    assert any(s.get('retries') for s in final)
