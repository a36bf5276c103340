# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import contextlib

from trytond.exceptions import UserError
from trytond.transaction import Transaction


@contextlib.contextmanager
def refused(test, regex, exception=UserError):
    """Expect the error; roll back what the refused call wrote, as the
    end of a failed request does"""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    cursor.execute('SAVEPOINT refused')
    with test.assertRaisesRegex(exception, regex):
        yield
    cursor.execute('ROLLBACK TO SAVEPOINT refused')
    for cache in transaction.cache.values():
        cache.clear()
    transaction.counter += 1
