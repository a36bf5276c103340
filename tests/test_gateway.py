"""The device side with vehicle types (issue 13): a gateway decodes any
type's DBC with its signal map, keeps every other signal, takes a new
profile from its retained config topic (and keeps it across restarts),
locks the drive where the type can; the simulator speaks any type.
Gateways, simulated vehicles and the in-process hub only: no trytond."""
import json

import can
import pytest

from marcier_gateway.fleet import Fleet, Member
from marcier_gateway.gateway import Gateway
from marcier_gateway.vehicle import SimulatedVehicle
from marcier_wire import data_file, dbc, mapping, payload, profile, topics
from marcier_wire.transport import LocalHub, LocalLink

TENANT = 'test'
HOME = (31.2304, 121.4737)


def type_profile(file_name, code, lock=None):
    "The profile an operator makes of a DBC by confirming the proposal"
    data = data_file(file_name).read_bytes()
    loaded = dbc.load(data)
    return profile.Profile(code, dbc.text(data),
        mapping.propose(loaded.database), 5.0, lock).check()


PROFILES = {
    'marcier-ev': profile.builtin(),
    'forklift': type_profile('hexin_forklift.dbc', 'forklift'),
    'sweeper': type_profile('qingyuan_sweeper.dbc', 'sweeper'),
    }


class Rig:
    "A simulated vehicle and its gateway on one virtual CAN bus"

    def __init__(self, tmp_path, hub, name, vehicle_profile,
            gateway_profile=None, seed=1, folder=None):
        channel = f'test-{name}-{tmp_path.name}'
        self.vehicle = SimulatedVehicle(
            can.Bus(interface='virtual', channel=channel), HOME, 10,
            seed=seed, profile=vehicle_profile)
        self.link = LocalLink(hub)
        self.gateway = Gateway(name, TENANT, self.link,
            can.Bus(interface='virtual', channel=channel),
            (folder or tmp_path) / f'{name}.sqlite', interval=1,
            profile=gateway_profile)
        self.link.connect()
        self.now = 1_000_000.0

    def run(self, seconds):
        for _ in range(seconds):
            self.now += 1
            self.link.pump()
            self.vehicle.step(1.0)
            self.gateway.tick(self.now)

    def close(self):
        self.gateway.close()
        self.gateway.bus.shutdown()
        self.vehicle.bus.shutdown()


@pytest.fixture
def hub():
    return LocalHub()


@pytest.fixture
def reports(hub):
    "The telemetry the platform would receive, as parsed payloads"
    received = []
    link = LocalLink(hub)
    link.on_message = lambda topic, data, token: received.append(data)
    link.subscribe(f'{topics.ROOT}/{TENANT}/+/{topics.TELEMETRY}')
    link.connect()

    def parsed(ranges=None):
        link.pump()
        return [payload.parse(r, 1_000_000.0 + 3600, ranges)
            for r in received]
    return parsed


@pytest.mark.parametrize('code, own', [
        ('marcier-ev', 'bms_faults'),
        ('forklift', 'load_weight'),
        ('sweeper', 'water_level'),
        ])
def test_each_type_reports_its_quantities_and_other_signals(
        tmp_path, hub, reports, code, own):
    rig = Rig(tmp_path, hub, f'gw-{code}', PROFILES[code],
        PROFILES[code], seed=code)
    try:
        rig.run(600)
        assert rig.gateway.bad_frames == 0
    finally:
        rig.close()
    parsed = reports(PROFILES[code].mapping.ranges)
    assert len(parsed) >= 590  # one a second
    _, values, extra = parsed[-1]
    assert values['soc'] is not None and values['latitude'] is not None
    assert values[own] is not None
    # the unmapped signals of the type's DBC are all there
    database = PROFILES[code].database
    mapped = {(e.message, e.signal)
        for e in PROFILES[code].mapping.entries.values()}
    every = {f'{m.name}.{s.name}' for m in database.messages
        for s in m.signals if (m.name, s.name) not in mapped
        and not (PROFILES[code].lock
            and m.name == PROFILES[code].lock.message)}
    seen = set().union(*(e for _, _, e in parsed))
    assert seen == every
    # the physics: the vehicle drove and the odometer follows it
    odometers = [v['odometer'] for _, v, _ in parsed]
    assert odometers[-1] > odometers[0]


def test_forklift_carries_loads_and_sweeper_uses_water(
        tmp_path, hub, reports):
    forklift = Rig(tmp_path, hub, 'gw-fork', PROFILES['forklift'],
        PROFILES['forklift'], seed=7)
    sweeper = Rig(tmp_path, hub, 'gw-sweep', PROFILES['sweeper'],
        PROFILES['sweeper'], seed=8)
    try:
        for _ in range(3600):
            forklift.run(1)
            sweeper.run(1)
    finally:
        forklift.close()
        sweeper.close()
    parsed = [v for _, v, _ in reports()]
    loads = {v['load_weight'] for v in parsed if v['load_weight'] is not None}
    assert len(loads) > 1 and max(loads) <= 1500
    water = [v['water_level'] for v in parsed if v['water_level'] is not None]
    assert min(water) < max(water) <= 100
    brushing = [v['brush_speed'] for v in parsed
        if v['brush_speed'] is not None and v['speed']]
    assert brushing and set(brushing) == {1000.0}


def test_retained_profile_reaches_a_running_gateway(tmp_path, hub, reports):
    "A type change reaches the gateway, which keeps it across restarts"
    config = topics.topic(TENANT, 'gw-1', topics.CONFIG)
    # (a spool folder not made yet: the gateway makes it to save)
    folder = tmp_path / 'gateway'
    rig = Rig(tmp_path, hub, 'gw-1', PROFILES['forklift'], folder=folder)
    try:
        assert rig.gateway.profile.code == 'marcier-ev'
        rig.run(5)
        # the built-in map finds none of the forklift's frames
        assert rig.gateway.bad_frames > 0 and not rig.gateway.values
        hub.route(config, b'{"not": "a profile"}', retain=True)
        rig.run(2)
        assert rig.gateway.profile.code == 'marcier-ev'
        hub.route(config, PROFILES['forklift'].to_json(), retain=True)
        rig.run(5)
        assert rig.gateway.profile.digest == PROFILES['forklift'].digest
        assert rig.gateway.values['load'] is not None
    finally:
        rig.close()
    # a restart runs the saved profile before the broker answers
    again = Rig(tmp_path, LocalHub(), 'gw-1', PROFILES['forklift'],
        folder=folder)
    try:
        assert again.gateway.profile.digest == PROFILES['forklift'].digest
    finally:
        again.close()
    # a new subscriber gets the retained profile at once
    late = Rig(tmp_path, hub, 'gw-2', PROFILES['forklift'])
    try:
        hub.route(topics.topic(TENANT, 'gw-2', topics.CONFIG),
            PROFILES['sweeper'].to_json(), retain=True)
        fresh = Rig(tmp_path, hub, 'gw-2b', PROFILES['sweeper'])
        fresh.close()
        late.run(1)
        assert late.gateway.profile.code == 'sweeper'
    finally:
        late.close()


def command(rig, hub, ident, name):
    answers = []
    link = LocalLink(hub)
    link.on_message = lambda topic, data, token: answers.append(
        json.loads(data))
    link.subscribe(topics.topic(TENANT, rig.gateway.id, topics.ACK))
    link.connect()
    hub.route(topics.topic(TENANT, rig.gateway.id, topics.COMMAND),
        json.dumps({'id': ident, 'cmd': name}).encode())
    rig.run(4)
    link.pump()
    return answers


def test_drive_lock_through_the_types_dbc(tmp_path, hub):
    "The lock request is the frame the type's profile names"
    rig = Rig(tmp_path, hub, 'gw-ev', PROFILES['marcier-ev'])
    try:
        rig.run(3)
        answer, = command(rig, hub, 7, 'lock')
        assert answer['ok'] and answer['detail'] == "drive locked"
        assert rig.vehicle.locked and rig.gateway.values['lock'] is True
        answer, = command(rig, hub, 8, 'unlock')
        assert answer['ok'] and not rig.vehicle.locked
    finally:
        rig.close()


def test_a_type_without_lock_refuses_it(tmp_path, hub):
    rig = Rig(tmp_path, hub, 'gw-f', PROFILES['forklift'],
        PROFILES['forklift'])
    try:
        answer, = command(rig, hub, 9, 'lock')
        assert not answer['ok']
        assert answer['detail'] == "vehicle type forklift has no drive lock"
        assert rig.gateway.diagnostics()['vehicle_type'] == 'forklift'
    finally:
        rig.close()


def test_fleet_vehicle_becomes_its_gateways_type(tmp_path, hub):
    "The demo fleet's vehicle speaks the type the platform gave its gateway"
    member = Member('gw-fleet', 'secret', HOME, 10)
    fleet = Fleet([member], TENANT, lambda m: LocalLink(hub),
        spool_dir=tmp_path)
    (_, vehicle, gateway), = fleet.pairs
    gateway.link.connect()
    try:
        hub.route(topics.topic(TENANT, 'gw-fleet', topics.CONFIG),
            PROFILES['sweeper'].to_json(), retain=True)
        for n in range(5):
            gateway.link.pump()
            fleet.tick(1000.0 + n)
        assert vehicle.profile is gateway.profile
        assert gateway.profile.code == 'sweeper'
        assert gateway.values.get('water') is not None
    finally:
        gateway.close()
        gateway.bus.shutdown()
        vehicle.bus.shutdown()


def test_profile_round_trip_and_refusals():
    sweeper = PROFILES['sweeper']
    assert profile.Profile.from_json(sweeper.to_json()).digest \
        == sweeper.digest
    broken = json.loads(sweeper.to_json())
    broken['mapping']['entries'][0]['signal'] = 'NoSuchSignal'
    with pytest.raises(profile.ProfileError, match='no signal NoSuchSignal'):
        profile.Profile.from_json(json.dumps(broken))
    broken = {**json.loads(sweeper.to_json()), 'interval': 0}
    with pytest.raises(profile.ProfileError, match='interval'):
        profile.Profile.from_json(json.dumps(broken))
    with pytest.raises(profile.ProfileError, match='not a vehicle profile'):
        profile.Profile.from_json(b'[]')
    with pytest.raises(profile.ProfileError, match='no lock signal'):
        profile.Profile(sweeper.code, sweeper.dbc, sweeper.mapping, 5.0,
            profile.LockCommand('VCU_Info', 'Nope')).check()
