# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def default_actions(cls):
        "Staff land on the workbench (SPEC C) when they log in"
        ModelData = Pool().get('ir.model.data')
        return [ModelData.get_id('marcier_lease', 'act_workbench')]
