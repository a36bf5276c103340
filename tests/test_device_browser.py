"""The device ledger in headless Chromium: the live fleet map opened from
the Devices menu (clusters of a big fleet, replay of a trip), the vehicle
form with its history tabs, a command form filled from its vehicle."""
import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from .browser import browser, sao_login, sao_open_menu
from .conftest import running_platform
from .database import connect, placeholder

pytestmark = pytest.mark.browser


def devices_page(chromium, platform, login, menu, height=800):
    "A page of sao logged in as login, on the Devices menu entry menu"
    page = chromium.new_page(viewport={'width': 1280, 'height': height})
    sao_login(page, platform, login)
    sao_open_menu(page, "Marcier", "Devices", menu)
    return page


def open_fleet_map(chromium, platform, login):
    "Log in to sao as login and open Devices > Fleet Map (a new tab)"
    context = chromium.new_context(viewport={'width': 1280, 'height': 800})
    page = context.new_page()
    sao_login(page, platform, login)
    with context.expect_page() as new_page:
        sao_open_menu(page, "Marcier", "Devices", "Fleet Map")
    fleet_map = new_page.value
    fleet_map.wait_for_selector('body[data-state=ready]', timeout=30000)
    return page, fleet_map


# Vehicles added around Shanghai's centre to the demo's: more than the map
# shows one by one (marcier_device.fleet_map.MAX_VEHICLES)
BIG_FLEET = 400
REPLAYED = 'MCA0001'


def add_fleet(uri):
    """The demo with BIG_FLEET more vehicles, and an hour of agent A's
    REPLAYED: reports every 5 s, a harsh braking, an overspeed, a GPS
    jump, an alarm, a trip"""
    connection = connect(uri)
    mark = placeholder(connection)
    now = dt.datetime.now(dt.timezone.utc).replace(
        tzinfo=None, microsecond=0)
    start = now - dt.timedelta(hours=1)
    try:
        cursor = connection.cursor()
        cursor.execute('SELECT id, company, agent, product FROM '
            f'device_vehicle WHERE serial = {mark}', (REPLAYED,))
        vehicle, company, agent, product = cursor.fetchone()
        insert = ('INSERT INTO {} ({}) VALUES ({})').format
        columns = ['serial', 'company', 'agent', 'product', 'status',
            'active', 'key_on', 'alarm_count', 'latitude', 'longitude',
            'create_date', 'create_uid']
        cursor.executemany(insert('device_vehicle', ', '.join(columns),
                ', '.join([mark] * len(columns))), [
                (f'MAP{n:04}', company, agent, product, 'available', True,
                    False, 0, 31.21 + (n % 20) * 0.002,
                    121.45 + (n // 20) * 0.002, now, 0)
                for n in range(BIG_FLEET)])
        columns = ['vehicle', 'company', 'agent', 'timestamp', 'received',
            'latitude', 'longitude', 'speed', 'quality', 'events',
            'create_date', 'create_uid']
        cursor.executemany(insert('iot_telemetry', ', '.join(columns),
                ', '.join([mark] * len(columns))), [
                (vehicle, company, agent, start + dt.timedelta(seconds=5 * n),
                    now, 45.0 if n == 90 else 31.10 + n * 2e-4,
                    121.30 + n * 3e-4, 25.0, 1 if n == 90 else 0,
                    2 if n == 30 else 4 if 60 <= n <= 65 else 0, now, 0)
                for n in range(120)])
        cursor.execute(insert('iot_alarm', 'vehicle, company, agent, kind, '
                'state, opened, closed, value, occurrences, create_date, '
                'create_uid', ', '.join([mark] * 11)), (vehicle, company,
                agent, 'low_soc', 'closed', start + dt.timedelta(minutes=7),
                start + dt.timedelta(minutes=9), 9.0, 1, now, 0))
        cursor.execute(insert('iot_trip', 'vehicle, company, agent, '
                'start, "end", state, distance, create_date, create_uid',
                ', '.join([mark] * 9)), (vehicle, company, agent, start,
                start + dt.timedelta(seconds=5 * 119), 'closed', 4.2, now, 0))
        connection.commit()
    finally:
        connection.close()


@pytest.fixture(scope='module')
def big_fleet(demo, tmp_path_factory, output):
    with running_platform(demo, tmp_path_factory.mktemp('big_fleet'),
            output / 'server-big-fleet.log', prepare=add_fleet) as platform:
        yield platform


def polled(fleet_map, action):
    "Do action, then wait for the map's answer to the view it leads to"
    before = int(fleet_map.locator('body').get_attribute('data-polls'))
    action()
    expect(fleet_map.locator('body')).not_to_have_attribute(
        'data-polls', str(before), timeout=20000)
    # fitBounds may move the map a second time
    fleet_map.wait_for_timeout(1500)


def test_fleet_map_clusters_then_vehicles(big_fleet, output):
    """A big fleet shows as clusters that add up to the vehicles in view;
    zooming in on one ends with the vehicles themselves"""
    with browser() as chromium:
        _, fleet_map = open_fleet_map(chromium, big_fleet, 'operator')
        body = fleet_map.locator('body')
        expect(body).to_have_attribute('data-mode', 'clusters')
        counts = fleet_map.locator('.vehicle-cluster span').all_inner_texts()
        assert sum(map(int, counts)) == int(body.get_attribute('data-total'))
        assert int(body.get_attribute('data-total')) > BIG_FLEET
        assert fleet_map.locator('path.vehicle-marker').count() == 0
        fleet_map.screenshot(path=output / 'device-fleet-map-clusters.png')
        # The sidebar pages through the fleet and searches it
        assert fleet_map.locator('#vehicles li').count() == 50
        fleet_map.locator('#search-text').fill('MAP039')
        expect(fleet_map.locator('#vehicles .serial')).to_have_count(10)
        for _ in range(6):
            if body.get_attribute('data-mode') == 'vehicles':
                break
            clusters = fleet_map.locator('.vehicle-cluster')
            biggest = max(range(clusters.count()), key=lambda i: int(
                    clusters.nth(i).inner_text()))
            polled(fleet_map, clusters.nth(biggest).click)
        assert body.get_attribute('data-mode') == 'vehicles'
        markers = int(body.get_attribute('data-markers'))
        assert 0 < markers == int(body.get_attribute('data-total'))
        assert fleet_map.locator('path.vehicle-marker').count() == markers
        fleet_map.screenshot(path=output / 'device-fleet-map-zoomed.png')


def test_fleet_map_replay(big_fleet, output):
    """A trip replayed from the panel: its track without the GPS jump, its
    driving events and alarm, played to its end with the time slider"""
    with browser() as chromium:
        _, fleet_map = open_fleet_map(chromium, big_fleet, 'agent_a')
        body = fleet_map.locator('body')
        fleet_map.locator('#replay-vehicle').fill(REPLAYED)
        trips = fleet_map.locator('#replay-trip option')
        expect(trips).to_have_count(2, timeout=20000)
        fleet_map.locator('#replay-trip').select_option(index=1)
        fleet_map.locator('#replay-show').click()
        expect(body).to_have_attribute('data-replay', 'shown')
        assert fleet_map.locator('path.replay-track').count() == 1
        # the harsh braking and where the overspeed began
        assert fleet_map.locator('path.replay-event').count() == 2
        assert fleet_map.locator('.replay-alarm').count() == 1
        # every position but the jump (the page speaks agent A's Chinese)
        assert fleet_map.locator('#replay-info').inner_text().count(
            '119') == 2
        # the live vehicles step aside during the replay
        assert fleet_map.locator('path.vehicle-marker').count() == 0
        fleet_map.screenshot(path=output / 'device-fleet-map-replay.png')
        slider = fleet_map.locator('#replay-slider')
        end = slider.get_attribute('max')
        fleet_map.locator('#replay-speed').select_option('300')
        fleet_map.locator('#replay-play').click()
        expect(body).to_have_attribute('data-replay', 'playing')
        expect(body).to_have_attribute('data-replay', 'ended', timeout=20000)
        assert body.get_attribute('data-replay-time') == end
        # Closed: the live map polls again
        polled(fleet_map, fleet_map.locator('#replay-close').click)
        assert fleet_map.locator('path.replay-track').count() == 0
        assert body.get_attribute('data-replay') == ''


def test_fleet_map_replay_from_url(big_fleet, output):
    """The trip form's Replay opens the map on the trip; agent B may not
    replay agent A's vehicle"""
    agent_a = big_fleet.client('agent_a')
    trip, = agent_a.search('iot.trip', [('vehicle.serial', '=', REPLAYED)])
    vehicle, = agent_a.search('device.vehicle', [('serial', '=', REPLAYED)])
    url = (f'{big_fleet.url}{big_fleet.database}/device/fleet-map'
        f'?vehicle={vehicle}&trip={trip}&replay=1')
    with browser() as chromium:
        page, _ = open_fleet_map(chromium, big_fleet, 'agent_a')
        page.goto(url)
        expect(page.locator('body')).to_have_attribute(
            'data-replay', 'shown', timeout=30000)
        assert page.locator('path.replay-track').count() == 1
    with browser() as chromium:
        page, _ = open_fleet_map(chromium, big_fleet, 'agent_b')
        page.goto(url)
        page.wait_for_selector('body[data-state=ready]', timeout=30000)
        assert page.locator('path.replay-track').count() == 0
        assert not page.locator('body').get_attribute('data-replay')


def test_agent_fleet_map_shows_own_vehicles(platform, output):
    client = platform.client('agent_a')
    vehicles = client.search_read(
        'device.vehicle', [], ['serial', 'status', 'latitude'])
    placed = [v for v in vehicles if v['latitude'] is not None]
    with browser() as chromium:
        _, fleet_map = open_fleet_map(chromium, platform, 'agent_a')
        markers = fleet_map.locator('path.vehicle-marker')
        assert markers.count() == len(placed)
        assert fleet_map.locator('path.status-rented').count() == len(
            [v for v in placed if v['status'] == 'rented'])
        assert fleet_map.locator('path.status-in_repair').count() >= 1
        serials = fleet_map.locator('#vehicles .serial').all_inner_texts()
        assert sorted(serials) == sorted(v['serial'] for v in vehicles)
        assert not any(s.startswith('MCB') for s in serials)
        fleet_map.screenshot(path=output / 'device-fleet-map-agent-a.png')

        # A click in the list opens the vehicle's popup on the map
        fleet_map.locator('#vehicles li', has_text='MCA0004').click()
        # (its details load on opening, in the demo agent's Chinese)
        expect(fleet_map.locator('.leaflet-popup-content')).to_contain_text(
            "维修中")

        # Hiding a status takes its markers off the map
        fleet_map.locator('#legend li[data-status=available]').click()
        assert fleet_map.locator('path.status-available').count() == 0


def test_operator_fleet_map_refreshes(platform, output):
    operator = platform.client('operator')
    with browser() as chromium:
        _, fleet_map = open_fleet_map(chromium, platform, 'operator')
        count = len(operator.search('device.vehicle', [
                    ('latitude', '!=', None)]))
        assert fleet_map.locator('path.vehicle-marker').count() == count
        # The page speaks the user's language: the demo operator's Chinese
        assert fleet_map.locator('.city-label', has_text="北京").count()
        fleet_map.screenshot(path=output / 'device-fleet-map-operator.png')

        # A status change shows at the next refresh, without reloading
        in_repair = fleet_map.locator('path.status-in_repair')
        before = in_repair.count()
        vehicle, = operator.search('device.vehicle', [
                ('serial', '=', 'MCC0002')])
        operator.button('device.vehicle', 'start_repair', [vehicle])
        try:
            expect(in_repair).to_have_count(before + 1, timeout=20000)
        finally:
            operator.button('device.vehicle', 'finish_repair', [vehicle])


def test_fleet_map_needs_a_session(platform, output):
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 800})
        page.goto(f'{platform.url}{platform.database}/device/fleet-map')
        page.wait_for_selector('body[data-state=login]', timeout=30000)
        assert page.locator('path.vehicle-marker').count() == 0
        assert 'Log in to Marcier' in page.locator('#message').inner_text()
        page.screenshot(path=output / 'device-fleet-map-anonymous.png')


def test_vehicle_form_history_tabs(platform, output):
    with browser() as chromium:
        page = devices_page(
            chromium, platform, 'operator', "Vehicles", height=900)
        page.locator('.tab-domain a, .nav-tabs a', has_text="All").first.click()
        page.locator('.treeview tr', has_text="MCB0001").first.dblclick()
        page.get_by_role('tab', name="History", exact=True).click()
        history = page.locator('.tab-pane.active')
        transfer = history.locator('tr', has_text="Transfer").first
        transfer.wait_for()
        assert ("Beijing Olympic Park Services → Tianjin Port Logistics"
            in transfer.inner_text())
        assert history.locator('tr', has_text="Entry to Site").count() >= 2
        page.screenshot(path=output / 'device-vehicle-history.png')


def test_maintenance_due_list(platform, output):
    with browser() as chromium:
        page = devices_page(chromium, platform, 'agent_a', "Maintenance Due")
        row = page.locator('.treeview tr', has_text="MCA0002").first
        row.wait_for()
        assert "Golf cart quarterly service" in row.inner_text()
        page.screenshot(path=output / 'device-maintenance-due.png')


def test_command_form_fills_from_own_vehicle(platform, output):
    """sao's on_change with the agent's own vehicle is answered (the check
    of the records on_change names lets the agent's own through)"""
    def on_change(response):
        body = response.request.post_data or ''
        return '/rpc/' in response.url and '.on_change' in body
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 800})
        sao_login(page, platform, 'agent_a')
        sao_open_menu(page, "Marcier", "IoT", "Commands")
        page.locator('#tablist li', has_text="Commands").wait_for()
        page.get_by_role('button', name="New").last.click()
        vehicle = page.locator('.form input[name=vehicle]').last
        vehicle.fill('MCA0001')
        with page.expect_response(on_change) as answer:
            vehicle.press('Tab')
            dialog = page.locator('.modal-dialog', has_text="Search Vehicle")
            dialog.locator('td', has_text="MCA0001").first.click()
            dialog.locator('button', has_text="OK").click()
        assert 'error' not in answer.value.json(), answer.value.json()
        expect(vehicle).to_have_value(re.compile('MCA0001'))
        # (the dialog fades out)
        expect(page.locator('.modal-dialog:visible')).to_have_count(0)
        page.screenshot(path=output / 'device-command-on-change.png')
