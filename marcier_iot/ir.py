# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('iot.alarm|check_silence', "Raise No Data Alarms"),
                ('iot.command|time_out', "Time Out Unanswered Commands"),
                ('iot.telemetry|manage_storage',
                    "Manage Telemetry Partitions and Retention"),
                ('iot.trip|end_silent', "End the Trips of Silent Vehicles"),
                ])
