# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class VehicleStatusError(UserError):
    pass


class VehicleCustomerError(ValidationError):
    pass


class VehicleGatewayError(ValidationError):
    pass


class VehicleIdentifierError(AccessError):
    pass


class VehicleLedgerError(UserError):
    "Ownership changes that bypass the transfer"
    pass


class TransferError(UserError):
    pass


class TransferAccessError(AccessError):
    pass


class EventError(UserError):
    pass


class MaintenancePlanError(ValidationError):
    pass


class MaintenanceAccessError(AccessError):
    pass


class FleetMapError(UserError):
    "What a fleet map asked does not make sense"
    pass
