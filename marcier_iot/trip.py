# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt
import time

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool

from marcier_base.model import AgentOwnedMixin

from . import bulk, quality

EPOCH = dt.datetime(1970, 1, 1)
# How the piece of a trip a batch saw merges into the stored trip
MERGES = {'company': bulk.FIRST, 'agent': bulk.FIRST,
    'create_uid': bulk.FIRST, 'create_date': bulk.FIRST,
    'end': bulk.LATEST, 'start_latitude': bulk.FIRST,
    'start_longitude': bulk.FIRST, 'end_latitude': bulk.LATEST,
    'end_longitude': bulk.LATEST, 'distance': bulk.ADD,
    'duration': bulk.NEW, 'energy': bulk.ADD, 'max_speed': bulk.HIGHEST,
    'harsh_accelerations': bulk.ADD, 'harsh_brakings': bulk.ADD,
    'state': bulk.NEW}


class Trip(AgentOwnedMixin, ModelSQL, ModelView):
    """Trip

    From key on (or the first motion) to key off (or a long stop), cut as
    reports arrive; an open trip has no end yet."""
    __name__ = 'iot.trip'
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, readonly=True,
        ondelete='CASCADE')
    start = fields.Timestamp("Start", required=True, readonly=True)
    end = fields.Timestamp("End", readonly=True)
    start_latitude = fields.Float(
        "Start Latitude", digits=(9, 6), readonly=True)
    start_longitude = fields.Float(
        "Start Longitude", digits=(9, 6), readonly=True)
    end_latitude = fields.Float("End Latitude", digits=(9, 6), readonly=True)
    end_longitude = fields.Float(
        "End Longitude", digits=(9, 6), readonly=True)
    distance = fields.Float("Distance", digits=(10, 2), readonly=True,
        help="km")
    duration = fields.Float("Duration", digits=(8, 2), readonly=True,
        help="Hours.")
    energy = fields.Float("Energy", digits=(10, 3), readonly=True,
        help="kWh drawn from the pack.")
    max_speed = fields.Float("Top Speed", digits=(5, 1), readonly=True,
        help="km/h")
    harsh_accelerations = fields.Integer(
        "Harsh Accelerations", readonly=True)
    harsh_brakings = fields.Integer("Harsh Brakings", readonly=True)
    state = fields.Selection([
            ('open', "Under Way"),
            ('closed', "Ended"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('vehicle_start_unique', Unique(t, t.vehicle, t.start),
                'marcier_iot.msg_trip_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.vehicle, Index.Equality()),
                    (t.start, Index.Range(order='DESC'))),
                Index(t, (t.agent, Index.Equality()),
                    (t.start, Index.Range(order='DESC'))),
                })
        cls._order = [('start', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def extend(cls, pieces, owners):
        """Create or extend trips from pieces = [(vehicle id, piece)]
        (quality.TRIP values, times in epoch seconds), owners = {vehicle
        id: (company id, agent id)}: one statement"""
        now = dt.datetime.now()
        columns = quality.TRIP[1:]
        rows = []
        for vehicle, piece in pieces:
            values = dict(zip(quality.TRIP, piece))
            for name in ('start', 'end'):
                if values[name] is not None:
                    values[name] = EPOCH + dt.timedelta(seconds=values[name])
            rows.append((vehicle, values['start'], *owners[vehicle], 0, now,
                    *(values[c] for c in columns)))
        bulk.upsert(cls, rows, ['vehicle', 'start'], MERGES)

    @classmethod
    def end_silent(cls):
        """Cron: end the open trips of vehicles silent for longer than a
        trip stop (a gateway switched off mid-trip sends no key off, and no
        next report comes to end the trip)"""
        pool = Pool()
        Configuration = pool.get('iot.configuration')
        Track = pool.get('iot.vehicle.track')
        Vehicle = pool.get('device.vehicle')
        stop = Configuration(1).trip_stop_minutes * 60
        before = time.time() - stop
        open_ = Track.search([
                ('trip_start', '!=', None),
                ('time', '<', EPOCH + dt.timedelta(seconds=before)),
                ])
        if not open_:
            return
        # Locked as a listener locks them, then checked again: a batch may
        # have carried the trip on meanwhile
        tracks = {v: t for v, t in Track.lock(
                [t.vehicle.id for t in open_]).items()
            if t.trip_start is not None and t.time < before}
        if not tracks:
            return
        pieces = [(v, quality.end_trip(t)) for v, t in tracks.items()]
        cls.extend(pieces, {v.id: (v.company.id, v.agent and v.agent.id)
                for v in Vehicle.browse(list(tracks))})
        Track.save_tracks(tracks)
