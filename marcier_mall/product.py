# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The mall catalogue on Tryton's products: categories (two levels),
product models (型号) and the mall fields of the product template; the
pictures are product_image's images of the template, the first the cover."""
from urllib.parse import urlencode

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval

from . import product_image, storefront
from .exceptions import CategoryError, ProductError


def split_features(text):
    "The features, one per line of the text"
    return [f.strip() for f in (text or '').splitlines() if f.strip()]


class Category(storefront.ShownMixin, metaclass=PoolMeta):
    __name__ = 'product.category'

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
    del _mall

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
