# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import re

from trytond import backend, config
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from .. import web

# Pages of the layer alone, as a module declares them (the mall's and the
# WeChat pages test their own)
BASE = '/<database_name>/marcier-web-test'
FAILURES = {
    'bug': lambda: ValueError("secret detail"),
    'busy': lambda: backend.DatabaseOperationalError("secret detail"),
    'refused': lambda: UserError("secret detail"),
    }


@web.page(f'{BASE}/form', methods=('GET', 'POST'), model='web.client.attempt',
    max_body=1024)
def form(request):
    if request.method == 'POST':
        web.check_csrf(request)
        web.check_throttle('test-form', request, 2, 60)
        web.count_attempt('test-form', request)
        return Response('sent', content_type='text/plain')
    return web.html_response(request, web.csrf_field(request))


@web.page(f'{BASE}/fail/<kind>', model='web.client.attempt',
    script_src="'self'")
def fail(request, kind):
    raise FAILURES[kind]()


@web.page(f'{BASE}/absent', model='marcier.web.test.absent')
def absent(request):
    return Response('never')


@web.page('/marcier-web-test', model='web.client.attempt')
def configured(request):
    return Response(Transaction().database.name)


class WebRouteTestCase(RouteTestCase):
    "Test the public-web layer"
    module = 'marcier_web'

    def url(self, path):
        return f'/{DB_NAME}/marcier-web-test/{path}'

    def token(self, client, **kwargs):
        return client.get(self.url('form'), **kwargs).text

    def test_headers(self):
        "Pages and their error pages forbid framing, sniffing, inline code"
        client = self.client()
        for path, status, policy in [
                ('form', 200, web.POLICY),
                ('fail/bug', 500, web.content_security_policy(
                        script_src="'self'")),
                ]:
            with self.subTest(path=path):
                response = client.get(self.url(path))
                self.assertEqual(response.status_code, status)
                headers = response.headers
                self.assertEqual(headers['Content-Security-Policy'], policy)
                self.assertEqual(headers['X-Frame-Options'], 'DENY')
                self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')
                self.assertEqual(headers['Referrer-Policy'], 'same-origin')

    def test_errors(self):
        "A failure is a page with its status, logged, without its details"
        client = self.client()
        for kind, status, level in [
                ('bug', 500, 'ERROR'),
                ('busy', 503, 'WARNING'),
                ('refused', 400, 'INFO'),
                ]:
            with self.subTest(kind=kind), \
                    self.assertLogs('marcier_web.web', level) as logs:
                response = client.get(self.url(f'fail/{kind}'),
                    headers={'Accept-Language': 'en'})
                self.assertEqual(response.status_code, status)
                self.assertIn(str(status), response.text)
                self.assertNotIn("secret detail", response.text)
                self.assertNotIn("Traceback", response.text)
                self.assertIn("secret detail", '\n'.join(logs.output))
        response = client.get(self.url('fail/bug'),
            headers={'Accept-Language': 'zh-CN'})
        self.assertIn("系统出现问题", response.text)
        self.assertIn("Something went wrong", client.get(
                self.url('fail/bug'),
                headers={'Accept-Language': 'en'}).text)

    def test_databases(self):
        """A database named in the URL is served once loaded, with the
        model; else the configured one"""
        client = self.client()
        response = client.get('/marcier-web-unknown/marcier-web-test/form')
        self.assertEqual(response.status_code, 404)
        self.assertNotIn('marcier-web-unknown', Pool.database_list())
        self.assertEqual(client.get(self.url('absent')).status_code, 404)
        if not config.has_section('marcier'):
            config.add_section('marcier')
        previous = config.get('marcier', 'database', default='')
        try:
            config.set('marcier', 'database', '')
            self.assertEqual(
                client.get('/marcier-web-test').status_code, 404)
            config.set('marcier', 'database', DB_NAME)
            response = client.get('/marcier-web-test')
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.text, DB_NAME)
        finally:
            config.set('marcier', 'database', previous)

    def test_csrf(self):
        "A form is accepted with the token of the client's cookie only"
        client, other = self.client(), self.client()
        token = self.token(client)
        self.assertTrue(re.fullmatch(r'[0-9a-f]{64}', token))
        environ = {'REMOTE_ADDR': '10.9.0.1'}
        for sender, data in [
                (client, {}),
                (client, {'csrf_token': ''}),
                (client, {'csrf_token': self.token(other)}),
                (other, {'csrf_token': token}),
                (self.client(), {'csrf_token': token}),
                ]:
            with self.subTest(data=data):
                response = sender.post(self.url('form'), data=data,
                    environ_base=environ)
                self.assertEqual(response.status_code, 403)
        response = client.post(self.url('form'),
            data={'csrf_token': token}, environ_base=environ)
        self.assertEqual(response.status_code, 200)
        # The cookie stays; a malformed one is replaced
        self.assertNotIn('Set-Cookie', client.get(self.url('form')).headers)
        client.set_cookie('marcier_csrf', 'short')
        response = client.get(self.url('form'))
        self.assertRegex(response.headers['Set-Cookie'],
            r'^marcier_csrf=[\w-]{43}; HttpOnly; Path=/; SameSite=Strict')

    def test_throttle(self):
        "A client gets its attempts per window, another client is served"
        client = self.client()
        token = self.token(client)
        statuses = [client.post(self.url('form'), data={'csrf_token': token},
                environ_base={'REMOTE_ADDR': address}).status_code
            for address in ['10.9.1.1'] * 3 + ['10.9.1.2']]
        self.assertEqual(statuses, [200, 200, 429, 200])

    def test_body_limit(self):
        "A post past the page's limit is refused before it is read"
        client = self.client()
        token = self.token(client)
        response = client.post(self.url('form'), data={
                'csrf_token': token, 'text': 'x' * 2000},
            environ_base={'REMOTE_ADDR': '10.9.2.1'})
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response.headers['X-Frame-Options'], 'DENY')


del RouteTestCase
