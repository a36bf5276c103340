# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo official account of the demo company.

Without a real WeChat account, it talks to the fake WeChat of
marcier_wechat.fake: run ``python -m marcier_wechat.fake 8700`` next to
``marcier demo`` and open the H5 pages (README, WeChat section).  A second
run keeps the account as it was changed."""
from trytond.pool import Pool

from marcier_base.demo import company, ensure

FAKE_WECHAT = 'http://127.0.0.1:8700'
APP_ID = 'wxmarcierdemo0001'


def load(context):
    Account = Pool().get('wechat.account')
    operator_company = company()
    ensure(Account, [('company', '=', operator_company.id)], {
            'name': "Marcier Leasing",
            'app_id': APP_ID,
            'secret': 'demo-secret',
            'token': 'marcier-demo-token',
            'api_url': FAKE_WECHAT,
            'open_url': FAKE_WECHAT,
            'public_url': 'http://127.0.0.1:8000',
            'repair_template': 'demo-repair-template',
            'dunning_template': 'demo-dunning-template',
            })
    context.setdefault('notes', []).append(
        f"WeChat H5 pages: http://127.0.0.1:8000/<database>/wechat/{APP_ID}"
        f"/h5/ (run `python -m marcier_wechat.fake 8700` for the fake "
        "WeChat)")
