# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo: three vehicle types of different makes onboarded from their DBC
(the proposed signal maps confirmed as they are) with their fault
catalogues seeded from the DBC's value tables, the catalogue's products
linked to them, and broker credentials for every demo vehicle with a
gateway (those registered before this module was activated have none)."""
from trytond.pool import Pool

from marcier_wire import data_file, dbc, mapping
from marcier_wire.profile import BUILTIN_DBC

# name, DBC of marcier_wire's data, lock request, words of product names
TYPES = [
    ("Marcier EV controller", BUILTIN_DBC,
        ('GW_Command', 'DriveLockRequest', 1, 2), None),
    ("Hexin forklift controller", 'hexin_forklift.dbc', None,
        ['forklift', '叉车']),
    ("Qingyuan sweeper controller", 'qingyuan_sweeper.dbc', None,
        ['sweeper', 'cleaning', 'sanitation', 'scrubber', '清扫', '清洁',
            '环卫']),
    ]


def load(context):
    pool = Pool()
    Vehicle = pool.get('device.vehicle')
    Gateway = pool.get('iot.gateway')
    VehicleType = pool.get('iot.vehicle.type')
    Template = pool.get('product.template')
    types = {}
    for name, file_name, lock, words in TYPES:
        found = VehicleType.search([('name', '=', name)])
        if not found:
            data = data_file(file_name).read_bytes()
            proposal = mapping.propose(dbc.load(data).database)
            values = {'name': name, 'dbc': data, 'dbc_filename': file_name,
                'signal_map': proposal.to_json()}
            if lock:
                values.update(zip(['lock_message', 'lock_signal',
                            'lock_value', 'unlock_value'], lock))
            found = VehicleType.create([values])
        types[name] = (found[0], words)
    # types made before the fault catalogue existed get theirs too
    pool.get('iot.fault').seed([t for t, _ in types.values()])
    # the vehicles' products, and the catalogue's of those makes
    vehicles = {v.product for v in Vehicle.search([]) if v.product}
    default = types[TYPES[0][0]][0]
    to_write = []
    for template in Template.search([('vehicle_type', '=', None)]):
        text = (template.name or '').lower()
        type_ = next((t for t, words in types.values()
                if words and any(w in text for w in words)),
            default if template in vehicles else None)
        if type_:
            to_write.extend([[template], {'vehicle_type': type_.id}])
    if to_write:
        Template.write(*to_write)
    Gateway.sync(Vehicle.search([('gateway_id', '!=', None)]))
