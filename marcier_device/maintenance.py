# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
import datetime as dt

from trytond.i18n import gettext, lazy_gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools.string_ import LazyString
from trytond.transaction import Transaction, without_check_access

from marcier_base.model import is_operator

from .exceptions import MaintenanceAccessError, MaintenancePlanError
from .product import ProductMigrationMixin, lazy_product_name


class Plan(ProductMigrationMixin, DeactivableMixin, ModelSQL, ModelView):
    "Maintenance plan: a service due every N days and/or N working hours"
    __name__ = 'device.maintenance.plan'
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    interval_days = fields.Integer(
        "Every (Days)", help="Days between two maintenances.")
    interval_hours = fields.Integer(
        "Every (Working Hours)",
        help="Working hours between two maintenances.")
    product = fields.Many2One(
        'product.template', "Product", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="Apply the plan to every vehicle of this catalogue product; "
        "leave empty to add the plan to vehicles one by one.")
    work = fields.Text("Work", help="What the maintenance consists of.")
    schedules = fields.One2Many(
        'device.vehicle.maintenance', 'plan', "Vehicles")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def validate_fields(cls, plans, field_names):
        super().validate_fields(plans, field_names)
        if field_names & {'interval_days', 'interval_hours'}:
            cls.check_intervals(plans)

    @classmethod
    def check_intervals(cls, plans):
        for plan in plans:
            intervals = [i for i in [plan.interval_days, plan.interval_hours]
                if i is not None]
            if not intervals or any(i <= 0 for i in intervals):
                raise MaintenancePlanError(gettext(
                        'marcier_device.msg_plan_intervals', plan=plan.name))

    @classmethod
    def on_modification(cls, mode, plans, field_names=None):
        pool = Pool()
        Maintenance = pool.get('device.vehicle.maintenance')
        Vehicle = pool.get('device.vehicle')
        super().on_modification(mode, plans, field_names=field_names)
        if mode == 'delete':
            return
        if mode == 'create' or field_names & {'product', 'active'}:
            products = {p.product.id for p in plans if p.product}
            if products:
                with without_check_access():
                    Maintenance.apply_product_plans(Vehicle.search([
                                ('product', 'in', list(products)),
                                ]))
        if mode == 'write' and field_names & {
                'interval_days', 'interval_hours'}:
            Maintenance.compute_next(sum((p.schedules for p in plans), ()))


class VehicleMaintenance(ModelSQL, ModelView):
    "A maintenance plan applied to a vehicle, with its next due point"
    __name__ = 'device.vehicle.maintenance'
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, ondelete='CASCADE')
    plan = fields.Many2One(
        'device.maintenance.plan', "Plan", required=True, ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company')
    agent = fields.Function(
        fields.Many2One('marcier.agent', "Agent"), 'on_change_with_agent',
        searcher='search_vehicle_field')
    working_hours = fields.Function(
        fields.Float("Working Hours", digits=(10, 1)),
        'on_change_with_working_hours')
    last_date = fields.Date(
        "Last Maintenance", required=True,
        help="The day of the last maintenance, or of commissioning.")
    last_hours = fields.Float(
        "Hours at Last Maintenance", digits=(10, 1), required=True)
    next_date = fields.Date("Next Due Date", readonly=True)
    next_hours = fields.Float("Next Due Hours", digits=(10, 1), readonly=True)
    due = fields.Function(
        fields.Boolean("Due"), 'get_due', searcher='search_due')
    notified = fields.Boolean(
        "Warning Sent", readonly=True,
        help="The warning of the current due maintenance was sent.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('vehicle')
        t = cls.__table__()
        cls._sql_constraints += [
            ('vehicle_plan_unique', Unique(t, t.vehicle, t.plan),
                'marcier_device.msg_maintenance_vehicle_plan_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.next_date, Index.Range())),
                Index(t, (t.plan, Index.Equality())),
                })
        cls._order = [('next_date', 'ASC NULLS LAST'), ('id', 'ASC')]

    @classmethod
    def default_notified(cls):
        return False

    @classmethod
    def check_modification(
            cls, mode, maintenances, values=None, external=False):
        super().check_modification(
            mode, maintenances, values=values, external=external)
        # Agents may write their vehicles, hence these lines (__access__):
        # only maintenance events move them on
        if external and not is_operator():
            raise MaintenanceAccessError(gettext(
                    'marcier_device.msg_maintenance_operator'))

    @fields.depends('vehicle', '_parent_vehicle.company')
    def on_change_with_company(self, name=None):
        return self.vehicle.company if self.vehicle else None

    @fields.depends('vehicle', '_parent_vehicle.agent')
    def on_change_with_agent(self, name=None):
        return self.vehicle.agent if self.vehicle else None

    @fields.depends('vehicle', '_parent_vehicle.working_hours')
    def on_change_with_working_hours(self, name=None):
        return self.vehicle.working_hours if self.vehicle else None

    @classmethod
    def search_vehicle_field(cls, name, clause):
        return [('vehicle.' + clause[0], *clause[1:])]

    @fields.depends(
        'vehicle', '_parent_vehicle.commissioning_date', 'last_date',
        'last_hours')
    def on_change_vehicle(self):
        if self.vehicle and self.last_date is None:
            self.last_date, self.last_hours = self.baseline(self.vehicle)

    def get_due(self, name):
        today = Pool().get('ir.date').today()
        return bool(
            (self.next_date and self.next_date <= today)
            or (self.next_hours is not None
                and (self.vehicle.working_hours or 0) >= self.next_hours))

    @classmethod
    def search_due(cls, name, clause):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        Date = pool.get('ir.date')
        _, operator, value = clause
        maintenance = cls.__table__()
        vehicle = Vehicle.__table__()
        query = maintenance.join(
            vehicle, condition=maintenance.vehicle == vehicle.id).select(
            maintenance.id,
            where=(maintenance.next_date <= Date.today())
            | (maintenance.next_hours <= vehicle.working_hours))
        due = (operator == '=') == bool(value)
        return [('id', 'in' if due else 'not in', query)]

    @classmethod
    def baseline(cls, vehicle):
        """The date and working hours the plans of vehicle count from: its
        last maintenance, else its commissioning (or today) at zero hours"""
        pool = Pool()
        Event = pool.get('device.vehicle.event')
        Date = pool.get('ir.date')
        with without_check_access():
            events = Event.search([
                    ('vehicle', '=', vehicle.id),
                    ('type', '=', 'maintenance'),
                    ], order=[('date', 'DESC'), ('id', 'DESC')], limit=1)
        if events:
            event, = events
            return event.date, event.working_hours or 0
        return vehicle.commissioning_date or Date.today(), 0

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Vehicle = pool.get('device.vehicle')
        values = super().preprocess_values(mode, values)
        if (mode == 'create' and values.get('vehicle') is not None
                and None in {values.get('last_date'), values.get('last_hours')}):
            date, hours = cls.baseline(Vehicle(values['vehicle']))
            if values.get('last_date') is None:
                values['last_date'] = date
            if values.get('last_hours') is None:
                values['last_hours'] = hours
        if mode == 'write' and {'last_date', 'last_hours'} & set(values):
            # A new baseline is a new occurrence, to be warned about again
            values['notified'] = False
        return values

    @classmethod
    def on_modification(cls, mode, maintenances, field_names=None):
        super().on_modification(mode, maintenances, field_names=field_names)
        if mode == 'create' or (mode == 'write' and field_names & {
                    'last_date', 'last_hours', 'plan'}):
            cls.compute_next(maintenances)

    @classmethod
    def compute_next(cls, maintenances):
        to_write = []
        for maintenance in maintenances:
            plan = maintenance.plan
            next_date = next_hours = None
            if plan.interval_days:
                next_date = maintenance.last_date + dt.timedelta(
                    days=plan.interval_days)
            if plan.interval_hours:
                next_hours = maintenance.last_hours + plan.interval_hours
            if (maintenance.next_date, maintenance.next_hours) != (
                    next_date, next_hours):
                to_write.extend(([maintenance], {
                            'next_date': next_date,
                            'next_hours': next_hours,
                            }))
        if to_write:
            with without_check_access():
                cls.write(*to_write)

    @classmethod
    def apply_product_plans(cls, vehicles):
        "Add to vehicles the active plans of their product they miss"
        pool = Pool()
        Plan = pool.get('device.maintenance.plan')
        products = {v.product.id for v in vehicles if v.product}
        if not products:
            return []
        with without_check_access():
            plans = Plan.search([('product', 'in', list(products))])
            existing = {(m.vehicle.id, m.plan.id) for m in cls.search([
                        ('vehicle', 'in', [v.id for v in vehicles]),
                        ])}
            return cls.create([{
                        'vehicle': v.id,
                        'plan': p.id,
                        } for v in vehicles for p in plans
                    if p.product == v.product
                    and p.company == v.company
                    and v.status != 'retired'
                    and (v.id, p.id) not in existing])

    @classmethod
    def reset(cls, events):
        "Count the plans fulfilled by maintenance events from them again"
        to_write = []
        for event in events:
            with without_check_access():
                maintenances = cls.search([
                        ('vehicle', '=', event.vehicle.id),
                        ('last_date', '<=', event.date),
                        ] + ([('plan', '=', event.plan.id)]
                        if event.plan else []))
            if maintenances:
                hours = event.working_hours
                if hours is None:
                    hours = event.vehicle.working_hours or 0
                to_write.extend((maintenances, {
                            'last_date': event.date,
                            'last_hours': hours,
                            }))
        if to_write:
            with without_check_access():
                cls.write(*to_write)

    @classmethod
    def notify_due(cls):
        """Warn the owning agent's staff and the operator of each due
        maintenance, once per occurrence (the ir.cron task)"""
        domain = [
            ('due', '=', True),
            ('notified', '=', False),
            ('plan.active', '=', True),
            ('vehicle.status', '!=', 'retired'),
            ('vehicle.active', '=', True),
            ]
        if company := Transaction().context.get('company'):
            domain.append(('vehicle.company', '=', company))
        maintenances = cls.search(domain, order=[('id', 'ASC')])
        for maintenance in maintenances:
            maintenance.notify()
        cls.write(maintenances, {'notified': True})
        return maintenances

    def notify(self):
        pool = Pool()
        Notification = pool.get('res.notification')
        vehicle = self.vehicle
        title = lazy_gettext('marcier_device.msg_maintenance_due_title',
            vehicle=vehicle.rec_name, plan=self.plan.rec_name)
        due = []
        if self.next_date:
            due.append(lazy_gettext('marcier_device.msg_maintenance_due_date',
                    date=self.next_date))
        if self.next_hours is not None:
            due.append(lazy_gettext('marcier_device.msg_maintenance_due_hours',
                    hours=self.next_hours,
                    current=vehicle.working_hours or 0))
        body = lazy_gettext('marcier_device.msg_maintenance_due_body',
            vehicle=vehicle.rec_name,
            model=lazy_product_name(vehicle.product),
            plan=self.plan.rec_name,
            due=LazyString(lambda: '; '.join(map(str, due))),
            agent=vehicle.agent.rec_name if vehicle.agent else '')
        with Transaction().set_context(company=vehicle.company.id):
            if vehicle.agent:
                vehicle.agent.notify('warning', title, body=body,
                    record=vehicle)
            Notification.notify_group('marcier_base.group_operator',
                'warning', title, body=body, record=vehicle)
