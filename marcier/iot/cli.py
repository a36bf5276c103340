"""The IoT subcommands of `marcier` (registered by marcier/cli.py): they
parse arguments and call the platform (marcier_iot) or the device side
(marcier_gateway)."""
import socket
import sys

from .. import settings
from ..settings import VAR_DIR, SettingsError


def add_commands(command):
    "Add the IoT subcommands through cli.py's command(name, function, help)"
    sub = command('iot-listen', listen,
        "store the vehicles' telemetry from the broker (shared subscription) "
        "or from a NATS cluster's JetStream stream")
    sub.add_argument('--broker', metavar='URI',
        help="mqtt://user:password@host:port (default: the IoT settings)")
    sub.add_argument('--stream', metavar='URI',
        help="nats://user:password@host:port,host:port?replicas=3: consume "
        "the uplink from JetStream instead of the broker (default: the IoT "
        "settings' telemetry stream)")
    sub.add_argument('--name', default=socket.gethostname(),
        help="listener name; its broker session survives restarts")
    sub.add_argument('--batch-size', type=int, default=5000)
    sub.add_argument('--max-delay', type=float, default=0.2,
        help="seconds a message waits at most before its batch is stored")
    sub.add_argument('--stats-every', type=float, default=10,
        help="seconds between two lines of counters")
    sub.add_argument('--json', action='store_true',
        help="print the counters as JSON lines")
    sub.add_argument('--retire', action='store_true',
        help="end this listener's broker session for good: while it exists "
        "it keeps receiving its share of the messages")

    sub = command('simulate', simulate,
        "drive simulated vehicles through real gateways to the broker")
    sub.add_argument('--vehicles', type=int, required=True)
    sub.add_argument('--broker', metavar='URI',
        help="broker host and port (default: the IoT settings); each "
        "gateway logs in with its own credentials")
    sub.add_argument('--interval', type=float, default=5,
        help="seconds between two reports of a gateway")
    sub.add_argument('--duration', type=float,
        help="stop after this many seconds")

    from marcier_gateway.main import add_arguments
    add_arguments(command('gateway', gateway,
        "run one vehicle gateway: CAN bus → MQTT, commands back "
        "(as `marcier-gateway` does on a gateway box)"))

    sub = command('gateway-config', gateway_config,
        "print the config of a vehicle's gateway (its credentials)")
    sub.add_argument('vehicle', help="serial number or gateway id")
    sub.add_argument('--broker', metavar='URI',
        help="broker address as the gateway sees it")
    sub.add_argument('--output', metavar='DIR',
        help="write the config and the vehicle type's profile (DBC and "
        "signal map) into DIR instead of printing the config")

    sub = command('broker-files', broker_files,
        "write Mosquitto's password file and ACL from the vehicle ledger")
    sub.add_argument('--output', default=str(VAR_DIR / 'mosquitto'),
        help="folder of passwd and acl (default: %(default)s)")


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


def _connection(args, stream=False):
    """(database, tenant, source) of the command's --db and --broker:
    the Broker, or with stream the JetStream Cluster when there is one"""
    from marcier_iot import platform
    database = open_database(args.db)
    tenant, broker = platform.read(
        database.name, platform.connection, args.broker)
    if stream and (cluster := platform.read(
                database.name, platform.stream, args.stream)):
        return database, tenant, cluster
    if broker is None:
        raise SettingsError("no broker configured: set it in IoT Settings or "
            "pass --broker (`marcier demo` uses an in-process hub instead)")
    return database, tenant, broker


def listen(args):
    from marcier_gateway.main import stop_event
    from marcier_iot import listener
    database, tenant, source = _connection(args, stream=True)
    if args.retire:
        return listener.retire(source, tenant, args.name)
    listener.listen(source, database.name, tenant, args.name, stop_event(),
        batch_size=args.batch_size, max_delay=args.max_delay,
        stats_every=args.stats_every, as_json=args.json)


def simulate(args):
    from marcier_gateway.main import run_fleet
    from marcier_iot import platform
    database, tenant, broker = _connection(args)
    members = platform.read(database.name, platform.members, args.vehicles)
    if len(members) < args.vehicles:
        raise SettingsError(f"only {len(members)} vehicles of {database} "
            "have a gateway: register more vehicles with a gateway id")
    run_fleet(members, tenant, broker, args.interval, args.duration)


def gateway(args):
    from marcier_gateway.main import run_gateway
    run_gateway(args.config, args.bus, args.simulate)


def gateway_config(args):
    from marcier_iot import platform
    database = open_database(args.db)
    result = platform.read(database.name, platform.gateway_config,
        args.vehicle, args.broker, args.output)
    if args.output:
        print("Wrote " + " and ".join(str(p) for p in result))
    else:
        sys.stdout.write(result)


def broker_files(args):
    from marcier_iot import platform
    database = open_database(args.db)
    paths = platform.read(database.name, platform.broker_files, args.output)
    print("Wrote " + " and ".join(str(p) for p in paths))
