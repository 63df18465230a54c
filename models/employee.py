from tortoise import fields

from models.base import Role, TimestampedModel, fk


class Team(TimestampedModel):
    name = fields.CharField(200, unique=True)

    class Meta:
        table = "team"


class Employee(TimestampedModel):
    telegram_id = fields.BigIntField(unique=True, null=True)
    telegram_username = fields.CharField(64, null=True)
    full_name = fields.CharField(200)
    role = fields.CharEnumField(Role, max_length=16, default=Role.MANAGER)
    team = fk("Team", "members", null=True)
    locale = fields.CharField(8, default="uk", db_default="uk")
    timezone = fields.CharField(64, default="Europe/Kyiv", db_default="Europe/Kyiv")
    email = fields.CharField(254, null=True, db_index=True)
    active = fields.BooleanField(default=True, db_default=True, db_index=True)

    class Meta:
        table = "employee"

    def __str__(self) -> str:
        return self.full_name


class Invitation(TimestampedModel):
    token = fields.CharField(64, unique=True)
    role = fields.CharEnumField(Role, max_length=16)
    team = fk("Team", "invitations", null=True)
    full_name = fields.CharField(200, null=True)
    created_by = fk("Employee", "invitations_created", null=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by = fk("Employee", "invitations_used", null=True)

    class Meta:
        table = "invitation"
