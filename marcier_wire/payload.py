"""Compact telemetry: what a gateway publishes and the listener accepts.

One JSON object per report, short keys, physical units:
``{"ts": 1767225600.25, "ver": 1, "lat": 31.2304, "lon": 121.4737,
"spd": 18.5, "hdg": 270.0, "v": 76.8, "i": 42.1, "soc": 63.5, "tmax": 31,
"tmin": 28, "bf": 0, "rpm": 2210, "mt": 54, "ct": 47, "fc": 0, "key": 1,
"chg": 0, "lock": 0, "odo": 8421.3, "wh": 912.4}``.  FIELDS is the single
table of keys, table columns, CAN signals and accepted ranges.  "ver" is
the schema version (VERSION); reports without it are version 1, as
gateways sent them before it existed.
"""
import json
import math
from collections import namedtuple

Field = namedtuple(
    'Field', 'key column type low high message signal digits')

FIELDS = [
    Field('lat', 'latitude', float, -90, 90, 'GPS_Position', 'Latitude', 6),
    Field('lon', 'longitude', float, -180, 180,
        'GPS_Position', 'Longitude', 6),
    Field('spd', 'speed', float, 0, 300, 'GPS_Motion', 'Speed', 1),
    Field('hdg', 'heading', float, 0, 360, 'GPS_Motion', 'Heading', 1),
    Field('v', 'voltage', float, 0, 1000, 'BMS_Pack', 'PackVoltage', 1),
    Field('i', 'current', float, -1000, 1000, 'BMS_Pack', 'PackCurrent', 1),
    Field('soc', 'soc', float, 0, 100, 'BMS_Pack', 'SoC', 1),
    Field('tmax', 'battery_temp', float, -40, 150,
        'BMS_Temperatures', 'CellTempMax', 0),
    Field('tmin', 'battery_temp_min', float, -40, 150,
        'BMS_Temperatures', 'CellTempMin', 0),
    # The BMS fault flags packed into one integer, bit n = BMS_FAULTS[n]
    Field('bf', 'bms_faults', int, 0, 255, 'BMS_Faults', None, 0),
    Field('rpm', 'rpm', int, -15000, 15000, 'Motor_Status', 'MotorRpm', 0),
    Field('mt', 'motor_temp', float, -40, 200,
        'Motor_Status', 'MotorTemp', 0),
    Field('ct', 'controller_temp', float, -40, 200,
        'Motor_Status', 'ControllerTemp', 0),
    Field('fc', 'fault_code', int, 0, 65535, 'Motor_Status', 'FaultCode', 0),
    Field('key', 'key_on', bool, 0, 1, 'Vehicle_Status', 'KeyOn', 0),
    Field('chg', 'charging', bool, 0, 1, 'Vehicle_Status', 'Charging', 0),
    Field('lock', 'drive_locked', bool, 0, 1,
        'Vehicle_Status', 'DriveLocked', 0),
    Field('odo', 'odometer', float, 0, 9999999,
        'Vehicle_Status', 'Odometer', 1),
    Field('wh', 'working_hours', float, 0, 999999,
        'Vehicle_Status', 'WorkingHours', 1),
    ]
BMS_FAULTS = [
    'OverVoltage', 'UnderVoltage', 'OverCurrent', 'OverTemperature',
    'UnderTemperature', 'CellImbalance', 'InsulationFault',
    'CommunicationLoss']
VERSION = 1  # of the payload schema; a change of meaning gets a new one
VERSIONS = {1}  # what the platform parses
# Without these a report says nothing about the vehicle
REQUIRED = {'ts', 'v', 'i', 'soc'}
COLUMNS = [f.column for f in FIELDS]
MAX_PAST = 7 * 24 * 3600  # a gateway's buffer keeps a week at most
MAX_FUTURE = 300  # clock skew tolerated


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


def report(timestamp, frames):
    """The compact report of the latest decoded signals,
    frames = {message name: {signal: value}}"""
    payload = {'ts': round(timestamp, 3), 'ver': VERSION}
    for field in FIELDS:
        signals = frames.get(field.message)
        if signals is None:
            continue
        if field.signal is None:
            value = sum(
                1 << n for n, name in enumerate(BMS_FAULTS)
                if signals.get(name))
        else:
            value = signals[field.signal]
        if field.type is float:
            value = round(float(value), field.digits)
        else:
            value = int(value)
        payload[field.key] = value
    if not frames.get('GPS_Motion', {}).get('FixValid', 1):
        for key in ('lat', 'lon', 'spd', 'hdg'):
            payload.pop(key, None)
    return json.dumps(payload, separators=(',', ':')).encode()


def parse(payload, now):
    """(timestamp, {column: value}) of a report, or raise Reject.

    Values keep their Python type (float, int, bool); missing optional
    keys give None."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exception:
        raise Reject('malformed', f'not JSON: {exception}') from None
    if not isinstance(data, dict):
        raise Reject('malformed', 'not a JSON object')
    version = data.get('ver', 1)
    if type(version) is not int or version not in VERSIONS:
        raise Reject('malformed', f'unsupported version {version!r}')
    missing = REQUIRED - data.keys()
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
        if not field.low <= value <= field.high:
            raise Reject('range', f'{field.key}={value!r} outside '
                f'[{field.low}, {field.high}]')
        values[field.column] = field.type(value)
    return timestamp, values


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
