# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo catalogue: the maker's vehicle types with drawn pictures, listed by
the demo agents; one listing waits for review, one was rejected."""
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_base.demo import company as demo_company
from marcier_base.demo import ensure, translate

from .pictures import picture

CATEGORIES = {
    "Sightseeing Cars": ["8-14 Seats", "Over 14 Seats"],
    "Golf Carts": ["2-4 Seats", "6 Seats"],
    "Patrol Cars": ["Open Patrol Cars", "Enclosed Patrol Cars"],
    "Sanitation Vehicles": ["Refuse Collectors", "Street Washers"],
    "Electric Forklifts": ["Counterbalance Forklifts", "Warehouse Forklifts"],
    "Cleaning Machines": ["Floor Scrubbers", "Road Sweepers"],
    }
# The Chinese of the catalogue: the English stays the default value
ZH = {
    "Sightseeing Cars": "观光车", "8-14 Seats": "8-14座",
    "Over 14 Seats": "14座以上", "Golf Carts": "高尔夫球车",
    "2-4 Seats": "2-4座", "6 Seats": "6座", "Patrol Cars": "巡逻车",
    "Open Patrol Cars": "敞开式巡逻车", "Enclosed Patrol Cars": "封闭式巡逻车",
    "Sanitation Vehicles": "环卫车", "Refuse Collectors": "垃圾收集车",
    "Street Washers": "洗扫车", "Electric Forklifts": "电动叉车",
    "Counterbalance Forklifts": "平衡重式叉车",
    "Warehouse Forklifts": "仓储叉车", "Cleaning Machines": "清洁设备",
    "Floor Scrubbers": "洗地机", "Road Sweepers": "扫路车",
    # products
    "MC-S11 Sightseeing Car, 11 seats": "MC-S11 观光车，11座",
    "MC-S14 Sightseeing Car, 14 seats": "MC-S14 观光车，14座",
    "MC-S23 Sightseeing Train, 23 seats": "MC-S23 观光小火车，23座",
    "MC-G4 Golf Cart, 4 seats": "MC-G4 高尔夫球车，4座",
    "MC-G2 Golf Cart, 2 seats": "MC-G2 高尔夫球车，2座",
    "MC-G6 Golf Cart, 6 seats": "MC-G6 高尔夫球车，6座",
    "MC-P2 Open Patrol Car": "MC-P2 敞开式巡逻车",
    "MC-P5 Enclosed Patrol Car": "MC-P5 封闭式巡逻车",
    "MC-R3 Refuse Collector, 3 m³": "MC-R3 垃圾收集车，3 m³",
    "MC-W2 Street Washer, 2 m³ tank": "MC-W2 洗扫车，2 m³ 水箱",
    "MC-F15 Electric Forklift, 1.5 t": "MC-F15 电动叉车，1.5吨",
    "MC-F30 Electric Forklift, 3 t": "MC-F30 电动叉车，3吨",
    "MC-R16 Reach Truck, 1.6 t": "MC-R16 前移式叉车，1.6吨",
    "MC-C70 Ride-on Floor Scrubber": "MC-C70 驾驶式洗地机",
    "MC-SW2 Road Sweeper": "MC-SW2 扫路车",
    # models (the product name before the comma, without the code)
    "Sightseeing Car": "观光车", "Sightseeing Train": "观光小火车",
    "Golf Cart": "高尔夫球车", "Open Patrol Car": "敞开式巡逻车",
    "Enclosed Patrol Car": "封闭式巡逻车", "Refuse Collector": "垃圾收集车",
    "Street Washer": "洗扫车", "Electric Forklift": "电动叉车",
    "Reach Truck": "前移式叉车", "Ride-on Floor Scrubber": "驾驶式洗地机",
    "Road Sweeper": "扫路车",
    # features
    "11 seats in 4 rows with safety handles": "4排11座，配安全扶手",
    "Lithium battery, 100 km range": "锂电池，续航100公里",
    "Hydraulic disc brakes on 4 wheels": "四轮液压碟刹",
    "UV-proof roof, rain curtains": "防紫外线车顶，配雨帘",
    "14 seats for parks and scenic areas": "14座，适用于公园和景区",
    "Onboard PA system": "车载广播系统",
    "Regenerative braking": "能量回收制动",
    "Tractor with 2 carriages": "牵引车头带2节车厢",
    "Wide steps for elderly visitors": "宽踏板，方便老年游客",
    "Turn radius under 8 m": "转弯半径小于8米",
    "Quiet AC motor": "静音交流电机", "Bag rack and cooler": "球包架和冷藏箱",
    "Foldable windshield": "可折叠挡风玻璃",
    "Compact for narrow paths": "车身紧凑，适合窄路",
    "Two golf bags": "可放两个球包", "Rear-facing bench": "后向座椅",
    "LED head and tail lights": "LED前大灯和尾灯",
    "Light bar and siren": "警灯和警报器", "PA loudspeaker": "喊话扬声器",
    "Heated cabin, all-weather": "暖风驾驶室，全天候使用",
    "GPS tracking and dash camera": "GPS定位和行车记录仪",
    "Hydraulic bin lifter": "液压提桶装置", "Sealed body, no leaks": "密封箱体，不滴漏",
    "Tipping unload": "自卸式卸料",
    "High-pressure front spray bar": "前置高压喷杆",
    "Side washing guns": "侧面冲洗枪",
    "AC drive, no emissions indoors": "交流驱动，室内零排放",
    "Side shift": "侧移功能",
    "Lithium battery, opportunity charging": "锂电池，可随时补电",
    "Triplex mast": "三级门架", "Solid tyres for yards": "实心轮胎，适合堆场",
    "Cab heater": "驾驶室暖风", "Narrow aisle, 2.7 m": "窄通道，2.7米",
    "Camera on the forks": "货叉摄像头",
    "70 cm cleaning path": "清洁宽度70厘米",
    "110 L solution tank": "110升清水箱", "Quiet mode 60 dB": "60分贝静音模式",
    "2 side brushes, 2.3 m sweeping width": "2个边刷，清扫宽度2.3米",
    "Dust suppression spray": "喷雾抑尘",
    # parameters
    "Seats": "座位数", "Top speed": "最高车速", "Range": "续航里程",
    "Battery": "电池", "Climbing": "爬坡能力", "Charging time": "充电时间",
    "Body volume": "箱体容积", "Tank": "水箱", "Pump pressure": "水泵压力",
    "Load centre": "载荷中心距", "Travel speed": "行驶速度",
    "Aisle width": "通道宽度", "Cleaning path": "清洁宽度",
    "Productivity": "清洁效率", "Sweeping width": "清扫宽度",
    "Hopper": "垃圾箱容积",
    # listings
    "Launch offer: first month -20%": "上市优惠：首月租金8折",
    "Free battery swap service": "免费换电服务",
    "Winter deal: free heated seats": "冬季特惠：免费加装座椅加热",
    "Resort package: 3 carts, 10% off": "度假村套餐：3台车9折",
    "Sweeping brushes included": "含清扫刷",
    }
OFFER = ("Delivery and pick-up in the service cities, maintenance and "
    "24/7 road assistance included. Deposit: one month of rent.")
ZH[OFFER] = "服务城市内送车和取车，含保养和24小时道路救援。押金：一个月租金。"
BLUE, GREEN, RED, WHITE, ORANGE, TEAL, GREY = (
    (28, 110, 190), (40, 150, 90), (200, 50, 50), (235, 238, 240),
    (235, 130, 30), (20, 140, 150), (90, 100, 115))
# code, name, sub-category, kind, colour, rated load kg, lift height mm,
# features, parameters (name, value, unit)
PRODUCTS = [
    ('MC-S11', "MC-S11 Sightseeing Car, 11 seats", "8-14 Seats",
        'sightseeing', BLUE, 825, None,
        "11 seats in 4 rows with safety handles\nLithium battery, 100 km range"
        "\nHydraulic disc brakes on 4 wheels\nUV-proof roof, rain curtains",
        [("Seats", "11", ""), ("Top speed", "28", "km/h"),
            ("Range", "100", "km"), ("Battery", "72 V / 200", "Ah"),
            ("Climbing", "20", "%")]),
    ('MC-S14', "MC-S14 Sightseeing Car, 14 seats", "8-14 Seats",
        'sightseeing', GREEN, 1050, None,
        "14 seats for parks and scenic areas\nOnboard PA system"
        "\nRegenerative braking",
        [("Seats", "14", ""), ("Top speed", "28", "km/h"),
            ("Range", "90", "km"), ("Battery", "72 V / 250", "Ah")]),
    ('MC-S23', "MC-S23 Sightseeing Train, 23 seats", "Over 14 Seats",
        'sightseeing', RED, 1725, None,
        "Tractor with 2 carriages\nWide steps for elderly visitors"
        "\nTurn radius under 8 m",
        [("Seats", "23", ""), ("Top speed", "20", "km/h"),
            ("Range", "80", "km")]),
    ('MC-G4', "MC-G4 Golf Cart, 4 seats", "2-4 Seats", 'golf', WHITE, 320,
        None, "Quiet AC motor\nBag rack and cooler\nFoldable windshield",
        [("Seats", "4", ""), ("Top speed", "24", "km/h"),
            ("Range", "80", "km"), ("Charging time", "6", "h")]),
    ('MC-G2', "MC-G2 Golf Cart, 2 seats", "2-4 Seats", 'golf', GREEN, 200,
        None, "Compact for narrow paths\nTwo golf bags",
        [("Seats", "2", ""), ("Top speed", "22", "km/h"),
            ("Range", "70", "km")]),
    ('MC-G6', "MC-G6 Golf Cart, 6 seats", "6 Seats", 'golf', BLUE, 480,
        None, "Rear-facing bench\nLED head and tail lights",
        [("Seats", "6", ""), ("Top speed", "25", "km/h"),
            ("Range", "75", "km")]),
    ('MC-P2', "MC-P2 Open Patrol Car", "Open Patrol Cars", 'patrol',
        WHITE, 300, None, "Light bar and siren\nPA loudspeaker",
        [("Seats", "2", ""), ("Top speed", "35", "km/h"),
            ("Range", "90", "km")]),
    ('MC-P5', "MC-P5 Enclosed Patrol Car", "Enclosed Patrol Cars", 'patrol',
        BLUE, 450, None,
        "Heated cabin, all-weather\nGPS tracking and dash camera"
        "\nLight bar and siren",
        [("Seats", "5", ""), ("Top speed", "45", "km/h"),
            ("Range", "120", "km")]),
    ('MC-R3', "MC-R3 Refuse Collector, 3 m³", "Refuse Collectors",
        'sanitation', GREEN, 1500, None,
        "Hydraulic bin lifter\nSealed body, no leaks\nTipping unload",
        [("Body volume", "3", "m³"), ("Top speed", "40", "km/h"),
            ("Range", "110", "km")]),
    ('MC-W2', "MC-W2 Street Washer, 2 m³ tank", "Street Washers",
        'sanitation', TEAL, 2000, None,
        "High-pressure front spray bar\nSide washing guns",
        [("Tank", "2000", "L"), ("Pump pressure", "12", "MPa")]),
    ('MC-F15', "MC-F15 Electric Forklift, 1.5 t", "Counterbalance Forklifts",
        'forklift', ORANGE, 1500, 3000,
        "AC drive, no emissions indoors\nSide shift\nLithium battery, "
        "opportunity charging",
        [("Load centre", "500", "mm"), ("Travel speed", "13", "km/h"),
            ("Battery", "48 V / 460", "Ah")]),
    ('MC-F30', "MC-F30 Electric Forklift, 3 t", "Counterbalance Forklifts",
        'forklift', ORANGE, 3000, 4500,
        "Triplex mast\nSolid tyres for yards\nCab heater",
        [("Load centre", "500", "mm"), ("Travel speed", "15", "km/h"),
            ("Battery", "80 V / 560", "Ah")]),
    ('MC-R16', "MC-R16 Reach Truck, 1.6 t", "Warehouse Forklifts",
        'forklift', GREY, 1600, 8000,
        "Narrow aisle, 2.7 m\nCamera on the forks",
        [("Aisle width", "2700", "mm"), ("Battery", "48 V / 620", "Ah")]),
    ('MC-C70', "MC-C70 Ride-on Floor Scrubber", "Floor Scrubbers",
        'scrubber', TEAL, 150, None,
        "70 cm cleaning path\n110 L solution tank\nQuiet mode 60 dB",
        [("Cleaning path", "700", "mm"), ("Productivity", "4200", "m²/h")]),
    ('MC-SW2', "MC-SW2 Road Sweeper", "Road Sweepers", 'sweeper', BLUE,
        800, None, "2 side brushes, 2.3 m sweeping width\nDust suppression"
        " spray",
        [("Sweeping width", "2300", "mm"), ("Hopper", "1.2", "m³")]),
    ]
# agent code, product code, years of use, new, promotion, [(city, price,
# unit)], state
LISTINGS = [
    ('A', 'MC-S11', 0, True, "Launch offer: first month -20%",
        [("Shanghai", 4800, 'month'), ("Suzhou", 4500, 'month'),
            ("Hangzhou", 260, 'day')], 'listed'),
    ('A', 'MC-G4', 1, False, None,
        [("Shanghai", 2200, 'month'), ("Hangzhou", 2100, 'month')], 'listed'),
    ('A', 'MC-F15', 2, False, "Free battery swap service",
        [("Shanghai", 3600, 'month'), ("Suzhou", 3500, 'month')], 'listed'),
    ('A', 'MC-C70', 0, True, None, [("Shanghai", 1900, 'month')], 'listed'),
    ('A', 'MC-P5', 0, True, None, [("Shanghai", 5200, 'month')],
        'submitted'),
    ('A', 'MC-R16', 3, False, None, [("Suzhou", 4100, 'month')], 'draft'),
    ('B', 'MC-S14', 1, False, None,
        [("Beijing", 5600, 'month'), ("Tianjin", 5200, 'month')], 'listed'),
    ('B', 'MC-P2', 0, True, "Winter deal: free heated seats",
        [("Beijing", 3100, 'month')], 'listed'),
    ('B', 'MC-F30', 2, False, None,
        [("Beijing", 5400, 'month'), ("Tianjin", 5100, 'month'),
            ("Tianjin", 230, 'day')], 'listed'),
    ('B', 'MC-R3', 1, False, None, [("Beijing", 6900, 'month')], 'listed'),
    ('B', 'MC-W2', 4, False, None, [("Tianjin", 6200, 'month')],
        'rejected'),
    ('C', 'MC-G6', 0, True, "Resort package: 3 carts, 10% off",
        [("Guangzhou", 2800, 'month'), ("Shenzhen", 2900, 'month')],
        'listed'),
    ('C', 'MC-G2', 2, False, None, [("Shenzhen", 1500, 'month')], 'listed'),
    ('C', 'MC-S23', 0, True, None, [("Guangzhou", 9800, 'month')],
        'listed'),
    ('C', 'MC-SW2', 1, False, "Sweeping brushes included",
        [("Shenzhen", 5800, 'month')], 'listed'),
    ('C', 'MC-W2', 2, False, None, [("Guangzhou", 6100, 'month')],
        'listed'),
    ]


def _catalogue():
    pool = Pool()
    Category = pool.get('product.category')
    Model = pool.get('mall.product.model')
    Template = pool.get('product.template')
    Image = pool.get('product.image')
    ModelData = pool.get('ir.model.data')
    unit = ModelData.get_id('product', 'uom_unit')
    categories = {}
    for name, subs in CATEGORIES.items():
        top = ensure(Category, [('name', '=', name), ('parent', '=', None)])
        translate(top, {'name': ZH[name]})
        for sub in subs:
            categories[sub] = ensure(Category, [
                    ('name', '=', sub), ('parent', '=', top.id)])
            translate(categories[sub], {'name': ZH[sub]})
    products = {}
    for (code, name, category, kind, colour, load, lift, features,
            parameters) in PRODUCTS:
        model_name = name.removeprefix(code).split(',')[0].strip()
        model = ensure(Model, [('code', '=', code)], {'name': model_name})
        translate(model, {'name': ZH[model_name]})
        values = {
            'name': name, 'mall': True, 'default_uom': unit,
            'type': 'assets',
            'mall_category': categories[category].id,
            'mall_model': model.id, 'rated_load': load,
            'lift_height': lift, 'features': features,
            'parameters': [('create', [
                            {'name': n, 'value': v, 'unit': u or None}
                            for n, v, u in parameters])],
            }
        product = ensure(Template, [('code', '=', code)], values)
        if not product.mall:
            # The product of demo vehicles (marcier_device's demo, when it
            # runs first): the catalogue completes it
            Template.write([product], values)
        translate(product, {'name': ZH[name], 'features': '\n'.join(
                    ZH[f] for f in features.splitlines())})
        for parameter in product.parameters:
            translate(parameter, {'name': ZH[parameter.name]})
        if not product.images:
            facts = [("Rated load", f"{load} kg")] + [
                (n, f"{v} {u}".strip()) for n, v, u in parameters[:2]]
            Image.create([{
                        'template': product.id,
                        'image': picture(kind, colour, scene, name, facts),
                        'description': description,
                        } for scene, description in [
                        ('studio', name), ('outdoor', "At work"),
                        ('card', "Key figures")]])
        products[code] = product
    return products


def load(context):
    pool = Pool()
    Agent = pool.get('marcier.agent')
    City = pool.get('marcier.city')
    Listing = pool.get('mall.listing')
    User = pool.get('res.user')
    company = demo_company()
    with Transaction().set_context(company=company.id):
        products = _catalogue()
        operator, = User.search([('login', '=', 'operator')])
        for (code, product, years, new, promotion, prices,
                state) in LISTINGS:
            agent, = Agent.search([('code', '=', code)])
            product = products[product]
            if Listing.search([
                        ('agent', '=', agent.id),
                        ('product', '=', product.id)]):
                continue
            cities = {c.name: c for c in City.search([])}
            served = sorted({cities[c].id for c, _, _ in prices})
            listing, = Listing.create([{
                        'company': company.id, 'agent': agent.id,
                        'product': product.id, 'years_of_use': years,
                        'is_new': new, 'promotion': bool(promotion),
                        'promotion_text': promotion,
                        'cities': [('add', served)],
                        'prices': [('create', [{
                                        'city': cities[c].id,
                                        'price': Decimal(p), 'unit': u}
                                    for c, p, u in prices])],
                        'description': OFFER,
                        }])
            translate(listing, {'description': ZH[OFFER],
                    **({'promotion_text': ZH[promotion]} if promotion
                        else {})})
            if state == 'draft':
                continue
            staff = agent.staff_users[0]
            with Transaction().set_user(staff.id):
                Listing.submit([listing])
            with Transaction().set_user(operator.id):
                if state == 'listed':
                    Listing.approve([listing])
                elif state == 'rejected':
                    Listing.reject_with_reason([listing],
                        "Tianjin street washers are already offered by the "
                        "maker's branch: list this model in Beijing instead.")
