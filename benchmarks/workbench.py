#!/usr/bin/env python3
"""Workbench benchmark: 10,000 vehicles and 100,000 lease contracts with
their payment plans and payments on PostgreSQL, then the time of each
workbench chart and of the first page of each drill-through, read through
the ORM as the web client asks for them (access rules included).

The data is bulk-loaded with COPY (psycopg 3) next to the demo data: 20
agents, 2,000 customers, contracts of 3 to 12 monthly bills over three
years, most bills paid, some in part, some overdue.

Prints the median of 5 runs of each query (after one warm-up); the target is
300 ms each.  Usage:
    .venv/bin/python benchmarks/workbench.py [--pg postgresql://127.0.0.1:5432/]
Takes about five minutes.
"""
import argparse
import datetime as dt
import random
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MARCIER = [sys.executable, '-m', 'marcier.cli']
VEHICLES = 10_000
CONTRACTS = 100_000
AGENTS = 20
CUSTOMERS = 2_000
RUNS = 5
TARGET_MS = 300


def open_pool(uri):
    from marcier import settings
    database = settings.parse_database(uri)
    settings.configure(database)
    from trytond.pool import Pool
    Pool.start()
    Pool(database.name).init()
    return database


def make_agents(database):
    """Agents and customers through the ORM (few records); returns the
    company, currency and {agent id: [customer party ids]}"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database.name, 0) as transaction:
        pool = Pool()
        Agent = pool.get('marcier.agent')
        Party = pool.get('party.party')
        Customer = pool.get('marcier.customer')
        agent_a, = Agent.search([('code', '=', 'A')])
        company = agent_a.company
        with transaction.set_context(company=company.id):
            Agent.create([{
                        'code': f'X{n:02d}', 'company': company.id,
                        'party': Party.create([{
                                    'name': f"Bench Agent {n}"}])[0].id,
                        } for n in range(AGENTS - 3)])
            agents = Agent.search([('company', '=', company.id)])
            parties = Party.create([{'name': f"Bench Customer {n}"}
                    for n in range(CUSTOMERS)])
            Customer.create([{
                        'party': p.id, 'company': company.id,
                        'agent': agents[n % len(agents)].id}
                    for n, p in enumerate(parties)])
            books = {a.id: [] for a in agents}
            for n, party in enumerate(parties):
                books[agents[n % len(agents)].id].append(party.id)
        result = company.id, company.currency.id, books
        transaction.commit()
    return result


def users_and_agent(database):
    "Ids of the operator and agent_a users, and of agent A"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database.name, 0, readonly=True):
        pool = Pool()
        User = pool.get('res.user')
        Agent = pool.get('marcier.agent')
        users = {u.login: u.id for u in User.search([
                    ('login', 'in', ['operator', 'agent_a'])])}
        agent_a, = Agent.search([('code', '=', 'A')])
        return users, agent_a.id


def bulk_load(uri, company, currency, books, today):
    "COPY the vehicles, contracts, lines, plan lines and payments"
    import psycopg
    rng = random.Random(2026)
    now = dt.datetime.now()
    agents = sorted(books)
    with psycopg.connect(uri) as conn, conn.cursor() as cursor:
        def next_id(table):
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
            return cursor.fetchone()[0]

        def copy(table, columns, rows):
            columns = ['id', *columns, 'create_uid', 'create_date']
            names = ', '.join(f'"{c}"' for c in columns)
            count = 0
            with cursor.copy(
                    f'COPY "{table}" ({names}) FROM STDIN') as copy_:
                for row in rows:
                    copy_.write_row((*row, 0, now))
                    count += 1
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                f' (SELECT MAX(id) FROM "{table}"))')
            return count

        # Vehicles: an agent each; status set from the contracts below
        vehicle_id = next_id('device_vehicle')
        vehicles = []  # (id, agent)
        for n in range(VEHICLES):
            vehicles.append((vehicle_id + n, agents[n % len(agents)]))
        by_agent = {a: [v for v, va in vehicles if va == a] for a in agents}

        contract_id = next_id('lease_contract')
        line_id = next_id('lease_contract_line')
        installment_id = next_id('lease_installment')
        payment_id = next_id('lease_payment')
        contracts, lines, installments, payments = [], [], [], []
        rented = {}
        first_day = today - dt.timedelta(days=3 * 365)
        for n in range(CONTRACTS):
            cid = contract_id + n
            agent = agents[n % len(agents)]
            customer = rng.choice(books[agent])
            vehicle = rng.choice(by_agent[agent])
            start = first_day + dt.timedelta(days=rng.randrange(3 * 365 + 90))
            months = rng.randint(3, 12)
            end = start + dt.timedelta(days=30 * months - 1)
            rent = Decimal(rng.randrange(1500, 6000))
            if start > today:
                state = 'not_started' if rng.random() < 0.9 else 'cancelled'
            elif end < today:
                state = 'completed'
            else:
                state = 'in_progress' if rng.random() < 0.9 else 'suspended'
                rented[vehicle] = customer
            contracts.append((cid, company, agent, customer, f'LB{n:07d}',
                    start, end, 'monthly', currency, Decimal(0), state,
                    False))
            lines.append((line_id + n, cid, vehicle, rent))
            if state == 'cancelled':
                continue
            for month in range(months):
                due = start + dt.timedelta(days=30 * month)
                iid = installment_id + len(installments)
                paid = Decimal(0)
                billed = due <= today and state != 'not_started'
                if billed:
                    roll = rng.random()
                    if roll < 0.8:
                        paid = rent
                    elif roll < 0.9:
                        paid = (rent * Decimal('0.4')).quantize(Decimal('1'))
                if paid:
                    pay_date = min(due + dt.timedelta(days=rng.randrange(15)),
                        today)
                    payments.append((payment_id + len(payments), iid, cid,
                            company, agent, customer, currency, pay_date,
                            paid))
                installments.append((iid, cid, company, agent, customer,
                        currency, 'rent', due, due,
                        due + dt.timedelta(days=29), rent, paid, rent - paid,
                        ('paid' if paid == rent else 'billed') if billed
                        else 'planned',
                        f'B{iid}' if billed else None,
                        pay_date if paid else None))
        statuses = ((v, a, 'rented' if v in rented else 'available',
                rented.get(v)) for v, a in vehicles)
        # The demo's golf cart (marcier_device's demo makes it)
        cursor.execute(
            "SELECT MIN(id) FROM product_template WHERE code = 'MC-G4'")
        product, = cursor.fetchone()
        counts = {}
        counts['vehicles'] = copy('device_vehicle', [
                'company', 'agent', 'serial', 'product', 'status',
                'customer', 'active', 'alarm_count', 'key_on'],
            ((v, company, a, f'BENCH{v:07d}', product, s, c, True,
                    0, False) for v, a, s, c in statuses))
        counts['contracts'] = copy('lease_contract', [
                'company', 'agent', 'customer', 'number', 'start_date',
                'end_date', 'billing_cycle', 'currency', 'deposit', 'state',
                'expiry_warned'], contracts)
        counts['contract lines'] = copy('lease_contract_line', [
                'contract', 'vehicle', 'rent'], lines)
        counts['plan lines'] = copy('lease_installment', [
                'contract', 'company', 'agent', 'customer', 'currency', 'kind',
                'due_date', 'period_start', 'period_end', 'amount',
                'paid_amount', 'unpaid_amount', 'state', 'bill_number',
                'last_payment_date'], installments)
        counts['payments'] = copy('lease_payment', [
                'installment', 'contract', 'company', 'agent', 'customer',
                'currency', 'date', 'amount'], payments)
        conn.commit()
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute('VACUUM ANALYZE')
    return counts


def rebuild_revenue_days(database):
    "The revenue days the ORM would have kept up to date, and ANALYZE"
    import psycopg
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(database.name, 0) as transaction:
        Pool().get('lease.revenue.day').rebuild()
        transaction.commit()
    with psycopg.connect(str(database), autocommit=True) as conn:
        conn.execute('VACUUM ANALYZE lease_revenue_day')


def timed(function):
    function()  # warm-up: caches of the pool and of PostgreSQL
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(database, users, agent_a, today):
    "Median time of each chart and drill-through as its user asks"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database.name)
    year = {'from_date': today.replace(month=1, day=1),
        'to_date': today.replace(month=12, day=31)}

    def chart(model, fields, limit=1000, **context):
        def run():
            Model = pool.get(model)
            # as sao: the action's limit, else its default of 1000 records
            records = Model.search([], limit=limit)
            return Model.read([r.id for r in records], fields)
        return run, context

    def page(model, fields, domain, order=None, **context):
        def run():
            Model = pool.get(model)
            records = Model.search(domain, limit=80, order=order)
            return Model.read([r.id for r in records], fields)
        return run, context

    money = ['receivable', 'received', 'overdue']
    contract_list = ['number', 'customer', 'agent', 'start_date', 'end_date',
        'billing_cycle', 'rent', 'deposit', 'state']
    installment_list = ['contract', 'customer', 'agent', 'kind',
        'bill_number', 'due_date', 'days_overdue', 'amount', 'paid_amount',
        'unpaid_amount', 'last_payment_date', 'state']
    vehicle_list = ['serial', 'product', 'agent', 'customer', 'status',
        'soc', 'key_on', 'last_seen', 'alarm_count', 'maintenance_due']
    results = []
    with Transaction().start(database.name, 0, readonly=True) as transaction:
        company = pool.get('marcier.agent')(agent_a).company.id
        Overdue = pool.get('lease.reporting.overdue')
        ContractStatus = pool.get('lease.reporting.contract_status')
        VehicleStatus = pool.get('lease.reporting.vehicle_status')
        with transaction.set_context(company=company):
            row = max(Overdue.search([]), key=lambda r: r.bills)
            overdue_domain = Overdue.drill_domain([row])
            state_rows = [r for r in ContractStatus.search([])
                if r.state == 'in_progress' and r.agent.id == agent_a]
            contract_domain = ContractStatus.drill_domain(state_rows)
            vehicle_rows = [r for r in VehicleStatus.search([])
                if r.status == 'rented' and r.agent.id == agent_a]
            vehicle_domain = VehicleStatus.drill_domain(vehicle_rows)
    cases = [
        ('operator', "revenue per agent, this year",
            *chart('lease.reporting.revenue', ['agent'] + money, **year)),
        ('operator', "revenue by month, this year, all agents",
            *chart('lease.reporting.revenue.time_series', ['label'] + money,
                granularity='month', **year)),
        ('operator', "revenue by quarter, this year, agent A",
            *chart('lease.reporting.revenue.time_series', ['label'] + money,
                granularity='quarter', agent=agent_a, **year)),
        ('operator', "revenue by year, 3 years, all agents",
            *chart('lease.reporting.revenue.time_series', ['label'] + money,
                granularity='year',
                from_date=today.replace(year=today.year - 2, month=1, day=1),
                to_date=year['to_date'])),
        ('agent_a', "revenue by month, this year (agent staff)",
            *chart('lease.reporting.revenue.time_series', ['label'] + money,
                granularity='month', **year)),
        ('operator', "overdue debt by customer, as of today, page 1",
            *chart('lease.reporting.overdue', ['customer', 'agent', 'bills',
                    'oldest_due_date', 'days_overdue', 'amount', 'days_1',
                    'days_31', 'days_61', 'days_91'], limit=100)),
        ('agent_a', "overdue debt by customer, page 1 (agent staff)",
            *chart('lease.reporting.overdue', ['customer', 'amount'],
                limit=100)),
        ('operator', "today's vehicles per agent and status",
            *chart('lease.reporting.vehicle_status',
                ['agent', 'status', 'vehicles', 'ratio'])),
        ('operator', "contracts per agent and state",
            *chart('lease.reporting.contract_status',
                ['agent', 'state', 'contracts'])),
        ('operator', "drill: overdue bills of the largest debtor, page 1",
            *page('lease.installment', installment_list, overdue_domain,
                order=[('due_date', 'ASC'), ('id', 'ASC')])),
        ('operator', "drill: agent A's contracts in progress, page 1",
            *page('lease.contract', contract_list, contract_domain)),
        ('operator', "drill: agent A's rented vehicles, page 1",
            *page('device.vehicle', vehicle_list, vehicle_domain)),
        ('agent_a', "drill: own contracts in progress, page 1 (agent staff)",
            *page('lease.contract', contract_list,
                [('state', '=', 'in_progress')])),
        ]
    for login, label, run, context in cases:
        with Transaction().start(database.name, users[login],
                readonly=True) as transaction, \
                transaction.set_context(company=company,
                    _check_access=True, **context):
            # as the dispatcher: access rules of the user apply
            ms = timed(run)
        results.append((label, login, ms))
        print(f"  {label:<60} {ms:>8.1f} ms", flush=True)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pg', default='postgresql://127.0.0.1:5432/')
    parser.add_argument('--keep', action='store_true',
        help="keep the database")
    parser.add_argument('--reuse', metavar='NAME',
        help="measure again a database kept by --keep")
    args = parser.parse_args()
    name = args.reuse or f'marcier_bench_{uuid.uuid4().hex[:8]}'
    uri = args.pg.rstrip('/') + f'/{name}'
    today = dt.date.today()
    try:
        if args.reuse:
            subprocess.run([*MARCIER, 'setup', '--db', uri], check=True,
                cwd=ROOT, stdout=subprocess.DEVNULL)
            database = open_pool(uri)
            rebuild_revenue_days(database)
            users, agent_a = users_and_agent(database)
        else:
            print(f"Setting up {uri} with the demo data...", flush=True)
            started = time.perf_counter()
            subprocess.run([*MARCIER, 'setup', '--db', uri, '--demo'],
                check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            print(f"  {time.perf_counter() - started:.0f} s", flush=True)
            database = open_pool(uri)
            company, currency, books = make_agents(database)
            users, agent_a = users_and_agent(database)
            started = time.perf_counter()
            counts = bulk_load(uri, company, currency, books, today)
            rebuild_revenue_days(database)
            print("Loaded " + ", ".join(
                    f"{v:,} {k}" for k, v in counts.items())
                + f" in {time.perf_counter() - started:.0f} s", flush=True)
        print(f"Median of {RUNS} runs (target {TARGET_MS} ms):", flush=True)
        results = measure(database, users, agent_a, today)
        slow = [r for r in results if r[2] >= TARGET_MS]
        print(f"{len(results) - len(slow)} of {len(results)} under "
            f"{TARGET_MS} ms" + (": slow " + "; ".join(
                    f"{r[0]} {r[2]:.0f} ms" for r in slow) if slow else ""))
    finally:
        if not (args.keep or args.reuse):
            subprocess.run(['psql', args.pg.rstrip('/') + '/postgres', '-qc',
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                capture_output=True)


if __name__ == '__main__':
    main()
