"""The module tests' databases (Tryton's ModuleTestCase), for every test
path: each test class activates its modules in a new database, cached in
DB_CACHE (scripts/test) under the class's module list.

Without a cache for its own list, Tryton creates the database from scratch
(ir, res, then every dependency). Here a class whose modules need all the
modules a database activated earlier in the run has (marcier_device's
tests after marcier_base's, marcier_iot's after marcier_device's, ...)
starts from that database's cache and activates only what it adds: the
same modules end up activated, as when a module is added to a running
database. Nothing else changes (the tests still run on a database of
their own, dropped at the end of their class).

On PostgreSQL scripts/test sets DB_CACHE to the server's URI: the cache is
then a template database per module list (CREATE DATABASE ... TEMPLATE, a
second or so) rather than a pg_dump folder (pg_restore re-creates every
table and index: 5 to 12 s per class). Tryton names them by module list
only; here they are named after the run's database, DB_NAME (test_marcier_
and scripts/test's process id), which scripts/test drops with them at the
end, so that runs on the same server never share or leave one behind."""
import hashlib
import logging
import os

from trytond.config import config
from trytond.tests import test_tryton

logger = logging.getLogger(__name__)

if os.environ.get('DB_NAME') == ':memory:':
    # Every [cache] clean_timeout (5 minutes) a transaction start syncs the
    # caches through an autocommit connection: on SQLite's in-memory test
    # database that is the one shared connection, so the sync committed
    # the running test's records for every later test to trip over.  The
    # unit tests run in this one process: nothing to sync with.
    config.set('cache', 'clean_timeout', str(10 ** 9))

# cache name -> (language, modules activated in it), this run's databases
_ACTIVATED = {}


def _cache_name(modules, lang):
    "The cache name of Tryton's activate_module"
    name = '-'.join(modules)
    if lang != 'en':
        name += '--' + lang
    return name


def _closure(modules):
    "The modules that activating modules activates, with ir and res"
    from trytond.modules import get_module_info
    needed, todo = {'ir', 'res'}, list(modules)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        info = get_module_info(name) or {}
        todo.extend(info.get('depends', []))
    return needed


def _activated_modules():
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(test_tryton.DB_NAME, 0, readonly=True):
        Module = Pool().get('ir.module')
        return frozenset(m.name for m in Module.search([
                    ('state', '=', 'activated')]))


def _restore_base(modules, lang):
    """Restore the cached database with the most modules that activating
    modules would activate anyway; return its cache name or None"""
    needed = _closure(modules)
    candidates = sorted(
        ((len(activated), name) for name, (language, activated)
            in _ACTIVATED.items()
            if language == lang and activated <= needed),
        reverse=True)
    for _, name in candidates:
        if test_tryton.restore_db_cache(name):
            return name


def activate_module(modules, lang='en'):
    "Tryton's activate_module, starting from a cached smaller database"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    if isinstance(modules, str):
        modules = [modules]
    name = _cache_name(modules, lang)
    DB_NAME = test_tryton.DB_NAME
    if not test_tryton.db_exist(DB_NAME):
        if test_tryton.restore_db_cache(name):
            _ACTIVATED[name] = (lang, _activated_modules())
            return
        base = _restore_base(modules, lang)
        if base:
            logger.info("activating %s on the database of %s", name, base)
    # From here on as Tryton's activate_module: create_db only initialises
    # the pool of a restored database
    test_tryton.create_db(lang=lang)
    with Transaction().start(DB_NAME, 1, close=True) as transaction:
        pool = Pool()
        Module = pool.get('ir.module')
        records = Module.search([('name', 'in', modules)])
        assert len(records) == len(modules), (
            f"Not found: {', '.join(set(modules) - {r.name for r in records})}"
            )
        records = Module.search([
                ('name', 'in', modules),
                ('state', '!=', 'activated'),
                ])
        if records:
            Module.activate(records)
            transaction.commit()
            ActivateUpgrade = pool.get('ir.module.activate_upgrade',
                type='wizard')
            instance_id, _, _ = ActivateUpgrade.create()
            transaction.commit()
            ActivateUpgrade(instance_id).transition_upgrade()
            ActivateUpgrade.delete(instance_id)
            transaction.commit()
    test_tryton.backup_db_cache(name)
    if test_tryton.DB_CACHE:
        _ACTIVATED[name] = (lang, _activated_modules())


def _db_cache_file(path, name):
    "The run's template database of module list name"
    hash_name = hashlib.shake_128(name.encode('utf8')).hexdigest(32 // 2)
    return f'{test_tryton.DB_CACHE}/{test_tryton.DB_NAME}-{hash_name}'


# _DBTestCase.setUpClass looks them up in test_tryton's globals
test_tryton.activate_module = activate_module
if (test_tryton.DB_CACHE or '').startswith('postgresql://'):
    test_tryton._db_cache_file = _db_cache_file
