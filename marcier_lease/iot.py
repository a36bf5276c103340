# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
from itertools import groupby

from sql import Column
from sql.aggregate import Min
from sql.conditionals import Coalesce

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .utilisation import RENTED_STATES, USAGE


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


class UtilisationDay(metaclass=PoolMeta):
    __name__ = 'lease.utilisation.day'

    @classmethod
    def _source_tables(cls):
        tables = super()._source_tables()
        tables['rollup'] = Pool().get('iot.rollup.day').__table__()
        return tables

    @classmethod
    def _source_from(cls, tables, date):
        "The vehicle's day rollup, when there is one"
        rollup = tables['rollup']
        return super()._source_from(tables, date).join(rollup, 'LEFT',
            condition=(rollup.vehicle == tables['vehicle'].id)
            & (rollup.date == date))

    @classmethod
    def _source_columns(cls, tables, date):
        columns = super()._source_columns(tables, date)
        rollup = tables['rollup']
        columns.update({n: Column(rollup, n) for n in USAGE})
        return columns

    @classmethod
    def _first_date_queries(cls):
        rollup = Pool().get('iot.rollup.day').__table__()
        return super()._first_date_queries() + [
            rollup.select(Min(rollup.date))]

    @classmethod
    def _changed(cls, since):
        "And the days whose rollup was written since"
        yield from super()._changed(since)
        rollup = Pool().get('iot.rollup.day').__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*rollup.select(rollup.date, rollup.vehicle,
                where=Coalesce(rollup.write_date, rollup.create_date)
                >= since,
                order_by=[rollup.date]))
        for date, rows in groupby(cursor, key=lambda r: r[0]):
            if isinstance(date, str):
                date = dt.date.fromisoformat(date)
            yield date, [v for _, v in rows]


class Trip(metaclass=PoolMeta):
    __name__ = 'iot.trip'
    contract = fields.Function(fields.Many2One(
            'lease.contract', "Contract",
            help="The contract the vehicle was on when the trip started."),
        'get_contract', searcher='search_contract')

    @classmethod
    def _contract_periods(cls, where):
        """[(contract id, vehicle id, first moment, end moment)] of the
        contracts' lines where where(line, contract)"""
        pool = Pool()
        line = pool.get('lease.contract.line').__table__()
        contract = pool.get('lease.contract').__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*line.join(contract,
                condition=line.contract == contract.id).select(
                contract.id, line.vehicle, contract.start_date,
                Coalesce(contract.termination_date, contract.end_date),
                where=contract.state.in_(RENTED_STATES)
                & where(line, contract)))
        for contract, vehicle, first, last in cursor:
            # SQLite returns the COALESCE as text
            first, last = (dt.date.fromisoformat(d) if isinstance(d, str)
                else d for d in (first, last))
            yield (contract, vehicle, dt.datetime.combine(first, dt.time()),
                dt.datetime.combine(
                    last + dt.timedelta(days=1), dt.time()))

    @classmethod
    def get_contract(cls, trips, name):
        periods = list(cls._contract_periods(
                lambda line, contract: fields.SQL_OPERATORS['in'](
                    line.vehicle, list({t.vehicle.id for t in trips}))))
        return {t.id: next((c for c, v, first, end in periods
                    if v == t.vehicle.id and first <= t.start < end), None)
            for t in trips}

    @classmethod
    def search_contract(cls, name, clause):
        "The trips of the vehicles of the contracts, in their periods"
        Contract = Pool().get('lease.contract')
        _, operator, value = clause[:3]
        if isinstance(value, str) or (
                isinstance(value, list) and any(
                    isinstance(v, str) for v in value)):
            contracts = [c.id for c in Contract.search(
                    [('rec_name', operator, value)], order=[])]
        else:
            contracts = [c.id for c in Contract.search(
                    [('id', operator, value)], order=[])]
        periods = list(cls._contract_periods(
                lambda line, contract: fields.SQL_OPERATORS['in'](
                    contract.id, contracts)))
        if not periods:
            return [('id', '=', None)]
        return ['OR', *([('vehicle', '=', vehicle), ('start', '>=', first),
                    ('start', '<', end)]
                for _, vehicle, first, end in periods)]


class Contract(metaclass=PoolMeta):
    __name__ = 'lease.contract'
    trips = fields.Function(fields.Many2Many('iot.trip', None, None, "Trips",
            help="The trips of the contract's vehicles in its period."),
        'get_trips')

    @classmethod
    def get_trips(cls, contracts, name):
        Trip = Pool().get('iot.trip')
        result = {c.id: [] for c in contracts}
        for trip in Trip.search([
                    ('contract', 'in', list(result)),
                    ], order=[('start', 'DESC'), ('id', 'DESC')]):
            result[trip.contract.id].append(trip.id)
        return result
