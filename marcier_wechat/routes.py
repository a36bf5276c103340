# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The server URL of the official account: WeChat checks it with a GET
and pushes the users' messages and events to it with POSTs, in plaintext
or safe (AES) mode.  The H5 pages are in h5.py."""
import concurrent.futures
import logging
import time

from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from trytond.pool import Pool
from trytond.protocols.wrappers import (
    HTTPStatus, Response, abort, set_max_request_size)
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import bot, h5  # noqa: F401 (h5 registers the pages)
from .web import activated_pool

logger = logging.getLogger(__name__)

MAX_PUSH = 64 * 1024
MAX_AGE = 5 * 60  # seconds a signed push stays valid
MAX_WAIT = 4.8  # WeChat gives up after 5 s
# Check and answer the pushes, so that a slow answer is "success" in time
# and the reply goes later through the customer service API.  Forged
# pushes waiting past MAX_WAIT get "success" too: no content, no harm.
composers = concurrent.futures.ThreadPoolExecutor(
    max_workers=8, thread_name_prefix='wechat-reply')


def check_request(account, args):
    "403 unless WeChat signed the request with the token in the last 5 min"
    timestamp = args.get('timestamp', '')
    try:
        check_signature(account.token, args.get('signature', ''),
            timestamp, args.get('nonce', ''))
        if abs(time.time() - int(timestamp)) > MAX_AGE:
            raise InvalidSignatureException()
    except (InvalidSignatureException, ValueError):
        abort(HTTPStatus.FORBIDDEN)


def _answer(database_name, app_id, args, data, received):
    """Check, record and answer a push in one transaction, in a composer
    thread: (openid, reply, passive reply XML or None when too late)"""
    pool = Pool(database_name)
    with Transaction().start(database_name, 0) as transaction:
        Account = pool.get('wechat.account')
        Push = pool.get('wechat.push')
        account = Account.by_app_id(app_id)
        if not account:
            abort(HTTPStatus.NOT_FOUND)
        check_request(account, args)
        crypto = account.crypto()
        safe = args.get('encrypt_type') == 'aes'
        if bool(crypto) != safe:
            # The mode set in WeChat differs from the account's
            abort(HTTPStatus.BAD_REQUEST)
        try:
            values = bot.parse_xml(data)
            if safe:
                values = bot.parse_xml(crypto.decrypt_message(
                        values, args.get('msg_signature', ''),
                        args['timestamp'], args.get('nonce', '')))
        except (InvalidSignatureException, InvalidAppIdException):
            abort(HTTPStatus.FORBIDDEN)
        except Exception:
            abort(HTTPStatus.BAD_REQUEST)
        if (values.get('ToUserName') is None
                or not values.get('FromUserName')
                or not values.get('MsgType')):
            abort(HTTPStatus.BAD_REQUEST)
        if not Push.first_time(account, values):
            return values['FromUserName'], None, None
        message = bot.build_message(values)
        with transaction.set_context(company=account.company.id):
            bot.record_follower(account, message)
            reply = bot.compose(account, message)
        if reply is None:
            return message.source, None, None
        if time.monotonic() - received > account.reply_timeout:
            return message.source, reply, None
        xml = bot.render(reply, message)
        if safe:
            xml = crypto.encrypt_message(xml, args.get('nonce', ''))
        return message.source, reply, xml


def _send_late(database_name, app_id, future):
    "Send the reply that came too late through the customer service API"
    try:
        openid, reply, xml = future.result()
        if reply is None or xml is not None:
            return
        with Transaction().start(database_name, 0) as transaction:
            account = Pool().get('wechat.account').by_app_id(app_id)
            with transaction.set_context(company=account.company.id):
                bot.send(account, openid, reply)
    except Exception:
        logger.exception("late WeChat reply on %s", app_id)


@app.route('/<database_name>/wechat/<app_id>', methods={'GET', 'POST'})
@set_max_request_size(MAX_PUSH)
def server(request, database_name, app_id):
    received = time.monotonic()
    pool = activated_pool(database_name)
    if request.method == 'GET':
        with Transaction().start(database_name, 0, readonly=True):
            account = pool.get('wechat.account').by_app_id(app_id)
            if not account:
                abort(HTTPStatus.NOT_FOUND)
            check_request(account, request.args)
        return Response(request.args.get('echostr', ''),
            content_type='text/plain')
    data = request.get_data()  # 413 beyond MAX_PUSH
    future = composers.submit(
        _answer, database_name, app_id, request.args, data, received)
    future.add_done_callback(
        lambda f: _send_late(database_name, app_id, f))
    try:
        _, _, xml = future.result(timeout=MAX_WAIT)
    except concurrent.futures.TimeoutError:
        xml = None
    if xml is None:
        return Response('success', content_type='text/plain')
    return Response(xml, content_type='application/xml')
