# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The fault catalogue of each vehicle type (issue 17, remote diagnosis):
what a fault code means, where to look and which parts to take, so that
the right part goes out on the first visit.

A type's catalogue is seeded from its DBC: the value table of the signal
its map gives for the fault code (marcier_wire.faults), with a guessed
system and severity the operator then corrects and completes.  Seeding
only adds the codes missing, so the operator's edits stay.  Controller
fault alarms link to the entry of their vehicle's type and code.
"""
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from marcier_wire import faults

from .exceptions import FaultError

SYSTEMS = [
    ('battery', "Battery"),
    ('motor', "Motor"),
    ('controller', "Controller"),
    ('charger', "Charger"),
    ('hydraulics', "Hydraulics"),
    ('brakes_steering', "Brakes and Steering"),
    ('work_equipment', "Work Equipment"),
    ('body', "Body"),
    ('other', "Other"),
    ]


class Fault(ModelSQL, ModelView):
    "Fault"
    __name__ = 'iot.fault'
    vehicle_type = fields.Many2One(
        'iot.vehicle.type', "Vehicle Type", required=True,
        ondelete='CASCADE')
    code = fields.Integer(
        "Code", required=True,
        help="The fault code the vehicle reports, as its alarms show it.")
    name = fields.Char("Name", translate=True)
    system = fields.Selection(SYSTEMS, "System", required=True)
    severity = fields.Selection([
            ('info', "Info"),
            ('warning', "Warning"),
            ('critical', "Critical"),
            ], "Severity", required=True, sort=False)
    causes = fields.Text(
        "Likely Causes", translate=True,
        help="What usually raises the fault, most likely first.")
    checks = fields.Text(
        "Checks", translate=True,
        help="What the technician checks, in order, to find the cause.")
    parts = fields.Many2Many(
        'iot.fault-product.product', 'fault', 'product', "Parts",
        help="The parts a repair of the fault usually needs.")
    repair_hours = fields.Float(
        "Repair Hours", digits=(6, 1),
        domain=['OR',
            ('repair_hours', '=', None),
            ('repair_hours', '>=', 0),
            ],
        help="The usual labour time of the repair.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('type_code_unique', Unique(t, t.vehicle_type, t.code),
                'marcier_iot.msg_fault_code_unique'),
            ]
        cls._order[0:0] = [('vehicle_type', 'ASC'), ('code', 'ASC')]

    @classmethod
    def default_system(cls):
        return 'other'

    @classmethod
    def default_severity(cls):
        return 'warning'

    def get_rec_name(self, name):
        # hexadecimal, as makers' manuals and DBC comments write codes
        return f'0x{self.code:04X} {self.name or ""}'.rstrip()

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        domain = ['OR', ('name', operator, operand, *extra)]
        if isinstance(operand, str) and operator in {'=', 'ilike'}:
            text = operand.strip('%').strip()
            try:
                domain.append(('code', '=', int(text, 0)))
            except ValueError:
                pass
        return domain

    @classmethod
    def seed(cls, types, strict=False):
        """Create the entries missing from the types' catalogues; strict:
        raise FaultError for a type whose DBC names no faults"""
        existing = {(f.vehicle_type.id, f.code) for f in cls.search([
                    ('vehicle_type', 'in', [t.id for t in types])])}
        to_create = []
        for type_ in types:
            codes = cls._value_table(type_, strict)
            for code, label in (codes or {}).items():
                if (type_.id, code) in existing:
                    continue
                system, severity = faults.guess(label)
                to_create.append({'vehicle_type': type_.id, 'code': code,
                        'name': label, 'system': system,
                        'severity': severity})
        return cls.create(to_create)

    @classmethod
    def _value_table(cls, type_, strict):
        "{code: label} of the type's fault code signal, or None"
        signal_map = type_.mapping
        codes = faults.table(type_.database, signal_map)
        if codes is None and strict:
            entry = signal_map.entries.get('fc')
            if entry is None:
                raise FaultError(gettext('marcier_iot.msg_fault_no_signal',
                        type=type_.rec_name))
            raise FaultError(gettext('marcier_iot.msg_fault_no_table',
                    type=type_.rec_name,
                    signal=f'{entry.message}.{entry.signal}'))
        return codes


class FaultProduct(ModelSQL):
    "Fault Part"
    __name__ = 'iot.fault-product.product'
    fault = fields.Many2One(
        'iot.fault', "Fault", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('fault')


class VehicleType(metaclass=PoolMeta):
    __name__ = 'iot.vehicle.type'
    faults = fields.One2Many('iot.fault', 'vehicle_type', "Faults")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'seed_faults': {
                    'icon': 'tryton-refresh',
                    },
                })

    @classmethod
    @ModelView.button
    def seed_faults(cls, types):
        "Add the faults of the DBC missing from the catalogue"
        Pool().get('iot.fault').seed(types, strict=True)

    @classmethod
    def on_modification(cls, mode, types, field_names=None):
        "A new DBC or map may name new faults"
        super().on_modification(mode, types, field_names=field_names)
        if mode == 'create' or (
                mode == 'write' and field_names & {'dbc', 'signal_map'}):
            Pool().get('iot.fault').seed(types)


class Alarm(metaclass=PoolMeta):
    __name__ = 'iot.alarm'
    fault = fields.Function(fields.Many2One(
            'iot.fault', "Fault",
            states={'invisible': Eval('kind') != 'controller_fault'},
            help="The catalogue's entry of the fault code."),
        'get_fault', searcher='search_fault')

    @classmethod
    def get_fault(cls, alarms, name):
        # the code the alarm opened with: its value is 0 once closed
        Fault = Pool().get('iot.fault')
        keys = {}
        for alarm in alarms:
            code = (alarm.detail_values or {}).get('code')
            type_ = alarm.vehicle.vehicle_type
            if alarm.kind == 'controller_fault' and code is not None \
                    and type_:
                keys[alarm.id] = (type_.id, int(code))
        found = {(f.vehicle_type.id, f.code): f.id for f in Fault.search([
                    ('vehicle_type', 'in', {t for t, _ in keys.values()}),
                    ('code', 'in', {c for _, c in keys.values()}),
                    ])} if keys else {}
        return {a.id: found.get(keys.get(a.id)) for a in alarms}

    @classmethod
    def search_fault(cls, name, clause):
        Fault = Pool().get('iot.fault')
        field, operator, operand, *extra = clause
        nested = field[len(name) + 1:] or (
            'rec_name' if isinstance(operand, str) else 'id')
        # no entry found: no alarm (an empty 'OR' would match them all)
        return ['OR', ('id', '=', -1)] + [[
                ('kind', '=', 'controller_fault'),
                ('vehicle.vehicle_type', '=', f.vehicle_type.id),
                ('detail_values.code', '=', f.code),
                ] for f in Fault.search([(nested, operator, operand, *extra)])]
