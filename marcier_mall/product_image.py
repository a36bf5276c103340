# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""product_image's picture routes (/product/image/<code>/<db>/...,
/product/variant/image/..., /product-category/image/...) in place of the
stock ones, which serve every product's pictures to anyone.

Their URLs carry no session (sao shows them in <img> tags), so:
- a product's pictures go to anyone only while a public listing shows it
  (storefront.shown), and to whoever holds the grant that image_url adds
  for the back-office users who may read the product; 404 otherwise;
- categories are public (the mall's filters name them);
- sizes snap to the few the clients ask for (sao's list icons 20, its
  image widgets 48, image_url 64, the mall's three): any other size added
  a row to the image cache, and one above the biggest answered 500."""
import bisect
import datetime as dt
import hmac
import re

from trytond.modules.product_image import routes as stock
from trytond.protocols.wrappers import HTTPStatus, Response, abort
from trytond.transaction import Transaction

from marcier_web import web

from . import storefront

SIZES = (20, 48, 64, storefront.MINI, storefront.THUMB, storefront.PICTURE)
GRANT_DAYS = 2  # an image_url read today works until the day after
MAX_AGE = 3600
EPOCH = dt.date(1970, 1, 1)
NUMBER = re.compile(r'\d{1,6}')


def snap(size):
    "The smallest of SIZES that holds size, or the biggest"
    return SIZES[min(bisect.bisect_left(SIZES, size), len(SIZES) - 1)]


def _day():
    return (dt.date.today() - EPOCH).days


def _grant_text(record, expires):
    return (f'{Transaction().database.name}:{record.__name__}:'
        f'{record.code}:{expires}')


def grant(record):
    "The URL arguments that let a client without session see the pictures"
    expires = _day() + GRANT_DAYS
    return {'e': expires,
        'k': web.sign('product-image', _grant_text(record, expires))}


def granted(request, record):
    expires, key = request.args.get('e', ''), request.args.get('k', '')
    if not NUMBER.fullmatch(expires) or int(expires) < _day():
        return False
    return hmac.compare_digest(key,
        web.sign('product-image', _grant_text(record, int(expires))))


def _number(request, name, default):
    value = request.args.get(name)
    if value is None:
        return default
    if not NUMBER.fullmatch(value):
        abort(HTTPStatus.BAD_REQUEST)
    return int(value)


def _image(request, pool, record):
    "product_image's _image: the pictures of record, or 404"
    try:
        pool.get('mall.listing')
    except KeyError:  # a database without the mall
        abort(HTTPStatus.NOT_FOUND)
    if record.__name__ == 'product.category':
        public = True
    elif record.__name__ == 'product.product':
        public = storefront.shown(record.template)
    else:
        public = storefront.shown(record)
    if not public and not granted(request, record):
        abort(HTTPStatus.NOT_FOUND)
    pattern = {k: v for k, v in request.args.items()
        if k in record.__class__.images.get_target().allowed_match_keys()}
    if any(v not in {'0', '1'} for v in pattern.values()):
        abort(HTTPStatus.BAD_REQUEST)  # product_image reads them as 0 or 1
    index = _number(request, 'i', 0)
    size = _number(request, 's', storefront.THUMB)
    width = _number(request, 'w', size)
    height = _number(request, 'h', size)
    if not (size and width and height):
        abort(HTTPStatus.BAD_REQUEST)
    images = list(record.get_images(pattern))
    if index >= len(images):
        abort(HTTPStatus.NOT_FOUND)
    response = Response(
        images[index].get((snap(width), snap(height))),
        mimetype='image/jpeg')
    # Short: a delisted product's pictures leave the shared caches soon
    response.headers['Cache-Control'] = (
        f"{'public' if public else 'private'}, max-age={MAX_AGE}")
    response.add_etag()
    return response.make_conditional(request)


# The stock routes find the product (or variant, or category) by its
# code, then call this module's _image
stock._image = _image
