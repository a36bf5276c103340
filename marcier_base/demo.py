# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo data: the operator company, cities, three agents and their staff.

Called by `marcier setup --demo`; finds what an earlier run made instead of
making it again.  Other modules' demo loaders use ensure() and company().
"""
from decimal import Decimal

from trytond.i18n import lazy_gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

COMPANY = "Marcier Leasing Co."
CITIES = [
    # name, province, latitude, longitude, radius (km)
    ("Shanghai", "Shanghai", 31.2304, 121.4737, 60),
    ("Suzhou", "Jiangsu", 31.2989, 120.5853, 40),
    ("Hangzhou", "Zhejiang", 30.2741, 120.1551, 45),
    ("Beijing", "Beijing", 39.9042, 116.4074, 60),
    ("Tianjin", "Tianjin", 39.3434, 117.3616, 50),
    ("Guangzhou", "Guangdong", 23.1291, 113.2644, 50),
    ("Shenzhen", "Guangdong", 22.5431, 114.0579, 45),
    ("Chengdu", "Sichuan", 30.5728, 104.0668, 50),
    ]
# The Chinese names of the cities (the columns keep the English)
CITY_NAMES_ZH = {
    "Shanghai": "上海", "Suzhou": "苏州", "Hangzhou": "杭州",
    "Beijing": "北京", "Tianjin": "天津", "Guangzhou": "广州",
    "Shenzhen": "深圳", "Chengdu": "成都",
    }
AGENTS = [
    # code, name, head office, service cities, staff login, staff name
    ('A', "East Shore Green Mobility", "Shanghai",
        ["Shanghai", "Suzhou", "Hangzhou"], 'agent_a', "Li Na"),
    ('B', "Capital North EV Leasing", "Beijing",
        ["Beijing", "Tianjin"], 'agent_b', "Wang Wei"),
    ('C', "Pearl River Sun Vehicles", "Guangzhou",
        ["Guangzhou", "Shenzhen"], 'agent_c', "Chen Jie"),
    ]
# The agents' staff and the operator read Chinese; admin keeps English
STAFF_LANGUAGE = 'zh_CN'
ADMIN_LANGUAGE = 'en'
CUSTOMERS = {
    'A': [("Shanghai Bund Sightseeing Co.", "Shanghai", "13800000001"),
        ("Suzhou Garden Resort", "Suzhou", "13800000002")],
    'B': [("Beijing Olympic Park Services", "Beijing", "13900000001"),
        ("Tianjin Port Logistics", "Tianjin", "13900000002")],
    'C': [("Guangzhou Baiyun Golf Club", "Guangzhou", "13700000001"),
        ("Shenzhen Bay Cleaning Services", "Shenzhen", "13700000002")],
    }


def ensure(Model, domain, values=None):
    "Return the record matching domain, creating it from values if missing"
    records = Model.search(domain, limit=1)
    if records:
        return records[0]
    values = dict(values or {})
    for clause in domain:
        if isinstance(clause, tuple) and clause[1] == '=':
            values.setdefault(clause[0], clause[2])
    record, = Model.create([values])
    return record


def translate(record, values, language='zh_CN'):
    """Write values of record's translatable fields in language: Tryton
    keeps them apart from the default (English) values of the columns"""
    Model = record.__class__
    with Transaction().set_context(language=language):
        Model.write([Model(record.id)], values)


def company():
    "The demo operator company"
    Company = Pool().get('company.company')
    company, = Company.search([('party.name', '=', COMPANY)], limit=1)
    return company


def _company():
    pool = Pool()
    Currency = pool.get('currency.currency')
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    cny = ensure(Currency, [('code', '=', 'CNY')], {
            'name': "Chinese Yuan Renminbi", 'symbol': '¥',
            'numeric_code': '156', 'rounding': Decimal('0.01'), 'digits': 2})
    party = ensure(Party, [('name', '=', COMPANY)])
    return ensure(Company, [('party', '=', party.id)], {
            'currency': cny.id, 'timezone': 'Asia/Shanghai'})


def _user(login, name, role, company, password, agent=None,
        language=STAFF_LANGUAGE):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    user = ensure(User, [('login', '=', login)], {
            'name': name,
            'password': password,
            'agent': agent.id if agent else None,
            'roles': [('create', [{
                            'role': ModelData.get_id('marcier_base', role),
                            }])],
            })
    if company not in user.companies:
        User.write([user], {
                'companies': [('add', [company.id])],
                'company': company.id,
                })
    _language(user, language)
    return user


def _language(user, code):
    "Set the user's language unless they chose one (in their preferences)"
    pool = Pool()
    Lang = pool.get('ir.lang')
    User = pool.get('res.user')
    if not user.language:
        language, = Lang.search([('code', '=', code)])
        User.write([user], {'language': language.id})


def _welcome(user, record):
    "A first message, so that the message centre is not empty"
    Notification = Pool().get('res.notification')
    title = lazy_gettext('marcier_base.msg_welcome_title')
    if not Notification.search([('user', '=', user.id),
                ('label', 'in', list(Notification.labels(title)))]):
        Notification.notify([user], 'reminder', title,
            body=lazy_gettext('marcier_base.msg_welcome_body'),
            record=record)


def load(context):
    pool = Pool()
    City = pool.get('marcier.city')
    Agent = pool.get('marcier.agent')
    Party = pool.get('party.party')
    Customer = pool.get('marcier.customer')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    password = context['password']

    company = _company()
    admin = User(ModelData.get_id('res', 'user_admin'))
    if company not in admin.companies:
        User.write([admin], {
                'companies': [('add', [company.id])],
                'company': company.id,
                })
    _language(admin, ADMIN_LANGUAGE)
    with Transaction().set_context(company=company.id):
        cities = {}
        for name, province, latitude, longitude, radius in CITIES:
            cities[name] = ensure(City, [('name', '=', name)], {
                    'province': province, 'latitude': latitude,
                    'longitude': longitude, 'radius': radius})
            translate(cities[name], {'name': CITY_NAMES_ZH[name]})
        operator = _user('operator', "Zhao Min (Operator)", 'role_operator',
            company, password)
        _welcome(operator, company)
        for code, name, office, served, login, staff in AGENTS:
            party = ensure(Party, [('name', '=', name)])
            agent = ensure(Agent, [('code', '=', code)], {
                    'party': party.id,
                    'company': company.id,
                    'city': cities[office].id,
                    'cities': [('add', [cities[c].id for c in served])],
                    })
            staff = _user(login, f"{staff} ({name})", 'role_agent', company,
                password, agent=agent)
            _welcome(staff, agent)
            for customer, city, mobile in CUSTOMERS[code]:
                party = ensure(Party, [('name', '=', customer)])
                ensure(Customer, [
                        ('party', '=', party.id), ('agent', '=', agent.id)], {
                        'company': company.id, 'city': cities[city].id,
                        'mobile': mobile})
