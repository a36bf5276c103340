# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo leasing: accounting set up, quotations, contracts of every agent in
every state (the vehicles marcier_device's demo rents are on in-progress
contracts of the same customers), their plans, bills, partial payments and
overdue bills, with their collections: reminders, late fees at 0.05 % a
day, pending drive lock requests.  The daily run is replayed from the
oldest start to today so that bills, payments, reminders and fees carry
their real dates; then the fleet utilisation is computed up to today."""
import datetime as dt
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_base.demo import company, translate

from .accounting import ensure_accounting

DEMO = "Demo: "
# agent, vehicle serial, customer index (0 first customer of the agent),
# start (days from today), length (days), cycle, rent, deposit, state to
# reach, payments (fraction paid of each bill in turn, the last repeats),
# days after the due date the customer pays
CONTRACTS = [
    ('A', 'MCA0002', 0, -300, 180, 'monthly', 3200, 5000, 'completed',
        [1], 5),
    ('A', 'MCA0001', 0, -40, 360, 'monthly', 4500, 8000, 'in_progress',
        [1, Decimal('0.4')], 3),
    ('A', 'MCA0003', 1, -100, 104, 'quarterly', 2800, 0, 'in_progress',
        [0, Decimal('0.5')], 20),
    ('A', 'MCA0005', 1, 10, 180, 'monthly', 3000, 3000, 'not_started',
        [], 0),
    ('A', 'MCA0006', 0, -60, 180, 'monthly', 1800, 0, 'suspended',
        [1], 2),
    ('B', 'MCB0001', 1, -40, 180, 'monthly', 3900, 4000, 'in_progress',
        [1, Decimal('0.25')], 4),
    ('B', 'MCB0002', 0, -250, 180, 'monthly', 2500, 0, 'completed',
        [1, 1, 1, 1, 0], 6),
    ('B', 'MCB0003', 0, 5, 365, 'quarterly', 2700, 2700, 'not_started',
        [], 0),
    ('B', 'MCB0004', 1, 20, 90, 'monthly', 2200, 0, 'cancelled', [], 0),
    ('C', 'MCC0003', 0, -40, 240, 'monthly', 2600, 2600, 'in_progress',
        [1], 1),
    ('C', 'MCC0001', 1, -200, 180, 'quarterly', 2400, 0, 'renewed',
        [1], 10),
    ('C', 'MCC0002', 1, -70, 180, 'monthly', 2100, 0, 'in_progress',
        [0], 0),
    ]
# Dunning levels: name, days overdue, propose the drive lock
LEVELS = [
    ("Reminder", 1, False),
    ("Warning", 15, False),
    ("Lock Proposal", 30, True),
    ]
LEVEL_NAMES_ZH = {
    "Reminder": "提醒", "Warning": "警告", "Lock Proposal": "建议锁车"}
PROCEDURE, PROCEDURE_ZH = "Lease Collections", "租赁催收"
LATE_FEE_RATE = Decimal('0.0005')
LOCK_AGENTS = ['A', 'B']
LOCK_REASON = (DEMO + "Rent unpaid for over a month despite reminders and "
    "two calls; the customer no longer answers.")
# agent, customer index, product code (marcier_device's demo makes the
# products), quantity, rent, state
QUOTATIONS = [
    ('A', 1, 'MC-S14', 2, 5200, 'draft'),
    ('B', 0, 'MC-R3', 1, 3100, 'quoted'),
    ]


def load(context):
    pool = Pool()
    Date = pool.get('ir.date')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    today = Date.today()
    operator_company = company()
    ensure_accounting(operator_company,
        [today.year - 1, today.year, today.year + 1])
    workbench = ModelData.get_id('marcier_lease', 'act_workbench')
    for user in User.search([('login', 'in', context.get(
                        'logins', ['admin', 'operator', 'agent_a',
                            'agent_b', 'agent_c']))]):
        if workbench not in [a.id for a in user.actions]:
            User.write([user], {'actions': [('add', [workbench])]})
    with Transaction().set_context(company=operator_company.id):
        _collections_setup()
        _quotations(operator_company, today)
        _contracts(operator_company, today)
        _lock_request()
    # The fleet utilisation chart is not empty on first open: the
    # contracts' days and whatever rollups the IoT demo made
    pool.get('lease.utilisation.day').update()


def _customers(agent):
    Customer = Pool().get('marcier.customer')
    return [c.party for c in Customer.search(
            [('agent', '=', agent.id)], order=[('id', 'ASC')])]


def _quotations(company, today):
    pool = Pool()
    Quotation = pool.get('lease.quotation')
    Agent = pool.get('marcier.agent')
    Template = pool.get('product.template')
    for code, customer, product, quantity, rent, state in QUOTATIONS:
        product, = Template.search([('code', '=', product)])
        note = f"{DEMO}{quantity} x {product.name}"
        if Quotation.search([('note', '=', note)]):
            continue
        agent, = Agent.search([('code', '=', code)])
        quotation, = Quotation.create([{
                    'company': company.id, 'agent': agent.id,
                    'customer': _customers(agent)[customer].id,
                    'city': agent.city.id if agent.city else None,
                    'start_date': today + dt.timedelta(days=30),
                    'end_date': today + dt.timedelta(days=394),
                    'deposit': Decimal(rent),
                    'note': note,
                    'lines': [('create', [{
                                    'product': product.id,
                                    'quantity': quantity,
                                    'rent': Decimal(rent)}])],
                    }])
        if state == 'quoted':
            Quotation.quote([quotation])


def _contracts(company, today):
    pool = Pool()
    Contract = pool.get('lease.contract')
    Vehicle = pool.get('device.vehicle')
    Agent = pool.get('marcier.agent')
    Event = pool.get('device.vehicle.event')
    if Contract.search([('note', 'like', f'{DEMO}%')], limit=1):
        return
    made = []
    for (code, serial, customer, start, length, cycle, rent, deposit,
            state, paid, delay) in CONTRACTS:
        agent, = Agent.search([('code', '=', code)])
        vehicle, = Vehicle.search([('serial', '=', serial)])
        party = _customers(agent)[customer]
        start_date = today + dt.timedelta(days=start)
        contract, = Contract.create([{
                    'company': company.id, 'agent': agent.id,
                    'customer': party.id,
                    'city': agent.city.id if agent.city else None,
                    'start_date': start_date,
                    'end_date': start_date + dt.timedelta(days=length - 1),
                    'billing_cycle': cycle,
                    'deposit': Decimal(deposit),
                    'note': f"{DEMO}{serial} for {party.name}",
                    'lines': [('create', [{
                                    'vehicle': vehicle.id,
                                    'product': vehicle.product.id,
                                    'rent': Decimal(rent)}])],
                    }])
        Contract.plan([contract])
        if state == 'cancelled':
            Contract.cancel([contract])
        # The device demo's site entry of a rented vehicle is this lease's
        for event in Event.search([
                    ('vehicle', '=', vehicle.id), ('type', '=', 'entry'),
                    ('note', 'like', 'On site at%')]):
            event.contract = contract
            event.save()
        made.append((contract, state, paid, delay))
    _replay(made, today)


def _replay(made, today):
    "Run the daily job for each past day; customers pay as planned"
    pool = Pool()
    Contract = pool.get('lease.contract')
    Event = pool.get('device.vehicle.event')
    first = min(c.start_date for c, *_ in made)
    day = first
    while day <= today:
        Contract.process(date=day)
        for contract, state, paid, delay in made:
            contract = Contract(contract.id)
            if contract.state == 'in_progress' and state == 'suspended' \
                    and day >= contract.start_date + dt.timedelta(days=20):
                contract.suspension_reason = (
                    "The customer's site is closed for renovation.")
                contract.save()
                Contract.suspend([contract])
            if (state == 'renewed' and contract.state == 'in_progress'
                    and not contract.successors
                    and day == contract.end_date - dt.timedelta(days=10)):
                Contract.renew([contract])
            for index, line in enumerate(contract.installments):
                if (line.state == 'billed' and not line.payments
                        and line.due_date + dt.timedelta(days=delay) == day):
                    fraction = paid[min(index, len(paid) - 1)]
                    amount = line.currency.round(line.amount * fraction)
                    if amount:
                        line.pay(amount, day, "Bank transfer")
        day += dt.timedelta(days=1)
    # A maintenance on site for the first in-progress lease (SPEC E4)
    for contract, state, *_ in made:
        contract = Contract(contract.id)
        if contract.state == 'in_progress' and contract.vehicles:
            Event.create([{
                        'vehicle': contract.vehicles[0].id,
                        'contract': contract.id,
                        'type': 'maintenance',
                        'date': today - dt.timedelta(days=3),
                        'note': "Brake check during the lease.",
                        }])
            break


def _collections_setup():
    """The dunning levels of the leases and the late fee of new contracts
    (set before the contracts: their late fee is the configuration's)"""
    pool = Pool()
    Procedure = pool.get('account.dunning.procedure')
    Configuration = pool.get('lease.configuration')
    config = Configuration(1)
    if config.dunning_procedure:
        return
    procedure, = Procedure.create([{
                'name': PROCEDURE,
                'levels': [('create', [{
                                'sequence': sequence,
                                'name': name,
                                'overdue': dt.timedelta(days=days),
                                'propose_lock': lock,
                                } for sequence, (name, days, lock)
                            in enumerate(LEVELS)])],
                }])
    translate(procedure, {'name': PROCEDURE_ZH})
    for level in procedure.levels:
        translate(level, {'name': LEVEL_NAMES_ZH[level.name]})
    config.dunning_procedure = procedure
    config.late_fee_method = 'daily'
    config.late_fee_rate = LATE_FEE_RATE
    config.save()


def _lock_request():
    """A drive lock request waiting for the operator, for the vehicle of
    the most overdue contract of agents A and B (with marcier_iot)"""
    pool = Pool()
    try:
        LockRequest = pool.get('lease.lock.request')
    except KeyError:
        return
    Installment = pool.get('lease.installment')
    if LockRequest.search([('reason', '=', LOCK_REASON)], limit=1):
        return
    for code in LOCK_AGENTS:
        for bill in Installment.search([
                    ('agent.code', '=', code), ('overdue', '=', True),
                    ('contract.state', 'in', ['in_progress', 'suspended']),
                    ], order=[('due_date', 'ASC')]):
            vehicles = [v for v in bill.contract.vehicles if v.gateway_id]
            if vehicles:
                LockRequest.create([{
                            'contract': bill.contract.id,
                            'vehicle': vehicles[0].id,
                            'reason': LOCK_REASON,
                            }])
                break
