# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The embedded default of `marcier demo`: with no broker configured, the
demo fleet (marcier_gateway's simulator and gateways) and a listener run inside
the server process and talk through an in-process hub
(marcier_wire.transport.LocalHub) instead of Mosquitto.
Same Gateway, Listener and ingest code as with a broker; nothing survives a
restart of the process, which a demo does not need."""
import logging
import threading

from marcier_base.var import var_dir
from marcier_gateway.fleet import Fleet
from marcier_wire.transport import LocalHub, LocalLink

from . import downlink, platform
from .listener import Listener

logger = logging.getLogger(__name__)
DEMO_INTERVAL = 5  # seconds between two reports of a demo vehicle


def start(database_name):
    """Start the pipeline in daemon threads unless a broker is configured;
    return a message for the console.  trytond is configured and the
    database's pool loaded."""
    tenant, broker = platform.read(database_name, platform.connection)
    if broker is not None:
        return (f"IoT: broker {broker} configured; run `marcier iot-listen` "
            "and `marcier simulate` to feed it")
    members = platform.read(database_name, platform.members)
    hub = LocalHub()
    downlink.HUB = hub
    link = LocalLink(hub)
    listener = Listener(link, database_name, tenant, max_delay=0.5)
    link.start()
    stop = threading.Event()
    threading.Thread(target=listener.run, args=(stop,), daemon=True,
        name='marcier-listener').start()
    fleet = Fleet(members, tenant, lambda member: LocalLink(hub),
        interval=DEMO_INTERVAL, spool_dir=var_dir() / 'gateway')
    threading.Thread(target=fleet.run, args=(stop,), daemon=True,
        name='marcier-fleet').start()
    return (f"IoT: {len(members)} simulated vehicles report every "
        f"{DEMO_INTERVAL} s through an in-process hub (no broker configured)")
