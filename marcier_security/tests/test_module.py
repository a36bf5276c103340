# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import re
import tempfile
import time
from pathlib import Path
from unittest.mock import patch

import pyotp

from trytond import config
from trytond.exceptions import LoginException, UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import CompanyTestMixin, create_company
from marcier_base.tests import AgentTestMixin
from marcier_base.tests.test_module import (
    create_agent, create_user, setup_agents)
from trytond.pool import Pool
from trytond.res.user import PasswordError
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.tools import is_instance_method
from trytond.transaction import Transaction

from .. import secret
from ..audit import audited_fields, audited_secrets
from ..change import GuardedRPC
from ..totp import STEP

PASSWORD = 'Marcier-Test-2026'


def code(key, offset=0):
    return pyotp.TOTP(key).at(time.time() + offset * STEP)


class chain:
    "Log in through Tryton's chain as configured by config/trytond.conf"

    def __enter__(self):
        self.previous = config.get('session', 'authentications')
        config.set('session', 'authentications', 'password+totp')

    def __exit__(self, *exc):
        config.set('session', 'authentications', self.previous)


class MarcierSecurityTestCase(
        CompanyTestMixin, AgentTestMixin, ModuleTestCase):
    "Test Marcier Security module"
    module = 'marcier_security'

    @property
    def _skip_company_rule(self):
        # Its rule also shows the lines without company (users, groups)
        return super()._skip_company_rule | {('marcier.audit', 'company')}

    def _user(self, login='op', required=False):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        user = create_user(login, company, 'role_operator')
        values = {'password': PASSWORD}
        if required:
            values['roles'] = [('create', [{'role': ModelData.get_id(
                                'marcier_security', 'role_totp_required')}])]
        User.write([user], values)
        return user

    def login(self, login, **parameters):
        User = Pool().get('res.user')
        with chain(), patch('time.sleep'):
            return User.get_login(login, {'password': PASSWORD, **parameters})

    @with_transaction()
    def test_search_through_relations_follows_target_rules(self):
        """A domain through a relation (dotted, where, a name searched on a
        Many2One, ids of an x2many) finds nothing through records of the
        target the user may not read; the user's own search still works"""
        pool = Pool()
        City = pool.get('marcier.city')
        Party = pool.get('party.party')
        Customer = pool.get('marcier.customer')
        Agent = pool.get('marcier.agent')
        RuleGroup = pool.get('ir.rule.group')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        agent_a = create_agent(company, 'A')
        staff_a = create_user('staff_a', company, 'role_agent', agent_a)
        hidden, shown = City.create([
                {'name': "Hidden", 'latitude': 30, 'longitude': 120},
                {'name': "Shown", 'latitude': 31, 'longitude': 121}])
        parties = Party.create([{'name': "Customer"}, {'name': "Other"}])
        Customer.create([{'party': p.id, 'agent': agent_a.id,
                    'company': company.id, 'city': c.id}
                for p, c in zip(parties, [hidden, shown])])
        Agent.write([agent_a], {'cities': [('add', [hidden.id])]})
        domains = [
            [('city.name', '=', "Hidden")],
            [('city.latitude', '<', 30.5)],
            [('city', 'where', [('name', '=', "Hidden")])],
            [('city.rec_name', 'ilike', "Hid%")],
            # Hidden: not a city named "Hidden" as far as the user knows
            [('city', 'not where', [('name', '=', "Hidden")])],
            ]
        agent_domains = [
            [('cities.name', '=', "Hidden")],
            [('cities', 'in', [hidden.id])],
            [('cities', 'where', [('latitude', '<', 30.5)])],
            ]

        def found():
            with Transaction().set_user(staff_a.id), \
                    Transaction().set_context(
                        _check_access=True, company=company.id):
                return ([Customer.search_count(d) for d in domains],
                    [Agent.search_count(d) for d in agent_domains],
                    [[c.party.name for c in Customer.search(
                                    [], order=[('city', o), ('id', 'ASC')])]
                        for o in ['ASC', 'DESC']])
        self.assertEqual(found(), ([1, 1, 1, 1, 1], [1] * 3,
                [["Customer", "Other"], ["Other", "Customer"]]))
        # An administrator hides the city from agent staff
        RuleGroup.create([{'name': "Shown cities", 'model': 'marcier.city',
                    'global_p': False,
                    'groups': [('add', [ModelData.get_id(
                                    'marcier_base', 'group_agent')])],
                    'rules': [('create', [{
                                    'domain': f'[["id", "=", {shown.id}]]',
                                    }])]}])
        # Nor does an order by city rank the hidden city's name
        self.assertEqual(found(), ([0, 0, 0, 0, 2], [0] * 3,
                [["Customer", "Other"], ["Customer", "Other"]]))
        # Internal code (no check_access) is not filtered
        with Transaction().set_user(staff_a.id):
            self.assertEqual([Customer.search_count(d) for d in domains],
                [1, 1, 1, 1, 1])

    @with_transaction()
    def test_password_alone_when_not_required(self):
        "Without a factor nor a group that requires one, the password does"
        user = self._user()
        self.assertEqual(self.login('op'), user.id)
        self.assertIsNone(Pool().get('res.user')(user.id).second_factor)
        User = Pool().get('res.user')
        with chain(), patch('time.sleep'):
            self.assertIsNone(User.get_login('op', {'password': 'wrong'}))

    @with_transaction()
    def test_required_enrols_at_login(self):
        "A required, unenrolled user is refused until the prompt's key works"
        pool = Pool()
        SecondFactor = pool.get('res.user.totp')
        user = self._user(required=True)
        with self.assertRaises(LoginException) as prompt:
            self.login('op')
        self.assertEqual(prompt.exception.name, 'totp_code')
        key = SecondFactor.get(user.id).key
        self.assertIn(key[:4], prompt.exception.message)
        # The same key until enrolled, not a new one per attempt
        with self.assertRaises(LoginException) as again:
            self.login('op')
        self.assertIn(key[:4], again.exception.message)
        self.assertIsNone(self.login('op', totp_code='000000'))
        self.assertEqual(self.login('op', totp_code=code(key)), user.id)
        self.assertTrue(SecondFactor.get(user.id).confirmed)
        self.assertEqual(
            pool.get('res.user')(user.id).second_factor, 'totp')

    @with_transaction()
    def test_enrolled_needs_code(self):
        "An enrolled user needs a fresh code or a recovery code, once each"
        pool = Pool()
        SecondFactor = pool.get('res.user.totp')
        RecoveryCode = pool.get('res.user.totp.recovery')
        user = self._user()
        key = SecondFactor.new_secret()
        SecondFactor.enrol(user.id, key, None)
        with self.assertRaises(LoginException):
            self.login('op')
        self.assertIsNone(self.login('op', totp_code='12345'))
        self.assertIsNone(self.login('op', totp_code=code(key, -3)))
        current = code(key)
        self.assertEqual(self.login('op', totp_code=current), user.id)
        # A code works once (replay)
        self.assertIsNone(self.login('op', totp_code=current))
        recovery = RecoveryCode.renew(user.id)
        self.assertEqual(len(recovery), 10)
        self.assertEqual(
            self.login('op', totp_code=recovery[0].upper()), user.id)
        self.assertIsNone(self.login('op', totp_code=recovery[0]))
        self.assertEqual(
            self.login('op', totp_code=recovery[1].replace('-', ' ')),
            user.id)

    @with_transaction()
    def test_sms_second_factor(self):
        "Where an SMS backend is set, a user with a mobile gets a code"
        pool = Pool()
        User = pool.get('res.user')
        user = self._user(required=True)
        User.write([user], {'mobile': '+8613800000001'})
        # No backend: the enrolment prompt of the authenticator app
        with self.assertRaises(LoginException) as prompt:
            self.login('op')
        self.assertEqual(prompt.exception.name, 'totp_code')
        with tempfile.TemporaryDirectory() as folder:
            outbox = Path(folder) / 'sms.txt'
            get = config.get
            settings = {
                ('authentication_sms', 'function'):
                'marcier_security.sms.outbox',
                ('marcier', 'sms_outbox'): str(outbox),
                }

            def patched(section, option, **kw):
                return settings.get((section, option)) or get(
                    section, option, **kw)
            patched.cache_clear = get.cache_clear
            with patch.object(config, 'get', patched):
                self.assertEqual(User(user.id).second_factor, 'sms')
                with self.assertRaises(LoginException) as prompt:
                    self.login('op')
                self.assertEqual(prompt.exception.name, 'sms_code')
                to, text = outbox.read_text().split('\t')[1:]
                self.assertEqual(to, '+8613800000001')
                sms_code = re.search(r'\d{6}', text).group()
                self.assertIsNone(self.login('op', sms_code='000000'))
                self.assertEqual(self.login('op', sms_code=sms_code), user.id)

    @with_transaction()
    def test_secret_stored_encrypted(self):
        "The table holds a Fernet token, not the key; another key reads None"
        pool = Pool()
        SecondFactor = pool.get('res.user.totp')
        RecoveryCode = pool.get('res.user.totp.recovery')
        user = self._user()
        key = SecondFactor.new_secret()
        SecondFactor.enrol(user.id, key, None)
        factor = SecondFactor.get(user.id)
        self.assertNotIn(key, factor.secret)
        self.assertEqual(factor.key, key)
        codes = RecoveryCode.renew(user.id)
        digests = {r.digest for r in RecoveryCode.search([])}
        self.assertFalse(any(c.replace('-', '') in d for c in codes
                for d in digests))
        with patch.object(config, 'get', lambda *a, **k: 'another key'):
            self.assertIsNone(secret.decrypt(factor.secret))

    @with_transaction()
    def test_no_rpc_access_to_secrets(self):
        "Nobody reads the secrets through the access checks"
        pool = Pool()
        SecondFactor = pool.get('res.user.totp')
        user = self._user()
        SecondFactor.enrol(user.id, SecondFactor.new_secret(), None)
        self.assertEqual(SecondFactor.__rpc__, {})
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                SecondFactor.search([])

    @with_transaction()
    def test_enrol_wizard(self):
        "The wizard enrols the running user and gives recovery codes"
        pool = Pool()
        Enrol = pool.get('res.user.totp.enrol', type='wizard')
        SecondFactor = pool.get('res.user.totp')
        user = self._user()
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            session_id, _, _ = Enrol.create()
            enrol = Enrol(session_id)
            start = enrol.default_start(None)
            self.assertFalse(start['enrolled'])
            self.assertTrue(start['qr_code'].startswith(b'\x89PNG'))
            enrol.start.key = start['key']
            enrol.start.code = '000000'
            enrol.start.current_code = None
            with self.assertRaises(Exception):
                enrol.transition_activate()
            enrol.start.code = code(start['key'].replace(' ', ''))
            self.assertEqual(enrol.transition_activate(), 'codes')
            codes = enrol.default_codes(None)['codes'].split('\n')
            self.assertEqual(len(codes), 10)
            # Replacing it needs the current factor
            again = enrol.default_start(None)
            self.assertTrue(again['enrolled'])
        key = SecondFactor.get(user.id).key
        self.assertEqual(key, start['key'].replace(' ', ''))
        self.assertEqual(self.login('op', totp_code=codes[0]), user.id)

    @with_transaction()
    def test_reset_second_factor(self):
        "Resetting removes the factor, warns the user and is audited"
        pool = Pool()
        User = pool.get('res.user')
        SecondFactor = pool.get('res.user.totp')
        Notification = pool.get('res.notification')
        Audit = pool.get('marcier.audit')
        user = self._user()
        SecondFactor.enrol(user.id, SecondFactor.new_secret(), None)
        User.reset_second_factor([User(user.id)])
        self.assertIsNone(SecondFactor.get(user.id))
        self.assertIsNone(User(user.id).second_factor)
        message, = Notification.search([('user', '=', user.id)])
        self.assertEqual(message.kind, 'warning')
        line, = Audit.search([('field', '=', 'second_factor')])
        self.assertEqual(
            (line.old_value, line.new_value, line.record_id),
            ('totp', None, user.id))

    @with_transaction()
    def test_temporary_password_forces_change(self):
        """A reset password stops the old one; the temporary one logs in
        only with a new password that passes the policy"""
        User = Pool().get('res.user')
        user = self._user()
        temporary = User.temporary_password([user])[user.id]
        self.assertTrue(User(user.id).password_change_required)
        with chain(), patch('time.sleep'):
            self.assertIsNone(User.get_login('op', {'password': PASSWORD}))
            with self.assertRaises(LoginException) as asked:
                User.get_login('op', {'password': temporary})
            self.assertEqual(asked.exception.name, 'new_password')
            with self.assertRaises(LoginException) as weak:
                User.get_login('op', {'password': temporary,
                        'new_password': 'short'})
            self.assertIn('at least', weak.exception.message)
            self.assertEqual(User.get_login('op', {'password': temporary,
                        'new_password': 'New-Start-2026'}), user.id)
            self.assertIsNone(User.get_login('op', {'password': temporary}))
            self.assertEqual(User.get_login('op', {
                        'password': 'New-Start-2026'}), user.id)
        self.assertFalse(User(user.id).password_change_required)

    @with_transaction()
    def test_reset_password_mail_ignores_host(self):
        "The reset-password e-mail links to [web] hostname, not to Host"
        User = Pool().get('res.user')
        user = self._user()
        user.email = 'op@example.com'
        user.save()
        forged = {'http_host': 'evil.example', 'is_secure': False}
        with Transaction().set_context(_request=forged):
            User.reset_password([user])  # sent at commit: never here
            message, _ = User(user.id).get_email_reset_password()
        text = ''.join(part.get_payload(decode=True).decode()
            for part in message.walk() if not part.is_multipart())
        self.assertIn(User(user.id).password_reset, text)
        self.assertNotIn('evil.example', text)

    @with_transaction()
    def test_password_entropy(self):
        "[password] entropy: the share of distinct characters needed"
        pool = Pool()
        User = pool.get('res.user')
        user = self._user()
        previous = config.get('password', 'entropy', default=None) or '0'
        config.set('password', 'entropy', '0.6')
        self.addCleanup(config.set, 'password', 'entropy', previous)
        with self.assertRaises(PasswordError):
            User.write([user], {'password': 'aaaabbbbAAAA'})
        User.write([user], {'password': 'Marcier-Demo-2026'})

    @with_transaction()
    def test_audit_old_new_values(self):
        "Audited fields keep old and new values; secrets only 'changed'"
        pool = Pool()
        User = pool.get('res.user')
        Audit = pool.get('marcier.audit')
        user = self._user()
        Audit.delete(Audit.search([]))
        User.write([user], {'login': 'op2', 'name': "Not audited"})
        line, = Audit.search([])
        self.assertEqual((line.event, line.field, line.old_value,
                line.new_value), ('write', 'login', 'op', 'op2'))
        self.assertEqual(line.resource, User(user.id))
        User.write([user], {'password': 'Another-Pass-2026'})
        line = Audit.search([], limit=1)[0]
        self.assertEqual((line.field, line.old_value, line.new_value),
            ('password', None, '(changed)'))
        operator = create_user('op3', user.company, 'role_operator')
        agent = create_user('ag', user.company, 'role_agent')
        with Transaction().set_user(operator.id), \
                Transaction().set_context(_check_access=True):
            self.assertTrue(Audit.search([]))
        with Transaction().set_user(agent.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Audit.search([])

    @with_transaction()
    def test_audit_declarations(self):
        "What a model declares audited are fields of its own"
        wrong = [(name, sorted(
                    (set(getattr(Model, '_audited_fields', ()))
                        | audited_secrets(Model)) - set(Model._fields)))
            for name, Model in Pool().iterobject()]
        self.assertEqual([w for w in wrong if w[1]], [])
        User = Pool().get('res.user')
        self.assertEqual(audited_fields(User),
            {'login', 'active', 'agent', 'groups', 'password'})

    @with_transaction()
    def test_change_rpc_guarded(self):
        "Every RPC on a record built from the client's values checks them"
        unguarded = [(name, method)
            for name, Model in Pool().iterobject()
            for method, rpc in Model.__rpc__.items()
            if rpc.instantiate == 0 and is_instance_method(Model, method)
            and not isinstance(rpc, GuardedRPC)]
        self.assertFalse(unguarded)

    @with_transaction()
    def test_on_change_other_agent(self):
        "on_change refuses another agent's records in its values"
        pool = Pool()
        Party = pool.get('party.party')
        Customer = pool.get('marcier.customer')
        setup_agents(self)
        party, = Party.create([{'name': "A's customer"}])
        customer, = Customer.create([{'party': party.id,
                    'agent': self.agent_a.id, 'company': self.company.id}])

        def on_change(values):
            # As the dispatcher calls it
            method = Customer.__rpc__['on_change'].decorate(
                Customer.on_change)
            with Transaction().set_context(_check_access=True):
                return method(Customer(**values), ['agent'])
        with Transaction().set_user(self.staff_b.id):
            for values in [{'id': customer.id},
                    {'agent': self.agent_b.id, 'party': party.id,
                        'city': None, 'id': customer.id}]:
                with self.assertRaises(AccessError):
                    on_change(values)
            on_change({'agent': self.agent_b.id})
        with Transaction().set_user(self.staff_a.id):
            on_change({'id': customer.id, 'agent': self.agent_a.id})


    @with_transaction()
    def test_preferences_carry_no_rights(self):
        """set_preferences refuses roles and groups, and x2many actions on
        others' records (issue 12: an operator made itself administrator)"""
        pool = Pool()
        User = pool.get('res.user')
        UserRole = pool.get('res.user.role')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        operator = create_user('op', company, 'role_operator')
        other = create_user('other', company, 'role_operator')
        role_admin = ModelData.get_id('marcier_base', 'role_admin')
        group_admin = ModelData.get_id('res', 'group_admin')
        other_role, = other.roles
        groups = {g.id for g in operator.groups}
        attempts = [
            {'roles': [('create', [{'role': role_admin}])]},
            {'roles': [('write', [other_role.id], {'role': role_admin})]},
            {'roles': [('add', [other_role.id])]},
            {'roles': [('delete', [other_role.id])]},
            {'groups': [('add', [group_admin])]},
            {'actions': [('create', [{'name': "x", 'type': 'ir.action'}])]},
            {'applications': [('write', [1], {'user': other.id})]},
            {'warnings': [('delete', [1])]},
            ]
        with Transaction().set_user(operator.id):
            for values in attempts:
                with self.assertRaises(UserError, msg=values):
                    User.set_preferences(values)
            User.set_preferences({'signature': "Desk 2"})
        self.assertEqual({g.id for g in User(operator.id).groups}, groups)
        self.assertEqual(UserRole(other_role.id).user, other)
        self.assertEqual(User(operator.id).signature, "Desk 2")

    @with_transaction()
    def test_wizard_session_of_its_user(self):
        "Only the user who opened a wizard reads, changes or deletes it"
        pool = Pool()
        Session = pool.get('ir.session.wizard')
        company = create_company()
        user_a = create_user('a', company, 'role_operator')
        user_b = create_user('b', company, 'role_operator')
        transaction = Transaction()
        with transaction.set_user(user_a.id):
            session, = Session.create([{'data': '{"start": {"x": 1}}'}])
        with transaction.set_user(user_b.id):
            with self.assertRaises(AccessError):
                Session.read([session.id], ['data'])
            with self.assertRaises(AccessError):
                Session.write([Session(session.id)], {'data': '{}'})
            with self.assertRaises(AccessError):
                Session.delete([Session(session.id)])
        with transaction.set_user(user_a.id):
            self.assertEqual(Session.read([session.id], ['data'])[0]['data'],
                '{"start": {"x": 1}}')
            Session.delete([Session(session.id)])


del ModuleTestCase
