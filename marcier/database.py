"""Create and set up a Marcier database (SQLite file or PostgreSQL)."""
import os
import tempfile
from pathlib import Path
from importlib.metadata import entry_points

from .settings import DEMO_PASSWORD, LANGUAGES, SettingsError


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
            # Makes the languages translatable and loads the catalogues of
            # the modules this run activates or upgrades
            '-l', *LANGUAGES,
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
    load_translations(database)


def load_translations(database, languages=LANGUAGES):
    """Load the catalogues of activated modules that have none loaded yet
    in languages: an upgrade only reloads the modules it updates, so
    Tryton's own modules of a database made before a language was added
    would stay untranslated; return the modules loaded"""
    from trytond.modules import get_module_info
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database.name)
    pool.init()
    loaded = []
    with Transaction().start(database.name, 0, readonly=False):
        Module = pool.get('ir.module')
        Translation = pool.get('ir.translation')
        modules = Module.search([('state', '=', 'activated')])
        for language in languages:
            done = {t.module for t in Translation.search([
                        ('lang', '=', language),
                        ('module', 'in', [m.name for m in modules]),
                        ])}
            for module in modules:
                if module.name in done:
                    continue
                po = Path(get_module_info(module.name)['directory'],
                    'locale', f'{language}.po')
                if po.exists():
                    Translation.translation_import(
                        language, module.name, [str(po)])
                    loaded.append(module.name)
    return loaded
