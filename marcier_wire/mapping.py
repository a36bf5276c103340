# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The map from a vehicle type's CAN signals to the platform's quantities.

QUANTITIES is the platform's side: each quantity has a unit and a valid
range.  propose() reads a CAN database's signal names, units and comments
(English, common abbreviations, Chinese) and proposes for each quantity
the signal that carries it, with the factor that converts the signal's
unit to the quantity's and a confidence.  A Mapping (what the operator
confirmed) is stored as JSON on the vehicle type and sent to gateways;
Decoder turns a frame into mapped values, keeping every other decoded
signal in extra so that nothing a type sends is lost.
"""
import dataclasses
import json
import math
import re

from . import dbc

VERSION = 1


@dataclasses.dataclass(frozen=True)
class Quantity:
    key: str  # the short key of telemetry reports
    name: str
    unit: str
    low: float
    high: float
    type: type = float
    # Each alternative is a set of words that must all be found in the
    # signal's name, its message's name or its comment
    words: tuple = ()
    # Chinese terms, found as substrings of names and comments
    chinese: tuple = ()
    # Words that say the signal is something else (a limit, a command,
    # another part's temperature...)
    against: frozenset = frozenset()
    # Words that confirm the signal (the battery for cell temperatures)
    context: frozenset = frozenset()


def _q(key, name, unit, low, high, type_=float, words=(), chinese=(),
        against=(), context=()):
    return Quantity(key, name, unit, low, high, type_,
        tuple(frozenset(w.split()) for w in words), tuple(chinese),
        frozenset(against), frozenset(context))


_LIMITS = ['limit', 'lim', 'req', 'request', 'cmd', 'command', 'set',
    'target', 'allowed', 'allow']
_BATTERY = ['cell', 'bat', 'batt', 'battery', 'bms', 'pack']
QUANTITIES = [
    _q('lat', "Latitude", 'deg', -90, 90,
        words=['lat', 'latitude', 'gps lat'], chinese=['纬度']),
    _q('lon', "Longitude", 'deg', -180, 180,
        words=['lon', 'lng', 'long', 'longitude'], chinese=['经度']),
    _q('spd', "Speed", 'km/h', 0, 300,
        words=['speed', 'spd', 'velocity', 'vehicle speed', 'veh spd'],
        chinese=['车速', '行驶速度', '速度'],
        against=['motor', 'brush', 'fan', 'pump', 'wheel', 'rpm', 'mot',
            'engine'] + _LIMITS),
    _q('hdg', "Heading", 'deg', 0, 360,
        words=['heading', 'hdg', 'course', 'direction', 'bearing'],
        chinese=['航向', '方向角']),
    _q('soc', "State of charge", '%', 0, 100,
        words=['soc', 'state of charge'], chinese=['荷电状态', '剩余电量', '电量'],
        against=_LIMITS),
    _q('v', "Pack voltage", 'V', 0, 1000,
        words=['pack voltage', 'pack volt', 'battery voltage', 'bat volt',
            'batt volt', 'total voltage', 'bus voltage', 'voltage', 'volt',
            'pack u', 'hv volt'],
        chinese=['总电压', '电池电压', '电压'],
        against=['cell', 'max', 'min', 'charger', 'motor', 'phase']
            + _LIMITS,
        context=_BATTERY),
    _q('i', "Pack current", 'A', -1000, 1000,
        words=['pack current', 'pack curr', 'battery current', 'bat curr',
            'batt curr', 'current', 'curr', 'pack i'],
        chinese=['总电流', '电池电流', '电流'],
        against=['cell', 'max', 'min', 'charger', 'motor', 'phase', 'brush',
            'pump'] + _LIMITS,
        context=_BATTERY),
    _q('tmax', "Battery temperature (max)", 'degC', -40, 150,
        words=['temp max', 'temperature max', 'tmax', 'temp high',
            'max temp', 'cell temp max', 'bat temp max'],
        chinese=['最高温度', '最高温'],
        against=['motor', 'controller', 'mcu', 'inverter', 'ctrl'],
        context=_BATTERY),
    _q('tmin', "Battery temperature (min)", 'degC', -40, 150,
        words=['temp min', 'temperature min', 'tmin', 'temp low',
            'min temp', 'cell temp min', 'bat temp min'],
        chinese=['最低温度', '最低温'],
        against=['motor', 'controller', 'mcu', 'inverter', 'ctrl'],
        context=_BATTERY),
    _q('mt', "Motor temperature", 'degC', -40, 200,
        words=['motor temp', 'motor temperature', 'mot temp', 'mtr temp',
            'motor t'],
        chinese=['电机温度'],
        against=['max', 'min', 'controller', 'ctrl', 'mcu', 'inverter']),
    _q('ct', "Controller temperature", 'degC', -40, 200,
        words=['controller temp', 'controller temperature', 'ctrl temp',
            'mcu temp', 'inverter temp', 'ctl temp', 'heatsink temp'],
        chinese=['控制器温度', '控制器'],
        against=['max', 'min']),
    _q('fc', "Fault code", '', 0, 65535, int,
        words=['fault code', 'fault', 'error code', 'err code', 'dtc',
            'error', 'err', 'fault num'],
        chinese=['故障码', '故障代码', '故障'],
        against=['over', 'under', 'flag', 'count', 'cnt', 'lamp']),
    _q('odo', "Odometer", 'km', 0, 9999999,
        words=['odometer', 'odo', 'mileage', 'total distance',
            'total mileage', 'total km'],
        chinese=['总里程', '里程']),
    _q('wh', "Working hours", 'h', 0, 999999,
        words=['working hours', 'work hours', 'hour meter', 'hourmeter',
            'operating hours', 'run time', 'work time', 'hours', 'wh',
            'runtime'],
        chinese=['累计工时', '工作时间', '工作小时', '工时', '小时计']),
    _q('key', "Key on", '', 0, 1, bool,
        words=['key on', 'keyon', 'key', 'ignition', 'ign', 'kl15'],
        chinese=['钥匙', '点火']),
    _q('chg', "Charging", '', 0, 1, bool,
        words=['charging', 'chg', 'charger connected', 'charge active',
            'charge on', 'chrg'],
        chinese=['充电中', '充电状态', '正在充电'],
        against=['soc', 'state', 'current', 'voltage', 'limit']),
    _q('lock', "Drive locked", '', 0, 1, bool,
        words=['drive locked', 'drive lock', 'locked', 'lock', 'immobilized',
            'immobilised'],
        chinese=['锁车', '锁止', '锁定'],
        against=_LIMITS),
    _q('rpm', "Motor speed", 'rpm', -15000, 15000, int,
        words=['motor rpm', 'motor speed', 'mot spd', 'motor spd', 'rpm',
            'mtr spd'],
        chinese=['电机转速'],
        against=['brush', 'fan', 'pump', 'vacuum'] + _LIMITS),
    _q('lift', "Lift height", 'm', 0, 20,
        words=['lift height', 'fork height', 'lift pos', 'mast height',
            'lift position', 'height'],
        chinese=['举升高度', '货叉高度', '起升高度']),
    _q('load', "Load", 'kg', 0, 50000,
        words=['load weight', 'load', 'weight', 'payload', 'cargo weight'],
        chinese=['载重', '负载', '重量', '载荷'],
        against=['motor', 'limit', 'max']),
    _q('tilt', "Fork tilt", 'deg', -30, 30,
        words=['tilt', 'fork tilt', 'tilt angle', 'mast tilt'],
        chinese=['倾角', '倾斜']),
    _q('brush', "Brush speed", 'rpm', 0, 3000,
        words=['brush speed', 'brush rpm', 'brush spd', 'brush'],
        chinese=['滚刷转速', '边刷转速', '刷盘转速', '滚刷', '刷']),
    _q('water', "Water tank level", '%', 0, 100,
        words=['water level', 'water tank', 'clean water', 'tank level',
            'water'],
        chinese=['清水箱', '水箱', '水位'],
        against=['dirty', 'waste', 'recovery', 'temp']),
    _q('vac', "Vacuum", 'kPa', 0, 100,
        words=['vacuum', 'suction', 'vac'],
        chinese=['真空度', '吸力', '真空']),
    ]
BY_KEY = {q.key: q for q in QUANTITIES}

# unit spelling: (platform unit, factor, offset) with
# platform value = signal value * factor + offset
UNITS = {
    'deg': ('deg', 1, 0), '°': ('deg', 1, 0), 'degree': ('deg', 1, 0),
    'degrees': ('deg', 1, 0), '度': ('deg', 1, 0),
    'km/h': ('km/h', 1, 0), 'kph': ('km/h', 1, 0), 'kmh': ('km/h', 1, 0),
    'm/s': ('km/h', 3.6, 0), 'mph': ('km/h', 1.609344, 0),
    '%': ('%', 1, 0), 'pct': ('%', 1, 0), 'percent': ('%', 1, 0),
    '‰': ('%', 0.1, 0),
    'v': ('V', 1, 0), 'mv': ('V', 0.001, 0), 'kv': ('V', 1000, 0),
    'a': ('A', 1, 0), 'ma': ('A', 0.001, 0),
    'degc': ('degC', 1, 0), '°c': ('degC', 1, 0), '℃': ('degC', 1, 0),
    'c': ('degC', 1, 0), 'deg c': ('degC', 1, 0), 'celsius': ('degC', 1, 0),
    'k': ('degC', 1, -273.15), 'degf': ('degC', 5 / 9, -160 / 9),
    '°f': ('degC', 5 / 9, -160 / 9),
    'km': ('km', 1, 0), 'm': ('m', 1, 0), 'mm': ('m', 0.001, 0),
    'cm': ('m', 0.01, 0), 'mi': ('km', 1.609344, 0),
    'h': ('h', 1, 0), 'hr': ('h', 1, 0), 'hrs': ('h', 1, 0),
    'hour': ('h', 1, 0), 'hours': ('h', 1, 0), 'min': ('h', 1 / 60, 0),
    's': ('h', 1 / 3600, 0),
    'rpm': ('rpm', 1, 0), 'r/min': ('rpm', 1, 0), '1/min': ('rpm', 1, 0),
    'kg': ('kg', 1, 0), 't': ('kg', 1000, 0), 'g': ('kg', 0.001, 0),
    'kpa': ('kPa', 1, 0), 'pa': ('kPa', 0.001, 0), 'mbar': ('kPa', 0.1, 0),
    'bar': ('kPa', 100, 0), 'hpa': ('kPa', 0.1, 0),
    }
# Units with a special meaning per quantity: 'm' is a distance for the
# odometer (km) but a height for the lift (m)
_DISTANCE = {'m': ('km', 0.001, 0), 'mm': ('km', 1e-6, 0)}
THRESHOLD = 0.5  # below this confidence nothing is proposed

_CAMEL = re.compile(r'[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+')
# a unit written in a comment: "单位：0.1V", "unit: mm", "[0.1 km/h]"
_COMMENT_UNIT = re.compile(
    r'(?:单位|\bunits?\b|\bin\b)\s*[:：]?\s*'
    r'((?:\d+(?:\.\d+)?)?\s*[^\s,，;；。)）\]]+)'
    r'|[\[(（]\s*(\d*(?:\.\d+)?\s*[^\s\]）)]+)\s*[\])）]', re.I)


def words(text):
    """Lower-case words of an identifier or a sentence (CamelCase, _, -);
    the parts between separators count too ('SoC' is 'soc')"""
    text = text or ''
    parts = {p.lower() for p in re.split(r'[\W_]+', text) if p}
    return parts | {w.lower() for w in _CAMEL.findall(text)}


def parse_unit(unit):
    """(platform unit, factor, offset) of a unit spelling such as 'km/h',
    '0.1V' or '℃', or None when unknown"""
    if not unit:
        return None
    unit = unit.strip()
    match = re.match(r'^(\d+(?:\.\d+)?)\s*(.+)$', unit)
    multiplier = 1.0
    if match and match.group(2).strip() not in {'/min'}:
        multiplier = float(match.group(1))
        unit = match.group(2)
    known = UNITS.get(unit.strip().lower())
    if known is None:
        return None
    base, factor, offset = known
    return base, factor * multiplier, offset


def signal_unit(signal):
    "The unit of a signal, from its unit field or else its comment"
    if signal.unit and signal.unit.strip():
        return signal.unit.strip()
    for comment in _comments(signal):
        for match in _COMMENT_UNIT.finditer(comment):
            spelled = (match.group(1) or match.group(2)).strip()
            if parse_unit(spelled):
                return spelled
    return ''


def _comments(signal):
    comments = getattr(signal, 'comments', None) or {}
    return [c for c in comments.values() if c] or (
        [signal.comment] if signal.comment else [])


def _conversion(quantity, unit):
    """(factor, offset) from the unit to the quantity's, None when the
    unit measures something else, () when the unit is not known"""
    if quantity.key == 'odo' and unit.strip().lower() in _DISTANCE:
        return _DISTANCE[unit.strip().lower()][1:]
    parsed = parse_unit(unit)
    if parsed is None:
        return () if unit else (1.0, 0.0) if not quantity.unit else ()
    base, factor, offset = parsed
    if base != quantity.unit:
        return None
    return factor, offset


def score(quantity, message, signal):
    """(confidence 0..1, factor, offset) of the signal carrying the
    quantity, or None"""
    if signal.choices and quantity.type is float:
        return None  # an enumeration, not a measure
    name = words(signal.name)
    context = words(message.name)
    comments = _comments(signal)
    comment = set().union(*(words(c) for c in comments)) if comments \
        else set()
    every = name | context | comment
    quality = 0.0
    for alternative in quantity.words:
        if not alternative <= every:
            continue
        # a word weighs most in the signal's name
        weight = sum(1.0 if w in name else 0.8 if w in comment else 0.6
            for w in alternative) / len(alternative)
        # longer alternatives are more specific
        quality = max(quality, weight * (0.8 + 0.05 * len(alternative)))
    texts = [signal.name] + comments
    for n, term in enumerate(quantity.chinese):
        if any(term in t for t in texts):
            # earlier terms are the more specific ones
            quality = max(quality, 0.95 - 0.05 * n)
            break
    if not quality:
        return None
    if quantity.against & (name | context if quantity.context else name):
        quality -= 0.4
    if quantity.context & (name | context):
        quality += 0.1
    unit = signal_unit(signal)
    conversion = _conversion(quantity, unit)
    if conversion is None:
        return None
    if conversion == ():
        # an unknown unit, or none where the quantity has one
        quality -= 0.15 if unit else 0.05
        conversion = (1.0, 0.0)
    elif unit and quantity.unit:
        quality += 0.15
    if quantity.type is bool:
        quality += 0.1 if signal.length <= 2 else -0.3
    elif signal.length == 1:
        quality -= 0.3
    confidence = round(max(0.0, min(1.0, quality * 0.85)), 2)
    return confidence, conversion[0], conversion[1]


@dataclasses.dataclass
class Entry:
    "One quantity carried by one signal"
    quantity: str
    message: str
    signal: str
    factor: float = 1.0
    offset: float = 0.0
    confidence: float | None = None  # of the proposal; None if by hand

    def convert(self, value):
        return value * self.factor + self.offset


def propose(database, threshold=THRESHOLD):
    """Mapping of the database's signals most likely to carry each
    quantity; each signal carries one quantity at most"""
    candidates = []
    for message in database.messages:
        for signal in message.signals:
            if signal.is_multiplexer:
                continue
            for quantity in QUANTITIES:
                found = score(quantity, message, signal)
                if found and found[0] >= threshold:
                    candidates.append(
                        (found[0], quantity.key, message.name, signal.name,
                            found[1], found[2]))
    # best first; on a tie, the quantity listed first
    order = {q.key: n for n, q in enumerate(QUANTITIES)}
    candidates.sort(key=lambda c: (-c[0], order[c[1]]))
    entries = {}
    taken = set()
    for confidence, key, message, signal, factor, offset in candidates:
        if key in entries or (message, signal) in taken:
            continue
        entries[key] = Entry(key, message, signal, _clean(factor),
            _clean(offset), confidence)
        taken.add((message, signal))
    return Mapping([entries[q.key] for q in QUANTITIES if q.key in entries])


def _clean(number):
    "A factor without float noise (0.1 * 1e-3 -> 0.0001, 1/60 kept)"
    short = float(f'{number:.12g}')
    return short if abs(short - number) <= 1e-15 * abs(number) else number


class Mapping:
    """What the operator confirmed: entries and the valid ranges, which
    default to the quantities'"""

    def __init__(self, entries=(), ranges=None):
        self.entries = {e.quantity: e for e in entries}
        unknown = set(self.entries) - BY_KEY.keys()
        if unknown:
            raise ValueError(
                f"unknown quantities: {', '.join(sorted(unknown))}")
        self.ranges = {k: (q.low, q.high) for k, q in BY_KEY.items()}
        self.ranges.update({k: tuple(v) for k, v in (ranges or {}).items()})

    def __eq__(self, other):
        return isinstance(other, Mapping) and (
            self.to_dict() == other.to_dict())

    def __repr__(self):
        return f'Mapping({list(self.entries.values())!r})'

    def to_dict(self):
        defaults = {k: (q.low, q.high) for k, q in BY_KEY.items()}
        return {
            'version': VERSION,
            'entries': [dataclasses.asdict(e) for e in self.entries.values()],
            'ranges': {k: list(v) for k, v in self.ranges.items()
                if v != defaults.get(k)},
            }

    def to_json(self):
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data):
        if data.get('version') != VERSION:
            raise ValueError(
                f"mapping version {data.get('version')!r} is not {VERSION}")
        return cls([Entry(**e) for e in data['entries']],
            data.get('ranges'))

    @classmethod
    def from_json(cls, text):
        return cls.from_dict(json.loads(text))

    def check(self, database):
        """Problems of entries naming what the database does not define,
        and of ranges"""
        problems = [f"{key}: low above high" for key, (low, high)
            in self.ranges.items() if low > high]
        for entry in self.entries.values():
            if not (math.isfinite(entry.factor)
                    and math.isfinite(entry.offset) and entry.factor):
                problems.append(f"{entry.quantity}: factor and offset "
                    "must be finite, the factor not 0")
            try:
                message = database.get_message_by_name(entry.message)
            except KeyError:
                problems.append(f"{entry.quantity}: no message "
                    f"{entry.message}")
                continue
            if entry.signal not in {s.name for s in message.signals}:
                problems.append(f"{entry.quantity}: no signal "
                    f"{entry.signal} in message {entry.message}")
        return problems


@dataclasses.dataclass
class Decoded:
    message: str
    values: dict  # quantity key: value in the quantity's unit and type
    extra: dict  # 'Message.Signal': raw physical value of other signals
    out_of_range: dict  # quantity key: value refused by the valid range


class UnknownFrame(Exception):
    "A frame whose identifier the database does not define"


class Decoder:
    "Decodes frames of one vehicle type"

    def __init__(self, database, mapping):
        self.database = database
        self.mapping = mapping
        # cantools decodes no signal of a message whose signals overlap
        self._overlapping = {m.name for m in database.messages
            if dbc.overlaps(m)}
        self._signals = {}  # message name: {signal: entry}
        for entry in mapping.entries.values():
            self._signals.setdefault(entry.message, {})[entry.signal] = entry

    def message(self, frame_id, extended=None):
        try:
            return self.database.get_message_by_frame_id(
                frame_id, force_extended_id=bool(extended))
        except KeyError:
            raise UnknownFrame(hex(frame_id)) from None

    def decode(self, frame_id, data, extended=None):
        """Decoded of a frame; raises UnknownFrame, or cantools'
        DecodeError on a frame that carries none of its signals"""
        message = self.message(frame_id, extended)
        # a short frame still gives the signals it carries
        if message.name in self._overlapping:
            signals = dbc.decode_each(message, data)
        else:
            signals = message.decode(bytes(data), decode_choices=False,
                allow_truncated=True)
        mapped = self._signals.get(message.name, {})
        values, extra, refused = {}, {}, {}
        for name, value in signals.items():
            entry = mapped.get(name)
            if entry is None:
                extra[f'{message.name}.{name}'] = _plain(value)
                continue
            quantity = BY_KEY[entry.quantity]
            value = _typed(quantity, entry.convert(value))
            low, high = self.mapping.ranges[entry.quantity]
            if (value is None or not low <= value <= high):
                refused[entry.quantity] = value
            else:
                values[entry.quantity] = value
        return Decoded(message.name, values, extra, refused)

    def decode_frame(self, frame):
        "Decoded of a python-can Message"
        return self.decode(frame.arbitration_id, frame.data,
            frame.is_extended_id)


def _typed(quantity, value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if quantity.type is bool:
        return bool(value)
    if quantity.type is int:
        return int(round(value))
    return round(float(value), 6)


def _plain(value):
    "A JSON value of a decoded signal"
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, (int, str)):
        return value
    return float(value)
