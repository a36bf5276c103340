# This file is part of Marcier. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""on_change and its kin build a record from the client's values and read
whatever records they name: they check first that the caller reads them
(issue 12, item 1; tests/security/onchange.py)."""
from collections import defaultdict
from functools import wraps

from trytond.model import Model, ModelSQL, ModelStorage
from trytond.pool import Pool
from trytond.rpc import RPC
from trytond.tools import is_instance_method
from trytond.transaction import Transaction

RELATIONAL = {'many2one', 'one2one', 'reference', 'one2many', 'many2many'}


def named_records(record, found=None, seen=None):
    """{model: {ids}} of the stored records a client-built instance names:
    its own id, its many2one, reference and x2many values, nested ones
    (lines, '_parent_x.field' values) included; never reads the database"""
    found = defaultdict(set) if found is None else found
    seen = set() if seen is None else seen
    if id(record) in seen:
        return found
    seen.add(id(record))
    if isinstance(record, ModelStorage) and record.id is not None:
        if int(record.id) >= 0:
            found[record.__name__].add(int(record.id))
    for name, value in (record._values._items() if record._values else ()):
        field = record._fields.get(name)
        if field is None or field._type not in RELATIONAL or not value:
            continue
        for target in (value if isinstance(value, (list, tuple))
                else [value]):
            if isinstance(target, Model):
                named_records(target, found, seen)
    return found


def check_readable(found):
    "Raise the standard AccessError unless the user reads every record"
    pool = Pool()
    ModelAccess = pool.get('ir.model.access')
    with Transaction().set_context(_check_access=True):
        # One read per model: the form calls on every change
        for name, ids in found.items():
            Target = pool.get(name)
            if issubclass(Target, ModelSQL):
                Target.read(sorted(ids), ['id'])
            else:
                ModelAccess.check(name, 'read')


class GuardedRPC(RPC):
    """An RPC on an instance the client builds from values: refused unless
    the user may read every record the values name"""
    __slots__ = ()

    @classmethod
    def wrap(cls, rpc):
        guarded = cls.__new__(cls)
        for slot in RPC.__slots__:
            setattr(guarded, slot, getattr(rpc, slot))
        return guarded

    def decorate(self, func):
        func = super().decorate(func)

        @wraps(func)
        def wrapper(record, *args, **kwargs):
            transaction = Transaction()
            if transaction.user and transaction.check_access:
                found = named_records(record)
                ModelAccess = Pool().get('ir.model.access')
                ModelAccess.check(record.__name__, 'read')
                check_readable(found)
            return func(record, *args, **kwargs)
        return wrapper


class ChangeRulesMixin:
    """Access rights and record rules for what on_change, on_change_with,
    on_change_notify, pre_validate, on_scan_code and instance buttons are
    given: the client builds the record from values, and Tryton then reads
    the records they name (their rec_name, the fields the methods use)
    without checking them.  Agent B read agent A's vehicles, contracts and
    a customer's WeChat openid by naming their ids (issue 12)."""
    __slots__ = ()

    def __init_subclass__(cls, **kwargs):
        # The pool makes the class with this mixin after __post_setup__
        # made the RPC table (Pool.setup_mixin): wrap its entries here.
        super().__init_subclass__(**kwargs)
        rpcs = getattr(cls, '__rpc__', {})
        for name, rpc in list(rpcs.items()):
            if (rpc.instantiate == 0 and not isinstance(rpc, GuardedRPC)
                    and is_instance_method(cls, name)):
                rpcs[name] = GuardedRPC.wrap(rpc)

    @classmethod
    def default_get(cls, fields_names=None, with_rec_name=True, **kwargs):
        # Defaults may come from the context ('vehicle' of a chart), and
        # with_rec_name (the client's call; create asks without) answers
        # the names of the records they name
        values = super().default_get(
            fields_names, with_rec_name=with_rec_name, **kwargs)
        transaction = Transaction()
        if (with_rec_name and transaction.user and transaction.check_access
                and values):
            check_readable(named_records(cls(**{
                            k: v for k, v in values.items()
                            if k in cls._fields
                            and cls._fields[k]._type in RELATIONAL})))
        return values
