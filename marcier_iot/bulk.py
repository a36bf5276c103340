# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""One statement that inserts or merges many rows: how the listener keeps
rollups, trips and tracks as a batch arrives.  PostgreSQL takes the rows
as one array per column (a single round trip); SQLite runs the statement
per row (executemany)."""
from trytond import backend
from trytond.transaction import Transaction

# How a new row's value merges into the stored one
ADD, LOWEST, HIGHEST, NEW, FIRST, LATEST = (
    'add', 'lowest', 'highest', 'new', 'first', 'latest')


def _merge(how, table, column):
    old, new = f'"{table}"."{column}"', f'EXCLUDED."{column}"'
    postgresql = backend.name == 'postgresql'
    if how == ADD:  # NULL only while neither has a value
        return f'COALESCE({old} + {new}, {old}, {new})'
    if how in {LOWEST, HIGHEST}:
        if postgresql:  # ignore NULL
            return f'{"LEAST" if how == LOWEST else "GREATEST"}({old}, {new})'
        return (f'{"MIN" if how == LOWEST else "MAX"}('
            f'COALESCE({old}, {new}), COALESCE({new}, {old}))')
    if how == FIRST:
        return f'COALESCE({old}, {new})'
    if how == LATEST:
        return f'COALESCE({new}, {old})'
    return new


def upsert(Model, rows, key, merges):
    """Insert rows (tuples in the order of key + merges) into Model's
    table; a row whose key exists merges into it: merges = {column: how}"""
    if not rows:
        return
    table = Model._table
    columns = list(key) + list(merges)
    names = ', '.join(f'"{c}"' for c in columns)
    conflict = f'ON CONFLICT ({", ".join(key)}) ' + ('DO UPDATE SET '
        + ', '.join(f'"{c}" = {_merge(how, table, c)}'
            for c, how in merges.items()) if merges else 'DO NOTHING')
    cursor = Transaction().connection.cursor()
    if backend.name == 'postgresql':
        arrays = ', '.join(
            f'%s::{Model._fields[c].sql_type().base}[]' for c in columns)
        cursor.execute(f'INSERT INTO "{table}" ({names}) '
            f'SELECT * FROM UNNEST({arrays}) {conflict}',
            [list(c) for c in zip(*rows)])
    else:
        cursor.executemany(f'INSERT INTO "{table}" ({names}) '
            f'VALUES ({", ".join("?" * len(columns))}) {conflict}', rows)
