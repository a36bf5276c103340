# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Mall inquiries answered by quotations (SPEC G1: inquiry → quote), and
the utilisation of a listing's vehicles for the operator's review, when
marcier_mall is activated."""
import datetime as dt
import json
from decimal import Decimal

from sql import As

from dateutil.relativedelta import relativedelta

from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond import backend
from trytond.tools import grouped_slice, sqlite_apply_types
from trytond.transaction import Transaction, without_check_access

from marcier_base.model import OPERATOR_STAFF

from . import availability
from .utilisation import UtilisationFiguresMixin

# A day price quoted per month
DAYS_A_MONTH = 30
# Fields whose change alters what the mall shows available
VEHICLE_FIELDS = {'status', 'agent', 'product', 'active', 'customer',
    'latitude', 'longitude', 'soc', 'last_seen'}
CONTRACT_FIELDS = {'state', 'start_date', 'end_date', 'termination_date',
    'agent', 'city'}
# Seconds between two looks for gateways that fell silent
SILENCE_CHECK = 30


def storefront():
    from marcier_mall import storefront  # only when marcier_mall is active
    return storefront


def fleet_changed():
    "The mall's cached pages show availability: they go at the commit"
    storefront().pages.clear()


class FleetChangeMixin:
    "Clear the mall's pages when fields of _fleet_fields change"
    __slots__ = ()
    _fleet_fields = None

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        if (mode != 'write' or cls._fleet_fields is None
                or field_names & cls._fleet_fields):
            fleet_changed()


class Vehicle(FleetChangeMixin, metaclass=PoolMeta):
    __name__ = 'device.vehicle'
    _fleet_fields = VEHICLE_FIELDS


class Contract(FleetChangeMixin, metaclass=PoolMeta):
    __name__ = 'lease.contract'
    _fleet_fields = CONTRACT_FIELDS


class ContractLine(FleetChangeMixin, metaclass=PoolMeta):
    __name__ = 'lease.contract.line'


class LiveVehicle(metaclass=PoolMeta):
    "The gateways' reports move vehicles in and out of the mall's counts"
    __name__ = 'device.vehicle'
    _silence_checked = {}

    @classmethod
    def update_live_state(cls, states):
        """Clear the mall's pages only when a report makes an available
        vehicle free or not (its charge crosses the threshold, its gateway
        reports again), or a gateway fell silent: reports arrive every few
        seconds, the pages stay cached between"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        settings = availability.live_settings()
        thresholds = availability.live_thresholds(settings)
        before = {}
        for sub in grouped_slice(states):
            query = table.select(table.id, table.soc,
                As(table.last_seen, 'last_seen'),
                where=fields.SQL_OPERATORS['in'](table.id, list(sub))
                & (table.status == 'available'))
            if backend.name == 'sqlite':
                sqlite_apply_types(query, [None, None, 'TIMESTAMP'])
            cursor.execute(*query)
            before.update((i, availability.is_live(s, t, thresholds))
                for i, s, t in cursor)
        super().update_live_state(states)
        if any(availability.is_live(values.get('soc'), time, thresholds)
                != live for vehicle, live in before.items()
                for time, values in [states[vehicle]]) \
                or cls._fell_silent(settings[1]):
            fleet_changed()

    @classmethod
    def _fell_silent(cls, minutes):
        "Whether an available vehicle's gateway fell silent since last look"
        table = cls.__table__()
        database = Transaction().database.name
        now = dt.datetime.now()
        last = cls._silence_checked.setdefault(database, now)
        if (now - last).total_seconds() < SILENCE_CHECK:
            return False
        cls._silence_checked[database] = now
        silence = dt.timedelta(minutes=minutes)
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id,
                where=(table.status == 'available')
                & (table.last_seen >= last - silence)
                & (table.last_seen < now - silence), limit=1))
        return cursor.fetchone() is not None


class Listing(UtilisationFiguresMixin, metaclass=PoolMeta):
    """Its agent's vehicles of the listed product: free now in each of its
    cities, and their recent utilisation"""
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

    @classmethod
    def mall_availability(cls, listings):
        geography, settings = cls._mall_fleet_settings()
        found = availability.free_now(
            {(a, p) for a, p, _ in listings.values()}, geography,
            availability.live_thresholds(settings))
        return {i: [(c, *found[a, p].get(c, (0, None))) for c in cities]
            for i, (a, p, cities) in listings.items()}

    @classmethod
    def mall_available_domain(cls, city=None):
        pool = Pool()
        ListingCity = pool.get('mall.listing-marcier.city')
        geography, settings = cls._mall_fleet_settings()
        found = availability.free_now(None, geography,
            availability.live_thresholds(settings))
        free = {(a, p, c) for (a, p), cities in found.items()
            for c, (count, _) in cities.items()
            if count and (not city or c == city)}
        listing, served = cls.__table__(), ListingCity.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*listing.join(served,
                condition=served.listing == listing.id).select(
                listing.id, listing.agent, listing.product, served.city,
                where=listing.state == 'listed'))
        return [('id', 'in', list({i for i, *key in cursor
                            if tuple(key) in free}))]

    @classmethod
    def _mall_fleet_settings(cls):
        "The agents' cities and the live settings, kept with the pages"
        return (storefront().cached('fleet places', availability.places),
            storefront().cached('fleet settings', availability.live_settings))


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
