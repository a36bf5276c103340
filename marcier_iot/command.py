# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Downlink (SPEC F2): commands from the back office to a vehicle's
gateway, answered by an ack on the vehicle's ack topic."""
import datetime as dt
import json
import logging

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from marcier_base.model import AgentOwnedMixin
from marcier_wire import topics
from marcier_wire.transport import parse_broker

from . import downlink
from .commit import after_commit
from .exceptions import CommandError

logger = logging.getLogger(__name__)

# kind → the gateway's command name
GATEWAY_NAMES = {
    'lock': 'lock',
    'unlock': 'unlock',
    'report_interval': 'interval',
    'diagnostics': 'diagnostics',
    }
# What the gateway's answer and the time-out change on a sent command
ANSWER_FIELDS = {'state', 'answered_at', 'detail', 'result'}


class Command(AgentOwnedMixin, Workflow, ModelSQL, ModelView):
    "Vehicle Command"
    __name__ = 'iot.command'
    # audit trail: who sent what to which vehicle, and the answer
    _audited_fields = ('vehicle', 'kind', 'interval', 'state', 'sent_by',
        'detail')
    _states = {'readonly': Eval('state') != 'draft'}
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, ondelete='CASCADE',
        domain=[('gateway_id', '!=', None)], states=_states)
    kind = fields.Selection([
            ('lock', "Lock Drive"),
            ('unlock', "Unlock Drive"),
            ('report_interval', "Set Report Interval"),
            ('diagnostics', "Request Diagnostics"),
            ], "Command", required=True, states=_states)
    kind_string = kind.translated('kind')
    interval = fields.Integer(
        "Interval", states={
            'invisible': Eval('kind') != 'report_interval',
            'required': Eval('kind') == 'report_interval',
            'readonly': Eval('state') != 'draft',
            },
        domain=[If(Eval('kind') == 'report_interval',
                [('interval', '>=', 1), ('interval', '<=', 3600)], [])],
        help="Seconds between two reports of the gateway.")
    state = fields.Selection([
            ('draft', "Draft"),
            ('sent', "Sent"),
            ('acknowledged', "Acknowledged"),
            ('failed', "Failed"),
            ('timed_out', "Timed Out"),
            ], "State", required=True, readonly=True, sort=False)
    sent_at = fields.Timestamp("Sent", readonly=True)
    sent_by = fields.Many2One('res.user', "Sent By", readonly=True)
    answered_at = fields.Timestamp("Answered", readonly=True)
    detail = fields.Char("Answer", readonly=True)
    result = fields.Text("Result", readonly=True)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t,
                (t.state, Index.Equality()), where=t.state == 'sent'))
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'sent'),
            ('sent', 'acknowledged'),
            ('sent', 'failed'),
            ('sent', 'timed_out'),
            ('timed_out', 'acknowledged'),
            ('timed_out', 'failed'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends('vehicle', '_parent_vehicle.company',
        '_parent_vehicle.agent')
    def on_change_vehicle(self):
        if self.vehicle:
            self.company = self.vehicle.company
            self.agent = self.vehicle.agent

    @classmethod
    def preprocess_values(cls, mode, values):
        "A command belongs to the agent of its vehicle"
        Vehicle = Pool().get('device.vehicle')
        values = super().preprocess_values(mode, values)
        if values.get('vehicle'):
            vehicle = Vehicle(values['vehicle'])
            values['company'] = vehicle.company.id
            values['agent'] = vehicle.agent.id if vehicle.agent else None
        return values

    def get_rec_name(self, name):
        return f'{self.vehicle.rec_name}: {self.kind_string}'

    @classmethod
    def check_modification(cls, mode, commands, values=None, external=False):
        """A command once sent is a record of what a vehicle was told: no
        one changes or deletes it, administrators included; only its
        answer comes in (not through RPC)"""
        super().check_modification(
            mode, commands, values=values, external=external)
        if mode == 'create' and external:
            cls.check_drive_commands(commands)
        if mode not in {'write', 'delete'}:
            return
        for command in commands:
            if command.state == 'draft':
                continue
            if mode == 'delete':
                raise CommandError(gettext(
                        'marcier_iot.msg_command_delete_sent',
                        command=command.rec_name))
            if external or set(values) - ANSWER_FIELDS:
                raise CommandError(gettext(
                        'marcier_iot.msg_command_edit_sent',
                        command=command.rec_name))

    @classmethod
    def check_drive_commands(cls, commands):
        """Agent staff lock or unlock a drive only through an approved
        request (marcier_lease): not with a bare command"""
        User = Pool().get('res.user')
        if User.get_agent() is None:
            return
        for command in commands:
            if command.kind in {'lock', 'unlock'}:
                raise CommandError(gettext(
                        'marcier_iot.msg_command_drive_agent',
                        command=command.rec_name))

    @classmethod
    def _broker(cls):
        "The broker to publish to (None: the embedded hub) and the tenant"
        Configuration = Pool().get('iot.configuration')
        with without_check_access():  # the broker account is admin-only
            configuration = Configuration(1)
            return parse_broker(configuration.broker), configuration.tenant

    @classmethod
    def sendable(cls):
        "Whether send has somewhere to publish to"
        try:
            downlink.check(cls._broker()[0])
        except ConnectionError:
            return False
        return True

    def payload(self):
        return json.dumps({'id': self.id, 'cmd': GATEWAY_NAMES[self.kind],
                'value': self.interval}).encode()

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, commands):
        """Mark the commands sent and publish them once this transaction
        has committed: a rolled back send tells no gateway anything, and
        an answer always finds its command sent.  A message the broker
        does not take marks its command failed."""
        Vehicle = Pool().get('device.vehicle')
        broker, tenant = cls._broker()
        locks = [c for c in commands if c.kind == 'lock']
        # Never lock a moving vehicle: its live state, read again now
        Vehicle.forget([c.vehicle.id for c in locks])
        for command in locks:
            if not Vehicle(command.vehicle.id).stationary:
                raise CommandError(gettext(
                        'marcier_iot.msg_command_lock_moving',
                        command=command.rec_name))
        for command in commands[:1]:
            try:
                downlink.check(broker)
            except ConnectionError as exception:
                raise CommandError(gettext('marcier_iot.msg_command_send',
                        command=command.rec_name, reason=str(exception)))
        cls.write(commands, {
                'state': 'sent',
                'sent_at': dt.datetime.now(),
                'sent_by': Transaction().user,
                })
        messages = [(command.id, topics.topic(tenant,
                    command.vehicle.gateway_id, topics.COMMAND),
                command.payload()) for command in commands]
        after_commit('iot.command.send', cls.publish,
            Transaction().database.name, broker, messages, once=False)

    @classmethod
    def publish(cls, database_name, broker, messages):
        """After the commit of send: publish messages, [(command id, topic,
        payload)]; those the broker did not take fail"""
        failed = {}
        for ident, topic, payload in messages:
            try:
                downlink.publish(broker, topic, payload)
            except ConnectionError as exception:
                logger.warning("command %s not sent: %s", ident, exception)
                failed[ident] = str(exception)
        if not failed:
            return
        with Transaction(new=True).start(database_name, 0):
            to_write = []
            for command in cls.search([
                        ('id', 'in', list(failed)),
                        ('state', '=', 'sent'),
                        ]):
                to_write.extend([[command], {
                            'state': 'failed',
                            'answered_at': dt.datetime.now(),
                            'detail': f"not sent: {failed[command.id]}"[:200],
                            }])
            if to_write:
                cls.write(*to_write)

    @classmethod
    def answer(cls, answers):
        "answers: [(vehicle id, ack payload dict)] from the gateways"
        by_id = {}
        for vehicle_id, ack in answers:
            by_id[ack['id']] = (vehicle_id, ack)
        # Commands are published after their send commits: a draft was
        # never sent and cannot be answered
        commands = cls.search([
                ('id', 'in', list(by_id)),
                ('state', 'in', ['sent', 'timed_out']),
                ])
        to_write = []
        for command in commands:
            vehicle_id, ack = by_id[command.id]
            if command.vehicle.id != vehicle_id:
                continue  # another gateway cannot answer for this one
            result = ack.get('result')
            to_write.extend([[command], {
                        'state': 'acknowledged' if ack.get('ok')
                        else 'failed',
                        'answered_at': dt.datetime.now(),
                        'detail': str(ack.get('detail') or '')[:200],
                        'result': json.dumps(result, indent=2)
                        if result is not None else None,
                        }])
        if to_write:
            cls.write(*to_write)
        return len(to_write) // 2

    @classmethod
    def time_out(cls):
        "Cron: sent commands without answer for too long"
        Configuration = Pool().get('iot.configuration')
        with without_check_access():
            timeout = Configuration(1).command_timeout
        limit = dt.datetime.now() - dt.timedelta(seconds=timeout)
        commands = cls.search([
                ('state', '=', 'sent'),
                ('sent_at', '<', limit),
                ])
        if commands:
            cls.write(commands, {'state': 'timed_out'})
