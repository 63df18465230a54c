"""Shared bits of the models: enums, a timestamp mixin and an indexed foreign key helper."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

APP = "crm"


def fk(to: str, related_name: str | bool, *, null: bool = False, **kwargs: Any) -> Any:
    """A foreign key that is always indexed (Tortoise does not index them by itself)."""
    on_delete = kwargs.pop("on_delete", fields.SET_NULL if null else fields.RESTRICT)
    return fields.ForeignKeyField(
        f"{APP}.{to}",
        related_name=related_name,
        null=null,
        on_delete=on_delete,
        db_index=True,
        **kwargs,
    )


class TimestampedModel(Model):
    id = fields.IntField(primary_key=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        abstract = True


def money(description: str = "") -> Any:
    """Money in minor units (kopiyky)."""
    return fields.BigIntField(default=0, db_default=0, description=description or None)


def currency() -> Any:
    return fields.CharField(3, default="UAH", db_default="UAH")


class Role(StrEnum):
    MANAGER = "manager"
    HEAD = "head"
    ADMIN = "admin"


class LegalForm(StrEnum):
    LEGAL_ENTITY = "legal_entity"
    INDIVIDUAL = "individual"
    ENTREPRENEUR = "entrepreneur"  # ФОП


class RelationshipStage(StrEnum):
    POTENTIAL = "potential"
    ONE_TIME = "one_time"
    REGULAR = "regular"
    LOST = "lost"


class ControlType(StrEnum):
    NONE = "none"
    MANUAL = "manual"
    GUIDED = "guided"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class StageResult(StrEnum):
    CURRENT = "current"
    PASSED = "passed"
    LOST = "lost"


class ParticipantRole(StrEnum):
    CLIENT = "client"
    COMPETITOR = "competitor"
    SUBCONTRACTOR = "subcontractor"
    INFLUENCER = "influencer"
    DECISION_MAKER = "decision_maker"
    OTHER = "other"


class Attitude(StrEnum):
    SUPPORTER = "supporter"
    NEUTRAL = "neutral"
    OPPONENT = "opponent"


class InteractionKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    TELEGRAM = "telegram"
    NOTE = "note"
    PLANNED = "planned"


class Direction(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    NONE = "none"


class Importance(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ClaimStatus(StrEnum):
    REGISTERED = "registered"
    IN_PROCESSING = "in_processing"
    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class DocumentKind(StrEnum):
    REGULATION = "regulation"
    INSTRUCTION = "instruction"
    TEMPLATE = "template"
    OTHER = "other"


class ContactKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    TELEGRAM = "telegram"
    WEBSITE = "website"
    ADDRESS = "address"


class DocStatus(StrEnum):
    DRAFT = "draft"
    POSTED = "posted"
    CANCELLED = "cancelled"


class MailSecurity(StrEnum):
    TLS = "tls"
    STARTTLS = "starttls"
    PLAIN = "plain"


class EmailState(StrEnum):
    ATTACHED = "attached"
    UNSORTED = "unsorted"
    IGNORED = "ignored"
    HELD = "held"
    QUARANTINED = "quarantined"
