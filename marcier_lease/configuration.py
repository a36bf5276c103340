# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, Id, If

from .exceptions import ConfigurationError
from .late_fee import METHODS as LATE_FEE_METHODS
from .late_fee import RATE_DIGITS

DEFAULT_RENTED_HOURS = 8.0


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Leasing configuration: numbering and the accounts bills and payments use"
    __name__ = 'lease.configuration'
    contract_sequence = fields.Many2One(
        'ir.sequence', "Contract Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('marcier_lease', 'sequence_type_contract')),
            ])
    quotation_sequence = fields.Many2One(
        'ir.sequence', "Quotation Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('marcier_lease', 'sequence_type_quotation')),
            ])
    revenue_account = fields.Many2One(
        'account.account', "Rent Revenue Account",
        domain=[
            ('type.revenue', '=', True),
            ('closed', '!=', True),
            ],
        help="The account of the bills' lines, rent and deposits.")
    payment_method = fields.Many2One(
        'account.invoice.payment.method', "Payment Method",
        help="How the customers' payments are booked against the bills.")
    rented_hours = fields.Float("Hours of a Rented Day", digits=(4, 1),
        domain=['OR',
            ('rented_hours', '=', None),
            [('rented_hours', '>', 0), ('rented_hours', '<=', 24)],
            ],
        help="The working hours a customer rents a vehicle for each day "
        "on contract: the base of the working share (8 by default).")
    utilisation_date = fields.Date("Utilisation Kept Until", readonly=True,
        help="The last day whose utilisation the scheduled task keeps; "
        "later days are read live.")
    utilisation_run = fields.Timestamp("Utilisation Computed", readonly=True)
    dunning_procedure = fields.Many2One(
        'account.dunning.procedure', "Dunning Procedure",
        help="The reminders of overdue bills of customers without a "
        "procedure of their own.")
    late_fee_method = fields.Selection(
        LATE_FEE_METHODS, "Late Fee", required=True, sort=False,
        help="The default of new contracts.")
    late_fee_rate = fields.Numeric("Late Fee Daily Rate", digits=RATE_DIGITS,
        domain=[If(Eval('late_fee_method') == 'daily', [
                    ('late_fee_rate', '>=', 0),
                    ('late_fee_rate', '<=', 0.01),
                    ], [])],
        states={
            'required': Eval('late_fee_method') == 'daily',
            },
        help="Share of the unpaid rent per day overdue: 0.0005 is 0.05 %.")
    late_fee_amount = fields.Numeric("Late Fee per Bill", digits=(16, 2),
        domain=[If(Eval('late_fee_method') == 'fixed', [
                    ('late_fee_amount', '>=', 0),
                    ], [])],
        states={
            'required': Eval('late_fee_method') == 'fixed',
            })
    unlock_approval = fields.Boolean("Unlocking Needs Approval",
        help="When a customer pays off, an operator approves the unlocking "
        "of the drive locked for debt; else it is unlocked at once.")
    available_charge = fields.Float(
        "Minimum Charge to Offer", digits=(5, 1), required=True,
        domain=[
            ('available_charge', '>=', 0),
            ('available_charge', '<=', 100),
            ],
        help="In percent: a vehicle charged less is not shown available.")
    available_silence = fields.Integer(
        "Gateway Silent After", required=True,
        domain=[('available_silence', '>', 0)],
        help="In minutes: a vehicle whose gateway has not reported for "
        "longer is not shown available.")

    @classmethod
    def default_contract_sequence(cls):
        return Pool().get('ir.model.data').get_id(
            'marcier_lease', 'sequence_contract')

    @classmethod
    def default_quotation_sequence(cls):
        return Pool().get('ir.model.data').get_id(
            'marcier_lease', 'sequence_quotation')

    def get_rented_hours(self):
        return self.rented_hours or DEFAULT_RENTED_HOURS

    @classmethod
    def default_late_fee_method(cls):
        return 'none'

    @classmethod
    def default_late_fee_rate(cls):
        return Decimal('0.0005')

    @classmethod
    def default_late_fee_amount(cls):
        return Decimal(0)

    @classmethod
    def default_unlock_approval(cls):
        return False

    @classmethod
    def default_available_charge(cls):
        return 30.0

    @classmethod
    def default_available_silence(cls):
        return 15

    @classmethod
    def get_sequence(cls, name):
        return getattr(cls(1), name)

    @classmethod
    def get_accounting(cls, name):
        "The configured account or payment method name, else a clear error"
        config = cls(1)
        value = getattr(config, name)
        if not value:
            raise ConfigurationError(gettext(
                    'marcier_lease.msg_configuration_missing',
                    field=cls.__names__(name)['field']))
        return value
