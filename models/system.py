"""Operational tables: sent notifications (exactly once), subscriptions, classifications, FSM."""

from tortoise import fields

from models.base import TimestampedModel, fk


class SentNotification(TimestampedModel):
    """A digest or reminder recorded before it is sent, the key makes a repeat impossible."""

    key = fields.CharField(300, unique=True, description="kind:recipient:period")
    kind = fields.CharField(64, db_index=True)
    recipient = fk("Employee", "notifications", null=True)
    period = fields.CharField(64, default="")
    sent_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    error = fields.TextField(default="")

    class Meta:
        table = "sent_notification"


class Subscription(TimestampedModel):
    employee = fk("Employee", "subscriptions", on_delete=fields.CASCADE)
    digest = fields.CharField(64)
    local_time = fields.CharField(5, default="09:00")
    weekday = fields.IntField(null=True)
    muted = fields.BooleanField(default=False)

    class Meta:
        table = "subscription"
        unique_together = (("employee", "digest"),)


class ClientClassification(TimestampedModel):
    """One ABC/XYZ classification of a client, kept so that changes can be shown."""

    partner = fk("Partner", "classifications", on_delete=fields.CASCADE)
    run_id = fields.CharField(64, db_index=True)
    computed_at = fields.DatetimeField()
    basis = fields.CharField(32, default="revenue")
    period_from = fields.DateField()
    period_to = fields.DateField()
    abc = fields.CharField(1, default="")
    xyz = fields.CharField(1, default="")
    relationship_stage = fields.CharField(16, default="")
    value_minor = fields.BigIntField(default=0)

    class Meta:
        table = "client_classification"
        unique_together = (("run_id", "partner"),)
        indexes = (("basis", "period_to"),)


class FsmRecord(TimestampedModel):
    """Durable FSM storage for the bot when Redis is not configured."""

    key = fields.CharField(500, unique=True)
    state = fields.CharField(300, null=True)
    data = fields.JSONField(default=dict)

    class Meta:
        table = "fsm_record"
