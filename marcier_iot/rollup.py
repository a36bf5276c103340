# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""What a vehicle did per hour and per day, kept as reports arrive
(marcier_iot/quality.py cleans them first): charts beyond a day and the
leasing figures read these, never the raw history, which is dropped after
its retention while rollups are kept for years."""
import datetime as dt

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.transaction import Transaction

from marcier_base.model import AgentOwnedMixin

from . import bulk, quality

# How the figures of a batch merge into the stored ones
MERGES = {'company': bulk.FIRST, 'agent': bulk.FIRST,
    'create_uid': bulk.FIRST, 'create_date': bulk.FIRST,
    # stamped on each merge: the utilisation task reads what changed
    'write_uid': bulk.NEW, 'write_date': bulk.NEW,
    **dict.fromkeys(quality.SUMS + quality.TOTALS, bulk.ADD),
    **dict.fromkeys(quality.MINIMA, bulk.LOWEST),
    **dict.fromkeys(quality.MAXIMA, bulk.HIGHEST)}


class RollupMixin(AgentOwnedMixin):
    "The figures of one vehicle over one period"
    __slots__ = ()
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, readonly=True,
        ondelete='CASCADE')
    samples = fields.Integer("Reports", readonly=True)
    flagged = fields.Integer("Flagged Reports", readonly=True,
        help="Reports data cleaning flagged; their values are not counted.")
    gps_jumps = fields.Integer("GPS Jumps", readonly=True)
    stuck_sensors = fields.Integer("Stuck Sensors", readonly=True)
    odometer_backwards = fields.Integer("Odometer Backwards", readonly=True)
    out_of_order = fields.Integer("Out of Order", readonly=True)
    distance = fields.Float("Distance", digits=(10, 2), readonly=True,
        help="km, from the odometer.")
    gps_distance = fields.Float("GPS Distance", digits=(10, 2),
        readonly=True, help="km between consecutive fixes: a cross-check "
        "of the odometer.")
    working_hours = fields.Float("Working Hours", digits=(8, 2),
        readonly=True, help="From the vehicle's hour meter.")
    driving_hours = fields.Float("Driving Hours", digits=(8, 2),
        readonly=True, help="Time with the key on and the vehicle moving.")
    energy_out = fields.Float("Energy Used", digits=(10, 3), readonly=True,
        help="kWh drawn from the pack (voltage × current).")
    energy_in = fields.Float("Energy Charged", digits=(10, 3),
        readonly=True, help="kWh put into the pack.")
    charge_sessions = fields.Integer("Charge Sessions", readonly=True)
    soc_min = fields.Float("Lowest Charge", digits=(5, 1), readonly=True)
    soc_max = fields.Float("Highest Charge", digits=(5, 1), readonly=True)
    battery_temp_max = fields.Float(
        "Hottest Battery", digits=(5, 1), readonly=True)
    motor_temp_max = fields.Float(
        "Hottest Motor", digits=(5, 1), readonly=True)
    faults = fields.Integer("Fault Reports", readonly=True,
        help="Reports with a fault code or BMS fault.")
    alarms = fields.Integer("Alarms", readonly=True)
    harsh_accelerations = fields.Integer(
        "Harsh Accelerations", readonly=True)
    harsh_brakings = fields.Integer("Harsh Brakings", readonly=True)
    overspeed_hours = fields.Float(
        "Overspeed Time", digits=(8, 3), readonly=True, help="Hours.")
    out_of_area_hours = fields.Float(
        "Out of Area Time", digits=(8, 3), readonly=True, help="Hours.")
    # What the telemetry chart shows beyond a day: averages are the sums
    # over the clean reports counted in measured
    measured = fields.Integer("Clean Reports", readonly=True)
    voltage_sum = fields.Float("Voltage Sum", readonly=True)
    current_sum = fields.Float("Current Sum", readonly=True)
    soc_sum = fields.Float("State of Charge Sum", readonly=True)
    speed_sum = fields.Float("Speed Sum", readonly=True)
    brush_speed_sum = fields.Float("Brush Speed Sum", readonly=True)
    vacuum_sum = fields.Float("Vacuum Sum", readonly=True)
    water_level_min = fields.Float(
        "Lowest Water Tank", digits=(5, 1), readonly=True)
    lift_height_max = fields.Float(
        "Highest Lift", digits=(5, 3), readonly=True)
    load_weight_max = fields.Float(
        "Heaviest Load", digits=(7, 0), readonly=True)

    @classmethod
    def add(cls, figures, owners):
        """Add figures = {(vehicle id, period): quality bucket} to the
        stored ones, owners = {vehicle id: (company id, agent id)}: one
        statement"""
        now = dt.datetime.now()
        bulk.upsert(cls, [(vehicle, period, *owners[vehicle], 0, now, 0, now,
                    *bucket)
                for (vehicle, period), bucket in figures.items()],
            ['vehicle', cls._period], MERGES)

    @classmethod
    def purge(cls, before):
        "Delete the figures of the periods before the date"
        table = cls.__table__()
        Transaction().connection.cursor().execute(*table.delete(
                where=getattr(table, cls._period) < before))


class RollupHour(RollupMixin, ModelSQL, ModelView):
    "Vehicle Hour"
    __name__ = 'iot.rollup.hour'
    hour = fields.Timestamp("Hour", required=True, readonly=True)
    _period = 'hour'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('vehicle_hour_unique', Unique(t, t.vehicle, t.hour),
                'marcier_iot.msg_rollup_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.agent, Index.Equality()),
                (t.hour, Index.Range(order='DESC'))))
        cls._order = [('hour', 'DESC'), ('vehicle', 'ASC'), ('id', 'DESC')]


class RollupDay(RollupMixin, ModelSQL, ModelView):
    "Vehicle Day"
    __name__ = 'iot.rollup.day'
    date = fields.Date("Date", required=True, readonly=True)
    _period = 'date'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('vehicle_date_unique', Unique(t, t.vehicle, t.date),
                'marcier_iot.msg_rollup_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range(order='DESC'))),
                Index(t, (t.agent, Index.Equality()),
                    (t.date, Index.Range(order='DESC'))),
                })
        cls._order = [('date', 'DESC'), ('vehicle', 'ASC'), ('id', 'DESC')]
