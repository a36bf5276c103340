"""Headless Chromium (Debian's package) driven by Playwright, and the steps
of the sao web client that the browser tests share."""
import contextlib
import shutil

import pytest

CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-sync', '--disable-quic']


def chromium_path():
    return shutil.which('chromium') or shutil.which('chromium-browser')


@contextlib.contextmanager
def browser():
    path = chromium_path()
    if not path:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def sao_login(page, platform, login, password='Marcier-Demo-2026',
        language='en'):
    """Log in to sao and wait for its menu and start-up tab

    sao shows the language of the user's preferences at login and keeps it
    for the session: the user's preference is language (English, in which
    the tests name menus and buttons) while sao logs in, then set back;
    language=None logs in with the user's own.
    """
    if language:
        client = platform.client(login, password=password)
        previous = client.call(
            'model.res.user.get_preferences', True, {})['language']
        client.set_preferences({'language': language})
        try:
            return sao_login(page, platform, login, password, language=None)
        finally:
            client.set_preferences({'language': previous})
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    page.goto(f'{platform.url}#{platform.database}')
    # The Login button does nothing until the database list has come; on
    # a busy PostgreSQL server trytond takes a while to make it
    page.locator('#database:visible').wait_for(timeout=120000)
    page.fill('#login', login)
    page.click('button:has-text("Login")')
    page.fill('input[type=password]', password)
    page.keyboard.press('Enter')
    page.locator('#menu .treeview tbody tr').first.wait_for(timeout=30000)
    # The user's start-up action (the workbench) opens its tab after the
    # menu: wait for it, so that the tabs a test opens come after it
    try:
        page.locator('#tablist li').first.wait_for(timeout=30000)
    except PlaywrightTimeoutError:
        pass  # a user without start-up action


def sao_open_menu(page, *path):
    "Open the menu entries one after the other, as a user clicks them"
    for name in path[:-1]:
        row = page.locator('#menu tr', has_text=name).first
        row.locator('.expander').first.click()
        page.wait_for_timeout(300)
    page.locator('#menu tr', has_text=path[-1]).last.dblclick()
