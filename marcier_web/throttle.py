# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Per-client throttle of the public forms, kept in the database so that
every server process and thread counts the same attempts."""
import datetime as dt
import hashlib

from sql.operators import Less

from trytond import backend
from trytond.model import Index, ModelSQL, fields
from trytond.transaction import Transaction


class Attempt(ModelSQL):
    "Attempt of an anonymous web client at a throttled action"
    __name__ = 'web.client.attempt'
    action = fields.Char("Action", required=True)
    client = fields.Char("Client", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.action, Index.Equality()), (t.client, Index.Equality()),
                (t.create_date, Index.Range())))

    @classmethod
    def __register__(cls, module):
        # Migration from 8.0.0: the throttle was the mall's
        TableHandler = backend.TableHandler
        if (TableHandler.table_exist('mall_client_attempt')
                and not TableHandler.table_exist(cls._table)):
            TableHandler.table_rename('mall_client_attempt', cls._table)
        super().__register__(module)

    @staticmethod
    def key(client):
        # The address is personal data: keep only a digest of it
        return hashlib.sha256(client.encode()).hexdigest()[:32]

    @classmethod
    def allowed(cls, action, client, limit, window):
        "Whether client made fewer than limit attempts in window seconds"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        since = dt.datetime.now() - dt.timedelta(seconds=window)
        # Forget the attempts nobody counts any more
        cursor.execute(*table.delete(
                where=(table.action == action)
                & Less(table.create_date, since)))
        return cls.search([
                ('action', '=', action),
                ('client', '=', cls.key(client)),
                ], count=True) < limit

    @classmethod
    def record(cls, action, client):
        cls.create([{'action': action, 'client': cls.key(client)}])
