# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Side effects that must leave the transaction only once it has
committed (an MQTT publish, the broker's files): a rolled back transaction
must not have told the outside world anything.  Transaction.atexit alone
runs on rollback too; a data manager learns whether the commit happened.
The same manager also undoes what a process remembered of a transaction
that rolls back (on_rollback)."""
import logging

from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class AfterCommit:
    """The calls of one key, run after the commit, dropped on rollback;
    and those to run on rollback only"""

    def __init__(self, key):
        self.key = key
        self.calls = []
        self.rollback_calls = []

    def __eq__(self, other):
        if not isinstance(other, AfterCommit):
            return NotImplemented
        return self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def tpc_begin(self, transaction):
        pass

    def commit(self, transaction):
        pass

    def tpc_vote(self, transaction):
        pass

    def tpc_finish(self, transaction):
        # Run once the connection is back in the pool, as atexit does
        calls, self.calls = self.calls, []
        self.rollback_calls = []
        if calls:
            transaction.atexit(run, calls)

    def tpc_abort(self, transaction):
        self.calls = []
        calls, self.rollback_calls = self.rollback_calls, []
        run(calls)


def after_commit(key, function, *args, once=True):
    """Call function(*args) after the current transaction commits; with
    once, a key already waiting keeps its first call"""
    manager = Transaction().join(AfterCommit(key))
    if not (once and manager.calls):
        manager.calls.append((function, args))


def on_rollback(key, function, *args):
    "Call function(*args) if the current transaction rolls back, once per key"
    manager = Transaction().join(AfterCommit(key))
    if not manager.rollback_calls:
        manager.rollback_calls.append((function, args))


def run(calls):
    for function, args in calls:
        try:
            function(*args)
        except Exception:
            logger.exception("%s after the transaction failed", function.__name__)
