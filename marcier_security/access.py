# This file is part of Marcier. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Record rules on export: Tryton 8.0's export_data reads the records it is
given without checking the record rules of the models whose access comes
from a parent (__access__): agent B exported agent A's vehicle history
(found by tests/security/attack.py).  Reading the records first applies
every rule, the parents' included."""
from trytond.model import ModelSQL
from trytond.transaction import Transaction


class ExportAccessMixin:
    __slots__ = ()

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        transaction = Transaction()
        if (transaction.user and transaction.check_access
                and issubclass(cls, ModelSQL)):
            cls.read([r.id for r in records if r.id >= 0], ['id'])
        return super().export_data(records, fields_names, header=header)
