# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""What the IoT programs read from the database: the tenant, the broker
account, the registered gateways.  The caller has configured trytond and
loaded the database's pool (`marcier` does both)."""
from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_gateway.fleet import Member
from marcier_wire.errors import ConfigError
from marcier_wire.jetstream import parse_cluster
from marcier_wire.transport import parse_broker


def read(database_name, function, *args):
    "function(*args) in a read-only transaction of the database"
    with Transaction().start(database_name, 0, readonly=True):
        return function(*args)


def connection(broker_uri=None):
    "(tenant, Broker or None) from the IoT settings, broker_uri overriding"
    configuration = Pool().get('iot.configuration')(1)
    return configuration.tenant, parse_broker(
        broker_uri or configuration.broker)


def stream(stream_uri=None):
    "The JetStream Cluster of the IoT settings or None, stream_uri overriding"
    configuration = Pool().get('iot.configuration')(1)
    return parse_cluster(stream_uri or configuration.stream)


def members(count=None):
    "The first count registered gateways, with where their vehicle lives"
    Gateway = Pool().get('iot.gateway')
    gateways = Gateway.search([('vehicle.active', '=', True)],
        limit=count, order=[('username', 'ASC')])
    Vehicle = Pool().get('device.vehicle')
    # one DBC parsed per vehicle type
    profiles = Vehicle.profiles([g.vehicle for g in gateways])
    result = []
    for gateway in gateways:
        vehicle = gateway.vehicle
        city = vehicle.agent.city if vehicle.agent else None
        if city:
            home, radius = (city.latitude, city.longitude), city.radius
        else:
            home = (vehicle.latitude or 31.2304, vehicle.longitude or 121.4737)
            radius = 20.0
        result.append(Member(gateway.username, gateway.secret, home, radius,
                soc=vehicle.soc if vehicle.soc is not None else 80.0,
                odometer=vehicle.odometer or 0.0,
                working_hours=vehicle.working_hours or 0.0,
                profile=profiles[vehicle]))
    return result


def gateway_config(vehicle, broker_uri=None, output=None):
    """The config text of the gateway of a vehicle given by serial or
    gateway; with output, the paths of its config and profile files
    written into that folder"""
    Gateway = Pool().get('iot.gateway')
    gateways = Gateway.search(['OR',
            ('username', '=', vehicle),
            ('vehicle.serial', '=', vehicle)])
    if not gateways:
        raise ConfigError(f"no vehicle with serial or gateway {vehicle!r}"
            " has gateway credentials (does it have a gateway id?)")
    if output:
        return gateways[0].write_config(output, broker_uri)
    return gateways[0].config_text(broker_uri)


def broker_files(folder):
    return Pool().get('iot.gateway').write_broker_files(folder)
