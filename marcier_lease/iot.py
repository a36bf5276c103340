# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access


class Vehicle(metaclass=PoolMeta):
    __name__ = 'device.vehicle'

    @classmethod
    def iot_service_areas(cls, agents):
        "A vehicle on a live lease with a city may go only in that city"
        pool = Pool()
        Line = pool.get('lease.contract.line')
        areas = super().iot_service_areas(agents)
        with without_check_access():
            lines = Line.search([
                    ('vehicle', 'in', list(agents)),
                    ('contract.state', 'in', ['in_progress', 'suspended']),
                    ('contract.city', '!=', None),
                    ])
        for line in lines:
            city = line.contract.city
            areas[line.vehicle.id] = [
                (city.latitude, city.longitude, city.radius)]
        return areas
