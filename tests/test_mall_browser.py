"""The public mall and its back office in headless Chromium: list, filter,
detail and gallery, inquiry with its field errors, the agent following it
up in sao, the operator's review list; screenshots at 1280 and 390 px."""
import uuid

import pytest
from playwright.sync_api import expect

from .browser import browser, sao_login, sao_open_menu

pytestmark = pytest.mark.browser

PHONE = ('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) '
    'AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 '
    'MicroMessenger/8.0.47')


def mall_page(chromium, platform, width, phone=False, locale='en-US'):
    """A page of the public mall that fails the test on any browser error;
    locale is the browser's language (its Accept-Language)"""
    context = chromium.new_context(
        viewport={'width': width, 'height': 900 if width > 500 else 844},
        user_agent=PHONE if phone else None, locale=locale,
        device_scale_factor=1)
    page = context.new_page()
    errors = []
    # The form answers its field errors with 400 on purpose
    page.on('console', lambda m: m.type == 'error'
        and 'status of 400' not in m.text and errors.append(m.text))
    page.on('pageerror', lambda e: errors.append(str(e)))
    page.goto(f'{platform.url}mall')
    return page, errors


def test_mall_pc(platform, output):
    agent_a = platform.client('agent_a')
    name = f"Mr Lin {uuid.uuid4().hex[:5]}"
    with browser() as chromium:
        page, errors = mall_page(chromium, platform, 1280)
        cards = page.locator('.card')
        expect(cards.first).to_be_visible()
        assert page.locator('body.layout-pc').count() == 1
        page.screenshot(path=output / 'mall-list-1280.png', full_page=True)

        # Filter: a top category shows its sub-categories' products
        page.select_option('#f-category', label="Electric Forklifts")
        page.click('.filter-form button')
        page.wait_for_url('**/mall?category=*')
        names = page.locator('.card-name').all_inner_texts()
        assert names and all('Forklift' in n for n in names), names
        page.click('.tabs a:has-text("Promotions")')
        page.wait_for_url('**tab=promotion*')
        expect(page.locator('.card-name')).to_have_text(
            ["MC-F15 Electric Forklift, 1.5 t"])

        page.click('.card a')
        expect(page.locator('h1')).to_have_text(
            "MC-F15 Electric Forklift, 1.5 t")
        for text in ["Lift height", "3000 mm", "1500 kg", "Suzhou",
                "Free battery swap service", "Load centre"]:
            assert text in page.locator('main').inner_text(), text
        # The gallery shows one picture, the thumbnail chooses which
        expect(page.locator('.slide-1')).to_be_visible()
        page.click('label.thumb-2')
        expect(page.locator('.slide-2')).to_be_visible()
        expect(page.locator('.slide-1')).to_be_hidden()
        page.click('label.thumb-1')
        page.screenshot(path=output / 'mall-detail-1280.png', full_page=True)

        # The inquiry: field errors first, then sent
        page.fill('#i-name', name)
        page.fill('#i-mobile', '1234')
        page.select_option('#i-city', label="Shanghai")
        page.fill('#i-quantity', '2')
        page.click('button:has-text("Send inquiry")')
        expect(page.locator('#mobile-error')).to_contain_text("11-digit")
        assert page.locator('#i-name').input_value() == name
        page.screenshot(path=output / 'mall-inquiry-error-1280.png')
        page.fill('#i-mobile', '139 1111 2222')
        page.fill('#i-message', "Two forklifts for our Pudong warehouse")
        page.click('button:has-text("Send inquiry")')
        expect(page.locator('.notice.success')).to_contain_text(
            "your inquiry was sent")
        assert not errors, errors

    inquiry, = agent_a.search_read('mall.inquiry', [('name', '=', name)],
        ['mobile', 'quantity'])
    assert inquiry['mobile'] == '13911112222' and inquiry['quantity'] == 2

    # The agent follows it up in the back office
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 800})
        sao_login(page, platform, 'agent_a')
        sao_open_menu(page, "Marcier", "Mall", "Inquiries")
        row = page.locator('.treeview tr', has_text=name).first
        row.wait_for()
        assert "MC-F15" in row.inner_text()
        row.dblclick()
        page.locator('button', has_text="Contacted").first.click()
        expect(page.locator('button', has_text="Quoted").first).to_be_visible()
        page.screenshot(path=output / 'mall-sao-inquiry-agent.png')
    inquiry, = agent_a.read('mall.inquiry', [inquiry['id']], ['state'])
    assert inquiry['state'] == 'contacted'


def test_mall_chinese(platform, output):
    "A Chinese browser: list and detail in Chinese, the switch to English"
    with browser() as chromium:
        page, errors = mall_page(chromium, platform, 1280, locale='zh-CN')
        expect(page.locator('html')).to_have_attribute('lang', 'zh-CN')
        expect(page.locator('.tabs a.active')).to_have_text("全部租赁")
        names = page.locator('.card-name').all_inner_texts()
        assert "MC-S11 观光车，11座" in names, names
        assert "¥" in page.locator('.price').first.inner_text()
        page.screenshot(path=output / 'mall-list-zh-1280.png', full_page=True)

        page.fill('input[name=q]', "叉车")
        page.click('.search button')
        page.wait_for_url('**/mall?q=*')
        names = page.locator('.card-name').all_inner_texts()
        assert names and all('叉车' in n for n in names), names
        page.locator('.card a', has_text="MC-F15").click()
        expect(page.locator('h1')).to_have_text("MC-F15 电动叉车，1.5吨")
        main = page.locator('main').inner_text()
        for text in ["起升高度", "载荷中心距", "免费换电服务", "苏州", "提交询价"]:
            assert text in main, text
        page.screenshot(path=output / 'mall-detail-zh-1280.png',
            full_page=True)
        # The inquiry's errors in Chinese too
        page.fill('#i-mobile', '1234')
        page.click('button:has-text("提交询价")')
        expect(page.locator('#mobile-error')).to_contain_text("11位手机号")

        page.click('.languages a:has-text("English")')
        expect(page.locator('h1')).to_have_text(
            "MC-F15 Electric Forklift, 1.5 t")
        page.goto(f'{platform.url}mall')  # the choice is remembered
        expect(page.locator('.tabs a.active')).to_have_text("All rentals")
        assert not errors, errors


def test_mall_phone(platform, output):
    with browser() as chromium:
        page, errors = mall_page(chromium, platform, 390, phone=True)
        assert page.locator('body.layout-mobile').count() == 1
        expect(page.locator('.card').first).to_be_visible()
        # Two cards a row, nothing wider than the screen
        boxes = [page.locator('.card').nth(i).bounding_box()
            for i in range(2)]
        assert boxes[0]['y'] == boxes[1]['y']
        assert page.evaluate('document.documentElement.scrollWidth') <= 390
        page.screenshot(path=output / 'mall-list-390.png', full_page=True)
        page.locator('.card a').first.click()
        page.locator('h1').wait_for()
        assert page.evaluate('document.documentElement.scrollWidth') <= 390
        page.screenshot(path=output / 'mall-detail-390.png', full_page=True)
        assert not errors, errors


def test_operator_review_list(platform, output):
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 800})
        sao_login(page, platform, 'operator')
        sao_open_menu(page, "Marcier", "Mall", "Listing Review")
        row = page.locator('.treeview tr', has_text="MC-P5").first
        row.wait_for()
        text = row.inner_text()
        for value in ["Enclosed Patrol Cars", "450", "[A]"]:
            assert value in text, text
        for button in ["Detail", "Approve", "Reject"]:
            assert row.locator('button', has_text=button).count() == 1
        page.screenshot(path=output / 'mall-sao-review-list.png')
        # sao runs a list button on the selected row: select, then click
        row.locator('td', has_text="MC-P5").last.click()
        row.locator('button', has_text="Detail").click()
        page.get_by_text("Offer Details").first.wait_for()
        page.screenshot(path=output / 'mall-sao-listing-form.png')


def test_operator_product_form(platform, output):
    "The catalogue's product form: the Mall page and the pictures"
    with browser() as chromium:
        page = chromium.new_page(viewport={'width': 1280, 'height': 900})
        sao_login(page, platform, 'operator')
        # Tryton's own Products menu comes after ours: open the first
        sao_open_menu(page, "Marcier", "Mall", "Catalogue", "Categories")
        page.locator('#menu tr', has_text="Products").first.dblclick()
        row = page.locator('.treeview tr', has_text="MC-F15").first
        row.wait_for()
        assert "Counterbalance Forklifts" in row.inner_text()
        row.dblclick()
        page.get_by_role('tab', name="Mall", exact=True).click()
        pane = page.locator('.tab-pane.active')
        pane.get_by_text("Load centre").first.wait_for()
        assert "Lithium battery" in pane.locator('textarea').first.input_value()
        page.screenshot(path=output / 'mall-sao-product-form.png')
        page.get_by_role('tab', name="Images", exact=True).click()
        expect(page.locator('.tab-pane.active .treeview tbody tr')).to_have_count(3)
