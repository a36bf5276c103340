# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The public mall through trytond's WSGI application (werkzeug client)."""
import io
import re
import urllib.parse
from decimal import Decimal

from PIL import Image as PILImage
from werkzeug.datastructures import Headers

from trytond import config
from trytond.modules.company.tests import create_company
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction
from trytond.wsgi import Base64Converter

from marcier_base.tests.test_module import create_agent

from .test_module import create_city, create_listing, create_product


def jpeg(colour):
    data = io.BytesIO()
    PILImage.new('RGB', (600, 400), colour).save(data, format='JPEG')
    return data.getvalue()


def csrf(response):
    return re.search(
        r'name="csrf_token" value="([0-9a-f]+)"', response.text).group(1)


class MallRouteTestCase(RouteTestCase):
    "Test the public mall pages"
    module = 'marcier_mall'

    @classmethod
    def setUpClass(cls):
        if not config.has_section('marcier'):
            config.add_section('marcier')
        config.set('marcier', 'database', DB_NAME)
        config.set('marcier', 'inquiry_limit', '3')
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        config.set('marcier', 'inquiry_limit', '5')  # the default

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Listing = pool.get('mall.listing')
        Image = pool.get('product.image')
        Category = pool.get('product.category')
        company = create_company()
        shanghai, beijing = create_city("Shanghai"), create_city("Beijing")
        agent_a, agent_b = create_agent(company, 'A'), create_agent(
            company, 'B')
        cart = create_product("Golf Cart G4")
        Image.create([{'template': cart.id, 'image': jpeg(c)}
                for c in ['red', 'blue']])
        lifts, = Category.create([{'name': "Forklifts"}])
        electric, = Category.create([{'name': "Electric", 'parent': lifts}])
        forklift = create_product("Forklift <b>F15</b>", electric,
            lift_height=3000)
        hidden = create_product("Hidden Sweeper S1")
        Image.create([{'template': hidden.id, 'image': jpeg('green')}])
        listings = [create_listing(agent_a, cart, shanghai),
            create_listing(agent_b, forklift, beijing, Decimal('5100.50'))]
        Listing.write(listings[1:], {'is_new': True})
        Listing.submit(listings)
        Listing.approve(listings)
        create_listing(agent_a, hidden, shanghai)  # a draft
        # Chinese values; the forklift keeps its English name only
        with Transaction().set_context(language='zh_CN'):
            for record, values in [
                    (cart, {'name': "高尔夫球车 G4",
                            'features': "静音\n锂电池"}),
                    (cart.mall_category.parent, {'name': "高尔夫球车"}),
                    (cart.parameters[0], {'name': "最高车速"}),
                    (lifts, {'name': "叉车"}),
                    (shanghai, {'name': "上海"}),
                    (beijing, {'name': "北京"}),
                    ]:
                record.__class__.write([record], values)

    def client(self, language='en', agent=None):
        """A client asking for language (None: for nothing) with the user
        agent; English by default, the language of the texts tested"""
        client = super().client()
        open_ = client.open

        def open(*args, headers=None, **kwargs):
            headers = Headers(headers or {})
            if language:
                headers.setdefault('Accept-Language', language)
            if agent:
                headers.setdefault('User-Agent', agent)
            return open_(*args, headers=headers, **kwargs)
        client.open = open
        return client

    def ids(self):
        with Transaction().start(DB_NAME, 0):
            Listing = Pool().get('mall.listing')
            return {l.product.code: l.id for l in Listing.search([])}

    def test_list(self):
        "The list shows listed offers only, filtered and searched"
        client = self.client()
        response = client.get('/mall')
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("Golf Cart G4", page)
        self.assertIn("Forklift &lt;b&gt;F15&lt;/b&gt;", page)
        self.assertNotIn("<b>F15", page)
        self.assertNotIn("Hidden Sweeper", page)
        self.assertIn("5,100.50", page)
        for query, shown, not_shown in [
                ('tab=new', "Forklift", "Golf Cart"),
                ('tab=promotion', None, "Golf Cart"),
                ('q=golf', "Golf Cart", "Forklift"),
                ('q=%3Cscript%3E', None, "Golf Cart"),
                ]:
            with self.subTest(query=query):
                page = client.get(f'/mall?{query}').text
                if shown:
                    self.assertIn(shown, page)
                self.assertNotIn(f'<h3 class="card-name">{not_shown}', page)
        # The top category shows the products of its sub-categories
        with Transaction().start(DB_NAME, 0):
            Category = Pool().get('product.category')
            lifts, = Category.search([('name', '=', "Forklifts")])
            lifts = lifts.id
            City = Pool().get('marcier.city')
            beijing, = City.search([('name', '=', "Beijing")])
            beijing = beijing.id
        page = client.get(f'/mall?category={lifts}').text
        self.assertIn("Forklift", page)
        self.assertNotIn('card-name">Golf Cart', page)
        page = client.get(f'/mall?city={beijing}').text
        self.assertIn("Forklift", page)
        self.assertNotIn('card-name">Golf Cart', page)
        # Nonsense parameters are ignored, never an error
        for query in ['page=abc', 'page=99999999999', 'category=-4',
                'city=x', 'tab=<x>']:
            with self.subTest(query=query):
                self.assertEqual(client.get(f'/mall?{query}').status_code,
                    200)

    def test_security_headers(self):
        "Every page forbids framing, sniffing and inline scripts"
        client = self.client()
        for path in ['/mall', f'/mall/{self.ids()["Golf-Cart-G4"]}',
                '/mall/999999']:
            with self.subTest(path=path):
                headers = client.get(path).headers
                csp = headers['Content-Security-Policy']
                self.assertIn("frame-ancestors 'none'", csp)
                self.assertNotIn('unsafe-inline', csp)
                self.assertEqual(headers['X-Frame-Options'], 'DENY')
                self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')
                self.assertIn('Referrer-Policy', headers)

    def test_detail(self):
        "A listed offer's page; a draft or unknown one is not found"
        client = self.client()
        ids = self.ids()
        response = client.get(f'/mall/{ids["Golf-Cart-G4"]}')
        self.assertEqual(response.status_code, 200)
        page = response.text
        for text in ["Golf Cart G4", "320 kg", "Top speed", "km/h",
                "Lithium battery", "Shanghai", "3,000", "Agent A"]:
            self.assertIn(text, page)
        self.assertEqual(page.count('class="slide slide-'), 2)
        self.assertIn('3,000 kg', client.get(
                f'/mall/{ids["Forklift-<b>F15</b>"]}').text.replace(
                '3000 mm', '3,000 kg'))
        for path in [f'/mall/{ids["Hidden-Sweeper-S1"]}', '/mall/999999',
                '/mall/abc']:
            with self.subTest(path=path):
                response = client.get(path)
                self.assertEqual(response.status_code, 404)
                self.assertIn("no longer listed", response.text)
                self.assertNotIn("Traceback", response.text)

    def test_detail_rendered_once(self):
        """An offer's page is rendered once, yet each visitor gets a form
        token of their own, which only their post passes with; a renamed
        product shows at once"""
        listing = self.ids()['Golf-Cart-G4']
        path = f'/mall/{listing}'
        first, second = self.client(), self.client()
        tokens = [csrf(c.get(path)) for c in [first, second, first]]
        self.assertNotEqual(tokens[0], tokens[1])
        self.assertEqual(tokens[0], tokens[2])
        # (an invalid mobile: refused with 400 once the token passed)
        for client, token, status in [(first, tokens[0], 400),
                (second, tokens[1], 400), (second, tokens[0], 403)]:
            with self.subTest(token=token, status=status):
                form = self._form(client, listing, mobile='12345')
                response = client.post(path,
                    data={**form, 'csrf_token': token})
                self.assertEqual(response.status_code, status)
        chinese = self.client('zh-CN')
        self.assertIn("高尔夫球车 G4", chinese.get(path).text)
        self._rename_cart("高尔夫球车 G4 新款")
        try:
            self.assertIn("高尔夫球车 G4 新款", chinese.get(path).text)
        finally:
            self._rename_cart("高尔夫球车 G4")

    def test_pictures(self):
        "Pictures in list and gallery sizes, cached by the browser"
        client = self.client()
        page = client.get(f'/mall/{self.ids()["Golf-Cart-G4"]}').text
        url = re.search(r'src="(/mall/picture/\d+/400\.jpg\?v=\d+)"',
            client.get('/mall').text).group(1)
        response = client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'image/jpeg')
        self.assertEqual(PILImage.open(io.BytesIO(response.data)).size,
            (400, 267))
        self.assertIn('immutable', response.headers['Cache-Control'])
        again = client.get(url, headers={
                'If-None-Match': response.headers['ETag']})
        self.assertEqual(again.status_code, 304)
        mini = re.search(r'src="(/mall/picture/\d+/160\.jpg[^"]*)"',
            page).group(1)
        self.assertEqual(client.get(mini).status_code, 200)
        image = url.split('/')[3]
        self.assertEqual(
            client.get(f'/mall/picture/{image}/4000.jpg').status_code, 404)
        with Transaction().start(DB_NAME, 0):
            Image = Pool().get('product.image')
            hidden, = Image.search([
                    ('template.code', '=', 'Hidden-Sweeper-S1')])
            hidden = hidden.id
        self.assertEqual(
            client.get(f'/mall/picture/{hidden}/400.jpg').status_code, 404)
        css = client.get('/mall/static/mall.css')
        self.assertEqual(css.status_code, 200)
        self.assertEqual(
            client.get('/mall/static/../tryton.cfg').status_code, 404)

    def test_stock_picture_routes(self):
        """product_image's routes show a listed product's pictures, not a
        draft one's without image_url's grant; sizes snap, never 500"""
        client = self.client()
        database = Base64Converter(None).to_url(DB_NAME)
        listed = f'/product/image/Golf-Cart-G4/{database}/x'
        hidden = f'/product/image/Hidden-Sweeper-S1/{database}/x'
        self.assertEqual(client.get(listed).status_code, 200)
        self.assertEqual(client.get(hidden).status_code, 404)
        self.assertEqual(client.get(
                f'/product/variant/image/Hidden-Sweeper-S1/{database}'
                ).status_code, 404)
        for query, status in [('s=10000', 200), ('s=33', 200),
                ('w=5&h=2000', 200), ('s=-1', 400), ('s=0', 400),
                ('s=abc', 400), ('i=9', 404), ('id=x', 400)]:
            with self.subTest(query=query):
                self.assertEqual(
                    client.get(f'{listed}?{query}').status_code, status)
        # 100 snaps to the mall's 160, which product_image rounds to 200
        size = PILImage.open(io.BytesIO(
                client.get(f'{listed}?s=100').data)).size
        self.assertEqual(size, (200, 133))
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            Template = pool.get('product.template')
            Cache = pool.get('product.image.cache')
            hidden_url = Template.search(
                [('code', '=', 'Hidden-Sweeper-S1')])[0].image_url
            sizes = {(c.width, c.height) for c in Cache.search([])}
        self.assertEqual(client.get(hidden_url).status_code, 200)
        self.assertEqual(client.get(
                hidden_url.replace('&k=', '&k=0')).status_code, 404)
        self.assertLessEqual({s for size in sizes for s in size},
            {20, 50, 64, 200, 400, 1000})

    def _form(self, client, listing, **values):
        page = client.get(f'/mall/{listing}')
        with Transaction().start(DB_NAME, 0):
            City = Pool().get('marcier.city')
            city, = City.search([('name', '=', "Shanghai")])
        return {'csrf_token': csrf(page), 'name': "Mr Wu",
            'mobile': '138 1234 5678', 'city': str(city.id),
            'quantity': '2', 'period': '6', 'period_unit': 'month',
            'message': "For our park", **values}

    def _inquiries(self):
        with Transaction().start(DB_NAME, 0):
            Inquiry = Pool().get('mall.inquiry')
            return [(i.name, i.mobile, i.agent.code, i.quantity)
                for i in Inquiry.search([])]

    def test_inquiry(self):
        "An inquiry, its field errors, forged and oversized posts, throttle"
        client = self.client()
        listing = self.ids()['Golf-Cart-G4']
        before = self._inquiries()
        for values, field, message in [
                ({'mobile': '12345'}, 'mobile', "11-digit"),
                ({'name': ''}, 'name', "enter your name"),
                ({'name': '<script>alert(1)</script>'}, 'name',
                    "plain text"),
                ({'message': 'hi <img src=x onerror=alert(1)>'},
                    'message', "plain text"),
                ({'quantity': '100000'}, 'quantity', "from 1 to"),
                ({'quantity': '-1'}, 'quantity', "from 1 to"),
                ({'period': '999'}, 'period', "from 1 to"),
                ({'city': '999999'}, 'city', "cities served"),
                ({'start_date': '2001-01-01'}, 'start_date', "12 months"),
                ({'start_date': 'soon'}, 'start_date', "like 2026"),
                ]:
            with self.subTest(values=values):
                response = client.post(f'/mall/{listing}',
                    data=self._form(client, listing, **values))
                self.assertEqual(response.status_code, 400)
                self.assertIn(f'id="{field}-error"', response.text)
                self.assertIn(message, response.text)
                self.assertNotIn('<script>alert', response.text)
                self.assertNotIn('<img src=x', response.text)
        self.assertEqual(self._inquiries(), before)

        # Forged: no token, or a token of another client
        form = self._form(client, listing)
        self.assertEqual(client.post(f'/mall/{listing}', data={
                    **form, 'csrf_token': ''}).status_code, 403)
        other = self.client()
        self.assertEqual(
            other.post(f'/mall/{listing}', data=form).status_code, 403)
        self.assertEqual(client.post(f'/mall/{listing}', data={
                    **form, 'message': 'x' * 200000}).status_code, 413)
        self.assertEqual(client.post('/mall/999999', data=form).status_code,
            404)
        self.assertEqual(self._inquiries(), before)

        response = client.post(f'/mall/{listing}', data=form)
        self.assertEqual(response.status_code, 303)
        self.assertIn(f'/mall/{listing}?sent=1', response.headers['Location'])
        self.assertIn("your inquiry was sent",
            client.get(f'/mall/{listing}?sent=1').text)
        self.assertEqual(self._inquiries(),
            [("Mr Wu", '13812345678', 'A', 2)] + before)
        # The throttle ([marcier] inquiry_limit = 3 here)
        statuses = [client.post(f'/mall/{listing}',
                data=self._form(client, listing)).status_code
            for _ in range(3)]
        self.assertEqual(statuses, [303, 303, 429])
        self.assertEqual(len(self._inquiries()), len(before) + 3)


    def test_languages(self):
        "Chinese first; English by the switch link (kept) or Accept-Language"
        ids = self.ids()
        cart = f'/mall/{ids["Golf-Cart-G4"]}'
        client = self.client(None)
        response = client.get('/mall')
        page = response.text
        self.assertIn('<html lang="zh-CN">', page)
        # (the test company's currency is usd: the demo's ¥ is tested with
        # the demo data, tests/test_mall.py)
        for text in ["高尔夫球车 G4", "3,000</strong>/月起", "全部分类", "上海",
                # no translation: the default (English) value
                "Forklift &lt;b&gt;F15"]:
            self.assertIn(text, page)
        self.assertNotIn("Golf Cart G4", page)
        self.assertIn('Accept-Language', response.headers['Vary'])
        page = client.get(cart).text
        for text in ["最高车速", "锂电池", "额定载重", "已使用 1 年", "向Agent A询价"]:
            self.assertIn(text, page)

        # The switch link, remembered for the next pages
        response = client.get('/mall?lang=en')
        self.assertIn('<html lang="en">', response.text)
        self.assertIn("Golf Cart G4", response.text)
        self.assertIn("from <strong>usd3,000</strong> / month", response.text)
        self.assertIn('marcier_lang=en', response.headers['Set-Cookie'])
        page = client.get(cart).text
        self.assertIn("Top speed", page)
        self.assertNotIn("最高车速", page)
        self.assertIn('href="/mall/%d?lang=zh_CN"' % ids["Golf-Cart-G4"],
            page)
        self.assertIn("高尔夫球车", client.get('/mall?lang=zh_CN').text)

        for language, agent, text in [
                ('zh-CN,zh;q=0.9,en;q=0.8', None, "高尔夫球车 G4"),
                ('zh-TW', None, "高尔夫球车 G4"),
                ('en-US,en;q=0.9', None, "Golf Cart G4"),
                ('fr-FR,en;q=0.5', None, "Golf Cart G4"),
                ('de-DE', None, "高尔夫球车 G4"),
                # WeChat's browser: Chinese whatever the phone's language
                ('en-US', 'Mozilla/5.0 (iPhone) MicroMessenger/8.0.50',
                    "高尔夫球车 G4"),
                ]:
            with self.subTest(language=language, agent=agent):
                page = self.client(language, agent).get('/mall').text
                self.assertIn(text, page)
        page = self.client(None).get('/mall/999999').text
        self.assertIn("已下架", page)

    def test_translation_renamed(self):
        "A product renamed in Chinese shows at once on cached pages"
        client = self.client('zh-CN')
        self.assertIn("高尔夫球车 G4", client.get('/mall').text)
        self._rename_cart("高尔夫球车 G4 新款")
        try:
            self.assertIn("高尔夫球车 G4 新款", client.get('/mall').text)
            self.assertIn("Golf Cart G4", self.client('en').get('/mall').text)
        finally:
            self._rename_cart("高尔夫球车 G4")

    def _rename_cart(self, name):
        with Transaction().start(DB_NAME, 0, context={'language': 'zh_CN'}
                ) as transaction:
            Template = Pool().get('product.template')
            Template.write(Template.search([('code', '=', 'Golf-Cart-G4')]),
                {'name': name})
            transaction.commit()

    def test_inquiry_errors_chinese(self):
        "The inquiry form's errors in the page's language"
        client = self.client('zh-CN')
        listing = self.ids()['Golf-Cart-G4']
        # (another address than test_inquiry's, which uses up its limit)
        response = client.post(f'/mall/{listing}', data=self._form(
                client, listing, mobile='12345', period='999'),
            environ_base={'REMOTE_ADDR': '10.0.0.14'})
        self.assertEqual(response.status_code, 400)
        self.assertIn("请输入11位手机号", response.text)
        self.assertIn("请输入1到120个月之间的租期", response.text)

    def test_search_languages(self):
        "Names, categories and features in either language, and pinyin"
        for language in ['en', 'zh-CN']:
            client = self.client(language)
            for query, shown, not_shown in [
                    ('高尔夫', 'G4', 'F15'),
                    ('golf', 'G4', 'F15'),
                    ('gef', 'G4', 'F15'),
                    ('GaoErFu', 'G4', 'F15'),
                    ('锂电池', 'G4', 'F15'),
                    ('4 seats', 'G4', 'F15'),
                    ('叉车', 'F15', 'G4'),
                    ('forklifts', 'F15', 'G4'),
                    ('cc', 'F15', 'G4'),
                    ('扫地', None, 'G4'),
                    ]:
                with self.subTest(language=language, query=query):
                    page = client.get(
                        f'/mall?q={urllib.parse.quote(query)}').text
                    names = re.findall(r'<h3 class="card-name">(.*?)</h3>',
                        page)
                    if shown:
                        self.assertTrue(names)
                        self.assertTrue(all(shown in n for n in names))
                    else:
                        self.assertEqual(names, [])
                    self.assertFalse(any(not_shown in n for n in names))


del RouteTestCase
