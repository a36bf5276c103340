"""The import graph (issue 13, "One IoT architecture"): the Tryton
modules never import the command package; the wire format and the device
side run without trytond and without the Tryton modules; no two top-level
packages import each other, even through others; the public pages have
one web layer (marcier_web), which depends on none of ours.
marcier_security names no model of the feature modules: they declare what
it applies to."""
import ast
import configparser
import re
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

DEVICE_SIDE = {'marcier_wire', 'marcier_gateway'}


def packages():
    "{top-level package: [its .py files]} of ours"
    found = {}
    for folder in sorted(ROOT.glob('marcier*')):
        if (folder / '__init__.py').exists():
            found[folder.name] = sorted(folder.rglob('*.py'))
    return found


def tryton_modules():
    return {p.parent.name for p in ROOT.glob('marcier_*/tryton.cfg')}


def imported(path):
    "The absolute names a file imports, relative imports resolved"
    package = path.relative_to(ROOT).with_suffix('').parts[:-1]
    if path.name == '__init__.py':
        package = path.relative_to(ROOT).parts[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = '.'.join([*base, *filter(None, [node.module])])
            else:
                module = node.module
            names.add(module)
            names.update(f'{module}.{alias.name}' for alias in node.names)
    return names


def top_level(name):
    "marcier_iot of marcier_iot.x and of trytond.modules.marcier_iot.x"
    parts = name.split('.')
    if parts[:2] == ['trytond', 'modules'] and len(parts) > 2:
        return parts[2]
    return parts[0]


def graph():
    "{package: {(package it imports, file)}} between our packages"
    ours = packages()
    edges = {name: set() for name in ours}
    for name, files in ours.items():
        for path in files:
            for module in imported(path):
                target = top_level(module)
                if target in ours and target != name:
                    edges[name].add((target, path.relative_to(ROOT)))
    return edges


def test_graph_sees_the_packages():
    "The test reads what it should: a test that finds nothing proves nothing"
    edges = graph()
    assert DEVICE_SIDE | tryton_modules() | {'marcier'} <= edges.keys()
    assert ('marcier_wire', Path('marcier_iot/ingest.py')) in edges[
        'marcier_iot']
    assert any(t == 'marcier_iot' for t, _ in edges['marcier'])


def test_no_module_imports_the_command_package():
    offenders = sorted(str(path) for name, targets in graph().items()
        if name != 'marcier' for target, path in targets
        if target == 'marcier')
    assert offenders == []


def test_one_web_layer():
    """The mall and the WeChat pages stand on marcier_web (imported and
    declared in tryton.cfg), which stands on trytond alone"""
    edges = graph()
    assert edges['marcier_web'] == set()
    for name in ['marcier_mall', 'marcier_wechat']:
        assert 'marcier_web' in {t for t, _ in edges[name]}
        cfg = configparser.ConfigParser()
        cfg.read(ROOT / name / 'tryton.cfg')
        assert 'marcier_web' in cfg['tryton']['depends'].split()


def test_device_side_needs_no_trytond():
    modules = tryton_modules()
    offenders = []
    for name in DEVICE_SIDE:
        for path in packages()[name]:
            for module in imported(path):
                if top_level(module) in modules | {'trytond', 'proteus'}:
                    offenders.append(f'{path.relative_to(ROOT)}: {module}')
    assert offenders == []


def test_no_import_cycle():
    edges = {name: {t for t, _ in targets}
        for name, targets in graph().items()}
    cycles = []

    def visit(name, path):
        for target in sorted(edges[name]):
            if target in path:
                cycles.append(path[path.index(target):] + [target])
            else:
                visit(target, path + [target])
    for name in sorted(edges):
        visit(name, [name])
    assert cycles == []


def test_gateway_runs_without_trytond(tmp_path):
    "`marcier-gateway` starts where trytond cannot be imported at all"
    script = '''
import importlib.abc, runpy, sys

class NoTrytond(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in {'trytond', 'marcier'} or (
                name.startswith('marcier_')
                and name.split('.')[0] not in {'marcier_wire',
                    'marcier_gateway'}):
            raise ImportError(f'{name} is not on a gateway box')

sys.meta_path.insert(0, NoTrytond())
import marcier_gateway.fleet, marcier_gateway.gateway, marcier_gateway.vehicle
sys.argv = ['marcier-gateway', '--config', sys.argv[1]]
runpy.run_module('marcier_gateway.main', run_name='__main__')
'''
    config = tmp_path / 'gw.conf'
    config.write_text('[gateway]\nid = gw-1\n')  # no tenant: refused
    result = subprocess.run([sys.executable, '-c', script, str(config)],
        capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"marcier-gateway: bad gateway config {config}: 'tenant'")


def module_depends(module):
    "The modules a Tryton module's tryton.cfg depends on, extras included"
    config = configparser.ConfigParser()
    config.read(ROOT / module / 'tryton.cfg')
    return set(config.get('tryton', 'depends', fallback='').split()) | set(
        config.get('tryton', 'extras_depend', fallback='').split())


def new_models(module):
    "The model names a module's classes create (extensions left out)"
    names = set()
    for path in (ROOT / module).rglob('*.py'):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ClassDef) or any(
                    k.arg == 'metaclass' for k in node.keywords):
                continue
            for stmt in node.body:
                if (isinstance(stmt, ast.Assign)
                        and any(getattr(t, 'id', None) == '__name__'
                            for t in stmt.targets)
                        and isinstance(stmt.value, ast.Constant)):
                    names.add(stmt.value.value)
    return names


def test_security_names_no_feature_module():
    """marcier_security applies to what the models declare (issue 13):
    its code, data, views and tests name no model nor module of the
    modules it does not depend on (audit.py once listed their models)"""
    ours = 'marcier_security'
    depends = set()
    todo = [ours]
    while todo:
        for name in module_depends(todo.pop()):
            if name in tryton_modules() and name not in depends:
                depends.add(name)
                todo.append(name)
    others = sorted(tryton_modules() - depends - {ours})
    models = set().union(*(new_models(m) for m in others))
    assert {'device.vehicle', 'mall.listing', 'lease.contract'} <= models
    pattern = re.compile(r'(?<![\w.])(%s)(?![\w])' % '|'.join(
            re.escape(n) for n in sorted(models | set(others),
                key=len, reverse=True)))
    offenders = []
    for path in sorted((ROOT / ours).rglob('*')):
        if path.suffix not in {'.py', '.xml', '.cfg', '.rst'}:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in pattern.finditer(line):
                offenders.append(
                    f'{path.relative_to(ROOT)}:{number}: {match.group(1)}')
    assert offenders == []


def test_no_private_trytond_names():
    "No name-mangled private of trytond (cls._ModelSQL__x): it may go"
    pattern = re.compile(r'\b_[A-Z][A-Za-z]*__[a-z]\w*')
    offenders = [f'{path.relative_to(ROOT)}: {match}'
        for files in packages().values() for path in files
        for match in pattern.findall(path.read_text())]
    assert offenders == []
