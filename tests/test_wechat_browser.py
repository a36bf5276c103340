"""The WeChat H5 pages in headless Chromium at 390 px with WeChat's user
agent: register, report a fault with a photo, the operator dispatches it
in sao, the user follows the state and rates the service."""
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from .browser import browser, sao_login, sao_open_menu
from .wechat import APP_ID, WECHAT_UA, last_code

pytestmark = pytest.mark.browser


def test_register_report_dispatch_rate(platform, fake_wechat, operator,
        wechat_account, output, tmp_path):
    picture = tmp_path / 'fault.jpg'
    buffer = io.BytesIO()
    Image.new('RGB', (1200, 900), (180, 40, 40)).save(buffer, 'JPEG')
    picture.write_bytes(buffer.getvalue())
    base = f'{platform.url}{platform.database}/wechat/{APP_ID}/h5/'
    fake_wechat.next_openid = 'o-browser'
    fake_wechat.languages['o-browser'] = 'en'  # WeChat set in English
    with browser() as chromium:
        phone = chromium.new_context(
            viewport={'width': 390, 'height': 844}, user_agent=WECHAT_UA,
            device_scale_factor=1, has_touch=True, is_mobile=True)
        page = phone.new_page()
        errors = []
        page.on('pageerror', lambda error: errors.append(str(error)))
        page.on('console', lambda m: m.type == 'error'
            and 'Content Security Policy' in m.text and errors.append(m.text))

        # Register: web authorisation, then the mobile number and its code
        page.goto(base)
        fake_wechat.next_openid = None
        expect(page.locator('h1')).to_contain_text("Welcome")
        page.get_by_role('link', name="Bind my mobile").first.click()
        page.fill('input[name=mobile]', '13700000001')
        page.get_by_role('button', name="Send code").click()
        expect(page.locator('#sent')).to_be_visible()
        page.fill('input[name=code]', last_code(operator, '13700000001'))
        page.get_by_role('button', name="Bind").click()
        expect(page.locator('#name')).to_have_text("Guangzhou Baiyun Golf Club")
        page.screenshot(path=output / 'wechat-me.png', full_page=True)

        # Rent: the mall's own pages, in their mobile layout
        page.get_by_role("link", name="Rent", exact=True).click()
        expect(page.locator('body.layout-mobile .card').first).to_be_visible()
        assert page.evaluate('document.documentElement.scrollWidth') <= 390
        page.screenshot(path=output / 'wechat-mall.png')
        page.go_back()

        # Report a fault on my vehicle, with a photo
        page.get_by_role('link', name="Repair").click()
        page.select_option('select[name=vehicle]', label='MCC0003 '
            + page.locator('select[name=vehicle] option').first.inner_text()
            .split(' ', 1)[1])
        page.fill('textarea[name=description]', "Steering pulls left")
        page.set_input_files('input[name=photos]', str(picture))
        page.screenshot(path=output / 'wechat-repair-new.png', full_page=True)
        page.get_by_role('button', name="Submit").click()
        expect(page.locator('#state')).to_have_text("Submitted")
        assert page.locator('.photos img').count() == 1
        number = page.locator('h1').inner_text()
        width = page.evaluate('document.documentElement.scrollWidth')
        assert width <= 390, "the page scrolls sideways on a phone"

        # The operator dispatches it in sao to the agent's technician
        office = chromium.new_page(viewport={'width': 1280, 'height': 900})
        office.on('pageerror', lambda error: errors.append(str(error)))
        sao_login(office, platform, 'operator')
        sao_open_menu(office, "Marcier", "Devices", "Repair Work Orders")
        # On the number: a double click on a link cell opens its record
        office.locator('.treeview tr', has_text=number).first.locator(
            'td', has_text=number).first.dblclick()
        technician = office.locator('input[name=technician]')
        technician.wait_for()
        technician.fill("Chen Jie")
        technician.press('Tab')
        # The search window of the technicians the agent has, unless sao's
        # completion (quicker on a quiet machine) took the one match on Tab
        dialog = office.locator('.modal-dialog', has_text="Search Technician")
        try:
            dialog.wait_for(timeout=20000)
        except PlaywrightTimeoutError:
            pass
        else:
            # (users are listed by name: logins are for their own eyes)
            dialog.locator('tr', has_text="Chen Jie (Pearl River Sun"
                ).first.click()
            dialog.locator('button', has_text="OK").click()
        expect(technician).to_have_value(re.compile("Chen Jie"))
        office.locator('button', has_text="Dispatch").click()
        repair, = operator.search('device.repair', [('number', '=', number)])
        for _ in range(50):
            state, = operator.read('device.repair', [repair], ['state'])
            if state['state'] == 'dispatched':
                break
            office.wait_for_timeout(200)
        assert state['state'] == 'dispatched'
        office.screenshot(path=output / 'wechat-sao-dispatched.png')

        # The customer sees it dispatched; once done, rates it
        page.reload()
        expect(page.locator('#state')).to_have_text("Dispatched")
        expect(page.locator('.timeline')).to_contain_text("Chen Jie")
        operator.button('device.repair', 'start', [repair])
        operator.button('device.repair', 'finish', [repair])
        page.reload()
        expect(page.locator('#state')).to_have_text("Done")
        page.locator('input[name=rating][value="5"]').check()
        page.fill('textarea[name=comment]', "Fixed the same day")
        page.get_by_role('button', name="Rate").click()
        expect(page.locator('#rating')).to_contain_text("★★★★★")
        page.screenshot(path=output / 'wechat-rated.png', full_page=True)
        assert not errors, errors
    rated, = operator.read('device.repair', [repair],
        ['rating', 'rating_comment'])
    assert rated['rating'] == '5'
    assert rated['rating_comment'] == "Fixed the same day"


def test_h5_chinese(platform, fake_wechat, wechat_account, output):
    "A follower whose WeChat is in Chinese: the H5 pages and the mall"
    base = f'{platform.url}{platform.database}/wechat/{APP_ID}/h5/'
    fake_wechat.next_openid = 'o-browser-zh'
    fake_wechat.languages['o-browser-zh'] = 'zh_CN'
    with browser() as chromium:
        phone = chromium.new_context(
            viewport={'width': 390, 'height': 844}, user_agent=WECHAT_UA,
            locale='en-US',  # the phone's language: WeChat's comes first
            device_scale_factor=1, has_touch=True, is_mobile=True)
        page = phone.new_page()
        errors = []
        page.on('pageerror', lambda error: errors.append(str(error)))
        page.goto(base)
        fake_wechat.next_openid = None
        expect(page.locator('html')).to_have_attribute('lang', 'zh-CN')
        expect(page.locator('h1')).to_contain_text("欢迎")
        expect(page.locator('.wx-nav')).to_contain_text("我的车辆")
        assert page.evaluate('document.documentElement.scrollWidth') <= 390
        page.screenshot(path=output / 'wechat-home-zh.png', full_page=True)
        page.locator('.wx-nav a', has_text="我的").last.click()
        expect(page.locator('h1')).to_have_text("我的")
        page.screenshot(path=output / 'wechat-me-zh.png', full_page=True)
        page.locator('.wx-nav a', has_text="租车").click()
        expect(page.locator('body.layout-mobile .card').first).to_be_visible()
        names = page.locator('.card-name').all_inner_texts()
        assert names and all(re.search(r'[\u4e00-\u9fff]', n)
            for n in names), names
        assert page.evaluate('document.documentElement.scrollWidth') <= 390
        page.screenshot(path=output / 'wechat-mall-zh.png')
        assert not errors, errors
