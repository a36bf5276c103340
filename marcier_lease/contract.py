# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Lease contracts (租赁合同): vehicles, period, rent, deposit and billing
cycle; the workflow moves the vehicles and generates the payment plan."""
import datetime as dt
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from trytond.i18n import gettext, lazy_gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from marcier_base.model import AgentOwnedMixin
from marcier_device.product import ProductMigrationMixin

from .availability import holding_contract
from .exceptions import (
    ContractDateError, ContractError, ContractOverlapError)
from .late_fee import METHODS as LATE_FEE_METHODS
from .late_fee import RATE_DIGITS

STATES = [
    ('not_started', "Not Started"),
    ('in_progress', "In Progress"),
    ('suspended', "Suspended"),
    ('completed', "Completed"),
    ('cancelled', "Cancelled"),
    ]
BILLING_CYCLES = [
    ('monthly', "Monthly"),
    ('quarterly', "Quarterly"),
    ('one_off', "One-Off"),
    ]
CYCLE_MONTHS = {'monthly': 1, 'quarterly': 3}
# Rent of a partial month: the monthly rent / 30 per day (按日计租)
DAYS_PER_MONTH = 30
EXPIRY_WARNING_DAYS = 5


def billing_periods(start, end, cycle):
    """[(first day, last day, months)] covering start..end (inclusive) by
    cycle; months is a Decimal, a partial month counts its days / 30"""
    periods = []
    first = start
    while first <= end:
        if cycle in CYCLE_MONTHS:
            last = min(
                first + relativedelta(months=CYCLE_MONTHS[cycle])
                - dt.timedelta(days=1), end)
        else:
            last = end
        after, months = last + dt.timedelta(days=1), 0
        while first + relativedelta(months=months + 1) <= after:
            months += 1
        days = (after - (first + relativedelta(months=months))).days
        periods.append((first, last,
                Decimal(months) + Decimal(days) / DAYS_PER_MONTH))
        first = after
    return periods


class Contract(AgentOwnedMixin, Workflow, ModelSQL, ModelView):
    "Lease contract of vehicles between an agent and a customer"
    __name__ = 'lease.contract'
    _audited_fields = (  # contract money (audit trail, G1)
        'state', 'customer', 'deposit', 'start_date', 'end_date',
        'late_fee_method', 'late_fee_rate', 'late_fee_amount')
    _rec_name = 'number'
    _editable = Eval('state') == 'not_started'
    number = fields.Char("Number", readonly=True)
    customer = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        states={
            'readonly': ~_editable,
            },
        depends={'company'},
        help="A customer of the agent.")
    city = fields.Many2One(
        'marcier.city', "City", ondelete='RESTRICT',
        states={
            'readonly': ~_editable,
            },
        help="Where the vehicles work: it narrows their geofence.")
    start_date = fields.Date("Start Date", required=True,
        states={
            'readonly': ~_editable,
            })
    end_date = fields.Date("End Date", required=True,
        states={
            'readonly': ~_editable,
            })
    termination_date = fields.Date("Termination Date", readonly=True,
        states={
            'invisible': ~Eval('termination_date'),
            },
        help="The last day of a contract ended before its end date.")
    billing_cycle = fields.Selection(BILLING_CYCLES, "Billing Cycle",
        required=True, sort=False,
        states={
            'readonly': ~_editable,
            })
    billing_cycle_string = billing_cycle.translated('billing_cycle')
    currency = fields.Many2One('currency.currency', "Currency", required=True,
        states={
            'readonly': ~_editable,
            })
    deposit = Monetary("Deposit", currency='currency', digits='currency',
        required=True,
        states={
            'readonly': ~_editable,
            })
    late_fee_method = fields.Selection(
        LATE_FEE_METHODS, "Late Fee", required=True, sort=False,
        states={
            'readonly': ~_editable,
            },
        help="What an overdue bill costs the customer: a daily rate of "
        "the unpaid rent or a fixed fee per overdue bill.")
    late_fee_rate = fields.Numeric("Late Fee Daily Rate", digits=RATE_DIGITS,
        domain=[If(Eval('late_fee_method') == 'daily', [
                    ('late_fee_rate', '>=', 0),
                    ('late_fee_rate', '<=', 0.01),
                    ], [])],
        states={
            'readonly': ~_editable,
            'invisible': Eval('late_fee_method') != 'daily',
            'required': Eval('late_fee_method') == 'daily',
            },
        help="Share of the unpaid rent per day overdue: 0.0005 is 0.05 %.")
    late_fee_amount = Monetary(
        "Late Fee per Bill", currency='currency', digits='currency',
        domain=[If(Eval('late_fee_method') == 'fixed', [
                    ('late_fee_amount', '>=', 0),
                    ], [])],
        states={
            'readonly': ~_editable,
            'invisible': Eval('late_fee_method') != 'fixed',
            'required': Eval('late_fee_method') == 'fixed',
            })
    late_fees = fields.One2Many(
        'lease.late_fee', 'contract', "Late Fees", readonly=True)
    lines = fields.One2Many('lease.contract.line', 'contract', "Vehicles",
        states={
            'readonly': ~_editable,
            })
    rent = fields.Function(Monetary(
            "Rent per Month", currency='currency', digits='currency'),
        'get_rent')
    installments = fields.One2Many(
        'lease.installment', 'contract', "Payment Plan",
        states={
            'readonly': ~_editable,
            })
    events = fields.One2Many(
        'device.vehicle.event', 'contract', "Vehicle Records",
        states={
            'readonly': Eval('state').in_(['not_started', 'cancelled']),
            },
        help="Entry to and exit from site, repairs and maintenance.")
    suspension_reason = fields.Text("Suspension Reason",
        states={
            'invisible': ~Eval('state').in_(['in_progress', 'suspended']),
            'readonly': Eval('state') != 'in_progress',
            })
    predecessor = fields.Many2One(
        'lease.contract', "Renewal Of", readonly=True, ondelete='RESTRICT',
        states={
            'invisible': ~Eval('predecessor'),
            })
    successors = fields.One2Many(
        'lease.contract', 'predecessor', "Renewals", readonly=True,
        states={
            'invisible': ~Eval('successors'),
            })
    expiry_warned = fields.Boolean("Expiry Warned", readonly=True)
    note = fields.Text("Note")
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    del _editable

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        # Only the workflow sets them (marcier_base.model.WorkflowFieldsMixin)
        cls._workflow_fields = {
            'number', 'termination_date', 'expiry_warned', 'predecessor'}
        cls._workflow_filled = {'number'}  # the sequence's
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    (t.agent, Index.Equality())),
                Index(t, (t.agent, Index.Equality()),
                    (t.start_date, Index.Range())),
                Index(t, (t.end_date, Index.Range()),
                    where=t.state.in_(['in_progress', 'suspended'])),
                Index(t, (t.start_date, Index.Range()),
                    where=t.state == 'not_started'),
                Index(t, (t.customer, Index.Equality())),
                })
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('not_started', 'in_progress'),
            ('not_started', 'cancelled'),
            ('in_progress', 'suspended'),
            ('suspended', 'in_progress'),
            ('in_progress', 'completed'),
            ('suspended', 'completed'),
            }
        cls._buttons.update({
                'plan': {
                    'invisible': Eval('state') != 'not_started',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                'start': {
                    'invisible': Eval('state') != 'not_started',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'not_started',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'suspend': {
                    'invisible': Eval('state') != 'in_progress',
                    'icon': 'tryton-pause',
                    'depends': ['state'],
                    },
                'resume': {
                    'invisible': Eval('state') != 'suspended',
                    'icon': 'tryton-play',
                    'depends': ['state'],
                    },
                'complete': {
                    'invisible': Eval('state') != 'in_progress',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'terminate': {
                    'invisible': ~Eval('state').in_(
                        ['in_progress', 'suspended']),
                    'icon': 'tryton-delete',
                    'depends': ['state'],
                    },
                'renew': {
                    'invisible': ~Eval('state').in_(
                        ['in_progress', 'suspended', 'completed']),
                    'icon': 'tryton-copy',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'not_started'

    @classmethod
    def default_billing_cycle(cls):
        return 'monthly'

    @classmethod
    def default_deposit(cls):
        return Decimal(0)

    @classmethod
    def default_expiry_warned(cls):
        return False

    @classmethod
    def _late_fee_default(cls, name):
        return getattr(Pool().get('lease.configuration')(1), name)

    @classmethod
    def default_late_fee_method(cls):
        return cls._late_fee_default('late_fee_method') or 'none'

    @classmethod
    def default_late_fee_rate(cls):
        return cls._late_fee_default('late_fee_rate')

    @classmethod
    def default_late_fee_amount(cls):
        return cls._late_fee_default('late_fee_amount')

    @classmethod
    def default_currency(cls):
        Company = Pool().get('company.company')
        if company := cls.default_company():
            return Company(company).currency.id

    @classmethod
    def get_rent(cls, contracts, name):
        "The rent of the lines still running (a vehicle transferred left)"
        return {c.id: sum((l.rent for l in c.lines if not l.end_date),
                Decimal(0))
            for c in contracts}

    @property
    def last_day(self):
        "The last day the customer rents the vehicles"
        return self.termination_date or self.end_date

    @property
    def vehicles(self):
        return [l.vehicle for l in self.lines if l.vehicle]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Configuration = pool.get('lease.configuration')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            values['number'] = Configuration.get_sequence(
                'contract_sequence').get()
        if mode == 'create':
            cls.set_company_currency(values)
        return values

    @classmethod
    def set_company_currency(cls, values):
        "Default the currency of new values to their company's"
        Company = Pool().get('company.company')
        if not values.get('currency') and values.get('company'):
            values['currency'] = Company(values['company']).currency.id

    @classmethod
    def copy(cls, contracts, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('number')
        default.setdefault('installments')
        default.setdefault('events')
        default.setdefault('termination_date')
        default.setdefault('expiry_warned', False)
        default.setdefault('suspension_reason')
        default.setdefault('successors')
        default.setdefault('late_fees')
        return super().copy(contracts, default=default)

    @classmethod
    def validate_fields(cls, contracts, field_names):
        super().validate_fields(contracts, field_names)
        if field_names & {'start_date', 'end_date', 'termination_date'}:
            cls.check_dates(contracts)
        if field_names & {'customer', 'agent'}:
            cls.check_customer(contracts)
        if field_names & {
                'start_date', 'end_date', 'termination_date', 'state'}:
            Pool().get('lease.contract.line').check_overlap(
                [l for c in contracts for l in c.lines])

    @classmethod
    def check_dates(cls, contracts):
        for contract in contracts:
            if contract.end_date < contract.start_date:
                raise ContractDateError(gettext(
                        'marcier_lease.msg_contract_end_before_start',
                        contract=contract.rec_name,
                        start=contract.start_date, end=contract.end_date))

    @classmethod
    def check_customer(cls, contracts):
        Customer = Pool().get('marcier.customer')
        for contract in contracts:
            with without_check_access():
                known = Customer.search([
                        ('party', '=', contract.customer.id),
                        ('agent', '=', contract.agent.id),
                        ], limit=1)
            if not known:
                raise ContractError(gettext(
                        'marcier_lease.msg_contract_customer_agent',
                        customer=contract.customer.rec_name,
                        agent=contract.agent.rec_name))

    @classmethod
    def check_modification(cls, mode, contracts, values=None, external=False):
        super().check_modification(
            mode, contracts, values=values, external=external)
        if mode == 'delete':
            for contract in contracts:
                if contract.state not in {'not_started', 'cancelled'}:
                    raise ContractError(gettext(
                            'marcier_lease.msg_contract_delete',
                            contract=contract.rec_name))

    @classmethod
    def on_modification(cls, mode, contracts, field_names=None):
        super().on_modification(mode, contracts, field_names=field_names)
        if mode == 'create':
            for contract in contracts:
                contract.notify('reminder', 'msg_contract_created_title',
                    'msg_contract_created_body')

    def notify(self, kind, title, body, operators=False):
        "Send message ids title and body about the contract to its agent"
        Notification = Pool().get('res.notification')
        values = {
            'contract': self.number, 'customer': self.customer.rec_name,
            'start': self.start_date, 'end': self.last_day,
            'vehicles': ', '.join(v.rec_name for v in self.vehicles) or '-',
            }
        title = lazy_gettext(f'marcier_lease.{title}', **values)
        body = lazy_gettext(f'marcier_lease.{body}', **values)
        with Transaction().set_context(company=self.company.id):
            self.agent.notify(kind, title, body=body, record=self)
            if operators:
                Notification.notify_group('marcier_base.group_operator',
                    kind, title, body=body, record=self)

    @classmethod
    @ModelView.button
    def plan(cls, contracts):
        "Regenerate the payment plan: one line per billing period + deposit"
        pool = Pool()
        Installment = pool.get('lease.installment')
        for contract in contracts:
            if contract.state != 'not_started':
                raise ContractError(gettext(
                        'marcier_lease.msg_contract_plan_started',
                        contract=contract.rec_name))
        Installment.delete([i for c in contracts for i in c.installments])
        Installment.create([v for c in contracts for v in c._plan_values()])

    def _plan_values(self):
        base = {
            'contract': self.id, 'company': self.company.id,
            'agent': self.agent.id, 'customer': self.customer.id,
            'currency': self.currency.id,
            }
        values = []
        if self.deposit:
            values.append({**base, 'kind': 'deposit',
                    'due_date': self.start_date, 'amount': self.deposit})
        for first, last, _ in billing_periods(
                self.start_date, self.end_date, self.billing_cycle):
            values.append({**base, 'kind': 'rent', 'due_date': first,
                    'period_start': first, 'period_end': last,
                    'amount': self.period_rent(first, last)})
        return values

    def period_rent(self, first, last):
        "The rent of first..last: each line for its days in the period"
        return self.currency.round(sum(
                (l.rent * l.months(first, last) for l in self.lines),
                Decimal(0)))

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def start(cls, contracts):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        for contract in contracts:
            if contract.state != 'not_started':
                continue
            if not contract.lines or len(contract.vehicles) != len(
                    contract.lines):
                raise ContractError(gettext(
                        'marcier_lease.msg_contract_start_vehicles',
                        contract=contract.rec_name))
            if not contract.installments:
                cls.plan([contract])
            # Vehicles already with the customer (a renewal, a vehicle that
            # came on site first) stay rented
            Vehicle.rent([v for v in contract.vehicles
                    if v.customer != contract.customer],
                contract.customer)
            contract.notify('reminder', 'msg_contract_started_title',
                'msg_contract_started_body')

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, contracts):
        pool = Pool()
        Installment = pool.get('lease.installment')
        Installment.delete([i for c in contracts for i in c.installments])

    @classmethod
    @ModelView.button
    @Workflow.transition('suspended')
    def suspend(cls, contracts):
        for contract in contracts:
            if not (contract.suspension_reason or '').strip():
                raise ContractError(gettext(
                        'marcier_lease.msg_contract_suspension_reason',
                        contract=contract.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def resume(cls, contracts):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('completed')
    def complete(cls, contracts):
        "End the lease: the vehicles come back, unbilled rent is dropped"
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Installment = pool.get('lease.installment')
        Date = pool.get('ir.date')
        today = Date.today()
        for contract in contracts:
            if contract.state == 'completed':
                continue
            Vehicle.release(contract._vehicles_to_release())
            Installment.delete([i for i in contract.installments
                    if i.state == 'planned' and i.due_date > min(
                        today, contract.last_day)])
            contract.notify('reminder', 'msg_contract_ended_title',
                'msg_contract_ended_body')

    def _vehicles_to_release(self):
        "The contract's vehicles still with its customer and no other lease"
        Line = Pool().get('lease.contract.line')
        vehicles = [v for v in self.vehicles if v.customer == self.customer]
        others = {l.vehicle for l in Line.search([
                    ('vehicle', 'in', [v.id for v in vehicles]),
                    ('contract', '!=', self.id),
                    ('contract.state', 'in', ['in_progress', 'suspended']),
                    ])}
        return [v for v in vehicles if v not in others]

    @classmethod
    @ModelView.button
    def terminate(cls, contracts):
        "Early termination: the contract ends today"
        Date = Pool().get('ir.date')
        today = Date.today()
        for contract in contracts:
            if contract.end_date <= today:
                raise ContractError(gettext(
                        'marcier_lease.msg_contract_terminate_after_end',
                        contract=contract.rec_name, end=contract.end_date))
        cls.write(contracts, {'termination_date': today})
        cls.complete(contracts)

    @classmethod
    @ModelView.button
    def renew(cls, contracts):
        "Create the successor contracts, starting the day after the end"
        renewals = []
        for contract in contracts:
            first = contract.last_day + dt.timedelta(days=1)
            length = relativedelta(
                contract.end_date + dt.timedelta(days=1), contract.start_date)
            renewal, = cls.copy([contract], default={
                    'predecessor': contract.id,
                    'state': 'not_started',
                    'start_date': first,
                    'end_date': first + length - dt.timedelta(days=1),
                    })
            renewals.append(renewal)
        cls.plan(renewals)
        return renewals

    def replan(self):
        """Recompute the rent of the plan lines not billed yet, after a
        vehicle left: each line pays for its days"""
        Installment = Pool().get('lease.installment')
        to_delete, to_save = [], []
        for installment in self.installments:
            if (installment.state != 'planned' or installment.kind != 'rent'
                    or not installment.period_start):
                continue
            amount = self.period_rent(
                installment.period_start, installment.period_end)
            if not amount:
                to_delete.append(installment)
            elif amount != installment.amount:
                installment.amount = amount
                to_save.append(installment)
        Installment.save(to_save)
        Installment.delete(to_delete)

    @classmethod
    def end_emptied(cls, contracts):
        """Contracts whose every vehicle left end the day the last one
        left: at once when it is past, else by the daily run"""
        today = Pool().get('ir.date').today()
        for contract in contracts:
            if contract.state not in {'in_progress', 'suspended'} or any(
                    not l.end_date for l in contract.lines):
                continue
            last = max(l.end_date for l in contract.lines)
            if last < contract.last_day:
                contract.termination_date = last
                contract.save()
            if last < today:
                cls.complete([contract])

    @classmethod
    def process(cls, date=None):
        """Daily: contracts start on their start date and complete after
        their end date, expiry warnings, bills of the due plan lines;
        as of date (the demo replays past days), today by default"""
        pool = Pool()
        Date = pool.get('ir.date')
        Installment = pool.get('lease.installment')
        LateFee = pool.get('lease.late_fee')
        Dunning = pool.get('account.dunning')
        today = date or Date.today()
        company = Transaction().context.get('company')
        where = [('company', '=', company)] if company else []
        cls.complete(cls.search(where + [
                    ('state', 'in', ['in_progress', 'suspended']),
                    ['OR',
                        ('end_date', '<', today),
                        ('termination_date', '<', today),
                        ],
                    ]))
        starting = cls.search(where + [
                ('state', '=', 'not_started'),
                ('start_date', '<=', today),
                ])
        cls.start([c for c in starting if c.startable])
        cls.warn_blocked([c for c in starting if not c.startable])
        cls.warn_expiry(cls.search(where + [
                    ('state', 'in', ['in_progress', 'suspended']),
                    ('end_date', '<=',
                        today + dt.timedelta(days=EXPIRY_WARNING_DAYS)),
                    ('expiry_warned', '=', False),
                    ]))
        # Fees through today, then billed with today's bills
        LateFee.accrue(today)
        Installment.bill(Installment.search(where + [
                    ('state', '=', 'planned'),
                    ('due_date', '<=', today),
                    ('contract.state', '=', 'in_progress'),
                    ]), date=today)
        Dunning.run(today)

    @property
    def startable(self):
        "Every line has a vehicle, available or already with the customer"
        return bool(self.lines) and all(
            l.vehicle and (l.vehicle.status == 'available'
                or l.vehicle.customer == self.customer)
            for l in self.lines)

    @classmethod
    def warn_blocked(cls, contracts):
        "Warn the agent's staff once that a contract cannot start"
        Notification = Pool().get('res.notification')
        for contract in contracts:
            title = lazy_gettext('marcier_lease.msg_contract_blocked_title',
                contract=contract.number)
            with without_check_access():
                warned = Notification.search([
                        ('label', 'in', list(Notification.labels(title))),
                        ('model', '=', cls.__name__),
                        ], limit=1)
            if not warned:
                contract.notify('warning', 'msg_contract_blocked_title',
                    'msg_contract_blocked_body')

    @classmethod
    def warn_expiry(cls, contracts):
        "Warn agent staff and operators once that the contract ends soon"
        for contract in contracts:
            contract.notify('warning', 'msg_contract_expiry_title',
                'msg_contract_expiry_body', operators=True)
        cls.write(contracts, {'expiry_warned': True})


class ContractLine(ProductMigrationMixin, ModelSQL, ModelView):
    "Vehicle leased by a contract"
    __name__ = 'lease.contract.line'
    _audited_fields = ('vehicle', 'rent')  # audit trail
    contract = fields.Many2One(
        'lease.contract', "Contract", required=True, ondelete='CASCADE')
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", ondelete='RESTRICT',
        domain=[
            ('agent', '=', Eval('_parent_contract', {}).get('agent', -1)),
            ],
        help="Leave empty until the vehicle is chosen; "
        "the contract starts only when every line has one.")
    product = fields.Many2One(
        'product.template', "Product", ondelete='RESTRICT',
        help="The catalogue product leased; the vehicle's when one is.")
    rent = Monetary("Rent per Month", currency='currency', digits='currency',
        required=True)
    start_date = fields.Date("Joined On", readonly=True,
        states={
            'invisible': ~Eval('start_date'),
            },
        help="The day the vehicle joined the running contract; "
        "empty: the contract's start.")
    end_date = fields.Date("Left On", readonly=True,
        states={
            'invisible': ~Eval('end_date'),
            },
        help="The last day of the vehicle on the contract when it left "
        "before the end (a transfer); empty: the contract's last day.")
    first_day = fields.Function(fields.Date("From"), 'get_period')
    last_day = fields.Function(fields.Date("Until"), 'get_period')
    customer = fields.Function(
        fields.Many2One('party.party', "Customer"), 'get_contract_field')
    contract_state = fields.Function(
        fields.Selection(STATES, "Contract State"), 'get_contract_field')
    revenue = fields.Function(Monetary(
            "Rent Billed", currency='currency', digits='currency',
            help="The rent of the vehicle on the contract's bills."),
        'get_revenue')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('contract')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.vehicle, Index.Equality())))

    @fields.depends('contract', '_parent_contract.currency')
    def on_change_with_currency(self, name=None):
        return self.contract.currency if self.contract else None

    @property
    def period(self):
        "(first day, last day) of the vehicle on the contract"
        return (self.start_date or self.contract.start_date,
            self.end_date or self.contract.last_day)

    def get_period(self, name):
        return self.period[0 if name == 'first_day' else 1]

    def get_contract_field(self, name):
        value = getattr(self.contract, name.replace('contract_', ''))
        return value.id if isinstance(value, ModelSQL) else value

    @classmethod
    def get_revenue(cls, lines, name):
        "Each billed rent period's months of the line times its rent"
        result = {}
        for line in lines:
            result[line.id] = line.currency.round(sum(
                    (line.rent * line.months(i.period_start, i.period_end)
                        for i in line.contract.installments
                        if i.kind == 'rent' and i.state != 'planned'
                        and i.period_start),
                    Decimal(0)))
        return result

    def months(self, first, last):
        "The months (Decimal) of the line's period between first and last"
        first_day, last_day = self.period
        first, last = max(first, first_day), min(last, last_day)
        if first > last:
            return Decimal(0)
        (_, _, months), = billing_periods(first, last, 'one_off')
        return months

    @fields.depends('vehicle', 'product')
    def on_change_vehicle(self):
        if self.vehicle and not self.product:
            self.product = self.vehicle.product

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if external and mode in {'write', 'delete'}:
            for line in lines:
                if line.contract.state != 'not_started':
                    raise ContractError(gettext(
                            'marcier_lease.msg_contract_line_started',
                            contract=line.contract.rec_name))

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        if field_names & {'vehicle', 'contract'}:
            cls.check_overlap(lines)

    @classmethod
    def check_overlap(cls, lines):
        "A vehicle is on one live contract at a time"
        for sub in lines:
            if not sub.vehicle or sub.contract.state == 'cancelled':
                continue
            this = sub.contract
            other = holding_contract(sub.vehicle.id, *sub.period,
                exclude_lines=[l.id for l in this.lines])
            if other:
                raise ContractOverlapError(gettext(
                        'marcier_lease.msg_contract_vehicle_overlap',
                        vehicle=sub.vehicle.rec_name,
                        contract=this.rec_name, other=other))
