"""The gateway's disk buffer: reports wait here, in order, while the broker
cannot be reached.  SQLite gives an append-only, crash-safe queue in one
file; it is created on first use."""
import sqlite3
from pathlib import Path


class Spool:

    def __init__(self, path, limit=100_000):
        self.path = Path(path)
        self.limit = limit  # oldest reports are dropped past this
        self._db = None

    @property
    def db(self):
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute('PRAGMA journal_mode=WAL')
            self._db.execute(
                'CREATE TABLE IF NOT EXISTS spool ('
                'seq INTEGER PRIMARY KEY AUTOINCREMENT, '
                'topic TEXT NOT NULL, payload BLOB NOT NULL)')
        return self._db

    def __len__(self):
        if self._db is None and not self.path.exists():
            return 0
        return self.db.execute('SELECT count(*) FROM spool').fetchone()[0]

    def append(self, topic, payload):
        self.db.execute(
            'INSERT INTO spool (topic, payload) VALUES (?, ?)',
            (topic, payload))
        self.db.execute(
            'DELETE FROM spool WHERE seq <= '
            '(SELECT max(seq) FROM spool) - ?', (self.limit,))

    def head(self, count):
        "The oldest count entries as (seq, topic, payload)"
        if self._db is None and not self.path.exists():
            return []
        return self.db.execute(
            'SELECT seq, topic, payload FROM spool ORDER BY seq LIMIT ?',
            (count,)).fetchall()

    def remove(self, seqs):
        self.db.executemany(
            'DELETE FROM spool WHERE seq = ?', [(s,) for s in seqs])

    def close(self):
        if self._db is not None:
            self._db.close()
            self._db = None
