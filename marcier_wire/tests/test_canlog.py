# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""CAN logs of the three vehicle types written with python-can's writers
from frames cantools encodes, read back by marcier_wire.canlog."""
import can
import pytest

from marcier_wire import canlog, mapping

WRITERS = {
    'candump': ('trace.log', can.CanutilsLogWriter),
    'asc': ('trace.asc', can.ASCWriter),
    'blf': ('trace.blf', can.BLFWriter),
    }
START = 1767225600.0


def frame(database, name, signals, timestamp, **choices):
    message = database.get_message_by_name(name)
    return can.Message(timestamp=timestamp, arbitration_id=message.frame_id,
        is_extended_id=message.is_extended_frame, is_fd=message.is_fd,
        bitrate_switch=message.is_fd, data=message.encode(signals),
        channel=0)


def trace(kind, database):
    "Frames of one vehicle type, then one a foreign ECU sends"
    if kind == 'vehicle':
        frames = [
            frame(database, 'BMS_Pack', {'PackVoltage': 76.8,
                'PackCurrent': -12.5, 'SoC': 63.5, 'PackPower': -0.96},
                START),
            frame(database, 'GPS_Position', {'Latitude': 31.2304,
                'Longitude': 121.4737}, START + 0.1),
            ]
        expected = [{'v': 76.8, 'i': -12.5, 'soc': 63.5},
            {'lat': 31.2304, 'lon': 121.4737}]
    elif kind == 'forklift':
        frames = [
            frame(database, 'TRK_Hydraulic', {'LiftHeight': 2350,
                'LoadWeight': 85, 'TiltAngle': 2.5, 'PumpMotorRpm': 1800},
                START),
            frame(database, 'BMS_Temps', {'TempPage': 1, 'MotorTemp': 66,
                'CtrlTemp': 48}, START + 0.1),
            ]
        expected = [{'lift': 2.35, 'load': 850, 'tilt': 2.5},
            {'mt': 66, 'ct': 48}]
    else:
        frames = [
            frame(database, 'Sweeper_Status', {'MainBrushRpm': 1100,
                'SideBrushRpm': 120, 'MainBrushCurrent': 12.5,
                'CleanWaterLevel': 62.5, 'DirtyWaterLevel': 20,
                'VacuumPressure': 180.5, 'SqueegeeDown': 1,
                'DetergentLevel': 40, 'WorkArea': 5120.5,
                'FilterDeltaP': 300}, START),
            frame(database, 'Batt_Info', {'HVBattVolt': 48.25,
                'HVBattCurr': -30.5, 'BattSOC': 88.5, 'BattTmax': 35,
                'BattTmin': -5}, START + 0.1),
            ]
        expected = [{'brush': 1100, 'water': 62.5, 'vac': 18.05},
            {'v': 48.25, 'i': -30.5, 'soc': 88.5, 'tmax': 35, 'tmin': -5}]
    foreign = can.Message(timestamp=START + 0.2, arbitration_id=0x7E8,
        is_extended_id=False, data=bytes(8), channel=0)
    return frames + [foreign, frames[0]], expected + [expected[0]]


def write(tmp_path, format_, frames):
    name, writer = WRITERS[format_]
    path = tmp_path / name
    with writer(path) as log:
        for message in frames:
            log.on_message_received(message)
    return path.read_bytes()


@pytest.mark.parametrize('format_', WRITERS)
@pytest.mark.parametrize('kind', ['vehicle', 'forklift', 'sweeper'])
def test_decode_log(tmp_path, loaded, format_, kind):
    database = loaded[kind].database
    frames, expected = trace(kind, database)
    data = write(tmp_path, format_, frames)
    # the format is told by the content, whatever the file's name
    result = canlog.decode(data, database, mapping.propose(database),
        filename='upload.bin')
    assert result.format == format_
    assert [row.values for row in result.rows] == expected
    assert result.unknown == {'0x7e8': 1}
    assert result.undecodable == {}
    assert result.rows[0].timestamp == pytest.approx(
        START if format_ != 'asc' else 0, abs=0.001)
    assert result.rows[0].frame_id == frames[0].arbitration_id
    assert result.quantities == list(dict.fromkeys(
        q for values in expected for q in values))


@pytest.mark.parametrize('format_', WRITERS)
def test_fd_frame_keeps_its_64_bytes(tmp_path, loaded, format_):
    database = loaded['sweeper'].database
    frames, _ = trace('sweeper', database)
    read = canlog.frames(write(tmp_path, format_, frames))
    assert read[0].is_fd and len(read[0].data) == 64
    assert bytes(read[0].data) == bytes(frames[0].data)


@pytest.mark.parametrize('format_', WRITERS)
def test_extended_ids_survive(tmp_path, loaded, format_):
    database = loaded['forklift'].database
    frames, _ = trace('forklift', database)
    read = canlog.frames(write(tmp_path, format_, frames))
    assert [(f.arbitration_id, f.is_extended_id) for f in read] == [
        (0x18FF1121, True), (0x18FF3021, True), (0x7E8, False),
        (0x18FF1121, True)]


def test_lines(tmp_path, loaded):
    database = loaded['forklift'].database
    frames, _ = trace('forklift', database)
    result = canlog.decode(write(tmp_path, 'blf', frames), database,
        mapping.propose(database))
    assert result.lines() == [
        '   0.000s 0x18ff1121 TRK_Hydraulic: lift=2.35 m  load=850 kg  '
        'tilt=2.5 deg',
        '   0.100s 0x18ff3021 BMS_Temps: mt=66 degC  ct=48 degC',
        '   0.000s 0x18ff1121 TRK_Hydraulic: lift=2.35 m  load=850 kg  '
        'tilt=2.5 deg',
        '0x7e8: 1 frames not in the DBC',
        ]


def test_extras_in_rows(tmp_path, loaded):
    database = loaded['sweeper'].database
    frames, _ = trace('sweeper', database)
    result = canlog.decode(write(tmp_path, 'candump', frames), database,
        mapping.propose(database))
    assert result.rows[0].extra['Sweeper_Status.WorkArea'] == 5120.5
    assert result.rows[0].extra['Sweeper_Status.SqueegeeDown'] == 1


def test_limit_counts_frames_read(tmp_path, loaded):
    database = loaded['vehicle'].database
    frames, expected = trace('vehicle', database)
    data = write(tmp_path, 'blf', frames * 10)
    assert len(canlog.frames(data, limit=5)) == 5
    result = canlog.decode(data, database, mapping.propose(database),
        limit=3)
    assert [r.values for r in result.rows] == expected[:2]
    assert result.unknown == {'0x7e8': 1}


def test_short_frame_gives_what_it_carries(loaded):
    database = loaded['vehicle'].database
    # candump -L lines written by hand: BMS_Pack with 4 of its 8 bytes
    # (PackVoltage 0x0300, PackCurrent 0x0083), then with 1 byte (no
    # whole signal)
    data = (b'(1767225600.000000) can0 100#00038300\n'
        b'(1767225600.100000) can0 100#00\n')
    result = canlog.decode(data, database, mapping.propose(database))
    assert [r.values for r in result.rows] == [{'v': 76.8, 'i': 13.1}, {}]


def test_undecodable_frames_are_counted(loaded):
    database = loaded['forklift'].database
    # BMS_Temps page 7 does not exist
    data = b'(1767225600.000000) can0 18FF3021#0700000000000000\n'
    result = canlog.decode(data, database, mapping.propose(database))
    assert result.rows == [] and result.undecodable == {'BMS_Temps': 1}


def test_format_from_file_name_when_content_says_nothing():
    assert canlog.sniff(b'\n', 'trace.ASC') == 'asc'
    with pytest.raises(canlog.LogError) as info:
        canlog.sniff(b'id,data\n1,00\n', 'trace.csv')
    assert str(info.value) == \
        'not a CAN log: expected candump -L, Vector ASC or BLF'


def test_damaged_blf(tmp_path, loaded):
    database = loaded['vehicle'].database
    frames, _ = trace('vehicle', database)
    data = write(tmp_path, 'blf', frames)
    with pytest.raises(canlog.LogError) as info:
        canlog.frames(data[:200])
    assert str(info.value) == 'no CAN data frame in this blf log'


def test_garbage_candump_lines():
    with pytest.raises(canlog.LogError) as info:
        canlog.frames(b'(1767225600.000000) can0 100#zz\n')
    assert str(info.value).startswith('unreadable candump log: ')
    assert '\n' not in str(info.value)
