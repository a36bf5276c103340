"""Telemetry for the upgrade test, stored by the code of the upgrade base.

Run by tests/test_upgrade.py in the base commit's checkout (so every import
below is the base's code) as: upgrade_feed.py <database URI>. Each demo
vehicle with a gateway sends REPORTS reports a minute apart through the
base's ingest (telemetry rows, live state, alarms); one low-battery report
opens an alarm and one report of an unknown gateway is rejected and logged.

It uses the base's platform API (marcier_iot.ingest, marcier_wire.topics):
when tests/upgrade_base.txt moves past a change of that API, this file
follows it.
"""
import json
import sys
import time

from marcier import settings

REPORTS = 5


def report(ts, n, index):
    "A report of every quantity, different per vehicle and per report"
    return json.dumps({
            'ts': ts, 'lat': 31.2 + n / 1000, 'lon': 121.4 + index / 1000,
            'spd': 10.0 + index, 'hdg': float(n * 7 % 360),
            'v': 76.0 + index / 10, 'i': 20.0 - index, 'soc': 80.0 - index,
            'tmax': 31.0, 'tmin': 28.0, 'bf': 0, 'rpm': 1000 + n,
            'mt': 54.0, 'ct': 47.0, 'fc': 0, 'key': 1, 'chg': 0, 'lock': 0,
            'odo': 1000.0 + n + index / 10, 'wh': 100.0 + n + index / 10,
            }).encode()


def main(uri):
    database = settings.parse_database(uri)
    settings.configure(database)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from marcier_wire import topics
    from marcier_iot import ingest
    Pool(database.name).init()
    with Transaction().start(database.name, 0) as transaction:
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        tenant = pool.get('iot.configuration')(1).tenant
        vehicles = Vehicle.search(
            [('gateway_id', '!=', None)], order=[('id', 'ASC')])
        now = time.time()
        messages = []
        for n, vehicle in enumerate(vehicles):
            for index in range(REPORTS):
                ts = round(now - (REPORTS - index) * 60, 3)
                messages.append(ingest.Message(
                        topics.topic(tenant, vehicle.gateway_id, 'telemetry'),
                        report(ts, n, index), now))
        # The last vehicle's battery runs low: an alarm opens
        messages.append(ingest.Message(
                topics.topic(tenant, vehicles[-1].gateway_id, 'telemetry'),
                json.dumps({'ts': now - 1, 'v': 70.0, 'i': 5.0, 'soc': 3.0}
                    ).encode(), now))
        messages.append(ingest.Message(
                topics.topic(tenant, 'gw-nobody', 'telemetry'),
                report(now - 1, 0, 0), now))
        outcome = ingest.process(tenant, messages, now)
        transaction.commit()
    print(f"stored {outcome.stored}, rejected {sum(outcome.rejects.values())}")


if __name__ == '__main__':
    main(sys.argv[1])
