# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The faults a vehicle type declares: the value table of the signal its
map gives for the fault code, with a first guess of the system at fault
and of the severity read from each label (English, common abbreviations,
Chinese), for the operator to correct in the fault catalogue.
"""
import re

from .mapping import words

SYSTEMS = ['battery', 'motor', 'controller', 'charger', 'hydraulics',
    'brakes_steering', 'work_equipment', 'body', 'other']
# The first system with a term in the label wins: the work equipment and
# the hydraulics before the motor ("VACUUM_MOTOR_FAULT" is the sweeper's
# vacuum, "油泵堵转" the lift pump), the charger before the battery; an
# overcurrent of no named part is the controller's, which trips on it.
# English terms are words of the label, Chinese ones substrings.
_SYSTEM_TERMS = [
    ('work_equipment', ['brush', 'vacuum', 'water', 'squeegee', 'suction',
            'broom', 'scrub', '刷', '吸尘', '吸风', '吸水', '水箱', '水泵',
            '清水', '污水']),
    ('hydraulics', ['pump', 'hydraulic', 'hydraulics', 'lift', 'mast',
            'fork', 'tilt', '油泵', '液压', '起升', '举升', '货叉']),
    ('charger', ['charger', 'charging', 'chg', '充电']),
    ('battery', ['bms', 'battery', 'bat', 'batt', 'cell', 'pack', 'soc',
            'undervoltage', 'overvoltage', 'voltage', '电池', '电芯', '欠压',
            '过压', '电压']),
    ('motor', ['motor', 'mot', 'mtr', 'phase', 'hall', 'encoder',
            'resolver', '电机', '缺相', '霍尔']),
    ('controller', ['controller', 'ctrl', 'mcu', 'inverter', 'igbt',
            'precharge', 'contactor', 'overcurrent', '控制器', '逆变', '接触器',
            '过流']),
    ('brakes_steering', ['brake', 'steer', 'steering', 'eps', '制动', '刹车',
            '转向']),
    ('body', ['door', 'seat', 'light', 'lamp', 'horn', '车门', '座椅', '车灯',
            '喇叭']),
    ]
_CRITICAL = ['overheat', 'overtemp', 'overcurrent', 'stall', 'short',
    '过热', '过温', '过流', '堵转', '短路']
_NO_FAULT = ['none', 'no fault', 'ok', 'normal', '无故障', '正常']


def guess(label):
    "(system, severity) of a fault from its label"
    label_words = words(label)
    system = next((s for s, terms in _SYSTEM_TERMS
            if any(t in label if not t.isascii() else t in label_words
                for t in terms)), 'other')
    # 'MotorOverheat', 'OVER_CURRENT': the words run together
    compact = re.sub(r'[\W_]+', '', label.lower())
    severity = 'critical' if any(t in compact for t in _CRITICAL) \
        else 'warning'
    return system, severity


def is_fault(code, label):
    "Whether a value table entry names a fault, not its absence"
    return bool(code) and label.strip().lower().replace('_', ' ') \
        not in _NO_FAULT


def table(database, signal_map):
    """{fault code: label} of the value table of the signal the map gives
    for the fault code: None when the map has no such signal or the signal
    no value table.  Codes are in the platform's unit (the map's factor and
    offset applied), as alarms record them."""
    entry = signal_map.entries.get('fc')
    if entry is None:
        return None
    try:
        message = database.get_message_by_name(entry.message)
        signal = message.get_signal_by_name(entry.signal)
    except KeyError:
        return None
    if not signal.choices:
        return None
    return {round(entry.convert(value)): str(label)
        for value, label in signal.choices.items()
        if is_fault(round(entry.convert(value)), str(label))}
