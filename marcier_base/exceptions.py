# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class AgentBookError(AccessError):
    pass


class AgentStaffError(ValidationError):
    pass


class CityCoordinatesError(ValidationError):
    pass


class NotificationError(UserError):
    pass


class WorkflowFieldError(UserError):
    pass
