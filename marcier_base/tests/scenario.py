# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Run the proteus scenarios of a module under pytest too.

Tryton's test_scenario.py gives unittest its doctests through load_tests,
which pytest ignores; scenario_test_case() wraps the same suite in a
TestCase with one test_<scenario> method per .rst file, which pytest
collects (and -k selects)."""
import unittest
from pathlib import Path

from trytond.tests.test_tryton import load_doc_tests

__all__ = ['scenario_test_case']


def scenario_test_case(name, path):
    suite = load_doc_tests(
        name, path, unittest.TestLoader(), unittest.TestSuite(), None)
    methods = {}
    for case in suite:
        stem = Path(case._dt_test.filename).stem
        methods[f'test_{stem}'] = _method(case)
    return type('ScenarioTestCase', (unittest.TestCase,), methods)


def _method(case):
    def test(self):
        # The doctest's own setUp/tearDown: Tryton's doctest_setup and
        # doctest_teardown (which drops the database)
        case.setUp()
        try:
            case.runTest()
        finally:
            case.tearDown()
    test.__doc__ = case._dt_test.name
    return test
