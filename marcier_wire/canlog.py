# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Reading a vehicle's CAN log to try a vehicle type's map on real frames.

The three formats a maker's engineer has at hand: candump's log
(``candump -L``: ``(1767225600.000000) can0 18FF1021#0102...``), Vector
ASC and Vector BLF, read by python-can's readers from memory.
"""
import collections
import dataclasses
import io
import re

import can
import cantools

from .mapping import BY_KEY, Decoder, UnknownFrame

FORMATS = {
    'candump': ('.log', '.candump'),
    'asc': ('.asc',),
    'blf': ('.blf',),
    }
_CANDUMP = re.compile(rb'^\s*\(\d+(\.\d+)?\)\s+\S+\s+[0-9A-Fa-f]+#', re.M)
_ASC = re.compile(rb'^\s*(date|base\s+(hex|dec)|begin\s+triggerblock)\b',
    re.M | re.I)


class LogError(Exception):
    "A log that cannot be read; str() is one line"


def sniff(data, filename=None):
    "The format of a log, from its content, else its file name's suffix"
    if data[:4] == b'LOGG':
        return 'blf'
    head = data[:4096]
    if _ASC.search(head):
        return 'asc'
    if _CANDUMP.search(head):
        return 'candump'
    name = (filename or '').lower()
    for format_, suffixes in FORMATS.items():
        if name.endswith(suffixes):
            return format_
    raise LogError("not a CAN log: expected candump -L, Vector ASC or BLF")


def frames(data, filename=None, limit=None):
    "The first limit (all if None) data frames of a log as can.Message"
    format_ = sniff(data, filename)
    if format_ == 'blf':
        reader = can.BLFReader(io.BytesIO(data))
    else:
        text = io.StringIO(data.decode('utf-8', errors='replace'))
        reader = (can.ASCReader if format_ == 'asc' else
            can.CanutilsLogReader)(text)
    result = []
    try:
        for frame in reader:
            if frame.is_error_frame or frame.is_remote_frame:
                continue
            result.append(frame)
            if limit is not None and len(result) >= limit:
                break
    except Exception as error:
        # python-can's readers raise bare ValueError, struct.error...
        # on a damaged file: what came before is still usable
        if not result:
            raise LogError(f"unreadable {format_} log: "
                f"{type(error).__name__}: {error}") from None
    finally:
        reader.stop()
    if not result:
        # readers stop quietly at a damaged or truncated end
        raise LogError(f"no CAN data frame in this {format_} log")
    return result


@dataclasses.dataclass
class Row:
    "One decoded frame of a log"
    timestamp: float
    frame_id: int
    message: str
    values: dict  # quantity key: value
    extra: dict  # 'Message.Signal': value of signals not mapped
    out_of_range: dict


@dataclasses.dataclass
class Result:
    format: str
    rows: list
    unknown: dict  # hex frame id: frames the database does not define
    undecodable: dict  # message name: frames too short to decode

    def lines(self):
        "The result as text lines: one per frame, then unknown ids"
        lines = []
        start = self.rows[0].timestamp if self.rows else 0
        for row in self.rows:
            values = '  '.join(f'{k}={_show(v)}{_unit(k)}'
                for k, v in row.values.items())
            refused = '  '.join(f'{k}={_show(v)}{_unit(k)} (out of range)'
                for k, v in row.out_of_range.items())
            lines.append(f'{row.timestamp - start:8.3f}s '
                f'{row.frame_id:#010x} {row.message}: '
                + ('  '.join(filter(None, [values, refused]))
                    or f'{len(row.extra)} other signals'))
        for frame_id, count in self.unknown.items():
            lines.append(f'{frame_id}: {count} frames not in the DBC')
        for name, count in self.undecodable.items():
            lines.append(f'{name}: {count} frames too short or with an '
                'unknown multiplexer value')
        return lines

    @property
    def quantities(self):
        "The quantities found in the log, in order of first appearance"
        seen = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row.values))
        return list(seen)


def decode(data, database, mapping, filename=None, limit=100):
    "Result of decoding the first limit frames of a log"
    decoder = Decoder(database, mapping)
    rows = []
    unknown = collections.Counter()
    undecodable = collections.Counter()
    for frame in frames(data, filename, limit):
        try:
            decoded = decoder.decode_frame(frame)
        except UnknownFrame:
            unknown[hex(frame.arbitration_id)] += 1
            continue
        except cantools.database.DecodeError:
            name = decoder.message(
                frame.arbitration_id, frame.is_extended_id).name
            undecodable[name] += 1
            continue
        rows.append(Row(frame.timestamp, frame.arbitration_id,
            decoded.message, decoded.values, decoded.extra,
            decoded.out_of_range))
    return Result(sniff(data, filename), rows, dict(unknown),
        dict(undecodable))


def _show(value):
    return f'{value:g}' if isinstance(value, float) else str(value)


def _unit(key):
    unit = BY_KEY[key].unit
    return f' {unit}' if unit else ''
