# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The catalogues of the public pages and WeChat replies: complete in every
language, consistent, and no Chinese written in the code."""
import re
import unittest

from babel.messages.checkers import python_format

from marcier import web_messages
from marcier_mall.product import pinyin_keys
from marcier_web import i18n

ROOT = web_messages.ROOT
CJK = re.compile(r'[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]')
PLACEHOLDER = re.compile(r'%\((\w+)\)s')


def ids(message):
    return message.id if isinstance(message.id, tuple) else (message.id,)


def strings(message):
    return (message.string if isinstance(message.string, tuple)
        else (message.string,))


class CatalogueTestCase(unittest.TestCase):
    "Test the page catalogues"

    def catalogues(self):
        for module in web_messages.MODULES:
            for language in web_messages.LANGUAGES:
                path = ROOT / module / 'web_locale' / f'{language}.po'
                yield module, language, web_messages.read(path)

    def test_complete(self):
        "Every string of the sources is translated (scripts/web-messages)"
        for module, language, catalog in self.catalogues():
            sources = web_messages.extract(module)
            for message in sources:
                if not message.id:
                    continue
                with self.subTest(module=module, language=language,
                        msgid=message.id):
                    translation = catalog.get(message.id, message.context)
                    self.assertIsNotNone(translation,
                        "not in the catalogue: run scripts/web-messages")
                    self.assertTrue(all(strings(translation)),
                        "untranslated")
                    self.assertFalse(translation.fuzzy, "fuzzy")

    def test_placeholders(self):
        "A translation keeps the variables of its string, no more"
        for module, language, catalog in self.catalogues():
            for message in catalog:
                if not message.id or not message.string:
                    continue
                with self.subTest(module=module, msgid=message.id):
                    python_format(catalog, message)  # raises when broken
                    names = set(PLACEHOLDER.findall(''.join(ids(message))))
                    for string in strings(message):
                        self.assertEqual(
                            set(PLACEHOLDER.findall(string)), names)

    def test_consistent(self):
        "A string both modules use is translated the same (they are merged)"
        seen = {}
        for module, language, catalog in self.catalogues():
            for message in catalog:
                if message.id:
                    key = (language, message.id if isinstance(
                            message.id, str) else message.id[0])
                    seen.setdefault(key, set()).add(strings(message))
        for key, values in seen.items():
            with self.subTest(msgid=key):
                self.assertEqual(len(values), 1)

    def test_loaded(self):
        "The running catalogues translate a string of each module"
        with i18n.using('zh_CN'):
            self.assertEqual(i18n._("Search"), "搜索")
            self.assertEqual(
                i18n._("What you sent is too big."), "提交的内容过大。")
            self.assertEqual(
                i18n.ngettext("%(count)s year in use",
                    "%(count)s years in use", 3), "已使用 3 年")
        with i18n.using('en'):
            self.assertEqual(i18n._("Search"), "Search")

    def test_no_chinese_in_code(self):
        "The code and templates are in English: Chinese is in catalogues"
        for module in web_messages.MODULES:
            folder = ROOT / module
            for path in [*folder.glob('templates/*.html'),
                    *folder.glob('static/*.js'),
                    *(folder / name for name in ['web.py', 'routes.py',
                            'storefront.py', 'i18n.py', 'bot.py', 'mall.py',
                            'h5.py', 'account.py'])]:
                if not path.exists():
                    continue
                with self.subTest(path=path.relative_to(ROOT)):
                    for number, line in enumerate(
                            path.read_text().splitlines(), 1):
                        # comments may show an example
                        code = line.split('#')[0] if path.suffix == '.py' \
                            else line
                        self.assertIsNone(CJK.search(code),
                            f"line {number}: {line.strip()}")

    def test_language_choice(self):
        "Switch link, cookie, WeChat user, Accept-Language, Chinese"
        from werkzeug.test import EnvironBuilder
        from werkzeug.wrappers import Request

        def choose(query='', headers=None, preferred=None):
            environ = EnvironBuilder(query_string=query,
                headers=headers or {}).get_environ()
            return i18n.choose(Request(environ), preferred)
        wechat = {'User-Agent': 'Mozilla/5.0 MicroMessenger/8.0.50'}
        for expected, query, headers, preferred in [
                ('zh_CN', '', {}, None),
                ('en', 'lang=en', {'Cookie': 'marcier_lang=zh_CN'}, 'zh_CN'),
                ('zh_CN', 'lang=xx', {'Accept-Language': 'zh'}, None),
                ('en', '', {'Cookie': 'marcier_lang=en'}, 'zh_CN'),
                ('en', '', {'Accept-Language': 'zh-CN'}, 'en'),
                ('zh_CN', '', {'Accept-Language': 'en'}, 'zh_TW'),
                ('en', '', {'Accept-Language': 'en-GB,zh;q=0.5'}, None),
                ('zh_CN', '', {'Accept-Language': 'en;q=0.4,zh;q=0.8'},
                    None),
                ('zh_CN', '', {'Accept-Language': 'en', **wechat}, None),
                ('en', '', {'Accept-Language': 'zh', **wechat}, 'en'),
                ('zh_CN', '', {'Accept-Language': 'ja'}, None),
                ]:
            with self.subTest(query=query, headers=headers,
                    preferred=preferred):
                self.assertEqual(
                    choose(query, headers, preferred), expected)

    def test_formats(self):
        "Prices and dates for the language"
        import datetime as dt
        from decimal import Decimal
        with i18n.using('zh_CN'):
            self.assertEqual(i18n.money(Decimal('4800'), 'CNY'), '¥4,800')
            self.assertEqual(i18n.money(Decimal('1250.5'), 'CNY'),
                '¥1,250.50')
            self.assertEqual(i18n.date(dt.date(2026, 12, 2)), '2026年12月2日')
        with i18n.using('en'):
            self.assertEqual(i18n.money(Decimal('4800'), 'CNY'), 'CN¥4,800')
            self.assertEqual(i18n.date(dt.date(2026, 12, 2)), 'Dec 2, 2026')
            self.assertEqual(
                i18n.datetime(dt.datetime(2026, 12, 2, 14, 5)),
                '12/2/26, 2:05\u202fPM')
        self.assertEqual(pinyin_keys("MC-G4 高尔夫球车"),
            ['gefqc', 'gaoerfuqiuche'])
