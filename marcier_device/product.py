# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The catalogue product (product.template) a vehicle is: vehicles,
maintenance plans and the leasing lines name it instead of the free-text
model they kept before issue 13, and the migration from that text."""
from sql import Column, Null

from trytond.pool import Pool
from trytond.tools.string_ import LazyString
from trytond.transaction import Transaction

# The old free-text column the migration replaces
OLD_COLUMN = 'model_name'


def catalogue_model(template):
    """The rec_name of the catalogue model (型号) of template: marcier_mall's
    mall_model, when that module is activated; else None"""
    model = getattr(template, 'mall_model', None) if template else None
    return model.rec_name if model else None


def lazy_product_name(template):
    """The rec_name of template in the language current when it is
    rendered (Notification.notify renders per recipient); '' without one"""
    def name():
        if not template:
            return ''
        Template = Pool().get('product.template')
        return Template(template.id).rec_name
    return LazyString(name)


def _key(text):
    return text.strip().lower()


def match_templates(keys):
    """{key: template id} of the keys (stripped, lower-case texts) that name
    a product template: its name, else its code, else its name in another
    language; active templates first, then the oldest"""
    pool = Pool()
    Template = pool.get('product.template')
    Translation = pool.get('ir.translation')
    template = Template.__table__()
    translation = Translation.__table__()
    cursor = Transaction().connection.cursor()
    by_name, by_code, by_translation = {}, {}, {}
    cursor.execute(*template.select(
            template.id, template.name, template.code, template.active))
    rows = sorted(cursor, key=lambda r: (not r[3], r[0]))
    rank = {r[0]: i for i, r in enumerate(rows)}
    for id_, name, code, _ in rows:
        if name:
            by_name.setdefault(_key(name), id_)
        if code:
            by_code.setdefault(_key(code), id_)
    cursor.execute(*translation.select(
            translation.res_id, translation.value,
            where=(translation.name == 'product.template,name')
            & (translation.type == 'model')
            & (translation.value != Null)))
    for _, id_, value in sorted(
            (rank[i], i, v) for i, v in cursor if i in rank and v):
        by_translation.setdefault(_key(value), id_)
    found = {}
    for key in keys:
        for index in [by_name, by_code, by_translation]:
            if key in index:
                found[key] = index[key]
                break
    return found


def migrate_model_name(Model, module):
    """Migration of issue 13: the product of Model's records becomes the
    product template their free-text model named, then the text column
    goes.

    Each distinct text is matched, trimmed and case-insensitively, to a
    template's name, code or translated name (match_templates); a text
    that matches none becomes a new template of that name, so that no model
    is lost.  Texts that differ only by case or spaces share one template.
    Returns {text: template id}."""
    pool = Pool()
    Template = pool.get('product.template')
    ModelData = pool.get('ir.model.data')
    table = Model.__table__()
    old = Column(table, OLD_COLUMN)
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(old,
            where=(old != Null) & (table.product == Null),
            group_by=[old]))
    texts = sorted(t for t, in cursor if t and t.strip())
    names = {}
    for text in texts:
        names.setdefault(_key(text), text.strip())
    found = match_templates(names)
    missing = [k for k in names if k not in found]
    if missing:
        templates = Template.create([{
                    'name': names[k],
                    'type': 'assets',
                    'default_uom': ModelData.get_id('product', 'uom_unit'),
                    } for k in missing])
        found.update(zip(missing, (t.id for t in templates)))
    for text in texts:
        cursor.execute(*table.update([table.product], [found[_key(text)]],
                where=(old == text) & (table.product == Null)))
    Model.__table_handler__(module).drop_column(OLD_COLUMN)
    return {t: found[_key(t)] for t in texts}


class ProductMigrationMixin:
    "Migrates the free-text model of the model's table to its product"
    __slots__ = ()

    @classmethod
    def __register__(cls, module):
        migrate = cls.__table_handler__(module).column_exist(OLD_COLUMN)
        super().__register__(module)
        if migrate:
            migrate_model_name(cls, module)
