"""D4 against the running server: a renter binds a mobile number in
WeChat, then changes name, mobile number (with a code sent to the new one)
and password in the personal centre, and signs in on the PC mall's My
account with that number and password; throttled; nobody else's account
shown."""
import re

import requests

from .wechat import H5User, last_code, page_path

PASSWORD = 'Rent-Ride-2026'


class PCRenter:
    "A PC browser on the mall's account pages"

    def __init__(self, platform):
        self.root = platform.url.rstrip('/')
        self.http = requests.Session()
        self.http.headers['Accept-Language'] = 'en'

    def get(self, path, **kwargs):
        return self.http.get(self.root + path, timeout=60, **kwargs)

    def post(self, path, data, form_page=None):
        page = self.get(form_page or path)
        token = re.search(
            r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.http.post(self.root + path,
            data={**data, 'csrf_token': token}, timeout=60)

    def sign_in(self, mobile, password):
        return self.post('/mall/account/login',
            {'mobile': mobile, 'password': password})


def agent_id(operator, code):
    return operator.search('marcier.agent', [('code', '=', code)])[0]


def wrong(code):
    return '000000' if code != '000000' else '111111'


def test_personal_centre_and_pc_mall(platform, fake_wechat, operator,
        agent_a, agent_b, wechat_account):
    renter = H5User(platform, fake_wechat, 'o-renter-1')
    renter.sign_in()
    renter.bind(operator, '13700001111', name="Renter One",
        agent=agent_id(operator, 'A'))
    assert 'id="account"' in renter.get('me').text
    page = renter.get('me/account')
    assert page.status_code == 200
    assert 'Renter One' in page.text and '13700001111' in page.text
    assert 'Set a password' in page.text

    # Name: plain text only, then changed on the customer's party
    refused = renter.post('me/account', {'action': 'name', 'name': '<b>'})
    assert refused.status_code == 400
    assert 'without &lt; or &gt;' in refused.text
    changed = renter.post('me/account',
        {'action': 'name', 'name': "Renter  Uno "})
    assert 'Your name was changed.' in changed.text
    assert re.search(r'id="name">Renter Uno<', changed.text)
    assert agent_a.search('marcier.customer', [
            ('party.name', '=', "Renter Uno")])
    assert not agent_b.search('marcier.customer', [
            ('party.name', '=', "Renter Uno")])

    # Mobile: a code to the new number; a wrong code refused and counted
    sent = renter.post('me/account',
        {'action': 'send_code', 'mobile': '137 0000 2222'})
    assert 'id="sent"' in sent.text, sent.text
    code = last_code(operator, '13700002222')
    refused = renter.post('me/account', {'action': 'mobile',
            'code': wrong(code)})
    assert refused.status_code == 400
    assert 'The verification code is wrong.' in refused.text
    assert 'id="mobile">13700001111<' in renter.get('me/account').text
    changed = renter.post('me/account', {'action': 'mobile', 'code': code})
    assert 'Your mobile number was changed.' in changed.text
    assert 'id="mobile">13700002222<' in changed.text
    customer, = agent_a.search_read('marcier.customer', [
            ('party.name', '=', "Renter Uno")], ['mobile'])
    assert customer['mobile'] == '13700002222'
    assert renter.post('me/account', {'action': 'mobile',
            'code': code}).status_code == 400  # used once

    # Password: set, then changed with the current one only
    mismatch = renter.post('me/account', {'action': 'password',
            'new_password': PASSWORD, 'confirm_password': 'other'})
    assert 'The two new passwords differ.' in mismatch.text
    weak = renter.post('me/account', {'action': 'password',
            'new_password': 'short', 'confirm_password': 'short'})
    assert weak.status_code == 400 and 'at least' in weak.text
    done = renter.post('me/account', {'action': 'password',
            'new_password': PASSWORD, 'confirm_password': PASSWORD})
    assert 'Your password was changed.' in done.text
    assert 'Change my password' in done.text
    refused = renter.post('me/account', {'action': 'password',
            'current_password': 'Not-The-One-1', 'new_password': 'Other-Pass-77',
            'confirm_password': 'Other-Pass-77'})
    assert 'Your current password is wrong.' in refused.text

    # The PC mall: My account in the header, sign in with that number
    pc = PCRenter(platform)
    assert 'href="/mall/account"' in pc.get('/mall').text
    login_page = pc.get('/mall/account')
    assert page_path(login_page.url) == '/mall/account/login'
    refused = pc.sign_in('13700002222', 'Wrong-Pass-99')
    assert refused.status_code == 401
    assert 'Wrong mobile number or password.' in refused.text
    assert pc.sign_in('13700001111', PASSWORD).status_code == 401  # old
    mine = pc.sign_in('13700002222', PASSWORD)
    assert page_path(mine.url) == '/mall/account'
    assert 'Renter Uno' in mine.text and '13700002222' in mine.text
    assert pc.http.cookies.get('marcier_renter')
    # a name change on the PC shows in WeChat
    pc.post('/mall/account', {'action': 'name', 'name': "Renter One PC"})
    assert 'Renter One PC' in renter.get('me/account').text
    # Changing the password in WeChat signs the PC out
    renter.post('me/account', {'action': 'password',
            'current_password': PASSWORD, 'new_password': 'Second-Ride-26',
            'confirm_password': 'Second-Ride-26'})
    assert page_path(pc.get('/mall/account').url) == '/mall/account/login'
    mine = pc.sign_in('13700002222', 'Second-Ride-26')
    assert page_path(mine.url) == '/mall/account'
    out = pc.post('/mall/account/logout', {}, form_page='/mall/account')
    assert page_path(out.url) == '/mall'
    assert page_path(pc.get('/mall/account').url) == '/mall/account/login'


def test_others_and_throttles(platform, fake_wechat, operator,
        wechat_account):
    """Another renter sees only their account; a number of another
    customer is refused; sign-ins are throttled per number"""
    first = H5User(platform, fake_wechat, 'o-renter-2')
    first.sign_in()
    first.bind(operator, '13700003333', name="Renter Two",
        agent=agent_id(operator, 'B'))
    first.post('me/account', {'action': 'password',
            'new_password': PASSWORD, 'confirm_password': PASSWORD})
    second = H5User(platform, fake_wechat, 'o-renter-3')
    second.sign_in()
    assert page_path(second.get('me/account').url).endswith('/h5/bind')
    second.bind(operator, '13700004444', name="Renter Three",
        agent=agent_id(operator, 'B'))
    page = second.get('me/account')
    assert 'Renter Three' in page.text
    assert 'Renter Two' not in page.text and '13700003333' not in page.text
    taken = second.post('me/account',
        {'action': 'send_code', 'mobile': '13700003333'})
    assert taken.status_code == 400
    assert 'belongs to another customer' in taken.text
    # A code is sent at most once a minute per renter
    assert second.post('me/account', {'action': 'send_code',
            'mobile': '13700005555'}).status_code == 429
    # The PC session of one renter never shows another's account
    pc = PCRenter(platform)
    pc.sign_in('13700003333', PASSWORD)
    mine = pc.get('/mall/account')
    assert 'Renter Two' in mine.text and 'Renter Three' not in mine.text
    pc.http.cookies.clear()
    pc.http.cookies.set('marcier_renter', 'forged-session')
    assert page_path(pc.get('/mall/account').url) == '/mall/account/login'
    # Failed sign-ins for a number: past [session] max_attempt, 429 even
    # with the right password
    intruder = PCRenter(platform)
    statuses = [intruder.sign_in('13700003333', f'Guess-{n}-pass').status_code
        for n in range(7)]
    assert statuses[0] == 401 and statuses[-1] == 429
    assert intruder.sign_in('13700003333', PASSWORD).status_code == 429
    # and forms without the token are refused
    assert intruder.http.post(intruder.root + '/mall/account/login',
        data={'mobile': '13700003333', 'password': PASSWORD},
        timeout=60).status_code == 403
