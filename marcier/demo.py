"""Load the demo data of every activated Marcier module.

Each module may provide ``demo.py`` with ``load(context)``; loaders run in
dependency order, in one transaction, and must be idempotent: a second
``marcier setup --demo`` finds and keeps what the first one made.
"""
import importlib

from .settings import DEMO_PASSWORD

DEMO_LOGINS = ['admin', 'operator', 'agent_a', 'agent_b', 'agent_c']


def load(database):
    from trytond.pool import Pool
    from trytond.transaction import TransactionError
    pool = Pool(database.name)
    pool.init()
    extras = {}
    while True:
        try:
            return _load(pool, database, extras)
        except TransactionError as error:
            # Start again with the lock it asks for, as the RPC dispatcher
            # does (e.g. the first save of a ModelSingleton)
            error.fix(extras)


def _load(pool, database, extras):
    from trytond.tools import import_module
    from trytond.transaction import Transaction
    with Transaction().start(database.name, 0, readonly=False, **extras):
        # The pool loads the activated modules in dependency order
        ordered = [m for m in pool._modules if m.startswith('marcier_')]
        context = {'password': DEMO_PASSWORD}
        for name in ordered:
            package = import_module(name).__name__
            try:
                loader = importlib.import_module(f'{package}.demo')
            except ModuleNotFoundError as exception:
                if exception.name != f'{package}.demo':
                    raise
                continue
            loader.load(context)
    return context
