# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"Three vehicle types of different makes, as shipped in marcier_wire/data"
import pytest

from marcier_wire import data_file, dbc, mapping

TYPES = {
    'vehicle': 'marcier_vehicle.dbc',
    'forklift': 'hexin_forklift.dbc',
    'sweeper': 'qingyuan_sweeper.dbc',
    }


def dbc_bytes(kind):
    return data_file(TYPES[kind]).read_bytes()


@pytest.fixture(scope='session')
def loaded():
    return {kind: dbc.load(dbc_bytes(kind)) for kind in TYPES}


@pytest.fixture(scope='session')
def decoders(loaded):
    return {kind: mapping.Decoder(result.database,
            mapping.propose(result.database))
        for kind, result in loaded.items()}
