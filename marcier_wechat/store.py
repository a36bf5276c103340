# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Short-lived values kept in the database: WeChat access tokens and
tickets (when no Redis is configured), H5 sessions, one-time codes and
throttle counters.  Each value expires; the cron purges the dead ones."""
import datetime as dt
import json

from sql import Literal

from trytond.model import Index, ModelSQL, Unique, fields
from trytond.transaction import Transaction
from wechatpy.session import SessionStorage

# Tokens are fetched again this long before WeChat lets them expire, so
# that no call goes out with a token that dies on the way
REFRESH_MARGIN = 300


def now():
    return dt.datetime.now()


class Store(ModelSQL):
    "WeChat Store"
    __name__ = 'wechat.store'
    key = fields.Char("Key", required=True)
    value = fields.Text("Value")
    expires = fields.Timestamp("Expires", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_unique', Unique(t, t.key), 'marcier_wechat.msg_store_key'),
            ]
        cls._sql_indexes.add(Index(t, (t.expires, Index.Range())))

    @classmethod
    def get(cls, key, default=None):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.value,
                where=(table.key == key) & (table.expires > now())))
        row = cursor.fetchone()
        return json.loads(row[0]) if row else default

    @classmethod
    def set(cls, key, value, ttl):
        "Keep value under key for ttl seconds"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        expires = now() + dt.timedelta(seconds=ttl)
        value = json.dumps(value)
        cursor.execute(*table.update([table.value, table.expires],
                [value, expires], where=table.key == key))
        if not cursor.rowcount:
            cursor.execute(*table.insert(
                    [table.key, table.value, table.expires,
                        table.create_uid, table.create_date],
                    [[key, value, expires, Literal(0), now()]]))

    @classmethod
    def delete_key(cls, key):
        table = cls.__table__()
        Transaction().connection.cursor().execute(
            *table.delete(where=table.key == key))

    @classmethod
    def hit(cls, key, window):
        """Count one more event under key in a window of seconds; return
        the number of events since the window opened"""
        count = cls.get(key, 0) + 1
        if count == 1:
            cls.set(key, count, window)
        else:
            table = cls.__table__()
            Transaction().connection.cursor().execute(*table.update(
                    [table.value], [json.dumps(count)],
                    where=table.key == key))
        return count

    @classmethod
    def purge(cls):
        "Drop the expired values and the pushes WeChat no longer retries"
        from trytond.pool import Pool
        table = cls.__table__()
        Transaction().connection.cursor().execute(
            *table.delete(where=table.expires <= now()))
        Pool().get('wechat.push').purge()


class DatabaseStorage(SessionStorage):
    "wechatpy session storage in wechat.store, for tokens and tickets"

    def __init__(self, prefix):
        from trytond.pool import Pool
        self.store = Pool().get('wechat.store')
        self.prefix = prefix

    def get(self, key, default=None):
        return self.store.get(f'{self.prefix}:{key}', default)

    def set(self, key, value, ttl=None):
        if value is not None:
            self.store.set(f'{self.prefix}:{key}', value,
                max((ttl or 7200) - REFRESH_MARGIN, 1))

    def delete(self, key):
        self.store.delete_key(f'{self.prefix}:{key}')
