from tortoise import fields

from models.base import AgreementStatus, TimestampedModel, currency, fk


class Agreement(TimestampedModel):
    """Sales terms (1C: Соглашение, BAS: Оферта) for a partner or a segment."""

    number = fields.CharField(40)
    name = fields.CharField(300)
    partner = fk("Partner", "agreements", null=True)
    segment = fk("Segment", "agreements", null=True)
    status = fields.CharEnumField(AgreementStatus, max_length=16, default=AgreementStatus.DRAFT)
    valid_from = fields.DateField(null=True)
    valid_to = fields.DateField(null=True)
    payment_days = fields.IntField(default=0)
    discount_percent = fields.IntField(default=0)
    currency = currency()
    manager = fk("Employee", "agreements", null=True)

    class Meta:
        table = "agreement"
