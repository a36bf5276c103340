# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import ValidationError


class CommandError(UserError):
    pass


class ConfigurationError(ValidationError):
    pass


class VehicleTypeError(UserError):
    pass


class VehicleTypeWarning(UserWarning):
    pass


class FaultError(UserError):
    "A fault catalogue that cannot be seeded from the type's DBC"
    pass


class GatewayError(ValidationError):
    pass


class ReplayError(UserError):
    "A replay asked of a vehicle, trip or period it cannot show"
    pass
