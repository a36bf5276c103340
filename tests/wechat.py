"""Helpers of the WeChat tests: pushes built and signed as WeChat's
servers make them (wechatpy's own crypto) and an H5 user's browser
session (requests) that signs in through the fake WeChat."""
import re
import secrets
import time
import urllib.parse

import requests
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

APP_ID = 'wx5marcier0test1'
TOKEN = 'marcier-test-token'
AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
ACCOUNT_ID = 'gh_marcier'


def sign(*parts):
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def text_xml(openid, content, msg_id, create_time=None):
    return (f'<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>'
        f'<FromUserName><![CDATA[{openid}]]></FromUserName>'
        f'<CreateTime>{create_time or int(time.time())}</CreateTime>'
        '<MsgType><![CDATA[text]]></MsgType>'
        f'<Content><![CDATA[{content}]]></Content>'
        f'<MsgId>{msg_id}</MsgId></xml>')


def event_xml(openid, event, key=None):
    key = f'<EventKey><![CDATA[{key}]]></EventKey>' if key else ''
    return (f'<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>'
        f'<FromUserName><![CDATA[{openid}]]></FromUserName>'
        f'<CreateTime>{int(time.time())}</CreateTime>'
        '<MsgType><![CDATA[event]]></MsgType>'
        f'<Event><![CDATA[{event}]]></Event>{key}</xml>')


class Pusher:
    "WeChat's side of the server URL"

    def __init__(self, platform, session=None):
        self.url = f'{platform.url}{platform.database}/wechat/{APP_ID}'
        self.http = session or requests.Session()
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    def query(self, timestamp=None, token=TOKEN, **extra):
        timestamp = str(timestamp or int(time.time()))
        nonce = secrets.token_hex(5)
        return {'signature': sign(token, timestamp, nonce),
            'timestamp': timestamp, 'nonce': nonce, **extra}

    def push(self, xml, safe=False, query=None, **kwargs):
        query = query or self.query(**kwargs)
        if safe:
            envelope = self.crypto.encrypt_message(
                xml, query['nonce'], query['timestamp'])
            query['encrypt_type'] = 'aes'
            query['msg_signature'] = re.search(
                r'<MsgSignature><!\[CDATA\[(.*?)\]\]>', envelope).group(1)
            encrypt = re.search(
                r'<Encrypt><!\[CDATA\[(.*?)\]\]>', envelope).group(1)
            xml = (f'<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>'
                f'<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>')
        return self.http.post(self.url, params=query, data=xml.encode(),
            headers={'Content-Type': 'text/xml'}, timeout=30)

    def decrypt(self, response):
        "The plaintext of an encrypted reply, checking its signature"
        fields = dict(re.findall(
                r'<(\w+)>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</\1>', response.text))
        return self.crypto.decrypt_message(response.text,
            fields['MsgSignature'], fields['TimeStamp'], fields['Nonce'])


WECHAT_UA = ('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) '
    'AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 '
    'MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN')


class H5User:
    """A WeChat user's in-app browser on the H5 pages; language is the one
    WeChat gives for the user (English: the language of the texts tested)"""

    def __init__(self, platform, fake, openid, language='en'):
        self.base = f'{platform.url}{platform.database}/wechat/{APP_ID}/h5/'
        self.http = requests.Session()
        self.http.headers['User-Agent'] = WECHAT_UA
        self.fake = fake
        self.openid = openid
        fake.languages[openid] = language

    def get(self, path, **kwargs):
        return self.http.get(self.base + path, timeout=60, **kwargs)

    def post(self, path, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data['csrf_token'] = self.csrf(path.split('?')[0])
        return self.http.post(self.base + path, data=data, timeout=60,
            **kwargs)

    def csrf(self, path):
        page = self.get(path)
        return re.search(
            r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def sign_in(self):
        "Open the home page: web authorisation through the fake WeChat"
        self.fake.next_openid = self.openid
        try:
            response = self.get('')
        finally:
            self.fake.next_openid = None
        assert response.status_code == 200, response.text
        return response

    def bind(self, operator, mobile, name='', agent=''):
        response = self.post('bind', {'mobile': mobile, 'action': 'send'})
        assert 'id="sent"' in response.text, response.text
        code = last_code(operator, mobile)
        return self.post('bind', {'mobile': mobile, 'code': code,
                'name': name, 'agent': agent, 'action': 'bind'})


def last_code(operator, mobile):
    "The one-time code the log SMS backend left in the message centre"
    message, = operator.search_read('res.notification', [
            ('label', '=', operator.message(
                    'marcier_wechat.msg_sms_title', mobile=mobile))],
        ['body'], limit=1,
        order=[('id', 'DESC')])
    return re.search(r'\b(\d{6})\b', message['body']).group(1)


def page_path(url):
    return urllib.parse.urlsplit(url).path
