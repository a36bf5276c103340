"""Open the CAN bus a gateway reads: SocketCAN where the kernel has the
interface (vcan0 on a developer machine, can0 on a vehicle), python-can's
in-process virtual bus otherwise."""
from pathlib import Path

import can

from marcier_wire.errors import ConfigError


def has_interface(name):
    return Path('/sys/class/net', name).exists()


def open_bus(spec, default_channel):
    """spec is 'auto', 'socketcan:IFACE' or 'virtual[:CHANNEL]'; auto means
    socketcan:vcan0 when it exists, else virtual:default_channel"""
    kind, _, channel = (spec or 'auto').partition(':')
    if kind == 'auto':
        if has_interface('vcan0'):
            kind, channel = 'socketcan', 'vcan0'
        else:
            kind, channel = 'virtual', default_channel
    if kind == 'socketcan':
        if not has_interface(channel):
            raise ConfigError(f"no CAN interface {channel!r} here")
        return can.Bus(interface='socketcan', channel=channel)
    if kind == 'virtual':
        return can.Bus(
            interface='virtual', channel=channel or default_channel)
    raise ConfigError(
        f"unknown bus {spec!r}: use auto, socketcan:IFACE or virtual:NAME")
