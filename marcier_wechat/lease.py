# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The personal centre's leasing part: my contracts, my bills and what is
overdue; the reminders of overdue bills (registered only when marcier_lease
is activated)."""
from trytond.i18n import gettext
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from marcier_web import i18n

from .exceptions import WeChatAPIError
from .sms import backend

CONTRACT_STATES = ['not_started', 'in_progress', 'suspended', 'completed']


class User(metaclass=PoolMeta):
    __name__ = 'wechat.user'

    def contracts(self):
        "The lease contracts of the user's customer, newest first"
        Contract = Pool().get('lease.contract')
        if not self.party:
            return []
        return Contract.search([
                ('company', '=', self.account.company.id),
                ('customer', '=', self.party.id),
                ('state', 'in', CONTRACT_STATES),
                ], order=[('start_date', 'DESC'), ('id', 'DESC')])

    def bills(self, overdue=False):
        "The billed plan lines of the user's customer (the bills)"
        Installment = Pool().get('lease.installment')
        if not self.party:
            return []
        domain = [
            ('company', '=', self.account.company.id),
            ('customer', '=', self.party.id),
            ('state', 'in', ['billed', 'paid']),
            ]
        if overdue:
            domain.append(('overdue', '=', True))
        return Installment.search(domain,
            order=[('due_date', 'DESC'), ('id', 'DESC')])


class Installment(metaclass=PoolMeta):
    __name__ = 'lease.installment'

    @classmethod
    def remind_customers(cls, dunnings):
        """The reminder of each dunning's bill by WeChat template message to
        the customer following the official account, else by SMS to the
        customer's mobile; in the customer's language.  A channel that
        fails leaves the reminder unsent (logged), not the dunning undone."""
        sent = super().remind_customers(dunnings)
        for dunning in dunnings:
            installment = dunning.installment
            account, user, mobile = installment._reminder_contact()
            language = user.speaks if user else i18n.DEFAULT
            with Transaction().set_context(language=language):
                installment = cls(installment.id)
                level = dunning.level.__class__(dunning.level.id)
                text = installment.dunning_text(level)
                title = level.rec_name
                if (account and user and user.subscribed
                        and account.dunning_template):
                    try:
                        installment._send_template(account, user, level)
                    except WeChatAPIError:
                        pass
                    else:
                        sent[dunning.id] = gettext(
                            'marcier_wechat.msg_dunning_sent_wechat',
                            user=user.rec_name)
                        continue
                if mobile:
                    backend().send(installment.company, mobile,
                        f'{title}: {text}')
                    sent[dunning.id] = gettext(
                        'marcier_wechat.msg_dunning_sent_sms', mobile=mobile)
        return sent

    def _reminder_contact(self):
        "(official account, its follower of the customer, mobile number)"
        pool = Pool()
        Account = pool.get('wechat.account')
        User = pool.get('wechat.user')
        Customer = pool.get('marcier.customer')
        account = Account.for_company(self.company)
        users = User.search([
                ('account', '=', account.id),
                ('party', '=', self.customer.id),
                ], order=[('subscribed', 'DESC'), ('id', 'DESC')],
            limit=1) if account else []
        user = users[0] if users else None
        mobile = user.mobile if user else None
        if not mobile:
            customers = Customer.search([
                    ('party', '=', self.customer.id),
                    ('agent', '=', self.agent.id),
                    ('mobile', '!=', None),
                    ], limit=1)
            mobile = customers[0].mobile if customers else None
        return account, user, mobile

    def _send_template(self, account, user, level):
        values = self.dunning_values(level)
        data = {
            'first': {'value': gettext(
                    'marcier_wechat.msg_dunning_first', **values)},
            'keyword1': {'value': self.bill_number},
            'keyword2': {'value': values['unpaid']},
            'keyword3': {'value': str(self.due_date)},
            'remark': {'value': gettext(
                    'marcier_wechat.msg_dunning_remark', **values)},
            }
        account.call(lambda c: c.message.send_template(
                user.openid, account.dunning_template, data,
                url=account.page_url('bills')))
