# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Alarm rules: from a vehicle's latest sample, whether each condition is
on, off or (inside its hysteresis band) unchanged.  Pure functions, so that
the listener evaluates a thousand vehicles per batch cheaply.

A detail is (message, values): the alarm renders it in its reader's
language (iot.alarm.detail)."""
import math

from marcier_wire import frames as dbc
from marcier_wire import payload as telemetry

HYSTERESIS = 5.0  # points of charge / °C between opening and closing
GEOFENCE_MARGIN = 0.05  # a vehicle must come 5 % back inside to close


def low_soc(config, values, areas):
    soc = values.get('soc')
    if soc is None:  # a type without a battery signal
        return None, None, None
    if soc < config.soc_low:
        return True, soc, ('low_soc', {'soc': soc})
    if soc >= config.soc_low + HYSTERESIS:
        return False, soc, None
    return None, soc, None


def over_temperature(config, values, areas):
    hottest = None
    for column, label, limit in [
            ('battery_temp', 'battery', config.battery_temp_high),
            ('motor_temp', 'motor', config.motor_temp_high),
            ('controller_temp', 'controller', config.motor_temp_high)]:
        value = values.get(column)
        if value is None:
            continue
        margin = value - limit
        if hottest is None or margin > hottest[0]:
            hottest = (margin, value, label)
    if hottest is None:
        return None, None, None
    margin, value, label = hottest
    if margin > 0:
        return True, value, (f'{label}_temperature', {'value': value})
    if margin <= -HYSTERESIS:
        return False, value, None
    return None, value, None


def controller_fault(config, values, areas):
    code = values.get('fault_code')
    if code is None:
        return None, None, None
    if code:
        name = dbc.choice('Motor_Status', 'FaultCode', code) or ''
        return True, code, ('controller_fault', {'code': code, 'name': name})
    return False, 0, None


def battery_fault(config, values, areas):
    flags = values.get('bms_faults')
    if flags is None:
        return None, None, None
    if flags:
        names = [n for b, n in enumerate(telemetry.BMS_FAULTS)
            if flags & (1 << b)]
        return True, flags, ('battery_fault', {'faults': names})
    return False, 0, None


def geofence(config, values, areas):
    "areas: (latitude, longitude, radius km) circles of the service area"
    latitude, longitude = values.get('latitude'), values.get('longitude')
    if latitude is None or longitude is None or not areas:
        return None, None, None
    nearest = outside(latitude, longitude, areas)
    if nearest > 0:
        return True, round(nearest, 2), ('geofence', {'km': nearest})
    if nearest <= -GEOFENCE_MARGIN * min(a[2] for a in areas):
        return False, round(nearest, 2), None
    return None, round(nearest, 2), None


def no_data(config, values, areas):
    "A sample has just arrived: the vehicle speaks again"
    return False, None, None


RULES = {
    'low_soc': low_soc,
    'over_temperature': over_temperature,
    'controller_fault': controller_fault,
    'battery_fault': battery_fault,
    'geofence': geofence,
    'no_data': no_data,
    }


def outside(latitude, longitude, areas):
    "km beyond the nearest circle of the service area, negative inside"
    return min(
        distance_km(latitude, longitude, a[0], a[1]) - a[2] for a in areas)


def distance_km(lat1, lon1, lat2, lon2):
    "Great-circle distance (haversine)"
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(
        dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def evaluate(config, values, areas):
    "{kind: (on, value, detail)} for the rules that have an opinion"
    result = {}
    for kind, rule in RULES.items():
        on, value, detail = rule(config, values, areas)
        if on is not None:
            result[kind] = (on, value, detail)
    return result
