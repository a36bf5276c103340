# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""A vehicle's leases: its history on the form, and the transfer of a
leased vehicle to another customer (SPEC E6), which moves it from the old
customer's contract to a contract of the new customer."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

from marcier_device.exceptions import TransferError

RUNNING = ['in_progress', 'suspended']


class Vehicle(metaclass=PoolMeta):
    __name__ = 'device.vehicle'
    leases = fields.Function(fields.Many2Many(
            'lease.contract.line', None, None, "Leases",
            help="The contracts of the vehicle with its agent: customers, "
            "periods and the rent billed."),
        'get_leases')

    @classmethod
    def get_leases(cls, vehicles, name):
        """The contract lines of each vehicle with its current agent: after
        a transfer between agents, the new one does not see the old one's
        customers and money"""
        Line = Pool().get('lease.contract.line')
        result = {v.id: [] for v in vehicles}
        with without_check_access():
            lines = Line.search([
                    ('vehicle', 'in', [v.id for v in vehicles]),
                    ('contract.state', '!=', 'cancelled'),
                    ], order=[('contract.start_date', 'DESC'), ('id', 'DESC')])
        agents = {v.id: v.agent for v in vehicles}
        for line in lines:
            if line.contract.agent == agents[line.vehicle.id]:
                result[line.vehicle.id].append(line.id)
        return result

    @classmethod
    def transfer_to(cls, vehicles, agent=None, customer=None, date=None,
            note=None):
        """A leased vehicle given to another customer leaves its line on
        the old contract and goes on a new contract of the new customer,
        from the first day not yet billed to the old one (a bill is not
        taken back: each day is billed once)"""
        pool = Pool()
        Date = pool.get('ir.date')
        Line = pool.get('lease.contract.line')
        date = date or Date.today()
        moves = []
        if customer:
            for vehicle in vehicles:
                with without_check_access():
                    lines = Line.search([
                            ('vehicle', '=', vehicle.id),
                            ('contract.state', 'in', RUNNING),
                            ('contract.customer', '=', vehicle.customer.id
                                if vehicle.customer else None),
                            ])
                lines = [l for l in lines if l.period[1] >= date]
                if lines:
                    line, = lines[:1]
                    moves.append((line, line.check_transfer(date)))
        events = super().transfer_to(vehicles, agent=agent,
            customer=customer, date=date, note=note)
        if moves:
            Line.hand_over(moves, customer)
        return events


class ContractLine(metaclass=PoolMeta):
    __name__ = 'lease.contract.line'

    def check_transfer(self, date):
        """The first day the new customer's contract bills, or the error
        why the vehicle cannot leave this line on date"""
        Date = Pool().get('ir.date')
        contract = self.contract

        def error(message, **kwargs):
            return TransferError(gettext(f'marcier_lease.{message}',
                    vehicle=self.vehicle.rec_name, contract=contract.rec_name,
                    **kwargs))
        if date > Date.today():
            raise error('msg_transfer_lease_future', date=date)
        first_day, last_day = self.period
        if date <= first_day:
            raise error('msg_transfer_lease_start', start=first_day)
        billed = [i.period_end for i in contract.installments
            if i.kind == 'rent' and i.state != 'planned' and i.period_end
            and i.period_end >= date]
        first = max(billed + [date - dt.timedelta(days=1)]) \
            + dt.timedelta(days=1)
        if first > last_day:
            raise error('msg_transfer_lease_billed', end=last_day)
        return first

    @classmethod
    def hand_over(cls, moves, customer):
        """End each line of moves [(line, first day of the new contract)]
        the day before and lease its vehicle to customer (party.party) on a
        new contract from that day to the old one's last day"""
        pool = Pool()
        Contract = pool.get('lease.contract')
        Date = pool.get('ir.date')
        today = Date.today()
        new = []
        with without_check_access():
            for line, first in moves:
                line.end_date = first - dt.timedelta(days=1)
                line.save()
                old = Contract(line.contract.id)  # with the line ended
                old.replan()
                new.append({
                        'company': old.company.id, 'agent': old.agent.id,
                        'customer': customer.id,
                        'city': old.city.id if old.city else None,
                        'start_date': first, 'end_date': old.last_day,
                        'billing_cycle': old.billing_cycle,
                        'currency': old.currency.id,
                        'note': gettext('marcier_lease.msg_transfer_note',
                            vehicle=line.vehicle.rec_name,
                            contract=old.rec_name),
                        'lines': [('create', [{
                                        'vehicle': line.vehicle.id,
                                        'product': line.product.id
                                        if line.product else None,
                                        'rent': line.rent,
                                        }])],
                        })
            contracts = Contract.create(new)
            Contract.plan(contracts)
            Contract.start([c for c in contracts if c.start_date <= today])
            Contract.end_emptied(
                Contract.browse(list({l.contract.id for l, _ in moves})))
        return contracts
