# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""What the official account answers to the messages and events WeChat
pushes to the server URL (routes.server holds the protocol)."""
import datetime as dt

from defusedxml import ElementTree
from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage
from wechatpy.replies import ArticlesReply, TextReply

from marcier_mall import storefront
from marcier_web import i18n
from marcier_web.i18n import _
from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .account import MENU, WELCOME

MAX_ARTICLES = 8  # WeChat shows at most 8 news articles in a reply


def parse_xml(data):
    """The fields of a pushed XML document as a dict; defusedxml refuses
    DTDs, entities and external references"""
    root = ElementTree.fromstring(data, forbid_dtd=True)
    if root.tag != 'xml':
        raise ValueError("not a WeChat push")
    return {child.tag: (child.text or '') for child in root}


def build_message(values):
    "The wechatpy message or event of the pushed fields"
    type_ = values.get('MsgType', '').lower()
    if type_ == 'event':
        return EVENT_TYPES.get(
            values.get('Event', '').lower(), UnknownMessage)(values)
    return MESSAGE_TYPES.get(type_, UnknownMessage)(values)


def dedup_key(values):
    "WeChat retries a push 3 times: MsgId, else sender + time + event"
    if values.get('MsgId'):
        return 'm:' + values['MsgId']
    return 'e:%s:%s:%s' % (values.get('FromUserName'),
        values.get('CreateTime'), values.get('Event'))


class Push(ModelSQL):
    "WeChat Push received, to answer each one once"
    __name__ = 'wechat.push'
    account = fields.Many2One(
        'wechat.account', "Account", required=True, ondelete='CASCADE')
    key = fields.Char("Key", required=True)
    received = fields.Timestamp("Received", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_unique', Unique(t, t.account, t.key),
                'marcier_wechat.msg_push_key'),
            ]
        cls._sql_indexes.add(Index(t, (t.received, Index.Range())))

    @classmethod
    def first_time(cls, account, values):
        """Record the push; False when it came before.  A retry racing
        its original fails on the unique key and WeChat retries again."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        key = dedup_key(values)
        cursor.execute(*table.select(table.id, where=(
                    table.account == account.id) & (table.key == key),
                limit=1))
        if cursor.fetchone():
            return False
        now = dt.datetime.now()
        cursor.execute(*table.insert(
                [table.account, table.key, table.received, table.create_uid,
                    table.create_date],
                [[account.id, key, now, 0, now]]))
        return True

    @classmethod
    def purge(cls, days=3):
        "WeChat retries within a minute: older keys are of no use"
        table = cls.__table__()
        Transaction().connection.cursor().execute(*table.delete(
                where=table.received < (
                    dt.datetime.now() - dt.timedelta(days=days))))


def record_follower(account, message):
    "Follow and unfollow events update the follower; in a writable transaction"
    User = Pool().get('wechat.user')
    if message.type == 'event' and message.event in {
            'subscribe', 'subscribe_scan', 'unsubscribe'}:
        User.set_subscribed(
            account, message.source, message.event != 'unsubscribe')


def language(account, openid):
    "The language of the replies to openid: WeChat's when known, else Chinese"
    User = Pool().get('wechat.user')
    users = User.search([
            ('account', '=', account.id), ('openid', '=', openid)], limit=1)
    return i18n.match(users[0].language if users else None) or i18n.DEFAULT


def compose(account, message):
    """The answer to message in the user's language: ('text', content),
    ('articles', [{title, description, image, url}]) or None"""
    Account = Pool().get('wechat.account')
    with i18n.using(language(account, message.source)) as language_, \
            Transaction().set_context(language=language_):
        # The translatable texts (welcome) in the user's language
        return _compose(Account(account.id), message)


def _compose(account, message):
    if message.type == 'event':
        if message.event in {'subscribe', 'subscribe_scan'}:
            return 'text', welcome(account)
        if message.event == 'click':
            return 'text', _("Open the “%(page)s” page from the menu once "
                "the account has its public URL.", page=message.key)
        return None
    if message.type == 'text':
        text = message.content.strip()
        articles = account.keyword_articles(text)[:MAX_ARTICLES] if text else []
        if articles:
            return 'articles', articles
        return 'text', no_match(text)
    keywords = suggestions()
    if not keywords:
        return 'text', _("Thank you! Open Rent in the menu to see the "
            "vehicles for rent.")
    return 'text', _("Thank you! Send a keyword such as %(keywords)s to find "
        "vehicles, or use the menu.", keywords=keywords)


def suggestions(count=3):
    "Keywords that find vehicles: categories of listed offers, user's language"
    return _(', ').join(f'“{k}”' for k in storefront.keywords()[:count])


def no_match(text):
    keywords = suggestions()
    if not keywords:
        return _("No vehicle matches “%(text)s”: none is for rent at the "
            "moment.", text=text)
    return _("No vehicle matches “%(text)s”. Send a keyword such as "
        "%(keywords)s, or open Rent in the menu.", text=text,
        keywords=keywords)


def welcome(account):
    "The welcome text with the menu's pages"
    text = account.welcome
    lines = [_(WELCOME) if text == WELCOME else text]
    for name, path in MENU:
        url = account.page_url(path)
        if url:
            lines.append(f'<a href="{url}">{_(name)}</a>')
    return '\n'.join(lines)


def render(reply, message):
    "The passive reply XML of reply, answered to message"
    kind, content = reply
    if kind == 'text':
        return TextReply(message=message, content=content).render()
    return ArticlesReply(message=message, articles=content).render()


def send(account, openid, reply):
    "Send reply through the customer service API (the late answer)"
    kind, content = reply
    if kind == 'text':
        account.call(lambda c: c.message.send_text(openid, content))
    else:
        account.call(lambda c: c.message.send_articles(openid, content))
