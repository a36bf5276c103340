# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Listings (商品上架): an agent's offer of a catalogue product, reviewed by
the operator before the mall shows it (SPEC A5-A7)."""
import datetime as dt
from functools import wraps

from trytond.i18n import gettext, lazy_gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from marcier_base.model import OPERATOR_STAFF, AgentOwnedMixin, is_operator

from . import storefront
from .exceptions import (
    ListingAccessError, ListingError, ListingStateError, TransitionError)

STATES = [
    ('draft', "Draft"),
    ('submitted', "Submitted"),
    ('listed', "Listed"),
    ('rejected', "Rejected"),
    ('delisted', "Delisted"),
    ]
EDITABLE = ['draft', 'rejected']
# The offer itself: once submitted it changes only by going back to draft
# and through a new review
OFFER_FIELDS = {
    'product', 'agent', 'company', 'cities', 'prices', 'years_of_use',
    'is_new', 'promotion', 'promotion_text', 'valid_from', 'valid_to',
    'description'}
UNITS = [
    ('day', "Day"),
    ('month', "Month"),
    ]



def strict_transition(state):
    """Workflow.transition that refuses, instead of skipping, the records
    that cannot move to state: a user who asks gets a clear answer"""
    def decorator(func):
        transition = Workflow.transition(state)(func)

        @wraps(func)
        def wrapper(cls, records, *args, **kwargs):
            for record in records:
                if (record.state, state) not in cls._transitions:
                    raise TransitionError(gettext(
                            'marcier_mall.msg_transition_refused',
                            record=record.rec_name,
                            state=record.state_string,
                            target=dict(cls.state.selection)[state]))
            return transition(cls, records, *args, **kwargs)
        return wrapper
    return decorator


class Listing(
        storefront.ShownMixin, AgentOwnedMixin, Workflow, ModelSQL,
        ModelView):
    "Listing: an agent's rental offer of a catalogue product"
    __name__ = 'mall.listing'
    _audited_fields = ('state', 'agent', 'product', 'promotion')  # A5-A7
    _editable = ~Eval('state').in_(EDITABLE)
    product = fields.Many2One(
        'product.template', "Product", required=True, ondelete='RESTRICT',
        domain=[('mall', '=', True)],
        context={'company': Eval('company', -1)}, depends={'company'},
        states={'readonly': _editable})
    cities = fields.Many2Many(
        'mall.listing-marcier.city', 'listing', 'city', "Service Cities",
        states={'readonly': _editable})
    prices = fields.One2Many(
        'mall.listing.price', 'listing', "Rental Prices",
        states={'readonly': _editable})
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    years_of_use = fields.Integer(
        "Years of Use", required=True,
        domain=[('years_of_use', '>=', 0), ('years_of_use', '<=', 30)],
        states={'readonly': _editable},
        help="How many years the offered vehicles have been in use.")
    is_new = fields.Boolean("New", states={'readonly': _editable})
    promotion = fields.Boolean("Promotion", states={'readonly': _editable})
    promotion_text = fields.Char(
        "Promotion Text", translate=True,
        states={
            'readonly': _editable,
            'invisible': ~Eval('promotion'),
            'required': Eval('promotion', False),
            })
    valid_from = fields.Date(
        "Valid From",
        domain=['OR', ('valid_from', '=', None), ('valid_to', '=', None),
            ('valid_from', '<=', Eval('valid_to'))],
        states={'readonly': _editable})
    valid_to = fields.Date("Valid To", states={'readonly': _editable})
    description = fields.Text(
        "Offer Details", translate=True, states={'readonly': _editable},
        help="What the agent's offer includes: service, delivery, deposit.")
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    reject_reason = fields.Text(
        "Reject Reason", readonly=True,
        states={'invisible': ~Eval('reject_reason')})
    listed_at = fields.DateTime("Listed At", readonly=True)
    logs = fields.One2Many(
        'mall.listing.log', 'listing', "History", readonly=True)

    # Columns of the review list
    category = fields.Function(
        fields.Many2One('product.category', "Category",
            context={'company': Eval('company', -1)}, depends={'company'}),
        'get_product_info')
    product_model = fields.Function(
        fields.Many2One('mall.product.model', "Model"), 'get_product_info')
    product_code = fields.Function(
        fields.Char("Product Number"), 'get_product_info')
    rated_load = fields.Function(
        fields.Integer("Rated Load"), 'get_product_info')
    lift_height = fields.Function(
        fields.Integer("Lift Height"), 'get_product_info')
    del _editable

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        # The review sets them (marcier_base.model.WorkflowFieldsMixin)
        cls._workflow_fields = {'reject_reason', 'listed_at'}
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    (t.listed_at, Index.Range(order='DESC'))),
                })
        cls._order = [('listed_at', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'draft'),
            ('submitted', 'listed'),
            ('submitted', 'rejected'),
            ('rejected', 'draft'),
            ('listed', 'delisted'),
            ('delisted', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'rejected', 'delisted']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': (Eval('state') != 'submitted') | ~OPERATOR_STAFF,
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': (Eval('state') != 'submitted') | ~OPERATOR_STAFF,
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'delist': {
                    'invisible': Eval('state') != 'listed',
                    'icon': 'tryton-archive',
                    'depends': ['state'],
                    },
                'detail': {
                    'icon': 'tryton-open',
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_years_of_use(cls):
        return 0

    @classmethod
    def default_is_new(cls):
        return False

    @classmethod
    def default_promotion(cls):
        return False

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @classmethod
    def mall_availability(cls, listings):
        """{listing id: [(city id, vehicles free now, first date one comes
        free)]} of listings {id: (agent id, product id, [city ids])}; None:
        the fleet is unknown (the leasing module knows it)"""
        return None

    @classmethod
    def mall_available_domain(cls, city=None):
        "Domain of the listings with a vehicle free now (in city), or None"
        return None

    @classmethod
    def get_product_info(cls, listings, names):
        result = {n: {} for n in names}
        fields = {
            'category': 'mall_category', 'product_model': 'mall_model',
            'product_code': 'code', 'rated_load': 'rated_load',
            'lift_height': 'lift_height'}
        for listing in listings:
            for name in names:
                value = getattr(listing.product, fields[name])
                result[name][listing.id] = (
                    value.id if isinstance(value, ModelSQL) else value)
        return result

    def get_rec_name(self, name):
        return f'{self.product.rec_name} ({self.agent.code})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            ('product.rec_name', *clause[1:]),
            ('agent.rec_name', *clause[1:]),
            ]

    @classmethod
    def check_modification(cls, mode, listings, values=None, external=False):
        super().check_modification(
            mode, listings, values=values, external=external)
        if external:
            # Another agent's listings: the record rules refuse them next,
            # without telling what they are
            listings = cls.accessible(listings)
        if mode == 'write' and OFFER_FIELDS & values.keys():
            cls.check_editable(listings)
        elif mode == 'delete':
            for listing in listings:
                if listing.state not in {'draft', 'rejected'}:
                    raise ListingStateError(gettext(
                            'marcier_mall.msg_listing_delete',
                            listing=listing.rec_name,
                            state=listing.state_string))

    @classmethod
    def accessible(cls, listings):
        "The listings the user may read under the record rules"
        with Transaction().set_context(_check_access=True):
            ids = {l.id for l in cls.search(
                        [('id', 'in', [l.id for l in listings])])}
        return [l for l in listings if l.id in ids]

    @classmethod
    def check_editable(cls, listings):
        for listing in listings:
            if listing.state not in EDITABLE:
                raise ListingStateError(gettext(
                        'marcier_mall.msg_listing_edit',
                        listing=listing.rec_name,
                        state=listing.state_string))

    @classmethod
    def check_complete(cls, listings):
        "What a listing needs before the operator can review it"
        for listing in listings:
            if not listing.cities or not listing.prices:
                raise ListingError(gettext(
                        'marcier_mall.msg_listing_incomplete',
                        listing=listing.rec_name))
            served = set(listing.agent.cities)
            if served and not set(listing.cities) <= served:
                city = min((set(listing.cities) - served),
                    key=lambda c: c.name)
                raise ListingError(gettext(
                        'marcier_mall.msg_listing_city_not_served',
                        listing=listing.rec_name, city=city.rec_name,
                        agent=listing.agent.rec_name))
            for price in listing.prices:
                if price.city and price.city not in listing.cities:
                    raise ListingError(gettext(
                            'marcier_mall.msg_listing_price_city',
                            listing=listing.rec_name,
                            city=price.city.rec_name))

    @classmethod
    def _log(cls, listings, state, reason=None):
        "Record who moved the listings, when, from which state and why"
        Log = Pool().get('mall.listing.log')
        with without_check_access():
            Log.create([{
                        'listing': l.id,
                        'from_state': l.state,
                        'to_state': state,
                        'user': Transaction().user or None,
                        'reason': reason,
                        } for l in listings])

    @classmethod
    def _check_operator(cls):
        if not is_operator():
            raise ListingAccessError(gettext(
                    'marcier_mall.msg_listing_review_operator'))

    @classmethod
    @ModelView.button
    @strict_transition('draft')
    def draft(cls, listings):
        cls._log(listings, 'draft')

    @classmethod
    @ModelView.button
    @strict_transition('submitted')
    def submit(cls, listings):
        Notification = Pool().get('res.notification')
        cls.check_complete(listings)
        cls._log(listings, 'submitted')
        cls.write(listings, {'reject_reason': None})
        for listing in listings:
            Notification.notify_group(
                'marcier_base.group_operator', 'todo',
                lazy_gettext('marcier_mall.msg_listing_review_title',
                    listing=listing.rec_name),
                body=lazy_gettext('marcier_mall.msg_listing_review_body',
                    agent=listing.agent.rec_name, listing=listing.rec_name),
                record=listing)

    @classmethod
    @ModelView.button
    @strict_transition('listed')
    def approve(cls, listings):
        cls._check_operator()
        cls._log(listings, 'listed')
        cls.write(listings, {
                'listed_at': dt.datetime.now().replace(microsecond=0)})
        for listing in listings:
            listing.agent.notify('reminder',
                lazy_gettext('marcier_mall.msg_listing_published_title',
                    listing=listing.rec_name),
                body=lazy_gettext('marcier_mall.msg_listing_published_body',
                    listing=listing.rec_name),
                record=listing)

    @classmethod
    @ModelView.button_action('marcier_mall.wizard_listing_reject')
    def reject(cls, listings):
        pass

    @classmethod
    @strict_transition('rejected')
    def reject_with_reason(cls, listings, reason):
        cls._check_operator()
        if not (reason or '').strip():
            raise ListingError(gettext(
                    'marcier_mall.msg_listing_reject_reason'))
        cls._log(listings, 'rejected', reason)
        cls.write(listings, {'reject_reason': reason})
        for listing in listings:
            listing.agent.notify('reminder',
                lazy_gettext('marcier_mall.msg_listing_rejected_title',
                    listing=listing.rec_name),
                body=reason, record=listing)

    @classmethod
    @ModelView.button
    @strict_transition('delisted')
    def delist(cls, listings):
        cls._log(listings, 'delisted')
        if Pool().get('res.user').get_agent() is None:
            # Agent staff know when they delist; tell them when we do
            for listing in listings:
                listing.agent.notify('reminder',
                    lazy_gettext('marcier_mall.msg_listing_delisted_title',
                        listing=listing.rec_name),
                    record=listing)

    @classmethod
    @ModelView.button_action('marcier_mall.act_listing_detail')
    def detail(cls, listings):
        "Open the listing's form from the review list"
        return {'res_id': [l.id for l in listings[:1]]}


class ListingCity(storefront.ShownMixin, ModelSQL):
    __name__ = 'mall.listing-marcier.city'
    listing = fields.Many2One(
        'mall.listing', "Listing", required=True, ondelete='CASCADE')
    city = fields.Many2One(
        'marcier.city', "City", required=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('listing')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.city, Index.Equality())))

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        Listing = Pool().get('mall.listing')
        listings = {l.listing for l in lines}
        if external:
            listings = Listing.accessible(listings)
        Listing.check_editable(listings)


class ListingPrice(
        storefront.ShownMixin, sequence_ordered(), ModelSQL, ModelView):
    "Rental price of a listing in a city or region"
    __name__ = 'mall.listing.price'
    _audited_fields = ('price', 'unit', 'city')  # audit trail
    listing = fields.Many2One(
        'mall.listing', "Listing", required=True, ondelete='CASCADE')
    city = fields.Many2One(
        'marcier.city', "City", ondelete='RESTRICT',
        help="Empty for a price of the whole region.")
    region = fields.Char(
        "Region", help="e.g. 'Yangtze River Delta' when no city is given.",
        states={'required': ~Eval('city')})
    price = fields.Numeric(
        "Price", digits=(16, 2), required=True,
        domain=[('price', '>', 0)])
    unit = fields.Selection(UNITS, "Per", required=True)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('listing')

    @classmethod
    def default_unit(cls):
        return 'month'

    @fields.depends('listing', '_parent_listing.company')
    def on_change_with_currency(self, name=None):
        if self.listing and self.listing.company:
            return self.listing.company.currency

    @classmethod
    def check_modification(cls, mode, prices, values=None, external=False):
        super().check_modification(
            mode, prices, values=values, external=external)
        Listing = Pool().get('mall.listing')
        listings = {p.listing for p in prices}
        if external:
            listings = Listing.accessible(listings)
        Listing.check_editable(listings)


class ListingLog(ModelSQL, ModelView):
    "A step of a listing's review, with who made it, when and why"
    __name__ = 'mall.listing.log'
    listing = fields.Many2One(
        'mall.listing', "Listing", required=True, ondelete='CASCADE')
    # Not required: a create from outside must reach check_modification,
    # which refuses it, rather than stop at a missing value
    from_state = fields.Selection([(None, "")] + STATES, "From", readonly=True)
    to_state = fields.Selection([(None, "")] + STATES, "To", readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    reason = fields.Text("Reason", readonly=True)
    date = fields.Function(fields.DateTime("Date"), 'get_date')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('listing')
        cls._order = [('id', 'DESC')]

    def get_date(self, name):
        return self.create_date.replace(microsecond=0)

    @classmethod
    def check_modification(cls, mode, logs, values=None, external=False):
        super().check_modification(
            mode, logs, values=values, external=external)
        if external:
            # Its access comes from the listing's: only the workflow writes
            raise ListingAccessError(gettext(
                    'marcier_mall.msg_listing_log_readonly'))


class RejectStart(ModelView):
    "Reject a listing"
    __name__ = 'mall.listing.reject.start'
    reason = fields.Text(
        "Reason", required=True,
        help="Tell the agent what to change before submitting again.")


class Reject(Wizard):
    "Reject a listing with a reason"
    __name__ = 'mall.listing.reject'
    start = StateView('mall.listing.reject.start',
        'marcier_mall.listing_reject_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Reject", 'reject', 'tryton-ok', default=True),
            ])
    reject = StateTransition()

    def transition_reject(self):
        self.model.reject_with_reason(self.records, self.start.reason)
        return 'end'
