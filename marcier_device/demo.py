# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo fleet: a few vehicles of each type for every demo agent."""
import datetime as dt
import random

from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_base.demo import company, ensure

MODELS = [
    "MC-S14 Sightseeing Car (14 seats)",
    "MC-G4 Golf Cart (4 seats)",
    "MC-P2 Patrol Car",
    "MC-H3 Sanitation Vehicle",
    "MC-F20 Electric Forklift (2 t)",
    "MC-C1 Cleaning Machine",
    ]
PER_AGENT = 6


def load(context):
    pool = Pool()
    Agent = pool.get('marcier.agent')
    Vehicle = pool.get('device.vehicle')
    operator_company = company()
    # Same fleet on every run: positions come from a seeded generator
    rng = random.Random(2026)
    with Transaction().set_context(company=operator_company.id):
        for agent in Agent.search([('company', '=', operator_company.id)]):
            city = agent.city
            for n in range(PER_AGENT):
                latitude = city.latitude + rng.uniform(-0.08, 0.08)
                longitude = city.longitude + rng.uniform(-0.08, 0.08)
                serial = f'MC{agent.code}{n + 1:04d}'
                vehicle = ensure(Vehicle, [('serial', '=', serial)], {
                        'company': operator_company.id,
                        'agent': agent.id,
                        'model_name': MODELS[n % len(MODELS)],
                        'gateway_id': f'gw-{serial.lower()}',
                        'commissioning_date': dt.date(2025, 1 + n, 15),
                        })
                if vehicle.latitude is None:
                    Vehicle.write([vehicle], {
                            'latitude': round(latitude, 6),
                            'longitude': round(longitude, 6),
                            'soc': round(rng.uniform(35, 95), 1),
                            'odometer': round(rng.uniform(200, 9000), 1),
                            'working_hours': round(rng.uniform(50, 1500), 1),
                            })
