"""MQTT topics: marcier/<tenant>/<vehicle>/<kind>, where <vehicle> is the
vehicle's gateway id, which is also its broker user name."""
import re

ROOT = 'marcier'
TELEMETRY = 'telemetry'  # gateway → platform, compact reports
ACK = 'ack'  # gateway → platform, answers to commands
COMMAND = 'command'  # platform → gateway
# platform → gateway, retained: the vehicle type's profile (profile.py)
CONFIG = 'config'
UPLINK = (TELEMETRY, ACK)
SHARE_GROUP = 'marcier-listeners'
# What a tenant, a gateway id or a broker user may be: no MQTT wildcard
# (+ #), no topic separator, no space, ":" or newline of the broker's
# files, ASCII only (\Z: "$" would accept a trailing newline)
NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z')


def safe_name(text, fallback='marcier'):
    "text made into a name of the safe alphabet (e.g. a database name)"
    name = re.sub(r'[^A-Za-z0-9_.-]', '_', text).lstrip('_.-')[:64]
    return name or fallback


def safe(name):
    "Whether name may be a tenant, a gateway id or a broker user name"
    return isinstance(name, str) and bool(NAME.match(name))


def check(*names):
    """Refuse names that are not safe: the models validate them first,
    this is the last guard where they reach the broker"""
    for name in names:
        if not safe(name):
            raise ValueError(f"unsafe MQTT name {name!r}")


def topic(tenant, vehicle, kind):
    check(tenant, vehicle)
    return f'{ROOT}/{tenant}/{vehicle}/{kind}'


def shared(tenant, kind):
    "The shared subscription through which listeners split the load"
    check(tenant)
    return f'$share/{SHARE_GROUP}/{ROOT}/{tenant}/+/{kind}'


def parse(name, tenant):
    "(vehicle, kind) of an uplink topic of tenant, or None"
    parts = name.split('/')
    if (len(parts) == 4 and parts[0] == ROOT and parts[1] == tenant
            and parts[3] in UPLINK and NAME.match(parts[2])):
        return parts[2], parts[3]
