# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt

from sql.aggregate import Count
from sql.functions import CurrentTimestamp
from sql.operators import Equal

from trytond.i18n import gettext, lazy_gettext
from trytond.model import (
    Exclude, Index, ModelSQL, ModelView, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools.string_ import LazyString
from trytond.transaction import Transaction

from marcier_base.model import AgentOwnedMixin
from marcier_base.notification import lazy_selection
from marcier_device.product import lazy_product_name

from . import rules

KINDS = [
    ('low_soc', "Low Battery"),
    ('over_temperature', "Over-Temperature"),
    ('controller_fault', "Controller Fault"),
    ('battery_fault', "Battery Fault"),
    ('geofence', "Out of Service Area"),
    ('no_data', "No Data"),
    ]
ACTIVE = ['open', 'acknowledged']


def detail_values(detail):
    "The stored form of a rule's detail (message, values)"
    if detail:
        message, values = detail
        return {'message': message, **values}


class Alarm(AgentOwnedMixin, Workflow, ModelSQL, ModelView):
    "Vehicle Alarm"
    __name__ = 'iot.alarm'
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, readonly=True,
        ondelete='CASCADE')
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    kind_string = kind.translated('kind')
    state = fields.Selection([
            ('open', "Open"),
            ('acknowledged', "Acknowledged"),
            ('closed', "Closed"),
            ], "State", required=True, readonly=True, sort=False)
    opened = fields.Timestamp("Opened", required=True, readonly=True)
    updated = fields.Timestamp(
        "Last Update", readonly=True,
        help="The latest sample that still raised the alarm.")
    closed = fields.Timestamp("Closed", readonly=True)
    value = fields.Float("Value", readonly=True)
    detail = fields.Function(fields.Char("Detail"), 'get_detail')
    # What the rule saw, rendered in the reader's language: {'message':
    # the rule's message, its values} (rules.py)
    detail_values = fields.Dict(None, "Detail Values", readonly=True)
    # The detail of alarms raised before details were rendered per reader
    recorded_detail = fields.Char("Recorded Detail", readonly=True)
    occurrences = fields.Integer(
        "Occurrences", readonly=True,
        help="Samples that raised the alarm while it was active.")
    acknowledged_by = fields.Many2One(
        'res.user', "Acknowledged By", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('active_unique', Exclude(t,
                    (t.vehicle, Equal), (t.kind, Equal),
                    where=t.state != 'closed'),
                'marcier_iot.msg_alarm_active_unique'),
            ]
        cls._sql_indexes.add(Index(t,
                (t.state, Index.Equality()), where=t.state != 'closed'))
        cls._order = [('opened', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('open', 'acknowledged'),
            ('open', 'closed'),
            ('acknowledged', 'closed'),
            }
        cls._buttons.update({
                'acknowledge': {
                    'invisible': Eval('state') != 'open',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') == 'closed',
                    'icon': 'tryton-close',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        # Migration from English details stored as text
        if (table_h.column_exist('detail')
                and not table_h.column_exist('recorded_detail')):
            table_h.column_rename('detail', 'recorded_detail')
        super().__register__(module)

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_occurrences(cls):
        return 1

    def get_detail(self, name):
        "The detail in the language of the transaction"
        if not self.detail_values:
            return self.recorded_detail
        values = dict(self.detail_values)
        message = values.pop('message')
        if message == 'battery_fault':  # the names of the BMS's flags
            return ', '.join(
                gettext(f'marcier_iot.msg_bms_fault_{f.lower()}')
                for f in values['faults'])
        return gettext(f'marcier_iot.msg_alarm_detail_{message}', **values)

    def get_rec_name(self, name):
        return f'{self.vehicle.rec_name}: {self.kind_string}'

    @classmethod
    @ModelView.button
    @Workflow.transition('acknowledged')
    def acknowledge(cls, alarms):
        cls.write(alarms, {'acknowledged_by': Transaction().user})

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, alarms):
        cls.write(alarms, {'closed': dt.datetime.now()})

    @classmethod
    def on_modification(cls, mode, alarms, field_names=None):
        super().on_modification(mode, alarms, field_names=field_names)
        if mode == 'create' or (mode == 'write' and 'state' in field_names):
            cls.count_active({a.vehicle.id for a in alarms})

    @classmethod
    def count_active(cls, vehicle_ids):
        "Store on each vehicle how many of its alarms are active"
        if not vehicle_ids:
            return
        Vehicle = Pool().get('device.vehicle')
        vehicle = Vehicle.__table__()
        alarm = cls.__table__()
        cursor = Transaction().connection.cursor()
        count = alarm.select(Count(alarm.id),
            where=(alarm.vehicle == vehicle.id) & alarm.state.in_(ACTIVE))
        # live_changed: the fleet map shows the new count at its next poll
        cursor.execute(*vehicle.update(
                [vehicle.alarm_count, vehicle.live_changed],
                [count, CurrentTimestamp()],
                where=vehicle.id.in_(list(vehicle_ids))))
        Vehicle.forget(vehicle_ids)

    @classmethod
    def evaluate(cls, samples, owners, areas):
        """Open, update or close the alarms of vehicles from their latest
        sample; samples = {vehicle id: (time, values)}, owners = {vehicle id:
        (company id, agent id)}, areas = {vehicle id: service area circles}.
        Plain ids: the listener runs this for a thousand vehicles a batch.
        Returns the alarms opened"""
        Configuration = Pool().get('iot.configuration')
        config = Configuration(1)
        return cls.apply({vehicle: (time, rules.evaluate(
                        config, values, areas.get(vehicle)))
                for vehicle, (time, values) in samples.items()}, owners)

    @classmethod
    def apply(cls, verdicts, owners):
        """verdicts = {vehicle id: (time, {kind: (on, value, detail)})},
        owners = {vehicle id: (company id, agent id)}"""
        active = {(a.vehicle.id, a.kind): a for a in cls.search([
                    ('vehicle', 'in', list(verdicts)),
                    ('state', 'in', ACTIVE),
                    ])}
        to_create, to_close, to_update = [], [], []
        for vehicle, (time, kinds) in verdicts.items():
            for kind, (on, value, detail) in kinds.items():
                alarm = active.get((vehicle, kind))
                if on and alarm:
                    to_update.extend([[alarm], {
                                'updated': time, 'value': value,
                                'detail_values': detail_values(detail),
                                'occurrences': alarm.occurrences + 1}])
                elif on:
                    company, agent = owners[vehicle]
                    to_create.append({
                            'company': company, 'agent': agent,
                            'vehicle': vehicle, 'kind': kind,
                            'opened': time, 'updated': time,
                            'value': value,
                            'detail_values': detail_values(detail)})
                elif alarm:
                    to_close.extend([[alarm], {'state': 'closed',
                                'closed': time, 'value': value}])
        if to_update:
            cls.write(*to_update)
        if to_close:
            cls.write(*to_close)
        opened = cls.create(to_create)
        cls.warn(opened)
        return opened

    @classmethod
    def warn(cls, alarms):
        "A warning to the vehicle's agent staff and to the operator"
        Notification = Pool().get('res.notification')
        for alarm in alarms:
            # Rendered in each recipient's language
            kind = lazy_selection(alarm, 'kind')
            title = lazy_gettext('marcier_iot.msg_alarm_title',
                kind=kind, vehicle=alarm.vehicle.rec_name)
            body = lazy_gettext('marcier_iot.msg_alarm_body',
                kind=kind, vehicle=alarm.vehicle.rec_name,
                model=lazy_product_name(alarm.vehicle.product),
                opened=f'{alarm.opened:%Y-%m-%d %H:%M}',
                detail=LazyString(
                    lambda alarm: alarm.get_detail('detail') or '', alarm))
            if alarm.agent:
                alarm.agent.notify('warning', title, body=body, record=alarm)
            with Transaction().set_context(company=alarm.company.id):
                Notification.notify_group('marcier_base.group_operator',
                    'warning', title, body=body, record=alarm)

    @classmethod
    def check_silence(cls):
        "Cron: open a no data alarm on vehicles silent for too long"
        pool = Pool()
        Configuration = pool.get('iot.configuration')
        Vehicle = pool.get('device.vehicle')
        config = Configuration(1)
        now = dt.datetime.now()
        limit = now - dt.timedelta(minutes=config.no_data_minutes)
        silent = Vehicle.search([
                ('last_seen', '<', limit),
                ('gateway_id', '!=', None),
                ('status', '!=', 'retired'),
                ])
        cls.apply({v.id: (now, {'no_data': (True,
                        round((now - v.last_seen).total_seconds() / 60),
                        ('no_data',
                            {'since': f'{v.last_seen:%Y-%m-%d %H:%M}'}))})
                for v in silent},
            {v.id: (v.company.id, v.agent.id if v.agent else None)
                for v in silent})

