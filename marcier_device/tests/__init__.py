# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import Pool

__all__ = ['create_product']


def create_product(name, code=None):
    "A catalogue product (product.template) that vehicles can be"
    pool = Pool()
    Template = pool.get('product.template')
    ModelData = pool.get('ir.model.data')
    template, = Template.create([{
                'name': name, 'code': code, 'type': 'assets',
                'default_uom': ModelData.get_id('product', 'uom_unit'),
                }])
    return template
