# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Loading a vehicle type's CAN database (DBC) as its maker ships it.

Makers' DBC files have quirks that cantools refuses in strict mode
(signals overlapping or outside their message, value tables for signals
that do not exist...).  load() tries strict mode first; when only such
non-fatal problems remain it loads leniently and lists each one as a
Problem with its line.  A file that cannot be decoded at all raises
DbcError, whose text is one line naming the line and the reason.
"""
import collections
import dataclasses
import logging
import re

import cantools
import textparser
from cantools.database.errors import DecodeError, Error as CantoolsError
from cantools.database.utils import create_encode_decode_formats, decode_data

CLASSIC_BYTES = 8
FD_BYTES = 64
# Encodings makers' tools write, tried in order (GB18030 for Chinese
# Windows tools, then the Western one; latin-1 decodes anything)
ENCODINGS = ['utf-8-sig', 'gb18030', 'cp1252', 'latin-1']

_BO = re.compile(r'^\s*BO_\s+(\d+)\s+(\w+)', re.M)
_SG = re.compile(r'^\s*SG_\s+(\w+)')
_VAL = re.compile(r'^\s*VAL_\s+(\d+)\s+(\w+)([^;]*);', re.M)
_VAL_TABLE = re.compile(r'^\s*VAL_TABLE_\s+(\w+)', re.M)
_VAL_ITEM = re.compile(r'(-?\d+)\s+"')
# cantools reads a byte order other than 0 as little-endian and drops an
# unterminated statement at the end of the file: check both first
_SG_LAYOUT = re.compile(
    r'^\s*SG_\s+\w+\s*(?:M|m\d+M?)?\s*:\s*\d+\|\d+@[01][+-]\s*\(')
# statements start a line; signals are indented, and so are the keywords
# a CANdb++ file lists in its NS_ block
_STATEMENT = re.compile(
    r'^(?:(VAL_TABLE_|VAL_|CM_|BA_DEF_DEF_|BA_DEF_|BA_|SIG_VALTYPE_|'
    r'BO_TX_BU_|BO_|BU_|NS_|BS_|VERSION|EV_)|[ \t]*(SG_))\b', re.M)
_TERMINATED = {'VAL_TABLE_', 'VAL_', 'CM_', 'BA_DEF_DEF_', 'BA_DEF_', 'BA_',
    'SIG_VALTYPE_', 'BO_TX_BU_'}
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


class _Reported(logging.Filter):
    "Drops cantools' log of duplicates, which load() reports with lines"

    def filter(self, record):
        return not record.getMessage().startswith('Overwriting message')


logging.getLogger('cantools.database.can.database').addFilter(_Reported())


class DbcError(Exception):
    "A DBC that cannot be used; str() is one line with the line number"

    def __init__(self, reason, line=None):
        self.reason = reason
        self.line = line
        super().__init__(
            f'line {line}: {reason}' if line else reason)


@dataclasses.dataclass(frozen=True)
class Problem:
    "A non-fatal defect of a DBC, kept in the lenient load"
    line: int | None
    reason: str

    def __str__(self):
        return f'line {self.line}: {self.reason}' if self.line else self.reason


@dataclasses.dataclass
class Loaded:
    database: cantools.database.can.Database
    # False when cantools' strict mode refuses the file as it is and it
    # was loaded leniently
    strict: bool
    warnings: list

    @property
    def summary(self):
        messages = self.database.messages
        return {
            'messages': len(messages),
            'signals': sum(len(m.signals) for m in messages),
            'extended': sum(1 for m in messages if m.is_extended_frame),
            'fd': sum(1 for m in messages if m.is_fd),
            'multiplexed': sum(1 for m in messages if m.is_multiplexed()),
            }


def load(data):
    "Loaded of the DBC data (bytes or str), or raise DbcError"
    text, warnings = _text(data)
    _check_statements(text)
    index = _Index(text)
    text, dropped = _drop_unknown_value_tables(text, index)
    warnings += dropped
    try:
        database = _parse(text, strict=True)
        # cantools refuses the dropped value tables even leniently
        strict = not dropped
    except CantoolsError:
        # strict mode only refuses the signal layout (overlaps, signals
        # outside their message): _layout() below names each problem
        database = _parse(text, strict=False)
        strict = False
    warnings += _layout(database, index)
    warnings += _duplicates(database, index)
    warnings += _value_tables(database, index, text)
    if not database.messages:
        raise DbcError("no message (BO_) defined")
    warnings.sort(key=lambda p: (p.line or 0))
    return Loaded(database, strict, warnings)


def text(data):
    "The text of DBC data (bytes or str), decoded as load() reads it"
    return _text(data)[0]


def load_file(path):
    with open(path, 'rb') as file:
        return load(file.read())


def _text(data):
    if isinstance(data, str):
        return data, []
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == ENCODINGS[0]:
            return text, []
        return text, [Problem(None, f"not UTF-8, read as {encoding}")]


def _parse(text, strict):
    database = cantools.database.can.Database(strict=strict)
    try:
        database.add_dbc_string(text)
    except textparser.ParseError as error:
        found = error.text[error.offset:].splitlines()[0][:40] \
            if error.offset < len(error.text) else ''
        reason = f"invalid syntax at column {error.column}"
        raise DbcError(
            f"{reason} near '{found}'" if found else
            f"{reason}: unexpected end of file", error.line) from None
    except CantoolsError as error:
        if strict:
            raise
        raise DbcError(f"cannot load even leniently: {error}") from None
    except (ValueError, KeyError, IndexError, TypeError) as error:
        # cantools' loader checks little beyond syntax: what it trips on
        # is a definition it cannot build
        reason = str(error).splitlines()[0] or type(error).__name__
        raise DbcError(f"cannot load: {reason}") from None
    return database


def _check_statements(text):
    starts = list(_STATEMENT.finditer(text))
    for n, match in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(text)
        statement = text[match.start():end]
        line = text.count('\n', 0, match.start()) + 1
        keyword = match.group(1) or match.group(2)
        if keyword == 'SG_' and not _SG_LAYOUT.match(statement):
            raise DbcError("malformed signal: expected 'SG_ name : "
                "start|length@byte order (0 or 1) sign (+ or -) "
                "(factor,offset) [min|max] \"unit\" receivers'", line)
        if keyword in _TERMINATED \
                and ';' not in _QUOTED.sub('', statement):
            raise DbcError(f"{keyword} statement not ended by ';'", line)


class _Index:
    "Line numbers of the DBC's definitions, to name them in problems"

    def __init__(self, text):
        self.messages = {}  # frame id as in the file: first line
        self.repeated = {}  # frame id as in the file: last line
        self.signals = {}  # (frame id, signal): line
        self.values = {}  # (frame id, signal): line of its VAL_
        self.tables = {}  # VAL_TABLE_ name: line
        message = None
        for number, line in enumerate(text.splitlines(), 1):
            if match := _BO.match(line):
                message = int(match.group(1))
                self.messages.setdefault(message, number)
                self.repeated[message] = number
            elif (match := _SG.match(line)) and message is not None:
                self.signals.setdefault((message, match.group(1)), number)
            elif match := _VAL.match(line):
                self.values.setdefault(
                    (int(match.group(1)), match.group(2)), number)
            elif match := _VAL_TABLE.match(line):
                self.tables.setdefault(match.group(1), number)
            elif line.strip() and not line[0].isspace():
                message = None

    def message(self, message):
        return self.messages.get(_file_id(message))

    def signal(self, message, signal):
        return self.signals.get((_file_id(message), signal.name))


def _file_id(message):
    "The frame id as the DBC writes it (bit 31 marks extended ids)"
    if message.is_extended_frame:
        return message.frame_id | 0x80000000
    return message.frame_id


def _drop_unknown_value_tables(text, index):
    """The text without the value tables (VAL_) of signals that do not
    exist: cantools refuses them even leniently, though nothing needs
    them.  Blank lines keep the line numbers."""
    signals = {(m, s) for m, s in index.signals}
    problems = []

    def drop(match):
        key = (int(match.group(1)), match.group(2))
        if key in signals:
            return match.group(0)
        if key[0] not in index.messages:
            reason = f"value table of signal {key[1]} of unknown " \
                f"message id {key[0]} ignored"
        else:
            reason = f"value table of unknown signal {key[1]} " \
                f"of message id {key[0]} ignored"
        problems.append(Problem(text.count('\n', 0, match.start()) + 1,
            reason))
        return '\n' * match.group(0).count('\n')
    return _VAL.sub(drop, text), problems


def signal_bits(signal):
    "The message bits (byte * 8 + bit, bit 0 the LSB) a signal occupies"
    if signal.byte_order == 'little_endian':
        return list(range(signal.start, signal.start + signal.length))
    # Motorola: start is the MSB, bits run down each byte then on to the
    # next byte's bit 7
    bits = []
    position = signal.start
    for _ in range(signal.length):
        bits.append(position)
        position = position + 15 if position % 8 == 0 else position - 1
    return bits


def _layout(database, index):
    "Problems of signals outside their message or overlapping"
    problems = []
    for message in database.messages:
        line = index.message(message)
        largest = FD_BYTES if message.is_fd else CLASSIC_BYTES
        if message.length > largest:
            kind = "CAN FD" if message.is_fd else "classic CAN"
            raise DbcError(f"message {message.name} has {message.length} "
                f"bytes, a {kind} frame at most {largest}", line)
        bits = {}
        needed = message.length
        for signal in message.signals:
            line = index.signal(message, signal)
            bits[signal.name] = occupied = signal_bits(signal)
            last = max(occupied)
            if last >= largest * 8:
                raise DbcError(f"signal {signal.name} (bit {last}) lies "
                    f"beyond the largest frame of {largest} bytes: "
                    "it can never be decoded", line)
            if last >= needed * 8:
                needed = last // 8 + 1
                problems.append(Problem(line, f"signal {signal.name} "
                    f"(bit {last}) lies outside the {message.length}-byte "
                    f"message {message.name}: read from frames of "
                    f"{needed} bytes"))
        if needed > message.length:
            # cantools decodes nothing of a message with a signal beyond
            # its length; with the length its signals need, shorter
            # frames still give the signals they carry (allow_truncated)
            message.length = needed
            message.refresh(strict=False)
        signals = message.signals
        for n, first in enumerate(signals):
            for second in signals[n + 1:]:
                if first.name == second.name or _exclusive(first, second):
                    continue
                common = set(bits[first.name]) & set(bits[second.name])
                if common:
                    problems.append(Problem(
                        index.signal(message, second),
                        f"signals {first.name} and {second.name} overlap "
                        f"in message {message.name} (bits {min(common)}–"
                        f"{max(common)})"))
    return problems


def overlaps(message):
    "Whether signals of the message that appear together share bits"
    seen = []
    for signal in message.signals:
        bits = set(signal_bits(signal))
        for other, other_bits in seen:
            if bits & other_bits and not _exclusive(signal, other):
                return True
        seen.append((signal, bits))
    return False


def decode_each(message, data):
    """The signals of a frame decoded one by one, for a message whose
    overlapping signals cantools cannot decode together; like
    Message.decode(decode_choices=False, allow_truncated=True)"""
    values = {}
    for signal in message.signals:
        formats = create_encode_decode_formats([signal], message.length)
        try:
            values.update(decode_data(bytes(data), message.length,
                [signal], formats, False, True, True, True))
        except DecodeError:
            continue
    # a multiplexed signal is only in the frames of its selector values
    return {name: value for name, value in values.items()
        if _selected(message.get_signal_by_name(name), values)}


def _selected(signal, values):
    if signal.multiplexer_ids is None:
        return True
    return values.get(signal.multiplexer_signal) in signal.multiplexer_ids


def _exclusive(first, second):
    "Whether two signals never appear in the same frame (multiplexing)"
    return (first.multiplexer_signal is not None
        and first.multiplexer_signal == second.multiplexer_signal
        and not set(first.multiplexer_ids or ())
        & set(second.multiplexer_ids or ()))


def _duplicates(database, index):
    problems = []
    by_name = collections.defaultdict(list)
    by_id = collections.defaultdict(list)
    for message in database.messages:
        by_name[message.name].append(message)
        by_id[_file_id(message)].append(message)
        names = collections.Counter(s.name for s in message.signals)
        for name, count in names.items():
            if count > 1:
                problems.append(Problem(index.message(message),
                    f"signal name {name} used {count} times in message "
                    f"{message.name}: their decoded values collide"))
    for name, messages in by_name.items():
        if len(messages) > 1:
            ids = ', '.join(hex(m.frame_id) for m in messages)
            problems.append(Problem(index.message(messages[-1]),
                f"message name {name} used for ids {ids}"))
    for frame_id, messages in by_id.items():
        if len(messages) > 1:
            names = ', '.join(m.name for m in messages)
            problems.append(Problem(index.repeated.get(frame_id),
                f"frame id {hex(messages[0].frame_id)} defined "
                f"{len(messages)} times ({names}): only "
                f"{messages[-1].name} is decoded"))
    return problems


def _value_tables(database, index, text):
    "Problems of value tables: unused, repeated or impossible values"
    problems = []
    used = []
    for message in database.messages:
        for signal in message.signals:
            if not signal.choices:
                continue
            used.append(dict(signal.choices))
            line = index.values.get((_file_id(message), signal.name))
            low, high = _raw_range(signal)
            outside = sorted(v for v in signal.choices
                if not low <= v <= high)
            if outside:
                problems.append(Problem(line, f"value table of signal "
                    f"{signal.name}: {', '.join(map(str, outside))} "
                    f"outside its raw range {low}..{high}"))
    for match in _VAL.finditer(text):
        values = collections.Counter(
            int(v) for v in _VAL_ITEM.findall(match.group(3)))
        twice = sorted(v for v, count in values.items() if count > 1)
        if twice:
            problems.append(Problem(text.count('\n', 0, match.start()) + 1,
                f"value table of signal {match.group(2)} names "
                f"{', '.join(map(str, twice))} more than once: the last "
                "name is kept"))
    tables = getattr(database.dbc, 'value_tables', None) or {}
    for name, table in tables.items():
        if dict(table) not in used:
            problems.append(Problem(index.tables.get(name),
                f"value table {name} is used by no signal"))
    return problems


def _raw_range(signal):
    if signal.is_float:
        return float('-inf'), float('inf')
    if signal.is_signed:
        return -(1 << (signal.length - 1)), (1 << (signal.length - 1)) - 1
    return 0, (1 << signal.length) - 1
