# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.

from trytond.tests.test_tryton import load_doc_tests

from marcier_base.tests.scenario import scenario_test_case


def load_tests(*args, **kwargs):
    return load_doc_tests(__name__, __file__, *args, **kwargs)


# pytest ignores load_tests
ScenarioTestCase = scenario_test_case(__name__, __file__)
