"""Issue 16 in headless Chromium: the drive lock requests in sao (agent
staff see their own, an operator approves) and the mall's availability
(the cards' and offer pages' lines, the *Available now* filter), checked
against what the server holds. The rules themselves: test_collections_rpc
and marcier_lease's module tests."""
import datetime as dt
import math
import re

import pytest
from playwright.sync_api import expect

from .browser import browser, sao_login, sao_open_menu
from .conftest import running_platform
from .database import connect, placeholder
from .test_lease_rpc import agent_id
from .test_mall_browser import mall_page

pytestmark = pytest.mark.browser

# The demo's fleet as the mall sees it once prepared (live_fleet): every
# gateway heard now but SILENT's; LOW charged under the threshold; NOWHERE
# with no position yet (it serves each city of its agent); SUZHOU moved to
# Suzhou, a city of its agent other than its home Shanghai
SILENT, LOW, NOWHERE, SUZHOU = 'MCB0003', 'MCB0004', 'MCA0002', 'MCA0005'
SUZHOU_CENTRE = (31.2989, 120.5853)


def utcnow():
    "Naive UTC, as the vehicles' live state"
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def live_fleet(uri):
    """The demo with its gateways heard (a test server runs no fleet: the
    demo's vehicles have never reported, none is free now)"""
    connection = connect(uri)
    mark = placeholder(connection)
    now = utcnow()
    try:
        cursor = connection.cursor()
        cursor.execute(f'UPDATE device_vehicle SET last_seen = {mark}', (now,))
        update = f'UPDATE device_vehicle SET {{}} WHERE serial = {mark}'.format
        cursor.execute(update(f'last_seen = {mark}'),
            (now - dt.timedelta(hours=2), SILENT))
        cursor.execute(update(f'soc = {mark}'), (12.0, LOW))
        cursor.execute(update('latitude = NULL, longitude = NULL'),
            (NOWHERE,))
        cursor.execute(update(f'latitude = {mark}, longitude = {mark}'),
            (*SUZHOU_CENTRE, SUZHOU))
        connection.commit()
    finally:
        connection.close()


@pytest.fixture(scope='module')
def collections(demo, tmp_path_factory, output):
    """A server of its own: the approval changes the demo's pending request
    that test_collections_rpc decides, live_fleet the mall's counts"""
    with running_platform(demo, tmp_path_factory.mktemp('collections'),
            output / 'server-collections.log',
            prepare=live_fleet) as platform:
        yield platform


def sao_page(chromium, platform, login):
    """A sao page of its own browser context (its own session) logged in
    as login, failing the test on any script error"""
    context = chromium.new_context(viewport={'width': 1280, 'height': 800})
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda e: errors.append(str(e)))
    sao_login(page, platform, login)
    return page, errors


def open_record(page, platform, model, id_):
    "Open the record's form as sao does from a tryton:// link"
    page.goto(f'{platform.url}#{platform.database}/model/{model}/{id_}')
    form = page.locator('.tab-pane.active .form')
    form.first.wait_for(timeout=30000)
    return page.locator('.tab-pane.active')


def expect_state(pane, text):
    "The form's State reads text"
    expect(pane.get_by_label("State:", exact=True).locator('option:checked')
        ).to_have_text(text, timeout=30000)


def pending_requests(operator):
    "{agent code: the demo's pending lock request} (A and B, one each)"
    requests = operator.search_read('lease.lock.request',
        [('state', '=', 'requested')],
        ['agent', 'vehicle.rec_name', 'contract.rec_name'])
    codes = {agent_id(operator, c): c for c in 'AB'}
    pending = {codes[r['agent']]: r for r in requests}
    assert set(pending) == {'A', 'B'} and len(requests) == 2, requests
    return pending


def test_lock_request_list_in_sao(collections, output):
    "Agent A's staff find their open requests, never agent B's"
    operator = collections.client('operator')
    requests = operator.search_read('lease.lock.request', [],
        ['agent', 'state', 'vehicle.rec_name', 'contract.rec_name'])
    a, b = agent_id(operator, 'A'), agent_id(operator, 'B')
    # (the list opens on its Open tab)
    mine = [r for r in requests if r['agent'] == a and r['state'] in {
            'requested', 'approved', 'locked', 'paid'}]
    theirs = [r for r in requests if r['agent'] == b]
    assert mine and theirs, requests
    with browser() as chromium:
        page, errors = sao_page(chromium, collections, 'agent_a')
        sao_open_menu(page, "Marcier", "Leasing", "Collections",
            "Drive Lock Requests")
        tab = page.locator('#tablist li', has_text="Drive Lock Requests")
        # The tab, or the script error that stops sao opening it
        for _ in range(240):
            if errors or tab.count():
                break
            page.wait_for_timeout(250)
        assert not errors, errors
        rows = page.locator('.tab-pane.active table.tree > tbody > tr')
        expect(rows.first).to_be_visible(timeout=30000)
        expect(rows).to_have_count(len(mine))
        page.screenshot(path=output / 'collections-lock-list-agent.png')
        text = '\n'.join(rows.all_inner_texts())
        for request in mine:
            assert request['vehicle.']['rec_name'] in text, text
            assert request['contract.']['rec_name'] in text, text
        for request in theirs:
            assert request['vehicle.']['rec_name'] not in text, text
            assert request['contract.']['rec_name'] not in text, text
        vehicle = mine[0]['vehicle.']['rec_name']
        rows.filter(has_text=vehicle).first.dblclick()
        pane = page.locator('.tab-pane.active')
        expect(pane.get_by_label("Vehicle:", exact=True)).to_have_value(
            vehicle, timeout=30000)
        assert not errors, errors


def test_lock_request_approved_in_sao(collections, output):
    """Agent A's staff open their pending request and cannot decide it;
    an operator, in another browser, approves it: approved, waiting for
    the vehicle to stand still (a test server has no broker to send the
    lock to), which the agent's form shows"""
    operator = collections.client('operator')
    agent_a = collections.client('agent_a')
    admin = collections.client('admin')
    pending = pending_requests(operator)
    request = pending['A']
    vehicle = request['vehicle.']['rec_name']
    contract = request['contract.']['rec_name']
    # Nowhere to send a lock to: send_locks leaves the request approved
    broker, = admin.read('iot.configuration', [1], ['broker'])
    assert not broker['broker']
    with browser() as chromium:
        agent, agent_errors = sao_page(chromium, collections, 'agent_a')
        pane = open_record(agent, collections, 'lease.lock.request',
            request['id'])
        expect(pane.get_by_label("Vehicle:", exact=True)).to_have_value(
            vehicle)
        expect(pane.get_by_label("Contract:", exact=True)).to_have_value(
            contract)
        expect_state(pane, "Requested")
        # An operator's buttons: shown to agents greyed out, if at all
        for name in ["Approve", "Refuse"]:
            button = pane.locator('button', has_text=re.compile(
                        rf'^\s*{name}\s*$', re.I))
            for i in range(button.count()):
                if button.nth(i).is_visible():
                    expect(button.nth(i)).to_be_disabled()
        agent.screenshot(path=output / 'collections-lock-request-agent.png')

        page, errors = sao_page(chromium, collections, 'operator')
        pane = open_record(page, collections, 'lease.lock.request',
            request['id'])
        expect(pane.get_by_label("Vehicle:", exact=True)).to_have_value(
            vehicle)
        approve = pane.locator('button', has_text=re.compile(
                r'^\s*Approve\s*$', re.I))
        expect(approve).to_be_enabled()
        approve.click()
        dialog = page.locator('.modal.in')
        expect(dialog).to_contain_text(
            "Lock this vehicle's drive as soon as it stands still?")
        dialog.locator('button', has_text=re.compile(r'^\s*OK\s*$', re.I)
            ).click()
        expect_state(pane, "Approved, Waiting for Standstill")
        expect(pane.get_by_label("Decided By:", exact=True)).not_to_have_value(
            '')
        expect(approve).to_be_hidden()
        page.screenshot(path=output / 'collections-lock-approved.png')
        assert not errors, errors

        record, = operator.read('lease.lock.request', [request['id']],
            ['state', 'decided_by', 'decided_at', 'lock_command'])
        assert record['state'] == 'approved', record
        assert record['decided_by'] == operator.uid
        assert record['decided_at'] and record['lock_command'] is None
        # agent B's request is another's to decide
        other, = operator.read('lease.lock.request', [pending['B']['id']],
            ['state'])
        assert other['state'] == 'requested'

        # The agent's form, reloaded, says so
        agent.locator('.tab-pane.active button#reload').click()
        expect_state(agent.locator('.tab-pane.active'),
            "Approved, Waiting for Standstill")
        agent.screenshot(path=output / 'collections-lock-approved-agent.png')
        assert not agent_errors, agent_errors
    record, = agent_a.read('lease.lock.request', [request['id']], ['state'])
    assert record['state'] == 'approved'


def value(rpc):
    "A date or datetime of a JSON-RPC answer"
    if rpc is None:
        return None
    if rpc['__class__'] == 'date':
        return dt.date(rpc['year'], rpc['month'], rpc['day'])
    return dt.datetime(rpc['year'], rpc['month'], rpc['day'], rpc['hour'],
        rpc['minute'], rpc['second'], rpc.get('microsecond', 0))


def distance(latitude1, longitude1, latitude2, longitude2):
    "Kilometres, as the crow flies over a small city"
    x = math.radians(longitude2 - longitude1) * math.cos(
        math.radians((latitude1 + latitude2) / 2))
    return 6371 * math.hypot(x, math.radians(latitude2 - latitude1))


def expected_availability(operator):
    """{listing id: {city id: (vehicles free now, first day one comes free
    or None)}} of the public listings, from the records the server holds
    (README, *Availability*): free now is available, on no contract today,
    charged enough and heard lately; a vehicle is in its agent's city whose
    area holds it, in each when it has no position"""
    config, = operator.read('lease.configuration', [1],
        ['available_charge', 'available_silence'])
    heard = utcnow() - dt.timedelta(minutes=config['available_silence'])
    # The company's day (the mall's pages, run without company, take UTC's:
    # no date of the demo falls between the two)
    today = value(operator('ir.date', 'today'))
    day = {'__class__': 'date', 'year': today.year, 'month': today.month,
        'day': today.day}
    areas = {c['id']: c for c in operator.search_read('marcier.city', [],
            ['latitude', 'longitude', 'radius'])}
    agent_cities = {a['id']: a['cities'] for a in operator.search_read(
            'marcier.agent', [], ['cities'])}
    held = {}  # vehicle: (first day, last day) of the contracts holding it
    for leased in operator.search_read('lease.contract.line', [
                ('vehicle', '!=', None), ('contract.state', 'in',
                    ['not_started', 'in_progress', 'suspended'])],
            ['vehicle', 'start_date', 'end_date', 'contract.start_date',
                'contract.end_date', 'contract.termination_date']):
        contract = leased['contract.']
        first = value(leased['start_date'] or contract['start_date'])
        last = value(leased['end_date'] or contract['termination_date']
            or contract['end_date'])
        if last >= today:
            was = held.get(leased['vehicle'], (first, last))
            held[leased['vehicle']] = (min(first, was[0]), max(last, was[1]))
    fleet = {}  # (agent, product): {city: (free, next)}
    for vehicle in operator.search_read('device.vehicle',
            [('status', '!=', 'retired')], ['agent', 'product', 'status',
                'latitude', 'longitude', 'soc', 'last_seen']):
        first, last = held.get(vehicle['id'], (None, None))
        held_now = first is not None and first <= today
        seen = value(vehicle['last_seen'])
        free = (vehicle['status'] == 'available' and not held_now
            and vehicle['soc'] is not None
            and vehicle['soc'] >= config['available_charge']
            and seen is not None and seen >= heard)
        comes = (last + dt.timedelta(days=1) if not free and held_now
            and vehicle['status'] != 'in_repair' else None)
        cities = agent_cities[vehicle['agent']]
        if vehicle['latitude'] is not None:
            holding = sorted((km, c) for c in cities
                for km in [distance(vehicle['latitude'],
                        vehicle['longitude'], areas[c]['latitude'],
                        areas[c]['longitude'])]
                if km <= areas[c]['radius'])
            cities = [c for _, c in holding[:1]]  # the nearest
        counts = fleet.setdefault((vehicle['agent'], vehicle['product']), {})
        for city in cities:
            count, next_ = counts.get(city, (0, None))
            if comes and (next_ is None or comes < next_):
                next_ = comes
            counts[city] = (count + free, next_)
    return {l['id']: {c: fleet.get((l['agent'], l['product']), {}).get(
                c, (0, None)) for c in l['cities']}
        for l in operator.search_read('mall.listing', [
                ('state', '=', 'listed'), ('product.active', '=', True),
                ['OR', ('valid_from', '=', None),
                    ('valid_from', '<=', day)],
                ['OR', ('valid_to', '=', None), ('valid_to', '>=', day)],
                ], ['agent', 'product', 'cities'])}


def line(name, count, next_):
    "A city's line of availability as the mall writes it in English"
    if count:
        return f"{count} available in {name} now"
    if next_:
        return f"In {name} from {next_:%b} {next_.day}"
    return f"None free in {name} now"


def headlines(cities, names, city=None):
    """The lines a card may show: the filtered city's, else the city with
    the most vehicles free now (any of them on a tie), else the first to
    have one free"""
    if city in cities:
        cities = {city: cities[city]}
    most = max(count for count, _ in cities.values())
    if most:
        best = [c for c, (count, _) in cities.items() if count == most]
    else:
        dates = [d for _, d in cities.values() if d]
        best = [c for c, (_, d) in cities.items()
            if d == min(dates)] if dates else list(cities)
    return {line(names[c], *cities[c]) for c in best}


def card_ids(page):
    return [int(href.rsplit('/', 1)[1]) for href in page.locator(
            '.card a').evaluate_all('as => as.map(a => a.getAttribute("href"))')]


def check_cards(page, expected, names, city=None):
    "Each card's line of availability is one the server's figures give"
    for id_ in card_ids(page):
        shown = page.locator(f'.card:has(a[href="/mall/{id_}"]) .availability')
        assert shown.inner_text() in headlines(
            expected[id_], names, city), (id_, shown.inner_text())


def test_mall_availability(collections, output):
    """Cards and offer pages say how many vehicles are free now in which
    city, or from which day, as the server's records make them; *Available
    now* keeps the offers with a free vehicle (in the chosen city)"""
    operator = collections.client('operator')
    expected = expected_availability(operator)
    names = {c['id']: c['name'] for c in operator.search_read(
            'marcier.city', [], ['name'])}
    cities = {n: i for i, n in names.items()}
    listings = {l['id']: l for l in operator.search_read('mall.listing',
            [('id', 'in', list(expected))],
            ['product.code', 'product.name', 'agent'])}
    code = {i: l['product.']['code'] for i, l in listings.items()}
    free = {i for i, c in expected.items()
        if any(n for n, _ in c.values())}
    # What live_fleet made of the demo: agent A's MC-G4 nowhere (so in
    # each of its cities) and MC-F15 in Suzhou are free; agent B's MC-P2
    # (gateway silent) and MC-R3 (charge low) are not; agent A's MC-C70
    # comes free when its contract ends
    assert {code[i] for i in free} == {'MC-G4', 'MC-F15'}, expected
    by_code = {(code[i], l['agent']): i for i, l in listings.items()}
    a, b = agent_id(operator, 'A'), agent_id(operator, 'B')
    g4, f15, c70 = (by_code[c, a] for c in ['MC-G4', 'MC-F15', 'MC-C70'])
    assert expected[g4] == {cities['Hangzhou']: (1, None),
        cities['Shanghai']: (1, None)}
    assert expected[f15][cities['Suzhou']] == (1, None)
    assert expected[f15][cities['Shanghai']][0] == 0
    for silent in [by_code['MC-P2', b], by_code['MC-R3', b]]:
        assert expected[silent] == {cities['Beijing']: (0, None)}
    assert expected[c70][cities['Shanghai']][1] is not None

    with browser() as chromium:
        page, errors = mall_page(chromium, collections, 1280)
        expect(page.locator('.card').first).to_be_visible()
        # every public offer on the one page, each with its line
        assert sorted(card_ids(page)) == sorted(expected)
        expect(page.locator('.card .availability')).to_have_count(
            len(expected))
        check_cards(page, expected, names)
        card = page.locator(f'.card:has(a[href="/mall/{f15}"])')
        expect(card.locator('.availability.available')).to_have_text(
            "1 available in Suzhou now")
        page.screenshot(path=output / 'mall-availability-list.png',
            full_page=True)

        # The offer's page: a line per city
        for listing in [g4, f15, c70]:
            page.goto(f'{collections.url}mall/{listing}')
            lines = page.locator('#availability .availability')
            expect(lines).to_have_count(len(expected[listing]))
            assert sorted(lines.all_inner_texts()) == sorted(
                line(names[c], *v) for c, v in expected[listing].items())
            page.screenshot(path=output / f'mall-availability-{code[listing]}'
                '.png', full_page=True)
        # (the README's "In Shanghai from Jan 12")
        expect(page.locator('#availability .availability.later')
            ).to_have_text(re.compile(r'^In Shanghai from [A-Z][a-z]{2} \d+$'))

        # Available now: the box, then with a city
        page.goto(f'{collections.url}mall')
        page.check('input[name=available]')
        page.click('.filter-form button')
        page.wait_for_url('**available=1*')
        assert sorted(card_ids(page)) == sorted(free)
        expect(page.locator('.count')).to_contain_text(
            f"{len(free)} vehicles for rent")
        expect(page.locator('.card .availability.available')).to_have_count(
            len(free))
        check_cards(page, expected, names)
        assert page.locator('input[name=available]').is_checked()
        page.screenshot(path=output / 'mall-available-now.png',
            full_page=True)
        for name in ['Suzhou', 'Shanghai', 'Beijing']:
            page.select_option('#f-city', label=name)
            page.click('.filter-form button')
            page.wait_for_url(f'**city={cities[name]}*')
            assert sorted(card_ids(page)) == sorted(i for i in free
                if expected[i].get(cities[name], (0,))[0]), name
            check_cards(page, expected, names, cities[name])
        assert not errors, errors
        page.context.close()

        # In Chinese
        page, errors = mall_page(chromium, collections, 1280, locale='zh-CN')
        page.goto(f'{collections.url}mall/{g4}')
        assert sorted(page.locator('#availability .availability'
                ).all_inner_texts()) == ["上海现有 1 辆可租", "杭州现有 1 辆可租"]
        assert not errors, errors
