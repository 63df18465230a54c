from tortoise import fields

from models.base import TimestampedModel, fk


class LoyaltyCardKind(TimestampedModel):
    name = fields.CharField(200, unique=True)
    discount_percent = fields.IntField(default=0)
    bonus_percent = fields.IntField(default=0)
    personal = fields.BooleanField(default=True, description="issued to a partner")
    valid_from = fields.DateField(null=True)
    valid_to = fields.DateField(null=True)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "loyalty_card_kind"


class LoyaltyCard(TimestampedModel):
    kind = fk("LoyaltyCardKind", "cards")
    code = fields.CharField(64, unique=True, description="barcode or magnetic code")
    partner = fk("Partner", "loyalty_cards", null=True)
    contact = fk("ContactPerson", "loyalty_cards", null=True)
    issued_on = fields.DateField()
    blocked = fields.BooleanField(default=False)

    class Meta:
        table = "loyalty_card"
