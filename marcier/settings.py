"""Where things are and how trytond is configured for a database URI.

Nothing here imports trytond's backend: it picks its driver from the
configuration when first imported, so configure() must run before.
"""
import os
import sysconfig
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

# A bad setting, reported to the user as one line: the device side and the
# platform raise the same
from marcier_wire.errors import ConfigError as SettingsError  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
# A source checkout keeps config/ and var/ next to the sources; an installed
# package uses those of the directory it runs in
HOME = ROOT if (ROOT / 'pyproject.toml').exists() else Path.cwd()
# and, where that directory has no config/, the one the wheel installed
# (pyproject.toml data-files): without it, a server would log in with the
# password alone and take any password
SHIPPED_CONFIG = Path(sysconfig.get_path('data'), 'share', 'marcier', 'config')
CONFIG_DIR = Path(os.environ.get('MARCIER_CONFIG_DIR',
        HOME / 'config' if HOME == ROOT or (HOME / 'config').is_dir()
        or not SHIPPED_CONFIG.is_dir() else SHIPPED_CONFIG))
VAR_DIR = Path(os.environ.get('MARCIER_VAR_DIR', HOME / 'var'))
SAO_ROOT = Path(os.environ.get('MARCIER_SAO_ROOT', VAR_DIR / 'sao' / 'package'))
LEAFLET_ROOT = Path(os.environ.get(
        'MARCIER_LEAFLET_ROOT', VAR_DIR / 'leaflet' / 'package' / 'dist'))
DEFAULT_URI = 'sqlite:///' + str(VAR_DIR / 'marcier.sqlite')
DEFAULT_NAME = 'marcier'
DEMO_PASSWORD = 'Marcier-Demo-2026'
# Languages besides English (the source) loaded at setup: Marcier's users
# in Guangdong read Simplified Chinese (docs/glossary.md)
LANGUAGES = ['zh_CN']


@dataclass(frozen=True)
class Database:
    "A database URI split the way trytond wants it"
    scheme: str
    uri: str  # trytond's [database] uri, without the database name
    name: str
    path: Path | None = None  # folder of the SQLite files

    @property
    def file(self):
        if self.path is not None:
            return self.path / f'{self.name}.sqlite'

    def __str__(self):
        if self.file:
            return f'sqlite:///{self.file}'
        return self.uri + self.name


def parse_database(uri=None):
    """Parse sqlite:///relative/x.sqlite, sqlite:////absolute/x.sqlite or
    postgresql://user@host:port/name into a Database"""
    uri = uri or os.environ.get('TRYTOND_DATABASE_URI') or DEFAULT_URI
    parts = urllib.parse.urlsplit(uri)
    if parts.scheme == 'sqlite':
        path = parts.path.removeprefix('/')
        if not path:
            path = DEFAULT_URI.removeprefix('sqlite:///')
        file = Path(path).expanduser().resolve()
        if file.suffix != '.sqlite':
            raise SettingsError(
                f"SQLite database file must end with .sqlite: {file}")
        return Database('sqlite', 'sqlite://', file.stem, file.parent)
    if parts.scheme in {'postgresql', 'postgres'}:
        name = parts.path.strip('/') or DEFAULT_NAME
        if '/' in name:
            raise SettingsError(f"bad PostgreSQL database name: {name!r}")
        base = urllib.parse.urlunsplit(
            ('postgresql', parts.netloc, '/', parts.query, ''))
        return Database('postgresql', base, name)
    raise SettingsError(
        f"unknown database URI scheme {parts.scheme!r} in {uri!r}: "
        "use sqlite:///path/name.sqlite or postgresql://host:port/name")


def configure(database, listen=None):
    "Load config/trytond.conf and point trytond at database"
    from trytond import config
    path = CONFIG_DIR / 'trytond.conf'
    if not path.is_file():
        # trytond's own complaint is a TypeError (8.0.11 config.py)
        raise SettingsError(f"no trytond configuration at {path}: "
            "set MARCIER_CONFIG_DIR or run where config/trytond.conf is")
    config.update_etc(str(path))
    config.set('database', 'uri', database.uri)
    if database.path is not None:
        config.set('database', 'path', str(database.path))
    if database.scheme == 'postgresql':
        # Other server processes clear their caches at once, told by
        # PostgreSQL's NOTIFY: with a delay, gunicorn's other workers served
        # delisted listings and stale keyword searches. Not on SQLite: there
        # 0 means a check at each transaction on the one shared connection,
        # which commits the transaction in progress.
        if not config.has_section('cache'):
            config.add_section('cache')
        config.set('cache', 'clean_timeout', '0')
    if SAO_ROOT.is_dir():
        config.set('web', 'root', str(SAO_ROOT))
    # The fleet map of marcier_device serves Leaflet from there
    if not config.has_section('marcier'):
        config.add_section('marcier')
    config.set('marcier', 'leaflet_root', str(LEAFLET_ROOT))
    # Where the modules keep their files (marcier_base.var)
    if not config.get('marcier', 'var_dir', default=None):
        config.set('marcier', 'var_dir', str(VAR_DIR))
    # The public pages (/mall) show this database
    config.set('marcier', 'database', database.name)
    if listen:
        config.set('web', 'listen', listen)
    forbidden = CONFIG_DIR / 'forbidden-passwords.txt'
    if forbidden.exists() and not config.get(
            'password', 'forbidden', default=None):
        config.set('password', 'forbidden', str(forbidden))
    if not config.get('marcier', 'secret_key', default=None):
        config.set('marcier', 'secret_key', secret_key())
    return config


def secret_key():
    """The key that encrypts the second factors' secrets: var/secret.key,
    made on first use; [marcier] secret_key (or the environment variable
    TRYTOND_MARCIER__SECRET_KEY) takes precedence"""
    path = VAR_DIR / 'secret.key'
    if not path.exists():
        import secrets
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created private, never rewritten: losing it loses every secret
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it meanwhile
        else:
            with os.fdopen(fd, 'w') as file:
                file.write(secrets.token_urlsafe(32) + '\n')
    return path.read_text().strip()
