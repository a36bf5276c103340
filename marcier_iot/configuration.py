# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.transaction import Transaction

from marcier_wire import topics
from marcier_wire.errors import ConfigError as BrokerError
from marcier_wire.jetstream import parse_cluster
from marcier_wire.transport import parse_broker

from .exceptions import ConfigurationError


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "IoT Configuration"
    __name__ = 'iot.configuration'
    broker = fields.Char(
        "Broker",
        help="mqtt://user:password@host:port of the platform's account on "
        "the MQTT broker (Mosquitto, or a NATS cluster's MQTT gateway).\n"
        "Empty: the vehicles of `marcier demo` talk to an in-process hub.")
    stream = fields.Char(
        "Telemetry Stream",
        help="nats://user:password@host:4222,host:4222?replicas=3 when the "
        "broker is a NATS cluster's MQTT gateway: the listeners share a "
        "replicated JetStream stream of the vehicles' reports.\n"
        "Empty: they share a subscription on the broker.")
    tenant = fields.Char(
        "Tenant", required=True,
        help="Second level of the MQTT topics, marcier/<tenant>/...; "
        "one per platform sharing a broker.")
    report_interval = fields.Integer(
        "Report Interval", required=True,
        help="Seconds between two reports of a gateway, in its config.")
    soc_low = fields.Float(
        "Low State of Charge", digits=(5, 1), required=True,
        help="Percent under which a low battery alarm opens; "
        "it closes 5 points above.")
    battery_temp_high = fields.Float(
        "Battery Temperature Limit", digits=(5, 1), required=True,
        help="°C of the hottest cell over which an over-temperature "
        "alarm opens; it closes 5 °C below.")
    motor_temp_high = fields.Float(
        "Motor Temperature Limit", digits=(5, 1), required=True,
        help="°C of the motor or its controller over which an "
        "over-temperature alarm opens; it closes 5 °C below.")
    no_data_minutes = fields.Integer(
        "No Data After", required=True,
        help="Minutes of silence after which a vehicle raises an alarm.")
    command_timeout = fields.Integer(
        "Command Timeout", required=True,
        help="Seconds a sent command waits for the gateway's answer.")
    telemetry_retention = fields.Integer(
        "Raw Telemetry Retention", required=True,
        domain=[('telemetry_retention', '>=', 8)],
        help="Days the raw reports and rejected messages are kept; "
        "gateways resend up to 7 days of reports.")
    rollup_retention = fields.Integer(
        "Rollup Retention", required=True,
        domain=[('rollup_retention', '>=', 1)],
        help="Days the hourly and daily figures of the vehicles are kept.")
    speed_limit = fields.Float(
        "Speed Limit", digits=(5, 1), required=True,
        domain=[('speed_limit', '>', 0)],
        help="km/h over which a vehicle is speeding, unless its vehicle "
        "type has its own.")
    harsh_acceleration = fields.Float(
        "Harsh Acceleration", digits=(4, 2), required=True,
        domain=[('harsh_acceleration', '>', 0)],
        help="m/s² between two reports from which an acceleration counts "
        "as harsh.")
    harsh_braking = fields.Float(
        "Harsh Braking", digits=(4, 2), required=True,
        domain=[('harsh_braking', '>', 0)],
        help="m/s² between two reports from which a deceleration counts "
        "as harsh braking.")
    trip_stop_minutes = fields.Integer(
        "Trip Ends After", required=True,
        domain=[('trip_stop_minutes', '>=', 1)],
        help="Minutes standing still (or silent) that end a trip whose key "
        "stays on.")

    @classmethod
    def default_tenant(cls):
        # SQLite databases are file names (':memory:' in tests)
        return topics.safe_name(Transaction().database.name)

    @classmethod
    def default_report_interval(cls):
        return 5

    @classmethod
    def default_soc_low(cls):
        return 15.0

    @classmethod
    def default_battery_temp_high(cls):
        return 55.0

    @classmethod
    def default_motor_temp_high(cls):
        return 110.0

    @classmethod
    def default_no_data_minutes(cls):
        return 10

    @classmethod
    def default_telemetry_retention(cls):
        return 30

    @classmethod
    def default_rollup_retention(cls):
        return 5 * 366

    @classmethod
    def default_speed_limit(cls):
        return 25.0

    @classmethod
    def default_harsh_acceleration(cls):
        return 2.5

    @classmethod
    def default_harsh_braking(cls):
        return 3.0

    @classmethod
    def default_trip_stop_minutes(cls):
        return 10

    @classmethod
    def default_command_timeout(cls):
        return 120

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names & {'tenant', 'broker', 'stream'}:
            cls.check_connection(records)

    @classmethod
    def check_connection(cls, records):
        for record in records:
            if not topics.safe(record.tenant):
                raise ConfigurationError(gettext(
                        'marcier_iot.msg_configuration_tenant',
                        tenant=record.tenant))
            try:
                broker = parse_broker(record.broker)
                parse_cluster(record.stream)
            except BrokerError as exception:
                raise ConfigurationError(gettext(
                        'marcier_iot.msg_configuration_broker',
                        reason=str(exception))) from None
            # The platform's user name goes into the broker's files too
            if broker and broker.username and not topics.safe(
                    broker.username):
                raise ConfigurationError(gettext(
                        'marcier_iot.msg_configuration_broker_user',
                        user=broker.username))
