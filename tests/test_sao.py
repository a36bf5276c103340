"""The back office in headless Chromium: sao served by trytond."""
import pytest

from .browser import browser, sao_login, sao_open_menu

pytestmark = pytest.mark.browser

SUBMENUS = ["Workbench", "Mall", "Devices", "Leasing", "IoT", "Settings"]


def test_operator_finds_marcier_menu(platform, output):
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 800})
        sao_login(page, platform, 'operator')
        marcier = page.locator('#menu tr', has_text="Marcier").first
        marcier.locator('.expander').first.click()
        for name in SUBMENUS:
            page.locator('#menu tr', has_text=name).first.wait_for()
        page.screenshot(path=output / 'sao-operator-menu.png')


def test_open_message_from_list_marks_it_read(platform, output):
    client = platform.client('agent_c')
    # The newest unread message about a record: the top of the list (sao
    # draws a long list's rows only as they scroll in)
    message, = client.search_read('res.notification', [('unread', '=', True),
            ('model', '!=', None)],
        ['label'], order=[('id', 'DESC')], limit=1)
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 800})
        sao_login(page, platform, 'agent_c')
        sao_open_menu(page, "Marcier", "Workbench", "My Messages")
        row = page.locator('.treeview tr', has_text=message['label'])
        row.first.dblclick()
        page.locator('button', has_text="Open Related Record").wait_for()
        page.screenshot(path=output / 'sao-message-form.png')
    message, = client.read('res.notification', [message['id']], ['unread'])
    assert not message['unread']
