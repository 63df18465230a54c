"""Light sales documents: accounting stays in the accounting system, these feed analytics."""

from tortoise import fields

from models.base import DocStatus, TimestampedModel, currency, fk, money


class Product(TimestampedModel):
    external_id = fields.CharField(100, null=True, unique=True)
    sku = fields.CharField(64, unique=True)
    name = fields.CharField(300)
    group = fields.CharField(200, default="")
    unit = fields.CharField(16, default="шт")
    price_minor = money()
    cost_minor = money()
    currency = currency()

    class Meta:
        table = "product"


class SalesDocument(TimestampedModel):
    number = fields.CharField(40)
    date = fields.DateField(db_index=True)
    status = fields.CharEnumField(DocStatus, max_length=16, default=DocStatus.POSTED)
    amount_minor = money()
    currency = currency()
    comment = fields.TextField(default="")

    class Meta:
        abstract = True


class Order(SalesDocument):
    deal = fk("Deal", "orders", null=True)
    partner = fk("Partner", "orders")
    counterparty = fk("Counterparty", "orders", null=True)
    manager = fk("Employee", "orders", null=True)

    class Meta:
        table = "sales_order"


class OrderLine(TimestampedModel):
    order = fk("Order", "lines", on_delete=fields.CASCADE)
    product = fk("Product", "order_lines")
    quantity_milli = fields.BigIntField(description="quantity x 1000")
    price_minor = money()
    amount_minor = money()
    cost_minor = money()

    class Meta:
        table = "sales_order_line"


class Invoice(SalesDocument):
    deal = fk("Deal", "invoices", null=True)
    order = fk("Order", "invoices", null=True)
    partner = fk("Partner", "invoices")
    counterparty = fk("Counterparty", "invoices", null=True)
    due_on = fields.DateField(null=True)

    class Meta:
        table = "invoice"


class InvoiceLine(TimestampedModel):
    invoice = fk("Invoice", "lines", on_delete=fields.CASCADE)
    product = fk("Product", "invoice_lines")
    quantity_milli = fields.BigIntField()
    price_minor = money()
    amount_minor = money()

    class Meta:
        table = "invoice_line"


class Shipment(SalesDocument):
    deal = fk("Deal", "shipments", null=True)
    order = fk("Order", "shipments", null=True)
    partner = fk("Partner", "shipments")
    counterparty = fk("Counterparty", "shipments", null=True)
    cost_minor = money("cost of goods shipped")

    class Meta:
        table = "shipment"


class ShipmentLine(TimestampedModel):
    shipment = fk("Shipment", "lines", on_delete=fields.CASCADE)
    product = fk("Product", "shipment_lines")
    quantity_milli = fields.BigIntField()
    price_minor = money()
    amount_minor = money()
    cost_minor = money()

    class Meta:
        table = "shipment_line"


class Payment(SalesDocument):
    deal = fk("Deal", "payments", null=True)
    invoice = fk("Invoice", "payments", null=True)
    partner = fk("Partner", "payments")
    counterparty = fk("Counterparty", "payments", null=True)

    class Meta:
        table = "payment"
