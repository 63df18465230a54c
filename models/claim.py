from tortoise import fields

from models.base import ClaimStatus, TimestampedModel, currency, fk, money


class ClaimCause(TimestampedModel):
    code = fields.CharField(64, unique=True)
    name_uk = fields.CharField(200)
    name_en = fields.CharField(200)
    response_hours = fields.IntField(default=72, description="response time for this cause")
    active = fields.BooleanField(default=True)

    class Meta:
        table = "claim_cause"


class Claim(TimestampedModel):
    number = fields.CharField(20, unique=True)
    partner = fk("Partner", "claims")
    counterparty = fk("Counterparty", "claims", null=True)
    deal = fk("Deal", "claims", null=True)
    order = fk("Order", "claims", null=True)
    shipment = fk("Shipment", "claims", null=True)
    cause = fk("ClaimCause", "claims")
    description = fields.TextField()
    claimed_minor = money("claimed amount")
    settled_minor = money("amount granted")
    currency = currency()
    status = fields.CharEnumField(
        ClaimStatus, max_length=16, default=ClaimStatus.REGISTERED, db_index=True
    )
    responsible = fk("Employee", "claims")
    author = fk("Employee", "authored_claims", null=True)
    registered_at = fields.DatetimeField(db_index=True)
    due_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    resolution = fields.TextField(default="")
    guilty_department = fields.CharField(200, default="")
    guilty_employee = fk("Employee", "guilty_claims", null=True)
    version = fields.IntField(default=1)

    class Meta:
        table = "claim"
        indexes = (("status", "due_at"),)


class ClaimEvent(TimestampedModel):
    """Append-only history of a claim (status changes, assignment, notes)."""

    claim = fk("Claim", "events", on_delete=fields.CASCADE)
    at = fields.DatetimeField()
    actor = fk("Employee", "claim_events", null=True)
    action = fields.CharField(64)
    from_status = fields.CharField(16, null=True)
    to_status = fields.CharField(16, null=True)
    data = fields.JSONField(default=dict)

    class Meta:
        table = "claim_event"
