"""Helpers of the IoT end-to-end tests: a private Mosquitto started with
the shipped config/mosquitto.conf and the broker files written by
`marcier broker-files`, and MQTT clients logged in as a device."""
import os
import subprocess
import threading
import time
from pathlib import Path

from paho.mqtt import client as mqtt

from .conftest import MARCIER, ROOT, free_port

PLATFORM_PASSWORD = 'platform-test-secret'


def broker_config(folder, port):
    "config/mosquitto.conf with the test's port and folder"
    text = (ROOT / 'config' / 'mosquitto.conf').read_text()
    text = text.replace('listener 1883 127.0.0.1',
        f'listener {port} 127.0.0.1')
    text = text.replace('var/mosquitto/', f'{folder}/')
    if os.geteuid() == 0:  # else mosquitto drops to a user that cannot
        text += '\nuser root\n'  # read the test's private folder
    path = folder / 'mosquitto.conf'
    path.write_text(text)
    return path


class Broker:
    "A running Mosquitto with the platform's accounts"

    def __init__(self, folder, uri):
        self.folder = folder
        self.uri = uri
        self.port = free_port()
        self.config = broker_config(folder, self.port)
        self.process = None

    def write_files(self):
        subprocess.run([*MARCIER, 'broker-files', '--db', self.uri,
                '--output', str(self.folder)], check=True, cwd=ROOT,
            timeout=120, capture_output=True)

    def start(self):
        self.process = subprocess.Popen(
            ['mosquitto', '-c', str(self.config)],
            stdout=open(self.folder / 'mosquitto.log', 'a'),
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
            try:
                client.connect('127.0.0.1', self.port)
                client.disconnect()
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("mosquitto did not start")

    def reload(self):
        self.process.send_signal(1)  # SIGHUP: read passwd and acl again
        time.sleep(0.5)

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)

    def platform_uri(self):
        return f'mqtt://platform:{PLATFORM_PASSWORD}@127.0.0.1:{self.port}'


class Device:
    "An MQTT session logged in as someone; collects what it receives"

    def __init__(self, broker, username, password, subscribe=()):
        self.messages = []
        self.connected = threading.Event()
        self.reason = None
        self.client = client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f'test-{username}-{time.monotonic_ns()}')
        client.username_pw_set(username, password)

        def on_connect(client, userdata, flags, reason, properties):
            self.reason = reason
            for topic in subscribe:
                client.subscribe(topic, qos=1)
            self.connected.set()
        client.on_connect = on_connect
        client.on_message = lambda c, u, m: self.messages.append(
            (m.topic, m.payload))
        client.connect('127.0.0.1', broker.port)
        client.loop_start()
        self.connected.wait(10)
        time.sleep(0.2)  # let the subscriptions settle

    def publish(self, topic, payload):
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(10)
        return info

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(check, timeout=60, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"not true after {timeout}s: {check.__doc__}")


def start_listener(uri, name, log):
    "Start `marcier iot-listen` and wait until it is subscribed"
    start = Path(log.name).stat().st_size
    process = subprocess.Popen([*MARCIER, 'iot-listen', '--db', uri,
            '--name', name, '--stats-every', '1'],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def connected():
        "the listener connected"
        assert process.poll() is None, "the listener stopped"
        with open(log.name) as file:
            file.seek(start)
            return '[connected]' in file.read()
    wait_until(connected, timeout=120)
    return process
