"""Issue 12.1: on_change, on_change_with (and their per-field methods,
pre_validate) with other owners' ids, for every Marcier model and every
relational field, through the real JSON-RPC layer (onchange.py)."""
from .onchange import Changes
from .test_matrix import current, report

# The models whose forms name a vehicle: the injected rule opens them
VEHICLE_FORMS = ['device.vehicle.event', 'iot.command', 'lease.contract.line']


def test_onchange_catches_mistakes(secured, roles, output):
    """The class sees a leak an administrator could make: a rule that
    opens every vehicle to agent staff lets on_change name them"""
    admin = secured.client('admin')
    group_agent = admin.model_data('marcier_base', 'group_agent')
    rule_group, = admin.create('ir.rule.group', [{
                'name': "Injected mistake", 'model': 'device.vehicle',
                'global_p': False, 'groups': [('add', [group_agent])],
                'rules': [('create', [{'domain': '[]'}])]}])
    facts, _ = current(secured)
    try:
        injected = Changes(facts, roles, VEHICLE_FORMS).run()
        report(injected, output, 'security-on_change-injected.txt')
        leaks = {(c.model, c.role, c.operation, c.target)
            for c in injected.cells if c.unexpected == 'allow'}
        assert ('lease.contract.line', 'agent_b', 'on_change:vehicle',
            'A') in leaks
        assert ('iot.command', 'agent_a', 'on_change_vehicle', 'B') in leaks
        assert not {c for c in leaks if c[1] not in {'agent_a', 'agent_b'}}
    finally:
        admin.delete('ir.rule.group', [rule_group])
    again = Changes(facts, roles, VEHICLE_FORMS).run()
    assert not [c for c in again.cells if c.unexpected], again.summary()


def test_onchange(secured, roles, output):
    "on_change answers only about records the caller may read"
    facts, _ = current(secured)
    changes = Changes(facts, roles).run()
    problems = report(changes, output, 'security-on_change.txt')
    assert len(changes.cells) > 1000
    assert {c.outcome for c in changes.cells} >= {'allow', 'deny'}
    assert not problems, '\n'.join(problems[:50])
