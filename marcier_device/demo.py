# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo fleet: a few vehicles of each type for every demo agent, with
their history, maintenance plans (one of them due), a few rentals, a repair,
a retirement and a transfer between customers."""
import datetime as dt
import random

from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_base.demo import company, ensure

# The catalogue products of the fleet (code, name), found by code: the
# mall's demo (marcier_mall), before or after this one, makes them its
# mall products
PRODUCTS = [
    ('MC-S14', "MC-S14 Sightseeing Car, 14 seats"),
    ('MC-G4', "MC-G4 Golf Cart, 4 seats"),
    ('MC-P2', "MC-P2 Open Patrol Car"),
    ('MC-R3', "MC-R3 Refuse Collector, 3 m³"),
    ('MC-F15', "MC-F15 Electric Forklift, 1.5 t"),
    ('MC-C70', "MC-C70 Ride-on Floor Scrubber"),
    ]
PER_AGENT = 6
PLANS = [
    # name, product code, every N days, every N working hours, work
    ("Golf cart quarterly service", 'MC-G4', 90, 250,
        "Brakes, steering, tyres, battery terminals and water level."),
    ("Forklift 500 h service", 'MC-F15', 180, 500,
        "Hydraulic oil and filters, mast chains, forks, brakes, battery."),
    ]


def load(context):
    pool = Pool()
    Agent = pool.get('marcier.agent')
    Vehicle = pool.get('device.vehicle')
    operator_company = company()
    # Same fleet on every run: positions come from a seeded generator
    rng = random.Random(2026)
    vehicles = []
    with Transaction().set_context(company=operator_company.id):
        products = _products()
        for agent in Agent.search([('company', '=', operator_company.id)]):
            city = agent.city
            for n in range(PER_AGENT):
                latitude = city.latitude + rng.uniform(-0.08, 0.08)
                longitude = city.longitude + rng.uniform(-0.08, 0.08)
                serial = f'MC{agent.code}{n + 1:04d}'
                vehicle = ensure(Vehicle, [('serial', '=', serial)], {
                        'company': operator_company.id,
                        'agent': agent.id,
                        'product': products[
                            PRODUCTS[n % len(PRODUCTS)][0]].id,
                        'gateway_id': f'gw-{serial.lower()}',
                        'commissioning_date': dt.date(2025, 1 + n, 15),
                        })
                vehicles.append(vehicle)
                if vehicle.latitude is None:
                    Vehicle.write([vehicle], {
                            'latitude': round(latitude, 6),
                            'longitude': round(longitude, 6),
                            'soc': round(rng.uniform(35, 95), 1),
                            'odometer': round(rng.uniform(200, 9000), 1),
                            'working_hours': round(rng.uniform(50, 1500), 1),
                            })
        _plans(operator_company, products)
        # Fresh records: the plans just added maintenance lines to them
        vehicles = Vehicle.browse(vehicles)
        _history(vehicles)
        _statuses(vehicles)
        Pool().get('device.vehicle.maintenance').notify_due()


def _products():
    "{code: product.template} of PRODUCTS"
    pool = Pool()
    Template = pool.get('product.template')
    ModelData = pool.get('ir.model.data')
    unit = ModelData.get_id('product', 'uom_unit')
    return {code: ensure(Template, [('code', '=', code)], {
                'name': name, 'type': 'assets', 'default_uom': unit})
        for code, name in PRODUCTS}


def _plans(company, products):
    Plan = Pool().get('device.maintenance.plan')
    for name, code, days, hours, work in PLANS:
        ensure(Plan, [('name', '=', name)], {
                'company': company.id, 'product': products[code].id,
                'interval_days': days, 'interval_hours': hours, 'work': work})


def _event(vehicle, type_, note, days_ago=None, date=None, hours_before=0,
        hours=None):
    pool = Pool()
    Event = pool.get('device.vehicle.event')
    Date = pool.get('ir.date')
    if date is None:
        date = Date.today() - dt.timedelta(days=days_ago)
    ensure(Event, [
            ('vehicle', '=', vehicle.id), ('type', '=', type_),
            ('note', '=', note)], {
            'date': date,
            'working_hours': hours if hours is not None else max(
                (vehicle.working_hours or 0) - hours_before, 0),
            })


def _history(vehicles):
    "Delivery, site entries and recent maintenance; one plan left due"
    for vehicle in vehicles:
        _event(vehicle, 'entry',
            f"Delivered to {vehicle.agent.party.name}.",
            date=vehicle.commissioning_date, hours=0)
        if vehicle.maintenances:
            overdue = vehicle.serial == 'MCA0002'
            _event(vehicle, 'maintenance',
                "Scheduled service done by the agent's workshop.",
                days_ago=100 if overdue else 20,
                hours_before=40 if overdue else 15)


def _statuses(vehicles):
    "A rental per agent, a repair, a retirement and a customer transfer"
    pool = Pool()
    Vehicle = pool.get('device.vehicle')
    Customer = pool.get('marcier.customer')
    by_serial = {v.serial: v for v in vehicles}

    def customers(vehicle):
        return [c.party for c in Customer.search(
                [('agent', '=', vehicle.agent.id)], order=[('id', 'ASC')])]

    def untouched(serial):
        vehicle = by_serial.get(serial)
        if vehicle and vehicle.status == 'available' and not any(
                e.type != 'entry' or e.date != vehicle.commissioning_date
                for e in vehicle.events):
            return vehicle

    for serial in ['MCA0001', 'MCB0001', 'MCC0003']:
        if vehicle := untouched(serial):
            customer = customers(vehicle)[0]
            Vehicle.rent([vehicle], customer)
            _event(vehicle, 'entry',
                f"On site at {customer.name} for the lease.", days_ago=40)
    if vehicle := untouched('MCA0004'):
        Vehicle.start_repair([vehicle])
        _event(vehicle, 'repair',
            "Controller fault E-21: motor controller sent to the workshop.",
            days_ago=2)
    if vehicle := untouched('MCC0006'):
        Vehicle.retire([vehicle])
        _event(vehicle, 'exit', "Battery pack worn out: vehicle retired.",
            days_ago=10)
    vehicle = by_serial.get('MCB0001')
    if vehicle and vehicle.status == 'rented' and not any(
            e.type == 'transfer' for e in vehicle.events):
        Vehicle.transfer_to([vehicle], customer=customers(vehicle)[1],
            note="The lease passes to the port's logistics company.")
