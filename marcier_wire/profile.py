"""A vehicle type as its gateways need it: the CAN database, the map of its
signals to the platform's quantities, the report interval and how to ask
the controller for a drive lock.

The platform writes it into a gateway's configuration and publishes it,
retained, on the gateway's config topic, so that a running gateway takes
a type's new map without a visit.  digest names a version: a gateway
ignores a profile it already runs.
"""
import dataclasses
import functools
import hashlib
import json

from . import data_file, dbc
from .mapping import Decoder, Entry, Mapping

VERSION = 1
# The vehicle the platform was first built for: its DBC ships with the
# package and its signals carry these quantities
BUILTIN_CODE = 'marcier-ev'
BUILTIN_DBC = 'marcier_vehicle.dbc'
BUILTIN_MAP = {
    'lat': ('GPS_Position', 'Latitude'),
    'lon': ('GPS_Position', 'Longitude'),
    'spd': ('GPS_Motion', 'Speed'), 'hdg': ('GPS_Motion', 'Heading'),
    'v': ('BMS_Pack', 'PackVoltage'), 'i': ('BMS_Pack', 'PackCurrent'),
    'soc': ('BMS_Pack', 'SoC'),
    'tmax': ('BMS_Temperatures', 'CellTempMax'),
    'tmin': ('BMS_Temperatures', 'CellTempMin'),
    'rpm': ('Motor_Status', 'MotorRpm'), 'mt': ('Motor_Status', 'MotorTemp'),
    'ct': ('Motor_Status', 'ControllerTemp'),
    'fc': ('Motor_Status', 'FaultCode'),
    'key': ('Vehicle_Status', 'KeyOn'), 'chg': ('Vehicle_Status', 'Charging'),
    'lock': ('Vehicle_Status', 'DriveLocked'),
    'odo': ('Vehicle_Status', 'Odometer'),
    'wh': ('Vehicle_Status', 'WorkingHours'),
    }


class ProfileError(ValueError):
    "A profile that cannot be used; str() says why in one line"


@dataclasses.dataclass(frozen=True)
class LockCommand:
    "The frame that asks the controller to lock or unlock the drive"
    message: str
    signal: str
    lock: float = 1
    unlock: float = 2


@dataclasses.dataclass(frozen=True)
class Profile:
    code: str  # the vehicle type's code
    dbc: str  # the DBC file's text
    mapping: Mapping = dataclasses.field(compare=False)
    interval: float = 5.0
    lock: LockCommand | None = None

    @functools.cached_property
    def database(self):
        return dbc.load(self.dbc).database

    def decoder(self):
        return Decoder(self.database, self.mapping)

    def check(self):
        "Raise ProfileError unless gateways can run it"
        try:
            problems = self.mapping.check(self.database)
        except dbc.DbcError as error:
            raise ProfileError(f"{self.code}: {error}") from None
        if self.lock:
            try:
                message = self.database.get_message_by_name(
                    self.lock.message)
                message.get_signal_by_name(self.lock.signal)
            except KeyError:
                problems.append(f"no lock signal {self.lock.message}."
                    f"{self.lock.signal}")
        if not 1 <= self.interval <= 3600:
            problems.append(f"interval {self.interval} outside 1-3600 s")
        if problems:
            raise ProfileError(f"{self.code}: {'; '.join(problems)}")
        return self

    def to_dict(self):
        return {
            'version': VERSION, 'code': self.code, 'dbc': self.dbc,
            'mapping': self.mapping.to_dict(), 'interval': self.interval,
            'lock': dataclasses.asdict(self.lock) if self.lock else None,
            }

    def to_json(self):
        return json.dumps(self.to_dict(), ensure_ascii=False,
            sort_keys=True).encode()

    @functools.cached_property
    def digest(self):
        return hashlib.sha256(self.to_json()).hexdigest()[:16]

    @classmethod
    def from_json(cls, data):
        """The profile of JSON bytes or text; raises ProfileError.  The
        gateways of a fleet share the profile of a same payload (one DBC
        parsed, not one per gateway)"""
        if isinstance(data, str):
            data = data.encode()
        return _from_json(cls, bytes(data))

    @classmethod
    def _parse(cls, data):
        try:
            values = json.loads(data)
            if values.get('version') != VERSION:
                raise ValueError(f"version {values.get('version')!r} is "
                    f"not {VERSION}")
            lock = values.get('lock')
            return cls(str(values['code']), values['dbc'],
                Mapping.from_dict(values['mapping']),
                float(values['interval']),
                LockCommand(**lock) if lock else None).check()
        except ProfileError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise ProfileError(
                f"not a vehicle profile: {error!r}"[:300]) from None


@functools.lru_cache(maxsize=16)
def _from_json(cls, data):
    return cls._parse(data)


@functools.cache
def builtin(interval=5.0):
    "The profile of the vehicle whose DBC ships with the package"
    text = data_file(BUILTIN_DBC).read_text(encoding='utf-8')
    entries = [Entry(key, message, signal)
        for key, (message, signal) in BUILTIN_MAP.items()]
    return Profile(BUILTIN_CODE, text, Mapping(entries), interval,
        LockCommand('GW_Command', 'DriveLockRequest', 1, 2))
