# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Site entry, exit, repair and maintenance records per contract (SPEC E4)
are the vehicle's own history events, linked to the contract."""
from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from .exceptions import ContractError


class Event(metaclass=PoolMeta):
    __name__ = 'device.vehicle.event'
    contract = fields.Many2One(
        'lease.contract', "Contract", ondelete='RESTRICT',
        domain=[
            ('lines.vehicle', '=', Eval('vehicle', -1)),
            ],
        states={
            'invisible': Eval('type') == 'transfer',
            'readonly': Eval('id', -1) >= 0,
            },
        help="The lease the record belongs to.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.contract, Index.Equality())))

    @classmethod
    def validate_fields(cls, events, field_names):
        super().validate_fields(events, field_names)
        if field_names & {'contract', 'vehicle', 'type'}:
            cls.check_contract(events)

    @classmethod
    def check_contract(cls, events):
        for event in events:
            contract = event.contract
            if not contract:
                continue
            if contract.state in {'not_started', 'cancelled'} and (
                    event.type != 'entry' or contract.state == 'cancelled'):
                raise ContractError(gettext(
                        'marcier_lease.msg_event_contract_state',
                        contract=contract.rec_name))

    @classmethod
    def on_modification(cls, mode, events, field_names=None):
        "Entry on site starts the contract or brings the vehicle back; "
        "exit makes it available"
        pool = Pool()
        Contract = pool.get('lease.contract')
        Vehicle = pool.get('device.vehicle')
        super().on_modification(mode, events, field_names=field_names)
        if mode != 'create':
            return
        for event in events:
            contract = event.contract
            if not contract:
                continue
            if event.type == 'entry':
                if contract.state == 'not_started':
                    Contract.start([contract])
                elif (contract.state in {'in_progress', 'suspended'}
                        and event.vehicle.status == 'available'):
                    Vehicle.rent([event.vehicle], contract.customer)
            elif event.type == 'exit' and (
                    event.vehicle.customer == contract.customer):
                Vehicle.release([event.vehicle])
