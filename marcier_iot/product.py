# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
from sql import Table

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'
    vehicle_type = fields.Many2One(
        'iot.vehicle.type', "Vehicle Type", ondelete='RESTRICT',
        help="The CAN database and signal map of this product's vehicles.")

    @classmethod
    def on_modification(cls, mode, templates, field_names=None):
        "A product of another type: its vehicles' gateways get its profile"
        super().on_modification(mode, templates, field_names=field_names)
        if mode == 'write' and 'vehicle_type' in field_names:
            Vehicle = Pool().get('device.vehicle')
            Vehicle.send_profiles(Vehicle.search([
                        ('product', 'in', [t.id for t in templates]),
                        ('gateway_id', '!=', None),
                        ]))

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        cls._migrate_vehicle_type_code(module)

    @classmethod
    def _migrate_vehicle_type_code(cls, module):
        """Types named their catalogue model by its code: link the
        templates of that code or of that catalogue model"""
        VehicleType = Pool().get('iot.vehicle.type')
        backend_table = VehicleType.__table_handler__(module)
        if not backend_table.column_exist('product_model'):
            return
        cursor = Transaction().connection.cursor()
        template = cls.__table__()
        type_ = VehicleType.__table__()
        product_model = getattr(type_, 'product_model')
        cursor.execute(*type_.select(type_.id, product_model,
                where=product_model != None))  # noqa: E711
        for type_id, code in cursor.fetchall():
            where = (template.code == code)
            if cls.__table_handler__(module).column_exist('mall_model'):
                # marcier_mall's catalogue model of that code
                model = Table('mall_product_model')
                where |= template.mall_model.in_(
                    model.select(model.id, where=model.code == code))
            cursor.execute(*template.update([template.vehicle_type],
                    [type_id],
                    where=where & (template.vehicle_type == None)))  # noqa
        backend_table.drop_column('product_model')
