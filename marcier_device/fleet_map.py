# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from urllib.parse import quote

from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard


class OpenFleetMap(Wizard):
    "Open the live fleet map, centred on the vehicle it is opened from"
    __name__ = 'device.fleet_map.open'
    start_state = 'open_'
    open_ = StateAction('marcier_device.url_fleet_map')

    def do_open_(self, action):
        # The map lives under the database's path, where the session
        # cookie of the back office is sent
        url = f'/{quote(Transaction().database.name)}/device/fleet-map'
        if (self.model and self.model.__name__ == 'device.vehicle'
                and self.record):
            url += f'?vehicle={self.record.id}'
        action['url'] = url
        return action, {}
