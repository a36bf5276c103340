# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
import logging

from sql import Literal, Null
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp

from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from marcier_wire import profile as profiles
from marcier_wire import topics
from marcier_wire.transport import parse_broker

from . import downlink
from .commit import after_commit

logger = logging.getLogger(__name__)
LIVE_STATE = ['latitude', 'longitude', 'key_on', 'speed', 'soc',
    'odometer', 'working_hours']
# A live state older than this says nothing of whether a vehicle moves
STANDSTILL_MAX_AGE = dt.timedelta(minutes=5)


def utcnow():
    "Naive UTC, as the live state's times"
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Vehicle(metaclass=PoolMeta):
    __name__ = 'device.vehicle'
    alarms = fields.One2Many(
        'iot.alarm', 'vehicle', "Alarms", readonly=True,
        order=[('opened', 'DESC')])
    commands = fields.One2Many(
        'iot.command', 'vehicle', "Commands", order=[('id', 'DESC')])
    vehicle_type = fields.Function(fields.Many2One(
            'iot.vehicle.type', "Vehicle Type",
            help="Its product's: the DBC and signal map of its gateway."),
        'on_change_with_vehicle_type', searcher='search_vehicle_type')
    speed = fields.Float("Speed", digits=(5, 1), readonly=True,
        help="The last reported speed in km/h.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'open_telemetry_chart': {'icon': 'tryton-graph'},
                })

    @classmethod
    @ModelView.button_action('marcier_iot.act_telemetry_chart')
    def open_telemetry_chart(cls, vehicles):
        pass

    @fields.depends('product')
    def on_change_with_vehicle_type(self, name=None):
        return self.product.vehicle_type if self.product else None

    @classmethod
    def search_vehicle_type(cls, name, clause):
        return [('product.' + clause[0], *clause[1:])]

    @property
    def stationary(self):
        """Whether the vehicle stands still by its recent live state: key
        off or speed 0 reported in the last STANDSTILL_MAX_AGE"""
        if not self.last_seen or (
                utcnow() - self.last_seen > STANDSTILL_MAX_AGE):
            return False
        # (SQLite gives the key as 0 or 1)
        key_off = self.key_on is not None and not self.key_on
        return key_off or self.speed == 0

    @classmethod
    def on_modification(cls, mode, vehicles, field_names=None):
        """Registering a vehicle's gateway gives it broker credentials; a
        new gateway or product sends the gateway its type's profile"""
        super().on_modification(mode, vehicles, field_names=field_names)
        if mode == 'delete' or (field_names is not None
                and not field_names & {'gateway_id', 'active', 'product'}):
            return
        Gateway = Pool().get('iot.gateway')
        with without_check_access():  # credentials are the platform's
            Gateway.sync(vehicles)
        cls.send_profiles([v for v in vehicles if v.gateway_id])

    @classmethod
    def send_profiles(cls, vehicles):
        """Publish, retained, each vehicle's type profile on its gateway's
        config topic once the transaction commits"""
        if vehicles:
            after_commit('device.vehicle.profiles', publish_profiles,
                Transaction().database.name, [v.id for v in vehicles],
                once=False)

    def profile(self):
        "Its type's profile; the built-in vehicle's when its product has none"
        if self.vehicle_type:
            return self.vehicle_type.profile()
        return profiles.builtin()

    @classmethod
    def profiles(cls, vehicles):
        "{vehicle: profile}, one profile made per vehicle type"
        by_type = {}
        for vehicle in vehicles:
            if vehicle.vehicle_type not in by_type:
                by_type[vehicle.vehicle_type] = vehicle.profile()
        return {v: by_type[v.vehicle_type] for v in vehicles}

    @classmethod
    def iot_service_areas(cls, agents):
        """{vehicle id: [(latitude, longitude, radius km)]} where each
        vehicle may go, agents = {vehicle id: agent id}: its agent's service
        cities (head office city when none).  Leasing narrows it to the
        contract's city."""
        Agent = Pool().get('marcier.agent')
        circles = {}
        for agent in Agent.browse({a for a in agents.values() if a}):
            cities = list(agent.cities) or [agent.city]
            circles[agent.id] = [(c.latitude, c.longitude, c.radius)
                for c in cities if c]
        return {v: circles.get(a, []) for v, a in agents.items()}

    @classmethod
    def update_live_state(cls, states):
        """Store the latest reported state, states = {vehicle id: (time,
        values)}, skipping a sample older than what is stored (a gateway
        emptying its spool).  One statement for the whole batch; the
        position is kept when a sample has no GPS fix."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        # Literal(0) only marks where each executemany parameter goes
        columns = [getattr(table, c) for c in LIVE_STATE]
        values = [Coalesce(Literal(0), c)
            if c.name in {'latitude', 'longitude'} else Literal(0)
            for c in columns]
        # live_changed: the fleet map's cursor (the listener's clock)
        query = table.update(columns + [table.last_seen, table.live_changed],
            values + [Literal(0), CurrentTimestamp()],
            where=(table.id == Literal(0)) & (
                (table.last_seen == Null) | (table.last_seen < Literal(0))))
        sql, _ = tuple(query)
        # In id order: two listeners' batches then lock shared vehicles in
        # the same order instead of deadlocking
        cursor.executemany(sql, [
                [values_[c] for c in LIVE_STATE] + [time, vehicle, time]
                for vehicle, (time, values_) in sorted(states.items())])
        cls.forget(states)

    @classmethod
    def forget(cls, ids):
        "Drop the transaction's cached values of vehicles changed in SQL"
        transaction = Transaction()
        transaction.counter += 1
        for cache in transaction.cache.values():
            if cls.__name__ in cache:
                for id_ in ids:
                    cache[cls.__name__].pop(id_, None)


def publish_profiles(database_name, vehicle_ids):
    "After a commit: each vehicle's profile, retained, to its gateway"
    with Transaction(new=True).start(database_name, 0, readonly=True):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        configuration = pool.get('iot.configuration')(1)
        broker = parse_broker(configuration.broker)
        if broker is None and downlink.HUB is None:
            return  # no broker: gateways read their config file
        profiles = Vehicle.profiles(
            [v for v in Vehicle.browse(vehicle_ids) if v.gateway_id])
        payloads = {p: p.to_json() for p in set(profiles.values())}
        messages = [(topics.topic(configuration.tenant, v.gateway_id,
                    topics.CONFIG), payloads[p], True)
            for v, p in profiles.items()]
    try:
        downlink.publish_all(broker, messages)
    except ConnectionError as exception:
        logger.warning("vehicle profiles not published: %s", exception)
