"""Drive many MQTT links and a periodic tick from one thread.

The simulator runs a thousand gateways, each with its own broker session;
one selector instead of a thousand paho threads keeps that light.  Every
callback of the links and the tick run in this thread, so the gateways need
no locks.
"""
import logging
import selectors
import time

from marcier_wire.transport import LocalLink, MqttLink

logger = logging.getLogger(__name__)
READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE


class Mux:

    def __init__(self, links, tick, period=0.1):
        self.selector = selectors.DefaultSelector()
        self.mqtt = [link for link in links if isinstance(link, MqttLink)]
        self.local = [link for link in links if isinstance(link, LocalLink)]
        self.tick = tick
        self.period = period
        self._retry = {}  # link → monotonic time of the next connection try

    def run(self, stop):
        "Run until the threading.Event stop is set"
        for link in self.mqtt:
            self._watch(link.client)
            self._retry[link] = 0
        for link in self.local:
            link.connect()
        next_tick = next_misc = time.monotonic()
        try:
            while not stop.is_set():
                timeout = max(0, min(next_tick, next_misc) - time.monotonic())
                if self.mqtt:
                    for key, mask in self.selector.select(timeout):
                        client = key.data
                        if mask & READ:
                            client.loop_read()
                        if mask & WRITE and client.socket() is not None:
                            client.loop_write()
                else:
                    stop.wait(timeout)
                for link in self.local:
                    link.pump()
                now = time.monotonic()
                if now >= next_misc:
                    self._housekeeping(now)
                    next_misc = now + 1
                if now >= next_tick:
                    self.tick(time.time())
                    next_tick = max(next_tick + self.period, now)
        finally:
            for link in self.mqtt:
                link.client.disconnect()
                link.client.loop_write()
            for link in self.local:
                link.stop()

    def _housekeeping(self, now):
        "Keep-alives and reconnections"
        for link in self.mqtt:
            client = link.client
            if client.socket() is not None:
                client.loop_misc()
            elif now >= self._retry[link]:
                self._connect(link, now)

    def _connect(self, link, now):
        try:
            if link.client.host:
                link.client.reconnect()
            else:
                link.client.connect(link.broker.host, link.broker.port, 30)
        except OSError as exception:
            logger.debug("%s: %s", link.broker, exception)
            self._retry[link] = now + 2
        else:
            self._retry[link] = now + 5

    def _watch(self, client):
        selector = self.selector

        def opened(client, userdata, sock):
            selector.register(sock, READ, client)

        def closed(client, userdata, sock):
            selector.unregister(sock)

        def want_write(client, userdata, sock):
            selector.modify(sock, READ | WRITE, client)

        def written(client, userdata, sock):
            selector.modify(sock, READ, client)

        client.on_socket_open = opened
        client.on_socket_close = closed
        client.on_socket_register_write = want_write
        client.on_socket_unregister_write = written
