"""The vehicle gateway: decodes the controller's CAN frames with its vehicle
type's profile (DBC and signal map), keeps the latest values and publishes
a compact report every interval on its own topic; it answers the
platform's commands and takes a new profile from its retained config
topic.  While the broker is unreachable reports go to a disk spool and are
resent, oldest first, before any new one."""
import json
import logging
import time
from pathlib import Path

import cantools
import can

from marcier_wire import payload as telemetry
from marcier_wire import profile as profiles
from marcier_wire import topics
from marcier_wire.mapping import UnknownFrame

from .spool import Spool

logger = logging.getLogger(__name__)
SPOOL_WINDOW = 100  # spooled reports in flight at once
LOCK_TIMEOUT = 3  # seconds for the controller to confirm a drive lock
INTERVALS = (1, 3600)  # accepted report intervals, seconds


class Gateway:

    def __init__(self, gateway_id, tenant, link, bus, spool_path,
            interval=None, profile=None):
        """profile: the vehicle type's (default: the one the last config
        message brought, kept next to the spool, else the built-in
        vehicle's); interval overrides the profile's"""
        self.id = gateway_id
        self.tenant = tenant
        self.link = link
        self.bus = bus
        self.spool = Spool(spool_path)
        self.profile_path = Path(spool_path).with_suffix('.profile.json')
        self.interval_override = interval
        self.use(profile or self.saved_profile() or profiles.builtin())
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
        link.subscribe(topics.topic(tenant, gateway_id, topics.CONFIG))

    def use(self, profile):
        "Decode with profile from now on"
        self.profile = profile
        self.decoder = profile.decoder()
        self.interval = self.interval_override or profile.interval
        self.values = {}  # quantity key → latest value
        self.extra = {}  # 'Message.Signal' → latest value of the others
        self.seen = set()  # names of the messages decoded

    def saved_profile(self):
        try:
            return profiles.Profile.from_json(self.profile_path.read_bytes())
        except FileNotFoundError:
            return None
        except profiles.ProfileError as error:
            logger.warning("%s: saved profile ignored, %s", self.id, error)
            return None

    def tick(self, now):
        "Called often by the owner's loop"
        self.read_bus()
        self.confirm_commands(now)
        if now >= self.next_report:
            self.next_report = now + self.interval
            if self.values:
                self.send(topics.TELEMETRY,
                    telemetry.report(now, self.values, self.extra))
        if self.backlog and self.link.connected:
            self.drain()

    def read_bus(self):
        while (frame := self.bus.recv(timeout=0)) is not None:
            try:
                decoded = self.decoder.decode_frame(frame)
            except (UnknownFrame, cantools.database.DecodeError,
                    ValueError):
                self.bad_frames += 1
                continue
            self.seen.add(decoded.message)
            self.values.update(decoded.values)
            self.extra.update(decoded.extra)

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
        if topic.endswith('/' + topics.CONFIG):
            return self.on_config(payload)
        try:
            command = json.loads(payload)
            ident = command['id']
            name = command['cmd']
        except (ValueError, TypeError, KeyError):
            logger.warning("%s: bad command %r", self.id, payload[:200])
            return
        if ident in self.answers:  # a redelivery: answer the same
            self.send(topics.ACK, self.answers[ident])
        elif name in {'lock', 'unlock'} and not self.profile.lock:
            self.answer(ident, False,
                f"vehicle type {self.profile.code} has no drive lock")
        elif name in {'lock', 'unlock'}:
            lock = name == 'lock'
            self.bus.send(self.lock_frame(lock))
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

    def on_config(self, payload):
        "A profile from the platform: run it and keep it for restarts"
        if not payload:
            return  # the platform cleared the retained profile
        try:
            profile = profiles.Profile.from_json(payload)
        except profiles.ProfileError as error:
            logger.warning("%s: profile refused, %s", self.id, error)
            return
        if profile.digest != self.profile.digest:
            self.use(profile)
            logger.info("%s: now a %s (profile %s)", self.id, profile.code,
                profile.digest)
            try:
                self.profile_path.parent.mkdir(parents=True, exist_ok=True)
                self.profile_path.write_bytes(payload)
            except OSError as error:
                # it runs the profile; a restart waits for the broker's
                logger.warning("%s: profile not saved, %s", self.id, error)

    def lock_frame(self, lock):
        command = self.profile.lock
        message = self.profile.database.get_message_by_name(command.message)
        signals = {s.name: 0 for s in message.signals}
        signals[command.signal] = command.lock if lock else command.unlock
        return can.Message(arbitration_id=message.frame_id,
            is_extended_id=message.is_extended_frame, is_fd=message.is_fd,
            data=message.encode(signals, strict=False))

    def confirm_commands(self, now):
        if not self.awaiting:
            return
        locked = self.values.get('lock')
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
        "What a technician asks first, read from the latest values"
        code = int(self.values.get('fc', 0))
        extra = self.extra
        return {
            'vehicle_type': self.profile.code,
            'profile': self.profile.digest,
            'bms_faults': [n for n in telemetry.BMS_FAULTS
                if extra.get(f'BMS_Faults.{n}')],
            'fault_code': code,
            'fault': self.fault_name(code),
            'cell_voltage_spread': round(
                extra.get('BMS_Temperatures.CellVoltageMax', 0)
                - extra.get('BMS_Temperatures.CellVoltageMin', 0), 3),
            'messages_seen': sorted(self.seen),
            'bad_frames': self.bad_frames,
            'spooled': len(self.spool),
            'interval': self.interval,
            'uptime': round(time.time() - self.started),
            }

    def fault_name(self, code):
        "The DBC's name of a fault code, or None"
        entry = self.profile.mapping.entries.get('fc')
        if entry is None:
            return None
        signal = self.profile.database.get_message_by_name(
            entry.message).get_signal_by_name(entry.signal)
        named = (signal.choices or {}).get(code)
        return str(named) if named is not None else None

    def close(self):
        self.spool.close()
