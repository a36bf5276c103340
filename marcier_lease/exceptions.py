# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class ContractDateError(ValidationError):
    pass


class ContractOverlapError(ValidationError):
    pass


class ContractError(UserError):
    pass


class InstallmentError(UserError):
    pass


class InstallmentAccessError(AccessError):
    pass


class PaymentError(UserError):
    pass


class QuotationError(UserError):
    pass


class ConfigurationError(UserError):
    pass


class LateFeeError(UserError):
    pass


class FollowUpError(ValidationError):
    pass


class LockRequestError(UserError):
    pass
