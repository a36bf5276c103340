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
# Composes the replies, so that a slow one is answered "success" in time
# and sent later through the customer service API
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


def _compose(database_name, account_id, values):
    with Transaction().start(database_name, 0, readonly=True) as transaction:
        account = Pool().get('wechat.account')(account_id)
        with transaction.set_context(company=account.company.id):
            return bot.compose(account, bot.build_message(values))


def _send_late(database_name, account_id, openid, future):
    "Send the reply that came too late through the customer service API"
    try:
        reply = future.result()
        if reply is None:
            return
        with Transaction().start(database_name, 0) as transaction:
            account = Pool().get('wechat.account')(account_id)
            with transaction.set_context(company=account.company.id):
                bot.send(account, openid, reply)
    except Exception:
        logger.exception("late WeChat reply to %s", openid)


@app.route('/<database_name>/wechat/<app_id>', methods={'GET', 'POST'})
@set_max_request_size(MAX_PUSH)
def server(request, database_name, app_id):
    pool = activated_pool(database_name)
    args = request.args
    with Transaction().start(database_name, 0) as transaction:
        Account = pool.get('wechat.account')
        Push = pool.get('wechat.push')
        account = Account.by_app_id(app_id)
        if not account:
            abort(HTTPStatus.NOT_FOUND)
        check_request(account, args)
        if request.method == 'GET':
            return Response(args.get('echostr', ''), content_type='text/plain')
        crypto = account.crypto()
        safe = args.get('encrypt_type') == 'aes'
        if bool(crypto) != safe:
            # The mode set in WeChat differs from the account's
            abort(HTTPStatus.BAD_REQUEST)
        data = request.get_data()  # 413 beyond MAX_PUSH
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
            return Response('success', content_type='text/plain')
        message = bot.build_message(values)
        with transaction.set_context(company=account.company.id):
            bot.record_follower(account, message)
        account_id, timeout = account.id, account.reply_timeout
    future = composers.submit(_compose, database_name, account_id, values)
    try:
        reply = future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        future.add_done_callback(lambda f: _send_late(
                database_name, account_id, message.source, f))
        return Response('success', content_type='text/plain')
    if reply is None:
        return Response('success', content_type='text/plain')
    xml = bot.render(reply, message)
    if safe:
        xml = crypto.encrypt_message(xml, args.get('nonce', ''))
    return Response(xml, content_type='application/xml')
