# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Pluggable SMS backend for the one-time codes.

The backend is the class named by ``[marcier_wechat] sms_backend``
(``package.module:Class``) in trytond's configuration; it has a
``send(company, mobile, text)`` method.  The default, ``LogBackend``, sends
nothing: it writes the text to the server log and to the message centre of
the operator staff, which is enough for a demo and for tests.
"""
import importlib
import logging

from trytond import config
from trytond.i18n import lazy_gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)
DEFAULT = 'marcier_wechat.sms:LogBackend'


class LogBackend:
    "Writes the SMS to the server log and the operators' message centre"

    def send(self, company, mobile, text):
        Notification = Pool().get('res.notification')
        logger.warning("SMS to %s: %s", mobile, text)
        with Transaction().set_context(company=company.id):
            Notification.notify_group(
                'marcier_base.group_operator', 'reminder',
                lazy_gettext('marcier_wechat.msg_sms_title', mobile=mobile),
                body=text)


def backend():
    path = config.get('marcier_wechat', 'sms_backend', default=DEFAULT)
    module, _, name = path.partition(':')
    return getattr(importlib.import_module(module), name)()
