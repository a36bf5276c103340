"""The IoT subcommands of `marcier` (registered by marcier/cli.py)."""
import configparser
import json
import signal
import socket
import sys
import threading
import time

from ..settings import VAR_DIR, SettingsError
from . import platform
from .transport import MqttLink, parse_broker


def add_commands(command):
    "Add the IoT subcommands through cli.py's command(name, function, help)"
    sub = command('iot-listen', listen,
        "store the vehicles' telemetry from the broker (shared subscription)")
    sub.add_argument('--broker', metavar='URI',
        help="mqtt://user:password@host:port (default: the IoT settings)")
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

    sub = command('gateway', gateway,
        "run one vehicle gateway: CAN bus → MQTT, commands back")
    sub.add_argument('--config', required=True,
        help="the file printed by `marcier gateway-config`")
    sub.add_argument('--bus', default=None,
        help="auto (socketcan:vcan0 if present, else virtual), "
        "socketcan:IFACE or virtual:NAME (default: the config's)")
    sub.add_argument('--simulate', action='store_true',
        help="also drive a simulated vehicle on the bus")

    sub = command('gateway-config', gateway_config,
        "print the config of a vehicle's gateway (its credentials)")
    sub.add_argument('vehicle', help="serial number or gateway id")
    sub.add_argument('--broker', metavar='URI',
        help="broker address as the gateway sees it")

    sub = command('broker-files', broker_files,
        "write Mosquitto's password file and ACL from the vehicle ledger")
    sub.add_argument('--output', default=str(VAR_DIR / 'mosquitto'),
        help="folder of passwd and acl (default: %(default)s)")


def raise_file_limit(needed):
    "One socket per simulated gateway: lift the soft limit of open files"
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        limit = needed if hard == resource.RLIM_INFINITY else min(
            needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def _stop_event():
    "An Event set by SIGTERM or Ctrl+C"
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _connection(args):
    "(database, tenant, broker) of the command's --db and --broker"
    database = platform.open_database(args.db)
    tenant, broker = platform.read(database, platform.connection, args.broker)
    if broker is None:
        raise SettingsError("no broker configured: set it in IoT Settings or "
            "pass --broker (`marcier demo` uses an in-process hub instead)")
    return database, tenant, broker


def listen(args):
    from .listener import Listener
    database, tenant, broker = _connection(args)
    client_id = f'marcier-listener-{tenant}-{args.name}'
    if args.retire:
        return retire(broker, client_id)
    link = MqttLink(broker, client_id, persistent=True, manual_ack=True)
    listener = Listener(link, database.name, tenant,
        batch_size=args.batch_size, max_delay=args.max_delay)
    stop = _stop_event()
    link.start()
    print(f"Listening to {broker} for tenant {tenant} as "
        f"{args.name}, storing into {database}", flush=True)
    worker = threading.Thread(target=listener.run, args=(stop,))
    worker.start()
    try:
        while not stop.wait(args.stats_every):
            _print_stats(listener.stats(), args.json, link)
    finally:
        worker.join()
        link.stop()
        _print_stats(listener.stats(), args.json, link)


def retire(broker, client_id):
    "Connect once with a clean session: the broker drops the old one"
    stop = threading.Event()
    link = MqttLink(broker, client_id)
    link.on_connection = lambda connected: connected and stop.set()
    link.start()
    if not stop.wait(10):
        raise SettingsError(f"cannot reach {broker}: {link.refused or 'no answer'}")
    link.stop()
    print(f"Session {client_id} ended; messages it had not acknowledged "
        "are gone from the broker", flush=True)


def _print_stats(stats, as_json, link):
    if as_json:
        print(json.dumps({'time': time.time(), **stats}), flush=True)
    else:
        state = "connected" if link.connected else (
            f"refused: {link.refused}" if link.refused else "disconnected")
        print(f"[{state}] " + ", ".join(
                f"{k} {v}" for k, v in sorted(stats.items())), flush=True)


def simulate(args):
    from .fleet import Fleet
    database, tenant, broker = _connection(args)
    members = platform.read(database, platform.members, args.vehicles)
    raise_file_limit(len(members) + 100)
    if len(members) < args.vehicles:
        raise SettingsError(f"only {len(members)} vehicles of {database} "
            "have a gateway: register more vehicles with a gateway id")

    def link(member):
        return MqttLink(broker.as_user(member.gateway_id, member.secret),
            member.gateway_id, persistent=True)
    fleet = Fleet(members, tenant, link, interval=args.interval)
    stop = _stop_event()
    if args.duration:
        timer = threading.Timer(args.duration, stop.set)
        timer.daemon = True
        timer.start()
    print(f"Simulating {len(members)} vehicles through {broker.host}:"
        f"{broker.port}, one report per {args.interval:g} s each; "
        "Ctrl+C stops", flush=True)
    fleet.run(stop)


def gateway(args):
    from .bus import open_bus
    from .gateway import Gateway
    from .mux import Mux
    from .vehicle import SimulatedVehicle
    config = configparser.ConfigParser()
    if not config.read(args.config):
        raise SettingsError(f"cannot read gateway config {args.config}")
    try:
        section = config['gateway']
        ident, tenant = section['id'], section['tenant']
        broker = parse_broker(section['broker'])
        interval = section.getfloat('report_interval', 5)
    except (KeyError, ValueError) as exception:
        raise SettingsError(
            f"bad gateway config {args.config}: {exception}") from None
    channel = f'marcier-{ident}'
    bus = open_bus(args.bus or section.get('bus'), channel)
    vehicle = None
    if args.simulate:
        vehicle = SimulatedVehicle(
            open_bus(args.bus or section.get('bus'), channel),
            (31.2304, 121.4737), 20, seed=ident)
    link = MqttLink(broker, ident, persistent=True)
    node = Gateway(ident, tenant, link, bus,
        section.get('spool', str(VAR_DIR / 'gateway' / f'{ident}.sqlite')),
        interval=interval)
    last_step = [0.0]

    def tick(now):
        if vehicle and now - last_step[0] >= 1:
            last_step[0] = now
            vehicle.step(1.0)
        node.tick(now)
    print(f"Gateway {ident} on {bus.channel_info}, publishing to "
        f"{broker.host}:{broker.port} every {interval:g} s", flush=True)
    try:
        Mux([link], tick).run(_stop_event())
    finally:
        node.close()
        bus.shutdown()


def gateway_config(args):
    database = platform.open_database(args.db)
    sys.stdout.write(platform.read(
            database, platform.gateway_config, args.vehicle, args.broker))


def broker_files(args):
    database = platform.open_database(args.db)
    paths = platform.read(database, platform.broker_files, args.output)
    print("Wrote " + " and ".join(str(p) for p in paths))
