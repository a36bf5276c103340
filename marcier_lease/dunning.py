# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Collections (催收) on Tryton's account_dunning: the daily run duns the
overdue bills; each level it reaches may remind the customer (WeChat or
SMS, marcier_wechat's channels), give the agent's staff a to-do and propose
the drive lock; the agent's staff keep a follow-up log per bill."""
from trytond.i18n import gettext, lazy_gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from marcier_base.model import AgentOwnedMixin

from .exceptions import FollowUpError


class Level(metaclass=PoolMeta):
    __name__ = 'account.dunning.level'
    name = fields.Char("Name", translate=True,
        help="What the customer and the staff read, e.g. \"Warning\".")
    notify_customer = fields.Boolean("Remind Customer",
        help="Send the customer a WeChat template message, else an SMS.")
    notify_staff = fields.Boolean("To-do for Agent Staff")
    propose_lock = fields.Boolean("Propose Drive Lock",
        help="The to-do proposes requesting the remote drive lock.")

    @classmethod
    def default_notify_customer(cls):
        return True

    @classmethod
    def default_notify_staff(cls):
        return True

    @classmethod
    def default_propose_lock(cls):
        return False

    def get_rec_name(self, name):
        return self.name or super().get_rec_name(name)


class Dunning(metaclass=PoolMeta):
    __name__ = 'account.dunning'
    installment = fields.Many2One(
        'lease.installment', "Lease Bill", readonly=True, ondelete='CASCADE',
        states={
            'invisible': ~Eval('installment'),
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.installment, Index.Equality())))

    @classmethod
    def _get_dunning(cls, line, date):
        """The lease bills of customers without a procedure of their own
        follow the leasing configuration's"""
        pool = Pool()
        Configuration = pool.get('lease.configuration')
        installment = cls._line_installment(line)
        dunning = super()._get_dunning(line, date)
        if dunning is None and installment:
            procedure = Configuration(1).dunning_procedure
            for level in (procedure.levels if procedure else []):
                if level.test(line, date):
                    dunning = cls(company=line.account.company, line=line,
                        procedure=procedure, level=level)
                    break
        if dunning is not None:
            dunning.installment = installment
        return dunning

    @classmethod
    def _line_installment(cls, line):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Installment = pool.get('lease.installment')
        origin = line.move.origin if line.move else None
        if isinstance(origin, Invoice):
            installments = Installment.search(
                [('invoice', '=', origin.id)], limit=1)
            if installments:
                return installments[0]

    @classmethod
    def run(cls, date):
        """The daily run: dun the overdue receivables as of date and send
        the lease bills' new levels"""
        # The platform's run, whoever triggers it: account_dunning
        # searches the receivables with access checks
        with Transaction().set_user(0):
            cls.generate_dunnings(date=date)
        domain = [('state', '=', 'draft'), ('installment', '!=', None)]
        if company := Transaction().context.get('company'):
            domain.append(('company', '=', company))
        # The demo replays past days: the levels are reached on date
        with Transaction().set_context(dunning_date=date):
            cls.process(cls.search(domain))

    @classmethod
    def process(cls, dunnings):
        reached = [d for d in dunnings
            if d.installment and not d.blocked and d.state == 'draft']
        super().process(dunnings)
        date = (Transaction().context.get('dunning_date')
            or Pool().get('ir.date').today())
        if reached:
            cls.write(reached, {'date': date})
        cls.send_lease_reminders(reached, date)

    @classmethod
    def send_lease_reminders(cls, dunnings, date):
        """Remind the customers, give their agent's staff a to-do and log
        each reminder in the bill's follow-ups on date"""
        with without_check_access():  # the run's record, whoever runs it
            cls._send_lease_reminders(dunnings, date)

    @classmethod
    def _send_lease_reminders(cls, dunnings, date):
        pool = Pool()
        Installment = pool.get('lease.installment')
        FollowUp = pool.get('lease.installment.follow_up')
        sent = Installment.remind_customers(
            [d for d in dunnings if d.level.notify_customer])
        logs = []
        for dunning in dunnings:
            installment = dunning.installment
            level = dunning.level
            values = installment.dunning_values(level)
            if level.notify_staff:
                body = ('msg_dunning_lock_body' if level.propose_lock
                    else 'msg_dunning_body')
                installment.agent.notify('todo',
                    lazy_gettext('marcier_lease.msg_dunning_title', **values),
                    body=lazy_gettext(f'marcier_lease.{body}', **values),
                    record=installment)
            if level.notify_customer:
                logs.append({
                        'installment': installment.id,
                        'kind': 'reminder',
                        'date': date,
                        'note': gettext('marcier_lease.msg_dunning_log',
                            level=level.rec_name,
                            channel=sent.get(dunning.id) or gettext(
                                'marcier_lease.msg_dunning_no_channel')),
                        })
        FollowUp.create(logs)


FOLLOW_UP_KINDS = [
    ('call', "Called"),
    ('promise', "Promised to Pay"),
    ('dispute', "Disputed"),
    ('note', "Note"),
    ('reminder', "Reminder Sent"),
    ]


class FollowUp(AgentOwnedMixin, ModelSQL, ModelView):
    "Follow-up of an overdue bill: calls, promises, disputes, reminders"
    __name__ = 'lease.installment.follow_up'
    installment = fields.Many2One(
        'lease.installment', "Bill", required=True, ondelete='CASCADE',
        domain=[
            ('state', '=', 'billed'),
            ],
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    date = fields.Date("Date", required=True)
    kind = fields.Selection(FOLLOW_UP_KINDS, "Kind", required=True,
        sort=False)
    promised_date = fields.Date("Promised Payment Date",
        states={
            'invisible': Eval('kind') != 'promise',
            'required': Eval('kind') == 'promise',
            })
    note = fields.Text("Note",
        states={
            'required': Eval('kind').in_(['dispute', 'note']),
            })
    user = fields.Many2One('res.user', "By", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        cls.agent.readonly = cls.company.readonly = True
        cls._workflow_fields = cls._workflow_filled = {'user'}
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.installment, Index.Equality())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @classmethod
    def default_kind(cls):
        return 'call'

    @classmethod
    def default_user(cls):
        return Transaction().user or None

    @classmethod
    def preprocess_values(cls, mode, values):
        "A follow-up belongs to its bill's agent"
        Installment = Pool().get('lease.installment')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('installment'):
            installment = Installment(values['installment'])
            values['company'] = installment.company.id
            values['agent'] = installment.agent.id
        if mode == 'create':
            values['user'] = Transaction().user or None
        return values

    @classmethod
    def check_modification(
            cls, mode, follow_ups, values=None, external=False):
        super().check_modification(
            mode, follow_ups, values=values, external=external)
        if not external:
            return
        # the reminders are the dunning run's record of what it sent
        if ((mode == 'create' and any(
                        f.kind == 'reminder' for f in follow_ups))
                or (mode == 'write' and values and (
                        values.get('kind') == 'reminder'
                        or any(f.kind == 'reminder' for f in follow_ups)))
                or (mode == 'delete' and any(
                        f.kind == 'reminder' for f in follow_ups))):
            raise FollowUpError(gettext(
                    'marcier_lease.msg_follow_up_reminder'))

    @classmethod
    def validate_fields(cls, follow_ups, field_names):
        super().validate_fields(follow_ups, field_names)
        if field_names & {'promised_date', 'date', 'kind'}:
            for follow_up in follow_ups:
                if (follow_up.kind == 'promise'
                        and follow_up.promised_date < follow_up.date):
                    raise FollowUpError(gettext(
                            'marcier_lease.msg_follow_up_promise_past',
                            promised=follow_up.promised_date,
                            date=follow_up.date))
