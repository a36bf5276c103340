"""Simplified Chinese in the back office (issue 14): every string of every
Marcier module has its zh_CN translation, no Chinese is hard-coded in the
code, and the demo's Chinese users read Chinese through RPC and sao."""
import ast
import json
import os
import re
import subprocess
import sys
import urllib.request

import pytest

from .conftest import ROOT
from .rpc import RPCError

CJK = re.compile(r'[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]')
MODULES = sorted(p.name for p in ROOT.glob('marcier_*') if p.is_dir()
    and (p / 'tryton.cfg').exists())


def test_catalogues_complete(platform):
    """The catalogues are what trytond exports from the platform's database
    (no new, changed or dropped string is missing from them) and every
    entry is translated, not fuzzy"""
    env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    env.pop('TRYTOND_DATABASE_URI', None)
    result = subprocess.run([sys.executable,
            str(ROOT / 'scripts' / 'export-translations'),
            '--check', '--no-setup', '--db', platform.uri],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    for module in MODULES:
        assert f'{module}/locale/zh_CN.po: 0 to translate' in result.stdout


def _literals(tree):
    "The string constants of a module's code, docstrings left out"
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                    ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(
                    first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            yield node


def test_no_chinese_in_code():
    """User-visible text is English in the code and Chinese in locale/:
    a Chinese literal would show untranslated to English readers (comments
    and docstrings may name the Chinese business terms; the demo data and
    the tests are Chinese on purpose)"""
    found = []
    for folder in [ROOT / 'marcier', *(ROOT / m for m in MODULES)]:
        for path in folder.rglob('*.py'):
            relative = path.relative_to(ROOT)
            if {'tests', 'locale'} & set(relative.parts) \
                    or path.name == 'demo.py':
                continue
            tree = ast.parse(path.read_text(), str(path))
            found += [f'{relative}:{n.lineno}: {n.value!r}'
                for n in _literals(tree) if CJK.search(n.value)]
        for path in folder.glob('view/*.xml'):
            found += [f'{path.relative_to(ROOT)}:{i}: {line.strip()}'
                for i, line in enumerate(path.read_text().splitlines(), 1)
                if CJK.search(line)]
    assert not found, '\n'.join(found)


@pytest.fixture(scope='module')
def agent_a_zh(platform):
    "agent_a as sao logs in: in the language of their preferences"
    return platform.client('agent_a', language=None)


def test_demo_languages(platform):
    "Agents' staff and the operator read Chinese, admin English"
    for login, language in [('agent_a', 'zh_CN'), ('agent_b', 'zh_CN'),
            ('agent_c', 'zh_CN'), ('operator', 'zh_CN'), ('admin', 'en')]:
        client = platform.client(login, language=None)
        assert client.context['language'] == language, login
    chinese, = platform.client('admin').search_read('ir.lang',
        [('code', '=', 'zh_CN')], ['translatable', 'date'])
    assert chinese['translatable'] and chinese['date'] == '%Y-%m-%d'


def test_chinese_labels(agent_a_zh):
    "Fields, selections, menus and Tryton's own modules come in Chinese"
    fields = agent_a_zh('marcier.agent', 'fields_get',
        ['cities', 'city', 'staff'])
    assert fields['cities']['string'] == "服务城市"
    assert fields['city']['string'] == "总部所在城市"
    status = agent_a_zh('device.vehicle', 'fields_get', ['status'])['status']
    assert dict(status['selection'])['rented'] == "在租"
    contract = agent_a_zh('lease.contract', 'fields_get', ['installments'])
    assert contract['installments']['string'] == "回款计划"
    # Tryton's own catalogue (party) is loaded too
    party = agent_a_zh('party.party', 'fields_get', ['name'])
    assert CJK.search(party['name']['string'])
    menus = agent_a_zh.search_read('ir.ui.menu',
        [('parent', '=', None)], ['name'])
    assert "Marcier" in {m['name'] for m in menus}
    leasing = agent_a_zh.search_read('ir.ui.menu',
        [('parent.name', '=', "Marcier")], ['name'])
    assert {"租赁", "设备", "工作台"} <= {m['name'] for m in leasing}
    view = agent_a_zh('device.vehicle', 'fields_view_get', None, 'form')
    assert "实时状态" in view['arch']


def test_chinese_error(agent_a_zh, agent_a):
    "An ir.message error comes in the user's language"
    customer, = agent_a.search_read('marcier.customer', [],
        ['party', 'agent', 'company'], limit=1)
    values = {k: customer[k] for k in ['party', 'agent', 'company']}
    with pytest.raises(RPCError) as chinese:
        agent_a_zh.create('marcier.customer', [values])
    assert "该往来单位已是此代理商的客户" in chinese.value.message
    with pytest.raises(RPCError) as english:
        agent_a.create('marcier.customer', [values])
    assert "already a customer of the agent" in english.value.message


def test_chinese_messages(agent_a_zh):
    "The message centre of a Chinese user is in Chinese"
    welcome = agent_a_zh.search_read('res.notification',
        [('mine', '=', True), ('model', '=', 'marcier.agent')],
        ['label', 'body'])
    assert [m for m in welcome if m['label'] == "欢迎使用 Marcier"
        and m['body'].startswith("您的消息")]


def test_sao_catalogue(platform):
    "sao's own Chinese catalogue is served next to the client"
    with urllib.request.urlopen(
            f'{platform.url}locale/zh_CN.json', timeout=30) as response:
        catalogue = json.load(response)
    assert catalogue and any(CJK.search(str(v)) for v in catalogue.values())
