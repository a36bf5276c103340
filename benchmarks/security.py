#!/usr/bin/env python3
"""What the security controls cost, in one transaction rolled back at the
end (the database is left as it was):

- a login through Tryton's chain: password alone, then password + TOTP
  code (argon2 dominates both);
- the second factor alone: decrypt the key and check a code;
- a write of an audited field against one of a field nobody audits
  (the audit trail's old/new values);
- export_data of 100 vehicle events, with the rule check marcier_security
  adds, as agent staff.

Usage: .venv/bin/python benchmarks/security.py [--db URI] [--rounds N]
on a database made by `marcier setup --demo` (default var/marcier.sqlite).
"""
import argparse
import statistics
import sys
import time
from pathlib import Path
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(function, rounds):
    "Median and p90 milliseconds of function() over rounds calls"
    times = []
    for index in range(rounds):
        start = time.perf_counter()
        function(index)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--db', default=None)
    parser.add_argument('--rounds', type=int, default=50)
    args = parser.parse_args(argv)
    from marcier import settings
    database = settings.parse_database(args.db)
    settings.configure(database)
    from trytond import config
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    import pyotp

    Pool.start()
    pool = Pool(database.name)
    pool.init()
    config.set('session', 'authentications', 'password+totp')
    rounds = args.rounds
    with Transaction().start(database.name, 0) as transaction, \
            patch('time.sleep'):  # the delays after failures are not work
        User = pool.get('res.user')
        SecondFactor = pool.get('res.user.totp')
        Event = pool.get('device.vehicle.event')
        user, = User.search([('login', '=', 'agent_c')])
        password = {'password': settings.DEMO_PASSWORD}
        figures = {}
        figures['login, password alone'] = timed(
            lambda i: User.get_login('agent_c', password), rounds)

        key = SecondFactor.new_secret()
        SecondFactor.enrol(user.id, key, None)
        factor = SecondFactor.get(user.id)

        def totp_login(index):
            # A code works once: start each round afresh
            SecondFactor.write([factor], {'last_step': None})
            assert User.get_login('agent_c', {
                    **password, 'totp_code': pyotp.TOTP(key).now()})
        figures['login, password + TOTP'] = timed(totp_login, rounds)

        def check(index):
            SecondFactor.write([factor], {'last_step': None})
            assert SecondFactor.check(user.id, pyotp.TOTP(key).now())
        figures['second factor check alone'] = timed(check, rounds)

        figures['write, field not audited'] = timed(
            lambda i: User.write([user], {'signature': f'x{i}'}), rounds)
        figures['write, audited field (old/new kept)'] = timed(
            lambda i: User.write([user], {'login': f'agent_c{i}'}), rounds)

        staff, = User.search([('login', '=', 'agent_a')])
        events = Event.search([], limit=100)
        with transaction.set_user(staff.id), \
                transaction.set_context(_check_access=True):
            own = Event.search([])
        with transaction.set_user(staff.id), \
                transaction.set_context(_check_access=True):
            figures[f'export_data of {len(own)} own events, rules checked'] = (
                timed(lambda i: Event.export_data(
                        Event.browse(own), ['rec_name']), rounds))
        with transaction.set_user(0):
            figures[f'export_data of {len(events)} events as root'] = timed(
                lambda i: Event.export_data(events, ['rec_name']), rounds)
        transaction.rollback()
    width = max(map(len, figures))
    print(f'security benchmark on {database} ({rounds} rounds, ms)')
    for name, (median, p90) in figures.items():
        print(f'  {name:<{width}}  median {median:8.2f}  p90 {p90:8.2f}')


if __name__ == '__main__':
    main()
