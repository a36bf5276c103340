# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('lease.contract|process',
                "Start and End Lease Contracts, Warn of Expiry, Bill"))
        cls.method.selection.append(
            ('lease.utilisation.day|update', "Compute Fleet Utilisation"))
