"""The vehicle gateway: reads the controller's CAN frames, keeps the latest
signals and publishes a compact report every interval on its own topic; it
answers the platform's commands.  While the broker is unreachable reports go
to a disk spool and are resent, oldest first, before any new one."""
import json
import logging
import time

import cantools

from marcier_wire import frames as dbc
from marcier_wire import payload as telemetry
from marcier_wire import topics

from .spool import Spool

logger = logging.getLogger(__name__)
SPOOL_WINDOW = 100  # spooled reports in flight at once
LOCK_TIMEOUT = 3  # seconds for the controller to confirm a drive lock
INTERVALS = (1, 3600)  # accepted report intervals, seconds


class Gateway:

    def __init__(self, gateway_id, tenant, link, bus, spool_path,
            interval=5.0):
        self.id = gateway_id
        self.tenant = tenant
        self.link = link
        self.bus = bus
        self.spool = Spool(spool_path)
        self.interval = interval
        self.frames = {}  # message name → latest decoded signals
        self.bad_frames = 0
        self.next_report = 0
        self.started = time.time()
        self.backlog = len(self.spool) > 0
        self.sent_seq = 0  # last spool entry handed to the link
        self.in_flight = {}  # link token → spool seq
        self.awaiting = []  # lock/unlock commands: (command, deadline, lock)
        self.answers = {}  # command id → ack payload, for redeliveries
        link.on_message = self.on_command
        link.on_published = self.on_published
        link.on_connection = self.on_connection
        link.subscribe(topics.topic(tenant, gateway_id, topics.COMMAND))

    def tick(self, now):
        "Called often by the owner's loop"
        self.read_bus()
        self.confirm_commands(now)
        if now >= self.next_report:
            self.next_report = now + self.interval
            if 'BMS_Pack' in self.frames:
                self.send(topics.TELEMETRY,
                    telemetry.report(now, self.frames))
        if self.backlog and self.link.connected:
            self.drain()

    def read_bus(self):
        while (frame := self.bus.recv(timeout=0)) is not None:
            try:
                name, signals = dbc.decode(frame)
            except (dbc.UnknownFrame, cantools.database.DecodeError,
                    ValueError):
                self.bad_frames += 1
                continue
            self.frames[name] = signals

    def send(self, kind, payload):
        topic = topics.topic(self.tenant, self.id, kind)
        if self.link.connected and not self.backlog:
            self.link.publish(topic, payload)
        else:
            self.spool.append(topic, payload)
            self.backlog = True

    def drain(self):
        room = SPOOL_WINDOW - len(self.in_flight)
        if room <= 0:
            return
        entries = [e for e in self.spool.head(SPOOL_WINDOW)
            if e[0] > self.sent_seq][:room]
        if not entries and not self.in_flight:
            self.backlog = False
            self.sent_seq = 0
            logger.info("%s: spool sent", self.id)
        for seq, topic, payload in entries:
            self.in_flight[self.link.publish(topic, payload)] = seq
            self.sent_seq = seq

    def on_published(self, token):
        seq = self.in_flight.pop(token, None)
        if seq is not None:
            self.spool.remove([seq])

    def on_connection(self, connected):
        logger.info("%s %s", self.id,
            "connected" if connected else "lost the broker")

    def on_command(self, topic, payload, token):
        try:
            command = json.loads(payload)
            ident = command['id']
            name = command['cmd']
        except (ValueError, TypeError, KeyError):
            logger.warning("%s: bad command %r", self.id, payload[:200])
            return
        if ident in self.answers:  # a redelivery: answer the same
            self.send(topics.ACK, self.answers[ident])
        elif name in {'lock', 'unlock'}:
            lock = name == 'lock'
            self.bus.send(dbc.encode('GW_Command', {
                        'DriveLockRequest': 1 if lock else 2}))
            self.awaiting.append(
                (ident, time.time() + LOCK_TIMEOUT, lock))
        elif name == 'interval':
            value = command.get('value')
            if (isinstance(value, (int, float))
                    and INTERVALS[0] <= value <= INTERVALS[1]):
                self.interval = float(value)
                self.next_report = min(
                    self.next_report, time.time() + self.interval)
                self.answer(ident, True, f"reporting every {value:g} s")
            else:
                self.answer(ident, False, f"interval must be between "
                    f"{INTERVALS[0]} and {INTERVALS[1]} seconds")
        elif name == 'diagnostics':
            self.answer(ident, True, "diagnostics attached",
                self.diagnostics())
        else:
            self.answer(ident, False, f"unknown command {name!r}")

    def confirm_commands(self, now):
        if not self.awaiting:
            return
        locked = self.frames.get('Vehicle_Status', {}).get('DriveLocked')
        waiting = []
        for ident, deadline, lock in self.awaiting:
            if locked is not None and bool(locked) == lock:
                self.answer(ident, True,
                    "drive locked" if lock else "drive unlocked")
            elif now > deadline:
                self.answer(ident, False,
                    "the vehicle controller did not confirm")
            else:
                waiting.append((ident, deadline, lock))
        self.awaiting = waiting

    def answer(self, ident, ok, detail, result=None):
        payload = json.dumps({'id': ident, 'ok': ok, 'ts': time.time(),
                'detail': detail, 'result': result}).encode()
        self.answers[ident] = payload
        if len(self.answers) > 100:
            del self.answers[next(iter(self.answers))]
        self.send(topics.ACK, payload)

    def diagnostics(self):
        "What a technician asks first, read from the latest frames"
        bms = self.frames.get('BMS_Faults', {})
        motor = self.frames.get('Motor_Status', {})
        temperatures = self.frames.get('BMS_Temperatures', {})
        code = int(motor.get('FaultCode', 0))
        return {
            'bms_faults': [n for n in telemetry.BMS_FAULTS if bms.get(n)],
            'fault_code': code,
            'fault': dbc.choice('Motor_Status', 'FaultCode', code),
            'cell_voltage_spread': round(
                temperatures.get('CellVoltageMax', 0)
                - temperatures.get('CellVoltageMin', 0), 3),
            'messages_seen': sorted(self.frames),
            'bad_frames': self.bad_frames,
            'spooled': len(self.spool),
            'interval': self.interval,
            'uptime': round(time.time() - self.started),
            }

    def close(self):
        self.spool.close()
