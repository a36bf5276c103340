# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt

from sql import For

from trytond import backend
from trytond.model import ModelSQL, Unique, fields
from trytond.transaction import Transaction

from . import bulk
from .quality import Track

EPOCH = dt.datetime(1970, 1, 1)
TIMES = {'time', 'fix_time', 'trip_start', 'trip_moved'}


class VehicleTrack(ModelSQL):
    """Vehicle Track

    What a vehicle's last accepted report left, for data cleaning, rollups
    and trips to carry on from in the next batch (quality.Track): written
    by the listener in the batch's transaction, read by nobody else."""
    __name__ = 'iot.vehicle.track'
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, ondelete='CASCADE')
    time = fields.Timestamp("Time")
    latitude = fields.Float("Latitude")
    longitude = fields.Float("Longitude")
    fix_time = fields.Timestamp("Fix Time")
    gps_rejects = fields.Integer("GPS Rejects")
    odometer = fields.Float("Odometer")
    odometer_rejects = fields.Integer("Odometer Rejects")
    working_hours = fields.Float("Working Hours")
    speed = fields.Float("Speed")
    moving = fields.Boolean("Moving")
    key_on = fields.Boolean("Key On")
    charging = fields.Boolean("Charging")
    voltage = fields.Float("Voltage")
    current = fields.Float("Current")
    soc = fields.Float("State of Charge")
    soc_still = fields.Float("State of Charge Unchanged", help="Seconds.")
    voltage_still = fields.Float("Voltage Unchanged", help="Seconds.")
    trip_start = fields.Timestamp("Trip Start")
    trip_moved = fields.Timestamp("Trip Last Motion")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('vehicle_unique', Unique(t, t.vehicle),
                'marcier_iot.msg_track_unique'),
            ]

    @classmethod
    def lock(cls, vehicle_ids):
        """{vehicle id: Track}, the rows locked until the commit (in id
        order: no deadlock) so that two listeners carry a vehicle's track
        one after the other"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        ids = sorted(vehicle_ids)
        query = table.select(table.vehicle,
            *(getattr(table, n) for n in Track.__slots__),
            where=table.vehicle.in_(ids), order_by=[table.vehicle])
        if backend.name == 'postgresql':
            query.for_ = For('UPDATE')  # SQLite locks the whole database
        cursor.execute(*query)
        tracks = {row[0]: _track(row[1:]) for row in cursor}
        missing = [v for v in ids if v not in tracks]
        if missing:
            # a row to lock, also against a listener starting it too
            bulk.upsert(cls, [(v,) for v in missing], ['vehicle'], {})
            query.where = table.vehicle.in_(missing)
            cursor.execute(*query)
            tracks.update((row[0], _track(row[1:])) for row in cursor)
        return tracks

    @classmethod
    def save_tracks(cls, tracks):
        "Store {vehicle id: Track}"
        slots = Track.__slots__
        bulk.upsert(cls, [(vehicle,) + tuple(
                    _time(getattr(track, n)) if n in TIMES
                    else getattr(track, n) for n in slots)
                for vehicle, track in tracks.items()],
            ['vehicle'], dict.fromkeys(slots, bulk.NEW))


def _track(row):
    return Track(**{n: (v - EPOCH).total_seconds()
            if n in TIMES and v is not None else v
            for n, v in zip(Track.__slots__, row)})


def _time(epoch):
    return EPOCH + dt.timedelta(seconds=epoch) if epoch is not None else None
