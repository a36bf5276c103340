"""The current vehicle controller's CAN database: marcier_vehicle.dbc of
marcier_wire/data (package data, so that an installed wheel finds it).

Frames are encoded and decoded by cantools only: no byte is parsed by hand.
"""
import functools

import can
import cantools

from . import data_file

DBC_FILE = data_file('marcier_vehicle.dbc')


class UnknownFrame(Exception):
    "A frame whose identifier the DBC does not define"


@functools.cache
def database():
    return cantools.database.load_string(
        DBC_FILE.read_text(encoding='utf-8'), database_format='dbc')


def message(name):
    return database().get_message_by_name(name)


def encode(name, signals):
    "A CAN frame of message name carrying signals (physical values)"
    definition = message(name)
    return can.Message(
        arbitration_id=definition.frame_id, is_extended_id=False,
        data=definition.encode(signals, strict=False))


def decode(frame):
    """(message name, signals) of a frame; raises UnknownFrame, or
    cantools' DecodeError on a frame too short for its message"""
    try:
        definition = database().get_message_by_frame_id(
            frame.arbitration_id)
    except KeyError:
        raise UnknownFrame(hex(frame.arbitration_id)) from None
    return definition.name, definition.decode(
        bytes(frame.data), decode_choices=False)


def choice(name, signal, value):
    "The DBC's name of a signal value (e.g. a fault code), or None"
    choices = message(name).get_signal_by_name(signal).choices or {}
    named = choices.get(value)
    return str(named) if named is not None else None
