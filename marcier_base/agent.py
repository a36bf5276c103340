# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import CityCoordinatesError


class City(ModelSQL, ModelView):
    "City where agents serve; its circle is the geofence of the vehicles"
    __name__ = 'marcier.city'
    name = fields.Char("Name", required=True, translate=True)
    province = fields.Char("Province")
    latitude = fields.Float("Latitude", digits=(9, 6), required=True)
    longitude = fields.Float("Longitude", digits=(9, 6), required=True)
    radius = fields.Float(
        "Radius", digits=(6, 1), required=True,
        help="Radius in kilometres of the service area around the centre.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('name_unique', Unique(t, t.name), 'marcier_base.msg_city_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_radius(cls):
        return 50.0

    @classmethod
    def validate_fields(cls, cities, field_names):
        super().validate_fields(cities, field_names)
        if field_names & {'latitude', 'longitude', 'radius'}:
            cls.check_coordinates(cities)

    @classmethod
    def check_coordinates(cls, cities):
        for city in cities:
            if not (-90 <= city.latitude <= 90
                    and -180 <= city.longitude <= 180
                    and city.radius > 0):
                raise CityCoordinatesError(gettext(
                        'marcier_base.msg_city_coordinates',
                        city=city.name))


class Agent(DeactivableMixin, ModelSQL, ModelView):
    "Agent (dealer) leasing the maker's vehicles in its cities"
    __name__ = 'marcier.agent'
    _rec_name = 'code'
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    code = fields.Char("Code", required=True)
    city = fields.Many2One(
        'marcier.city', "Head Office City", ondelete='RESTRICT')
    cities = fields.Many2Many(
        'marcier.agent-marcier.city', 'agent', 'city', "Service Cities")
    staff = fields.One2Many('res.user', 'agent', "Staff", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.company, t.code),
                'marcier_base.msg_agent_code_unique'),
            ]
        cls._order.insert(0, ('code', 'ASC'))
        cls._buttons.update({
                'create_staff': {
                    'invisible': Eval('id', -1) < 0,
                    'icon': 'tryton-add',
                    'depends': ['id'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    @ModelView.button_action('marcier_base.wizard_agent_staff_create')
    def create_staff(cls, agents):
        pass

    def get_rec_name(self, name):
        return f'[{self.code}] {self.party.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') or operator.startswith(
            'not ') else 'OR'
        return [bool_op,
            ('code', operator, value, *clause[3:]),
            ('party.rec_name', operator, value, *clause[3:]),
            ]

    @property
    def staff_users(self):
        "Active staff users, the recipients of the agent's messages"
        return [u for u in self.staff if u.active]

    def notify(self, kind, title, body=None, record=None):
        "Send a message to every staff user of the agent"
        Notification = Pool().get('res.notification')
        return Notification.notify(
            self.staff_users, kind, title, body=body, record=record)


class AgentCity(ModelSQL):
    __name__ = 'marcier.agent-marcier.city'
    agent = fields.Many2One(
        'marcier.agent', "Agent", required=True, ondelete='CASCADE')
    city = fields.Many2One(
        'marcier.city', "City", required=True, ondelete='CASCADE')
