# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import json
from importlib import import_module
from pathlib import Path

from trytond.exceptions import UserError
from trytond.i18n import lazy_gettext
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from . import AgentTestMixin


def create_agent(company, code, name=None):
    pool = Pool()
    Party = pool.get('party.party')
    Agent = pool.get('marcier.agent')
    party, = Party.create([{'name': name or f"Agent {code}"}])
    agent, = Agent.create([{
                'party': party.id, 'code': code, 'company': company.id}])
    return agent


def create_user(login, company, role, agent=None):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    user, = User.create([{
                'login': login,
                'name': login,
                'agent': agent.id if agent else None,
                'companies': [('add', [company.id])],
                'company': company.id,
                'roles': [('create', [{
                                'role': ModelData.get_id(
                                    'marcier_base', role)}])],
                }])
    return user


def load_chinese(module):
    """Make Chinese a translatable language with module's zh_CN.po loaded
    (the test database has none); return the language"""
    pool = Pool()
    Lang = pool.get('ir.lang')
    chinese, = Lang.search([('code', '=', 'zh_CN')])
    chinese.translatable = True
    chinese.save()
    pool.get('ir.translation').translation_import('zh_CN', module, [
            str(Path(import_module(module).__file__).parent
                / 'locale' / 'zh_CN.po')])
    return chinese


def setup_agents(test):
    """Give test a company, agents A and B with a staff user each (staff_a,
    staff_b) and an operator"""
    test.company = company = create_company()
    test.agent_a = create_agent(company, 'A')
    test.agent_b = create_agent(company, 'B')
    test.staff_a = create_user('staff_a', company, 'role_agent', test.agent_a)
    test.staff_b = create_user('staff_b', company, 'role_agent', test.agent_b)
    test.operator = create_user('op', company, 'role_operator')


class MarcierBaseTestCase(CompanyTestMixin, AgentTestMixin, ModuleTestCase):
    "Test Marcier Base module"
    module = 'marcier_base'

    def _setup(self):
        company = create_company()
        agent_a = create_agent(company, 'A')
        agent_b = create_agent(company, 'B')
        staff_a = create_user('staff_a', company, 'role_agent', agent_a)
        staff_b = create_user('staff_b', company, 'role_agent', agent_b)
        operator = create_user('op', company, 'role_operator')
        return company, agent_a, agent_b, staff_a, staff_b, operator

    def _customer(self, agent, name):
        pool = Pool()
        Party = pool.get('party.party')
        Customer = pool.get('marcier.customer')
        party, = Party.create([{'name': name}])
        return Customer.create([{
                    'party': party.id, 'agent': agent.id,
                    'company': agent.company.id}])[0]

    @with_transaction()
    def test_get_agent(self):
        "The user's agent, cached, refreshed when it changes"
        pool = Pool()
        User = pool.get('res.user')
        company, agent_a, agent_b, staff_a, _, operator = self._setup()
        with Transaction().set_user(staff_a.id):
            self.assertEqual(User.get_agent(), agent_a.id)
        with Transaction().set_user(operator.id):
            self.assertIsNone(User.get_agent())
        User.write([staff_a], {'agent': agent_b.id})
        with Transaction().set_user(staff_a.id):
            self.assertEqual(User.get_agent(), agent_b.id)

    @with_transaction()
    def test_agent_staff_not_operator(self):
        "Agent staff cannot also be operator staff"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        _, agent_a, _, staff_a, _, operator = self._setup()
        with self.assertRaises(UserError):
            User.write([operator], {'agent': agent_a.id})
        with self.assertRaises(UserError):
            User.write([staff_a], {'roles': [('create', [{
                                'role': ModelData.get_id(
                                    'marcier_base', 'role_operator')}])]})

    @with_transaction()
    def test_agent_isolation(self):
        "Agent staff read and change only their agent's records"
        pool = Pool()
        Customer = pool.get('marcier.customer')
        company, agent_a, agent_b, staff_a, _, operator = self._setup()
        customer_a = self._customer(agent_a, "Customer of A")
        customer_b = self._customer(agent_b, "Customer of B")
        transaction = Transaction()
        with transaction.set_user(staff_a.id), \
                transaction.set_context(_check_access=True, company=company.id):
            self.assertEqual(Customer.search([]), [customer_a])
            with self.assertRaises(AccessError):
                Customer.read([customer_b.id], ['party'])
            with self.assertRaises(AccessError):
                Customer.write([Customer(customer_b.id)], {'note': "x"})
            with self.assertRaises(AccessError):
                Customer.write([Customer(customer_a.id)], {
                        'agent': agent_b.id})
            with self.assertRaises(AccessError):
                Customer.delete([Customer(customer_b.id)])
            self.assertEqual(Customer.default_agent(), agent_a.id)
        with transaction.set_user(operator.id), \
                transaction.set_context(_check_access=True, company=company.id):
            self.assertEqual(
                set(Customer.search([])), {customer_a, customer_b})

    @with_transaction()
    def test_party_isolation(self):
        """Parties follow the customers, agents and companies that use
        them; contact mechanisms follow their party (issue 12)"""
        pool = Pool()
        Party = pool.get('party.party')
        Mechanism = pool.get('party.contact_mechanism')
        company, agent_a, agent_b, staff_a, staff_b, operator = self._setup()
        customer_a = self._customer(agent_a, "Customer of A")
        customer_b = self._customer(agent_b, "Customer of B")
        party_a, party_b = customer_a.party, customer_b.party
        mechanism, = Mechanism.create([{'party': party_a.id,
                    'type': 'mobile', 'value': '13800000001'}])
        other = create_company("Other Tenant")
        outsider = create_user('outsider', other, 'role_operator')
        transaction = Transaction()
        with transaction.set_user(staff_b.id), transaction.set_context(
                _check_access=True, company=company.id):
            found = Party.search([])
            self.assertIn(party_b, found)
            self.assertNotIn(party_a, found)
            # the company's and the agents' parties: read, not changed
            self.assertIn(company.party, found)
            self.assertIn(agent_a.party, found)
            with self.assertRaises(AccessError):
                Party.read([party_a.id], ['name'])
            with self.assertRaises(AccessError):
                Party.write([Party(party_a.id)], {'name': "B was here"})
            with self.assertRaises(AccessError):
                Party.write([Party(company.party.id)], {'name': "B"})
            with self.assertRaises(AccessError):
                Mechanism.read([mechanism.id], ['value'])
            with self.assertRaises(AccessError):
                Mechanism.create([{'party': party_a.id, 'type': 'mobile',
                            'value': '13900000000'}])
            self.assertEqual(Mechanism.search([('party', '=', party_a.id)]),
                [])
            Party.write([Party(party_b.id)], {'name': "Renamed by B"})
            # a new party (for a new customer) is theirs to fill in
            new, = Party.create([{'name': "New customer"}])
            Party.write([new], {'name': "New customer of B"})
            self.assertEqual(Party(party_b.id).marcier_agents,
                (agent_b,))
        # a customer of both agents is seen by both, each sees only itself
        # among its agents
        pool.get('marcier.customer').create([{'party': party_a.id,
                    'agent': agent_b.id, 'company': company.id}])
        with transaction.set_user(staff_b.id), transaction.set_context(
                _check_access=True, company=company.id):
            self.assertEqual(Party(party_a.id).marcier_agents, (agent_b,))
        with transaction.set_user(operator.id), transaction.set_context(
                _check_access=True, company=company.id):
            self.assertEqual(
                Party.search([('id', 'in', [party_a.id, party_b.id])],
                    order=[('id', 'ASC')]), [party_a, party_b])
        with transaction.set_user(outsider.id), transaction.set_context(
                _check_access=True, company=other.id):
            self.assertEqual(Party.search([('id', 'in', [
                                party_a.id, party_b.id, company.party.id,
                                agent_a.party.id])]), [])

    @with_transaction()
    def test_user_isolation(self):
        "Agent staff see their colleagues and the operators, by name only"
        pool = Pool()
        User = pool.get('res.user')
        UserRole = pool.get('res.user.role')
        company, agent_a, agent_b, staff_a, staff_b, operator = self._setup()
        colleague = create_user('staff_b2', company, 'role_agent', agent_b)
        transaction = Transaction()
        with transaction.set_user(staff_b.id), transaction.set_context(
                _check_access=True, company=company.id):
            found = User.search([])
            self.assertIn(colleague, found)
            self.assertIn(operator, found)
            self.assertNotIn(staff_a, found)
            with self.assertRaises(AccessError):
                User.read([staff_a.id], ['name'])
            self.assertEqual(
                User.read([operator.id], ['rec_name'])[0]['rec_name'], 'op')
            for field in ['login', 'email', 'groups', 'roles', 'sessions']:
                with self.assertRaises(AccessError):
                    User.read([operator.id], [field])
                with self.assertRaises(AccessError):
                    User.search([(field, '=', None)])
            self.assertEqual(
                UserRole.search([('user', '=', staff_a.id)]), [])

    @with_transaction()
    def test_company_isolation(self):
        "Users of another company see none of the company's records"
        pool = Pool()
        Customer = pool.get('marcier.customer')
        Agent = pool.get('marcier.agent')
        company, agent_a, *_ = self._setup()
        self._customer(agent_a, "Customer of A")
        other = create_company("Other Tenant")
        outsider = create_user('outsider', other, 'role_operator')
        with Transaction().set_user(outsider.id), \
                Transaction().set_context(
                    _check_access=True, company=other.id):
            self.assertEqual(Customer.search([]), [])
            self.assertEqual(Agent.search([]), [])

    @with_transaction()
    def test_notify(self):
        "Messages go to the users, their group or the agent's staff"
        pool = Pool()
        Notification = pool.get('res.notification')
        company, agent_a, _, staff_a, staff_b, operator = self._setup()
        customer = self._customer(agent_a, "Customer")
        with set_company(company):
            message, = Notification.notify(
                [staff_a], 'todo', "Call back", body="Please call back",
                record=customer)
            self.assertEqual(message.kind, 'todo')
            self.assertEqual(message.icon, 'tryton-notification')
            self.assertTrue(message.unread)
            self.assertEqual(message.related, customer)
            self.assertEqual(json.loads(message.records), [customer.id])

            messages = Notification.notify_group(
                'marcier_base.group_operator', 'warning', "Expiry")
            self.assertIn(operator, [m.user for m in messages])
            self.assertNotIn(staff_a, [m.user for m in messages])

            messages = agent_a.notify('reminder', "Listed")
            self.assertEqual([m.user for m in messages], [staff_a])

            with self.assertRaises(UserError):
                Notification.notify([staff_a], 'spam', "Nope")
            with self.assertRaises(UserError):
                Notification.notify([staff_a], 'todo', "")

    @with_transaction()
    def test_notify_recipient_language(self):
        "Each recipient reads a message in their own language"
        pool = Pool()
        Notification = pool.get('res.notification')
        company, agent_a, _, staff_a, staff_b, _ = self._setup()
        chinese = load_chinese('marcier_base')
        staff_a.language = chinese
        staff_a.save()
        title = lazy_gettext('marcier_base.msg_welcome_title')
        with Transaction().set_context(language='en'):
            messages = Notification.notify([staff_a, staff_b], 'reminder',
                title, body=lazy_gettext('marcier_base.msg_welcome_body'))
        labels = {m.user: m.label for m in messages}
        self.assertEqual(labels[staff_b], "Welcome to Marcier")
        self.assertEqual(labels[staff_a], "欢迎使用 Marcier")
        body = {m.user: m.body for m in messages}[staff_a]
        self.assertTrue(body.startswith("您的消息"), body)
        self.assertEqual(Notification.labels(title),
            {"Welcome to Marcier", "欢迎使用 Marcier"})

    @with_transaction()
    def test_notify_group_company(self):
        "A group message reaches only the users of the current company"
        pool = Pool()
        Notification = pool.get('res.notification')
        company, *_ , operator = self._setup()
        other = create_company("Other Tenant")
        outsider = create_user('outsider', other, 'role_operator')
        with Transaction().set_context(company=company.id):
            users = [m.user for m in Notification.notify_group(
                    'marcier_base.group_operator', 'todo', "Review")]
        self.assertIn(operator, users)
        self.assertNotIn(outsider, users)

    @with_transaction()
    def test_own_messages(self):
        "A user sees, opens and marks only their own messages"
        pool = Pool()
        Notification = pool.get('res.notification')
        OpenNotification = pool.get('res.notification.open', type='wizard')
        company, agent_a, _, staff_a, staff_b, _ = self._setup()
        mine, = Notification.notify([staff_a], 'todo', "Mine")
        theirs, = Notification.notify([staff_b], 'todo', "Theirs")
        with Transaction().set_user(staff_a.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Notification.search([('mine', '=', True)]), [mine])
            self.assertEqual(Notification.search([]), [mine])
            with self.assertRaises(AccessError):
                Notification.read([theirs.id], ['label'])

            session_id, _, _ = OpenNotification.create()
            with Transaction().set_context(
                    active_model='res.notification', active_id=mine.id,
                    active_ids=[mine.id]):
                result = OpenNotification.execute(session_id, {}, 'open_')
            action, = result['actions']
            self.assertEqual(action[0]['res_id'], [mine.id])
            self.assertFalse(Notification(mine.id).unread)

            Notification.mark_unread([Notification(mine.id)])
            self.assertTrue(Notification(mine.id).unread)
            with self.assertRaises(AccessError):
                Notification.open_related([Notification(theirs.id)])

    @with_transaction()
    def test_open_related(self):
        "The button opens the related record and marks the message read"
        pool = Pool()
        Notification = pool.get('res.notification')
        company, agent_a, _, staff_a, _, _ = self._setup()
        customer = self._customer(agent_a, "Customer")
        message, = Notification.notify(
            [staff_a], 'reminder', "New customer", record=customer)
        with Transaction().set_user(staff_a.id), \
                Transaction().set_context(_check_access=True):
            action = Notification.open_related([message])
        self.assertEqual(action['res_model'], 'marcier.customer')
        self.assertEqual(action['res_id'], [customer.id])
        self.assertFalse(Notification(message.id).unread)

    @with_transaction()
    def test_city_coordinates(self):
        "Cities need valid coordinates and a positive radius"
        pool = Pool()
        City = pool.get('marcier.city')
        for latitude, longitude, radius in [
                (95, 10, 5), (10, -181, 5), (10, 10, 0), (10, 10, -3)]:
            with self.subTest(latitude=latitude, longitude=longitude,
                    radius=radius), self.assertRaises(UserError):
                City.check_coordinates([City(name="Nowhere",
                            latitude=latitude, longitude=longitude,
                            radius=radius)])
        city, = City.create([{'name': "Somewhere", 'latitude': 10,
                    'longitude': 10}])
        self.assertEqual(city.radius, 50)

    @with_transaction()
    def test_operator_creates_staff_account(self):
        "Operators open agent staff accounts, and only those"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        CreateStaff = pool.get('marcier.agent.staff.create', type='wizard')
        company, agent_a, _, staff_a, _, operator = self._setup()
        # what sao sends: the form's values, the default role included
        values = {'name': "New Staff", 'login': 'new_staff',
            'password': 'New-Staff-2026', 'email': None,
            'agent': agent_a.id,
            'role': ModelData.get_id('marcier_base', 'role_agent')}
        context = {'active_model': 'marcier.agent', 'active_id': agent_a.id,
            'active_ids': [agent_a.id], '_check_access': True,
            'company': company.id}
        with Transaction().set_user(staff_a.id), \
                Transaction().set_context(context), \
                self.assertRaises(AccessError):
            CreateStaff.create()
        with Transaction().set_user(operator.id), \
                Transaction().set_context(context):
            session_id, _, _ = CreateStaff.create()
            CreateStaff.execute(session_id, {'start': values}, 'create_')
        user, = User.search([('login', '=', 'new_staff')])
        self.assertEqual(user.agent, agent_a)
        self.assertEqual(user.company, company)
        self.assertEqual(
            {r.role.name for r in user.roles}, {"Agent Staff"})
        self.assertEqual(User.get_login(
                'new_staff', {'password': 'New-Staff-2026'}), user.id)


del ModuleTestCase
