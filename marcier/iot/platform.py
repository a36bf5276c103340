"""What the IoT programs read from the Marcier database: the tenant, the
broker account, the registered gateways."""
from .. import settings
from ..settings import SettingsError
from .fleet import Member
from .transport import parse_broker


def open_database(uri):
    "Configure trytond for uri and load its pool; return the Database"
    database = settings.parse_database(uri)
    settings.configure(database)
    from ..database import is_set_up
    if not is_set_up(database):
        raise SettingsError(f"database {database} is not set up: "
            f"run `marcier setup --db {database}` first")
    from trytond.pool import Pool
    Pool.start()
    if database.name not in Pool.database_list():
        Pool(database.name).init()
    if 'marcier_iot' not in Pool(database.name)._modules:
        raise SettingsError(f"the IoT module is not activated in {database}:"
            f" run `marcier setup --db {database}`")
    return database


def read(database, function, *args):
    "function(*args) in a read-only transaction of the database"
    from trytond.transaction import Transaction
    with Transaction().start(database.name, 0, readonly=True):
        return function(*args)


def connection(broker_uri=None):
    "(tenant, Broker or None) from the IoT settings, broker_uri overriding"
    from trytond.pool import Pool
    configuration = Pool().get('iot.configuration')(1)
    return configuration.tenant, parse_broker(
        broker_uri or configuration.broker)


def members(count=None):
    "The first count registered gateways, with where their vehicle lives"
    from trytond.pool import Pool
    Gateway = Pool().get('iot.gateway')
    gateways = Gateway.search([('vehicle.active', '=', True)],
        limit=count, order=[('username', 'ASC')])
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
                working_hours=vehicle.working_hours or 0.0))
    return result


def gateway_config(vehicle, broker_uri=None):
    "The config text of the gateway of a vehicle given by serial or gateway"
    from trytond.pool import Pool
    Gateway = Pool().get('iot.gateway')
    gateways = Gateway.search(['OR',
            ('username', '=', vehicle),
            ('vehicle.serial', '=', vehicle)])
    if not gateways:
        raise SettingsError(f"no vehicle with serial or gateway {vehicle!r}"
            " has gateway credentials (does it have a gateway id?)")
    return gateways[0].config_text(broker_uri)


def broker_files(folder):
    from trytond.pool import Pool
    return Pool().get('iot.gateway').write_broker_files(folder)
