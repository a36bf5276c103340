# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from sql import Literal, Null
from sql.conditionals import Coalesce

from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

LIVE_STATE = ['latitude', 'longitude', 'key_on', 'soc', 'odometer',
    'working_hours']


class Vehicle(metaclass=PoolMeta):
    __name__ = 'device.vehicle'
    alarms = fields.One2Many(
        'iot.alarm', 'vehicle', "Alarms", readonly=True,
        order=[('opened', 'DESC')])
    commands = fields.One2Many(
        'iot.command', 'vehicle', "Commands", order=[('id', 'DESC')])

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

    @classmethod
    def on_modification(cls, mode, vehicles, field_names=None):
        "Registering a vehicle's gateway gives it broker credentials"
        super().on_modification(mode, vehicles, field_names=field_names)
        if mode == 'delete' or (field_names is not None
                and not field_names & {'gateway_id', 'active'}):
            return
        Gateway = Pool().get('iot.gateway')
        with without_check_access():  # credentials are the platform's
            Gateway.sync(vehicles)

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
        query = table.update(columns + [table.last_seen],
            values + [Literal(0)],
            where=(table.id == Literal(0)) & (
                (table.last_seen == Null) | (table.last_seen < Literal(0))))
        sql, _ = tuple(query)
        cursor.executemany(sql, [
                [values_[c] for c in LIVE_STATE] + [time, vehicle, time]
                for vehicle, (time, values_) in states.items()])
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
