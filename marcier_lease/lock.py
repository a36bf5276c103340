# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Remote drive lock for debt (保障租赁资产安全), with marcier_iot: agent
staff request it for a vehicle of an overdue contract, an operator approves
or refuses; the lock command goes out only while the vehicle stands still
(marcier_iot refuses to send a lock to a moving one), retried every minute
by a scheduled task until it does; paying off unlocks, at once or once an
operator approves (leasing configuration)."""
import datetime as dt

from trytond.i18n import gettext, lazy_gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from marcier_base.model import AgentOwnedMixin

from .exceptions import LockRequestError

OPEN_STATES = ['requested', 'approved', 'locked', 'paid']


class LockRequest(AgentOwnedMixin, Workflow, ModelSQL, ModelView):
    "Request to lock the drive of a leased vehicle for debt"
    __name__ = 'lease.lock.request'
    _audited_fields = ('state', 'reason', 'decided_by', 'lock_command',
        'unlock_command')  # audit trail
    _requested = Eval('state') == 'requested'
    contract = fields.Many2One(
        'lease.contract', "Contract", required=True, ondelete='RESTRICT',
        domain=[
            If(Eval('agent'), [('agent', '=', Eval('agent', -1))], []),
            ('state', 'in', ['in_progress', 'suspended', 'completed']),
            ],
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, ondelete='RESTRICT',
        domain=[
            ('gateway_id', '!=', None),
            ('agent', '=', Eval('agent', -1)),
            ],
        states={
            'readonly': Eval('id', -1) >= 0,
            },
        help="A vehicle of the contract, with a gateway.")
    reason = fields.Text("Reason", required=True,
        states={
            'readonly': ~_requested,
            })
    decision_note = fields.Text("Decision Note",
        states={
            'readonly': ~_requested,
            },
        help="Why the operator refuses, or what they approve.")
    requested_by = fields.Many2One('res.user', "Requested By", readonly=True)
    decided_by = fields.Many2One('res.user', "Decided By", readonly=True)
    decided_at = fields.Timestamp("Decided", readonly=True)
    lock_command = fields.Many2One(
        'iot.command', "Lock Command", readonly=True, ondelete='RESTRICT')
    unlock_command = fields.Many2One(
        'iot.command', "Unlock Command", readonly=True, ondelete='RESTRICT')
    state = fields.Selection([
            ('requested', "Requested"),
            ('approved', "Approved, Waiting for Standstill"),
            ('refused', "Refused"),
            ('locked', "Locked"),
            ('paid', "Paid Off, Unlock to Approve"),
            ('unlocked', "Unlocked"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    del _requested

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        cls._workflow_fields = {'requested_by', 'decided_by', 'decided_at',
            'lock_command', 'unlock_command'}
        cls._workflow_filled = {'requested_by'}  # preprocess_values
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    where=t.state.in_(OPEN_STATES)),
                Index(t, (t.contract, Index.Equality())),
                })
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('requested', 'approved'),
            ('requested', 'refused'),
            ('requested', 'cancelled'),
            ('approved', 'locked'),
            ('approved', 'cancelled'),
            ('locked', 'paid'),
            ('locked', 'unlocked'),
            ('paid', 'unlocked'),
            }
        cls._buttons.update({
                'approve': {
                    'invisible': Eval('state') != 'requested',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'refuse': {
                    'invisible': Eval('state') != 'requested',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'unlock': {
                    'invisible': Eval('state') != 'paid',
                    'icon': 'tryton-unlock',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'requested'

    @fields.depends('contract', '_parent_contract.agent',
        '_parent_contract.company')
    def on_change_contract(self):
        if self.contract:
            self.agent = self.contract.agent
            self.company = self.contract.company

    def get_rec_name(self, name):
        return f'{self.vehicle.rec_name} ({self.contract.rec_name})'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('vehicle.rec_name', operator, operand, *extra),
            ('contract.rec_name', operator, operand, *extra),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        "A request belongs to its contract's agent"
        Contract = Pool().get('lease.contract')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('contract'):
            contract = Contract(values['contract'])
            values['company'] = contract.company.id
            values['agent'] = contract.agent.id
        if mode == 'create':
            values['requested_by'] = Transaction().user or None
        return values

    @classmethod
    def check_modification(cls, mode, requests, values=None, external=False):
        super().check_modification(
            mode, requests, values=values, external=external)
        if mode == 'delete':
            raise LockRequestError(gettext(
                    'marcier_lease.msg_lock_request_delete'))
        if external and mode == 'write' and values:
            for request in requests:
                if request.state != 'requested':
                    raise LockRequestError(gettext(
                            'marcier_lease.msg_lock_request_decided',
                            request=request.rec_name))

    @classmethod
    def validate_fields(cls, requests, field_names):
        super().validate_fields(requests, field_names)
        if field_names & {'contract', 'vehicle', 'reason'}:
            cls.check_request(requests)

    @classmethod
    def check_request(cls, requests):
        "A vehicle of an overdue contract, a reason, one open request"
        Installment = Pool().get('lease.installment')
        for request in requests:
            contract = request.contract
            if not (request.reason or '').strip():
                raise LockRequestError(gettext(
                        'marcier_lease.msg_lock_request_reason'))
            if request.vehicle not in contract.vehicles:
                raise LockRequestError(gettext(
                        'marcier_lease.msg_lock_request_vehicle',
                        vehicle=request.vehicle.rec_name,
                        contract=contract.rec_name))
            if request.state == 'requested' and not Installment.search([
                        ('contract', '=', contract.id),
                        ('overdue', '=', True),
                        ], limit=1):
                raise LockRequestError(gettext(
                        'marcier_lease.msg_lock_request_not_overdue',
                        contract=contract.rec_name))
            if cls.search([
                        ('vehicle', '=', request.vehicle.id),
                        ('state', 'in', OPEN_STATES),
                        ('id', '!=', request.id),
                        ], limit=1):
                raise LockRequestError(gettext(
                        'marcier_lease.msg_lock_request_open',
                        vehicle=request.vehicle.rec_name))

    @classmethod
    def on_modification(cls, mode, requests, field_names=None):
        "The operators decide"
        Notification = Pool().get('res.notification')
        super().on_modification(mode, requests, field_names=field_names)
        if mode != 'create':
            return
        for request in requests:
            with Transaction().set_context(company=request.company.id):
                Notification.notify_group('marcier_base.group_operator',
                    'todo', *request._message('msg_lock_request_title',
                        'msg_lock_request_body'), record=request)

    def _message(self, title, body):
        values = {
            'vehicle': self.vehicle.rec_name,
            'contract': self.contract.rec_name,
            'customer': self.contract.customer.rec_name,
            'reason': self.reason,
            'note': self.decision_note or '-',
            }
        return (lazy_gettext(f'marcier_lease.{title}', **values),
            lazy_gettext(f'marcier_lease.{body}', **values))

    def _decided(self):
        return {'decided_by': Transaction().user or None,
            'decided_at': dt.datetime.now()}

    @classmethod
    @ModelView.button
    def approve(cls, requests):
        cls._approve(requests)
        # sent at once when the vehicle stands still; else by the task
        cls.send_locks(requests)

    @classmethod
    @Workflow.transition('approved')
    def _approve(cls, requests):
        for request in requests:
            cls.write([request], request._decided())
            request.agent.notify('reminder', *request._message(
                    'msg_lock_request_approved_title',
                    'msg_lock_request_approved_body'), record=request)

    @classmethod
    @ModelView.button
    @Workflow.transition('refused')
    def refuse(cls, requests):
        for request in requests:
            cls.write([request], request._decided())
            request.agent.notify('reminder', *request._message(
                    'msg_lock_request_refused_title',
                    'msg_lock_request_refused_body'), record=request)

    @classmethod
    @ModelView.button
    @Workflow.transition('unlocked')
    def unlock(cls, requests):
        "Send the unlock commands (an operator approves after pay-off)"
        cls._send(requests, 'unlock', 'unlock_command')

    @classmethod
    def _send(cls, requests, kind, field):
        pool = Pool()
        Command = pool.get('iot.command')
        commands = Command.create([{
                    'vehicle': r.vehicle.id, 'kind': kind,
                    } for r in requests])
        Command.send(commands)
        for request, command in zip(requests, commands):
            cls.write([request], {field: command.id})

    @classmethod
    def send_locks(cls, requests=None):
        """Send the lock of the approved requests whose vehicle stands still
        now (read again from its live state); the others wait.  Also the
        scheduled task, every minute, with no requests."""
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Command = pool.get('iot.command')
        if requests is None:
            domain = [('state', '=', 'approved')]
            if company := Transaction().context.get('company'):
                domain.append(('company', '=', company))
            requests = cls.search(domain)
        requests = [r for r in requests if r.state == 'approved']
        if not requests or not Command.sendable():
            return
        # The listener changes the live state in other transactions
        Vehicle.forget([r.vehicle.id for r in requests])
        still = [r for r in cls.browse(requests)
            if Vehicle(r.vehicle.id).stationary]
        if still:
            cls._lock(still)

    @classmethod
    @Workflow.transition('locked')
    def _lock(cls, requests):
        cls._send(requests, 'lock', 'lock_command')
        for request in requests:
            request.agent.notify('reminder', *request._message(
                    'msg_lock_request_locked_title',
                    'msg_lock_request_locked_body'), record=request)

    @classmethod
    def paid_off(cls, contracts):
        """The contracts have no overdue bill left: open requests end, the
        locked vehicles are unlocked (or wait for an operator); whoever
        records the payment"""
        with without_check_access():
            cls._paid_off(contracts)

    @classmethod
    def _paid_off(cls, contracts):
        pool = Pool()
        Installment = pool.get('lease.installment')
        Configuration = pool.get('lease.configuration')
        Notification = pool.get('res.notification')
        contracts = [c for c in contracts if not Installment.search([
                    ('contract', '=', c.id), ('overdue', '=', True),
                    ], limit=1)]
        requests = cls.search([
                ('contract', 'in', [c.id for c in contracts]),
                ('state', 'in', ['requested', 'approved', 'locked']),
                ])
        cls.cancel([r for r in requests if r.state != 'locked'])
        locked = [r for r in requests if r.state == 'locked']
        if not locked:
            return
        if Configuration(1).unlock_approval:
            cls.wait_unlock(locked)
            for request in locked:
                with Transaction().set_context(company=request.company.id):
                    Notification.notify_group('marcier_base.group_operator',
                        'todo', *request._message(
                            'msg_lock_request_paid_title',
                            'msg_lock_request_paid_body'), record=request)
        else:
            cls.unlock(locked)

    @classmethod
    @Workflow.transition('cancelled')
    def cancel(cls, requests):
        pass

    @classmethod
    @Workflow.transition('paid')
    def wait_unlock(cls, requests):
        pass


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('lease.lock.request|send_locks',
                "Lock the Approved Drives of Vehicles Standing Still"))


class Installment(metaclass=PoolMeta):
    __name__ = 'lease.installment'

    def pay(self, amount, date, description=None):
        "Paying off the last overdue bill unlocks the contract's vehicles"
        LockRequest = Pool().get('lease.lock.request')
        payment = super().pay(amount, date, description=description)
        if self.state == 'paid':
            LockRequest.paid_off([self.contract])
        return payment
