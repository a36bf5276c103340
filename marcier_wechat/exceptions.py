# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class AccountError(ValidationError):
    pass


class WeChatAPIError(UserError):
    "WeChat's HTTP API refused or could not be reached"
    pass


class RepairError(UserError):
    pass


class RatingError(UserError):
    pass


class RegistrationError(UserError):
    "Shown to the WeChat user on the H5 page"
    pass


class RenterError(UserError):
    "Shown to the renter on the personal centre's pages"
    pass
