"""Upgrades keep data: a database set up with the demo by the code of the
last landed commit (tests/upgrade_base.txt, checked out in a git worktree)
and fed telemetry by that code, then upgraded by this checkout's `marcier
setup`, keeps every record of the demo's tables with all its values; a
`marcier setup --demo` on top of the upgrade keeps every record (its new
demo may update their values).

On PostgreSQL when CI=true (or MARCIER_TEST_DB), on SQLite otherwise.
Select it alone with `scripts/test -m upgrade`.
"""
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from . import conftest
from .conftest import MARCIER, ROOT, drop_database
from .database import connect

BASE_FILE = Path(__file__).with_name('upgrade_base.txt')
FEED = Path(__file__).with_name('upgrade_feed.py')
SETUP_TIMEOUT = 1200  # a demo set-up on a loaded CI machine

# The tables whose rows must survive the upgrade, compared row by row on
# every column the base had
TABLES = [
    # people and organisation
    'company_company', 'party_party', 'res_user', 'marcier_city',
    'marcier_agent', 'marcier_customer',
    # vehicles and their history
    'device_vehicle', 'device_vehicle_event', 'device_maintenance_plan',
    'device_vehicle_maintenance', 'device_repair',
    # IoT
    'iot_gateway', 'iot_telemetry', 'iot_telemetry_reject', 'iot_alarm',
    'iot_command', 'iot_vehicle_type',
    # leasing and bills
    'lease_quotation', 'lease_quotation_line', 'lease_contract',
    'lease_contract_line', 'lease_installment', 'lease_payment',
    'account_invoice', 'account_invoice_line', 'account_move',
    'account_move_line',
    # mall
    'product_template', 'product_product', 'mall_product_model',
    'mall_listing', 'mall_listing_price', 'mall_listing_log', 'mall_inquiry',
    # WeChat and security
    'wechat_user', 'marcier_audit',
    ]
# Tables the demo must have filled in the base, so that the comparison
# compares something
FILLED = [
    'device_vehicle', 'device_vehicle_event', 'iot_gateway', 'iot_telemetry',
    'iot_telemetry_reject', 'iot_alarm', 'lease_contract',
    'lease_installment', 'lease_payment', 'account_invoice',
    'account_move_line', 'mall_listing', 'mall_listing_price',
    'marcier_customer', 'res_user',
    ]
# `trytond-admin --email` (marcier setup) writes the admin user on every run
ADMIN_REWRITES = {'write_date', 'write_uid'}
# (table, column) of the base that an upgrade may replace: each must be
# checked in migrated_fields_checks
# The free-text models before issue 13; now the catalogue product
MODEL_TABLES = ['device_vehicle', 'device_maintenance_plan',
    'lease_quotation_line', 'lease_contract_line']
MIGRATED = {
    # English text once; now rendered per reader, the old text kept
    ('iot_alarm', 'detail'),
    *((table, 'model_name') for table in MODEL_TABLES),
    }

# Runs a target (a module name, as `python -m`, or a script path) with the
# base's code, then prints where the Marcier packages it used came from. The
# editable install's finder goes first: a package missing from the base
# must fail to import, not come from the current checkout.
DRIVER = '''
import json, runpy, sys
sys.meta_path[:] = [f for f in sys.meta_path
    if not getattr(f, '__module__', '').startswith('__editable__')]
target, sys.argv = sys.argv[1], sys.argv[1:]
try:
    if target.endswith('.py'):
        runpy.run_path(target, run_name='__main__')
    else:
        runpy.run_module(target, run_name='__main__', alter_sys=True)
finally:
    print('IMPORTED', json.dumps({name: module.__file__
        for name, module in list(sys.modules.items())
        if name.split('.')[0].startswith('marcier')
        and getattr(module, '__file__', None)}))
'''


def base_commit():
    "The commit of tests/upgrade_base.txt"
    for line in BASE_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            return line
    raise ValueError(f"no commit in {BASE_FILE}")


def git(*args, timeout=120):
    return subprocess.run(['git', '-C', str(ROOT), *args],
        capture_output=True, text=True, timeout=timeout)


def base_metadata(base, folder):
    """A marcier dist-info with the base's Tryton module entry points: on
    the path before site-packages, it hides the installed distribution's,
    so that the base's setup activates its own modules only"""
    project = tomllib.loads((base / 'pyproject.toml').read_text())['project']
    info = folder / f"marcier-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: marcier\n'
        f"Version: {project['version']}\n")
    modules = project['entry-points']['trytond.modules']
    (info / 'entry_points.txt').write_text('[trytond.modules]\n' + ''.join(
            f'{name} = {target}\n' for name, target in modules.items()))
    return sorted(modules)


def run_base(base, metadata, env, target, *args):
    "Run target with the base's code; its output without the IMPORTED line"
    result = subprocess.run(
        [sys.executable, '-c', DRIVER, target, *args],
        cwd=base, capture_output=True, text=True, timeout=SETUP_TIMEOUT,
        env={**env, 'PYTHONPATH': os.pathsep.join(
                    [str(base), str(metadata)])})
    assert result.returncode == 0, (
        f"{target} {' '.join(args)} of the base failed:\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    output, _, imported = result.stdout.rpartition('IMPORTED ')
    imported = json.loads(imported)
    assert imported, result.stdout
    strays = {name: path for name, path in imported.items()
        if not Path(path).resolve().is_relative_to(base.resolve())}
    assert not strays, f"the base's run imported current code: {strays}"
    return output


def run_current(env, *args):
    result = subprocess.run([*MARCIER, *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=SETUP_TIMEOUT)
    assert result.returncode == 0, (
        f"marcier {' '.join(args)} failed:\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result.stdout


def query(uri, sql):
    "(column names, rows) of sql"
    connection = connect(uri)
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return [c[0] for c in cursor.description], cursor.fetchall()
    finally:
        connection.close()


def snapshot(uri):
    "{table: {id: {column: value}}} of TABLES; None for a missing table"
    connection = connect(uri)
    tables = {}
    try:
        cursor = connection.cursor()
        for table in TABLES:
            try:
                cursor.execute(f'SELECT * FROM "{table}"')
            except Exception:
                connection.rollback()
                tables[table] = None
                continue
            columns = [c[0] for c in cursor.description]
            tables[table] = {row[columns.index('id')]: dict(zip(columns, row))
                for row in cursor.fetchall()}
    finally:
        connection.close()
    return tables


def differences(before, after):
    "What the upgrade lost or changed of before, as lines"
    lines = []
    for table, rows in before.items():
        if rows is None:
            continue
        now = after[table]
        if now is None:
            lines.append(f"{table}: table gone")
            continue
        for id_, row in rows.items():
            if id_ not in now:
                lines.append(f"{table} {id_}: row gone")
                continue
            for column, value in row.items():
                if (table, column) in MIGRATED or (table == 'res_user'
                        and row['login'] == 'admin'
                        and column in ADMIN_REWRITES):
                    continue
                if column not in now[id_]:
                    lines.append(f"{table}.{column}: column gone (a "
                        "migration? check it in migrated_fields_checks)")
                    break
                if now[id_][column] != value:
                    lines.append(f"{table} {id_} {column}: "
                        f"{value!r} → {now[id_][column]!r}")
    return lines


def assert_kept(before, after, step):
    lines = differences(before, after)
    assert not lines, (f"{step} lost or changed {len(lines)} values:\n"
        + '\n'.join(lines[:40]))


def assert_rows_kept(before, after, step):
    "Every record is still there (the demo of the new code may update it)"
    lost = [f'{table} {id_}' for table, rows in before.items()
        for id_ in rows if id_ not in after.get(table, {})]
    assert not lost, (f"{step} lost {len(lost)} records:\n"
        + '\n'.join(lost[:40]))


def migrated_fields_checks(uri, before):
    """Fields an upgrade migrates are filled from their old values, where
    the base still had them (the checks of older bases stay until no base
    is older).

    A base before issue 13 named models in free text (model_names_checks);
    one before issue 14 wrote the alarms' details in English, kept as
    recorded; the mall's search keywords are computed."""
    if any('model_name' in row for row in before['device_vehicle'].values()):
        model_names_checks(uri, before)
    if any('detail' in row for row in before['iot_alarm'].values()):
        # A base before issue 14 wrote English details: kept as recorded
        recorded = {id_: row['detail']
            for id_, row in before['iot_alarm'].items()}
        assert any(recorded.values()), "the demo's alarms have details"
        _, rows = query(uri, 'SELECT id, recorded_detail FROM iot_alarm')
        assert {i: d for i, d in rows if i in recorded} == recorded
    # The mall's search keywords, computed for the base's catalogue
    _, rows = query(uri, 'SELECT mall_keywords FROM product_template '
        'WHERE mall')
    assert rows and all(k for k, in rows), "mall products without keywords"


def model_names_checks(uri, before):
    """The base keeps each vehicle's model, the model of its maintenance
    plans and of quotation and contract lines as free text (model_name);
    today's code names the catalogue product instead (product, a
    product.template): every record that had a text has the product of
    that name, code or translated name (case and spaces aside), one product
    per text across the tables, so that the plans still reach the vehicles
    of their model."""
    _, rows = query(uri, 'SELECT id, name, code FROM product_template')
    names = {i: {n.strip().lower() for n in [name, code] if n}
        for i, name, code in rows}
    _, rows = query(uri, 'SELECT res_id, value FROM ir_translation '
        "WHERE name = 'product.template,name' AND type = 'model'")
    for id_, value in rows:
        if id_ in names and value:
            names[id_].add(value.strip().lower())
    products = {}  # text: {product}
    for table in MODEL_TABLES:
        named = {id_: row['model_name'] for id_, row in before[table].items()
            if row['model_name'] and row['model_name'].strip()}
        if table == 'device_vehicle':
            assert len(named) == len(before[table]), (
                "the demo gives every vehicle a model")
        assert named, f"the base's demo named no model in {table}"
        _, rows = query(uri, f'SELECT id, product FROM "{table}"')
        product = {i: p for i, p in rows if i in before[table]}
        unnamed = {i: p for i, p in product.items() if i not in named}
        assert not any(unnamed.values()), (
            f"{table}: a product where there was no model: {unnamed}")
        for id_, text in named.items():
            key = text.strip().lower()
            assert key in names.get(product[id_], ()), (
                f"{table} {id_}: {text!r} became the product "
                f"{product[id_]!r}")
            products.setdefault(key, set()).add(product[id_])
    assert products and all(len(p) == 1 for p in products.values()), (
        products)


@pytest.mark.upgrade
def test_upgrade_keeps_data(tmp_path):
    base_sha = base_commit()
    if git('cat-file', '-e', f'{base_sha}^{{commit}}').returncode:
        pytest.fail(f"the upgrade base {base_sha} (tests/upgrade_base.txt) "
            f"is not in this clone of {ROOT}: a shallow clone? run "
            "`git fetch --unshallow` (CI needs the full history)")
    base = tmp_path / 'base'
    uri = conftest.test_database_uri(tmp_path)
    env = {**os.environ, 'PYTHONUNBUFFERED': '1',
        # The same key encrypts the secrets in both versions
        'TRYTOND_MARCIER__SECRET_KEY': os.environ.get(
            'TRYTOND_MARCIER__SECRET_KEY', 'marcier-test-key')}
    env.pop('TRYTOND_DATABASE_URI', None)
    added = git('worktree', 'add', '--detach', str(base), base_sha)
    assert added.returncode == 0, added.stderr
    timings, start = {}, time.monotonic()

    def lap(step):
        nonlocal start
        timings[step] = time.monotonic() - start
        start = time.monotonic()
    try:
        modules = base_metadata(base, tmp_path / 'metadata')
        output = run_base(base, tmp_path / 'metadata', env, 'marcier.cli',
            'setup', '--db', uri, '--demo')
        assert 'Creating' in output, output
        lap("base setup --demo")
        run_base(base, tmp_path / 'metadata', env, str(FEED), uri)
        lap("base telemetry")
        _, states = query(uri, 'SELECT name, state FROM ir_module')
        assert sorted(n for n, s in states
            if n.startswith('marcier') and s == 'activated') == modules
        before = snapshot(uri)
        empty = [t for t in FILLED if not before[t]]
        assert not empty, f"the base's demo left these empty: {empty}"

        output = run_current(env, 'setup', '--db', uri)
        assert 'Upgrading' in output, output
        lap("setup")
        after = snapshot(uri)
        assert_kept(before, after, "`marcier setup`")
        migrated_fields_checks(uri, before)
        current = tomllib.loads((ROOT / 'pyproject.toml').read_text())[
            'project']['entry-points']['trytond.modules']
        _, states = query(uri, 'SELECT name, state FROM ir_module')
        assert {n: s for n, s in states if n in current} == {
            n: 'activated' for n in current}

        start = time.monotonic()
        run_current(env, 'setup', '--db', uri, '--demo')
        lap("setup --demo")
        # The current demo tops up and translates its records (languages,
        # Chinese names): they stay, their values may move
        assert_rows_kept(before, snapshot(uri),
            "`marcier setup --demo` after it")
        # Shown by pytest -rP or -s: what to speed up if it grows
        print(', '.join(f'{k} {v:.0f} s' for k, v in timings.items()))
    finally:
        drop_database(uri)
        git('worktree', 'remove', '--force', str(base))
        git('worktree', 'prune')
