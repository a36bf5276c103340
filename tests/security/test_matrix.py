"""H1: every role × every Marcier model × every operation, through the
real JSON-RPC layer, against the policy of policy.py."""
from .conftest import read_facts
from .matrix import Matrix


def current(secured):
    "The facts now: other tests move records between owners"
    facts = read_facts(secured.uri)
    return facts['models'], facts['agents']


def report(matrix, output, name):
    lines = [str(c) for c in matrix.cells if c.unexpected]
    (output / name).write_text('\n'.join(
            [matrix.summary(), *lines, '', 'all cells:',
                *map(str, matrix.cells)]) + '\n')
    print(matrix.summary())
    return lines


def test_matrix_catches_mistakes(secured, roles, output):
    """The matrix sees a leak an administrator could make: a rule that
    opens every vehicle to agent staff, read access to the credentials"""
    admin = secured.client('admin')
    group_agent = admin.model_data('marcier_base', 'group_agent')
    models = ['device.vehicle', 'iot.gateway']
    rule_group, = admin.create('ir.rule.group', [{
                'name': "Injected mistake", 'model': 'device.vehicle',
                'global_p': False, 'groups': [('add', [group_agent])],
                'rules': [('create', [{'domain': '[]'}])]}])
    access, = admin.create('ir.model.access', [{
                'model': 'iot.gateway', 'group': group_agent,
                'perm_read': True}])
    facts, agents = current(secured)
    try:
        injected = Matrix(facts, agents, roles, models).run(delete=False)
        report(injected, output, 'security-matrix-injected.txt')
        leaks = {(c.model, c.role, c.operation, c.target)
            for c in injected.cells if c.unexpected == 'allow'}
        assert ('device.vehicle', 'agent_b', 'read', 'A') in leaks
        assert ('device.vehicle', 'agent_a', 'search-finds', 'B') in leaks
        assert ('iot.gateway', 'agent_a', 'read', 'co1') in leaks
        assert not {c for c in leaks if c[1] not in {'agent_a', 'agent_b'}}
    finally:
        admin.delete('ir.rule.group', [rule_group])
        admin.delete('ir.model.access', [access])
    again = Matrix(facts, agents, roles, models).run(delete=False)
    assert not [c for c in again.cells if c.unexpected], again.summary()


def test_matrix(secured, roles, output):
    "No role does more (nor less) than the policy says"
    matrix = Matrix(*current(secured), roles)
    assert not matrix.unpoliced, (
        f"models without a policy in tests/security/policy.py: "
        f"{matrix.unpoliced}")
    matrix.run()
    problems = report(matrix, output, 'security-matrix.txt')
    assert len(matrix.cells) > 1000
    assert not problems, '\n'.join(problems[:50])
