"""Compact telemetry: what a gateway publishes and the listener accepts.

One JSON object per report, short keys, physical units:
``{"ts": 1767225600.25, "ver": 2, "lat": 31.2304, "lon": 121.4737,
"spd": 18.5, "v": 76.8, "i": 42.1, "soc": 63.5, ..., "x": {"BMS_Pack.
PackPower": 3.2}}``.  The keys are the platform's quantities
(mapping.QUANTITIES, plus "bf", the BMS fault flags of the built-in
vehicle); "x" holds every other signal the vehicle's DBC decoded, by
"Message.Signal", so that nothing a vehicle type sends is lost.  FIELDS
is the single table of keys, telemetry columns and accepted ranges (a
vehicle type may narrow them).  "ver" is the schema version (VERSION);
version 1 reports had no "x" and required "v", "i" and "soc".
"""
import json
import math
from collections import namedtuple

from .mapping import BY_KEY

Field = namedtuple('Field', 'key column type low high digits')
# quantity key: (telemetry column, decimals kept in a report)
_COLUMNS = [
    ('lat', 'latitude', 6), ('lon', 'longitude', 6), ('spd', 'speed', 1),
    ('hdg', 'heading', 1), ('v', 'voltage', 1), ('i', 'current', 1),
    ('soc', 'soc', 1), ('tmax', 'battery_temp', 0),
    ('tmin', 'battery_temp_min', 0), ('bf', 'bms_faults', 0),
    ('rpm', 'rpm', 0), ('mt', 'motor_temp', 0), ('ct', 'controller_temp', 0),
    ('fc', 'fault_code', 0), ('key', 'key_on', 0), ('chg', 'charging', 0),
    ('lock', 'drive_locked', 0), ('odo', 'odometer', 1),
    ('wh', 'working_hours', 1), ('lift', 'lift_height', 3),
    ('load', 'load_weight', 0), ('tilt', 'fork_tilt', 1),
    ('brush', 'brush_speed', 0), ('water', 'water_level', 1),
    ('vac', 'vacuum', 1),
    ]
# The BMS fault flags packed into one integer, bit n = BMS_FAULTS[n]
BMS_FAULTS = [
    'OverVoltage', 'UnderVoltage', 'OverCurrent', 'OverTemperature',
    'UnderTemperature', 'CellImbalance', 'InsulationFault',
    'CommunicationLoss']

def _field(key, column, digits):
    if key == 'bf':
        return Field(key, column, int, 0, 2 ** len(BMS_FAULTS) - 1, 0)
    quantity = BY_KEY[key]
    return Field(key, column, quantity.type, quantity.low, quantity.high,
        digits)


FIELDS = [_field(*c) for c in _COLUMNS]
BY_COLUMN = {f.column: f for f in FIELDS}
VERSION = 2  # of the payload schema; a change of meaning gets a new one
VERSIONS = {1, 2}  # what the platform parses
# Without these a version 1 report said nothing about the vehicle
REQUIRED_V1 = {'ts', 'v', 'i', 'soc'}
COLUMNS = [f.column for f in FIELDS]
MAX_PAST = 7 * 24 * 3600  # a gateway's buffer keeps a week at most
MAX_FUTURE = 300  # clock skew tolerated
# The other signals of a report: as many as a large DBC has, short names
MAX_EXTRA, MAX_NAME, MAX_TEXT = 512, 128, 64


class Reject(Exception):
    "A message the platform refuses; reason is a REJECT_REASONS key"

    def __init__(self, reason, detail):
        super().__init__(f'{reason}: {detail}')
        self.reason = reason
        self.detail = detail


REJECT_REASONS = [
    ('malformed', "Malformed payload"),
    ('range', "Value out of range"),
    ('future', "Timestamp in the future"),
    ('past', "Timestamp too old"),
    ('topic', "Bad topic"),
    ('unknown_vehicle', "Unknown vehicle"),
    ('error', "Processing error"),
    ]


def report(timestamp, values, extra):
    """The compact report of the latest mapped values {quantity key:
    value} and other signals {'Message.Signal': value}"""
    payload = {'ts': round(timestamp, 3), 'ver': VERSION}
    for field in FIELDS:
        value = values.get(field.key)
        if value is None:
            continue
        payload[field.key] = round(float(value), field.digits) \
            if field.type is float else int(value)
    if f'BMS_Faults.{BMS_FAULTS[0]}' in extra:
        # the built-in vehicle's BMS reports its faults as flags
        payload['bf'] = sum(1 << n for n, name in enumerate(BMS_FAULTS)
            if extra.get(f'BMS_Faults.{name}'))
    if extra.get('GPS_Motion.FixValid') == 0:
        # the built-in vehicle's GPS keeps its last position without a fix
        for key in ('lat', 'lon', 'spd', 'hdg'):
            payload.pop(key, None)
    if extra:
        payload['x'] = extra
    return json.dumps(payload, separators=(',', ':')).encode()


def parse(payload, now, ranges=None):
    """(timestamp, {column: value}, {'Message.Signal': value} or None) of a
    report, or raise Reject.  ranges {quantity key: (low, high)} narrow
    the accepted values (a vehicle type's).

    Values keep their Python type (float, int, bool); missing keys give
    None."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exception:
        raise Reject('malformed', f'not JSON: {exception}') from None
    if not isinstance(data, dict):
        raise Reject('malformed', 'not a JSON object')
    version = data.get('ver', 1)
    if type(version) is not int or version not in VERSIONS:
        raise Reject('malformed', f'unsupported version {version!r}')
    missing = (REQUIRED_V1 if version == 1 else {'ts'}) - data.keys()
    if missing:
        raise Reject('malformed', f"missing {', '.join(sorted(missing))}")
    timestamp = _number(data, 'ts', float)
    if not math.isfinite(timestamp):
        raise Reject('malformed', 'ts is not finite')
    if timestamp > now + MAX_FUTURE:
        raise Reject('future', f'ts {timestamp} is {timestamp - now:.0f}s ahead')
    if timestamp < now - MAX_PAST:
        raise Reject('past', f'ts {timestamp} is {now - timestamp:.0f}s old')
    values = {}
    for field in FIELDS:
        if data.get(field.key) is None:
            values[field.column] = None
            continue
        value = _number(data, field.key, field.type)
        low, high = ranges.get(field.key, (field.low, field.high)) \
            if ranges else (field.low, field.high)
        if not low <= value <= high:
            raise Reject('range', f'{field.key}={value!r} outside '
                f'[{low}, {high}]')
        values[field.column] = field.type(value)
    return timestamp, values, _extra(data.get('x'))


def _extra(extra):
    "The other signals of a report, checked"
    if extra is None:
        return None
    if not isinstance(extra, dict) or len(extra) > MAX_EXTRA:
        raise Reject('malformed',
            f'x must be an object of at most {MAX_EXTRA} signals')
    for name, value in extra.items():
        if len(name) > MAX_NAME:
            raise Reject('malformed', f'signal name {name[:20]!r}... too long')
        if value is None or isinstance(value, (bool, int)):
            continue
        if isinstance(value, float) and math.isfinite(value):
            continue
        if isinstance(value, str) and len(value) <= MAX_TEXT:
            continue
        raise Reject('malformed', f'x.{name} is not a number or short text')
    return extra or None


def _number(data, key, type_):
    value = data[key]
    kind = type(value)
    if kind is type_ and (kind is not float or math.isfinite(value)):
        return value  # the common case, checked first

    # bool is an int in Python: refuse true/false for numbers, accept 0/1
    # and true/false for flags
    if isinstance(value, bool) and type_ is not bool:
        raise Reject('malformed', f'{key} is not a number')
    if not isinstance(value, (int, float)):
        raise Reject('malformed', f'{key} is not a number')
    if type_ is float and isinstance(value, int):
        value = float(value)
    if type_ is int and isinstance(value, float):
        if not value.is_integer():
            raise Reject('malformed', f'{key} is not an integer')
        value = int(value)
    if not math.isfinite(value):
        raise Reject('malformed', f'{key} is not finite')
    return value
