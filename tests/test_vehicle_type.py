"""Onboarding a vehicle type through the running server, as sao does it:
an operator uploads a forklift's DBC and a CAN log (JSON-RPC), agents read
the type but cannot onboard (issue 13)."""
import base64

import pytest

from marcier_wire import data_file

from .rpc import RPCError

WIZARD = 'wizard.iot.vehicle.type.onboard'


def binary(data):
    "bytes as trytond's JSON-RPC carries them"
    return {'__class__': 'bytes', 'base64': base64.b64encode(data).decode()}


def plain(values):
    "A view's defaults as sao sends them back (no rec_name companions)"
    return {k: v for k, v in values.items() if not k.endswith('.')}


def test_operator_onboards_a_forklift(operator, agent_a):
    context = operator.context
    # the type's form as sao opens it: its default reads the admin-only
    # IoT configuration
    assert operator('iot.vehicle.type', 'default_get',
        ['report_interval'], False) == {'report_interval': 5}
    session, _, _ = operator.call(f'{WIZARD}.create', context)
    try:
        start = operator.call(
            f'{WIZARD}.execute', session, {}, 'start', context)
        values = {**plain(start['view']['defaults']),
            'name': "Forklift FE25 (RPC)",
            'dbc': binary(data_file('hexin_forklift.dbc').read_bytes()),
            'dbc_filename': 'hexin_forklift.dbc'}
        answer = operator.call(f'{WIZARD}.execute', session,
            {'start': values}, 'read_dbc', context)
        proposal = plain(answer['view']['defaults'])
        lines = {line['quantity']: line for line in proposal['lines']}
        assert lines['load']['signal'] == 'LoadWeight'
        assert lines['load']['factor'] == 10

        # candump -L of TRK_Hydraulic: LiftHeight 1500 mm, LoadWeight 120
        # x 10 kg, TiltAngle -3.5 deg, PumpMotorRpm 2200 (big-endian)
        log = b'(1767225600.000000) can0 18FF1121#05DC0078FFDD0898\n'
        answer = operator.call(f'{WIZARD}.execute', session, {'map': {
                    **proposal, 'log': binary(log),
                    'log_filename': 'trace.log'}}, 'test', context)
        assert plain(answer['view']['defaults'])['decoded'] == (
            '   0.000s 0x18ff1121 TRK_Hydraulic: lift=1.5 m  load=1200 kg  '
            'tilt=-3.5 deg')
        operator.call(f'{WIZARD}.execute', session, {'map': proposal},
            'create_', context)
    finally:
        operator.call(f'{WIZARD}.delete', session, context)

    types = agent_a.search_read('iot.vehicle.type',
        [('name', '=', "Forklift FE25 (RPC)")], ['signal_map', 'dbc_warnings'])
    assert len(types) == 1 and '"LiftHeight"' in types[0]['signal_map']
    with pytest.raises(RPCError) as error:
        agent_a.write('iot.vehicle.type', [types[0]['id']],
            {'report_interval': 1})
    assert error.value.kind == 'UserError'  # AccessError
    with pytest.raises(RPCError):
        agent_a.call(f'{WIZARD}.create', agent_a.context)


def test_fatal_dbc_is_one_line(operator):
    context = operator.context
    session, _, _ = operator.call(f'{WIZARD}.create', context)
    try:
        with pytest.raises(RPCError) as error:
            operator.call(f'{WIZARD}.execute', session, {'start': {
                        'name': "Broken", 'report_interval': 5,
                        'dbc': binary(b'VERSION ""\n\nBO_ 1 A: 8 X\n'
                            b' SG_ S : 0|8@1+ (1,0) [0|1] "" X\n bad\n')}},
                'read_dbc', context)
    finally:
        operator.call(f'{WIZARD}.delete', session, context)
    assert error.value.kind == 'UserError'
    assert error.value.message == ('The DBC file of vehicle type "Broken" '
        "cannot be used: line 5: invalid syntax at column 2 near 'bad'")
