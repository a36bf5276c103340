# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""A stand-in for WeChat's servers, for tests and for the demo when no
real account is configured.

A real HTTP server on a loopback port implementing the calls Marcier makes
(access token, custom menu, web authorisation code to openid, user info,
template and customer service messages, media upload, jsapi_ticket).  It
records every request it receives in ``calls`` (method, path, query,
JSON body); the web authorisation page approves at once and gives the
openid of ``next_openid`` or a new one.
"""
import http.server
import itertools
import json
import secrets
import threading
import urllib.parse


class FakeWeChat:
    "Run with start(); point the account's API and authorisation URLs at url"

    def __init__(self, host='127.0.0.1', port=0, token_ttl=7200):
        self.token_ttl = token_ttl
        self.calls = []
        self.lock = threading.Lock()
        self.codes = {}  # OAuth code -> (openid, scope)
        self.next_openid = None
        self.nicknames = {}
        self.languages = {}  # WeChat's language of an openid, else zh_CN
        self.counter = itertools.count(1)
        self.tokens_issued = 0
        self.ticket = 'fake-jsapi-ticket'
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self, 'GET')

            def do_POST(self):
                fake._handle(self, 'POST')

        self.server = http.server.ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = 'http://%s:%s' % self.server.server_address[:2]
        self.thread = None

    def start(self):
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *args):
        self.stop()

    def received(self, path):
        "The calls received on path"
        with self.lock:
            return [c for c in self.calls if c['path'] == path]

    def _handle(self, handler, method):
        url = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = None
        length = int(handler.headers.get('Content-Length') or 0)
        raw = handler.rfile.read(length) if length else b''
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = {'bytes': len(raw)}
        with self.lock:
            self.calls.append({'method': method, 'path': url.path,
                    'query': query, 'body': body})
        route = self.routes.get(url.path)
        if route is None:
            return self._json(handler, {'errcode': 40001,
                    'errmsg': 'unknown path'}, status=404)
        return route(self, handler, query, body)

    def _json(self, handler, data, status=200):
        payload = json.dumps(data, ensure_ascii=False).encode()
        handler.send_response(status)
        handler.send_header('Content-Type', 'application/json')
        handler.send_header('Content-Length', str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _ok(self, handler, query, body, **extra):
        if not query.get('access_token', '').startswith('token-'):
            return self._json(handler, {'errcode': 40014,
                    'errmsg': 'invalid access_token'})
        return self._json(handler, {'errcode': 0, 'errmsg': 'ok', **extra})

    def token(self, handler, query, body):
        if not query.get('appid') or not query.get('secret'):
            return self._json(handler, {'errcode': 40013,
                    'errmsg': 'invalid appid'})
        with self.lock:
            self.tokens_issued += 1
        return self._json(handler, {
                'access_token': 'token-' + secrets.token_hex(8),
                'expires_in': self.token_ttl})

    def authorize(self, handler, query, body):
        "The user approves at once: back to redirect_uri with a code"
        with self.lock:
            openid = self.next_openid or 'o-fake-%d' % next(self.counter)
            code = secrets.token_hex(8)
            self.codes[code] = (openid, query.get('scope', 'snsapi_base'))
        target = query['redirect_uri']
        separator = '&' if '?' in target else '?'
        handler.send_response(302)
        handler.send_header('Location', target + separator
            + urllib.parse.urlencode({'code': code,
                    'state': query.get('state', '')}))
        handler.send_header('Content-Length', '0')
        handler.end_headers()

    def oauth_token(self, handler, query, body):
        with self.lock:
            found = self.codes.pop(query.get('code'), None)
        if not found:
            return self._json(handler, {'errcode': 40029,
                    'errmsg': 'invalid code'})
        openid, scope = found
        return self._json(handler, {'access_token': 'user-' + openid,
                'expires_in': 7200, 'refresh_token': 'r', 'openid': openid,
                'scope': scope})

    def userinfo(self, handler, query, body):
        openid = query.get('openid', '')
        return self._json(handler, {'openid': openid,
                'nickname': self.nicknames.get(openid, 'WeChat ' + openid[-4:]),
                'headimgurl': 'https://thirdwx.qlogo.cn/%s.png' % openid,
                'language': self.languages.get(openid, 'zh_CN')})

    def template(self, handler, query, body):
        return self._ok(handler, query, body, msgid=next(self.counter))

    def upload(self, handler, query, body):
        return self._ok(handler, query, body, type=query.get('type'),
            media_id='media-%d' % next(self.counter), created_at=0)

    def ticket_(self, handler, query, body):
        return self._ok(handler, query, body, ticket=self.ticket,
            expires_in=7200)

    routes = {
        '/cgi-bin/token': token,
        '/cgi-bin/menu/create': _ok,
        '/connect/oauth2/authorize': authorize,
        '/sns/oauth2/access_token': oauth_token,
        '/sns/userinfo': userinfo,
        '/cgi-bin/message/template/send': template,
        '/cgi-bin/message/custom/send': _ok,
        '/cgi-bin/media/upload': upload,
        '/cgi-bin/ticket/getticket': ticket_,
        }


def main():
    "python -m marcier_wechat.fake [port]: serve until interrupted"
    import sys
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    fake = FakeWeChat(port=port)
    print(f"Fake WeChat API at {fake.url}", flush=True)
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
