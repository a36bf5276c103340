# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
import io
import logging
import re

from PIL import Image

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import CompanyTestMixin
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from marcier_base.tests import AgentTestMixin
from marcier_base.tests.test_module import load_chinese, setup_agents
from marcier_device.tests.test_module import as_user

from .. import codes, images
from ..bot import build_message, compose, parse_xml, record_follower
from ..fake import FakeWeChat

REDIS = 'redis://127.0.0.1:6379/15'
AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'


def picture(format_='JPEG', size=(800, 600), exif=True):
    image = Image.new('RGB', size, (200, 30, 30))
    buffer = io.BytesIO()
    kwargs = {}
    if exif and format_ == 'JPEG':
        exif_data = Image.Exif()
        exif_data[0x010F] = "SecretCam"  # Make
        kwargs['exif'] = exif_data
    image.save(buffer, format_, **kwargs)
    return buffer.getvalue()


class MarcierWechatTestCase(CompanyTestMixin, AgentTestMixin, ModuleTestCase):
    "Test Marcier WeChat module"
    module = 'marcier_wechat'

    def _setup(self):
        pool = Pool()
        Party = pool.get('party.party')
        Customer = pool.get('marcier.customer')
        Vehicle = pool.get('device.vehicle')
        Account = pool.get('wechat.account')
        WeChatUser = pool.get('wechat.user')
        setup_agents(self)
        company = self.company
        self.party, = Party.create([{'name': "Golf Club"}])
        Customer.create([{'party': self.party.id, 'agent': self.agent_a.id,
                    'company': company.id, 'mobile': '13800000001'}])
        self.vehicle, = Vehicle.create([{'serial': 'V1',
                    'company': company.id, 'agent': self.agent_a.id}])
        Vehicle.rent([self.vehicle], self.party)
        self.account, = Account.create([{'company': company.id,
                    'name': "Marcier", 'app_id': 'wxapp', 'secret': 's',
                    'token': 'tok'}])
        self.user, = WeChatUser.create([{'account': self.account.id,
                    'openid': 'o-1', 'party': self.party.id,
                    'agent': self.agent_a.id}])

    def _repair(self, **values):
        Repair = Pool().get('device.repair')
        repair, = Repair.create([{'vehicle': self.vehicle.id,
                    'customer': self.party.id, 'wechat_user': self.user.id,
                    'description': "Brakes squeal", **values}])
        return repair

    @with_transaction()
    def test_account_settings(self):
        "AES key, URLs and timeout are checked"
        pool = Pool()
        Account = pool.get('wechat.account')
        self._setup()
        for values in [{'aes_key': 'short'}, {'api_url': 'ftp://x'},
                {'reply_timeout': 5}, {'redis_url': 'http://x'}]:
            account = Account(**{'api_url': 'https://a',
                    'open_url': 'https://o', 'reply_timeout': 1, 'aes_key': None,
                    'public_url': None, 'redis_url': None, **values})
            with self.subTest(values=values), self.assertRaises(UserError):
                Account.check_settings([account])
        Account.write([self.account], {'aes_key': AES_KEY})
        self.assertIsNotNone(self.account.crypto())
        self.assertEqual(Account.by_app_id('wxapp'), self.account)
        self.assertIsNone(Account.by_app_id('nope'))
        # One menu for all followers: in Chinese
        menu = self.account.menu()['button']
        self.assertEqual([b['name'] for b in menu],
            ["租车", "我的车辆", "报修", "我的"])

    @with_transaction()
    def test_store_expiry(self):
        "Stored values expire and are purged"
        Store = Pool().get('wechat.store')
        Store.set('k', {'a': 1}, 60)
        self.assertEqual(Store.get('k'), {'a': 1})
        Store.set('k', 2, -1)
        self.assertIsNone(Store.get('k'))
        Store.purge()
        self.assertEqual(Store.search([('key', '=', 'k')]), [])

    @with_transaction()
    def test_bot_replies(self):
        "Welcome on follow, keyword hint otherwise; XML with DTD refused"
        self._setup()
        follow = build_message(parse_xml(
                b'<xml><ToUserName>gh</ToUserName><FromUserName>o-2'
                b'</FromUserName><CreateTime>1</CreateTime><MsgType>event'
                b'</MsgType><Event>subscribe</Event></xml>'))
        record_follower(self.account, follow)
        kind, text = compose(self.account, follow)
        self.assertEqual(kind, 'text')
        self.assertIn("欢迎关注马赛尔电动车租赁", text)
        WeChatUser = Pool().get('wechat.user')
        user, = WeChatUser.search([('openid', '=', 'o-2')])
        WeChatUser.write([user], {'language': 'en'})
        kind, text = compose(self.account, follow)
        self.assertIn("Welcome to Marcier", text)
        with self.assertRaises(Exception):
            parse_xml(b'<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>')

    @with_transaction()
    def test_keyword_replies(self):
        "Chinese keywords find listings; the hint suggests working words"
        from marcier_mall.tests.test_module import (
            create_city, create_listing, create_product)
        pool = Pool()
        Listing = pool.get('mall.listing')
        Category = pool.get('product.category')
        WeChatUser = pool.get('wechat.user')
        self._setup()

        def reply(text, msg_id=[0]):
            msg_id[0] += 1
            return compose(self.account, build_message(parse_xml(
                        ('<xml><ToUserName>gh</ToUserName><FromUserName>o-1'
                            '</FromUserName><CreateTime>1</CreateTime>'
                            '<MsgType>text</MsgType><Content>%s</Content>'
                            '<MsgId>%d</MsgId></xml>' % (text, msg_id[0])
                            ).encode())))
        # (the replies to a keyword are cached for a minute: new words)
        kind, text = reply("巡逻车")
        self.assertEqual(kind, 'text')
        self.assertIn("目前暂无车辆出租", text)  # nothing to suggest

        lifts, = Category.create([{'name': "Forklifts"}])
        electric, = Category.create([{'name': "Electric", 'parent': lifts}])
        forklift = create_product("Forklift F15", electric)
        cart = create_product("Golf Cart G4")
        with Transaction().set_context(language='zh_CN'):
            Category.write([lifts], {'name': "电动叉车"})
            Category.write([cart.mall_category.parent], {'name': "高尔夫球车"})
            pool.get('product.template').write([cart],
                {'name': "高尔夫球车 G4"})
        city = create_city("Shanghai")
        listings = [create_listing(self.agent_a, p, city)
            for p in [forklift, cart]]
        Listing.submit(listings)
        Listing.approve(listings)

        for keyword, title in [("叉车", "Forklift F15"),
                ("高尔夫", "高尔夫球车 G4"), ("gef", "高尔夫球车 G4"),
                ("golf", "高尔夫球车 G4")]:
            with self.subTest(keyword=keyword):
                kind, articles = reply(keyword)
                self.assertEqual(kind, 'articles')
                self.assertEqual([a['title'] for a in articles], [title])
                self.assertIn("/月起", articles[0]['description'])
        kind, text = reply("观光车")
        self.assertEqual(kind, 'text')
        self.assertIn("没有与“观光车”匹配的车辆", text)
        suggested = re.findall(r'“(.*?)”',
            re.search(r'请发送(.*?)等关键词', text).group(1))
        # Top categories first, in the user's language
        self.assertEqual(set(suggested[:2]), {"电动叉车", "高尔夫球车"})
        for keyword in suggested:
            with self.subTest(suggested=keyword):
                self.assertEqual(reply(keyword)[0], 'articles')

        # WeChat's language of the user
        WeChatUser.write([self.user], {'language': 'en'})
        kind, articles = reply("高尔夫")
        self.assertEqual([a['title'] for a in articles], ["Golf Cart G4"])
        self.assertIn("/ month", articles[0]['description'])
        self.assertIn("lang=en", articles[0]['url'] or 'lang=en')
        kind, text = reply("sightseeing")
        self.assertIn('No vehicle matches “sightseeing”', text)
        self.assertIn("“Forklifts”", text)
        self.assertEqual(reply("Forklifts")[0], 'articles')

    @with_transaction()
    def test_repair_workflow(self):
        "Submitted to done: times, history event, vehicle status, messages"
        pool = Pool()
        Repair = pool.get('device.repair')
        Notification = pool.get('res.notification')
        self._setup()
        repair = self._repair()
        self.assertEqual(repair.agent, self.agent_a)
        self.assertEqual(repair.state, 'submitted')
        self.assertTrue(repair.number.startswith('RO'))
        self.assertTrue(Notification.search([
                    ('user', '=', self.staff_a.id), ('kind', '=', 'todo')]))
        with as_user(self.staff_a, self.company):
            repair = Repair(repair.id)
            Repair.accept([repair])
            with self.assertRaises(UserError):
                Repair.dispatch([repair])
            Repair.write([repair], {'technician': self.staff_a.id})
            Repair.dispatch([repair])
            Repair.start([repair])
        self.assertEqual(self.vehicle.status, 'in_repair')
        with as_user(self.staff_a, self.company):
            Repair.finish([Repair(repair.id)])
        repair = Repair(repair.id)
        self.assertEqual(repair.state, 'done')
        self.assertIsNotNone(repair.response_time)
        self.assertIsNotNone(repair.repair_time)
        self.assertEqual(repair.event.type, 'repair')
        self.assertEqual(repair.vehicle.status, 'rented')

        repair.rate(5, "Fast")
        with self.assertRaises(UserError):
            Repair(repair.id).rate(4)

    @with_transaction()
    def test_repair_rules(self):
        "Rating checks; not another customer's vehicle"
        pool = Pool()
        Party = pool.get('party.party')
        self._setup()
        repair = self._repair()
        with self.assertRaises(UserError):
            repair.rate(5)  # not done
        other, = Party.create([{'name': "Other"}])
        with self.assertRaises(UserError):
            self._repair(customer=other.id)
        with self.assertRaises(UserError):
            self._repair(description="x" * 2001)

    @with_transaction()
    def test_repair_isolation(self):
        "Agent B neither sees nor changes agent A's work orders"
        pool = Pool()
        Repair = pool.get('device.repair')
        Rating = pool.get('device.repair.rating')
        self._setup()
        repair = self._repair(technician=self.staff_a.id)
        with as_user(self.staff_b, self.company):
            self.assertEqual(Repair.search([]), [])
            with self.assertRaises(AccessError):
                Repair.read([repair.id], ['state'])
            with self.assertRaises(AccessError):
                Repair.accept([Repair(repair.id)])
            self.assertEqual(Rating.search([]), [])
        with as_user(self.staff_a, self.company):
            self.assertEqual(Repair.search([]), [repair])
        with as_user(self.operator, self.company):
            self.assertEqual(Repair.search([]), [repair])

    @with_transaction()
    def test_rating_report(self):
        "Average rating per agent and technician"
        pool = Pool()
        Repair = pool.get('device.repair')
        Rating = pool.get('device.repair.rating')
        self._setup()
        for stars in [5, 2]:
            repair = self._repair(technician=self.staff_a.id)
            Repair.dispatch([repair])
            Repair.start([repair])
            Repair.finish([repair])
            Repair(repair.id).rate(stars)
        line, = Rating.search([])
        self.assertEqual(line.technician, self.staff_a)
        self.assertEqual((line.orders, line.rated), (2, 2))
        self.assertAlmostEqual(line.average, 3.5)

    @with_transaction()
    def test_bind(self):
        "Binding by code links the known customer of the mobile number"
        pool = Pool()
        WeChatUser = pool.get('wechat.user')
        Store = pool.get('wechat.store')
        Notification = pool.get('res.notification')
        self._setup()
        load_chinese('marcier_wechat')
        user, chinese = WeChatUser.create([{'account': self.account.id,
                    'openid': 'o-2', 'language': 'en'}, {
                    'account': self.account.id, 'openid': 'o-3'}])
        with self.assertRaises(UserError):
            user.request_code('12345')
        logging.disable(logging.WARNING)
        try:
            user.request_code('+86 138 0000 0001')
            # In the user's language: Chinese unless WeChat says otherwise
            chinese.request_code('13800000002')
        finally:
            logging.disable(logging.NOTSET)
        sms, sms_zh = Notification.search(
            [('user', '=', self.operator.id)], order=[('id', 'ASC')])
        code = sms.body.split('code is ')[1][:6]
        self.assertNotIn('code is', sms_zh.body)
        self.assertRegex(sms_zh.body, r'[\u4e00-\u9fff]')
        with self.assertRaises(UserError):
            user.bind('000000' if code != '000000' else '111111')
        self.assertEqual(Store.get(f'code:{user.id}')['attempts'], 1)
        user.bind(code)
        user = WeChatUser(user.id)
        self.assertEqual(user.party, self.party)
        self.assertEqual(user.agent, self.agent_a)
        self.assertEqual(user.mobile, '13800000001')
        with self.assertRaises(UserError):
            user.bind(code)  # used once

    @with_transaction()
    def test_bind_new_customer(self):
        "An unknown mobile makes a new customer of the chosen agent"
        pool = Pool()
        WeChatUser = pool.get('wechat.user')
        Customer = pool.get('marcier.customer')
        Store = pool.get('wechat.store')
        self._setup()
        user, = WeChatUser.create([{'account': self.account.id,
                    'openid': 'o-3'}])
        digest = codes._digest('123456')
        Store.set(f'code:{user.id}', {'mobile': '13911112222',
                'digest': digest, 'attempts': 0}, 60)
        with self.assertRaises(UserError):
            user.bind('123456', name="New Co")  # no agent
        user.bind('123456', name="New Co", agent=self.agent_b)
        customer, = Customer.search([('mobile', '=', '13911112222')])
        self.assertEqual(customer.agent, self.agent_b)
        self.assertEqual(customer.source, 'wechat')
        self.assertEqual(WeChatUser(user.id).party, customer.party)

    @with_transaction()
    def test_access_token_cache(self):
        "The token is fetched once, kept in the database, renewed early"
        pool = Pool()
        Account = pool.get('wechat.account')
        Store = pool.get('wechat.store')
        self._setup()
        with FakeWeChat() as fake:
            Account.write([self.account], {
                    'api_url': fake.url, 'open_url': fake.url})
            self.account.publish_menu([self.account])
            self.account.publish_menu([self.account])
            self.assertEqual(fake.tokens_issued, 1)
            self.assertEqual(len(fake.received('/cgi-bin/menu/create')), 2)
            entry, = Store.search([('key', 'like', 'wechat:wxapp:%token')])
            ttl = (entry.expires - dt.datetime.now()).total_seconds()
            self.assertLess(ttl, 7200 - 250)
            Store.write([entry], {'expires': dt.datetime.now()})
            self.account.client().menu.create(self.account.menu())
            self.assertEqual(fake.tokens_issued, 2)

            Account.write([self.account], {'api_url': fake.url + '/gone'})
            with self.assertRaises(UserError):
                self.account.publish_menu([self.account])

    @with_transaction()
    def test_access_token_redis(self):
        "With a Redis URL, the token lives in Redis and expires early"
        import redis
        pool = Pool()
        Account = pool.get('wechat.account')
        self._setup()
        server = redis.Redis.from_url(REDIS)
        try:
            server.ping()
        except redis.exceptions.ConnectionError:
            self.skipTest("no Redis at " + REDIS)
        key = 'wechat:wxapp:wxapp_access_token'
        server.delete(key)
        with FakeWeChat() as fake:
            Account.write([self.account], {'api_url': fake.url,
                    'redis_url': REDIS})
            self.account.publish_menu([self.account])
            self.account.publish_menu([self.account])
        self.assertEqual(fake.tokens_issued, 1)
        self.assertTrue(0 < server.ttl(key) <= 7200 - 300)
        server.delete(key)

    def test_photo_clean(self):
        "JPEG and PNG re-encoded without metadata; others refused"
        data = picture('JPEG', (3000, 2000))
        self.assertIn(b'SecretCam', data)
        image, thumbnail, content_type = images.clean(data, 'a.jpg')
        self.assertEqual(content_type, 'image/jpeg')
        self.assertNotIn(b'SecretCam', image)
        with Image.open(io.BytesIO(image)) as result:
            self.assertEqual(max(result.size), images.MAX_SIDE)
            self.assertFalse(result.getexif())
        with Image.open(io.BytesIO(thumbnail)) as result:
            self.assertLessEqual(max(result.size), 320)
        self.assertEqual(images.clean(picture('PNG'), 'a.png')[2],
            'image/png')
        for bad in [picture('GIF'), b'not an image',
                picture('JPEG')[:200]]:
            with self.subTest(bad=bad[:10]), self.assertRaises(UserError):
                images.clean(bad, 'bad')
        with self.assertRaises(UserError):
            images.clean(b'\xff' * (images.MAX_BYTES + 1), 'big')


del ModuleTestCase
