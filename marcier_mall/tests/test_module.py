# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import contextlib
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, without_check_access

from marcier_base.tests import AgentTestMixin
from marcier_base.tests.test_module import create_agent, create_user


@contextlib.contextmanager
def as_user(user, company):
    "Act as user through the access checks, as a JSON-RPC call does"
    transaction = Transaction()
    with transaction.set_user(user.id), \
            transaction.set_context(_check_access=True, company=company.id):
        yield


def create_city(name):
    City = Pool().get('marcier.city')
    city, = City.create([{'name': name, 'latitude': 31, 'longitude': 121}])
    return city


def create_product(name="Golf Cart G4", category=None, **values):
    pool = Pool()
    Category = pool.get('product.category')
    Model = pool.get('mall.product.model')
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    ModelData = pool.get('ir.model.data')
    if category is None:
        parent, = Category.create([{'name': "Golf Carts"}])
        category, = Category.create([{'name': "4 seats", 'parent': parent}])
    model, = Model.create([{'code': name.split()[-1], 'name': name}])
    template, = Template.create([{
                'name': name, 'code': name.replace(' ', '-'), 'mall': True,
                'default_uom': Uom(ModelData.get_id('product', 'uom_unit')),
                'mall_category': category.id, 'mall_model': model.id,
                'rated_load': 320, 'features': "Quiet\nLithium battery",
                'parameters': [('create', [
                                {'name': "Top speed", 'value': "25",
                                    'unit': "km/h"}])],
                **values}])
    return template


def create_listing(agent, product, city, price=Decimal('3000')):
    Listing = Pool().get('mall.listing')
    listing, = Listing.create([{
                'company': agent.company.id, 'agent': agent.id,
                'product': product.id, 'years_of_use': 1,
                'cities': [('add', [city.id])],
                'prices': [('create', [{'city': city.id, 'price': price,
                                'unit': 'month'}])],
                }])
    return listing


class MarcierMallTestCase(CompanyTestMixin, AgentTestMixin, ModuleTestCase):
    "Test Marcier Mall module"
    module = 'marcier_mall'

    def _setup(self):
        company = create_company()
        city = create_city("Shanghai")
        agent_a = create_agent(company, 'A')
        agent_b = create_agent(company, 'B')
        agent_a.cities = [city]
        agent_a.save()
        staff_a = create_user('staff_a', company, 'role_agent', agent_a)
        staff_b = create_user('staff_b', company, 'role_agent', agent_b)
        operator = create_user('op', company, 'role_operator')
        return company, city, agent_a, agent_b, staff_a, staff_b, operator

    def _messages(self, user, kind):
        Notification = Pool().get('res.notification')
        return Notification.search(
            [('user', '=', user.id), ('kind', '=', kind)])

    @with_transaction()
    def test_category_two_levels(self):
        "Categories have one level of sub-categories, and no third"
        Category = Pool().get('product.category')
        top, = Category.create([{'name': "Forklifts"}])
        sub, = Category.create([{'name': "Electric", 'parent': top.id}])
        with self.assertRaisesRegex(UserError, "third level"):
            Category.create([{'name': "Too deep", 'parent': sub.id}])
        other, = Category.create([{'name': "Other"}])
        with self.assertRaisesRegex(UserError, "third level"):
            # Moving a category with children under another one
            Category.write([top], {'parent': other.id})

    @with_transaction()
    def test_category_delete_in_use(self):
        "A category with sub-categories or products is not deleted"
        Category = Pool().get('product.category')
        product = create_product()
        sub = product.mall_category
        with self.assertRaisesRegex(UserError, "sub-categories"):
            Category.delete([sub.parent])
        with self.assertRaisesRegex(UserError, "still has products"):
            Category.delete([sub])
        empty, = Category.create([{'name': "Empty"}])
        Category.delete([empty])

    @with_transaction()
    def test_product_fields(self):
        "Mall products need a category and positive figures"
        pool = Pool()
        Template = pool.get('product.template')
        product = create_product()
        self.assertEqual(product.feature_lines, ["Quiet", "Lithium battery"])
        self.assertEqual(product.parameters[0].unit, "km/h")
        with self.assertRaises(UserError):
            Template.write([product], {'rated_load': -5})
        with self.assertRaises(UserError):
            Template.write([product], {'lift_height': 0})
        with self.assertRaises(UserError):
            Template.write([product], {'mall_category': None})

    @with_transaction()
    def test_listing_workflow(self):
        "Submit, reject with reason, resubmit, approve, delist: logged"
        pool = Pool()
        Listing = pool.get('mall.listing')
        company, city, agent_a, _, staff_a, _, operator = self._setup()
        listing = create_listing(agent_a, create_product(), city)

        def reject(listing, reason):
            # As the Reject wizard's transition runs it: as the user,
            # past the access checks (the wizard checked the button's)
            with without_check_access():
                Listing.reject_with_reason([listing], reason)
        with as_user(staff_a, company):
            listing = Listing(listing.id)
            Listing.submit([listing])
            self.assertEqual(listing.state, 'submitted')
            with self.assertRaises(UserError):
                Listing.approve([listing])
            with self.assertRaises(AccessError):
                reject(listing, "No")
        todo, = self._messages(operator, 'todo')
        self.assertEqual(todo.related, listing)
        with as_user(operator, company):
            listing = Listing(listing.id)
            with self.assertRaisesRegex(UserError, "reason"):
                reject(listing, "  ")
            reject(listing, "Photos missing")
            self.assertEqual(listing.state, 'rejected')
            self.assertEqual(listing.reject_reason, "Photos missing")
        rejected, = self._messages(staff_a, 'reminder')
        self.assertEqual(rejected.body, "Photos missing")
        with as_user(staff_a, company):
            listing = Listing(listing.id)
            Listing.draft([listing])
            Listing.write([listing], {'years_of_use': 2})
            Listing.submit([listing])
            self.assertIsNone(listing.reject_reason)
        with as_user(operator, company):
            listing = Listing(listing.id)
            Listing.approve([listing])
            self.assertEqual(listing.state, 'listed')
            self.assertTrue(listing.listed_at)
        self.assertIn("Listing published",
            ' '.join(m.label for m in self._messages(staff_a, 'reminder')))
        with as_user(staff_a, company):
            listing = Listing(listing.id)
            Listing.delist([listing])
        listing = Listing(listing.id)
        self.assertEqual(listing.state, 'delisted')
        self.assertEqual(
            [(l.from_state, l.to_state) for l in reversed(listing.logs)], [
                ('draft', 'submitted'), ('submitted', 'rejected'),
                ('rejected', 'draft'), ('draft', 'submitted'),
                ('submitted', 'listed'), ('listed', 'delisted')])
        self.assertEqual({l.user for l in listing.logs}, {staff_a, operator})
        self.assertEqual(listing.logs[4].reason, "Photos missing")

    @with_transaction()
    def test_wrong_transitions(self):
        "Approving a draft or changing a listed offer is refused"
        pool = Pool()
        Listing = pool.get('mall.listing')
        Price = pool.get('mall.listing.price')
        company, city, agent_a, _, staff_a, _, operator = self._setup()
        listing = create_listing(agent_a, create_product(), city)
        with as_user(operator, company):
            with self.assertRaisesRegex(UserError, "can not call"):
                Listing.approve([Listing(listing.id)])
            Listing.submit([Listing(listing.id)])
            Listing.approve([Listing(listing.id)])
        # Called by code rather than by a button: the transition refuses
        with self.assertRaisesRegex(UserError, "cannot become Draft"):
            Listing.draft([Listing(listing.id)])
        with as_user(staff_a, company):
            listing = Listing(listing.id)
            with self.assertRaisesRegex(UserError, "back to draft"):
                Listing.write([listing], {'years_of_use': 5})
            with self.assertRaisesRegex(UserError, "back to draft"):
                Price.write(list(listing.prices), {'price': Decimal(1)})
            with self.assertRaisesRegex(UserError, "back to draft"):
                Price.create([{'listing': listing.id, 'city': city.id,
                            'price': Decimal(1), 'unit': 'day'}])
            with self.assertRaises(UserError):
                Listing.delete([listing])
            with self.assertRaises(UserError):
                Listing.submit([listing])
        self.assertEqual(Listing(listing.id).prices[0].price, Decimal(3000))

    @with_transaction()
    def test_submit_incomplete(self):
        "A listing without price, or for a city the agent does not serve"
        pool = Pool()
        Listing = pool.get('mall.listing')
        company, city, agent_a, _, staff_a, _, _ = self._setup()
        product = create_product()
        bare, = Listing.create([{'company': company.id, 'agent': agent_a.id,
                    'product': product.id}])
        with self.assertRaisesRegex(UserError, "service city"):
            Listing.submit([bare])
        far = create_listing(agent_a, product, create_city("Lhasa"))
        with self.assertRaisesRegex(UserError, "does not serve Lhasa"):
            Listing.submit([far])
        self.assertEqual({bare.state, far.state}, {'draft'})

    @with_transaction()
    def test_listing_isolation(self):
        "Agent B neither sees nor acts on agent A's listings"
        pool = Pool()
        Listing = pool.get('mall.listing')
        Price = pool.get('mall.listing.price')
        company, city, agent_a, agent_b, staff_a, staff_b, operator = (
            self._setup())
        product = create_product()
        listing = create_listing(agent_a, product, city)
        with as_user(staff_b, company):
            self.assertEqual(Listing.search([]), [])
            with self.assertRaises(AccessError):
                Listing.read([listing.id], ['state'])
            with self.assertRaises(AccessError):
                Listing.submit([Listing(listing.id)])
            with self.assertRaises(AccessError):
                Price.create([{'listing': listing.id, 'city': city.id,
                            'price': Decimal(1), 'unit': 'day'}])
            own, = Listing.create([{'product': product.id}])
            self.assertEqual(own.agent, agent_b)
        with as_user(staff_a, company):
            with self.assertRaises(AccessError):
                Listing.write([Listing(listing.id)], {'agent': agent_b.id})
        with as_user(operator, company):
            self.assertEqual(len(Listing.search([])), 2)

    @with_transaction()
    def test_inquiry(self):
        "An inquiry belongs to the listing's agent and sends a to-do"
        pool = Pool()
        Listing = pool.get('mall.listing')
        Inquiry = pool.get('mall.inquiry')
        company, city, agent_a, _, staff_a, staff_b, _ = self._setup()
        listing = create_listing(agent_a, create_product(), city)
        values = {'listing': listing.id, 'name': "Mr Wu",
            'mobile': '+86 138-1234-5678', 'city': city.id, 'quantity': 3,
            'period': 6, 'period_unit': 'month', 'message': "<b>hi</b>"}
        with self.assertRaisesRegex(UserError, "not listed"):
            Inquiry.create([values])
        Listing.submit([listing])
        Listing.approve([listing])
        with set_company(company):
            inquiry, = Inquiry.create([values])
        self.assertEqual(inquiry.agent, agent_a)
        self.assertEqual(inquiry.mobile, '13812345678')
        todo, = self._messages(staff_a, 'todo')
        self.assertEqual(todo.related, inquiry)
        self.assertIn("13812345678", todo.body)
        self.assertFalse(self._messages(staff_b, 'todo'))
        for bad in [{'mobile': '12345'}, {'quantity': 0},
                {'quantity': 100000}, {'period': 500}, {'period': -1}]:
            with self.subTest(bad=bad), self.assertRaises(UserError):
                Inquiry.create([{**values, **bad}])

        with as_user(staff_a, company):
            inquiry = Inquiry(inquiry.id)
            with self.assertRaisesRegex(UserError, "can not call"):
                Inquiry.quote([inquiry])
            Inquiry.contact([inquiry])
            Inquiry.quote([inquiry])
            Inquiry.close([inquiry])
            self.assertEqual(inquiry.state, 'closed')
            with self.assertRaises(AccessError):
                Inquiry.create([values])
        with as_user(staff_b, company):
            self.assertEqual(Inquiry.search([]), [])
            with self.assertRaises(AccessError):
                Inquiry.read([inquiry.id], ['mobile'])


del ModuleTestCase
