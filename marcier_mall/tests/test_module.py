# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase

from marcier_base.tests import AgentTestMixin


class MarcierMallTestCase(CompanyTestMixin, AgentTestMixin, ModuleTestCase):
    "Test Marcier Mall module"
    module = 'marcier_mall'


del ModuleTestCase
