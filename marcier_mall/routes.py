# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The public mall: list, detail with the inquiry form, pictures and the
stylesheet (SPEC B1-B3).  Phone browsers and WeChat get the same pages in
the mobile layout."""
import datetime as dt
import hashlib
import re
from http import HTTPStatus
from pathlib import Path

from babel.dates import format_skeleton
from werkzeug.utils import redirect, send_from_directory

from trytond import config
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction

from marcier_web import i18n, web
from marcier_web.i18n import N_, _
from marcier_web.web import (
    CSRF_FIELD, abort, check_csrf, check_throttle, count_attempt, csrf_field,
    html_response, layout, page, render_html)

from . import storefront
from .inquiry import PERIOD_MAX, QUANTITY_MAX, normalise_mobile

# The mall's layout (base.html, error.html: every public page's look) and
# its strings
web.add_template_folder(Path(__file__).parent / 'templates')
i18n.add_catalogue(Path(__file__).parent / 'web_locale')
STATIC = Path(__file__).parent / 'static'
# The one stylesheet, its URL versioned by its content for long caching
STYLESHEET = 'mall.css'
STYLE_VERSION = hashlib.sha256(
    (STATIC / STYLESHEET).read_bytes()).hexdigest()[:12]
web.environment.globals['stylesheet'] = (
    f'/mall/static/{STYLESHEET}?v={STYLE_VERSION}')



def day_month(value):
    "12 Jan (the day and month in the reader's language): when a vehicle comes free"
    return format_skeleton('dMMM', value,
        locale=i18n.babel_locale(i18n.current()))


web.environment.filters['day_month'] = day_month

SIZES = {storefront.THUMB, storefront.PICTURE, storefront.MINI}
YEAR = 365 * 24 * 60 * 60
MARKUP = re.compile(r'[<>]')


def _int(value, default=None, low=1, high=2 ** 31 - 1):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


@page('/mall', model='mall.listing')
def mall(request):
    args = request.args
    tab = args.get('tab') if args.get('tab') in storefront.TABS else 'all'
    category = _int(args.get('category'))
    city = _int(args.get('city'))
    text = args.get('q', '').strip()[:60]
    number = _int(args.get('page'), 1, high=10000)
    available = args.get('available') == '1'
    key = ('list', tab, category, city, text, number, available,
        layout(request), i18n.current())
    html = storefront.pages.get(key)
    if html is None:
        cards, total, number, pages = storefront.search(
            tab, category, city, text, number, available)
        html = render_html(request, 'mall_list.html', **storefront.filters(),
            cards=cards, total=total, page=number, pages=pages,
            fleet_known=Pool().get('mall.listing').mall_availability({})
            is not None,
            filters={'tab': tab, 'category': category, 'city': city,
                'q': text, 'available': 1 if available else None})
        storefront.pages.set(key, html)
    return html_response(request, html, cache='public, max-age=60')


def _detail(listing_id):
    key = ('detail', listing_id, i18n.current())
    listing = storefront.pages.get(key)
    if listing is None:
        listing = storefront.detail(listing_id)
        if listing is None:
            abort(HTTPStatus.NOT_FOUND)
        storefront.pages.set(key, listing)
    return listing


PERIOD_ERRORS = {
    'day': N_("Please enter a rental period from 1 to %(max)s days."),
    'month': N_("Please enter a rental period from 1 to %(max)s months."),
    }
FORM_FIELDS = ['name', 'mobile', 'city', 'quantity', 'period',
    'period_unit', 'start_date', 'message']


def _detail_html(request, listing, token, form=None, errors=None):
    form = {f: (form or {}).get(f, '') for f in FORM_FIELDS}
    return render_html(request, 'mall_detail.html',
        **storefront.filters(), listing=listing, form=form,
        errors=errors or {}, csrf_field=CSRF_FIELD, csrf_token=token,
        sent=request.args.get('sent') == '1',
        quantity_max=QUANTITY_MAX, period_max=PERIOD_MAX,
        today=Pool().get('ir.date').today())


def _detail_page(request, listing, form=None, errors=None, status=200):
    return html_response(request, _detail_html(
            request, listing, csrf_field(request), form, errors), status)


# Stands for the form's token in a cached detail page: each response puts
# its client's own token there (only [A-Za-z0-9_.-] in either)
TOKEN_SLOT = 'csrf-token-slot'


@page('/mall/<int:listing_id>', model='mall.listing')
def listing_page(request, listing_id):
    """A visitor's first view of an offer, rendered once per language,
    layout and day (cleared with the catalogue like the lists); with a
    query (?sent=1, ?lang=) rendered for the request"""
    if request.args:
        return _detail_page(request, _detail(listing_id))
    key = ('detail_html', listing_id, i18n.current(), layout(request),
        request.script_root, Pool().get('ir.date').today())
    html = storefront.pages.get(key)
    if html is None:
        html = storefront.pages.set(key, _detail_html(
                request, _detail(listing_id), TOKEN_SLOT))
    return html_response(request, html.replace(
            TOKEN_SLOT, csrf_field(request)))


def inquiry_values(form, listing):
    "The inquiry's values from the posted form, and the errors per field"
    errors, values = {}, {}
    for name, missing, size in [
            ('name', N_("Please enter your name."), 60),
            ('mobile', N_("Please enter your mobile number."), 20),
            ('message', None, 1000)]:
        value = ' '.join(form.get(name, '').split()) if name != 'message' \
            else form.get(name, '').strip()
        if missing and not value:
            errors[name] = _(missing)
        elif len(value) > size:
            errors[name] = _("Please keep it under %(size)s characters.",
                size=size)
        elif MARKUP.search(value):
            errors[name] = _("Please write plain text, without < or >.")
        values[name] = value
    if 'mobile' not in errors:
        values['mobile'] = normalise_mobile(values['mobile'])
        if not re.fullmatch(r'1[3-9]\d{9}', values['mobile']):
            errors['mobile'] = _(
                "Please enter an 11-digit mobile number, e.g. 13812345678.")
    cities = {c['id'] for c in listing['cities']}
    values['city'] = _int(form.get('city'))
    if values['city'] not in cities:
        errors['city'] = _("Please choose one of the cities served.")
    values['quantity'] = _int(form.get('quantity'), high=QUANTITY_MAX)
    if values['quantity'] is None:
        errors['quantity'] = _(
            "Please enter a number of vehicles from 1 to %(max)s.",
            max=QUANTITY_MAX)
    unit = form.get('period_unit')
    values['period_unit'] = unit if unit in PERIOD_MAX else 'month'
    values['period'] = _int(form.get('period'),
        high=PERIOD_MAX[values['period_unit']])
    if values['period'] is None:
        message = PERIOD_ERRORS[values['period_unit']]
        errors['period'] = _(message, max=PERIOD_MAX[values['period_unit']])
    start = form.get('start_date', '').strip()
    values['start_date'] = None
    if start:
        today = Pool().get('ir.date').today()
        try:
            values['start_date'] = dt.date.fromisoformat(start)
        except ValueError:
            errors['start_date'] = _("Please give a date like 2026-12-01.")
        else:
            if not today <= values['start_date'] <= storefront.max_date():
                errors['start_date'] = _(
                    "Please give a date within the next 12 months.")
    return values, errors


@page('/mall/<int:listing_id>', methods=['POST'], model='mall.listing')
def send_inquiry(request, listing_id):
    Inquiry = Pool().get('mall.inquiry')
    listing = _detail(listing_id)
    check_csrf(request)
    check_throttle('inquiry', request,
        config.getint('marcier', 'inquiry_limit', default=5),
        config.getint('marcier', 'inquiry_window', default=3600))
    values, errors = inquiry_values(request.form, listing)
    if errors:
        return _detail_page(request, listing, request.form, errors,
            status=HTTPStatus.BAD_REQUEST)
    company = Pool().get('mall.listing')(listing_id).company
    with Transaction().set_context(company=company.id):
        Inquiry.create([{**values, 'listing': listing_id,
                    'message': values['message'] or None}])
    count_attempt('inquiry', request)
    return redirect(f'/mall/{listing_id}?sent=1#inquiry', code=303)


@page('/mall/picture/<int:image_id>/<int:size>.jpg', model='mall.listing')
def picture(request, image_id, size):
    if size not in SIZES:
        abort(HTTPStatus.NOT_FOUND)
    image = storefront.picture_of_listed(image_id)
    if image is None:
        abort(HTTPStatus.NOT_FOUND)
    response = Response(image.get(size), mimetype='image/jpeg')
    # The URL carries the picture's version: it never changes
    response.headers['Cache-Control'] = f'public, max-age={YEAR}, immutable'
    response.add_etag()
    return response.make_conditional(request)


@page('/mall/static/<name>', model='mall.listing')
def static(request, name):
    response = send_from_directory(STATIC, name, request.environ,
        max_age=YEAR if request.args.get('v') == STYLE_VERSION else 3600)
    return response.make_conditional(request)


@page('/mall/<path:rest>', methods=['GET', 'POST'])
def not_found(request, rest):
    "Our not-found page for the rest of /mall (not trytond's bare answer)"
    abort(HTTPStatus.NOT_FOUND)
