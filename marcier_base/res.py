# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import AgentStaffError


class Role(metaclass=PoolMeta):
    __name__ = 'res.role'
    staff = fields.Selection([
            (None, ""),
            ('operator', "Operator Staff"),
            ('agent', "Agent Staff"),
            ], "Staff",
        help="Operators give the roles of a kind to staff of that kind.")


class User(metaclass=PoolMeta):
    __name__ = 'res.user'
    agent = fields.Many2One(
        'marcier.agent', "Agent", ondelete='RESTRICT',
        help="The agent this user works for; empty for operator staff.")
    _agent_cache = Cache('res_user.get_agent', context=False)

    @classmethod
    def get_agent(cls):
        "Return the agent id of the current user or None"
        user_id = Transaction().user
        if not user_id:
            return None
        agent_id = cls._agent_cache.get(user_id, -1)
        if agent_id == -1:
            # Plain SQL: the rules call this, reading res.user would recurse
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(
                    table.agent, where=table.id == user_id))
            row = cursor.fetchone()
            agent_id = row[0] if row else None
            cls._agent_cache.set(user_id, agent_id)
        return agent_id

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        super().on_modification(mode, users, field_names=field_names)
        if mode == 'write' and (not field_names or 'agent' in field_names):
            cls._agent_cache.clear()

    @classmethod
    def validate_fields(cls, users, field_names):
        super().validate_fields(users, field_names)
        if field_names & {'agent', 'groups', 'roles'}:
            cls.check_agent_staff(users)

    @classmethod
    def check_agent_staff(cls, users):
        "Agent staff may not hold operator rights: they would see all agents"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        operator = ModelData.get_id('marcier_base', 'group_operator')
        for user in users:
            if user.agent and operator in {g.id for g in user.groups}:
                raise AgentStaffError(gettext(
                        'marcier_base.msg_user_agent_operator',
                        user=user.rec_name))
