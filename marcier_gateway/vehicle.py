"""A simulated electric utility vehicle on a CAN bus: it drives between
random stops around its home city, drains its battery while driving,
charges at home, heats up under load, throws an occasional controller or
battery fault, now and then strays outside its service area, and obeys the
gateway's drive-lock requests.  Forklifts carry loads, sweepers brush and
use water while they drive.

It speaks any vehicle type's DBC (its profile): every step it sends each
message of the DBC, the signals that carry a platform quantity following
the physics (converted to the signal's unit), the others moving within
their ranges."""
import math
import random

import can

from marcier_wire import profile as profiles
from marcier_wire.payload import BMS_FAULTS

KM_PER_DEGREE = 111.32
DRAIN_PER_KM = 0.9  # % of charge per km
CHARGE_PER_MINUTE = 1.5  # % per minute on the charger
WATER_PER_MINUTE = 1.2  # % of a sweeper's tank while brushing
FAULT_CODES = [4097, 4099, 8193, 12289, 16385]


class SimulatedVehicle:

    def __init__(self, bus, home, radius, seed, soc=80.0, odometer=0.0,
            working_hours=0.0, profile=None):
        self.bus = bus
        self.use(profile or profiles.builtin())
        self.rng = random.Random(seed)
        self.home = home  # (latitude, longitude)
        self.radius = radius  # km of the service area
        rng = self.rng
        self.lat = home[0] + rng.uniform(-0.3, 0.3) * radius / KM_PER_DEGREE
        self.lon = home[1] + rng.uniform(-0.3, 0.3) * radius / KM_PER_DEGREE
        self.soc = soc
        self.odometer = odometer
        self.working_hours = working_hours
        self.speed = self.heading = self.rpm = self.current = 0.0
        self.temperature = 25.0 + rng.uniform(-3, 3)
        self.motor_temperature = self.temperature
        self.key_on = self.charging = self.locked = False
        self.fault_code = self.bms_faults = 0
        self.fault_left = 0.0  # seconds until the current fault clears
        self.load = self.lift = 0.0  # a forklift's
        self.water = rng.uniform(60, 100)  # a sweeper's tank, %
        self.step_count = 0
        self.target = None
        self.parked_left = rng.uniform(0, 120)

    def use(self, profile):
        "Speak the DBC of profile from now on (all but its lock request)"
        self.profile = profile
        self.messages = [m for m in profile.database.messages
            if not (profile.lock and m.name == profile.lock.message)]
        self.senders = {}  # message name → {signal name: mapping entry}
        for entry in profile.mapping.entries.values():
            self.senders.setdefault(entry.message, {})[entry.signal] = entry
        self.others = {}  # 'Message.Signal' → value of unmapped signals

    # Physics, one step of dt seconds
    def step(self, dt):
        self.obey_gateway()
        if self.locked:
            self.stop()
        elif self.charging:
            self.soc = min(100.0, self.soc + CHARGE_PER_MINUTE * dt / 60)
            self.current = -40.0
            if self.soc >= 95:
                self.charging = False
                self.parked_left = self.rng.uniform(30, 300)
        elif self.parked_left > 0:
            self.stop()
            self.parked_left -= dt
        else:
            self.drive(dt)
        self.update_faults(dt)
        load = max(self.current, 0) / 120
        ambient = 25.0
        self.temperature += (ambient + 20 * load - self.temperature) * dt / 600
        self.motor_temperature += (
            ambient + 70 * load - self.motor_temperature) * dt / 120
        self.send_frames()

    def stop(self):
        self.speed = self.rpm = 0.0
        self.key_on = False
        if not self.charging:
            self.current = 1.5  # the controller's own consumption

    def drive(self, dt):
        if self.target is None:
            self.target = self.next_stop()
        self.key_on = True
        distance = self.distance_to(self.target)
        self.speed = self.rng.uniform(15, 28)
        travelled = min(distance, self.speed * dt / 3600)
        bearing = self.bearing_to(self.target)
        self.heading = bearing % 360
        self.move(travelled, bearing)
        self.odometer += travelled
        self.working_hours += dt / 3600
        self.soc = max(0.0, self.soc - DRAIN_PER_KM * travelled)
        self.rpm = self.speed * 95
        self.current = 35 + self.speed * 2.2 + self.rng.uniform(-5, 5)
        self.water = max(0.0, self.water - WATER_PER_MINUTE * dt / 60)
        self.lift = 0.15 if self.load else 0.0
        if distance - travelled < 0.02:
            self.arrive()

    def arrive(self):
        at_home = self.target == self.home
        self.target = None
        self.speed = self.rpm = 0.0
        # a forklift sets down or picks up a load at each stop
        self.load = 0.0 if self.load or self.rng.random() < 0.4 else round(
            self.rng.uniform(200, 1500), -1)
        if at_home:
            self.water = 100.0
        if at_home and self.soc < 60:
            self.charging = True
        else:
            self.parked_left = self.rng.uniform(20, 240)

    def next_stop(self):
        if self.soc < 25:
            return self.home
        # One trip in fifty leaves the service area for a while
        reach = 1.15 if self.rng.random() < 0.02 else 0.7
        angle = self.rng.uniform(0, 2 * math.pi)
        distance = self.radius * reach * math.sqrt(self.rng.random())
        return (
            self.home[0] + distance * math.cos(angle) / KM_PER_DEGREE,
            self.home[1] + distance * math.sin(angle) / (
                KM_PER_DEGREE * math.cos(math.radians(self.home[0]))))

    def update_faults(self, dt):
        if self.fault_left > 0:
            self.fault_left -= dt
            if self.fault_left <= 0:
                self.fault_code = self.bms_faults = 0
        elif self.key_on and self.rng.random() < dt / 7200:
            # About one fault per two hours of driving, for a minute or two
            if self.rng.random() < 0.7:
                self.fault_code = self.rng.choice(FAULT_CODES)
            else:
                self.bms_faults = 1 << self.rng.randrange(8)
            self.fault_left = self.rng.uniform(60, 180)

    # Geometry on a small patch of the earth
    def move(self, km, bearing):
        radians = math.radians(bearing)
        self.lat += km * math.cos(radians) / KM_PER_DEGREE
        self.lon += km * math.sin(radians) / (
            KM_PER_DEGREE * math.cos(math.radians(self.lat)))

    def distance_to(self, point):
        dy = (point[0] - self.lat) * KM_PER_DEGREE
        dx = (point[1] - self.lon) * KM_PER_DEGREE * math.cos(
            math.radians(self.lat))
        return math.hypot(dx, dy)

    def bearing_to(self, point):
        dy = point[0] - self.lat
        dx = (point[1] - self.lon) * math.cos(math.radians(self.lat))
        return math.degrees(math.atan2(dx, dy))

    # The CAN side
    def obey_gateway(self):
        command = self.profile.lock
        while (frame := self.bus.recv(timeout=0)) is not None:
            if command is None:
                continue
            try:
                message = self.profile.database.get_message_by_frame_id(
                    frame.arbitration_id)
                if message.name != command.message:
                    continue
                request = message.decode(bytes(frame.data),
                    decode_choices=False)[command.signal]
            except Exception:
                continue
            if request in {command.lock, command.unlock}:
                self.locked = request == command.lock

    def quantities(self):
        "The platform quantities of the vehicle's state"
        cells = 24
        voltage = cells * (3.2 + 0.95 * self.soc / 100) - self.current * 0.01
        working = self.key_on and self.speed > 0
        return {
            'lat': self.lat, 'lon': self.lon, 'spd': self.speed,
            'hdg': self.heading, 'v': voltage, 'i': self.current,
            'soc': self.soc, 'tmax': self.temperature + 2,
            'tmin': self.temperature - 1.5, 'rpm': self.rpm,
            'mt': self.motor_temperature,
            'ct': self.motor_temperature * 0.8, 'fc': self.fault_code,
            'key': self.key_on, 'chg': self.charging, 'lock': self.locked,
            'odo': self.odometer, 'wh': self.working_hours,
            'lift': self.lift, 'load': self.load, 'tilt': 2.0 * bool(
                self.load),
            'brush': 1000.0 if working else 0.0, 'water': self.water,
            'vac': 15.0 if working else 0.0,
            }

    def known_signals(self, voltage):
        "Unmapped signals of the built-in vehicle's DBC the physics know"
        cells = 24
        return {
            'BMS_Pack.PackPower': voltage * self.current / 1000,
            'BMS_Temperatures.CellTempAvg': self.temperature,
            'BMS_Temperatures.CellVoltageMax': voltage / cells + 0.012,
            'BMS_Temperatures.CellVoltageMin': voltage / cells - 0.009,
            'GPS_Motion.Satellites': 9, 'GPS_Motion.FixValid': 1,
            'Motor_Status.MotorTorque': self.current * 0.4,
            'Vehicle_Status.Gear': 1 if self.speed else 0,
            **{f'BMS_Faults.{name}': (self.bms_faults >> n) & 1
                for n, name in enumerate(BMS_FAULTS)},
            }

    def send_frames(self):
        quantities = self.quantities()
        known = self.known_signals(quantities['v'])
        self.step_count += 1
        for message in self.messages:
            signals = {}
            mapped = self.senders.get(message.name, {})
            for signal in self.carried(message):
                entry = mapped.get(signal.name)
                if entry is not None:
                    value = (float(quantities[entry.quantity])
                        - entry.offset) / entry.factor
                else:
                    value = self.other(message, signal, known)
                signals[signal.name] = _within(signal, value)
            self.bus.send(can.Message(arbitration_id=message.frame_id,
                    is_extended_id=message.is_extended_frame,
                    is_fd=message.is_fd,
                    data=message.encode(signals, strict=False)))

    def carried(self, message):
        """The signals of this step's frame: a multiplexed message sends
        its pages in turn"""
        if not message.is_multiplexed():
            return message.signals
        selector = next(s for s in message.signals if s.is_multiplexer)
        pages = sorted({i for s in message.signals
                if s.multiplexer_signal == selector.name
                for i in s.multiplexer_ids or ()})
        page = pages[self.step_count % len(pages)]
        self.others[f'{message.name}.{selector.name}'] = page
        return [s for s in message.signals if s is selector
            or (s.multiplexer_signal == selector.name
                and page in (s.multiplexer_ids or ()))]

    def other(self, message, signal, known):
        """An unmapped signal: what the physics know of it, else a slow
        walk within its range (flags and enumerations stay put)"""
        name = f'{message.name}.{signal.name}'
        if name in known:
            return known[name]
        low, high = _range(signal)
        value = self.others.get(name)
        if value is None:
            value = low if signal.choices or signal.length <= 2 else (
                self.rng.uniform(low, high))
        elif not (signal.choices or signal.length <= 2 or signal.is_multiplexer):
            value += self.rng.uniform(-0.02, 0.02) * (high - low)
        value = min(max(value, low), high)
        self.others[name] = value
        return value


class SimulatedPhysics(SimulatedVehicle):
    """The physics alone, without a CAN bus: reports written straight from
    quantities() (the demo's history, the benchmarks)"""

    def __init__(self, home, radius, seed, **values):
        super().__init__(None, home, radius, seed, **values)

    def obey_gateway(self):
        pass

    def send_frames(self):
        pass


def _range(signal):
    "The physical range of a signal, from the DBC or else its raw bits"
    if signal.minimum is not None and signal.maximum is not None \
            and signal.minimum < signal.maximum:
        return signal.minimum, signal.maximum
    bits = signal.length
    raw = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signal.is_signed \
        else (0, (1 << bits) - 1)
    return sorted(r * signal.scale + signal.offset for r in raw)


def _within(signal, value):
    low, high = _range(signal)
    return min(max(value, low), high)
