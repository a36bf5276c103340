"""`marcier-gateway`: run one vehicle gateway from the config file the
platform printed (`marcier gateway-config`), as on a gateway box; and the
fleet simulator's loop that `marcier simulate` calls."""
import argparse
import configparser
import signal
import sys
import threading
from pathlib import Path

from marcier_wire import command
from marcier_wire.errors import ConfigError
from marcier_wire.profile import Profile
from marcier_wire.transport import MqttLink, parse_broker


def stop_event():
    "An Event set by SIGTERM or Ctrl+C"
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def raise_file_limit(needed):
    "One socket per simulated gateway: lift the soft limit of open files"
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        limit = needed if hard == resource.RLIM_INFINITY else min(
            needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def run_gateway(config_file, bus_spec=None, simulate=False):
    "Run the gateway of config_file until SIGTERM or Ctrl+C"
    from .bus import open_bus
    from .gateway import Gateway
    from .mux import Mux
    from .vehicle import SimulatedVehicle
    config = configparser.ConfigParser()
    if not config.read(config_file):
        raise ConfigError(f"cannot read gateway config {config_file}")
    try:
        section = config['gateway']
        ident, tenant = section['id'], section['tenant']
        broker = parse_broker(section['broker'])
        interval = section.getfloat('report_interval', 5)
        # the vehicle type's profile, written next to the config
        profile = None
        if section.get('profile'):
            path = Path(config_file).parent / section['profile']
            profile = Profile.from_json(path.read_bytes())
    except (KeyError, ValueError, OSError) as exception:
        # (ProfileError is a ValueError)
        raise ConfigError(
            f"bad gateway config {config_file}: {exception}") from None
    channel = f'marcier-{ident}'
    bus = open_bus(bus_spec or section.get('bus'), channel)
    vehicle = None
    if simulate:
        vehicle = SimulatedVehicle(
            open_bus(bus_spec or section.get('bus'), channel),
            (31.2304, 121.4737), 20, seed=ident, profile=profile)
    link = MqttLink(broker, ident, persistent=True)
    # A relative spool is relative to where the gateway runs
    node = Gateway(ident, tenant, link, bus,
        section.get('spool', str(Path('var', 'gateway', f'{ident}.sqlite'))),
        interval=interval, profile=profile)
    last_step = [0.0]

    def tick(now):
        if vehicle and now - last_step[0] >= 1:
            last_step[0] = now
            vehicle.step(1.0)
        node.tick(now)
    print(f"Gateway {ident} on {bus.channel_info}, publishing to "
        f"{broker.host}:{broker.port} every {interval:g} s", flush=True)
    try:
        Mux([link], tick).run(stop_event())
    finally:
        node.close()
        bus.shutdown()


def run_fleet(members, tenant, broker, interval, duration=None):
    """Drive the simulated vehicles of members (fleet.Member), each through
    its own gateway logged in with its own credentials, until SIGTERM,
    Ctrl+C or duration seconds"""
    from .fleet import Fleet
    raise_file_limit(len(members) + 100)

    def link(member):
        return MqttLink(broker.as_user(member.gateway_id, member.secret),
            member.gateway_id, persistent=True)
    fleet = Fleet(members, tenant, link, interval=interval)
    stop = stop_event()
    if duration:
        timer = threading.Timer(duration, stop.set)
        timer.daemon = True
        timer.start()
    print(f"Simulating {len(members)} vehicles through {broker.host}:"
        f"{broker.port}, one report per {interval:g} s each; "
        "Ctrl+C stops", flush=True)
    fleet.run(stop)


def add_arguments(parser):
    "The options of one gateway, shared with `marcier gateway`"
    parser.add_argument('--config', required=True,
        help="the file printed by `marcier gateway-config`")
    parser.add_argument('--bus', default=None,
        help="auto (socketcan:vcan0 if present, else virtual), "
        "socketcan:IFACE or virtual:NAME (default: the config's)")
    parser.add_argument('--simulate', action='store_true',
        help="also drive a simulated vehicle on the bus")


def main(argv=None):
    parser = argparse.ArgumentParser(prog='marcier-gateway',
        description="run one vehicle gateway: CAN bus → MQTT, commands back")
    add_arguments(parser)
    parser.add_argument('-v', '--verbose', action='store_true')
    args = parser.parse_args(argv)
    return command.run('marcier-gateway',
        lambda: run_gateway(args.config, args.bus, args.simulate),
        args.verbose, ConfigError)


if __name__ == '__main__':
    sys.exit(main())
