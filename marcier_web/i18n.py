# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The language of the public pages (mall, WeChat H5) and of the WeChat
replies, and their Babel catalogues.

Each module keeps its page strings in ``web_locale/<language>.po`` (see
babel.cfg and scripts/web-messages); they are compiled in memory the first
time a language is used, so a wheel or an editable install needs no build
step.  English is the source language.

The language of a request: the switch link ``?lang=`` (remembered in a
cookie), else the WeChat user's language when known, else, outside
WeChat's browser, ``Accept-Language``; Chinese first otherwise.
"""
import contextlib
import contextvars
import functools
import io
from datetime import timezone
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, parse_pattern
from babel.support import NullTranslations, Translations

LANGUAGES = ('zh_CN', 'en')
DEFAULT = 'zh_CN'
SOURCE = 'en'  # the language of the msgids: no catalogue
COOKIE = 'marcier_lang'
COOKIE_AGE = 365 * 24 * 60 * 60
WECHAT_AGENT = 'MicroMessenger'

UTC = timezone.utc
_folders = [Path(__file__).parent / 'web_locale']
_translations = {}
_current = contextvars.ContextVar('marcier_language', default=DEFAULT)


def add_catalogue(folder):
    "Let a module add its page catalogues (web_locale/<language>.po)"
    _folders.append(Path(folder))
    _translations.clear()


def _compile(path):
    with path.open('rb') as file:
        catalog = read_po(file, locale=path.stem)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out
    buffer.seek(0)
    return Translations(buffer)


def translations(language):
    "The merged catalogues of language"
    result = _translations.get(language)
    if result is None:
        result = NullTranslations()
        if language != SOURCE:
            for folder in _folders:
                path = folder / f'{language}.po'
                if path.exists():
                    if isinstance(result, Translations):
                        result.merge(_compile(path))
                    else:
                        result = _compile(path)
        _translations[language] = result
    return result


def match(code):
    "The page language serving the language code (zh-TW reads zh_CN too)"
    code = (code or '').replace('-', '_').lower()
    for language in LANGUAGES:
        if code.split('_')[0] == language.split('_')[0].lower():
            return language


def choose(request, preferred=None):
    """The language of request's page; preferred is the WeChat user's.
    Inside WeChat the phone's Accept-Language is not the user's choice:
    WeChat's own setting (preferred) is, else Chinese."""
    if (language := request.args.get('lang')) in LANGUAGES:
        return language
    if (language := request.cookies.get(COOKIE)) in LANGUAGES:
        return language
    if language := match(preferred):
        return language
    if WECHAT_AGENT in request.headers.get('User-Agent', ''):
        return DEFAULT
    for code, quality in request.accept_languages:
        if quality > 0 and (language := match(code)):
            return language
    return DEFAULT


def activate(language):
    "Make language the one of the strings and formats of this request"
    _current.set(language if language in LANGUAGES else DEFAULT)
    return _current.get()


def current():
    return _current.get()


@contextlib.contextmanager
def using(language):
    "Strings and formats in language for a while (e.g. a WeChat reply)"
    token = _current.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def html_lang(language=None):
    "The BCP 47 tag of the <html lang> attribute"
    return (language or current()).replace('_', '-')


def remember(request, response):
    "Keep the language chosen with the switch link in the cookie"
    language = request.args.get('lang')
    if language in LANGUAGES and language != request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, language, max_age=COOKIE_AGE,
            path='/', samesite='Lax', httponly=True,
            secure=request.scheme == 'https')
    return response


def _(message, **variables):
    "message in the current language, with %(name)s variables filled"
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular, plural, number, **variables):
    "The form for number, its %(count)s filled (as in the templates)"
    text = translations(current()).ngettext(singular, plural, number)
    return text % {'count': number, **variables}


def N_(message):
    "Mark message for extraction; translate it with _() when shown"
    return message


@functools.cache
def babel_locale(language):
    """Babel's Locale of language, parsed once: parsing a name looks it up
    among every locale Babel knows (a quarter of a page's rendering)"""
    return Locale.parse(language)


def money(amount, currency='CNY'):
    """amount for the current language: 4,800 and 1,250.50 with the
    currency's symbol (the decimals only when there are)"""
    locale = babel_locale(current())
    if amount == int(amount):
        pattern = parse_pattern(locale.currency_formats['standard'].pattern)
        pattern.frac_prec = (0, 0)
        return pattern.apply(amount, locale, currency=currency,
            currency_digits=False)
    return format_currency(amount, currency, locale=locale)


def date(value, format='medium'):
    "The medium date of the language, e.g. Dec 2, 2026 in English"
    if not value:
        return ''
    return _format_date(value, format, locale=babel_locale(current()))


def datetime(value, format='short'):
    "The short date and time, e.g. 12/2/26, 2:05 PM (the time as stored)"
    if not value:
        return ''
    # Naive values are read as UTC by Babel: UTC out keeps them as stored
    return _format_datetime(value, format, tzinfo=UTC,
        locale=babel_locale(current()))

