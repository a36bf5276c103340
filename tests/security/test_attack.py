"""The scripted attack run of attack.py against the security server: it
prints every attempt; none may succeed."""
import configparser

from ..conftest import ROOT
from . import attack
from .users import enrol, new_user


def test_attack_run(secured, capsys, output):
    admin = secured.client('admin')
    new_user(admin, 'victim', ['marcier_base.role_operator'])
    new_user(admin, 'victim_2fa', ['marcier_base.role_operator'])
    key, _ = enrol(secured.client('victim_2fa'))
    config = configparser.ConfigParser()
    config.read(ROOT / 'config' / 'trytond.conf')
    target = attack.prepare(
        attack.Target(secured.url, secured.database), 'victim',
        'victim_2fa', key.replace(' ', ''),
        config.getint('session', 'max_attempt'))
    successes = attack.run(target)
    (output / 'security-attack.txt').write_text(capsys.readouterr().out)
    kinds = {a.attack for a in target.attempts}
    assert kinds == {name for name, _ in attack.ATTACKS}
    assert len(target.attempts) > 150
    assert not successes, '\n'.join(map(str, successes))
