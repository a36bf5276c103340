# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class CategoryError(ValidationError):
    pass


class ProductError(ValidationError):
    pass


class ListingError(ValidationError):
    pass


class TransitionError(UserError):
    pass


class ListingStateError(UserError):
    pass


class ListingAccessError(AccessError):
    pass


class InquiryError(ValidationError):
    pass
