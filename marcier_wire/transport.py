"""MQTT sessions (QoS 1) behind one small interface, with two
implementations: MqttLink (paho-mqtt 2.x, a real broker) and LocalLink (an
in-process hub that stands in for the broker when none is configured, as in
`marcier demo`).

A link calls on_message(topic, payload, token), on_published(token) and
on_connection(connected); with manual_ack the owner calls ack(token) once
the message is safely stored.
"""
import itertools
import logging
import queue
import threading
import urllib.parse
from dataclasses import dataclass

from paho.mqtt import client as mqtt

from .errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Broker:
    "Where and as whom to connect"
    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None

    def as_user(self, username, password):
        return Broker(self.host, self.port, username, password)

    def __str__(self):
        user = f'{self.username}@' if self.username else ''
        return f'mqtt://{user}{self.host}:{self.port}'


def parse_broker(uri):
    "A Broker from mqtt://[user[:password]@]host[:port], None when empty"
    if not uri:
        return None
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme != 'mqtt' or not parts.hostname:
        raise ConfigError(
            f"bad broker URI {uri!r}: use mqtt://user:password@host:port")
    try:
        port = parts.port or 1883
    except ValueError:
        raise ConfigError(f"bad port in broker URI {uri!r}") from None
    unquote = urllib.parse.unquote
    return Broker(parts.hostname, port,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None)


class Link:
    "One MQTT session; subclasses move the bytes"
    on_message = on_published = on_connection = None

    def __init__(self):
        self.subscriptions = []
        self.connected = False

    def subscribe(self, pattern):
        self.subscriptions.append(pattern)

    def _connection(self, connected):
        self.connected = connected
        if self.on_connection:
            self.on_connection(connected)


class MqttLink(Link):
    """A paho client.  persistent keeps the session (subscriptions and
    unacknowledged messages) on the broker across disconnections"""

    def __init__(self, broker, client_id, persistent=False,
            manual_ack=False, inflight=100):
        super().__init__()
        self.broker = broker
        self.client = client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
            clean_session=not persistent, manual_ack=manual_ack,
            protocol=mqtt.MQTTv311)
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        client.max_inflight_messages_set(inflight)
        client.reconnect_delay_set(1, 10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_subscribe = None
        self.refused = None  # the broker's reason when it refused us

    def subscribe(self, pattern):
        super().subscribe(pattern)
        if self.connected:
            self.client.subscribe(pattern, qos=1)

    def start(self):
        "Connect in the background and keep reconnecting (own thread)"
        self.client.connect_async(self.broker.host, self.broker.port, 30)
        self.client.loop_start()

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic, payload):
        "Queue a QoS 1 message; its token is passed to on_published"
        info = self.client.publish(topic, payload, qos=1)
        if info.rc not in {mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN}:
            raise ConnectionError(mqtt.error_string(info.rc))
        return info.mid

    def ack(self, token):
        self.client.ack(token, 1)

    def _on_connect(self, client, userdata, flags, reason, properties):
        if reason.is_failure:
            self.refused = str(reason)
            logger.warning("%s refused %s: %s", self.broker,
                client._client_id.decode(), reason)
            return
        self.refused = None
        for pattern in self.subscriptions:
            client.subscribe(pattern, qos=1)
        self._connection(True)

    def _on_disconnect(self, client, userdata, flags, reason, properties):
        if self.connected:
            self._connection(False)

    def _on_message(self, client, userdata, message):
        self.on_message(message.topic, message.payload, message.mid)

    def _on_publish(self, client, userdata, mid, reason, properties):
        if self.on_published:
            self.on_published(mid)


class LocalHub:
    """The in-process broker of the embedded mode: routes QoS 1 messages to
    matching subscriptions, one member per $share group in turn, and hands
    a new subscription the retained messages it matches, as MQTT does.
    Nothing is persisted: it lives and dies with the process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscriptions = []  # (link, group, filter)
        self._retained = {}  # topic → payload
        self._turn = itertools.count()

    def subscribe(self, link, pattern):
        group = None
        if pattern.startswith('$share/'):
            _, group, pattern = pattern.split('/', 2)
        with self._lock:
            self._subscriptions.append((link, group, pattern))
            retained = [(t, p) for t, p in self._retained.items()
                if mqtt.topic_matches_sub(pattern, t)]
        for topic, payload in retained:
            link._deliver(topic, payload)

    def unsubscribe_all(self, link):
        with self._lock:
            self._subscriptions = [
                s for s in self._subscriptions if s[0] is not link]

    def route(self, topic, payload, retain=False):
        with self._lock:
            if retain and payload:
                self._retained[topic] = payload
            elif retain:  # an empty retained message clears the topic
                self._retained.pop(topic, None)
            matching = [s for s in self._subscriptions
                if mqtt.topic_matches_sub(s[2], topic)]
        groups = {}
        for link, group, _ in matching:
            if group is None:
                link._deliver(topic, payload)
            else:
                groups.setdefault(group, []).append(link)
        for members in groups.values():
            members[next(self._turn) % len(members)]._deliver(topic, payload)


class LocalLink(Link):
    "A session on a LocalHub; messages wait in an inbox until pumped"

    def __init__(self, hub):
        super().__init__()
        self.hub = hub
        self.inbox = queue.SimpleQueue()
        self._tokens = itertools.count(1)
        self._thread = None

    def subscribe(self, pattern):
        super().subscribe(pattern)
        self.hub.subscribe(self, pattern)

    def start(self):
        "Deliver messages from a thread of its own, like paho's loop_start"
        self._connection(True)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def connect(self):
        "Be connected, for links pumped by their owner"
        self._connection(True)

    def stop(self):
        self.hub.unsubscribe_all(self)
        self._connection(False)
        if self._thread:
            self.inbox.put(None)
            self._thread.join(timeout=5)

    def publish(self, topic, payload):
        token = next(self._tokens)
        self.hub.route(topic, bytes(payload))
        if self.on_published:
            self.on_published(token)
        return token

    def ack(self, token):
        "Nothing to do: the hub does not redeliver"

    def _deliver(self, topic, payload):
        self.inbox.put((topic, payload))

    def pump(self):
        "Deliver the waiting messages in the caller's thread"
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return
            self.on_message(*item, next(self._tokens))

    def _run(self):
        while (item := self.inbox.get()) is not None:
            self.on_message(*item, next(self._tokens))
