# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase

from marcier_base.tests import AgentTestMixin


class MarcierLeaseTestCase(CompanyTestMixin, AgentTestMixin, ModuleTestCase):
    "Test Marcier Lease module"
    module = 'marcier_lease'
    extras = ['marcier_iot']


del ModuleTestCase
