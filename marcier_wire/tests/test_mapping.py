# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import json

import pytest

from marcier_wire import dbc, mapping


def proposed(result):
    return {key: (e.message, e.signal, e.factor, e.offset)
        for key, e in mapping.propose(result.database).entries.items()}


def test_propose_current_vehicle(loaded):
    assert proposed(loaded['vehicle']) == {
        'lat': ('GPS_Position', 'Latitude', 1, 0),
        'lon': ('GPS_Position', 'Longitude', 1, 0),
        'spd': ('GPS_Motion', 'Speed', 1, 0),
        'hdg': ('GPS_Motion', 'Heading', 1, 0),
        'soc': ('BMS_Pack', 'SoC', 1, 0),
        'v': ('BMS_Pack', 'PackVoltage', 1, 0),
        'i': ('BMS_Pack', 'PackCurrent', 1, 0),
        'tmax': ('BMS_Temperatures', 'CellTempMax', 1, 0),
        'tmin': ('BMS_Temperatures', 'CellTempMin', 1, 0),
        'mt': ('Motor_Status', 'MotorTemp', 1, 0),
        'ct': ('Motor_Status', 'ControllerTemp', 1, 0),
        'fc': ('Motor_Status', 'FaultCode', 1, 0),
        'odo': ('Vehicle_Status', 'Odometer', 1, 0),
        'wh': ('Vehicle_Status', 'WorkingHours', 1, 0),
        'key': ('Vehicle_Status', 'KeyOn', 1, 0),
        'chg': ('Vehicle_Status', 'Charging', 1, 0),
        'lock': ('Vehicle_Status', 'DriveLocked', 1, 0),
        'rpm': ('Motor_Status', 'MotorRpm', 1, 0),
        }


def test_propose_forklift_from_chinese_comments_and_units(loaded):
    assert proposed(loaded['forklift']) == {
        'lat': ('GNSS_Pos', 'Lat', 1, 0),
        'lon': ('GNSS_Pos', 'Lon', 1, 0),
        'spd': ('TRK_Drive', 'TruckSpeed', 3.6, 0),  # m/s
        'soc': ('BMS_Status', 'SOC', 1, 0),
        'v': ('BMS_Status', 'BatVolt', 0.1, 0),  # 单位0.1V
        'i': ('BMS_Status', 'BatCurr', 0.1, 0),
        'tmax': ('BMS_Temps', 'BatTempHigh', 1, 0),
        'tmin': ('BMS_Temps', 'BatTempLow', 1, 0),
        'mt': ('BMS_Temps', 'MotorTemp', 1, 0),
        'ct': ('BMS_Temps', 'CtrlTemp', 1, 0),
        'fc': ('TRK_Diag', 'ErrCode', 1, 0),
        'odo': ('TRK_Diag', 'TotalDist', 0.001, 0),  # m
        'wh': ('TRK_Drive', 'HourMeter', 1 / 60, 0),  # 单位：min
        'key': ('TRK_Drive', 'KeySwitch', 1, 0),
        'chg': ('BMS_Status', 'ChgSts', 1, 0),
        'lock': ('TRK_Drive', 'TractionInhibit', 1, 0),  # 远程锁车
        'rpm': ('TRK_Drive', 'TractionMotorRpm', 1, 0),
        'lift': ('TRK_Hydraulic', 'LiftHeight', 0.001, 0),  # 单位mm
        'load': ('TRK_Hydraulic', 'LoadWeight', 10, 0),  # 单位10kg
        'tilt': ('TRK_Hydraulic', 'TiltAngle', 1, 0),
        }


def test_propose_sweeper_from_abbreviations(loaded):
    assert proposed(loaded['sweeper']) == {
        'lat': ('GNSS', 'GNSS_Lat', 1, 0),
        'lon': ('GNSS', 'GNSS_Lon', 1, 0),
        'spd': ('VCU_Info', 'VehSpd', 1, 0),
        'hdg': ('GNSS_Motion', 'Course', 1, 0),
        'soc': ('Batt_Info', 'BattSOC', 1, 0),
        'v': ('Batt_Info', 'HVBattVolt', 1, 0),
        'i': ('Batt_Info', 'HVBattCurr', 1, 0),
        'tmax': ('Batt_Info', 'BattTmax', 1, 0),
        'tmin': ('Batt_Info', 'BattTmin', 1, 0),
        'mt': ('Drive_Info', 'DriveMotTemp', 1, 0),
        'ct': ('Drive_Info', 'DriveCtlTemp', 1, 0),
        'fc': ('Drive_Info', 'ActiveFault', 1, 0),
        'odo': ('VCU_Info', 'Odo', 1, 0),
        'wh': ('VCU_Info', 'OpHours', 1, 0),
        'key': ('VCU_Info', 'IgnSw', 1, 0),
        'chg': ('VCU_Info', 'ChrgActive', 1, 0),
        'lock': ('VCU_Info', 'RemoteLock', 1, 0),
        'rpm': ('Drive_Info', 'DriveMotRpm', 1, 0),
        'brush': ('Sweeper_Status', 'MainBrushRpm', 1, 0),
        'water': ('Sweeper_Status', 'CleanWaterLevel', 1, 0),
        'vac': ('Sweeper_Status', 'VacuumPressure', 0.1, 0),  # mbar
        }


def test_proposal_confidence(loaded):
    entries = mapping.propose(loaded['sweeper'].database).entries
    assert all(mapping.THRESHOLD <= e.confidence <= 1
        for e in entries.values())
    # a Chinese comment and a unit beat a bare abbreviation
    forklift = mapping.propose(loaded['forklift'].database).entries
    assert forklift['v'].confidence > entries['fc'].confidence


def test_proposal_leaves_out_commands_enumerations_and_lookalikes(loaded):
    vehicle = mapping.propose(loaded['vehicle'].database)
    signals = {(e.message, e.signal) for e in vehicle.entries.values()}
    assert ('GW_Command', 'DriveLockRequest') not in signals
    forklift = mapping.propose(loaded['forklift'].database)
    assert 'hdg' not in forklift.entries  # DriveDirection is an enum
    sweeper = mapping.propose(loaded['sweeper'].database).entries
    assert sweeper['i'].signal != 'MainBrushCurrent'


@pytest.mark.parametrize('spelled, parsed', [
    ('km/h', ('km/h', 1, 0)), ('m/s', ('km/h', 3.6, 0)),
    ('0.1V', ('V', 0.1, 0)), ('0.1 km/h', ('km/h', 0.1, 0)),
    ('mm', ('m', 0.001, 0)), ('10kg', ('kg', 10, 0)), ('℃', ('degC', 1, 0)),
    ('K', ('degC', 1, -273.15)), ('mbar', ('kPa', 0.1, 0)),
    ('min', ('h', 1 / 60, 0)), ('furlong', None), ('', None),
    ])
def test_parse_unit(spelled, parsed):
    assert mapping.parse_unit(spelled) == parsed


def test_unit_from_comment(loaded):
    hydraulic = loaded['forklift'].database.get_message_by_name(
        'TRK_Hydraulic')
    assert mapping.signal_unit(hydraulic.get_signal_by_name('LiftHeight')) \
        == 'mm'
    # the unit field wins over the comment
    assert mapping.signal_unit(hydraulic.get_signal_by_name('TiltAngle')) \
        == 'deg'


def test_json_round_trip(loaded):
    proposal = mapping.propose(loaded['forklift'].database)
    proposal.ranges['lift'] = (0, 6)
    text = proposal.to_json()
    data = json.loads(text)
    assert data['version'] == mapping.VERSION
    assert data['ranges'] == {'lift': [0, 6]}  # only what differs
    again = mapping.Mapping.from_json(text)
    assert again == proposal
    assert again.ranges['lift'] == (0, 6)
    assert again.entries['wh'].factor == pytest.approx(1 / 60)


def test_json_refuses_other_versions_and_unknown_quantities():
    with pytest.raises(ValueError, match='version 2'):
        mapping.Mapping.from_json('{"version": 2, "entries": []}')
    with pytest.raises(ValueError, match='unknown quantities: warp'):
        mapping.Mapping([mapping.Entry('warp', 'A', 'S')])


def test_check_names_missing_messages_and_signals(loaded):
    edited = mapping.Mapping([
        mapping.Entry('soc', 'BMS_Pack', 'SoC'),
        mapping.Entry('v', 'BMS_Pack', 'Voltage'),
        mapping.Entry('i', 'Battery', 'Current'),
        ])
    assert edited.check(loaded['vehicle'].database) == [
        'v: no signal Voltage in message BMS_Pack', 'i: no message Battery']


def test_check_ranges_and_factors(loaded):
    edited = mapping.Mapping([
        mapping.Entry('soc', 'BMS_Pack', 'SoC', factor=0),
        mapping.Entry('v', 'BMS_Pack', 'PackVoltage', offset=float('nan')),
        ], {'soc': (100, 0)})
    assert edited.check(loaded['vehicle'].database) == [
        'soc: low above high',
        'soc: factor and offset must be finite, the factor not 0',
        'v: factor and offset must be finite, the factor not 0']


def test_decode_current_vehicle(decoders, loaded):
    database = loaded['vehicle'].database
    status = database.get_message_by_name('Vehicle_Status')
    data = status.encode({'KeyOn': 1, 'Charging': 0, 'DriveLocked': 1,
        'Gear': 1, 'Odometer': 8421.3, 'WorkingHours': 912.4})
    decoded = decoders['vehicle'].decode(status.frame_id, data)
    assert decoded.message == 'Vehicle_Status'
    assert decoded.values == {'key': True, 'chg': False, 'lock': True,
        'odo': 8421.3, 'wh': 912.4}
    assert decoded.extra == {'Vehicle_Status.Gear': 1}


def test_decode_forklift_signed_big_endian_with_unit_conversion(decoders):
    # written by hand: BatVolt 0x01F4 = 500 (0.1 V), BatCurr 0xFB2E = -1234
    # (0.1 A, big-endian signed), SOC 80, ChgSts bit 40, fault level 2
    data = bytes([0x01, 0xF4, 0xFB, 0x2E, 80, 0x21, 0, 0])
    decoded = decoders['forklift'].decode(0x18FF2021, data, extended=True)
    assert decoded.values == {'v': 50.0, 'i': -123.4, 'soc': 80,
        'chg': True}
    assert decoded.extra == {'BMS_Status.BatFaultLevel': 2}


def test_decode_forklift_hydraulics(decoders):
    # LiftHeight 1500 mm, LoadWeight 120 x 10 kg, TiltAngle -35 x 0.1 deg
    # (0xFFDD), PumpMotorRpm 2200
    data = bytes([0x05, 0xDC, 0x00, 0x78, 0xFF, 0xDD, 0x08, 0x98])
    decoded = decoders['forklift'].decode(0x18FF1121, data, extended=True)
    assert decoded.values == {'lift': 1.5, 'load': 1200, 'tilt': -3.5}
    assert decoded.extra == {'TRK_Hydraulic.PumpMotorRpm': 2200}


def test_decode_forklift_multiplexed_pages(decoders):
    decoder = decoders['forklift']
    battery = decoder.decode(0x18FF3021, bytes([0, 71, 65, 0, 0, 0, 0, 0]))
    assert battery.values == {'tmax': 31, 'tmin': 25}
    assert battery.extra == {'BMS_Temps.TempPage': 0}
    motor = decoder.decode(0x18FF3021, bytes([1, 120, 95, 0, 0, 0, 0, 0]))
    assert motor.values == {'mt': 80, 'ct': 55}


def test_decode_forklift_minutes_to_hours(decoders):
    # HourMeter: 24 bits big-endian from byte 5 = 0x00_0E_10 = 3600 min
    data = bytes([0, 0, 0, 0, 0x04, 0x00, 0x0E, 0x10])
    decoded = decoders['forklift'].decode(0x18FF1021, data)
    assert decoded.values['wh'] == 60.0
    assert decoded.values['key'] is True  # bit 34


def test_decode_sweeper_fd_frame(decoders, loaded):
    status = loaded['sweeper'].database.get_message_by_name('Sweeper_Status')
    data = bytearray(64)
    data[0:2] = (1200).to_bytes(2, 'little')  # MainBrushRpm
    data[2:4] = (150).to_bytes(2, 'little')  # SideBrushRpm
    data[6] = 150  # CleanWaterLevel 0.5 % -> 75 %
    data[7] = 20  # DirtyWaterLevel -> 10 %
    data[8:10] = (250).to_bytes(2, 'little')  # VacuumPressure 25 mbar
    data[32:36] = (123456).to_bytes(4, 'little')  # WorkArea 12345.6 m2
    data[60:62] = (840).to_bytes(2, 'little')  # FilterDeltaP, bit 480
    decoded = decoders['sweeper'].decode(status.frame_id, bytes(data))
    assert decoded.values == {'brush': 1200, 'water': 75.0, 'vac': 2.5}
    assert decoded.extra == {
        'Sweeper_Status.SideBrushRpm': 150,
        'Sweeper_Status.MainBrushCurrent': 0,
        'Sweeper_Status.DirtyWaterLevel': 10.0,
        'Sweeper_Status.SqueegeeDown': 0,
        'Sweeper_Status.DetergentLevel': 0,
        'Sweeper_Status.WorkArea': 12345.6,
        'Sweeper_Status.FilterDeltaP': 840,
        }


def test_decode_keeps_fault_codes_as_numbers(decoders, loaded):
    drive = loaded['sweeper'].database.get_message_by_name('Drive_Info')
    data = drive.encode({'DriveMotRpm': -1500, 'DriveMotTemp': 60,
        'DriveCtlTemp': 45, 'ActiveFault': 'VACUUM_MOTOR_FAULT'})
    decoded = decoders['sweeper'].decode(drive.frame_id, data)
    assert decoded.values == {'rpm': -1500, 'mt': 60, 'ct': 45, 'fc': 513}


def test_decode_refuses_values_out_of_range(decoders):
    # SOC raw 120 % in an 8-bit signal
    decoded = decoders['forklift'].decode(
        0x18FF2021, bytes([0x01, 0xF4, 0, 10, 120, 0, 0, 0]))
    assert decoded.out_of_range == {'soc': 120}
    assert 'soc' not in decoded.values and decoded.values['v'] == 50.0


def test_decode_narrower_range_of_the_type(loaded):
    database = loaded['forklift'].database
    proposal = mapping.propose(database)
    proposal.ranges['lift'] = (0, 1.2)
    decoded = mapping.Decoder(database, proposal).decode(
        0x18FF1121, bytes([0x05, 0xDC, 0, 0, 0, 0, 0, 0]))
    assert decoded.out_of_range == {'lift': 1.5}


def test_decode_unknown_frame(decoders):
    with pytest.raises(mapping.UnknownFrame):
        decoders['sweeper'].decode(0x7FF, bytes(8))


def test_extras_keep_every_unmapped_signal(decoders, loaded):
    # what the map does not name is all in extra, with nothing dropped
    for kind, decoder in decoders.items():
        for message in loaded[kind].database.messages:
            if message.is_multiplexed():
                continue
            decoded = decoder.decode(message.frame_id, bytes(message.length),
                message.is_extended_frame)
            mapped = {e.signal for e in decoder.mapping.entries.values()
                if e.message == message.name}
            names = {s.name for s in message.signals}
            assert {k.split('.', 1)[1] for k in decoded.extra} \
                == names - mapped
            assert set(decoded.values) | set(decoded.out_of_range) == {
                e.quantity for e in decoder.mapping.entries.values()
                if e.message == message.name}


def test_overlapping_signals_decode_one_by_one():
    result = dbc.load(
        'VERSION ""\n\nBU_: ECU\n\nBO_ 5 Pack: 8 ECU\n'
        ' SG_ SoC : 0|8@1+ (1,0) [0|100] "%" ECU\n'
        ' SG_ PackVoltage : 4|16@1+ (0.1,0) [0|100] "V" ECU\n')
    assert not result.strict
    # cantools cannot decode overlapping signals together: one by one,
    # SoC is byte 0 and PackVoltage bits 4..19 = 0x0015
    decoded = mapping.Decoder(result.database, mapping.propose(
        result.database)).decode(5, bytes([0x50, 0x01, 0x20, 0, 0, 0, 0, 0]))
    assert decoded.values == {'soc': 80, 'v': 2.1}
