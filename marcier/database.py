"""Create and set up a Marcier database (SQLite file or PostgreSQL)."""
import os
import tempfile
from importlib.metadata import entry_points

from .settings import DEMO_PASSWORD, SettingsError


def marcier_modules():
    "Names of the installed Marcier Tryton modules"
    return sorted(
        ep.name for ep in entry_points(group='trytond.modules')
        if ep.name.startswith('marcier_'))


def create(database):
    "Create the empty database when it does not exist yet; True if created"
    if database.scheme == 'sqlite':
        database.path.mkdir(parents=True, exist_ok=True)
        if database.file.exists():
            return False
        database.file.touch()
        return True
    import psycopg
    from psycopg import sql
    conninfo = database.uri.rstrip('/') + '/postgres'
    try:
        with psycopg.connect(
                conninfo, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                'SELECT 1 FROM pg_database WHERE datname = %s',
                (database.name,)).fetchone()
            if exists:
                return False
            conn.execute(sql.SQL(
                    "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'"
                    ).format(sql.Identifier(database.name)))
            return True
    except psycopg.OperationalError as exception:
        reason = str(exception).strip().splitlines()[-1]
        raise SettingsError(
            f"cannot reach PostgreSQL at {database.uri}: {reason}") from None


def is_set_up(database):
    "Whether trytond has initialised the database"
    if database.scheme == 'sqlite' and not database.file.exists():
        return False
    from trytond import backend
    db = backend.Database(database.name)
    try:
        db.connect()
        return db.test()
    except Exception:
        return False
    finally:
        db.close()


def activate(database, password=DEMO_PASSWORD):
    """Initialise the database if needed and activate or upgrade every
    Marcier module; password is the admin's on the first run"""
    from trytond import admin, commandline
    options = commandline.get_parser_admin().parse_args([
            '-d', database.name,
            '--email', 'admin@marcier.example',
            '-u', *marcier_modules(),
            '--activate-dependencies',
            ])
    with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
        passfile.write(password + '\n')
        passfile.flush()
        previous = os.environ.get('TRYTONPASSFILE')
        os.environ['TRYTONPASSFILE'] = passfile.name
        try:
            admin.run(options)
        finally:
            if previous is None:
                del os.environ['TRYTONPASSFILE']
            else:
                os.environ['TRYTONPASSFILE'] = previous
