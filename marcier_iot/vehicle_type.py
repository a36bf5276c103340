# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Vehicle types onboarded from their CAN database (issue 13).

A type carries its maker's DBC file and the signal map the operator
confirmed (marcier_wire.mapping's JSON, with the valid ranges); the
onboarding wizard validates the DBC, proposes the map and tries it on a
CAN log.  Catalogue products name their type: their vehicles' gateways
get its profile (marcier_wire.profile) on their retained config topic, and
the listener checks their reports against its ranges.
"""
import hashlib
import json

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.transaction import without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from marcier_wire import canlog, dbc, mapping
from marcier_wire.profile import LockCommand, Profile, ProfileError

from .exceptions import VehicleTypeError, VehicleTypeWarning

MAX_DBC = 4 * 1024 * 1024  # the largest DBC files of makers are ~1 MB
MAX_LOG = 16 * 1024 * 1024
TEST_FRAMES = 100  # frames of an uploaded log tried in the wizard
QUANTITIES = [(q.key, q.name) for q in mapping.QUANTITIES]


def load_dbc(data, name):
    "marcier_wire's Loaded of a DBC file, or raise VehicleTypeError"
    if len(data) > MAX_DBC:
        reason = f"larger than {MAX_DBC // 1024 // 1024} MB"
    else:
        try:
            return dbc.load(data)
        except dbc.DbcError as error:
            reason = str(error)
    raise VehicleTypeError(gettext(
            'marcier_iot.msg_vehicle_type_dbc', type=name, reason=reason))


class VehicleType(DeactivableMixin, ModelSQL, ModelView):
    "Vehicle Type"
    __name__ = 'iot.vehicle.type'
    name = fields.Char("Name", required=True)
    products = fields.One2Many(
        'product.template', 'vehicle_type', "Products",
        help="The catalogue's products whose vehicles are of this type.")
    dbc = fields.Binary(
        "DBC File", filename='dbc_filename', required=True,
        help="The CAN database of the vehicle's controllers.")
    dbc_filename = fields.Char("DBC File Name")
    dbc_warnings = fields.Text(
        "DBC Warnings", readonly=True,
        help="What the DBC file's lenient load overlooked.")
    signal_map = fields.Text(
        "Signal Map", required=True,
        help="Platform quantity ← message.signal, with unit conversion and "
        "valid ranges (JSON, as sent to the gateways).")
    report_interval = fields.Integer(
        "Report Interval", required=True,
        domain=[('report_interval', '>=', 1)],
        help="Seconds between two reports of a gateway.")
    speed_limit = fields.Float(
        "Speed Limit", digits=(5, 1),
        domain=['OR', ('speed_limit', '=', None), ('speed_limit', '>', 0)],
        help="km/h over which a vehicle of the type is speeding; "
        "empty for the IoT configuration's.")
    lock_message = fields.Char(
        "Lock Message",
        help="The message of the DBC that asks the controller to lock or "
        "unlock the drive; none if the type cannot be locked remotely.")
    lock_signal = fields.Char(
        "Lock Signal", states={
            'required': Bool(Eval('lock_message')),
            'invisible': ~Eval('lock_message'),
            })
    lock_value = fields.Float(
        "Lock Value", states={
            'required': Bool(Eval('lock_message')),
            'invisible': ~Eval('lock_message'),
            })
    unlock_value = fields.Float(
        "Unlock Value", states={
            'required': Bool(Eval('lock_message')),
            'invisible': ~Eval('lock_message'),
            })
    _ranges = Cache('iot.vehicle.type.ranges', context=False)
    _limits = Cache('iot.vehicle.type.limits', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('name_unique', Unique(t, t.name),
                'marcier_iot.msg_vehicle_type_name_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_lock_value(cls):
        return 1.0

    @classmethod
    def default_unlock_value(cls):
        return 2.0

    @classmethod
    def default_report_interval(cls):
        Configuration = Pool().get('iot.configuration')
        with without_check_access():  # the configuration is admin-only
            return Configuration(1).report_interval

    @classmethod
    def preprocess_values(cls, mode, values):
        "The warnings follow the DBC file"
        values = super().preprocess_values(mode, values)
        if values.get('dbc'):
            result = load_dbc(values['dbc'], values.get('name', ''))
            values['dbc_warnings'] = '\n'.join(map(str, result.warnings))
        return values

    @classmethod
    def check_signal_map(cls, types):
        for type_ in types:
            try:
                type_.profile().check()
            except (ValueError, TypeError, KeyError) as error:
                # (ProfileError is a ValueError)
                reason = str(error) or type(error).__name__
                if isinstance(error, ProfileError):
                    reason = reason.split(': ', 1)[-1]
                raise VehicleTypeError(gettext(
                        'marcier_iot.msg_vehicle_type_signal_map',
                        type=type_.rec_name, reason=reason))

    @classmethod
    def validate_fields(cls, types, field_names):
        super().validate_fields(types, field_names)
        if field_names & {'dbc', 'signal_map', 'lock_message',
                'lock_signal', 'report_interval'}:
            cls.check_signal_map(types)

    @classmethod
    def on_modification(cls, mode, types, field_names=None):
        "Gateways run the new profile, the listener checks the new ranges"
        super().on_modification(mode, types, field_names=field_names)
        cls._ranges.clear()
        cls._limits.clear()
        if mode == 'write':
            Vehicle = Pool().get('device.vehicle')
            Vehicle.send_profiles(Vehicle.search([
                        ('product.vehicle_type', 'in',
                            [t.id for t in types]),
                        ('gateway_id', '!=', None),
                        ]))

    def profile(self):
        "The marcier_wire profile gateways of the type run"
        lock = None
        if self.lock_message:
            lock = LockCommand(self.lock_message, self.lock_signal or '',
                self.lock_value, self.unlock_value)
        return Profile(self.name, dbc.text(self.dbc), self.mapping,
            float(self.report_interval), lock)

    @classmethod
    def ranges(cls, type_ids):
        """{type id: {quantity key: (low, high)}} of the types' signal
        maps, cached: the listener asks at every batch"""
        result, missing = {}, []
        for type_id in type_ids:
            ranges = cls._ranges.get(type_id)
            if ranges is None:
                missing.append(type_id)
            else:
                result[type_id] = ranges
        for type_ in cls.browse(missing):
            result[type_.id] = cls._ranges.set(type_.id, {
                    k: tuple(v) for k, v in type_.mapping.ranges.items()})
        return result

    @classmethod
    def limits(cls, type_ids):
        """{type id: (report interval, speed limit or None)}, cached: the
        listener asks at every batch"""
        result, missing = {}, []
        for type_id in type_ids:
            limits = cls._limits.get(type_id)
            if limits is None:
                missing.append(type_id)
            else:
                result[type_id] = tuple(limits)
        for type_ in cls.browse(missing):
            result[type_.id] = cls._limits.set(type_.id,
                (type_.report_interval, type_.speed_limit))
        return result

    @property
    def database(self):
        return load_dbc(self.dbc, self.rec_name).database

    @property
    def mapping(self):
        "The signal map; raises ValueError when it is not valid JSON"
        try:
            return mapping.Mapping.from_json(self.signal_map)
        except json.JSONDecodeError as error:
            raise ValueError(f"not JSON: {error}") from None


class OnboardStart(ModelView):
    "Onboard Vehicle Type"
    __name__ = 'iot.vehicle.type.onboard.start'
    name = fields.Char("Name", required=True)
    products = fields.Many2Many(
        'product.template', None, None, "Products",
        help="The catalogue's products whose vehicles are of this type.")
    report_interval = fields.Integer(
        "Report Interval", required=True,
        domain=[('report_interval', '>=', 1)])
    dbc = fields.Binary("DBC File", filename='dbc_filename', required=True)
    dbc_filename = fields.Char("DBC File Name")


class OnboardMap(ModelView):
    "Onboard Vehicle Type"
    __name__ = 'iot.vehicle.type.onboard.map'
    summary = fields.Char("DBC", readonly=True)
    warnings = fields.Text("Warnings", readonly=True)
    lines = fields.One2Many(
        'iot.vehicle.type.onboard.line', None, "Signal Map")
    log = fields.Binary(
        "CAN Log", filename='log_filename',
        help="candump -L, Vector ASC or BLF: its first frames are decoded "
        "with the map.")
    log_filename = fields.Char("CAN Log File Name")
    decoded = fields.Text("Test Decode", readonly=True)


class OnboardLine(ModelView):
    "Onboard Vehicle Type Signal"
    __name__ = 'iot.vehicle.type.onboard.line'
    quantity = fields.Selection(QUANTITIES, "Quantity", required=True)
    unit = fields.Char("Unit", readonly=True)
    message = fields.Char("Message", required=True)
    signal = fields.Char("Signal", required=True)
    factor = fields.Float(
        "Factor", required=True,
        help="Quantity = signal × factor + offset, in the quantity's unit.")
    offset = fields.Float("Offset", required=True)
    low = fields.Float("Low", required=True)
    high = fields.Float("High", required=True)
    confidence = fields.Float(
        "Confidence", digits=(1, 2), readonly=True,
        states={'invisible': ~Eval('confidence')})

    @classmethod
    def default_factor(cls):
        return 1.0

    @classmethod
    def default_offset(cls):
        return 0.0

    @fields.depends('quantity')
    def on_change_quantity(self):
        if self.quantity:
            quantity = mapping.BY_KEY[self.quantity]
            self.unit = quantity.unit
            self.low, self.high = quantity.low, quantity.high


class Onboard(Wizard):
    "Onboard Vehicle Type"
    __name__ = 'iot.vehicle.type.onboard'
    start = StateView(
        'iot.vehicle.type.onboard.start',
        'marcier_iot.vehicle_type_onboard_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Next", 'read_dbc', 'tryton-forward', default=True),
            ])
    read_dbc = StateTransition()
    map = StateView(
        'iot.vehicle.type.onboard.map',
        'marcier_iot.vehicle_type_onboard_map_view_form', [
            Button("Back", 'start', 'tryton-back'),
            Button("Test Decode", 'test', 'tryton-launch'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    test = StateTransition()
    create_ = StateTransition()

    def default_start(self, fields):
        if self.start.name:  # back from the map
            return self.start._default_values
        return {'report_interval': Pool().get(
                'iot.vehicle.type').default_report_interval()}

    def transition_read_dbc(self):
        pool = Pool()
        Warning = pool.get('res.user.warning')
        result = load_dbc(self.start.dbc, self.start.name)
        if result.warnings:
            digest = hashlib.sha1(self.start.dbc).hexdigest()[:16]
            key = f'marcier_iot.vehicle_type_dbc_lenient.{digest}'
            if Warning.check(key):
                raise VehicleTypeWarning(key, gettext(
                        'marcier_iot.msg_vehicle_type_dbc_lenient',
                        count=len(result.warnings),
                        warnings='\n'.join(map(str, result.warnings))))
        summary = result.summary
        self.map.summary = gettext(
            'marcier_iot.msg_vehicle_type_dbc_summary', **summary)
        self.map.warnings = '\n'.join(map(str, result.warnings))
        proposal = mapping.propose(result.database)
        self.map.lines = [self._line(e, proposal.ranges[e.quantity])
            for e in proposal.entries.values()]
        self.map.decoded = None
        return 'map'

    @staticmethod
    def _line(entry, range_):
        return {
            'quantity': entry.quantity,
            'unit': mapping.BY_KEY[entry.quantity].unit,
            'message': entry.message,
            'signal': entry.signal,
            'factor': entry.factor,
            'offset': entry.offset,
            'low': range_[0],
            'high': range_[1],
            'confidence': entry.confidence,
            }

    def default_map(self, fields):
        return self.map._default_values

    def _mapping(self, database):
        "The map of the lines, checked against the database"
        quantities = [line.quantity for line in self.map.lines]
        repeated = sorted({q for q in quantities if quantities.count(q) > 1})
        problems = [f"{q}: mapped more than once" for q in repeated]
        ranges = {line.quantity: (line.low, line.high)
            for line in self.map.lines}
        result = mapping.Mapping([mapping.Entry(line.quantity,
                    line.message.strip(), line.signal.strip(),
                    line.factor, line.offset, line.confidence or None)
                for line in self.map.lines], ranges)
        problems += result.check(database)
        if problems:
            raise VehicleTypeError(gettext(
                    'marcier_iot.msg_vehicle_type_signal_map',
                    type=self.start.name, reason='; '.join(problems)))
        return result

    def transition_test(self):
        database = load_dbc(self.start.dbc, self.start.name).database
        signal_map = self._mapping(database)
        if not self.map.log:
            raise VehicleTypeError(gettext(
                    'marcier_iot.msg_vehicle_type_log_missing'))
        try:
            if len(self.map.log) > MAX_LOG:
                raise canlog.LogError(
                    f"larger than {MAX_LOG // 1024 // 1024} MB")
            result = canlog.decode(self.map.log, database, signal_map,
                self.map.log_filename, limit=TEST_FRAMES)
        except canlog.LogError as error:
            raise VehicleTypeError(gettext(
                    'marcier_iot.msg_vehicle_type_log',
                    reason=str(error))) from None
        self.map.decoded = '\n'.join(result.lines())
        return 'map'

    def transition_create_(self):
        pool = Pool()
        VehicleType = pool.get('iot.vehicle.type')
        database = load_dbc(self.start.dbc, self.start.name).database
        VehicleType.create([{
                    'name': self.start.name,
                    'products': [('add', [p.id for p in self.start.products])],
                    'dbc': self.start.dbc,
                    'dbc_filename': self.start.dbc_filename,
                    'signal_map': self._mapping(database).to_json(),
                    'report_interval': self.start.report_interval,
                    }])
        return 'end'
