# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Data cleaning and what follows from it (issue 15, SPEC F3): one
vehicle's new reports, in time order, against its track (what the last
accepted report left: marcier_iot/track.py keeps it across batches and
restarts) give each report its quality and driving-event bits, the hour
figures of the rollups and the pieces of its trips.  Pure Python: the
listener runs it for a thousand vehicles a batch, tests on hand-made series.

Cleaning flags, never drops.  What a flag keeps out of the figures:
- out of order (not newer than the last accepted report, a late spool or a
  redelivery): everything but the report and flag counts; the track does
  not move back;
- GPS jump (a fix implying an impossible speed from the last good one):
  the GPS distance and the time out of the area; the bad fix is not the
  next report's reference (after RELOCATE consecutive jumps the new place
  is believed: a vehicle carried on a truck with its GPS off);
- odometer backwards: the distance; the reference is kept (RELOCATE
  reports in a row below it make it the new reference: a new controller);
- stuck sensor (state of charge or voltage identical over STUCK_AFTER
  seconds of driving or current flowing): its energy;
- any flag: the report's values in the chart's averages and in the
  extremes (SoC, temperatures, loads).

An interval between two reports belongs to the later one: its distance,
hours and energy count in the later report's hour, even across an hour
boundary (simple, and an interval is seconds long).  Integrated figures
(driving, energy, overspeed and out-of-area time) skip intervals longer
than the gap (a few report intervals: the vehicle was off or silent);
counters (odometer, hour meter) count across gaps, in the hour of the
report after it."""
import math

from .rules import distance_km, outside

# QUALITY_FLAGS and EVENT_FLAGS bits (telemetry.py)
GPS_JUMP, STUCK, ODOMETER_BACK, OUT_OF_ORDER = 1, 2, 4, 8
HARSH_ACCELERATION, HARSH_BRAKING, OVERSPEED, OUT_OF_AREA = 1, 2, 4, 8

GPS_JUMP_KMH = 150.0  # no vehicle of the fleet drives faster
GPS_NOISE_KM = 0.1  # fixes closer than this are never a jump
RELOCATE = 3  # consecutive rejections that become the new reference
STUCK_AFTER = 600.0  # seconds of activity with an unchanged value
STUCK_CURRENT = 5.0  # A: the pack is working
MOVING_KMH = 1.0
KWH = 1 / 3_600_000  # W·s → kWh

# The hour figures, in the order of a bucket; how two merge: sums, sums
# of the chart's averages (None without a value: a type without the
# quantity), minima and maxima
SUMS = ['samples', 'flagged', 'gps_jumps', 'stuck_sensors',
    'odometer_backwards', 'out_of_order', 'distance', 'gps_distance',
    'working_hours', 'driving_hours', 'energy_out', 'energy_in',
    'charge_sessions', 'faults', 'alarms', 'harsh_accelerations',
    'harsh_brakings', 'overspeed_hours', 'out_of_area_hours', 'measured']
AVERAGED = ['voltage', 'current', 'soc', 'speed', 'brush_speed', 'vacuum']
TOTALS = [f'{c}_sum' for c in AVERAGED]
MINIMA = ['soc_min', 'water_level_min']
MAXIMA = ['soc_max', 'battery_temp_max', 'motor_temp_max',
    'lift_height_max', 'load_weight_max']
FIGURES = SUMS + TOTALS + MINIMA + MAXIMA
(SAMPLES, FLAGGED, GPS_JUMPS, STUCK_SENSORS, ODOMETER_BACKWARDS,
    OUT_OF_ORDERS, DISTANCE, GPS_DISTANCE, WORKING_HOURS, DRIVING_HOURS,
    ENERGY_OUT, ENERGY_IN, CHARGE_SESSIONS, FAULTS, ALARMS,
    HARSH_ACCELERATIONS, HARSH_BRAKINGS, OVERSPEED_HOURS, OUT_OF_AREA_HOURS,
    MEASURED) = range(len(SUMS))
_TOTALS = range(len(SUMS), len(SUMS) + len(TOTALS))
SOC_MIN, WATER_LEVEL_MIN = range(_TOTALS.stop, _TOTALS.stop + len(MINIMA))
_MINIMA = range(_TOTALS.stop, _TOTALS.stop + len(MINIMA))
(SOC_MAX, BATTERY_TEMP_MAX, MOTOR_TEMP_MAX, LIFT_HEIGHT_MAX,
    LOAD_WEIGHT_MAX) = _MAXIMA = range(_MINIMA.stop, len(FIGURES))
# value column → its total, minimum or maximum in a bucket
_AVERAGED = list(zip(AVERAGED, _TOTALS))
_EXTREMES = [('soc', SOC_MIN, SOC_MAX), ('water_level', WATER_LEVEL_MIN, None),
    ('battery_temp', None, BATTERY_TEMP_MAX),
    ('motor_temp', None, MOTOR_TEMP_MAX),
    ('lift_height', None, LIFT_HEIGHT_MAX),
    ('load_weight', None, LOAD_WEIGHT_MAX)]
# counts are integers, the rest floats (PostgreSQL takes a column as an
# array of one type)
_ZERO = [0.0 if 'hours' in n or 'distance' in n or 'energy' in n else 0
    for n in SUMS] + [None] * (len(FIGURES) - len(SUMS))

# The trip columns of a piece (Trip.extend)
TRIP = ['start', 'end', 'start_latitude', 'start_longitude', 'end_latitude',
    'end_longitude', 'distance', 'duration', 'energy', 'max_speed',
    'harsh_accelerations', 'harsh_brakings', 'state']


class Track:
    """What a vehicle's last accepted report left; times in epoch seconds.
    The slots are the columns of iot.vehicle.track"""
    __slots__ = ('time', 'latitude', 'longitude', 'fix_time', 'gps_rejects',
        'odometer', 'odometer_rejects', 'working_hours', 'speed', 'moving',
        'key_on', 'charging', 'voltage', 'current', 'soc', 'soc_still',
        'voltage_still', 'trip_start', 'trip_moved')

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))
        self.gps_rejects = self.gps_rejects or 0
        self.odometer_rejects = self.odometer_rejects or 0
        self.soc_still = self.soc_still or 0.0
        self.voltage_still = self.voltage_still or 0.0

    def copy(self):
        return Track(**{n: getattr(self, n) for n in self.__slots__})

    def __eq__(self, other):
        return all(getattr(self, n) == getattr(other, n)
            for n in self.__slots__)

    def __repr__(self):
        return 'Track(%s)' % ', '.join(f'{n}={getattr(self, n)!r}'
            for n in self.__slots__ if getattr(self, n) is not None)


class Limits:
    """A vehicle's thresholds: gap (s) beyond which an interval is not
    integrated, speed limit (km/h), harsh acceleration and braking (m/s²),
    long stop (s) that ends a trip, service area circles"""
    __slots__ = ('gap', 'speed', 'acceleration', 'braking', 'stop', 'areas')

    def __init__(self, gap, speed, acceleration, braking, stop, areas=()):
        self.gap = gap
        self.speed = speed
        self.acceleration = acceleration
        self.braking = braking
        self.stop = stop
        self.areas = areas


def bucket():
    return list(_ZERO)


def merge(into, other):
    "Add the figures of bucket other to bucket into"
    for i in range(len(SUMS)):
        into[i] += other[i]
    for i in range(len(SUMS), len(FIGURES)):
        a, b = into[i], other[i]
        if b is None:
            continue
        if a is None:
            into[i] = b
        elif i in _TOTALS:
            into[i] = a + b
        elif b < a if i in _MINIMA else b > a:
            into[i] = b


def _trip(start, latitude, longitude):
    return [start, None, latitude, longitude, None, None, 0.0, 0.0, 0.0,
        None, 0, 0, 'open']


def _close(piece, track, latitude, longitude):
    """End piece, track's open trip, at its last motion, stopped at
    (latitude, longitude); the track forgets the trip"""
    piece[1] = track.trip_moved
    piece[7] = (track.trip_moved - track.trip_start) / 3600
    piece[4], piece[5] = latitude, longitude
    piece[12] = 'closed'
    track.trip_start = track.trip_moved = None


def end_trip(track):
    """The closing piece of track's open trip, ended where the vehicle was
    last seen, for a vehicle that fell silent (no key off, no next report
    to end it)"""
    piece = _trip(track.trip_start, None, None)
    _close(piece, track, track.latitude, track.longitude)
    return piece


def derive(track, reports, limits, skip=()):
    """Clean the reports of one vehicle and derive from them.

    track: the vehicle's Track, moved forward; reports: [(epoch, values,
    key)] in time order, values = {telemetry column: value}; skip: keys
    of reports not to count (not stored: a redelivery).  Returns (flags
    {key: (quality, events)}, {hour number (epoch // 3600): bucket},
    trip pieces [TRIP values, times in epoch seconds])."""
    flags, hours, trips = {}, {}, []
    piece = None  # of the open trip
    gap, stop = limits.gap, limits.stop
    for epoch, values, key in reports:
        counted = key not in skip
        if counted:
            hour = int(epoch // 3600)
            figures = hours.get(hour)
            if figures is None:
                figures = hours[hour] = bucket()
            figures[SAMPLES] += 1
        last = track.time
        if last is not None and epoch <= last:
            flags[key] = (OUT_OF_ORDER, 0)
            if counted:
                figures[FLAGGED] += 1
                figures[OUT_OF_ORDERS] += 1
            continue
        quality = events = 0
        interval = epoch - last if last is not None else None
        within = interval is not None and interval <= gap
        get = values.get
        speed, current = get('speed'), get('current')
        rpm = get('rpm')
        moving = (speed >= MOVING_KMH) if speed is not None else bool(rpm)
        active = moving or (current is not None
            and abs(current) >= STUCK_CURRENT)

        # GPS: a fix implying an impossible speed is a jump
        stood = track.latitude, track.longitude  # before this report
        latitude, longitude = get('latitude'), get('longitude')
        gps_distance = 0.0
        good_fix = False
        if latitude is not None and longitude is not None:
            if track.latitude is None:
                good_fix = True
            elif (latitude != track.latitude
                    or longitude != track.longitude):
                gps_distance = distance_km(track.latitude, track.longitude,
                    latitude, longitude)
                elapsed = max(epoch - track.fix_time, 1.0)
                if (gps_distance > GPS_NOISE_KM and gps_distance * 3600
                        / elapsed > GPS_JUMP_KMH):
                    track.gps_rejects += 1
                    if track.gps_rejects < RELOCATE:
                        quality |= GPS_JUMP
                    else:
                        good_fix = True
                    gps_distance = 0.0
                else:
                    good_fix = True
            else:
                good_fix = True
            if good_fix:
                track.latitude, track.longitude = latitude, longitude
                track.fix_time = epoch
                track.gps_rejects = 0

        # Odometer and hour meter
        distance = 0.0
        odometer = get('odometer')
        if odometer is not None:
            if track.odometer is None:
                track.odometer = odometer
            elif odometer < track.odometer:
                track.odometer_rejects += 1
                if track.odometer_rejects < RELOCATE:
                    quality |= ODOMETER_BACK
                else:
                    track.odometer, track.odometer_rejects = odometer, 0
            else:
                distance = odometer - track.odometer
                track.odometer, track.odometer_rejects = odometer, 0
        working = 0.0
        meter = get('working_hours')
        if meter is not None:
            if track.working_hours is not None and meter > track.working_hours:
                working = meter - track.working_hours
            track.working_hours = meter

        # Stuck sensors: a value that stays while the vehicle works
        soc, voltage = get('soc'), get('voltage')
        if soc is not None:
            if soc == track.soc:
                if within and active:
                    track.soc_still += interval
                if track.soc_still >= STUCK_AFTER:
                    quality |= STUCK
            else:
                track.soc_still = 0.0
        energy = 0.0
        if voltage is not None:
            if voltage == track.voltage:
                if within and active:
                    track.voltage_still += interval
                if track.voltage_still >= STUCK_AFTER:
                    quality |= STUCK
            else:
                track.voltage_still = 0.0
            if (within and current is not None and track.current is not None
                    and track.voltage is not None and not quality & STUCK):
                energy = (track.voltage * track.current + voltage * current
                    ) / 2 * interval * KWH

        # Driving events
        if within and speed is not None and track.speed is not None:
            acceleration = (speed - track.speed) / 3.6 / interval
            if acceleration >= limits.acceleration:
                events |= HARSH_ACCELERATION
            elif -acceleration >= limits.braking:
                events |= HARSH_BRAKING
        if speed is not None and speed > limits.speed:
            events |= OVERSPEED
        if good_fix and limits.areas and outside(
                latitude, longitude, limits.areas) > 0:
            events |= OUT_OF_AREA
        key_on = get('key_on')
        charging = get('charging')
        flags[key] = (quality, events)

        if counted:
            if quality:
                figures[FLAGGED] += 1
                if quality & GPS_JUMP:
                    figures[GPS_JUMPS] += 1
                if quality & STUCK:
                    figures[STUCK_SENSORS] += 1
                if quality & ODOMETER_BACK:
                    figures[ODOMETER_BACKWARDS] += 1
            figures[DISTANCE] += distance
            figures[GPS_DISTANCE] += gps_distance
            figures[WORKING_HOURS] += working
            if energy > 0:
                figures[ENERGY_OUT] += energy
            elif energy < 0:
                figures[ENERGY_IN] -= energy
            if charging and not track.charging:
                figures[CHARGE_SESSIONS] += 1
            if get('fault_code') or get('bms_faults'):
                figures[FAULTS] += 1
            if events & HARSH_ACCELERATION:
                figures[HARSH_ACCELERATIONS] += 1
            elif events & HARSH_BRAKING:
                figures[HARSH_BRAKINGS] += 1
            if within:
                if key_on and (moving or track.moving):
                    figures[DRIVING_HOURS] += interval / 3600
                if events & OVERSPEED:
                    figures[OVERSPEED_HOURS] += interval / 3600
                if events & OUT_OF_AREA:
                    figures[OUT_OF_AREA_HOURS] += interval / 3600
            if not quality:
                # the chart's averages and extremes: clean reports only
                figures[MEASURED] += 1
                for column, index in _AVERAGED:
                    value = get(column)
                    if value is not None:
                        total = figures[index]
                        figures[index] = value if total is None else (
                            total + value)
                for column, low, high in _EXTREMES:
                    value = get(column)
                    if value is None:
                        continue
                    if low is not None and (figures[low] is None
                            or value < figures[low]):
                        figures[low] = value
                    if high is not None and (figures[high] is None
                            or value > figures[high]):
                        figures[high] = value

        # Trips: from key on (or motion) to key off or a long stop
        if track.trip_start is not None and (
                (interval is not None and interval > stop)
                or (not moving and epoch - track.trip_moved > stop)):
            if piece is None:
                piece = _trip(track.trip_start, None, None)
                trips.append(piece)
            _close(piece, track, *stood)
            piece = None
        if track.trip_start is None and key_on is not False and (
                key_on or moving) and (moving or not track.key_on):
            piece = _trip(epoch, track.latitude, track.longitude)
            track.trip_start = track.trip_moved = epoch
            trips.append(piece)
            if speed is not None:
                piece[9] = speed
        elif track.trip_start is not None:
            if piece is None:
                piece = _trip(track.trip_start, None, None)
                trips.append(piece)
            if counted:
                piece[6] += distance
                if energy > 0:
                    piece[8] += energy
                if events & HARSH_ACCELERATION:
                    piece[10] += 1
                elif events & HARSH_BRAKING:
                    piece[11] += 1
            if speed is not None and (piece[9] is None or speed > piece[9]):
                piece[9] = speed
            if moving:
                track.trip_moved = epoch
            piece[7] = (epoch - track.trip_start) / 3600
            if key_on is False:
                piece[1] = epoch
                piece[4], piece[5] = track.latitude, track.longitude
                piece[12] = 'closed'
                piece = None
                track.trip_start = track.trip_moved = None

        track.time = epoch
        if speed is not None:
            track.speed = speed
        track.moving = moving
        if key_on is not None:
            track.key_on = key_on
        if charging is not None:
            track.charging = charging
        if soc is not None:
            track.soc = soc
        if voltage is not None:
            track.voltage = voltage
        track.current = current
    return flags, hours, trips

