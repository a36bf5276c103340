# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import ast
import pathlib
import subprocess
import sys

import pytest

from marcier_wire import dbc, mapping

from .conftest import dbc_bytes

ROOT = pathlib.Path(__file__).parents[2]
HEADER = 'VERSION ""\n\nNS_ :\n\nBS_:\n\nBU_: ECU GW\n\n'  # 8 lines


def load(body):
    return dbc.load(HEADER + body)


def test_current_vehicle_loads_strictly(loaded):
    result = loaded['vehicle']
    assert result.strict and result.warnings == []
    assert result.summary == {'messages': 8, 'signals': 35, 'extended': 0,
        'fd': 0, 'multiplexed': 0}


def test_forklift_extended_multiplexed_chinese(loaded):
    result = loaded['forklift']
    assert result.strict and result.warnings == []
    assert result.summary == {'messages': 6, 'signals': 25, 'extended': 6,
        'fd': 0, 'multiplexed': 1}
    drive = result.database.get_message_by_name('TRK_Drive')
    assert drive.is_extended_frame and drive.frame_id == 0x18FF1021
    assert drive.get_signal_by_name('HourMeter').comment == \
        '累计工作时间，单位：min'


def test_sweeper_loads_leniently_with_its_value_table_warnings(loaded):
    result = loaded['sweeper']
    assert not result.strict
    assert [str(w) for w in result.warnings] == [
        'line 10: value table LegacyModes is used by no signal',
        'line 74: value table of unknown signal SqueegeeMode of message '
        'id 1298 ignored',
        ]
    status = result.database.get_message_by_name('Sweeper_Status')
    assert status.is_fd and status.length == 64
    fault = result.database.get_message_by_name('Drive_Info') \
        .get_signal_by_name('ActiveFault')
    assert fault.choices[513] == 'VACUUM_MOTOR_FAULT'


def test_chinese_windows_encoding(loaded):
    text = dbc_bytes('forklift').decode('utf-8')
    result = dbc.load(text.encode('gb18030'))
    assert [str(w) for w in result.warnings] == [
        'not UTF-8, read as gb18030']
    assert result.database.get_message_by_name('BMS_Status') \
        .get_signal_by_name('BatVolt').comment == '电池总电压，单位0.1V'


def test_syntax_error_names_line_and_column():
    with pytest.raises(dbc.DbcError) as info:
        load('BO_ 1 A: 8 ECU\n SG_ S : 0|8@1+ (1,0) [0|1] "" GW\n'
            ' SG_ T : 8|8@1+ (1,0 [0|1] "" GW\n')
    assert str(info.value) == \
        "line 11: invalid syntax at column 22 near '[0|1] \"\" GW'"
    assert info.value.line == 11


def test_truncated_file_names_its_last_statement():
    # cantools would drop the unfinished value table silently
    with pytest.raises(dbc.DbcError) as info:
        load('BO_ 1 A: 8 ECU\n SG_ S : 0|8@1+ (1,0) [0|1] "" GW\n'
            'CM_ SG_ 1 S "a; b";\nVAL_ 1 S 0 "OFF" 1 ')
    assert str(info.value) == "line 12: VAL_ statement not ended by ';'"


def test_byte_order_other_than_0_or_1_is_fatal():
    # cantools would read it as little-endian
    with pytest.raises(dbc.DbcError) as info:
        load('BO_ 1 A: 8 ECU\n SG_ S : 0|8@2+ (1,0) [0|1] "" GW\n')
    assert info.value.line == 10
    assert str(info.value).startswith('line 10: malformed signal:')


def test_signal_beyond_the_largest_frame_is_fatal():
    with pytest.raises(dbc.DbcError) as info:
        load('BO_ 1 A: 8 ECU\n SG_ S : 0|8@1+ (1,0) [0|1] "" GW\n'
            ' SG_ T : 56|16@1+ (1,0) [0|1] "" GW\n')
    assert str(info.value) == ('line 11: signal T (bit 71) lies beyond the '
        'largest frame of 8 bytes: it can never be decoded')


def test_big_endian_signal_beyond_the_frame_is_fatal():
    # Motorola bits run down from the start bit: 16 bits from bit 63 are
    # 63..56, then 71..64 in the next byte, past byte 7
    with pytest.raises(dbc.DbcError) as info:
        load('BO_ 1 A: 8 ECU\n SG_ S : 63|16@0+ (1,0) [0|1] "" GW\n')
    assert info.value.line == 10
    assert 'signal S (bit 71)' in str(info.value)


def test_classic_message_longer_than_8_bytes_is_fatal():
    with pytest.raises(dbc.DbcError) as info:
        load('BO_ 1 A: 12 ECU\n SG_ S : 0|8@1+ (1,0) [0|1] "" GW\n')
    assert str(info.value) == \
        'line 9: message A has 12 bytes, a classic CAN frame at most 8'


def test_no_message_is_fatal():
    with pytest.raises(dbc.DbcError) as info:
        dbc.load(HEADER)
    assert str(info.value) == 'no message (BO_) defined'


@pytest.mark.parametrize('body', [
    'BO_ 1 A: 8 ECU\n SG_ S : 0|8@1+ (1,0) [0|1] "" GW\nBA_ "Nope" BO_ 1 3;\n',
    'BO_ x A: 8 ECU\n',
    'BO_ 1 A: 8 ECU\n SG_ S : 0|8@3+ (1,0) [0|1] "" GW\n',
    '\x00\x01binary',
    ])
def test_fatal_errors_are_one_line(body):
    with pytest.raises(dbc.DbcError) as info:
        load(body)
    assert '\n' not in str(info.value) and str(info.value)


def test_overlapping_signals_load_leniently():
    result = load('BO_ 1 A: 8 ECU\n SG_ S : 0|12@1+ (1,0) [0|1] "" GW\n'
        ' SG_ T : 8|8@1+ (1,0) [0|1] "" GW\n')
    assert not result.strict
    assert [str(w) for w in result.warnings] == [
        'line 11: signals S and T overlap in message A (bits 8–11)']


def test_multiplexed_signals_sharing_bits_do_not_overlap():
    result = load('BO_ 1 A: 8 ECU\n SG_ P M : 0|8@1+ (1,0) [0|1] "" GW\n'
        ' SG_ S m0 : 8|8@1+ (1,0) [0|1] "" GW\n'
        ' SG_ T m1 : 8|16@1+ (1,0) [0|1] "" GW\n'
        ' SG_ U : 12|8@1+ (1,0) [0|1] "" GW\n')
    # U is in every frame: it overlaps both S and T
    assert [str(w) for w in result.warnings] == [
        'line 13: signals S and U overlap in message A (bits 12–15)',
        'line 13: signals T and U overlap in message A (bits 12–19)',
        ]


def test_signal_outside_its_message_loads_and_decodes_long_frames():
    result = load('BO_ 1 A: 6 ECU\n SG_ S : 0|8@1+ (1,0) [0|255] "" GW\n'
        ' SG_ T : 48|16@1+ (1,0) [0|65535] "" GW\n')
    assert not result.strict
    assert [str(w) for w in result.warnings] == [
        'line 11: signal T (bit 63) lies outside the 6-byte message A: '
        'read from frames of 8 bytes']
    decoder = mapping.Decoder(result.database, mapping.Mapping())
    assert decoder.decode(1, bytes([7, 0, 0, 0, 0, 0, 0x34, 0x12])).extra \
        == {'A.S': 7, 'A.T': 0x1234}
    assert decoder.decode(1, bytes([7, 0, 0, 0, 0, 0])).extra == {'A.S': 7}


def test_duplicate_names_and_ids():
    result = load('BO_ 1 A: 8 ECU\n SG_ S : 0|8@1+ (1,0) [0|1] "" GW\n'
        ' SG_ S : 8|8@1+ (1,0) [0|1] "" GW\n\n'
        'BO_ 2 A: 8 ECU\n SG_ U : 0|8@1+ (1,0) [0|1] "" GW\n\n'
        'BO_ 2 B: 8 ECU\n SG_ V : 0|8@1+ (1,0) [0|1] "" GW\n')
    assert [str(w) for w in result.warnings] == [
        'line 9: signal name S used 2 times in message A: their decoded '
        'values collide',
        'line 13: message name A used for ids 0x1, 0x2',
        'line 16: frame id 0x2 defined 2 times (A, B): only B is decoded',
        ]


def test_broken_value_tables():
    result = load(
        'VAL_TABLE_ Spare 0 "A" 1 "B" ;\n'
        'BO_ 1 A: 8 ECU\n SG_ S : 0|2@1+ (1,0) [0|3] "" GW\n'
        ' SG_ T : 8|8@1- (1,0) [0|1] "" GW\n'
        'VAL_ 1 S 0 "OFF" 1 "ON" 1 "RUN" 7 "ERR" ;\n'
        'VAL_ 1 T -200 "LOW" 0 "OK" ;\n'
        'VAL_ 1 Gone 0 "X" ;\n'
        'VAL_ 9 Other 0 "X" ;\n')
    assert not result.strict
    assert [str(w) for w in result.warnings] == [
        'line 9: value table Spare is used by no signal',
        'line 13: value table of signal S: 7 outside its raw range 0..3',
        'line 13: value table of signal S names 1 more than once: the last '
        'name is kept',
        'line 14: value table of signal T: -200 outside its raw range '
        '-128..127',
        'line 15: value table of unknown signal Gone of message id 1 '
        'ignored',
        'line 16: value table of signal Other of unknown message id 9 '
        'ignored',
        ]
    signal = result.database.get_message_by_name('A').get_signal_by_name('S')
    assert signal.choices[1] == 'RUN'


def test_value_table_problems_alone_keep_strict_mode():
    result = load('VAL_TABLE_ Spare 0 "A" ;\n'
        'BO_ 1 A: 8 ECU\n SG_ S : 0|2@1+ (1,0) [0|3] "" GW\n')
    assert result.strict
    assert [str(w) for w in result.warnings] == [
        'line 9: value table Spare is used by no signal']


def test_signal_bits_big_endian():
    result = load('BO_ 1 A: 8 ECU\n SG_ S : 7|16@0+ (1,0) [0|1] "" GW\n'
        ' SG_ T : 20|6@0+ (1,0) [0|1] "" GW\n')
    message = result.database.get_message_by_name('A')
    assert dbc.signal_bits(message.get_signal_by_name('S')) == \
        [7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8]
    assert dbc.signal_bits(message.get_signal_by_name('T')) == \
        [20, 19, 18, 17, 16, 31]


def test_overlapping_multiplexed_signals_decode_by_selector():
    result = load('BO_ 1 A: 8 ECU\n SG_ P M : 0|8@1+ (1,0) [0|1] "" GW\n'
        ' SG_ S m0 : 8|8@1+ (1,0) [0|255] "" GW\n'
        ' SG_ T m1 : 8|16@1+ (1,0) [0|65535] "" GW\n'
        ' SG_ U : 12|8@1+ (1,0) [0|255] "" GW\n')
    message = result.database.get_message_by_name('A')
    assert dbc.overlaps(message)
    assert dbc.decode_each(message, bytes([1, 0x34, 0x12, 0, 0, 0, 0, 0])) \
        == {'P': 1, 'T': 0x1234, 'U': 0x23}
    assert dbc.decode_each(message, bytes([0, 0x34, 0x12, 0, 0, 0, 0, 0])) \
        == {'P': 0, 'S': 0x34, 'U': 0x23}


def test_wire_format_imports_no_platform():
    # a gateway box runs marcier_wire without trytond or the commands
    code = ('import sys, marcier_wire.dbc, marcier_wire.mapping, '
        'marcier_wire.canlog; print(sorted({m.split(".")[0] '
        'for m in sys.modules}))')
    loaded = subprocess.run([sys.executable, '-c', code], check=True,
        capture_output=True, text=True, cwd=ROOT).stdout
    modules = set(ast.literal_eval(loaded))
    assert 'cantools' in modules
    assert not modules & {'trytond', 'marcier', 'proteus'}
