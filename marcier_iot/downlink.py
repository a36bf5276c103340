"""Publish downlink messages from the back office (a command to a gateway,
a vehicle type's profile retained on gateways' config topics) and wait
for the broker to take them."""
import threading
import uuid

from paho.mqtt import client as mqtt

HUB = None  # the embedded pipeline's LocalHub, when it runs in this process


def check(broker):
    "Raise ConnectionError when there is nowhere to publish to"
    if broker is None and HUB is None:
        raise ConnectionError("no broker is configured and the embedded "
            "demo fleet does not run in this process")


def publish(broker, topic, payload, timeout=5, retain=False):
    "Raise ConnectionError unless the broker acknowledged the message"
    publish_all(broker, [(topic, payload, retain)], timeout)


def publish_all(broker, messages, timeout=5):
    """Publish messages [(topic, payload, retain)] through one connection;
    raise ConnectionError unless the broker acknowledged them all"""
    if broker is None:
        check(broker)
        for topic, payload, retain in messages:
            HUB.route(topic, payload, retain=retain)
        return
    connected = threading.Event()
    refused = []

    def on_connect(client, userdata, flags, reason, properties):
        if reason.is_failure:
            refused.append(str(reason))
        connected.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
        client_id=f'marcier-downlink-{uuid.uuid4().hex[:12]}',
        protocol=mqtt.MQTTv311)
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    client.on_connect = on_connect
    try:
        client.connect(broker.host, broker.port, 30)
    except OSError as exception:
        raise ConnectionError(f"cannot reach the broker at {broker.host}:"
            f"{broker.port}: {exception.strerror or exception}") from None
    client.loop_start()
    try:
        if not connected.wait(timeout) or refused:
            raise ConnectionError("the broker refused the platform: "
                f"{refused[0] if refused else 'no answer'}")
        sent = [client.publish(topic, payload, qos=1, retain=retain)
            for topic, payload, retain in messages]
        for info in sent:
            info.wait_for_publish(timeout)
            if not info.is_published():
                raise ConnectionError(
                    "the broker did not acknowledge in time")
    finally:
        client.disconnect()
        client.loop_stop()
