# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo official account of the demo company, and repair work orders in
every state (two done and rated) so that the lists and the service ratings
are not empty.

Without a real WeChat account, it talks to the fake WeChat of
marcier_wechat.fake: run ``python -m marcier_wechat.fake 8700`` next to
``marcier demo`` and open the H5 pages (README, WeChat section).  A second
run keeps the account as it was changed."""
import datetime as dt

from trytond.pool import Pool

from marcier_base.demo import company, ensure

FAKE_WECHAT = 'http://127.0.0.1:8700'
APP_ID = 'wxmarcierdemo0001'
DEMO = "Demo: "
# vehicle serial (rented to the customer who reports), state reached, days
# ago submitted, description, resolution, rating and comment once done;
# the agent's staff user repairs.  The one in repair keeps its vehicle in
# repair: not one whose contract end the mall shows as its next free day
REPAIRS = [
    ('MCA0001', 'done', 40, "Horn does not sound.",
        "Horn relay replaced.", '5', "Fixed the same afternoon."),
    ('MCA0003', 'done', 18, "Seat belt buckle stuck.",
        "Buckle cleaned and lubricated.", '3', "Had to wait two days."),
    ('MCA0001', 'dispatched', 2, "Rear light flickers.", None, None, None),
    ('MCA0003', 'submitted', 0, "Charging port cover broken.", None, None,
        None),
    ('MCB0001', 'accepted', 1, "Wipers leave streaks.", None, None, None),
    ('MCC0001', 'in_repair', 3, "Steering vibrates above 20 km/h.", None,
        None, None),
    ]
# Each step: the state it reaches, its button, its timestamp and how long
# after the submission it was taken
STEPS = [
    ('accepted', 'accept', 'accepted_at', dt.timedelta(hours=1)),
    ('dispatched', 'dispatch', 'dispatched_at', dt.timedelta(hours=2)),
    ('in_repair', 'start', 'started_at', dt.timedelta(hours=20)),
    ('done', 'finish', 'done_at', dt.timedelta(hours=26)),
    ]


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
    _repairs()


def _repairs():
    """Run each work order through its steps, then date them in the past
    as if they had been done then"""
    pool = Pool()
    Repair = pool.get('device.repair')
    Vehicle = pool.get('device.vehicle')
    User = pool.get('res.user')
    if Repair.search([('description', 'like', DEMO + '%')], limit=1):
        return
    now = dt.datetime.now()
    states = [step[0] for step in STEPS]
    for serial, state, days, description, resolution, rating, comment in (
            REPAIRS):
        vehicle, = Vehicle.search([('serial', '=', serial)])
        technician = User.search([('agent', '=', vehicle.agent.id)],
            order=[('id', 'ASC')], limit=1)[0]
        repair, = Repair.create([{
                    'vehicle': vehicle.id,
                    'customer': vehicle.customer.id,
                    'description': DEMO + description,
                    'technician': technician.id,
                    }])
        submitted = now - dt.timedelta(days=days, hours=4)
        values = {'submitted_at': submitted, 'resolution': resolution}
        reached = states.index(state) + 1 if state in states else 0
        for _, button, field, after in STEPS[:reached]:
            getattr(Repair, button)([repair])
            values[field] = submitted + after
        if 'accepted_at' in values:
            values['response_time'] = values['accepted_at'] - submitted
        if 'done_at' in values:
            values['repair_time'] = values['done_at'] - values['started_at']
        Repair.write([repair], values)
        if repair.event:
            repair.event.date = values['done_at'].date()
            repair.event.save()
        if rating:
            repair.rate(rating, comment)
