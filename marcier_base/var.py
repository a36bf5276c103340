# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Where the modules keep their files (broker files, spools, outboxes):
[marcier] var_dir of trytond's configuration, which the `marcier` command
sets to its var folder; var/ under the working directory otherwise.  Never
the source tree, so that an installed wheel works."""
from pathlib import Path

from trytond import config


def var_dir():
    return Path(config.get('marcier', 'var_dir', default='var')).absolute()
