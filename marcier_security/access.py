# This file is part of Marcier. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Record rules before anything else looks at a record, for every model:

- Tryton 8.0's export_data reads the records it is given without checking
  the record rules of models whose access comes from a parent
  (__access__): agent B exported agent A's vehicle history;
- check_modification runs before the record rules of a write or delete,
  so a module's refusal could name another agent's record ("contract
  LC00006 has started") to someone who may not read it;
- on_change and its kin build a record from the client's values and read
  whatever records they name (change.py).

Found by tests/security (attack.py, the matrix).  Reading the records
first (or, before a write or delete, checking its rules as the write
itself does next) applies every rule, the parents' included.  Likewise,
a party named in a new or changed record must be one the caller reads.
The search and on_change classes of the same holes are in search.py and
change.py."""
from trytond.model import ModelSQL
from trytond.pool import Pool
from trytond.transaction import Transaction

def check_rules(cls, records, mode='read'):
    "Raise AccessError unless the RPC caller may read or mode records"
    transaction = Transaction()
    if transaction.user and issubclass(cls, ModelSQL):
        ids = [r.id for r in records if r.id is not None and r.id >= 0]
        with transaction.set_context(_check_access=True):
            if mode == 'read':
                cls.read(ids, ['id'])
            else:
                # The rules (and refusal) the write or delete checks next
                Pool().get('ir.rule').check(cls.__name__, ids, mode=mode)


def check_party_references(cls, vlist):
    """The parties that values name must be ones the RPC caller reads.
    The party rules follow the records that name a party (marcier_base
    party.py): naming agent A's customer's party in a customer, contract
    or bill of agent B would make it B's (issue 12)."""
    names = [n for n, f in cls._fields.items()
        if f._type == 'many2one' and f.model_name == 'party.party'
        and not hasattr(f, 'get')]
    ids = {v[n] for v in vlist for n in names
        if isinstance(v.get(n), int) and v[n] >= 0}
    if ids:
        Party = Pool().get('party.party')
        with Transaction().set_context(_check_access=True):
            Party.read(sorted(ids), ['id'])


class RulesFirstMixin:
    __slots__ = ()

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        if Transaction().check_access:
            check_rules(cls, records)
        return super().export_data(records, fields_names, header=header)

    @classmethod
    def _before_create(cls, vlist):
        # before the records exist: after, they would make the parties
        # they name the caller's
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            check_party_references(cls, vlist)
        return super()._before_create(vlist)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        if external and mode in {'write', 'delete'}:
            check_rules(cls, records, mode)
        if external and mode == 'write':
            check_party_references(cls, [values])
        super().check_modification(
            mode, records, values=values, external=external)
