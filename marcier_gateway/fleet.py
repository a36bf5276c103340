"""A fleet of simulated vehicles, each wired to its own real Gateway over
its own CAN bus, all driven by one thread (see mux.py)."""
import random
from dataclasses import dataclass
from pathlib import Path

import can

from .gateway import Gateway
from .mux import Mux
from .vehicle import SimulatedVehicle

STEP = 1.0  # seconds of simulated physics per vehicle step


@dataclass
class Member:
    "What the simulator needs to know of a registered vehicle"
    gateway_id: str
    secret: str
    home: tuple  # (latitude, longitude) of its agent's city
    radius: float  # km
    soc: float = 80.0
    odometer: float = 0.0
    working_hours: float = 0.0
    profile: object = None  # its vehicle type's; None: the built-in one


class Fleet:

    def __init__(self, members, tenant, make_link, interval=5.0,
            spool_dir=Path('var', 'gateway')):
        self.pairs = []
        rng = random.Random(len(members))
        for member in members:
            channel = f'marcier-sim-{member.gateway_id}'
            vehicle = SimulatedVehicle(
                can.Bus(interface='virtual', channel=channel),
                member.home, member.radius, seed=member.gateway_id,
                soc=member.soc, odometer=member.odometer,
                working_hours=member.working_hours, profile=member.profile)
            gateway = Gateway(member.gateway_id, tenant, make_link(member),
                can.Bus(interface='virtual', channel=channel),
                spool_dir / f'{member.gateway_id}.sqlite', interval=interval,
                profile=member.profile)
            # Spread the vehicles over the step so the load is even
            self.pairs.append([rng.uniform(0, STEP), vehicle, gateway])
        self.started = False

    @property
    def gateways(self):
        return [gateway for _, _, gateway in self.pairs]

    def tick(self, now):
        if not self.started:  # offsets become times
            self.started = True
            for pair in self.pairs:
                pair[0] += now
        for pair in self.pairs:
            due, vehicle, gateway = pair
            if vehicle.profile is not gateway.profile:
                # the platform gave the gateway its vehicle's type: the
                # simulated vehicle is of that type
                vehicle.use(gateway.profile)
            if now >= due:
                vehicle.step(STEP)
                gateway.tick(now)
                pair[0] = max(due + STEP, now)

    def run(self, stop):
        "Until the threading.Event stop is set"
        try:
            Mux([g.link for g in self.gateways], self.tick).run(stop)
        finally:
            for _, vehicle, gateway in self.pairs:
                gateway.close()
                gateway.bus.shutdown()
                vehicle.bus.shutdown()
