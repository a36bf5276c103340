"""Mosquitto's password file and ACL for the platform and every gateway
(SPEC F5, H4): each device may publish only to its own topics and read only
its own commands."""
import base64
import hashlib
import os
import secrets
import signal
from pathlib import Path

from marcier_wire import topics

ITERATIONS = 101  # what mosquitto_passwd uses for its $7$ hashes
HEADER = "# Written by Marcier from the vehicle ledger: do not edit.\n"


def new_secret():
    return secrets.token_urlsafe(18)


def hash_password(password, salt=None):
    "Mosquitto 2's $7$ PBKDF2-SHA512 hash, as mosquitto_passwd writes it"
    salt = salt or os.urandom(12)
    digest = hashlib.pbkdf2_hmac(
        'sha512', password.encode(), salt, ITERATIONS)
    return '$7${}${}${}'.format(ITERATIONS,
        base64.b64encode(salt).decode(), base64.b64encode(digest).decode())


def password_file(entries):
    "entries: (username, password hash) pairs (the format has no comments)"
    topics.check(*(user for user, _ in entries))
    return ''.join(f'{user}:{hashed}\n' for user, hashed in entries)


def acl_file(tenant, platform_user, gateways):
    """The platform reads and writes its tenant's topics; a gateway its own.
    An unsafe name refuses the whole file: "user +" would give one device
    login every vehicle's topics."""
    topics.check(tenant, *gateways, *([platform_user] if platform_user else []))
    lines = [HEADER]
    if platform_user:
        lines.append(f'user {platform_user}\n'
            f'topic readwrite {topics.ROOT}/{tenant}/#\n\n')
    for gateway in gateways:
        lines.append(f'user {gateway}\n'
            + ''.join(f'topic write {topics.topic(tenant, gateway, kind)}\n'
                for kind in topics.UPLINK)
            + f'topic read {topics.topic(tenant, gateway, topics.COMMAND)}\n'
            + f'topic read {topics.topic(tenant, gateway, topics.CONFIG)}'
            '\n\n')
    return ''.join(lines)


def write(folder, passwords, acl):
    "Replace passwd and acl in folder atomically; return their paths"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in [('passwd', passwords), ('acl', acl)]:
        path = folder / name
        temporary = path.with_suffix('.new')
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, 'w') as file:
            file.write(text)
        os.replace(temporary, path)
        paths.append(path)
    return paths


def reload(pid_file):
    "Ask the broker to read its files again; False when it is not running"
    try:
        pid = int(Path(pid_file).read_text().split()[0])
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError, IndexError):
        return False
    return True
