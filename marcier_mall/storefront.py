# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""What the public mall shows: listed, valid listings only, read as user 0
(no record rule applies), turned into plain values for the templates, in
the transaction's language (the catalogue's names are translatable)."""
import datetime as dt
import math

from sql import As, Literal, NullsFirst
from sql.aggregate import Min
from sql.conditionals import Coalesce

from trytond import backend
from trytond.cache import Cache
from trytond.model import fields
from trytond.pool import Pool
from trytond.tools import sqlite_apply_types
from trytond.transaction import Transaction

PER_PAGE = 24
TABS = ('all', 'new', 'promotion')
THUMB, PICTURE, MINI = 400, 960, 160
# Rendered list pages and detail values, keyed by language; listings,
# prices and products clear it when they change, the duration covers valid
# from/to dates
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


def filters():
    "The categories (two levels) and cities to filter on, cached"
    pool = Pool()
    Category = pool.get('product.category')
    City = pool.get('marcier.city')
    key = ('filters', Transaction().language)
    values = pages.get(key)
    if values is None:
        children = {}
        for category in Category.search([('parent', '!=', None)]):
            children.setdefault(category.parent.id, []).append(
                {'id': category.id, 'name': category.name})
        values = pages.set(key, {
                'categories': [{
                        'id': c.id, 'name': c.name,
                        'children': children.get(c.id, []),
                        } for c in Category.search([('parent', '=', None)])],
                'cities': [{'id': c.id, 'name': c.name}
                    for c in City.search([])],
                })
    return values


def keywords():
    """Words that find public listings in the transaction's language: the
    names of their top categories, the most listed first, then of their
    sub-categories (the keywords of a product hold its categories' names)"""
    pool = Pool()
    Listing = pool.get('mall.listing')
    Category = pool.get('product.category')
    key = ('keywords', Transaction().language)
    names = pages.get(key)
    if names is None:
        tops, subs = {}, {}
        for listing in Listing.search(public_domain()):
            category = listing.product.mall_category
            if category.parent:
                subs[category.id] = subs.get(category.id, 0) + 1
                category = category.parent
            tops[category.id] = tops.get(category.id, 0) + 1
        names = []
        for counts in [tops, subs]:
            ids = sorted(counts, key=lambda i: (-counts[i], i))
            names += [Category(i).name for i in ids]
        names = pages.set(key, list(dict.fromkeys(names)))
    return names


def search(tab='all', category=None, city=None, text=None, page=1,
        available=False):
    """One page of listing cards and the number of pages; available: only
    the listings with a vehicle free now (in city)"""
    Listing = Pool().get('mall.listing')
    domain = public_domain()
    if available:
        domain.append(Listing.mall_available_domain(city) or [])
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
        # The keywords hold the names of every language and their pinyin;
        # the name of the page's language covers stale keywords
        domain.append(['OR',
                ('product.mall_keywords', 'ilike', f'%{text}%'),
                ('product.name', 'ilike', f'%{text}%'),
                ('product.code', 'ilike', f'%{text}%'),
                ])
    total = Listing.search(domain, count=True)
    pages_ = max(1, math.ceil(total / PER_PAGE))
    page = min(page, pages_)
    listings = Listing.search(domain, offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE)
    return cards(listings, city), total, page, pages_


def cached(key, function):
    "The value of function(), kept in the page cache under key"
    value = pages.get(key)
    if value is None:
        value = pages.set(key, function())
    return value


def availability(listings):
    """{listing id: [{'city', 'count', 'next'}]} of listings {id: (agent
    id, product id, [city ids])}, the counts of vehicles free now and the
    first date one comes free in each city; None when the fleet is unknown
    (the leasing module tells it)"""
    Listing = Pool().get('mall.listing')
    found = Listing.mall_availability(listings)
    if found is None:
        return None
    return {l: [{'city': c, 'count': n, 'next': d} for c, n, d in cities]
        for l, cities in found.items()}


def headline(cities, names, city=None):
    """The card's line of availability: the filtered city, else the one
    with the most vehicles free now, else the first to have one free"""
    if not cities:
        return None
    if city:
        cities = [c for c in cities if c['city'] == city] or cities
    best = max(cities, key=lambda c: c['count'])
    if not best['count']:
        dated = [c for c in cities if c['next']]
        best = min(dated, key=lambda c: c['next']) if dated else best
    return {**best, 'name': names.get(best['city'], '')}


def cards(listings, city=None):
    """The cards of listings in one query: the list is the busiest page,
    the ORM would read each relation of 24 records in turn"""
    pool = Pool()
    Listing = pool.get('mall.listing')
    Template = pool.get('product.template')
    Category = pool.get('product.category')
    Agent = pool.get('marcier.agent')
    Party = pool.get('party.party')
    City = pool.get('marcier.city')
    Price = pool.get('mall.listing.price')
    Image = pool.get('product.image')
    if not listings:
        return []
    ListingCity = pool.get('mall.listing-marcier.city')
    listing, template, category = (Listing.__table__(),
        Template.__table__(), Category.__table__())
    agent, party, city = (
        Agent.__table__(), Party.__table__(), City.__table__())
    price, image = Price.__table__(), Image.__table__()

    def lowest(unit):
        return price.select(Min(price.price),
            where=(price.listing == listing.id) & (price.unit == unit))

    def cover(column):
        return image.select(column, where=image.template == template.id,
            order_by=[NullsFirst(image.sequence), image.id], limit=1)
    query = listing.join(template, condition=listing.product == template.id
        ).join(category, condition=template.mall_category == category.id
        ).join(agent, condition=listing.agent == agent.id
        ).join(party, condition=agent.party == party.id
        ).join(city, 'LEFT', condition=agent.city == city.id
        ).select(listing.id, template.name, category.name, city.name,
            party.name, template.rated_load, listing.is_new,
            listing.promotion, listing.promotion_text, listing.company,
            As(lowest('month'), 'month'), As(lowest('day'), 'day'),
            cover(image.id),
            As(cover(Coalesce(image.write_date, image.create_date)),
                'cover_date'),
            template.id, category.id, city.id, listing.agent,
            where=fields.SQL_OPERATORS['in'](
                listing.id, [l.id for l in listings]))
    if backend.name == 'sqlite':
        sqlite_apply_types(query, [None] * 10 + ['NUMERIC', 'NUMERIC', None,
                'TIMESTAMP', None, None, None, None])
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    rows = {r[0]: r for r in cursor}
    served = ListingCity.__table__()
    cursor.execute(*served.select(served.listing, served.city,
            where=fields.SQL_OPERATORS['in'](served.listing, list(rows)),
            order_by=[served.listing, served.id]))
    cities = {}
    for listing_id, city_id in cursor:
        cities.setdefault(listing_id, []).append(city_id)
    free = availability({i: (r[17], r[14], cities.get(i, []))
            for i, r in rows.items()})
    city_names = {c['id']: c['name'] for c in filters()['cities']}
    currencies = company_currencies()
    names = translated()
    result = []
    for listing in listings:
        (id_, name, category_, city_, agent_, load, new, promotion, text,
            company, month, day, cover_id, cover_date, template_id,
            category_id, city_id, _) = rows[listing.id]
        name = names['product.template,name'].get(template_id, name)
        category_ = names['product.category,name'].get(category_id, category_)
        city_ = names['marcier.city,name'].get(city_id, city_)
        text = names['mall.listing,promotion_text'].get(id_, text)
        amount, unit = (month, 'month') if month is not None else (
            day, 'day')
        result.append({
                'id': id_, 'name': name, 'category': category_,
                'city': city_ or '', 'agent': agent_, 'rated_load': load,
                'price': {'amount': amount, 'unit': unit,
                    **currencies[company]}
                if amount is not None else None,
                'is_new': bool(new),
                'promotion': text if promotion else None,
                'cover': {'id': cover_id, 'size': THUMB,
                    'version': int(cover_date.timestamp())}
                if cover_id else None,
                'availability': headline(free[id_], city_names, city)
                if free is not None else None,
                'free': free[id_] if free is not None else None,
                })
    return result


# The translatable texts of the cards
CARD_TEXTS = ['product.template,name', 'product.category,name',
    'marcier.city,name', 'mall.listing,promotion_text']


def translated():
    """The cards' texts in the transaction's language, {'model,field':
    {id: text}}, empty in the default language (the columns hold it);
    cached, so that a page in another language costs no query more than
    one in the default language"""
    pool = Pool()
    Configuration = pool.get('ir.configuration')
    Translation = pool.get('ir.translation')
    language = Transaction().language
    if language == Configuration.get_language():
        return {name: {} for name in CARD_TEXTS}
    key = ('translations', language)
    texts = pages.get(key)
    if texts is None:
        texts = {name: {} for name in CARD_TEXTS}
        translation = Translation.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*translation.select(
                translation.name, translation.res_id, translation.value,
                where=(translation.lang == language)
                & (translation.type == 'model')
                & (translation.fuzzy == Literal(False))
                & fields.SQL_OPERATORS['in'](translation.name, CARD_TEXTS)))
        for name, res_id, value in cursor:
            if value:
                texts[name][res_id] = value
        texts = pages.set(key, texts)
    return texts


def company_currencies():
    "{company id: {'symbol', 'currency'}} of the companies' currencies"
    Company = Pool().get('company.company')
    currencies = pages.get('currencies')
    if currencies is None:
        currencies = pages.set('currencies', {
                c.id: {'symbol': c.currency.symbol,
                    'currency': c.currency.code}
                for c in Company.search([])})
    return currencies


def card(listing):
    return cards([listing])[0]


def detail(listing_id):
    """The values of a public listing's page, None when it is not public;
    read field by field: the product's other fields cost queries"""
    pool = Pool()
    from .product import split_features  # product imports this module
    Listing = pool.get('mall.listing')
    Template = pool.get('product.template')
    Image = pool.get('product.image')
    Parameter = pool.get('mall.product.parameter')
    Price = pool.get('mall.listing.price')
    City = pool.get('marcier.city')
    listings = Listing.search([('id', '=', listing_id)] + public_domain())
    if not listings:
        return None
    listing, = Listing.read([listing_id], ['product', 'cities',
            'years_of_use', 'description', 'valid_to'])
    product, = Template.read([listing['product']], ['code', 'lift_height',
            'features', 'mall_category', 'mall_category.name',
            'mall_category.parent.name', 'mall_model.rec_name'])
    category = product['mall_category.']
    values = card(listings[0])
    cities = City.read(listing['cities'], ['name'])
    names = {c['id']: c['name'] for c in cities}
    free = values.pop('free')
    symbol = values['price']['symbol'] if values['price'] else ''
    currency = values['price']['currency'] if values['price'] else None
    return {
        **values,
        'pictures': [{
                'id': i['id'], 'size': PICTURE, 'mini': MINI,
                'version': int((i['write_date'] or i['create_date'])
                    .timestamp()),
                'description': i['description'] or '',
                } for i in Image.search_read(
                [('template', '=', product['id'])], fields_names=[
                    'description', 'write_date', 'create_date'])],
        'category_path': [n for n in [
                (category.get('parent.') or {}).get('name'),
                category['name']] if n],
        'category_id': product['mall_category'],
        'model': (product['mall_model.'] or {}).get('rec_name', ''),
        'code': product['code'],
        'lift_height': product['lift_height'],
        'features': split_features(product['features']),
        'parameters': Parameter.search_read(
            [('template', '=', product['id'])], fields_names=[
                'name', 'value', 'unit']),
        'prices': [{'place': (p['city.'] or {}).get('name') or p['region'],
                'amount': p['price'], 'unit': p['unit'],
                'symbol': symbol, 'currency': currency}
            for p in Price.search_read([('listing', '=', listing_id)],
                fields_names=['city.name', 'region', 'price', 'unit'])],
        'cities': cities,
        'availability': [{**c, 'name': names[c['city']]}
            for c in free] if free is not None else None,
        'years_of_use': listing['years_of_use'],
        'description': listing['description'] or '',
        'valid_to': listing['valid_to'],
        }


def shown(template):
    "Whether a public listing shows the product template"
    Listing = Pool().get('mall.listing')
    return bool(Listing.search(
            [('product', '=', template.id)] + public_domain(),
            limit=1, count=True))


def picture_of_listed(image_id):
    "The product.image when a public listing shows it, else None"
    Image = Pool().get('product.image')
    images = Image.search([('id', '=', image_id)])
    if images and shown(images[0].template):
        return images[0]


def max_date():
    return Pool().get('ir.date').today() + dt.timedelta(days=366)
