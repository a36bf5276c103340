"""Plain DB-API connections to a test server's database, for what a test
prepares or checks below the application (SQLite or PostgreSQL)."""


def connect(uri):
    if uri.startswith('postgresql'):
        import psycopg
        return psycopg.connect(uri)
    import sqlite3
    from marcier.settings import parse_database
    return sqlite3.connect(parse_database(uri).file)


def placeholder(connection):
    "The parameter mark of connection's driver"
    return '?' if type(connection).__module__.startswith('sqlite3') else '%s'
