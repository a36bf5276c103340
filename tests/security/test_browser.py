"""The security controls in headless Chromium: sao asks for the second
factor by itself, the fleet map shows stored markup as text."""
import pytest

from ..browser import browser, sao_login
from .users import code, enrol, new_user

pytestmark = pytest.mark.browser


def test_sao_asks_for_the_code(secured, output):
    "A user with an authenticator app logs in to sao with password and code"
    new_user(secured.client('admin'), 'browser_2fa',
        ['marcier_base.role_operator'])
    key, _ = enrol(secured.client('browser_2fa'))
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 800})
        page.goto(f'{secured.url}#{secured.database}')
        page.locator('#database:visible').wait_for(timeout=120000)
        page.fill('#login', 'browser_2fa')
        page.click('button:has-text("Login")')
        page.fill('input[type=password]', 'Marcier-Demo-2026')
        page.keyboard.press('Enter')
        dialog = page.locator('.ask-dialog', has_text='authenticator app')
        dialog.wait_for(timeout=30000)
        page.screenshot(path=output / 'security-sao-code-prompt.png')
        # The next period's code: enrolling spent this one
        dialog.locator('input').fill(code(key, 1))
        page.keyboard.press('Enter')
        page.locator('#menu .treeview tbody tr').first.wait_for(
            timeout=30000)


def test_fleet_map_shows_markup_as_text(secured, output):
    "A serial holding HTML is written as text in the map's labels"
    agent = secured.client('agent_a')
    # operator staff register serials, agents see them on their map
    operator = secured.client('operator')
    vehicle, = agent.search_read('device.vehicle',
        [('latitude', '!=', None)], ['serial'], limit=1)
    markup = '<b id="injected">X</b>'
    operator.write('device.vehicle', [vehicle['id']],
        {'serial': vehicle['serial'] + markup})
    try:
        with browser() as chromium:
            # Logged in to sao, straight to the page (its session cookie)
            fleet_map = chromium.new_page(
                viewport={'width': 1280, 'height': 800})
            sao_login(fleet_map, secured, 'agent_a')
            fleet_map.goto(
                f'{secured.url}{secured.database}/device/fleet-map')
            fleet_map.wait_for_selector('body[data-state=ready]',
                timeout=30000)
            labels = fleet_map.locator('.vehicle-label', has_text=markup)
            assert labels.count() == 1
            assert fleet_map.locator('#injected').count() == 0
            fleet_map.screenshot(path=output / 'security-fleet-map-markup.png')
    finally:
        operator.write('device.vehicle', [vehicle['id']],
            {'serial': vehicle['serial']})
