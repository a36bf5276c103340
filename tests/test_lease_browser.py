"""The workbench in headless Chromium: the first screen after login shows
the charts; clicking a slice of the contract status chart opens the
contract ledger filtered by that state (SPEC C2-C5)."""
import re

import pytest
from playwright.sync_api import expect

from .browser import browser, sao_login

pytestmark = pytest.mark.browser

CHARTS = ["Revenue", "Overdue Debt by Customer", "Today's Vehicles",
    "Contract Status", "Fleet Utilisation", "Fleet Utilisation over Time"]
STATES = {"Not Started", "In Progress", "Suspended", "Completed",
    "Cancelled"}


def test_workbench_drill_through(platform, output):
    operator = platform.client('operator')
    states = {c['state'] for c in operator.search_read(
            'lease.contract', [], ['state'])}
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1400, 'height': 1000})
        sao_login(page, platform, 'operator')
        # Opened at login, without a menu click
        board = page.locator('.board')
        board.wait_for(timeout=30000)
        panels = board.locator('.board-action')
        expect(panels).to_have_count(len(CHARTS), timeout=30000)
        for title in CHARTS:
            # (the whole heading: one title may begin another)
            expect(panels.locator('.panel-heading', has_text=re.compile(
                        rf'^\s*{re.escape(title)}\s*$'))).to_have_count(1)
        contracts = panels.filter(has_text="Contract Status")
        slices = contracts.locator('.bb-chart-arc path')
        expect(slices.first).to_be_visible(timeout=30000)
        assert slices.count() == len(states)
        page.wait_for_timeout(500)
        page.screenshot(path=output / 'lease-workbench.png', full_page=True)

        slices.first.click()
        tab = page.locator('#tablist li', has_text="Lease Contracts")
        tab.wait_for(timeout=30000)
        rows = page.locator('.tab-pane.active table.tree > tbody > tr')
        rows.first.wait_for(timeout=30000)
        page.wait_for_timeout(500)
        page.screenshot(path=output / 'lease-workbench-drill.png')
        # The contracts of the slice's state, every one of them
        shown = [{s for s in STATES if s in text}
            for text in rows.all_inner_texts()]
        assert all(len(s) == 1 for s in shown), shown
        state = set.union(*shown)
        assert len(state) == 1, state
        counts = operator.search_read('lease.reporting.contract_status',
            [], ['state', 'contracts'])
        label = {'not_started': "Not Started", 'in_progress': "In Progress",
            'suspended': "Suspended", 'completed': "Completed",
            'cancelled': "Cancelled"}
        assert len(shown) == sum(c['contracts'] for c in counts
            if label[c['state']] in state)
