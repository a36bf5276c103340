"""Direct SQL on a test platform's database, for what no client can do:
age a session, clear the login attempts a test left behind."""
import sqlite3

from marcier.settings import parse_database


def execute(uri, sql, params=()):
    "Run sql (with ? placeholders) and commit; return the rows"
    database = parse_database(uri)
    if database.scheme == 'sqlite':
        with sqlite3.connect(database.file) as connection:
            return connection.execute(sql, params).fetchall()
    import psycopg
    with psycopg.connect(uri) as connection:
        cursor = connection.execute(sql.replace('?', '%s'), params)
        return cursor.fetchall() if cursor.description else []
