# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Repair work orders (报修) that customers open from WeChat (SPEC D3)."""
import datetime as dt
import logging

from sql import Null
from sql.aggregate import Avg, Count, Max, Min

from trytond.i18n import gettext, lazy_gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from marcier_base.model import AgentOwnedMixin

from .exceptions import RatingError, RepairError, WeChatAPIError

logger = logging.getLogger(__name__)

STATES = [
    ('submitted', "Submitted"),
    ('accepted', "Accepted"),
    ('dispatched', "Dispatched"),
    ('in_repair', "In Repair"),
    ('done', "Done"),
    ]
RATINGS = [(None, "")] + [(str(i), "★" * i) for i in range(1, 6)]
MAX_PHOTOS = 6
MAX_DESCRIPTION = 2000
MAX_COMMENT = 1000


class Repair(AgentOwnedMixin, Workflow, ModelSQL, ModelView):
    "Repair Work Order"
    __name__ = 'device.repair'
    _rec_name = 'number'
    _open = Eval('state').in_(['submitted', 'accepted'])
    number = fields.Char("Number", readonly=True)
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, ondelete='RESTRICT',
        domain=[
            ('agent', '=', Eval('agent', -1)),
            ],
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    customer = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    wechat_user = fields.Many2One(
        'wechat.user', "WeChat User", readonly=True, ondelete='SET NULL')
    description = fields.Text("Description", required=True,
        states={
            'readonly': ~_open,
            })
    latitude = fields.Float("Latitude", digits=(9, 6), readonly=True)
    longitude = fields.Float("Longitude", digits=(9, 6), readonly=True)
    photos = fields.One2Many('device.repair.photo', 'repair', "Photos",
        readonly=True)
    technician = fields.Many2One(
        'res.user', "Technician", ondelete='RESTRICT',
        domain=[
            If(Eval('agent'),
                ('agent', '=', Eval('agent', -1)),
                ()),
            ],
        states={
            'readonly': ~_open,
            'required': Eval('state').in_(['dispatched', 'in_repair', 'done']),
            })
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    state_string = state.translated('state')
    submitted_at = fields.Timestamp("Submitted", readonly=True)
    accepted_at = fields.Timestamp("Accepted", readonly=True)
    dispatched_at = fields.Timestamp("Dispatched", readonly=True)
    started_at = fields.Timestamp("Repair Started", readonly=True)
    done_at = fields.Timestamp("Done", readonly=True)
    response_time = fields.TimeDelta(
        "Response Time", readonly=True,
        help="From the request to its acceptance.")
    repair_time = fields.TimeDelta(
        "Repair Time", readonly=True,
        help="From the start of the repair to its end.")
    resolution = fields.Text("Resolution",
        states={
            'readonly': Eval('state') == 'done',
            })
    event = fields.Many2One(
        'device.vehicle.event', "History Event", readonly=True,
        ondelete='SET NULL')
    rating = fields.Selection(RATINGS, "Rating", readonly=True, sort=False)
    rating_comment = fields.Text("Rating Comment", readonly=True)
    rated_at = fields.Timestamp("Rated", readonly=True)
    del _open

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.agent.required = True
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality())),
                Index(t, (t.customer, Index.Equality())),
                })
        cls._order = [('submitted_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('submitted', 'accepted'),
            ('accepted', 'dispatched'),
            ('submitted', 'dispatched'),
            ('dispatched', 'in_repair'),
            ('in_repair', 'done'),
            }
        cls._buttons.update({
                'accept': {
                    'invisible': Eval('state') != 'submitted',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'dispatch': {
                    'invisible': ~Eval('state').in_(['submitted', 'accepted']),
                    'readonly': ~Eval('technician'),
                    'icon': 'tryton-forward',
                    'depends': ['state', 'technician'],
                    },
                'start': {
                    'invisible': Eval('state') != 'dispatched',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'finish': {
                    'invisible': Eval('state') != 'in_repair',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'submitted'

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values.setdefault('submitted_at', dt.datetime.now())
            if values.get('vehicle'):
                # The vehicle's agent owns the order
                with without_check_access():
                    vehicle = Vehicle(values['vehicle'])
                    values['agent'] = vehicle.agent.id
                    values['company'] = vehicle.company.id
        return values

    @classmethod
    def validate_fields(cls, repairs, field_names):
        super().validate_fields(repairs, field_names)
        if field_names & {'vehicle', 'customer', 'description'}:
            cls.check_vehicle(repairs)

    @classmethod
    def check_vehicle(cls, repairs):
        for repair in repairs:
            if repair.vehicle.customer != repair.customer:
                raise RepairError(gettext(
                        'marcier_wechat.msg_repair_not_customer_vehicle',
                        vehicle=repair.vehicle.rec_name,
                        customer=repair.customer.rec_name))
            if len(repair.description or '') > MAX_DESCRIPTION:
                raise RepairError(gettext(
                        'marcier_wechat.msg_repair_description_length',
                        length=MAX_DESCRIPTION))

    @classmethod
    def on_modification(cls, mode, repairs, field_names=None):
        super().on_modification(mode, repairs, field_names=field_names)
        if mode == 'create':
            with without_check_access():
                for repair in repairs:
                    repair.number = f'RO{repair.id:06d}'
                cls.save(repairs)
                for repair in repairs:
                    repair.agent.notify('todo',
                        lazy_gettext('marcier_wechat.msg_repair_todo_title',
                            number=repair.number,
                            vehicle=repair.vehicle.rec_name),
                        body=repair.description, record=repair)
            cls.__queue__.send_status(repairs, 'submitted')

    def get_rec_name(self, name):
        return f'{self.number} {self.vehicle.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') or operator.startswith(
            'not ') else 'OR'
        return [bool_op,
            ('number', operator, value),
            ('vehicle.rec_name', operator, value),
            ]

    @classmethod
    def _stamp(cls, repairs, field):
        now = dt.datetime.now()
        for repair in repairs:
            setattr(repair, field, now)
        return now

    @classmethod
    @ModelView.button
    @Workflow.transition('accepted')
    def accept(cls, repairs):
        now = cls._stamp(repairs, 'accepted_at')
        for repair in repairs:
            repair.response_time = now - repair.submitted_at
        cls.save(repairs)
        cls.__queue__.send_status(repairs, 'accepted')

    @classmethod
    @ModelView.button
    @Workflow.transition('dispatched')
    def dispatch(cls, repairs):
        now = cls._stamp(repairs, 'dispatched_at')
        for repair in repairs:
            if not repair.technician:
                raise RepairError(gettext(
                        'marcier_wechat.msg_repair_technician',
                        number=repair.number))
            if not repair.accepted_at:
                repair.accepted_at = now
                repair.response_time = now - repair.submitted_at
        cls.save(repairs)
        with without_check_access():
            Pool().get('res.notification').notify(
                {r.technician for r in repairs}, 'todo',
                lazy_gettext('marcier_wechat.msg_repair_dispatched_title'),
                body='\n'.join(
                    f'{r.rec_name}: {r.description}' for r in repairs))
        cls.__queue__.send_status(repairs, 'dispatched')

    @classmethod
    @ModelView.button
    @Workflow.transition('in_repair')
    def start(cls, repairs):
        Vehicle = Pool().get('device.vehicle')
        cls._stamp(repairs, 'started_at')
        cls.save(repairs)
        with without_check_access():
            Vehicle.start_repair([r.vehicle for r in repairs
                    if r.vehicle.status in {'available', 'rented'}])
        cls.__queue__.send_status(repairs, 'in_repair')

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def finish(cls, repairs):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Event = pool.get('device.vehicle.event')
        now = cls._stamp(repairs, 'done_at')
        with without_check_access():
            events = Event.create([{
                        'vehicle': r.vehicle.id,
                        'type': 'repair',
                        'date': now.date(),
                        'working_hours': r.vehicle.working_hours,
                        'note': '\n'.join(filter(None, [
                                    f'{r.number}: {r.description}',
                                    r.resolution])),
                        } for r in repairs])
            for repair, event in zip(repairs, events):
                repair.event = event
                repair.repair_time = now - (repair.started_at or now)
            cls.save(repairs)
            Vehicle.finish_repair([r.vehicle for r in repairs
                    if r.vehicle.status == 'in_repair'])
        cls.__queue__.send_status(repairs, 'done')

    def rate(self, rating, comment=None):
        "The customer's one rating, once done"
        if self.state != 'done':
            raise RatingError(gettext('marcier_wechat.msg_repair_rate_done'))
        if self.rating:
            raise RatingError(gettext('marcier_wechat.msg_repair_rated'))
        if str(rating) not in {str(i) for i in range(1, 6)}:
            raise RatingError(gettext('marcier_wechat.msg_repair_rating'))
        comment = (comment or '').strip()
        if len(comment) > MAX_COMMENT:
            raise RatingError(gettext(
                    'marcier_wechat.msg_repair_comment_length',
                    length=MAX_COMMENT))
        self.rating = str(rating)
        self.rating_comment = comment or None
        self.rated_at = dt.datetime.now()
        self.save()

    @classmethod
    def send_status(cls, repairs, state):
        """Tell the customers through a WeChat template message that their
        work order reached state (the queue may run it once the order has
        moved on); WeChat being unreachable must not undo the change, so it
        is only logged"""
        for repair in cls.browse(repairs):
            user = repair.wechat_user
            if not user:
                continue
            account = user.account
            if not account.repair_template:
                continue
            # In the customer's language, whoever moved the work order
            with Transaction().set_context(language=user.speaks):
                repair = cls(repair.id)
                data = {
                    'first': {'value': gettext(
                            'marcier_wechat.msg_repair_status_first',
                            number=repair.number)},
                    'keyword1': {'value': repair.vehicle.rec_name},
                    'keyword2': {'value': dict(cls.fields_get(
                                ['state'])['state']['selection'])[state]},
                    'keyword3': {'value': (repair.technician.name
                            if repair.technician else '')},
                    'remark': {'value': repair.description[:100]},
                    }
            url = account.page_url(f'repairs/{repair.id}')
            try:
                account.call(lambda c: c.message.send_template(
                        user.openid, account.repair_template, data, url=url))
            except WeChatAPIError:
                pass


class Photo(ModelSQL, ModelView):
    "Repair Work Order Photo"
    __name__ = 'device.repair.photo'
    repair = fields.Many2One(
        'device.repair', "Work Order", required=True, ondelete='CASCADE')
    image = fields.Binary("Image", required=True, readonly=True)
    thumbnail = fields.Binary("Thumbnail", required=True, readonly=True)
    content_type = fields.Selection([
            ('image/jpeg', "JPEG"),
            ('image/png', "PNG"),
            ], "Content Type", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('repair')

    @classmethod
    def validate_fields(cls, photos, field_names):
        super().validate_fields(photos, field_names)
        if 'repair' in field_names:
            for photo in photos:
                if len(photo.repair.photos) > MAX_PHOTOS:
                    raise RepairError(gettext(
                            'marcier_wechat.msg_repair_photos',
                            count=MAX_PHOTOS))


class RatingReport(AgentOwnedMixin, ModelSQL, ModelView):
    "Repair Ratings per Agent and Technician"
    __name__ = 'device.repair.rating'
    technician = fields.Many2One('res.user', "Technician")
    orders = fields.Integer("Orders")
    rated = fields.Integer("Rated")
    average = fields.Float("Average Rating", digits=(3, 2))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('agent', 'ASC'), ('technician', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Repair = pool.get('device.repair')
        repair = Repair.__table__()
        rating = repair.rating.cast(cls.average.sql_type().base)
        return repair.select(
            Min(repair.id).as_('id'),
            Max(repair.create_uid).as_('create_uid'),
            Max(repair.create_date).as_('create_date'),
            repair.company.as_('company'),
            repair.agent.as_('agent'),
            repair.technician.as_('technician'),
            Count(repair.id).as_('orders'),
            Count(repair.rating).as_('rated'),
            Avg(rating).as_('average'),
            where=(repair.state == 'done') & (repair.technician != Null),
            group_by=[repair.company, repair.agent, repair.technician])
