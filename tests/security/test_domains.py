"""Search oracles through relations (issue 12, item 3): every relational
field of every Marcier model, every form of domain, through the real
JSON-RPC layer (domains.py)."""
from .domains import Oracles
from .test_matrix import current


def report(oracles, output, name):
    lines = [str(c) for c in oracles.cells if c.unexpected]
    (output / name).write_text('\n'.join(
            [oracles.summary(), *lines, '', 'all cells:',
                *map(str, oracles.cells)]) + '\n')
    print(oracles.summary())
    return lines


def test_domains_catch_a_leak(secured, roles, output):
    """An administrator's rule that opens every vehicle to agent staff
    shows as searches that find agent A's records for agent B"""
    admin = secured.client('admin')
    facts, _ = current(secured)
    models = ['device.maintenance.plan', 'device.vehicle.maintenance',
        'iot.alarm']
    group_agent = admin.model_data('marcier_base', 'group_agent')
    rule_group, = admin.create('ir.rule.group', [{
                'name': "Injected mistake", 'model': 'device.vehicle',
                'global_p': False, 'groups': [('add', [group_agent])],
                'rules': [('create', [{'domain': '[]'}])]}])
    try:
        injected = Oracles(facts, roles, models).run()
        report(injected, output, 'security-domains-injected.txt')
        leaks = {(c.model, c.role, c.operation, c.target)
            for c in injected.cells if c.unexpected == 'allow'}
        for form in ['dotted', 'dotted-column', 'where', 'not-where', 'ids']:
            assert ('device.maintenance.plan', 'agent_b',
                f'{form}:schedules', 'A') in leaks, form
        assert not {c for c in leaks if c[1] not in {'agent_a', 'agent_b'}}
    finally:
        admin.delete('ir.rule.group', [rule_group])
    again = Oracles(facts, roles, models).run()
    assert again.cells
    assert not [c for c in again.cells if c.unexpected], again.summary()


def test_domains(secured, roles, output):
    "No search finds records through a target the role may not read"
    oracles = Oracles(*current(secured)[:1], roles).run()
    problems = report(oracles, output, 'security-domains.txt')
    assert len(oracles.cells) > 100
    assert not problems, '\n'.join(problems[:50])
