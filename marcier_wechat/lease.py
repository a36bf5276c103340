# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The personal centre's leasing part: my contracts, my bills and what is
overdue (registered only when marcier_lease is activated)."""
from trytond.pool import Pool, PoolMeta

CONTRACT_STATES = ['not_started', 'in_progress', 'suspended', 'completed']


class User(metaclass=PoolMeta):
    __name__ = 'wechat.user'

    def contracts(self):
        "The lease contracts of the user's customer, newest first"
        Contract = Pool().get('lease.contract')
        if not self.party:
            return []
        return Contract.search([
                ('company', '=', self.account.company.id),
                ('customer', '=', self.party.id),
                ('state', 'in', CONTRACT_STATES),
                ], order=[('start_date', 'DESC'), ('id', 'DESC')])

    def bills(self, overdue=False):
        "The billed plan lines of the user's customer (the bills)"
        Installment = Pool().get('lease.installment')
        if not self.party:
            return []
        domain = [
            ('company', '=', self.account.company.id),
            ('customer', '=', self.party.id),
            ('state', 'in', ['billed', 'paid']),
            ]
        if overdue:
            domain.append(('overdue', '=', True))
        return Installment.search(domain,
            order=[('due_date', 'DESC'), ('id', 'DESC')])
