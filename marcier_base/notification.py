# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Message centre (SPEC C1) on top of Tryton's own res.notification.

Building on res.notification gives the unread badge, the live bus push and
the drop-down of the web client for free; this module adds the kind, a body,
the link to the related record and a "My messages" list.
"""
import json
import textwrap
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools.string_ import LazyString
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import StateAction, Wizard

from .exceptions import NotificationError

KIND_ICONS = {
    'todo': 'tryton-notification',
    'warning': 'tryton-warning',
    'reminder': 'tryton-info',
    }


def lazy_selection(record, name):
    """The label of the value of record's selection field name, in the
    language current when it is rendered (for Notification.notify): the
    field's translated descriptor would keep the record's context"""
    def label():
        selection = dict(record.fields_get([name])[name]['selection'])
        return selection.get(getattr(record, name), '')
    return LazyString(label)


class Notification(metaclass=PoolMeta):
    __name__ = 'res.notification'
    kind = fields.Selection([
            (None, ""),
            ('todo', "To-do"),
            ('warning', "Warning"),
            ('reminder', "Reminder"),
            ], "Kind", readonly=True)
    body = fields.Text("Body", readonly=True)
    related = fields.Function(
        fields.Reference("Related Record", selection='get_related_models'),
        'get_related')
    mine = fields.Function(
        fields.Boolean("Mine"), 'get_mine', searcher='search_mine')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'open_related': {
                    'invisible': ~Eval('model'),
                    'icon': 'tryton-forward',
                    'depends': ['model'],
                    },
                'mark_unread': {
                    'invisible': Eval('unread', False),
                    'icon': 'tryton-undo',
                    'depends': ['unread'],
                    },
                })

    @classmethod
    def get_related_models(cls):
        return [(None, '')] + Pool().get('ir.model').get_name_items()

    def get_related(self, name):
        if self.model and self.records:
            records = json.loads(self.records)
            if records:
                return f'{self.model},{records[0]}'

    def get_mine(self, name):
        return self.user.id == Transaction().user

    @classmethod
    def search_mine(cls, name, clause):
        _, operator, value = clause
        mine = operator == '=' and value or operator == '!=' and not value
        return [('user', '=' if mine else '!=', Transaction().user)]

    @classmethod
    def notify(cls, users, kind, title, body=None, record=None):
        """Send a message of kind to each user, linked to record

        title and body are texts or lazy_gettext() messages: a message is
        rendered in each recipient's language, as they read it.
        Works whatever the access rights of the caller: workflows of every
        module call it for recipients the caller cannot read.
        """
        if kind not in KIND_ICONS:
            raise NotificationError(gettext(
                    'marcier_base.msg_notification_kind', kind=kind))
        values = {
            'kind': kind,
            'icon': KIND_ICONS[kind],
            }
        if record is not None:
            values['model'] = record.__name__
            values['records'] = json.dumps([record.id])
        to_create = []
        with without_check_access():
            for language, user_ids in cls._by_language(users).items():
                with Transaction().set_context(language=language):
                    label, text = str(title or ''), body and str(body)
                if not label:
                    raise NotificationError(gettext(
                            'marcier_base.msg_notification_title'))
                to_create.extend({**values, 'user': u, 'label': label,
                        'body': text or None,
                        'description': textwrap.shorten(
                            text, width=100, placeholder='…')
                        if text else None,
                        } for u in user_ids)
            return cls.create(to_create)

    @classmethod
    def _by_language(cls, users):
        "{language code: [user id]} of users, sorted by id"
        User = Pool().get('res.user')
        default = Pool().get('ir.configuration').get_language()
        languages = defaultdict(list)
        with without_check_access():
            for user in User.browse(sorted({int(u) for u in users})):
                code = user.language.code if user.language else default
                languages[code].append(user.id)
        return languages

    @classmethod
    def labels(cls, title):
        """The renderings of title in every translatable language: what a
        label may be, to find a message already sent"""
        Lang = Pool().get('ir.lang')
        labels = set()
        for lang in Lang.search([('translatable', '=', True)]):
            with Transaction().set_context(language=lang.code):
                labels.add(str(title))
        return labels

    @classmethod
    def notify_group(cls, group, kind, title, body=None, record=None):
        """Send a message to the active users of group (a res.group or its
        XML id 'module.id') who work for the current company"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        if isinstance(group, str):
            group = ModelData.get_id(*group.split('.'))
        domain = [('groups', '=', int(group))]
        if company := Transaction().context.get('company'):
            domain.append(('companies', '=', company))
        with without_check_access():
            users = User.search(domain)
        return cls.notify(users, kind, title, body=body, record=record)

    @classmethod
    def _own(cls, notifications):
        return [n for n in notifications if n.user.id == Transaction().user]

    @classmethod
    @ModelView.button_action('marcier_base.act_notification_related')
    def open_related(cls, notifications):
        notification, = cls._own(notifications) or [None]
        if not notification or not notification.model:
            return
        cls.write([notification], {'unread': False})
        return {
            'name': notification.label,
            'res_model': notification.model,
            'res_id': json.loads(notification.records),
            'pyson_domain': json.dumps([
                    ['id', 'in', json.loads(notification.records)]]),
            }

    @classmethod
    @ModelView.button
    def mark_unread(cls, notifications):
        cls.write(cls._own(notifications), {'unread': True})


class OpenNotification(Wizard):
    "Open a message from the list, which marks it read"
    __name__ = 'res.notification.open'
    start_state = 'open_'
    open_ = StateAction('marcier_base.act_notification_open')

    def do_open_(self, action):
        pool = Pool()
        Notification = pool.get('res.notification')
        notifications = Notification._own(self.records)
        with without_check_access():
            Notification.write(notifications, {'unread': False})
        action['res_id'] = [n.id for n in notifications]
        action['pyson_domain'] = json.dumps(
            [['id', 'in', [n.id for n in notifications]]])
        return action, {}
