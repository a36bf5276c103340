# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo: three vehicle types of different makes onboarded from their DBC
(the proposed signal maps confirmed as they are), the catalogue's products
linked to them, broker credentials for every demo vehicle with a gateway
(those registered before this module was activated have none), and two
weeks of simulated history so that trips and rollups are not empty."""
import time

from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_gateway.vehicle import SimulatedPhysics
from marcier_wire import data_file, dbc, mapping, topics
from marcier_wire.payload import report
from marcier_wire.profile import BUILTIN_DBC

from . import ingest

# name, DBC of marcier_wire's data, lock request, words of product names
TYPES = [
    ("Marcier EV controller", BUILTIN_DBC,
        ('GW_Command', 'DriveLockRequest', 1, 2), None),
    ("Hexin forklift controller", 'hexin_forklift.dbc', None,
        ['forklift', '叉车']),
    ("Qingyuan sweeper controller", 'qingyuan_sweeper.dbc', None,
        ['sweeper', 'cleaning', 'sanitation', 'scrubber', '清扫', '清洁',
            '环卫']),
    ]


def load(context):
    pool = Pool()
    Vehicle = pool.get('device.vehicle')
    Gateway = pool.get('iot.gateway')
    VehicleType = pool.get('iot.vehicle.type')
    Template = pool.get('product.template')
    types = {}
    for name, file_name, lock, words in TYPES:
        found = VehicleType.search([('name', '=', name)])
        if not found:
            data = data_file(file_name).read_bytes()
            proposal = mapping.propose(dbc.load(data).database)
            values = {'name': name, 'dbc': data, 'dbc_filename': file_name,
                'signal_map': proposal.to_json()}
            if lock:
                values.update(zip(['lock_message', 'lock_signal',
                            'lock_value', 'unlock_value'], lock))
            found = VehicleType.create([values])
        types[name] = (found[0], words)
    # the vehicles' products, and the catalogue's of those makes
    vehicles = {v.product for v in Vehicle.search([]) if v.product}
    default = types[TYPES[0][0]][0]
    to_write = []
    for template in Template.search([('vehicle_type', '=', None)]):
        text = (template.name or '').lower()
        type_ = next((t for t, words in types.values()
                if words and any(w in text for w in words)),
            default if template in vehicles else None)
        if type_:
            to_write.extend([[template], {'vehicle_type': type_.id}])
    if to_write:
        Template.write(*to_write)
    Gateway.sync(Vehicle.search([('gateway_id', '!=', None)]))
    backfill(Vehicle.search([('gateway_id', '!=', None)]))


HISTORY_DAYS = 14
# Every day a morning outing of each vehicle, 9:00 to 11:00 in China
OUTING = (1 * 3600, 3 * 3600)  # seconds after midnight UTC
HISTORY_INTERVAL = 10.0  # seconds between two reports of the history
BATCH = 5000


def backfill(vehicles):
    """The vehicles' simulated history of the last HISTORY_DAYS days
    through the listener's path (ingest.process: COPY on PostgreSQL,
    cleaning, rollups, trips); nothing when they have telemetry already"""
    pool = Pool()
    Telemetry = pool.get('iot.telemetry')
    Configuration = pool.get('iot.configuration')
    if not vehicles or Telemetry.search(
            [('vehicle', 'in', [v.id for v in vehicles])], limit=1):
        return
    tenant = Configuration(1).tenant
    fleet = []
    for vehicle in vehicles:
        city = vehicle.agent.city if vehicle.agent else None
        home = ((city.latitude, city.longitude) if city
            else (vehicle.latitude, vehicle.longitude))
        if None in home:
            continue
        fleet.append((topics.topic(tenant, vehicle.gateway_id,
                    topics.TELEMETRY),
                SimulatedPhysics(home, city.radius if city else 20.0,
                    seed=vehicle.gateway_id, soc=vehicle.soc or 80.0,
                    odometer=vehicle.odometer or 0.0,
                    working_hours=vehicle.working_hours or 0.0)))
    today = time.time() // 86400 * 86400
    batch = []
    # history warns nobody (Alarm.warn)
    with Transaction().set_context(iot_history=True):
        for day in range(HISTORY_DAYS, 0, -1):
            start = today - day * 86400
            ts = start + OUTING[0]
            while ts < start + OUTING[1]:
                for topic, physics in fleet:
                    physics.step(HISTORY_INTERVAL)
                    batch.append(ingest.Message(topic,
                            report(ts, physics.quantities(), {}), ts))
                if len(batch) >= BATCH:
                    ingest.process(tenant, batch, ts)
                    batch = []
                ts += HISTORY_INTERVAL
        if batch:
            ingest.process(tenant, batch, ts)
