"""The listeners' JetStream transport, for a fleet on a NATS cluster.

The gateways keep speaking MQTT, to the cluster's MQTT gateway
(nats-server's `mqtt` block), which turns each topic into a subject:
marcier/<tenant>/<vehicle>/telemetry becomes
marcier.<tenant>.<vehicle>.telemetry.  A replicated stream keeps the
uplink subjects and the listeners share one durable pull consumer: each
fetches what it has room for, acknowledges after its commit, and what a
dead listener held comes back to the others after ack_wait.  The cluster
keeps what the listeners have not taken yet, on disk: no listener falling
behind makes it drop messages, as Mosquitto does past its queue limit.

JetStreamLink has the interface of transport.Link: the shared
subscription $share/<group>/<topic filter> is the durable consumer
<group> of the stream that holds the filter's subjects.
"""
import asyncio
import logging
import threading
import urllib.parse
from dataclasses import dataclass

import nats
from nats.js import api
from nats.js.errors import BadRequestError

from .errors import ConfigError
from .transport import Link

logger = logging.getLogger(__name__)

STREAM_IN_USE = 10058  # JetStream's "stream name already in use"
MAX_AGE = 7 * 24 * 3600  # what the gateways would resend anyway (spool)


@dataclass(frozen=True)
class Cluster:
    "The NATS servers and the stream's and consumer's settings"
    servers: tuple  # host:port, any of the cluster's client ports
    username: str | None = None
    password: str | None = None
    replicas: int = 3
    ack_wait: float = 60.0  # seconds a fetched message waits for its ack

    def __str__(self):
        user = f'{self.username}@' if self.username else ''
        return f"nats://{user}{','.join(self.servers)}"

    def urls(self):
        return [f'nats://{server}' for server in self.servers]


def parse_cluster(uri):
    """A Cluster from nats://[user[:password]@]host:port[,host:port...]
    [?replicas=N&ack_wait=S]; None when empty"""
    if not uri:
        return None
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme != 'nats' or not parts.netloc:
        raise ConfigError(f"bad stream URI {uri!r}: use nats://user:password"
            "@host:4222,host:4222?replicas=3")
    credentials, _, hosts = parts.netloc.rpartition('@')
    servers = []
    for server in hosts.split(','):
        host, _, port = server.rpartition(':') if ':' in server else (
            server, '', '4222')
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"bad server {server!r} in stream URI {uri!r}")
        servers.append(f'{host}:{int(port)}')
    username, _, password = credentials.partition(':')
    unquote = urllib.parse.unquote
    options = urllib.parse.parse_qs(parts.query)
    if set(options) - {'replicas', 'ack_wait'}:
        raise ConfigError(f"unknown option in stream URI {uri!r}: use "
            "replicas and ack_wait")
    try:
        replicas = int(options.get('replicas', ['3'])[-1])
        ack_wait = float(options.get('ack_wait', ['60'])[-1])
    except ValueError:
        raise ConfigError(f"bad replicas or ack_wait in {uri!r}") from None
    if not 1 <= replicas <= 5 or ack_wait <= 0:
        raise ConfigError(f"stream URI {uri!r}: replicas go from 1 to 5 "
            "(JetStream's limit), ack_wait is positive seconds")
    return Cluster(tuple(servers),
        unquote(username) if username else None,
        unquote(password) if password else None,
        replicas, ack_wait)


def subject(topic):
    """The NATS subject of an MQTT topic or filter, as the MQTT gateway
    maps it: / separates tokens, + is *, # is >; a "." of a topic is "//"
    (nats-server 2.10 on: 2.9 refuses topics with a ".")"""
    return '.'.join({'+': '*', '#': '>'}.get(level, level.replace('.', '//'))
        for level in topic.split('/'))


def topic(subject):
    "The MQTT topic of a subject the MQTT gateway mapped"
    return '/'.join(token.replace('//', '.') for token in subject.split('.'))


def stream_name(tenant):
    "The stream of a tenant's uplink (stream names have no '.')"
    return f"marcier_{tenant.replace('.', '_')}"


class JetStreamLink(Link):
    """A durable pull consumer of a JetStream stream, from a thread of its
    own running asyncio.  The link creates or updates the stream and the
    consumer on every connection (idempotent); nats-py reconnects to any
    server of the cluster; the link starts over when that is not enough
    (the cluster unreachable at start, the stream lost)."""

    def __init__(self, cluster, client_id, stream, window=10000):
        super().__init__()
        self.cluster = cluster
        self.client_id = client_id  # the connection's name on the servers
        self.stream = stream
        self.window = window  # messages fetched and not yet acknowledged
        self.refused = None  # why the cluster cannot be used, when so
        self._outstanding = 0
        self._acks = []  # reply subjects of messages stored, to send
        self._acks_lock = threading.Lock()
        self._loop = self._thread = None
        self._stop = self._wake = self._room = None  # asyncio.Events

    def subscribe(self, pattern):
        if not pattern.startswith('$share/'):
            raise ValueError(f"a JetStream link takes shared subscriptions "
                f"only, not {pattern!r}")
        super().subscribe(pattern)

    def consumer(self):
        "(durable name, subjects) of the shared subscriptions"
        groups, subjects = set(), []
        for pattern in self.subscriptions:
            _, group, filter_ = pattern.split('/', 2)
            groups.add(group)
            subjects.append(subject(filter_))
        if len(groups) != 1:
            raise ValueError(f"one share group per link, not {groups}")
        return groups.pop(), subjects

    def start(self):
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            self._stop, self._wake, self._room = (
                asyncio.Event(), asyncio.Event(), asyncio.Event())
            ready.set()
            self._loop.run_until_complete(self._run())
            self._loop.close()
        self._thread = threading.Thread(target=run, daemon=True,
            name=f'jetstream-{self.client_id}')
        self._thread.start()
        ready.wait()

    def stop(self):
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)

    def ack(self, token):
        "Acknowledge from any thread: the event loop sends the acks"
        with self._acks_lock:
            self._acks.append(token)
            first = len(self._acks) == 1
        if first:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self):
        delay = 1
        stop = asyncio.create_task(self._stop.wait())
        while not self._stop.is_set():
            # nats-py retries the first connection forever: stop cancels
            session = asyncio.create_task(self._session())
            await asyncio.wait({session, stop},
                return_when=asyncio.FIRST_COMPLETED)
            if not session.done():
                session.cancel()
            try:
                await session
                delay = 1
            except asyncio.CancelledError:
                break
            except Exception as exception:
                self._refuse(exception)
                self._connection(False)
            try:
                await asyncio.wait_for(asyncio.shield(stop), delay)
            except asyncio.TimeoutError:
                delay = min(delay * 2, 10)
        stop.cancel()

    def _refuse(self, exception):
        reason = str(exception) or type(exception).__name__
        if reason != self.refused:  # once per reason, not per retry
            logger.warning("%s for %s: %s; retrying", self.cluster,
                self.client_id, reason)
        self.refused = reason

    async def _session(self):
        "Connect, make sure of the stream and the consumer, fetch"
        async def error(exception):
            self._refuse(exception)

        async def disconnected():
            self._connection(False)

        async def reconnected():
            self.refused = None
            self._connection(True)
        nc = await nats.connect(self.cluster.urls(),
            user=self.cluster.username, password=self.cluster.password,
            name=self.client_id, connect_timeout=5, reconnect_time_wait=1,
            max_reconnect_attempts=-1, error_cb=error,
            disconnected_cb=disconnected, reconnected_cb=reconnected)
        try:
            durable, subjects = self.consumer()
            js = nc.jetstream(timeout=10)
            await self._ensure(js, durable, subjects)
            subscription = await js.pull_subscribe_bind(
                durable=durable, stream=self.stream)
            self.refused = None
            self._connection(True)
            acks = asyncio.create_task(self._send_acks(nc))
            try:
                await self._fetch(nc, subscription)
            finally:
                acks.cancel()
                await self._flush_acks(nc)
        finally:
            await nc.close()

    async def _ensure(self, js, durable, subjects):
        """Create the stream and the consumer, or bring them to this
        configuration: work-queue retention drops what was acknowledged,
        the rest lives on disk up to MAX_AGE"""
        config = api.StreamConfig(name=self.stream, subjects=subjects,
            retention=api.RetentionPolicy.WORK_QUEUE,
            storage=api.StorageType.FILE, max_age=MAX_AGE,
            num_replicas=self.cluster.replicas)
        try:
            await js.add_stream(config)
        except BadRequestError as exception:
            if exception.err_code != STREAM_IN_USE:
                raise
            await js.update_stream(config)
        await js.add_consumer(self.stream, api.ConsumerConfig(
                durable_name=durable, ack_policy=api.AckPolicy.EXPLICIT,
                ack_wait=self.cluster.ack_wait,
                # every listener's window, for a good many listeners
                max_ack_pending=100 * self.window))

    async def _fetch(self, nc, subscription):
        "Fetch while there is room in the window: the back-pressure"
        while not self._stop.is_set():
            room = self.window - self._outstanding
            if room <= 0:
                self._room.clear()
                try:  # until acks make room
                    await asyncio.wait_for(self._room.wait(), 1)
                except asyncio.TimeoutError:
                    pass
                continue
            try:
                messages = await subscription.fetch(room, timeout=1)
            except nats.errors.TimeoutError:
                continue  # nothing to take, or a server changing leaders
            except nats.errors.Error:
                if not nc.is_connected:  # nats-py is reconnecting
                    await asyncio.sleep(0.5)
                    continue
                raise
            self._outstanding += len(messages)
            for message in messages:
                self.on_message(topic(message.subject), message.data,
                    message.reply)

    async def _send_acks(self, nc):
        while True:
            await self._wake.wait()
            await self._flush_acks(nc)

    async def _flush_acks(self, nc):
        with self._acks_lock:
            replies, self._acks = self._acks, []
            self._wake.clear()
        for reply in replies:
            try:
                await nc.publish(reply)
            except nats.errors.Error as exception:
                # Not acknowledged: redelivered after ack_wait, and
                # recognised as a duplicate then
                logger.debug("ack lost: %s", exception)
        self._outstanding -= len(replies)
        self._room.set()
