# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Online inquiries (在线询价) of mall visitors, owned by the listing's agent
who follows them up (SPEC B3); a leasing module turns them into quotes."""

from trytond.i18n import gettext, lazy_gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from marcier_base.customer import MOBILE, normalise_mobile
from marcier_base.model import AgentOwnedMixin
from marcier_base.notification import lazy_selection

from .exceptions import InquiryError
from .listing import UNITS, strict_transition

QUANTITY_MAX = 500
PERIOD_MAX = {'day': 365, 'month': 120}


class Inquiry(AgentOwnedMixin, Workflow, ModelSQL, ModelView):
    "Inquiry of a mall visitor about a listing"
    __name__ = 'mall.inquiry'
    _rec_name = 'name'
    listing = fields.Many2One(
        'mall.listing', "Listing", required=True, ondelete='RESTRICT',
        readonly=True)
    product = fields.Function(
        fields.Many2One('product.template', "Product",
            context={'company': Eval('company', -1)}, depends={'company'}),
        'get_product')
    name = fields.Char("Customer Name", required=True, readonly=True)
    mobile = fields.Char("Mobile", required=True, readonly=True)
    city = fields.Many2One(
        'marcier.city', "City", required=True, ondelete='RESTRICT',
        readonly=True)
    quantity = fields.Integer(
        "Quantity", required=True, readonly=True,
        domain=[('quantity', '>', 0), ('quantity', '<=', QUANTITY_MAX)])
    period = fields.Integer(
        "Period", required=True, readonly=True,
        domain=[('period', '>', 0)])
    period_unit = fields.Selection(UNITS, "Period Unit", required=True,
        readonly=True)
    start_date = fields.Date("Wanted From", readonly=True)
    message = fields.Text("Message", readonly=True)
    note = fields.Text(
        "Follow-up Note", help="What the agent agreed with the customer.")
    state = fields.Selection([
            ('new', "New"),
            ('contacted', "Contacted"),
            ('quoted', "Quoted"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        cls.agent.readonly = True
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality())))
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('new', 'contacted'),
            ('contacted', 'quoted'),
            ('new', 'closed'),
            ('contacted', 'closed'),
            ('quoted', 'closed'),
            }
        cls._buttons.update({
                'contact': {
                    'invisible': Eval('state') != 'new',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'quote': {
                    'invisible': Eval('state') != 'contacted',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') == 'closed',
                    'icon': 'tryton-close',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'new'

    @classmethod
    def default_period_unit(cls):
        return 'month'

    def get_product(self, name):
        return self.listing.product.id

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('listing'):
            # The inquiry belongs to the listing's agent, whoever sends it
            listing = Pool().get('mall.listing')(values['listing'])
            values['agent'] = listing.agent.id
            values['company'] = listing.company.id
        if 'mobile' in values:
            values['mobile'] = normalise_mobile(values['mobile'])
        return values

    @classmethod
    def validate_fields(cls, inquiries, field_names):
        super().validate_fields(inquiries, field_names)
        if field_names & {'mobile', 'period', 'period_unit', 'listing'}:
            cls.check_values(inquiries)

    @classmethod
    def check_values(cls, inquiries):
        for inquiry in inquiries:
            if not MOBILE.match(inquiry.mobile):
                raise InquiryError(gettext(
                        'marcier_mall.msg_inquiry_mobile',
                        mobile=inquiry.mobile))
            if inquiry.period > PERIOD_MAX[inquiry.period_unit]:
                raise InquiryError(gettext(
                        'marcier_mall.msg_inquiry_period',
                        maximum=PERIOD_MAX[inquiry.period_unit]))
            if inquiry.listing.state != 'listed':
                raise InquiryError(gettext(
                        'marcier_mall.msg_inquiry_listing',
                        listing=inquiry.listing.rec_name))

    @classmethod
    def on_modification(cls, mode, inquiries, field_names=None):
        super().on_modification(mode, inquiries, field_names=field_names)
        if mode == 'create':
            for inquiry in inquiries:
                with Transaction().set_context(company=inquiry.company.id):
                    inquiry.agent.notify('todo',
                        lazy_gettext('marcier_mall.msg_inquiry_title',
                            name=inquiry.name,
                            listing=inquiry.listing.product.name),
                        body=lazy_gettext('marcier_mall.msg_inquiry_body',
                            name=inquiry.name, mobile=inquiry.mobile,
                            city=inquiry.city.name,
                            quantity=inquiry.quantity,
                            period=inquiry.period,
                            unit=lazy_selection(inquiry, 'period_unit'),
                            message=inquiry.message or ''),
                        record=inquiry)

    @classmethod
    @ModelView.button
    @strict_transition('contacted')
    def contact(cls, inquiries):
        pass

    @classmethod
    @ModelView.button
    @strict_transition('quoted')
    def quote(cls, inquiries):
        pass

    @classmethod
    @ModelView.button
    @strict_transition('closed')
    def close(cls, inquiries):
        pass
