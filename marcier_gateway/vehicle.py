"""A simulated electric utility vehicle on a CAN bus: it drives between
random stops around its home city, drains its battery while driving,
charges at home, heats up under load, throws an occasional controller or
battery fault, now and then strays outside its service area, and obeys the
gateway's drive-lock requests.  It sends the DBC's frames every step."""
import math
import random

from marcier_wire import frames as dbc
from marcier_wire.payload import BMS_FAULTS

KM_PER_DEGREE = 111.32
DRAIN_PER_KM = 0.9  # % of charge per km
CHARGE_PER_MINUTE = 1.5  # % per minute on the charger
FAULT_CODES = [4097, 4099, 8193, 12289, 16385]


class SimulatedVehicle:

    def __init__(self, bus, home, radius, seed, soc=80.0, odometer=0.0,
            working_hours=0.0):
        self.bus = bus
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
        self.target = None
        self.parked_left = rng.uniform(0, 120)

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
        if distance - travelled < 0.02:
            self.arrive()

    def arrive(self):
        at_home = self.target == self.home
        self.target = None
        self.speed = self.rpm = 0.0
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
        while (frame := self.bus.recv(timeout=0)) is not None:
            try:
                name, signals = dbc.decode(frame)
            except Exception:
                continue
            if name == 'GW_Command':
                request = signals['DriveLockRequest']
                if request:
                    self.locked = request == 1

    def send_frames(self):
        cells = 24
        voltage = cells * (3.2 + 0.95 * self.soc / 100) - self.current * 0.01
        for name, signals in [
                ('BMS_Pack', {'PackVoltage': voltage,
                        'PackCurrent': self.current, 'SoC': self.soc,
                        'PackPower': voltage * self.current / 1000}),
                ('BMS_Temperatures', {
                        'CellTempMax': self.temperature + 2,
                        'CellTempMin': self.temperature - 1.5,
                        'CellTempAvg': self.temperature,
                        'CellVoltageMax': voltage / cells + 0.012,
                        'CellVoltageMin': voltage / cells - 0.009}),
                ('BMS_Faults', {name: (self.bms_faults >> n) & 1
                        for n, name in enumerate(BMS_FAULTS)}),
                ('GPS_Position', {
                        'Latitude': self.lat, 'Longitude': self.lon}),
                ('GPS_Motion', {'Speed': self.speed, 'Heading': self.heading,
                        'Satellites': 9, 'FixValid': 1}),
                ('Motor_Status', {'MotorRpm': self.rpm,
                        'MotorTemp': self.motor_temperature,
                        'ControllerTemp': self.motor_temperature * 0.8,
                        'FaultCode': self.fault_code,
                        'MotorTorque': self.current * 0.4}),
                ('Vehicle_Status', {'KeyOn': self.key_on,
                        'Charging': self.charging,
                        'DriveLocked': self.locked,
                        'Gear': 1 if self.speed else 0,
                        'Odometer': self.odometer,
                        'WorkingHours': self.working_hours}),
                ]:
            self.bus.send(dbc.encode(name, signals))

