# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError


class SecretKeyError(Exception):
    "The server has no key to encrypt the second factors' secrets"


class SecondFactorError(UserError):
    pass


class PreferencesError(UserError):
    pass


class StaffError(UserError):
    pass
