# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""What a vehicle did per hour and per day, kept as reports arrive
(marcier_iot/quality.py cleans them first): charts beyond a day and the
leasing figures read these, never the raw history, which is dropped after
its retention while rollups are kept for years."""
from trytond.model import Index, ModelSQL, ModelView, Unique, fields

from marcier_base.model import AgentOwnedMixin


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


class RollupHour(RollupMixin, ModelSQL, ModelView):
    "Vehicle Hour"
    __name__ = 'iot.rollup.hour'
    hour = fields.Timestamp("Hour", required=True, readonly=True)

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
        cls._order = [('hour', 'DESC'), ('vehicle', 'ASC')]


class RollupDay(RollupMixin, ModelSQL, ModelView):
    "Vehicle Day"
    __name__ = 'iot.rollup.day'
    date = fields.Date("Date", required=True, readonly=True)

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
        cls._order = [('date', 'DESC'), ('vehicle', 'ASC')]
