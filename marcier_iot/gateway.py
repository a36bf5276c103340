# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Gateway credentials (SPEC F5, H4): registering a vehicle with a gateway
id gives it a broker account and rewrites the broker's password file and
ACL once the transaction ends."""
import logging
from pathlib import Path

from trytond import config
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from marcier_base.var import var_dir
from marcier_wire import topics
from marcier_wire.transport import parse_broker

from . import broker
from .commit import after_commit

from .exceptions import GatewayError

logger = logging.getLogger(__name__)


def broker_dir():
    return config.get(
        'iot', 'broker_dir', default=str(var_dir() / 'mosquitto'))


class Gateway(ModelSQL, ModelView):
    "Gateway Credentials"
    __name__ = 'iot.gateway'
    _rec_name = 'username'
    _audited_fields = ('vehicle', 'username')  # audit trail (H4)
    _audited_secrets = ('secret', 'password_hash')
    vehicle = fields.Many2One(
        'device.vehicle', "Vehicle", required=True, readonly=True,
        ondelete='CASCADE')
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True,
        ondelete='CASCADE')
    username = fields.Char("Username", required=True, readonly=True)
    secret = fields.Char("Password", required=True, readonly=True)
    password_hash = fields.Char("Password Hash", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('vehicle_unique', Unique(t, t.vehicle),
                'marcier_iot.msg_gateway_vehicle_unique'),
            ('username_unique', Unique(t, t.username),
                'marcier_iot.msg_gateway_username_unique'),
            ]
        cls._buttons.update({
                'rotate': {'icon': 'tryton-refresh'},
                })

    @classmethod
    def validate_fields(cls, gateways, field_names):
        super().validate_fields(gateways, field_names)
        if 'username' in field_names:
            cls.check_username(gateways)

    @classmethod
    def check_username(cls, gateways):
        "The user name is written into the broker's files and topics"
        for gateway in gateways:
            if not topics.safe(gateway.username):
                raise GatewayError(gettext(
                        'marcier_iot.msg_gateway_username',
                        username=gateway.username))

    @classmethod
    def credentials(cls):
        secret = broker.new_secret()
        return {'secret': secret, 'password_hash': broker.hash_password(secret)}

    @classmethod
    def sync(cls, vehicles):
        "Give vehicles with a gateway id an account; drop the others'"
        existing = {g.vehicle: g for g in cls.search(
                [('vehicle', 'in', [v.id for v in vehicles])])}
        to_create, to_delete, to_write = [], [], []
        for vehicle in vehicles:
            gateway = existing.get(vehicle)
            if not vehicle.gateway_id or not vehicle.active:
                if gateway:
                    to_delete.append(gateway)
            elif not gateway:
                to_create.append({
                        'vehicle': vehicle.id,
                        'company': vehicle.company.id,
                        'username': vehicle.gateway_id,
                        **cls.credentials()})
            elif gateway.username != vehicle.gateway_id:
                to_write.extend([[gateway], {'username': vehicle.gateway_id}])
        cls.delete(to_delete)
        if to_write:
            cls.write(*to_write)
        cls.create(to_create)
        if to_create or to_write or to_delete:
            cls.update_broker_after_commit()

    @classmethod
    @ModelView.button
    def rotate(cls, gateways):
        "New password: the old one stops working once the broker reloads"
        for gateway in gateways:
            cls.write([gateway], cls.credentials())
        cls.update_broker_after_commit()

    @classmethod
    def update_broker_after_commit(cls):
        "Once per transaction, and only when it commits"
        after_commit('iot.gateway.broker', cls.update_broker,
            Transaction().database.name)

    @classmethod
    def update_broker(cls, database_name):
        """Write the broker files from what is committed, then signal the
        broker when [iot] broker_pid_file is set; never fails the caller"""
        try:
            with Transaction(new=True).start(database_name, 0, readonly=True):
                paths = cls.write_broker_files(broker_dir())
        except Exception:
            logger.exception("cannot write the broker files")
            return
        pid_file = config.get('iot', 'broker_pid_file', default=None)
        if pid_file and not broker.reload(pid_file):
            logger.warning("broker files written to %s but no broker "
                "runs with pid file %s", paths[0].parent, pid_file)

    @classmethod
    def write_broker_files(cls, folder):
        "Write passwd and acl for every gateway and the platform account"
        pool = Pool()
        Configuration = pool.get('iot.configuration')
        configuration = Configuration(1)
        gateways = cls.search([], order=[('username', 'ASC')])
        entries = [(g.username, g.password_hash) for g in gateways]
        platform = parse_broker(configuration.broker)
        platform_user = None
        if platform and platform.username:
            platform_user = platform.username
            entries.insert(0, (platform_user,
                    broker.hash_password(platform.password or '')))
        return broker.write(folder, broker.password_file(entries),
            broker.acl_file(configuration.tenant, platform_user,
                [g.username for g in gateways]))

    def config_text(self, broker_uri=None, profile=None):
        """The gateway's config file, as `marcier gateway --config` reads
        it; profile names the file of its vehicle type's profile"""
        pool = Pool()
        Configuration = pool.get('iot.configuration')
        configuration = Configuration(1)
        platform = parse_broker(broker_uri or configuration.broker)
        host, port = (platform.host, platform.port) if platform else (
            '127.0.0.1', 1883)
        tenant = configuration.tenant
        return (
            f"# Gateway of vehicle {self.vehicle.serial}: keep it secret\n"
            "[gateway]\n"
            f"id = {self.username}\n"
            f"tenant = {tenant}\n"
            f"broker = mqtt://{self.username}:{self.secret}@{host}:{port}\n"
            f"telemetry = {topics.topic(tenant, self.username, topics.TELEMETRY)}\n"
            f"commands = {topics.topic(tenant, self.username, topics.COMMAND)}\n"
            f"report_interval = {configuration.report_interval}\n"
            "bus = auto\n"
            f"spool = var/gateway/{self.username}.sqlite\n"
            + (f"profile = {profile}\n" if profile else ""))

    def write_config(self, folder, broker_uri=None):
        """Write the config file and the vehicle type's profile next to it
        into folder; return their paths"""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        profile = folder / f'{self.username}.profile.json'
        profile.write_bytes(self.vehicle.profile().to_json())
        config = folder / f'{self.username}.conf'
        config.write_text(self.config_text(broker_uri, profile.name),
            encoding='utf-8')
        config.chmod(0o600)  # it holds the gateway's password
        return config, profile
