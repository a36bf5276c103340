# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The mall catalogue on Tryton's products: categories (two levels),
product models (型号) and the mall fields of the product template; the
pictures are product_image's images of the template, the first the cover."""
import re
from urllib.parse import urlencode

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction

from marcier_web import i18n

from . import product_image, storefront
from .exceptions import CategoryError, ProductError


CJK = re.compile(r'[\u3400-\u9fff]+')


def split_features(text):
    "The features, one per line of the text"
    return [f.strip() for f in (text or '').splitlines() if f.strip()]


def pinyin_keys(text):
    """The pinyin initials and the full pinyin of the Chinese runs of text,
    for searches typed with a Latin keyboard ("gef" finds golf carts)"""
    runs = CJK.findall(text or '')
    if not runs:
        return []
    from pypinyin import Style, lazy_pinyin  # its dictionary is large
    keys = []
    for run in runs:
        keys.append(''.join(lazy_pinyin(run, style=Style.FIRST_LETTER)))
        keys.append(''.join(lazy_pinyin(run)))
    return keys


class Category(storefront.ShownMixin, metaclass=PoolMeta):
    __name__ = 'product.category'

    @classmethod
    def on_modification(cls, mode, categories, field_names=None):
        super().on_modification(mode, categories, field_names=field_names)
        if mode == 'write' and 'name' in field_names:
            Template = Pool().get('product.template')
            Template.update_mall_keywords(Template.search(['OR',
                        ('mall_category', 'in', [c.id for c in categories]),
                        ('mall_category.parent', 'in',
                            [c.id for c in categories]),
                        ]))

    @classmethod
    def validate_fields(cls, categories, field_names):
        super().validate_fields(categories, field_names)
        if 'parent' in field_names:
            cls.check_depth(categories)

    @classmethod
    def check_depth(cls, categories):
        "The mall shows categories and sub-categories, nothing deeper"
        for category in categories:
            if category.parent and (category.parent.parent or category.childs):
                raise CategoryError(gettext(
                        'marcier_mall.msg_category_depth',
                        category=category.rec_name))

    @classmethod
    def check_modification(cls, mode, categories, values=None, external=False):
        super().check_modification(
            mode, categories, values=values, external=external)
        if mode == 'delete':
            cls.check_unused(categories)

    @classmethod
    def check_unused(cls, categories):
        Template = Pool().get('product.template')
        for category in categories:
            if set(category.childs) - set(categories):
                raise CategoryError(gettext(
                        'marcier_mall.msg_category_delete_children',
                        category=category.rec_name))
            products = Template.search([
                    ('mall_category', '=', category.id),
                    ], limit=1)
            if products:
                raise CategoryError(gettext(
                        'marcier_mall.msg_category_delete_products',
                        category=category.rec_name,
                        product=products[0].rec_name))


class ProductModel(
        storefront.ShownMixin, DeactivableMixin, ModelSQL, ModelView):
    "Product model (型号) of the maker's vehicles"
    __name__ = 'mall.product.model'
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", required=True, strip=True)
    description = fields.Text("Description", translate=True)
    products = fields.One2Many(
        'product.template', 'mall_model', "Products", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'marcier_mall.msg_product_model_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))

    def get_rec_name(self, name):
        return f'{self.code} {self.name}'

    @classmethod
    def on_modification(cls, mode, models, field_names=None):
        super().on_modification(mode, models, field_names=field_names)
        if mode == 'write' and 'name' in field_names:
            Template = Pool().get('product.template')
            Template.update_mall_keywords(Template.search(
                    [('mall_model', 'in', [m.id for m in models])]))

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') or operator.startswith(
            'not ') else 'OR'
        return [bool_op,
            ('code', operator, value, *clause[3:]),
            ('name', operator, value, *clause[3:]),
            ]


class Template(storefront.ShownMixin, metaclass=PoolMeta):
    __name__ = 'product.template'
    mall = fields.Boolean(
        "Mall Product", help="Shown in the mall catalogue: agents list it.")
    _mall = {'required': Bool(Eval('mall')), 'invisible': ~Eval('mall')}
    mall_category = fields.Many2One(
        'product.category', "Mall Category", ondelete='RESTRICT',
        states=_mall)
    mall_model = fields.Many2One(
        'mall.product.model', "Product Model", ondelete='RESTRICT',
        states=_mall)
    rated_load = fields.Integer(
        "Rated Load", states=_mall, help="In kilograms.",
        domain=['OR', ('rated_load', '=', None), ('rated_load', '>', 0)])
    lift_height = fields.Integer(
        "Lift Height", states={'invisible': ~Eval('mall')},
        help="In millimetres; empty for vehicles that lift nothing.",
        domain=['OR', ('lift_height', '=', None), ('lift_height', '>', 0)])
    features = fields.Text(
        "Features", translate=True, states={'invisible': ~Eval('mall')},
        help="One feature per line.")
    parameters = fields.One2Many(
        'mall.product.parameter', 'template', "Technical Parameters",
        states={'invisible': ~Eval('mall')})
    mall_keywords = fields.Text("Mall Keywords", readonly=True,
        help="What the mall's search and WeChat keywords match: the names, "
        "category, model and features in each language of the mall, and "
        "the pinyin of the Chinese ones.")
    # Substrings ("gef" of "gefqc"), not PostgreSQL's whole-word text search
    mall_keywords.search_full_text = False
    del _mall
    _keyword_fields = {
        'name', 'features', 'mall', 'mall_category', 'mall_model'}

    @classmethod
    def __register__(cls, module):
        new_keywords = not cls.__table_handler__(module).column_exist(
            'mall_keywords')
        super().__register__(module)
        # Migration: the keywords of a catalogue made before they existed
        if new_keywords:
            cls.update_mall_keywords(cls.search([('mall', '=', True)]))

    @classmethod
    def default_mall(cls):
        return False

    def _image_url(self, base, **args):
        url = super()._image_url(base, **args)
        if url:
            # sao shows it in an <img> tag, without the user's session:
            # the grant opens the pictures of products the mall hides
            url += '&' + urlencode(product_image.grant(self))
        return url

    @classmethod
    def on_modification(cls, mode, templates, field_names=None):
        super().on_modification(mode, templates, field_names=field_names)
        # A translation is written in its language: the same hook
        if mode == 'create' or (
                mode == 'write' and field_names & cls._keyword_fields):
            cls.update_mall_keywords(templates)

    @classmethod
    def update_mall_keywords(cls, templates):
        """Store the keywords of the mall's templates; computed when a name
        changes, not per search (pinyin is slow)"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        ids = [t.id for t in templates]
        texts = {i: [] for i in ids}
        for language in i18n.LANGUAGES:
            with Transaction().set_context(language=language):
                for template in cls.browse(ids):
                    category = template.mall_category
                    texts[template.id] += [template.name, template.features,
                        category.name if category else None,
                        category.parent.name
                        if category and category.parent else None,
                        template.mall_model.name
                        if template.mall_model else None]
        for id_, values in texts.items():
            words = [v.lower() for v in dict.fromkeys(filter(None, values))]
            pinyin = [k for w in words for k in pinyin_keys(w)]
            cursor.execute(*table.update([table.mall_keywords],
                    ['\n'.join(dict.fromkeys(words + pinyin))],
                    where=table.id == id_))

    @property
    def feature_lines(self):
        return split_features(self.features)

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        if field_names & {'mall', 'mall_category'}:
            cls.check_mall_category(templates)

    @classmethod
    def check_mall_category(cls, templates):
        for template in templates:
            if template.mall and not template.mall_category:
                raise ProductError(gettext(
                        'marcier_mall.msg_product_category_required',
                        product=template.rec_name))


class Parameter(
        storefront.ShownMixin, sequence_ordered(), ModelSQL, ModelView):
    "Technical parameter of a mall product"
    __name__ = 'mall.product.parameter'
    template = fields.Many2One(
        'product.template', "Product", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    value = fields.Char("Value", required=True)
    unit = fields.Char("Unit")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('template')


class Image(storefront.ShownMixin, metaclass=PoolMeta):
    __name__ = 'product.image'
