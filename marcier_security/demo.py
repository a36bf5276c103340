# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Demo: operator_2fa, an operator who must log in with a second factor,
enrolled with a key that `marcier setup --demo` prints."""
from trytond.pool import Pool

from marcier_base.demo import _user, company

LOGIN = 'operator_2fa'


def load(context):
    pool = Pool()
    SecondFactor = pool.get('res.user.totp')
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    user = _user(LOGIN, "Sun Li (Operator, two-factor)", 'role_operator',
        company(), context['password'])
    required = ModelData.get_id('marcier_security', 'role_totp_required')
    if required not in {r.role.id for r in user.roles}:
        User.write([user], {'roles': [('create', [{'role': required}])]})
    factor = SecondFactor.get(user.id)
    if not factor or not factor.confirmed or not factor.key:
        SecondFactor.enrol(user.id, SecondFactor.new_secret(), None)
        factor = SecondFactor.get(user.id)
    context.setdefault('notes', []).append(
        f"Two-factor demo login: {LOGIN}, password {context['password']}, "
        f"then a code of an authenticator app set up with the key "
        f"{factor.key} ({SecondFactor.uri(factor.key, LOGIN)})")
