# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Quotations: what an agent offers a customer, from an inquiry or a blank
form; a confirmed quotation becomes a lease contract."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If

from marcier_base.model import AgentOwnedMixin
from marcier_device.product import ProductMigrationMixin

from .availability import free_over, holding_contract
from .contract import BILLING_CYCLES
from .exceptions import QuotationError


class Quotation(AgentOwnedMixin, Workflow, ModelSQL, ModelView):
    "Lease quotation for a customer"
    __name__ = 'lease.quotation'
    _rec_name = 'number'
    _draft = Eval('state') == 'draft'
    number = fields.Char("Number", readonly=True)
    origin = fields.Reference("Origin", selection='get_origin',
        states={
            'readonly': ~_draft,
            },
        help="The inquiry the quotation answers.")
    customer = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        states={
            'readonly': ~_draft,
            },
        depends={'company'})
    city = fields.Many2One('marcier.city', "City", ondelete='RESTRICT',
        states={
            'readonly': ~_draft,
            })
    start_date = fields.Date("Start Date", required=True,
        states={
            'readonly': ~_draft,
            })
    end_date = fields.Date("End Date", required=True,
        states={
            'readonly': ~_draft,
            })
    billing_cycle = fields.Selection(BILLING_CYCLES, "Billing Cycle",
        required=True, sort=False,
        states={
            'readonly': ~_draft,
            })
    billing_cycle_string = billing_cycle.translated('billing_cycle')
    currency = fields.Many2One('currency.currency', "Currency", required=True,
        states={
            'readonly': ~_draft,
            })
    deposit = Monetary("Deposit", currency='currency', digits='currency',
        required=True,
        states={
            'readonly': ~_draft,
            })
    lines = fields.One2Many('lease.quotation.line', 'quotation', "Lines",
        states={
            'readonly': ~_draft,
            })
    rent = fields.Function(Monetary(
            "Rent per Month", currency='currency', digits='currency'),
        'get_rent')
    contract = fields.Many2One(
        'lease.contract', "Contract", readonly=True, ondelete='RESTRICT',
        states={
            'invisible': ~Eval('contract'),
            })
    note = fields.Text("Note")
    state = fields.Selection([
            ('draft', "Draft"),
            ('quoted', "Quoted"),
            ('confirmed', "Confirmed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        t = cls.__table__()
        cls._sql_indexes.add(Index(
                t, (t.agent, Index.Equality()), (t.state, Index.Equality())))
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'quoted'),
            ('quoted', 'draft'),
            ('quoted', 'confirmed'),
            ('draft', 'cancelled'),
            ('quoted', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': ~Eval('state').in_(['quoted', 'cancelled']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'quote': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'quoted',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'quoted']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def _get_origin(cls):
        "Model names a quotation may answer; the mall adds its inquiries"
        return []

    @classmethod
    def get_origin(cls):
        IrModel = Pool().get('ir.model')
        return [(None, '')] + [
            (m, IrModel.get_name(m)) for m in cls._get_origin()]

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_billing_cycle(cls):
        return 'monthly'

    @classmethod
    def default_deposit(cls):
        return Decimal(0)

    @classmethod
    def default_currency(cls):
        return Pool().get('lease.contract').default_currency()

    @classmethod
    def get_rent(cls, quotations, name):
        return {q.id: sum((l.amount for l in q.lines), Decimal(0))
            for q in quotations}

    @classmethod
    def preprocess_values(cls, mode, values):
        Configuration = Pool().get('lease.configuration')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            values['number'] = Configuration.get_sequence(
                'quotation_sequence').get()
        if mode == 'create':
            Pool().get('lease.contract').set_company_currency(values)
        return values

    @classmethod
    def copy(cls, quotations, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('number')
        default.setdefault('contract')
        return super().copy(quotations, default=default)

    @classmethod
    def validate_fields(cls, quotations, field_names):
        super().validate_fields(quotations, field_names)
        if field_names & {'start_date', 'end_date'}:
            Pool().get('lease.contract').check_dates(quotations)
        if field_names & {'customer', 'agent'}:
            Pool().get('lease.contract').check_customer(quotations)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, quotations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('quoted')
    def quote(cls, quotations):
        for quotation in quotations:
            if not quotation.lines:
                raise QuotationError(gettext(
                        'marcier_lease.msg_quotation_no_lines',
                        quotation=quotation.rec_name))
        cls.check_free(quotations)

    @classmethod
    def check_free(cls, quotations):
        """Refuse quoting vehicles that are not free over the period: a
        vehicle leased, in repair or retired, or more vehicles of a product
        than the agent has free in the city"""
        for quotation in quotations:
            quotation._check_vehicles_free()
            quotation._check_quantities_free()

    def _check_vehicles_free(self):
        pool = Pool()
        Date = pool.get('ir.date')
        Vehicle = pool.get('device.vehicle')
        statuses = dict(Vehicle.fields_get(['status'])['status']['selection'])
        for line in self.lines:
            vehicle = line.vehicle
            if not vehicle:
                continue
            if vehicle.status == 'retired' or (vehicle.status == 'in_repair'
                    and self.start_date <= Date.today()):
                raise QuotationError(gettext(
                        'marcier_lease.msg_quotation_vehicle_status',
                        quotation=self.rec_name, vehicle=vehicle.rec_name,
                        status=statuses[vehicle.status]))
            contract = holding_contract(
                vehicle.id, self.start_date, self.end_date)
            if contract:
                raise QuotationError(gettext(
                        'marcier_lease.msg_quotation_vehicle_leased',
                        quotation=self.rec_name, vehicle=vehicle.rec_name,
                        contract=contract, start=self.start_date,
                        end=self.end_date))

    def _check_quantities_free(self):
        wanted = {}
        for line in self.lines:
            if not line.vehicle and line.product:
                wanted[line.product] = wanted.get(
                    line.product, 0) + line.quantity
        chosen = {l.vehicle.id for l in self.lines if l.vehicle}
        for product, quantity in wanted.items():
            vehicles, reserved = free_over(self.agent.id, product.id,
                self.city.id if self.city else None,
                self.start_date, self.end_date)
            free = max(len(set(vehicles) - chosen) - reserved, 0)
            if quantity > free:
                values = dict(quotation=self.rec_name,
                    product=product.rec_name, quantity=quantity, free=free,
                    agent=self.agent.rec_name, start=self.start_date,
                    end=self.end_date)
                if self.city:
                    raise QuotationError(gettext(
                            'marcier_lease.msg_quotation_quantity_city',
                            city=self.city.rec_name, **values))
                raise QuotationError(gettext(
                        'marcier_lease.msg_quotation_quantity', **values))

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, quotations):
        "Each quotation becomes a contract, one line per vehicle quoted"
        pool = Pool()
        Contract = pool.get('lease.contract')
        # The fleet may have changed since the quote
        cls.check_free(quotations)
        contracts = Contract.create(
            [q._get_contract_values() for q in quotations])
        for quotation, contract in zip(quotations, contracts):
            quotation.contract = contract
        cls.save(quotations)
        Contract.plan(contracts)

    def _get_contract_values(self):
        lines = []
        for line in self.lines:
            if line.vehicle:
                lines.append(line._get_contract_line(line.vehicle))
            else:
                lines.extend(line._get_contract_line(None)
                    for _ in range(line.quantity))
        return {
            'company': self.company.id,
            'agent': self.agent.id,
            'customer': self.customer.id,
            'city': self.city.id if self.city else None,
            'start_date': self.start_date,
            'end_date': self.end_date,
            'billing_cycle': self.billing_cycle,
            'currency': self.currency.id,
            'deposit': self.deposit,
            'note': self.note,
            'lines': [('create', lines)],
            }

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, quotations):
        pass


class QuotationLine(ProductMigrationMixin, ModelSQL, ModelView):
    "Quoted vehicle, or a quantity of a catalogue product"
    __name__ = 'lease.quotation.line'
    quotation = fields.Many2One(
        'lease.quotation', "Quotation", required=True, ondelete='CASCADE')
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", ondelete='RESTRICT',
        domain=[
            ('agent', '=', Eval('_parent_quotation', {}).get('agent', -1)),
            ])
    product = fields.Many2One(
        'product.template', "Product", ondelete='RESTRICT',
        states={
            'required': ~Eval('vehicle'),
            },
        help="The catalogue product quoted; the vehicle's when one is.")
    quantity = fields.Integer("Quantity", required=True,
        domain=[
            ('quantity', '>', 0),
            If(Bool(Eval('vehicle')), ('quantity', '=', 1), ()),
            ])
    rent = Monetary("Rent per Month", currency='currency', digits='currency',
        required=True,
        help="Per vehicle.")
    amount = fields.Function(Monetary(
            "Amount", currency='currency', digits='currency'),
        'on_change_with_amount')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('quotation')

    @classmethod
    def default_quantity(cls):
        return 1

    @fields.depends('quotation', '_parent_quotation.currency')
    def on_change_with_currency(self, name=None):
        return self.quotation.currency if self.quotation else None

    @fields.depends('quantity', 'rent')
    def on_change_with_amount(self, name=None):
        return (self.rent or Decimal(0)) * (self.quantity or 0)

    @fields.depends('vehicle', 'product')
    def on_change_vehicle(self):
        if self.vehicle:
            self.product = self.vehicle.product

    def _get_contract_line(self, vehicle):
        product = self.product or (vehicle.product if vehicle else None)
        return {
            'vehicle': vehicle.id if vehicle else None,
            'product': product.id if product else None,
            'rent': self.rent,
            }
