"""CAN decoding and the compact telemetry format (SPEC F1, F3): round trips
of every DBC message, fuzzed frames and payloads never crash."""
import json
import time

import can
import cantools
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marcier_wire import frames as dbc
from marcier_wire import payload as telemetry
from marcier_wire import profile
from marcier_wire.payload import Reject


def physical(signal, draw):
    "A value the signal can carry exactly, drawn by hypothesis"
    low = signal.minimum if signal.minimum is not None else 0
    high = signal.maximum if signal.maximum is not None else 1
    raw_low = signal.conversion.numeric_scaled_to_raw(low)
    raw_high = signal.conversion.numeric_scaled_to_raw(high)
    raw = draw(st.integers(int(raw_low), int(raw_high)))
    return signal.conversion.raw_to_scaled(raw, decode_choices=False)


@pytest.mark.parametrize('message', [m.name for m in dbc.database().messages])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_round_trip(message, data):
    "Every message decodes back to what was encoded, for any legal values"
    definition = dbc.message(message)
    values = {s.name: physical(s, data.draw) for s in definition.signals}
    name, decoded = dbc.decode(dbc.encode(message, values))
    assert name == message
    for signal in definition.signals:
        assert decoded[signal.name] == pytest.approx(
            values[signal.name], abs=signal.scale / 2), signal.name


def test_dbc_covers_the_vehicle_controller():
    names = {m.name: {s.name for s in m.signals}
        for m in dbc.database().messages}
    assert {'PackVoltage', 'PackCurrent', 'SoC'} <= names['BMS_Pack']
    assert {'CellTempMax', 'CellTempMin'} <= names['BMS_Temperatures']
    assert set(telemetry.BMS_FAULTS) == names['BMS_Faults']
    assert {'Latitude', 'Longitude'} <= names['GPS_Position']
    assert {'Speed', 'Heading'} <= names['GPS_Motion']
    assert {'MotorRpm', 'MotorTemp', 'FaultCode'} <= names['Motor_Status']
    assert {'KeyOn', 'Odometer', 'WorkingHours', 'Charging'} <= names[
        'Vehicle_Status']
    assert dbc.choice('Motor_Status', 'FaultCode', 4097) == 'OVERCURRENT'


@settings(max_examples=500, deadline=None)
@given(arbitration_id=st.integers(0, 0x7FF),
    data=st.binary(min_size=0, max_size=8))
def test_random_frames_decode_or_raise_known_errors(arbitration_id, data):
    frame = can.Message(arbitration_id=arbitration_id, data=data,
        is_extended_id=False)
    try:
        name, signals = dbc.decode(frame)
    except (dbc.UnknownFrame, cantools.database.DecodeError):
        return
    assert dbc.message(name).frame_id == arbitration_id
    assert set(signals) == {s.name for s in dbc.message(name).signals}


def decoded(frames):
    """(quantities, other signals) the built-in vehicle's gateway keeps of
    frames {message: signals}"""
    decoder = profile.builtin().decoder()
    values, extra = {}, {}
    for name, signals in frames.items():
        result = decoder.decode_frame(dbc.encode(name, signals))
        values.update(result.values)
        extra.update(result.extra)
    return values, extra


def test_report_from_frames_parses_back():
    now = time.time()
    values, extra = decoded({
            'BMS_Pack': {'PackVoltage': 76.8, 'PackCurrent': -12.5,
                'SoC': 55.5, 'PackPower': 0},
            'BMS_Faults': {'OverVoltage': 0, 'UnderVoltage': 0,
                'OverCurrent': 1, 'OverTemperature': 0,
                'UnderTemperature': 0, 'CellImbalance': 0,
                'InsulationFault': 1, 'CommunicationLoss': 0},
            'GPS_Position': {'Latitude': 31.2304, 'Longitude': 121.4737},
            'GPS_Motion': {'Speed': 20.5, 'Heading': 91.25, 'Satellites': 8,
                'FixValid': 1},
            })
    timestamp, values, extra = telemetry.parse(
        telemetry.report(now, values, extra), now)
    assert timestamp == pytest.approx(now, abs=0.001)
    assert values['voltage'] == 76.8
    assert values['current'] == -12.5
    assert values['soc'] == 55.5
    assert values['bms_faults'] == (1 << 2) | (1 << 6)
    assert values['latitude'] == pytest.approx(31.2304)
    assert values['speed'] == 20.5
    assert values['fault_code'] is None  # no Motor_Status frame seen yet
    # every other signal is kept
    assert extra['GPS_Motion.Satellites'] == 8
    assert extra['BMS_Faults.OverCurrent'] == 1
    assert set(extra) >= {'BMS_Pack.PackPower', 'GPS_Motion.FixValid'}


def test_report_without_gps_fix_has_no_position():
    values, extra = decoded({
            'BMS_Pack': {'PackVoltage': 70, 'PackCurrent': 0, 'SoC': 50,
                'PackPower': 0},
            'GPS_Position': {'Latitude': 0, 'Longitude': 0},
            'GPS_Motion': {'Speed': 0, 'Heading': 0, 'Satellites': 0,
                'FixValid': 0},
            })
    payload = json.loads(telemetry.report(time.time(), values, extra))
    assert 'lat' not in payload and 'lon' not in payload


def test_payload_schema_version():
    """Reports carry the schema version; the first gateways' had none and
    always sent the battery (version 1); version 2 has the other signals"""
    now = time.time()
    payload = json.loads(telemetry.report(now, *decoded({'BMS_Pack': {
                    'PackVoltage': 70, 'PackCurrent': 0, 'SoC': 50,
                    'PackPower': 0}})))
    assert payload['ver'] == telemetry.VERSION == 2
    assert payload['x'] == {'BMS_Pack.PackPower': 0}
    old = {k: v for k, v in payload.items() if k not in {'ver', 'x'}}
    assert telemetry.parse(json.dumps(old), now)[1]['soc'] == 50
    with pytest.raises(Reject, match='missing i'):
        telemetry.parse(json.dumps(
                {k: v for k, v in old.items() if k != 'i'}), now)
    # a type without a battery signal still reports (version 2)
    assert telemetry.parse(json.dumps({'ts': now, 'ver': 2, 'lift': 1.5}),
        now)[1]['lift_height'] == 1.5
    for version in [3, 0, '1', None, 1.0, True]:
        with pytest.raises(Reject, match='unsupported version'):
            telemetry.parse(json.dumps({**payload, 'ver': version}), now)


def test_type_ranges_and_other_signals():
    "A vehicle type's ranges narrow the platform's; other signals checked"
    now = time.time()
    report = {'ts': now, 'ver': 2, 'spd': 40.0, 'x': {'Hyd.Pump': 1200}}
    assert telemetry.parse(json.dumps(report), now)[2] == {'Hyd.Pump': 1200}
    with pytest.raises(Reject) as caught:
        telemetry.parse(json.dumps(report), now, {'spd': (0, 25)})
    assert caught.value.reason == 'range'
    assert 'spd=40.0 outside [0, 25]' in caught.value.detail
    for extra in [[1], {'a': [1]}, {'a': float('inf')}, {'a': 'x' * 65},
            {'x' * 129: 1}, {f's{n}': n for n in range(513)}]:
        with pytest.raises(Reject) as caught:
            telemetry.parse(json.dumps({**report, 'x': extra}), now)
        assert caught.value.reason == 'malformed', extra


@pytest.mark.parametrize('payload, reason', [
        (b'not json', 'malformed'),
        (b'[1, 2]', 'malformed'),
        (b'{"v": 1, "i": 1, "soc": 1}', 'malformed'),
        (b'{"ts": "x", "v": 1, "i": 1, "soc": 1}', 'malformed'),
        (b'{"ts": NaN, "v": 1, "i": 1, "soc": 1}', 'malformed'),
        (b'{"ts": %d, "v": true, "i": 1, "soc": 1}', 'malformed'),
        (b'{"ts": %d, "v": 1, "i": 1, "soc": 101}', 'range'),
        (b'{"ts": %d, "v": 1, "i": 1, "soc": 50, "lat": 91}', 'range'),
        (b'{"ts": %d, "v": 1, "i": 1, "soc": 50, "fc": 1.5}', 'malformed'),
        (b'{"ts": 99999999999, "v": 1, "i": 1, "soc": 50}', 'future'),
        (b'{"ts": 1000, "v": 1, "i": 1, "soc": 50}', 'past'),
        (b'\xff\xfe', 'malformed'),
        ])
def test_bad_payloads_are_rejected_with_a_reason(payload, reason):
    now = time.time()
    if b'%d' in payload:
        payload = payload % int(now)
    with pytest.raises(Reject) as caught:
        telemetry.parse(payload, now)
    assert caught.value.reason == reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10)


@settings(max_examples=500, deadline=None)
@given(st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries({'ts': st.floats(), 'v': json_values,
                'i': st.floats(), 'soc': st.floats()},
            optional={k: json_values | st.floats()
                for k in ['lat', 'lon', 'fc', 'key', 'bf', 'odo', 'lift',
                    'x', 'ver']},
            ).map(lambda d: json.dumps(d).encode())))
def test_fuzzed_payloads_parse_or_reject(payload):
    "Whatever arrives, parse returns valid values or raises Reject"
    now = time.time()
    try:
        timestamp, values, extra = telemetry.parse(payload, now)
    except Reject as reject:
        assert reject.reason in dict(telemetry.REJECT_REASONS)
        return
    for field in telemetry.FIELDS:
        value = values[field.column]
        assert value is None or field.low <= value <= field.high
    assert extra is None or isinstance(extra, dict)
