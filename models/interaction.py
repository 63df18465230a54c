from tortoise import fields

from models.base import Direction, Importance, InteractionKind, TimestampedModel, fk


class Interaction(TimestampedModel):
    """A call, meeting, e-mail, Telegram message, note or planned contact."""

    kind = fields.CharEnumField(InteractionKind, max_length=16, db_index=True)
    direction = fields.CharEnumField(Direction, max_length=16, default=Direction.NONE)
    subject = fields.CharField(500, default="")
    description = fields.TextField(default="")
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField(null=True)
    done = fields.BooleanField(default=False, description="planned (False) or done (True)")
    result = fields.TextField(default="")
    importance = fields.CharEnumField(Importance, max_length=8, default=Importance.NORMAL)
    owner = fk("Employee", "interactions")
    author = fk("Employee", "authored_interactions", null=True)
    deal = fk("Deal", "interactions", null=True)
    claim = fk("Claim", "interactions", null=True)
    partner = fk("Partner", "interactions", null=True)
    previous = fk("Interaction", "followups", null=True)
    email = fk("EmailMessage", "interactions", null=True)
    snoozed_until = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "interaction"
        indexes = (("owner_id", "done", "starts_at", "kind", "deal_id"),)


class InteractionParticipant(TimestampedModel):
    interaction = fk("Interaction", "participants", on_delete=fields.CASCADE)
    contact = fk("ContactPerson", "interactions", null=True)
    employee = fk("Employee", "interaction_participations", null=True)

    class Meta:
        table = "interaction_participant"
