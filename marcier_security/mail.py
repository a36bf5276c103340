# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Links in the e-mails Tryton sends: from the configuration, never from
the request.  The reset-password e-mail, asked for anonymously
(common.db.reset_password), linked to the Host header of that request: a
forged one sent the user, with the new password, to the sender's host."""
from trytond.pool import PoolMeta
from trytond.transaction import Transaction


class EmailResetPassword(metaclass=PoolMeta):
    __name__ = 'res.user.email_reset_password'

    @classmethod
    def get_context(cls, records, header, data):
        # Without the request, trytond.url takes [web] hostname (and
        # https when [ssl] is set)
        with Transaction().set_context(_request=None):
            return super().get_context(records, header, data)
