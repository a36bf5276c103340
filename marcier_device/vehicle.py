# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pyson import Eval

from marcier_base.model import AgentOwnedMixin

STATUSES = [
    ('available', "Available"),
    ('rented', "Rented"),
    ('in_repair', "In Repair"),
    ('retired', "Retired"),
    ]


class Vehicle(AgentOwnedMixin, DeactivableMixin, ModelSQL, ModelView):
    "Vehicle of the fleet, with the last state its gateway reported"
    __name__ = 'device.vehicle'
    _rec_name = 'serial'
    serial = fields.Char("Serial / VIN", required=True, strip=True)
    model_name = fields.Char(
        "Model", help="The vehicle model (型号) as the maker names it.")
    customer = fields.Many2One(
        'party.party', "Current Customer", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    status = fields.Selection(STATUSES, "Status", required=True, sort=False)
    commissioning_date = fields.Date("Commissioning Date")
    gateway_id = fields.Char(
        "Gateway ID", strip=True,
        help="Identifier of the IoT gateway wired to the vehicle controller.")

    # Last state reported by the gateway, kept up to date by the IoT module
    latitude = fields.Float("Latitude", digits=(9, 6), readonly=True)
    longitude = fields.Float("Longitude", digits=(9, 6), readonly=True)
    last_seen = fields.Timestamp("Last Seen", readonly=True)
    key_on = fields.Boolean("Key On", readonly=True)
    soc = fields.Float(
        "State of Charge", digits=(5, 1), readonly=True,
        help="Battery state of charge in percent.")
    odometer = fields.Float(
        "Odometer", digits=(10, 1), readonly=True, help="In kilometres.")
    working_hours = fields.Float(
        "Working Hours", digits=(10, 1), readonly=True)
    alarm_count = fields.Integer(
        "Active Alarms", readonly=True,
        help="Number of alarms open on the vehicle.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('serial_unique', Unique(t, t.company, t.serial),
                'marcier_device.msg_vehicle_serial_unique'),
            ('gateway_unique', Unique(t, t.gateway_id),
                'marcier_device.msg_vehicle_gateway_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.status, Index.Equality())))
        cls._order.insert(0, ('serial', 'ASC'))

    @classmethod
    def default_status(cls):
        return 'available'

    @classmethod
    def default_key_on(cls):
        return False

    @classmethod
    def default_alarm_count(cls):
        return 0
