# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import unittest

from trytond.tests.test_tryton import load_doc_tests

from marcier_base.tests.scenario import scenario_test_case


def load_tests(loader, tests, pattern):
    # The scenarios once: not ScenarioTestCase too
    return load_doc_tests(
        __name__, __file__, loader, unittest.TestSuite(), pattern)


# pytest ignores load_tests: a test per scenario
ScenarioTestCase = scenario_test_case(__name__, __file__)
