# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The company's WeChat official account: credentials, the wechatpy
clients (every HTTP call to WeChat goes through them, to a configurable
base URL) and the access token cache."""
import base64
import binascii
import logging
import urllib.parse

from wechatpy import WeChatClient, WeChatOAuth
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import WeChatException
from wechatpy.session.redisstorage import RedisStorage

from marcier_web import i18n
from marcier_web.i18n import N_, _
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.transaction import Transaction

from .exceptions import AccountError, WeChatAPIError
from .store import REFRESH_MARGIN, DatabaseStorage

logger = logging.getLogger(__name__)

WECHAT_API = 'https://api.weixin.qq.com'
WECHAT_OPEN = 'https://open.weixin.qq.com'
TIMEOUT = 10
# The custom menu: H5 page of each entry (the mall's own pages for Rent)
MENU = [
    (N_("Rent"), '/mall'),
    (N_("My vehicles"), 'vehicles'),
    (N_("Repair"), 'repairs/new'),
    (N_("Me"), 'me'),
    ]
# Shown in the user's language while the operator keeps it (welcome is
# translatable too: a changed text is translated in the back office)
WELCOME = N_("Welcome to Marcier electric vehicle leasing! Rent a vehicle, "
    "follow your vehicles and report a fault from the menu below.")


class Client(WeChatClient):
    "wechatpy's client talking to base_url instead of api.weixin.qq.com"

    def __init__(self, base_url, *args, **kwargs):
        self.base_url = base_url.rstrip('/')
        self.API_BASE_URL = self.base_url + '/cgi-bin/'
        super().__init__(*args, **kwargs)

    def _request(self, method, url_or_endpoint, **kwargs):
        # A few wechatpy endpoints carry the full URL of WeChat
        if url_or_endpoint.startswith(WECHAT_API):
            url_or_endpoint = self.base_url + url_or_endpoint[len(WECHAT_API):]
        kwargs.setdefault('api_base_url', self.API_BASE_URL)
        if kwargs['api_base_url'].startswith(WECHAT_API):
            kwargs['api_base_url'] = (
                self.base_url + kwargs['api_base_url'][len(WECHAT_API):])
        return super()._request(method, url_or_endpoint, **kwargs)

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=self.base_url + '/cgi-bin/token',
            params={
                'grant_type': 'client_credential',
                'appid': self.appid,
                'secret': self.secret,
                })


class OAuth(WeChatOAuth):
    "wechatpy's web authorisation against configurable hosts"

    def __init__(self, api_url, open_url, *args, **kwargs):
        self.API_BASE_URL = api_url.rstrip('/') + '/'
        self.OAUTH_BASE_URL = open_url.rstrip('/') + '/connect/'
        super().__init__(*args, **kwargs)


class EarlyRedisStorage(RedisStorage):
    "Redis storage that lets values die REFRESH_MARGIN seconds early"

    def set(self, key, value, ttl=None):
        super().set(key, value, max((ttl or 7200) - REFRESH_MARGIN, 1))


class Account(ModelSQL, ModelView):
    "WeChat Official Account"
    __name__ = 'wechat.account'
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    app_id = fields.Char("App ID", required=True, strip=True)
    secret = fields.Char("App Secret", required=True, strip=True)
    token = fields.Char(
        "Token", required=True, strip=True,
        help="The token of the server URL, that signs WeChat's pushes.")
    aes_key = fields.Char(
        "EncodingAESKey", strip=True,
        help="43 characters; set it for the safe (encrypted) mode.")
    api_url = fields.Char(
        "API Base URL", required=True, strip=True,
        help="WeChat's HTTP API (api.weixin.qq.com) or a stand-in.")
    open_url = fields.Char(
        "Authorisation Base URL", required=True, strip=True,
        help="Where users authorise the H5 pages (open.weixin.qq.com).")
    public_url = fields.Char(
        "Public URL", strip=True,
        help="This server's address as users reach it, for the links of "
        "the menu and of the messages.")
    redis_url = fields.Char(
        "Redis URL", strip=True,
        help="redis://host:port/db to cache the access token in Redis; "
        "empty: in the database.")
    welcome = fields.Text("Welcome Message", required=True, translate=True)
    reply_timeout = fields.Float(
        "Reply Timeout", required=True,
        help="Seconds to compose a reply before answering \"success\" and "
        "sending it through the customer service API (WeChat waits 5).")
    repair_template = fields.Char(
        "Repair Template ID", strip=True,
        help="Template message sent when a repair work order changes.")
    dunning_template = fields.Char(
        "Overdue Bill Template ID", strip=True,
        help="Template message reminding a customer of an overdue bill; "
        "without it, or to customers not following the account, an SMS.")
    _app_cache = Cache('wechat_account.by_app_id', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('app_id_unique', Unique(t, t.app_id),
                'marcier_wechat.msg_account_app_id_unique'),
            ('company_unique', Unique(t, t.company),
                'marcier_wechat.msg_account_company_unique'),
            ]
        cls._buttons.update({
                'publish_menu': {'icon': 'tryton-launch'},
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_api_url(cls):
        return WECHAT_API

    @classmethod
    def default_open_url(cls):
        return WECHAT_OPEN

    @classmethod
    def default_reply_timeout(cls):
        return 4.5

    @classmethod
    def default_welcome(cls):
        return WELCOME

    @classmethod
    def validate_fields(cls, accounts, field_names):
        super().validate_fields(accounts, field_names)
        if field_names & {'aes_key', 'api_url', 'open_url', 'public_url',
                'reply_timeout', 'redis_url'}:
            cls.check_settings(accounts)

    @classmethod
    def check_settings(cls, accounts):
        for account in accounts:
            if account.aes_key:
                try:
                    key = base64.b64decode(account.aes_key + '=')
                except binascii.Error:
                    key = b''
                if len(account.aes_key) != 43 or len(key) != 32:
                    raise AccountError(gettext(
                            'marcier_wechat.msg_account_aes_key'))
            for url in [account.api_url, account.open_url,
                    account.public_url]:
                if url and urllib.parse.urlsplit(url).scheme not in {
                        'http', 'https'}:
                    raise AccountError(gettext(
                            'marcier_wechat.msg_account_url', url=url))
            if account.redis_url and urllib.parse.urlsplit(
                    account.redis_url).scheme not in {'redis', 'rediss'}:
                raise AccountError(gettext(
                        'marcier_wechat.msg_account_url',
                        url=account.redis_url))
            if not 0 <= account.reply_timeout <= 4.8:
                raise AccountError(gettext(
                        'marcier_wechat.msg_account_reply_timeout'))

    @classmethod
    def on_modification(cls, mode, accounts, field_names=None):
        super().on_modification(mode, accounts, field_names=field_names)
        cls._app_cache.clear()

    @classmethod
    def by_app_id(cls, app_id):
        "The account of app_id or None, cached"
        account_id = cls._app_cache.get(app_id, -1)
        if account_id == -1:
            accounts = cls.search([('app_id', '=', app_id)], limit=1)
            account_id = accounts[0].id if accounts else None
            cls._app_cache.set(app_id, account_id)
        return cls(account_id) if account_id is not None else None

    @classmethod
    def for_company(cls, company):
        accounts = cls.search([('company', '=', int(company))], limit=1)
        return accounts[0] if accounts else None

    def crypto(self):
        "The message cipher of the safe mode, or None in plaintext mode"
        if self.aes_key:
            return WeChatCrypto(self.token, self.aes_key, self.app_id)

    def storage(self):
        prefix = f'wechat:{self.app_id}'
        if self.redis_url:
            import redis
            return EarlyRedisStorage(
                redis.Redis.from_url(self.redis_url, socket_timeout=2),
                prefix=prefix)
        return DatabaseStorage(prefix)

    def client(self):
        return Client(self.api_url, self.app_id, self.secret,
            session=self.storage(), timeout=TIMEOUT)

    def oauth(self, redirect_uri, scope='snsapi_base', state=''):
        return OAuth(self.api_url, self.open_url, self.app_id, self.secret,
            redirect_uri, scope=scope, state=state)

    def page_url(self, path):
        """Absolute URL of the H5 page at path (of this server when it
        starts with /), or None without public URL"""
        if not self.public_url:
            return None
        root = self.public_url.rstrip('/')
        if path.startswith('/'):
            return root + path
        database = Transaction().database.name
        return f'{root}/{database}/wechat/{self.app_id}/h5/{path}'

    def call(self, function, *args, **kwargs):
        "Call the WeChat API function(client, ...), errors as UserError"
        try:
            return function(self.client(), *args, **kwargs)
        except (WeChatException, OSError) as exception:
            logger.warning("WeChat API of %s: %s", self.app_id, exception)
            raise WeChatAPIError(gettext(
                    'marcier_wechat.msg_wechat_api', error=str(exception)))

    def keyword_articles(self, text):
        """News articles answering the keyword text, as [{'title',
        'description', 'image', 'url'}]; the mall's listings extend it"""
        return []

    def menu(self):
        "The custom menu: Rent, My vehicles, Repair, Me; one for all, Chinese"
        buttons = []
        with i18n.using(i18n.DEFAULT):
            menu = [(_(name), path) for name, path in MENU]
        for name, path in menu:
            if url := self.page_url(path):
                buttons.append({'type': 'view', 'name': name, 'url': url})
            else:
                buttons.append({'type': 'click', 'name': name, 'key': path})
        return {'button': buttons}

    @classmethod
    @ModelView.button
    def publish_menu(cls, accounts):
        for account in accounts:
            account.call(lambda c: c.menu.create(account.menu()))
