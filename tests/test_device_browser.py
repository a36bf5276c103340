"""The device ledger in headless Chromium: the live fleet map opened from
the Devices menu, the vehicle form with its history tabs, a command form
filled from its vehicle."""
import re

import pytest
from playwright.sync_api import expect

from .browser import browser, sao_login, sao_open_menu

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
        popup = fleet_map.locator('.leaflet-popup-content')
        popup.wait_for()
        assert 'In Repair' in popup.inner_text()

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
