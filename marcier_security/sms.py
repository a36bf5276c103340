# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""An SMS "backend" for development and tests: it appends each message to
a file instead of sending it.  Production points [authentication_sms]
function at its SMS provider's client, a function(text, to, sender)."""
import datetime as dt
from pathlib import Path

from trytond import config

from marcier_base.var import var_dir


def outbox_path():
    return Path(config.get('marcier', 'sms_outbox',
            default=str(var_dir() / 'sms-outbox.txt')))


def outbox(text, to, sender=None):
    "[authentication_sms] function = marcier_security.sms.outbox"
    path = outbox_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open('a') as file:
        file.write(f'{dt.datetime.now().isoformat()}\t{to}\t{text}\n')
