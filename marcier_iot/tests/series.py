# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Hand-made report series through the listener's real path
(ingest.process), for the tests of rollups and trips"""
import datetime as dt
import json
import time

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool

from marcier_base.tests.test_module import create_agent

from .. import ingest

TENANT = 'derive'
SHANGHAI = (31.2304, 121.4737)
KM = 1 / 111.32  # degrees of latitude per km
KEYS = {'latitude': 'lat', 'longitude': 'lon', 'speed': 'spd',
    'voltage': 'v', 'current': 'i', 'soc': 'soc', 'key_on': 'key',
    'charging': 'chg', 'odometer': 'odo', 'working_hours': 'wh',
    'battery_temp': 'tmax', 'motor_temp': 'mt', 'fault_code': 'fc'}


def setup_vehicle():
    "A vehicle of an agent serving Shanghai (50 km), gateway gw-d1"
    pool = Pool()
    City = pool.get('marcier.city')
    Vehicle = pool.get('device.vehicle')
    Configuration = pool.get('iot.configuration')
    Configuration.write([Configuration(1)], {'tenant': TENANT})
    company = create_company()
    city, = City.create([{'name': "Shanghai", 'latitude': SHANGHAI[0],
                'longitude': SHANGHAI[1], 'radius': 50}])
    agent = create_agent(company, 'A')
    agent.city = city
    agent.save()
    with set_company(company):
        vehicle, = Vehicle.create([{'serial': 'D1', 'company': company.id,
                    'agent': agent.id, 'gateway_id': 'gw-d1'}])
    return vehicle


def base():
    "Epoch of the hour that began three hours ago"
    return (time.time() // 3600 - 3) * 3600


def utc(epoch):
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=epoch)


def drive(ts, km, **values):
    "A report of the vehicle driving north of Shanghai, km from its start"
    return (ts, {'latitude': SHANGHAI[0] + km * KM,
            'longitude': SHANGHAI[1], 'odometer': 100.0 + km,
            'speed': 20.0, 'key_on': True, 'voltage': 80.0, 'current': 50.0,
            'soc': 60.0, 'working_hours': 10.0, **values})


def stand(ts, km, **values):
    "A report of the vehicle parked, key off, km from its start"
    return drive(ts, km, **{'speed': 0.0, 'key_on': False, 'current': 1.5,
                **values})


def process(*reports):
    "Store reports [(epoch, {column: value})] as one batch"
    return ingest.process(TENANT, [ingest.Message(
                f'marcier/{TENANT}/gw-d1/telemetry',
                json.dumps({'ts': ts, 'ver': 2, **{KEYS[k]: v
                                for k, v in values.items()}}).encode(),
                time.time()) for ts, values in reports], time.time())
