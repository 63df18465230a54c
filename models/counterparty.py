from tortoise import fields

from models.base import LegalForm, TimestampedModel, fk


class Counterparty(TimestampedModel):
    """A legal entity, ФОП or individual used in accounting, one partner has many."""

    external_id = fields.CharField(100, null=True, unique=True)
    partner = fk("Partner", "counterparties")
    legal_form = fields.CharEnumField(LegalForm, max_length=16, default=LegalForm.LEGAL_ENTITY)
    name = fields.CharField(300)
    full_name = fields.CharField(500, default="")
    search_key = fields.CharField(300, db_index=True)
    edrpou = fields.CharField(8, null=True, db_index=True, description="ЄДРПОУ, legal entities")
    rnokpp = fields.CharField(10, null=True, db_index=True, description="РНОКПП, persons and ФОП")
    vat_number = fields.CharField(12, null=True)
    iban = fields.CharField(34, null=True)
    bank_name = fields.CharField(300, default="")
    legal_address = fields.TextField(default="")
    head = fk("Counterparty", "divisions", null=True)
    is_separate_division = fields.BooleanField(default=False)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "counterparty"

    def __str__(self) -> str:
        return self.name
