"""Interactions (calls, meetings, e-mails, messages, notes, planned contacts) and the deal's
timeline: everything that happened to a deal as one ordered list."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from core import clock
from core.errors import NotFound, ValidationFailed
from models import (
    Claim,
    ContactPerson,
    Deal,
    DealEvent,
    EmailMessage,
    Employee,
    FileLink,
    Interaction,
    InteractionParticipant,
    Invoice,
    Order,
    Partner,
    Payment,
    Shipment,
    Task,
)
from models.base import Direction, Importance, InteractionKind
from services.analytics.common import fetch
from services.audit import touch_deal_activity
from services.checks import check_moment, check_text

PAST_DAYS = 365 * 20  # history brought in from another CRM may be old
FUTURE_DAYS = 365 * 5
DONE_AHEAD = dt.timedelta(hours=1)  # clocks differ a little; a "done" call is not tomorrow's


@dataclass(frozen=True)
class NextStep:
    """What to do next: a planned interaction (default) or, with `as_task`, a task."""

    at: dt.datetime
    subject: str = ""
    kind: InteractionKind | str = InteractionKind.CALL
    as_task: bool = False
    performer_id: int | None = None  # default: the interaction's owner


async def get_interaction(interaction_id: int) -> Interaction:
    found = await Interaction.get_or_none(id=interaction_id)
    if found is None:
        raise NotFound("not_found", what="interaction")
    return found


def _choice(value: Any, enum: type, field_name: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(item.value for item in enum)
        raise ValidationFailed(
            "invalid", field=field_name, reason="bad_choice", choices=choices
        ) from None


async def log_interaction(
    *,
    kind: InteractionKind | str,
    owner_id: int,
    starts_at: dt.datetime,
    deal_id: int | None = None,
    partner_id: int | None = None,
    claim_id: int | None = None,
    direction: Direction | str = Direction.NONE,
    subject: str = "",
    description: str = "",
    ends_at: dt.datetime | None = None,
    done: bool = True,
    result: str = "",
    contact_ids: tuple[int, ...] | list[int] = (),
    next_step: NextStep | dict[str, Any] | None = None,
    importance: Importance | str = Importance.NORMAL,
    author_id: int | None = None,
) -> Interaction:
    """Record an interaction. A done one on a deal moves the deal's last activity (what rotting
    measures); a planned one does not. A next step creates a planned interaction (linked by
    `previous`) or a task for the owner."""
    kind = _choice(kind, InteractionKind, "interaction_kind")
    direction = _choice(direction, Direction, "direction")
    importance = _choice(importance, Importance, "importance")
    subject = check_text(subject, "subject", max_len=500)
    description = check_text(description, "description", max_len=20000)
    result = check_text(result, "result", max_len=4000)
    starts_at = check_moment(starts_at, "starts_at", past_days=PAST_DAYS, future_days=FUTURE_DAYS)
    now = clock.now()
    if done and kind == InteractionKind.PLANNED:
        raise ValidationFailed(
            "invalid",
            field="interaction_kind",
            reason="bad_choice",
            choices=", ".join(k.value for k in InteractionKind if k != kind),
        )
    if done and starts_at > now + DONE_AHEAD:
        raise ValidationFailed("invalid", field="starts_at", reason="too_far_future")
    if ends_at is not None:
        ends_at = check_moment(ends_at, "ends_at", past_days=PAST_DAYS, future_days=FUTURE_DAYS)
        if ends_at < starts_at:
            raise ValidationFailed("invalid", field="ends_at", reason="before_start")
    step = _next_step(next_step)
    owner = await Employee.get_or_none(id=owner_id)
    if owner is None:
        raise NotFound("not_found", what="employee")
    if not owner.active:
        raise ValidationFailed("invalid", field="owner", reason="inactive")
    if deal_id is not None:
        deal = await Deal.get_or_none(id=deal_id)
        if deal is None:
            raise NotFound("not_found", what="deal")
        partner_id = partner_id or deal.partner_id
    if claim_id is not None:
        claim = await Claim.get_or_none(id=claim_id)
        if claim is None:
            raise NotFound("not_found", what="claim")
        partner_id = partner_id or claim.partner_id
    if partner_id is not None and not await Partner.filter(id=partner_id).exists():
        raise NotFound("not_found", what="partner")
    contact_ids = list(dict.fromkeys(contact_ids))
    if contact_ids and await ContactPerson.filter(id__in=contact_ids).count() != len(contact_ids):
        raise NotFound("not_found", what="contact")

    async with in_transaction():
        interaction = await Interaction.create(
            kind=kind,
            direction=direction,
            subject=subject,
            description=description,
            starts_at=starts_at,
            ends_at=ends_at,
            done=done,
            result=result,
            importance=importance,
            owner_id=owner_id,
            author_id=author_id or owner_id,
            deal_id=deal_id,
            claim_id=claim_id,
            partner_id=partner_id,
            created_at=now,
        )
        for contact_id in contact_ids:
            await InteractionParticipant.create(
                interaction_id=interaction.id, contact_id=contact_id
            )
        if done and deal_id is not None:
            await touch_deal_activity(deal_id, min(ends_at or starts_at, now))
        if step is not None:
            await _plan_next(interaction, step, now)
    return interaction


def _next_step(raw: NextStep | dict[str, Any] | None) -> NextStep | None:
    if raw is None:
        return None
    step = raw if isinstance(raw, NextStep) else NextStep(**raw)
    check_moment(step.at, "next_step", past_days=0, future_days=FUTURE_DAYS)
    if step.at <= clock.now():
        raise ValidationFailed("invalid", field="next_step", reason="not_in_future")
    _choice(step.kind, InteractionKind, "interaction_kind")
    check_text(step.subject, "next_step", max_len=500)
    return step


async def _plan_next(previous: Interaction, step: NextStep, now: dt.datetime) -> None:
    performer_id = step.performer_id or previous.owner_id
    subject = step.subject.strip() or previous.subject
    # the next step, a task or a planned interaction, is about what the previous one was about
    about = {
        "author_id": previous.owner_id,
        "deal_id": previous.deal_id,
        "claim_id": previous.claim_id,
        "partner_id": previous.partner_id,
        "created_at": now,
    }
    if step.as_task:
        if not await Employee.filter(id=performer_id, active=True).exists():
            raise ValidationFailed("invalid", field="performer", reason="inactive")
        await Task.create(title=subject or "—", performer_id=performer_id, due_at=step.at, **about)
        return
    await Interaction.create(
        kind=InteractionKind(step.kind),
        direction=previous.direction,
        subject=subject,
        starts_at=step.at,
        done=False,
        owner_id=performer_id,
        previous_id=previous.id,
        **about,
    )


async def mark_interaction_done(
    interaction_id: int, *, actor_id: int | None, result: str = ""
) -> Interaction:
    """A planned interaction took place (now counts for exit checks and activity)."""
    result = check_text(result, "result", max_len=4000)
    async with in_transaction():
        interaction = await get_interaction(interaction_id)
        if interaction.done:
            return interaction
        now = clock.now()
        kind = interaction.kind
        if kind == InteractionKind.PLANNED:
            kind = InteractionKind.CALL
        moment = min(interaction.starts_at, now)
        await Interaction.filter(id=interaction.id).update(
            done=True, result=result, kind=kind, starts_at=moment
        )
        interaction.done, interaction.result, interaction.kind = True, result, kind
        interaction.starts_at = moment
        if interaction.deal_id is not None:
            await touch_deal_activity(interaction.deal_id, moment)
    return interaction


async def list_deal_interactions(deal_id: int, *, done: bool | None = None) -> list[Interaction]:
    query = Interaction.filter(deal_id=deal_id)
    if done is not None:
        query = query.filter(done=done)
    return await query.order_by("-starts_at", "-id")


# --- the deal's timeline ----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """One thing on a deal's timeline. `kind` is one of: interaction, planned_interaction,
    event, task, task_done, email, order, invoice, shipment, payment, file. `title` is the
    user's own text (subject, number, file name) or, for events, the action code; `data` holds
    what an adapter needs to render the rest."""

    at: dt.datetime
    kind: str
    ref_id: int
    title: str
    data: dict[str, Any] = field(default_factory=dict)


_ORDER_OF_KIND = {
    "event": 0, "interaction": 1, "planned_interaction": 2, "task_done": 3, "task": 4,
    "email": 5, "order": 6, "invoice": 7, "shipment": 8, "payment": 9, "file": 10,
}  # fmt: skip


def _on_date(day: dt.date) -> dt.datetime:
    """A document dated `day`: the start of that day in Kyiv, in UTC."""
    local = dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo("Europe/Kyiv"))
    return local.astimezone(dt.UTC)


# One statement for the whole timeline: every source's newest `offset + limit` rows, UNION ALL,
# in one column layout (each NULL cast to its column's type, which PostgreSQL needs and SQLite
# ignores). Merged and paged in Python: a document's moment is the start of its date in Kyiv,
# which takes the time-zone database. Columns: src, id, at (a moment), on_date (a document's
# date), title, n1 (an integer), b1 (a boolean), t1..t3 (texts), at2 (a second moment), js (an
# event's data).
_TL_COLUMNS = ("src", "id", "at", "on_date", "title", "n1", "b1", "t1", "t2", "t3", "at2", "js")
_TL_TYPES = {
    "at": "TIMESTAMPTZ", "on_date": "DATE", "title": "TEXT", "n1": "BIGINT", "b1": "BOOLEAN",
    "t1": "TEXT", "t2": "TEXT", "t3": "TEXT", "at2": "TIMESTAMPTZ", "js": "JSONB",
}  # fmt: skip
_DOCUMENTS = {"order": Order, "invoice": Invoice, "shipment": Shipment, "payment": Payment}


def _tl_branch(
    src: str, model: type, order_by: str, where: str = "", **columns: str
) -> tuple[str, str]:
    """One source of the timeline: the inner SELECT, limited, and the `src` it is tagged with."""
    values = [f"'{src}' AS src", "id"]
    for name in _TL_COLUMNS[2:]:
        expr = columns.get(name)
        values.append(f"{expr} AS {name}" if expr else f"CAST(NULL AS {_TL_TYPES[name]}) AS {name}")
    table = model._meta.db_table
    sql = (
        f"SELECT * FROM (SELECT {', '.join(values)} FROM {table}"
        f" WHERE deal_id = ?{where} ORDER BY {order_by} DESC, id DESC LIMIT ?) AS tl_{src}"
    )
    return src, sql


_TL_BRANCHES = [
    _tl_branch(
        "interaction", Interaction, "starts_at", at="starts_at", title="subject",
        n1="owner_id", b1="done", t1="kind", t2="direction", t3="result",
    ),
    _tl_branch("event", DealEvent, "at", at="at", title="action", n1="actor_id", js="data"),
    _tl_branch(
        "task", Task, "created_at", at="created_at", title="title", n1="performer_id",
        t1="status", at2="due_at",
    ),
    _tl_branch(
        "task_done", Task, "completed_at", " AND completed_at IS NOT NULL",
        at="completed_at", title="title", t1="status", t3="result",
    ),
    _tl_branch(
        "email", EmailMessage, "received_at", at="received_at", title="subject",
        b1="outgoing", t1="from_address", at2="sent_at",
    ),
    *(
        _tl_branch(
            kind, model, "date", on_date="date", title="number", n1="amount_minor",
            t1="currency", t2="status",
        )
        for kind, model in _DOCUMENTS.items()
    ),
    _tl_branch("file", FileLink, "created_at", at="created_at", title="name", n1="file_id"),
]  # fmt: skip
_TL_SQL = " UNION ALL ".join(sql for _, sql in _TL_BRANCHES)
# the deal itself: a row tells that it exists (unless the caller has just loaded it)
_TL_DEAL_SQL = (
    "SELECT 'deal' AS src, id, "
    + ", ".join(f"CAST(NULL AS {_TL_TYPES[name]}) AS {name}" for name in _TL_COLUMNS[2:])
    + f" FROM {Deal._meta.db_table} WHERE id = ?"
)
_TL_FIELDS = {
    "interaction": Interaction, "event": DealEvent, "task": Task, "task_done": Task,
    "email": EmailMessage, "file": FileLink,
}  # fmt: skip


def _column(model: type, field: str, value: Any) -> Any:
    """A column as Tortoise reads it (aware datetimes from SQLite's text, dates, JSON)."""
    return model._meta.fields_map[field].to_python_value(value)


def _timeline_item(row: dict[str, Any]) -> TimelineItem:
    src, ref_id = row["src"], int(row["id"])
    if src in _DOCUMENTS:
        day = _column(Order, "date", row["on_date"])
        return TimelineItem(
            at=_on_date(day),
            kind=src,
            ref_id=ref_id,
            title=row["title"],
            data={
                "amount_minor": int(row["n1"]),
                "currency": row["t1"],
                "status": row["t2"],
                "date": day,
            },
        )
    kind = src
    data: dict[str, Any]
    if src == "interaction":
        kind = "interaction" if row["b1"] else "planned_interaction"
        data = {
            "interaction_kind": row["t1"],
            "direction": row["t2"],
            "result": row["t3"],
            "owner_id": row["n1"],
        }
    elif src == "event":
        data = {"actor_id": row["n1"], **(_column(DealEvent, "data", row["js"]) or {})}
    elif src == "task":
        data = {
            "status": row["t1"],
            "performer_id": row["n1"],
            "due_at": _column(Task, "due_at", row["at2"]),
        }
    elif src == "task_done":
        data = {"status": row["t1"], "result": row["t3"]}
    elif src == "email":
        data = {
            "from": row["t1"],
            "outgoing": bool(row["b1"]),
            "sent_at": _column(EmailMessage, "sent_at", row["at2"]),
        }
    else:
        data = {"file_id": row["n1"]}
    return TimelineItem(
        at=_column(_TL_FIELDS[src], "created_at", row["at"]),
        kind=kind,
        ref_id=ref_id,
        title=row["title"],
        data=data,
    )


async def list_deal_timeline(
    deal_id: int, *, limit: int = 30, offset: int = 0, deal_checked: bool = False
) -> list[TimelineItem]:
    """Newest first. One statement: every source's newest `offset + limit` rows, merged.

    `deal_checked`: the caller has just loaded the deal (e.g. through services.access), so
    its existence is not checked again; otherwise NotFound for a deal that does not exist."""
    deal_id, top = int(deal_id), offset + limit
    args: list[object] = []
    for _ in _TL_BRANCHES:
        args += [deal_id, top]
    sql = _TL_SQL
    if not deal_checked:
        sql = f"{sql} UNION ALL {_TL_DEAL_SQL}"
        args.append(deal_id)
    rows = await fetch(sql, args)
    if not deal_checked and not any(row["src"] == "deal" for row in rows):
        raise NotFound("not_found", what="deal")
    items = [_timeline_item(row) for row in rows if row["src"] != "deal"]
    items.sort(key=lambda item: (item.at, -_ORDER_OF_KIND[item.kind], item.ref_id), reverse=True)
    return items[offset:top]
