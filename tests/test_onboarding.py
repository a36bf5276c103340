"""Issue 13's promise end to end: an operator onboards a vehicle type from
its DBC and a CAN log alone (the wizard, through JSON-RPC as sao sends
it), names the catalogue product it is, and within a minute the simulated
vehicles of that product report its own signals through the real broker
and listener, charted in the back office."""
import signal
import subprocess
import time

from marcier_wire import data_file

from .conftest import MARCIER, ROOT
from .iot import wait_until
from .test_iot_pipeline import iot  # noqa: F401 (the broker fixture)
from .test_vehicle_type import WIZARD, binary, plain

# candump -L of the forklift's TRK_Hydraulic: lift 1.5 m, 1,200 kg
LOG = b'(1767225600.000000) can0 18FF1121#05DC0078FFDD0898\n'


def onboard(operator, name, product):
    "The wizard as sao drives it; the proposal confirmed as it is"
    context = operator.context
    session, _, _ = operator.call(f'{WIZARD}.create', context)
    try:
        start = operator.call(
            f'{WIZARD}.execute', session, {}, 'start', context)
        values = {**plain(start['view']['defaults']), 'name': name,
            'products': [product],
            'dbc': binary(data_file('hexin_forklift.dbc').read_bytes()),
            'dbc_filename': 'hexin_forklift.dbc'}
        answer = operator.call(f'{WIZARD}.execute', session,
            {'start': values}, 'read_dbc', context)
        proposal = plain(answer['view']['defaults'])
        answer = operator.call(f'{WIZARD}.execute', session, {'map': {
                    **proposal, 'log': binary(LOG),
                    'log_filename': 'trace.log'}}, 'test', context)
        assert 'load=1200 kg' in plain(answer['view']['defaults'])['decoded']
        operator.call(f'{WIZARD}.execute', session, {'map': proposal},
            'create_', context)
    finally:
        operator.call(f'{WIZARD}.delete', session, context)


def test_onboarded_type_reports_within_a_minute(
        iot, operator, platform, output):  # noqa: F811
    vehicle, = operator.search_read('device.vehicle',
        [('gateway_id', '=', 'gw-mca0003')], ['product', 'vehicle_type'])
    product = vehicle['product']
    before = operator.read('product.template', [product],
        ['vehicle_type'])[0]['vehicle_type']
    log = open(output / 'onboarding-simulate.log', 'w')
    simulator = subprocess.Popen([*MARCIER, 'simulate', '--db', platform.uri,
            '--vehicles', '3', '--interval', '1', '--duration', '150'],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        def reporting():
            "the vehicle reports"
            return operator('iot.telemetry', 'search_count',
                [('vehicle', '=', vehicle['id'])]) > 0
        wait_until(reporting, timeout=60)
        started = time.monotonic()
        onboard(operator, "Forklift FE25 (onboarded)", product)
        type_, = operator.search_read('iot.vehicle.type',
            [('name', '=', "Forklift FE25 (onboarded)")], ['products'])
        assert type_['products'] == [product]

        def its_signals():
            "the vehicle reports the forklift's load and pump"
            return operator.search_read('iot.telemetry', [
                    ('vehicle', '=', vehicle['id']),
                    ('load_weight', '!=', None),
                    ], ['load_weight', 'lift_height', 'extra'], limit=1)
        row, = wait_until(its_signals, timeout=60)
        seconds = time.monotonic() - started
        assert 'TRK_Hydraulic.PumpMotorRpm' in row['extra']
        (output / 'onboarding.txt').write_text(
            f"first report of the new type {seconds:.1f} s after the "
            "wizard's Create\n")

        # its own signal, charted
        context = {**operator.context, 'vehicle': vehicle['id'],
            'signal': 'TRK_Hydraulic.PumpMotorRpm'}
        points = operator.call('model.iot.telemetry.chart.search_read',
            [], 0, None, None, ['signal', 'load_weight'], context)
        assert any(p['signal'] is not None for p in points)
        state, = operator.read('device.vehicle', [vehicle['id']],
            ['vehicle_type', 'last_seen'])
        assert state['vehicle_type'] == type_['id'] and state['last_seen']
    finally:
        operator.write('product.template', [product],
            {'vehicle_type': before})
        simulator.send_signal(signal.SIGINT)
        simulator.wait(timeout=30)
        log.close()
