"""The embedded default of `marcier demo`: with no broker configured, the
demo fleet, its gateways and a listener run inside the server process and
talk through an in-process hub (transport.LocalHub) instead of Mosquitto.
Same Gateway, Listener and ingest code as with a broker; nothing survives a
restart of the process, which a demo does not need."""
import logging
import threading

from . import downlink, platform
from .fleet import Fleet
from .listener import Listener
from .transport import LocalHub, LocalLink

logger = logging.getLogger(__name__)
DEMO_INTERVAL = 5  # seconds between two reports of a demo vehicle


def start(database):
    """Start the pipeline in daemon threads unless a broker is configured;
    return a message for the console"""
    platform.open_database(str(database))
    tenant, broker = platform.read(database, platform.connection)
    if broker is not None:
        return (f"IoT: broker {broker} configured; run `marcier iot-listen` "
            "and `marcier simulate` to feed it")
    members = platform.read(database, platform.members)
    hub = LocalHub()
    downlink.HUB = hub
    link = LocalLink(hub)
    listener = Listener(link, database.name, tenant, max_delay=0.5)
    link.start()
    stop = threading.Event()
    threading.Thread(target=listener.run, args=(stop,), daemon=True,
        name='marcier-listener').start()
    fleet = Fleet(members, tenant, lambda member: LocalLink(hub),
        interval=DEMO_INTERVAL)
    threading.Thread(target=fleet.run, args=(stop,), daemon=True,
        name='marcier-fleet').start()
    return (f"IoT: {len(members)} simulated vehicles report every "
        f"{DEMO_INTERVAL} s through an in-process hub (no broker configured)")
