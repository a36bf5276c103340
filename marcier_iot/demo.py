# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo: broker credentials for every demo vehicle with a gateway (those
registered before this module was activated have none yet)."""
from trytond.pool import Pool


def load(context):
    pool = Pool()
    Vehicle = pool.get('device.vehicle')
    Gateway = pool.get('iot.gateway')
    Gateway.sync(Vehicle.search([('gateway_id', '!=', None)]))
