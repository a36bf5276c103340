# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Id

from .exceptions import ConfigurationError


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
