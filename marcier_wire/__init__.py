# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The wire format shared by the device side and the platform side.

CAN databases (dbc), the map from a vehicle type's signals to the
platform's quantities (mapping) and CAN log reading (canlog).  It imports
neither trytond nor the marcier command package, so that a gateway box
runs it without the platform.
"""
from importlib import resources


def data_file(name):
    "The path of a vehicle type's file shipped with the package"
    return resources.files(__name__) / 'data' / name
