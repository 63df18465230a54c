from tortoise import fields

from models.base import (
    Attitude,
    DealStatus,
    ParticipantRole,
    StageResult,
    TimestampedModel,
    currency,
    fk,
    money,
)


class LossReason(TimestampedModel):
    code = fields.CharField(64, unique=True)
    name_uk = fields.CharField(200)
    name_en = fields.CharField(200)
    description = fields.TextField(default="")
    needs_competitor = fields.BooleanField(default=False, description="lost to a competitor")
    active = fields.BooleanField(default=True)

    class Meta:
        table = "loss_reason"


class Deal(TimestampedModel):
    number = fields.CharField(20, unique=True)
    title = fields.CharField(300)
    partner = fk("Partner", "deals", null=True)
    counterparty = fk("Counterparty", "deals", null=True)
    agreement = fk("Agreement", "deals", null=True)
    kind = fk("DealKind", "deals")
    stage = fk("Stage", "deals", null=True, description="current stage (denormalised)")
    status = fields.CharEnumField(DealStatus, max_length=8, default=DealStatus.OPEN, db_index=True)
    closed = fields.BooleanField(default=False)
    guided = fields.BooleanField(default=False, description="route driven by tasks")
    switched_to_manual = fields.BooleanField(default=False)
    potential_minor = money("potential sale amount")
    currency = currency()
    manual_probability = fields.IntField(null=True)
    computed_probability = fields.IntField(null=True)
    checklist_confirmed = fields.BooleanField(default=False)
    loss_reason = fk("LossReason", "deals", null=True)
    loss_comment = fields.TextField(default="")
    owner = fk("Employee", "deals")
    started_at = fields.DatetimeField(db_index=True)
    ended_at = fields.DatetimeField(null=True, db_index=True)
    expected_close_on = fields.DateField(null=True)
    last_activity_at = fields.DatetimeField(null=True)
    source = fields.CharField(100, default="")
    channel = fields.CharField(100, default="")
    comment = fields.TextField(default="")
    version = fields.IntField(default=1, description="optimistic concurrency")

    class Meta:
        table = "deal"
        indexes = (("status", "owner_id"), ("kind_id", "status"), ("status", "ended_at"))

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class DealStageLog(TimestampedModel):
    """One row per (deal, stage) visit, with the semantics of 1C (current / passed / lost here)."""

    deal = fk("Deal", "stage_log", on_delete=fields.CASCADE)
    stage = fk("Stage", "log_rows")
    entered_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)
    result = fields.CharEnumField(StageResult, max_length=8, default=StageResult.CURRENT)
    potential_minor = money()
    responsible = fk("Employee", "stage_log_rows", null=True)
    skipped = fields.BooleanField(default=False)

    class Meta:
        table = "deal_stage_log"
        indexes = (
            ("stage_id", "result"),
            ("deal_id", "stage_id", "result", "entered_at", "left_at", "potential_minor"),
            ("stage_id", "deal_id", "entered_at"),
        )


class DealEvent(TimestampedModel):
    """Append-only audit log of what really happened to a deal."""

    deal = fk("Deal", "events", on_delete=fields.CASCADE)
    at = fields.DatetimeField(db_index=True)
    actor = fk("Employee", "deal_events", null=True)
    action = fields.CharField(64)
    data = fields.JSONField(default=dict)

    class Meta:
        table = "deal_event"


class DealParticipant(TimestampedModel):
    deal = fk("Deal", "participants", on_delete=fields.CASCADE)
    partner = fk("Partner", "deal_participations", null=True)
    contact = fk("ContactPerson", "deal_participations", null=True)
    role = fields.CharEnumField(ParticipantRole, max_length=16)
    influence = fields.IntField(default=0, description="0..100")
    attitude = fields.CharEnumField(Attitude, max_length=16, default=Attitude.NEUTRAL)
    won_the_deal = fields.BooleanField(default=False)
    comment = fields.TextField(default="")

    class Meta:
        table = "deal_participant"
