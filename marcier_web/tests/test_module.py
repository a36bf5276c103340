# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from .. import web


class MarcierWebTestCase(ModuleTestCase):
    "Test Marcier Web module"
    module = 'marcier_web'

    @with_transaction()
    def test_throttle(self):
        "A client gets limit attempts per window, others are not hindered"
        Attempt = Pool().get('web.client.attempt')
        for _ in range(3):
            self.assertTrue(Attempt.allowed('inquiry', '10.0.0.1', 3, 60))
            Attempt.record('inquiry', '10.0.0.1')
        self.assertFalse(Attempt.allowed('inquiry', '10.0.0.1', 3, 60))
        self.assertTrue(Attempt.allowed('inquiry', '10.0.0.2', 3, 60))
        self.assertTrue(Attempt.allowed('other', '10.0.0.1', 3, 60))
        self.assertNotIn('10.0.0.1', Attempt.search([])[0].client)

    @with_transaction()
    def test_throttle_migration(self):
        "The mall's attempts table becomes the layer's on upgrade"
        Attempt = Pool().get('web.client.attempt')
        Attempt.record('inquiry', '10.0.0.1')
        backend.TableHandler.table_rename(
            Attempt._table, 'mall_client_attempt')
        Attempt.__register__('marcier_web')
        self.assertFalse(
            backend.TableHandler.table_exist('mall_client_attempt'))
        self.assertFalse(Attempt.allowed('inquiry', '10.0.0.1', 1, 60))

    def test_content_security_policy(self):
        "A page adds sources to the strict policy, never loosens the rest"
        self.assertEqual(web.POLICY, "default-src 'none'; img-src 'self'; "
            "style-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
        policy = web.content_security_policy(script_src="'self'",
            img_src="'self' data:")
        self.assertEqual(policy.split('; ')[:3], ["default-src 'none'",
                "script-src 'self'", "img-src 'self' data:"])
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertNotIn('unsafe', policy)

    def test_signatures(self):
        "A signature holds for its purpose and value only"
        self.assertEqual(web.sign('a', '1'), web.sign('a', '1'))
        self.assertNotEqual(web.sign('a', '1'), web.sign('b', '1'))
        self.assertNotEqual(web.sign('a', '1'), web.sign('a', '2'))


del ModuleTestCase
