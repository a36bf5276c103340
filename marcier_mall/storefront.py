# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""What the public mall shows: listed, valid listings only, read as user 0
(no record rule applies), turned into plain values for the templates."""
import datetime as dt
import math

from trytond.cache import Cache
from trytond.pool import Pool

PER_PAGE = 24
TABS = ('all', 'new', 'promotion')
THUMB, PICTURE, MINI = 400, 960, 160
# Rendered list pages and detail values; listings, prices and products
# clear it when they change, the duration covers valid from/to dates
pages = Cache('marcier_mall.storefront', context=False, duration=300)


class ShownMixin:
    "What the mall shows: its cached pages are cleared when it changes"
    __slots__ = ()

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        pages.clear()


def public_domain():
    today = Pool().get('ir.date').today()
    return [
        ('state', '=', 'listed'),
        ('product.active', '=', True),
        ['OR', ('valid_from', '=', None), ('valid_from', '<=', today)],
        ['OR', ('valid_to', '=', None), ('valid_to', '>=', today)],
        ]


def categories():
    "The two levels of categories that have listed products"
    Category = Pool().get('product.category')
    tops = Category.search([('parent', '=', None)])
    return [{
            'id': c.id, 'name': c.name,
            'children': [{'id': s.id, 'name': s.name} for s in c.childs],
            } for c in tops]


def cities():
    City = Pool().get('marcier.city')
    return [{'id': c.id, 'name': c.name} for c in City.search([])]


def _picture(image, size):
    return {'id': image.id, 'size': size,
        'version': int(image.write_date.timestamp())
        if image.write_date else int(image.create_date.timestamp()),
        'description': image.description or ''}


def _price(line):
    return {'place': line.place, 'amount': line.price, 'unit': line.unit,
        'symbol': line.listing.company.currency.symbol}


def search(tab='all', category=None, city=None, text=None, page=1):
    "One page of listing cards and the number of pages"
    Listing = Pool().get('mall.listing')
    domain = public_domain()
    if tab == 'new':
        domain.append(('is_new', '=', True))
    elif tab == 'promotion':
        domain.append(('promotion', '=', True))
    if category:
        domain.append(['OR',
                ('product.mall_category', '=', category),
                ('product.mall_category.parent', '=', category)])
    if city:
        domain.append(('cities', '=', city))
    if text:
        domain.append(['OR',
                ('product.name', 'ilike', f'%{text}%'),
                ('product.code', 'ilike', f'%{text}%'),
                ('product.mall_model.name', 'ilike', f'%{text}%'),
                ])
    total = Listing.search(domain, count=True)
    pages_ = max(1, math.ceil(total / PER_PAGE))
    page = min(page, pages_)
    listings = Listing.search(domain, offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE)
    return [card(l) for l in listings], total, page, pages_


def card(listing):
    product = listing.product
    cover = next(iter(product.images), None)
    lowest = listing.lowest_price
    return {
        'id': listing.id,
        'name': product.name,
        'category': product.mall_category.name,
        'city': listing.agent.city.name if listing.agent.city else '',
        'agent': listing.agent.party.name,
        'rated_load': product.rated_load,
        'price': _price(lowest) if lowest else None,
        'is_new': listing.is_new,
        'promotion': listing.promotion_text if listing.promotion else None,
        'cover': _picture(cover, THUMB) if cover else None,
        }


def detail(listing_id):
    "The values of a public listing's page, None when it is not public"
    Listing = Pool().get('mall.listing')
    listings = Listing.search([('id', '=', listing_id)] + public_domain())
    if not listings:
        return None
    listing, = listings
    product = listing.product
    category = product.mall_category
    return {
        **card(listing),
        'pictures': [{**_picture(i, PICTURE), 'mini': MINI}
            for i in product.images],
        'category_path': ([category.parent.name] if category.parent else [])
        + [category.name],
        'category_id': category.id,
        'model': product.mall_model.rec_name if product.mall_model else '',
        'code': product.code,
        'lift_height': product.lift_height,
        'features': product.feature_lines,
        'parameters': [{'name': p.name, 'value': p.value, 'unit': p.unit}
            for p in product.parameters],
        'prices': [_price(p) for p in listing.prices],
        'cities': [{'id': c.id, 'name': c.name} for c in listing.cities],
        'years_of_use': listing.years_of_use,
        'description': listing.description or '',
        'valid_to': listing.valid_to,
        }


def picture_of_listed(image_id):
    "The product.image when a public listing shows it, else None"
    pool = Pool()
    Image = pool.get('product.image')
    Listing = pool.get('mall.listing')
    images = Image.search([('id', '=', image_id)])
    if images and Listing.search(
            [('product', '=', images[0].template.id)] + public_domain(),
            limit=1, count=True):
        return images[0]


def max_date():
    return Pool().get('ir.date').today() + dt.timedelta(days=366)
