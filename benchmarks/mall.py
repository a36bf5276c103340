#!/usr/bin/env python3
"""Storefront benchmark: the public mall with 2,000 listed listings, served
by `marcier serve --workers N` (processes sharing the port, each with
threads), loaded by client processes on the same machine.

Prints requests per second and latency percentiles of:
- /mall, the first list page, as visitors see it (served from the page
  cache once rendered);
- /mall?page=k, every page of the list: once with cold caches (each page
  rendered from the database), then in turn (from each worker's cache);
- /mall/<listing>, 200 detail pages: once cold (read from the database),
  then in turn (the rendered page cached, each response with its own form
  token), and in turn rendered for each request (the baseline: a query
  string bypasses the rendered page).

Each scenario runs in Chinese and in English (--lang to choose one): the
page caches are kept per language, the cards and details read the
translations, and both figures are printed side by side at the end.

Usage: .venv/bin/python benchmarks/mall.py [--db URI] [--workers 2]
    [--clients 4] [--seconds 10] [--lang both|zh_CN|en]
Default database: a new PostgreSQL database on 127.0.0.1:5432, dropped at
the end (--db sqlite:///var/bench.sqlite to measure SQLite, which opens a
new connection for every transaction).  Takes about two minutes.
"""
import argparse
import datetime as dt
import http.client
import multiprocessing
import os
import random
import subprocess
import sys
import time
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MARCIER = [sys.executable, '-m', 'marcier.cli']
# What the clients of each page language send
ACCEPT = {'zh_CN': 'zh-CN,zh;q=0.9', 'en': 'en-US,en;q=0.9'}


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def add_listings(uri, count):
    "count listed listings of the demo agents, spread over the catalogue"
    from marcier import settings
    database = settings.parse_database(uri)
    settings.configure(database)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    with Transaction().start(database.name, 0) as transaction:
        pool = Pool(database.name)
        pool.init()
        Agent = pool.get('marcier.agent')
        Template = pool.get('product.template')
        Listing = pool.get('mall.listing')
        products = Template.search([('mall', '=', True)])
        agents = Agent.search([])
        random.seed(2026)
        existing = Listing.search([('state', '=', 'listed')], count=True)
        with transaction.set_context(company=agents[0].company.id):
            for start in range(existing, count, 250):
                values = []
                for i in range(start, min(count, start + 250)):
                    agent = agents[i % len(agents)]
                    cities = [c.id for c in agent.cities]
                    values.append({
                            'company': agent.company.id, 'agent': agent.id,
                            'product': random.choice(products).id,
                            'years_of_use': random.randint(0, 5),
                            'is_new': random.random() < .3,
                            'promotion': random.random() < .2,
                            'promotion_text': "Benchmark offer",
                            'cities': [('add', cities)],
                            'prices': [('create', [{
                                            'city': c, 'unit': 'month',
                                            'price': Decimal(
                                                random.randint(15, 99) * 100),
                                            } for c in cities])],
                            })
                # Data for a benchmark: listed without review
                Listing.write(Listing.create(values), {
                        'state': 'listed',
                        'listed_at': dt.datetime.now().replace(
                            microsecond=0)})
        transaction.commit()
        return Listing.search([('state', '=', 'listed')], limit=200)


def load(args):
    """One client: GET the paths in turn for seconds, or each path once
    when seconds is None; the latencies"""
    port, paths, seconds, offset, language = args
    headers = {'Accept-Language': ACCEPT[language]}
    latencies, errors = [], 0
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    end = time.monotonic() + (seconds or 1e9)
    i = offset
    while time.monotonic() < end and (seconds or i < len(paths)):
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        try:
            connection.request('GET', path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
            if response.getheader('Connection', '').lower() == 'close':
                connection.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection(
                '127.0.0.1', port, timeout=30)
            continue
        latencies.append(time.perf_counter() - started)
    return latencies, errors


def measure(port, paths, clients, seconds, language):
    "Load with clients processes for seconds, or each path once if None"
    with multiprocessing.Pool(clients) as pool:
        if seconds:
            jobs = [(port, paths, seconds, i * len(paths) // clients,
                    language) for i in range(clients)]
        else:
            jobs = [(port, paths[i::clients], None, 0, language)
                for i in range(clients)]
        started = time.monotonic()
        results = pool.map(load, jobs)
        seconds = seconds or time.monotonic() - started
    latencies = sorted(l for r, _ in results for l in r)
    errors = sum(e for _, e in results)

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p))] \
            * 1000
    return {'requests': len(latencies), 'errors': errors,
        'rate': len(latencies) / seconds, 'p50': percentile(.5),
        'p95': percentile(.95), 'p99': percentile(.99)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db', help="database URI (default: a new "
        "PostgreSQL database on 127.0.0.1:5432, dropped at the end)")
    parser.add_argument('--listings', type=int, default=2000)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--seconds', type=float, default=10)
    parser.add_argument('--lang', choices=['both', *ACCEPT], default='both',
        help="the page language of the clients (default: both in turn)")
    args = parser.parse_args()
    languages = list(ACCEPT) if args.lang == 'both' else [args.lang]
    uri = args.db or (
        f'postgresql://127.0.0.1:5432/marcier_bench_{uuid.uuid4().hex[:8]}')
    drop = not args.db
    env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    env.pop('TRYTOND_DATABASE_URI', None)
    server = None
    log = open(ROOT / 'var' / 'bench-mall-server.log', 'w')
    try:
        print(f"Setting up {uri} with the demo data...", flush=True)
        subprocess.run([*MARCIER, 'setup', '--db', uri, '--demo'],
            check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        started = time.monotonic()
        listings = [l.id for l in add_listings(uri, args.listings)]
        print(f"{args.listings:,} listed listings ready "
            f"({time.monotonic() - started:.0f} s)", flush=True)
        port = free_port()
        server = subprocess.Popen([*MARCIER, 'serve', '--db', uri,
                '--port', str(port), '--no-cron',
                '--workers', str(args.workers)],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        url = f'http://127.0.0.1:{port}/mall'
        for _ in range(240):
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    pages = -(-args.listings // 24)
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the server did not start")
        lists = [f'/mall?page={k}' for k in range(1, pages + 1)]
        details = [f'/mall/{l}' for l in listings]
        scenarios = [
            # label, paths, seconds (None: each path once, cold caches)
            ("/mall (first list page)", ['/mall'], args.seconds),
            (f"/mall?page=k, {pages} pages once (cold)", lists, None),
            (f"/mall?page=k, {pages} pages in turn", lists, args.seconds),
            (f"/mall/<listing>, {len(details)} once (cold)", details, None),
            (f"/mall/<listing>, {len(details)} in turn", details,
                args.seconds),
            # the baseline: a query makes the page rendered for the
            # request, as every offer page was before the page cache
            (f"  same, rendered each time (?rendered=1)",
                [f'{d}?rendered=1' for d in details], args.seconds),
            ]
        # Each worker renders the first page once before it is measured
        for language in languages:
            measure(port, ['/mall'], args.clients, 1, language)
        print(f"\nmarcier serve --workers {args.workers} (threads in each), "
            f"{args.clients} client processes with keep-alive, "
            f"{args.seconds:.0f} s each, same machine "
            f"({os.cpu_count()} CPUs shared with the clients); "
            f"{uri.split(':')[0]}")
        rates = {}
        for language in languages:
            print(f"\nPages in {language} (Accept-Language: "
                f"{ACCEPT[language]})")
            print(f"{'':<44}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
                f"{'p99 ms':>9}{'errors':>8}")
            for label, paths, seconds in scenarios:
                result = measure(port, paths, args.clients, seconds,
                    language)
                rates[label, language] = result['rate']
                print(f"{label:<44}{result['rate']:>8.0f}"
                    f"{result['p50']:>9.1f}{result['p95']:>9.1f}"
                    f"{result['p99']:>9.1f}{result['errors']:>8}",
                    flush=True)
        if len(languages) > 1:
            print("\nreq/s by language (translation must cost nothing)")
            print(f"{'':<44}" + ''.join(f"{l:>8}" for l in languages))
            for label, *_ in scenarios:
                print(f"{label:<44}" + ''.join(
                        f"{rates[label, l]:>8.0f}" for l in languages))
        print("\nTargets: the list >= 200 req/s, p95 < 50 ms (issue 3); an "
            "offer in turn >= 1,000 req/s, once (cold) p95 < 50 ms "
            "(issue 16).")
    finally:
        if server:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()
        if drop:
            base, name = uri.rsplit('/', 1)
            subprocess.run(['psql', base + '/postgres', '-qc',
                    f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                capture_output=True)


if __name__ == '__main__':
    sys.exit(main())
