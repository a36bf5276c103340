# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Audit trail (H3): old and new values of the fields that matter.

Tryton's ir.model.log already says who changed which fields of any record
through RPC; it keeps no values.  This adds them for the fields a model
declares, whoever writes them (RPC, wizards, the IoT listener).  Not
_history tables: they copy whole rows, secrets included, and have no "who".

A model declares what is audited in its own module, as it declares
_history, so that this module names none of them:

    _audited_fields = ('state', 'agent')
    _audited_secrets = ('password_hash',)  # logged only as changed

Tuples, so that an extension adds to them without changing the base's:
cls._audited_fields += ('x',) in its __setup__.  The attributes mean
nothing without this module installed."""
from trytond.model import Model, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

CHANGED = "(changed)"


def audited_fields(cls):
    "The names of the fields of cls that are audited (secrets included)"
    if not issubclass(cls, ModelSQL):
        return set()
    declared = (set(getattr(cls, '_audited_fields', ()))
        | audited_secrets(cls))
    return declared & set(cls._fields)


def audited_secrets(cls):
    return set(getattr(cls, '_audited_secrets', ()))


def _text(record, name, masked):
    if name in audited_secrets(record.__class__):
        return masked
    value = getattr(record, name, None)
    if isinstance(value, Model):
        return f'{value.rec_name} [{value.id}]'
    if isinstance(value, (list, tuple)):
        return ', '.join(
            f'{v.rec_name} [{v.id}]' if isinstance(v, Model) else str(v)
            for v in value)
    return None if value is None else str(value)


def _snapshot(records, names, masked=CHANGED):
    "{id: {name: text}}; secret values become masked"
    with without_check_access():
        return {r.id: {n: _text(r, n, masked) for n in names}
            for r in records}


class AuditMixin:
    """Record the old and new values of the fields a model declares in
    _audited_fields and _audited_secrets.  Neither is set here: the mixin
    comes first in the class's MRO and would hide the model's own."""
    __slots__ = ()

    @classmethod
    def _audited(cls, names=None):
        audited = audited_fields(cls)
        return audited if names is None else audited & set(names)

    @classmethod
    def on_write(cls, records, values):
        callbacks = super().on_write(records, values)
        names = cls._audited(values)
        if names and records:
            old = _snapshot(records, names, masked=None)
            ids = [r.id for r in records]
            callbacks.append(lambda: Pool().get('marcier.audit').record(
                    cls.__name__, 'write', old,
                    _snapshot(cls.browse(ids), names)))
        return callbacks

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if mode == 'create' and (names := cls._audited()):
            Pool().get('marcier.audit').record(
                cls.__name__, 'create', {}, _snapshot(records, names))

    @classmethod
    def on_delete(cls, records):
        callbacks = super().on_delete(records)
        if names := cls._audited():
            Pool().get('marcier.audit').record(
                cls.__name__, 'delete', _snapshot(records, names), {})
        return callbacks


class Audit(ModelSQL, ModelView):
    "Audit Trail"
    __name__ = 'marcier.audit'
    company = fields.Many2One('company.company', "Company", readonly=True,
        help="The company of the record; empty for users and groups.")
    user = fields.Many2One('res.user', "User", readonly=True,
        help="Who made the change; root for the platform's own processes.")
    event = fields.Selection([
            ('create', "Created"),
            ('write', "Changed"),
            ('delete', "Deleted"),
            ], "Event", readonly=True)
    resource = fields.Reference(
        "Record", selection='get_models', readonly=True)
    model = fields.Char("Model", readonly=True)
    record_id = fields.Integer("Record ID", readonly=True)
    field = fields.Char("Field", readonly=True)
    field_string = fields.Char("Field Label", readonly=True)
    old_value = fields.Char("Old Value", readonly=True)
    new_value = fields.Char("New Value", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def get_models(cls):
        return [(None, '')] + Pool().get('ir.model').get_name_items()

    @classmethod
    def record(cls, model, event, old, new):
        "Store one line per field whose value differs between old and new"
        Model = Pool().get(model)
        user = Transaction().user
        companies = {}
        if 'company' in Model._fields:
            with without_check_access():
                companies = {r.id: r.company.id if r.company else None
                    for r in Model.browse(list(old.keys() | new.keys()))}
        lines = []
        for record_id in sorted(old.keys() | new.keys()):
            before, after = old.get(record_id, {}), new.get(record_id, {})
            for name in sorted(before.keys() | after.keys()):
                if before.get(name) == after.get(name) and event == 'write':
                    continue
                if event != 'write' and before.get(name, after.get(name)) \
                        is None:
                    continue
                lines.append({
                        'company': companies.get(record_id),
                        'user': user,
                        'event': event,
                        'resource': (f'{model},{record_id}'
                            if event != 'delete' else None),
                        'model': model,
                        'record_id': record_id,
                        'field': name,
                        'field_string': Model._fields[name].string,
                        'old_value': before.get(name),
                        'new_value': after.get(name),
                        })
        if lines:
            with without_check_access():
                cls.create(lines)

    @classmethod
    def note(cls, records, field, old, new):
        "Record an event on records that is not a field write"
        model = records[0].__name__ if records else None
        if model:
            cls.record(model, 'write', {r.id: {field: old} for r in records},
                {r.id: {field: new} for r in records})
