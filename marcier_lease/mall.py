# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Mall inquiries answered by quotations (SPEC G1: inquiry → quote), and
the utilisation of a listing's vehicles for the operator's review, when
marcier_mall is activated."""
import json
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from marcier_base.model import OPERATOR_STAFF

from .utilisation import UtilisationFiguresMixin

# A day price quoted per month
DAYS_A_MONTH = 30


class Quotation(metaclass=PoolMeta):
    __name__ = 'lease.quotation'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['mall.inquiry']

    @classmethod
    def quote(cls, quotations):
        "Quoting answers the inquiry the quotation came from"
        pool = Pool()
        Inquiry = pool.get('mall.inquiry')
        super().quote(quotations)
        inquiries = [q.origin for q in quotations
            if isinstance(q.origin, Inquiry) and q.origin.state == 'contacted']
        if inquiries:
            with without_check_access():
                Inquiry.quote(Inquiry.browse(inquiries))


class Inquiry(metaclass=PoolMeta):
    __name__ = 'mall.inquiry'
    quotations = fields.One2Many(
        'lease.quotation', 'origin', "Quotations", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'make_quotation': {
                    'invisible': ~Eval('state').in_(['new', 'contacted']),
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                })

    @classmethod
    @ModelView.button_action('marcier_lease.act_quotation_form')
    def make_quotation(cls, inquiries):
        """A draft quotation for each inquiry, to the customer of its
        mobile number (made a customer of the agent when new); the
        inquiry counts as contacted"""
        Quotation = Pool().get('lease.quotation')
        quotations = []
        for inquiry in inquiries:
            with Transaction().set_context(company=inquiry.company.id):
                quotation, = Quotation.create(
                    [inquiry._get_quotation_values()])
            quotations.append(quotation)
        cls.contact([i for i in inquiries if i.state == 'new'])
        ids = [q.id for q in quotations]
        return {
            'res_id': ids,
            'pyson_domain': json.dumps([['id', 'in', ids]]),
            }

    def _get_quotation_values(self):
        Date = Pool().get('ir.date')
        start = self.start_date or Date.today()
        if self.period_unit == 'month':
            end = start + relativedelta(months=self.period, days=-1)
        else:
            end = start + relativedelta(days=self.period - 1)
        return {
            'company': self.company.id,
            'agent': self.agent.id,
            'customer': self._get_customer_party().id,
            'city': self.city.id,
            'origin': str(self),
            'start_date': start,
            'end_date': end,
            'note': self.message,
            'lines': [('create', [{
                            'product': self.listing.product.id,
                            'quantity': self.quantity,
                            'rent': self._monthly_rent(),
                            }])],
            }

    def _monthly_rent(self):
        "The listing's monthly price for the inquiry's city, else its lowest"
        prices = [p for p in self.listing.prices if p.city == self.city] \
            or list(self.listing.prices)
        if not prices:
            return Decimal(0)
        price = min(prices, key=lambda p: (p.unit != 'month', p.price))
        return price.price * (DAYS_A_MONTH if price.unit == 'day' else 1)

    def _get_customer_party(self):
        Customer = Pool().get('marcier.customer')
        return Customer.for_mobile(self.agent, self.name, self.mobile,
            city=self.city, source='mall').party


class Listing(UtilisationFiguresMixin, metaclass=PoolMeta):
    "The recent utilisation of the agent's vehicles of the listed product"
    __name__ = 'mall.listing'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # With accounting activated product categories are company
        # dependent (their accounts)
        cls.category.context = {
            **cls.category.context, 'company': Eval('company', -1)}
        cls.category.depends = cls.category.depends | {'company'}
        # The operator weighs an offer against the agent's fleet
        for name in dir(UtilisationFiguresMixin):
            if name.startswith('utilisation_'):
                field = getattr(cls, name)
                field.states = {**field.states, 'invisible': ~OPERATOR_STAFF}

    @classmethod
    def _utilisation(cls, listings):
        Day = Pool().get('lease.utilisation.day')
        agents = list({l.agent.id for l in listings})
        products = list({l.product.id for l in listings})
        figures = Day.figures(*cls._recent(),
            lambda r: [r.agent, r.product],
            lambda r: (fields.SQL_OPERATORS['in'](r.agent, agents)
                & fields.SQL_OPERATORS['in'](r.product, products)))
        return {l.id: figures.get((l.agent.id, l.product.id), {})
            for l in listings}
