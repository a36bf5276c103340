# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond import backend
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.pool import PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction


class SessionWizard(metaclass=PoolMeta):
    """A wizard session is its user's: its data are what they typed (a
    payment, a transfer).  Wizards read and write sessions by the id the
    client sends, without access checks (execute), and the ids are
    sequential: agent B deleted agent A's open payment wizard (issue 12)."""
    __name__ = 'ir.session.wizard'

    @classmethod
    def check_owner(cls, ids):
        "Raise AccessError unless the user (or root) opened the sessions"
        transaction = Transaction()
        user = transaction.user
        if not user:
            return
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.id, where=fields.SQL_OPERATORS['in'](
                        table.id, sub_ids) & (table.create_uid != user),
                    limit=1))
            if cursor.fetchone():
                raise AccessError(gettext(
                        'marcier_security.msg_wizard_session_other_user'))

    @classmethod
    def _before_read(cls, ids, fields_names):
        cls.check_owner(ids)
        return super()._before_read(ids, fields_names)

    @classmethod
    def check_modification(cls, mode, sessions, values=None, external=False):
        super().check_modification(
            mode, sessions, values=values, external=external)
        if mode in {'write', 'delete'}:
            cls.check_owner([s.id for s in sessions])
