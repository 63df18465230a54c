"""Claims handling (претензійна робота, 1C's «Претензії клієнтів», reference §15).

A client's claim is registered against a partner, on the basis of a deal, an order or a shipment
of that partner, with a cause from a catalogue (each cause has a response time, which gives the
claim's due date), a description, the amount claimed, a responsible person and photos or files:

    registered ──take_into_work / plan_claim_tasks──> in_processing
    registered | in_processing ──close_claim──> satisfied | not_satisfied
    satisfied | not_satisfied ──reopen_claim──> in_processing (a new response time)

Rules: closing needs a resolution text; the guilty department and employee (and an amount
granted) are recorded only for a satisfied claim; a reopened claim keeps its history. The
work plan is a set of assignments through the generic process of `services.tasks`
(execute -> check -> rework), the claim's responsible checking them by default. Interactions
and files hang on the claim. Every change is appended to `ClaimEvent` (never updated).

Every command runs in one transaction, checks who acts and claims the row first: optimistic
concurrency on `Claim.version` like `services.audit.claim_deal` (pass the version the user saw
as `expected_version`; a second writer gets `ConcurrentUpdate`, before any check of the status,
since what they saw is gone). A refused command rolls back, version included.

Who sees and changes a claim: its responsible person, its author and whoever works with its
client (`services.access`: the partner's main manager, or the owner of a deal with the client,
its own deal included); a head of sales every claim of the team's people (and reassigns them);
an administrator everything. Anyone else gets `AccessDenied`, whatever ids they send.
`actor_id=None` / `viewer_id=None` is the system itself (CLI operator, jobs, the demo).

Notifications are computed, not sent, here: `due_claim_notifications(now)` lists what is due
(the responsible person on assignment and when the response time runs out; the deal's owner and
the partner's main manager when a claim is registered against their client), skipping every key
already in `SentNotification`; the sender records each (`mark_claim_notification_sent(key)`, or
`services.notifications.reserve` with the same key) so nothing goes twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from core import clock
from core.errors import AccessDenied, ConcurrentUpdate, DomainError, NotFound, ValidationFailed
from core.i18n import N_, register_messages
from models import (
    Claim,
    ClaimCause,
    ClaimEvent,
    Counterparty,
    Deal,
    Employee,
    FileLink,
    Interaction,
    Order,
    Partner,
    SentNotification,
    Shipment,
    Task,
)
from models.base import ClaimStatus, Direction, Importance, InteractionKind, Role, TaskStatus
from services.checks import check_currency, check_potential, check_text
from services.interactions import TimelineItem

OPEN_STATUSES = (ClaimStatus.REGISTERED, ClaimStatus.IN_PROCESSING)
CLOSED_STATUSES = (ClaimStatus.SATISFIED, ClaimStatus.NOT_SATISFIED)
MAX_DESCRIPTION = 4000
MAX_RESOLUTION = 4000
MAX_DEPARTMENT = 200
MAX_RESPONSE_HOURS = 24 * 90
# Assignment and registration notices older than this are history, not news (a restart, the
# demo's past): only the response time running out is still worth a message afterwards.
NOTIFY_WINDOW = dt.timedelta(hours=24)

STATUS_NAMES: dict[str, str] = {
    ClaimStatus.REGISTERED: N_("Registered"),
    ClaimStatus.IN_PROCESSING: N_("In processing"),
    ClaimStatus.SATISFIED: N_("Satisfied"),
    ClaimStatus.NOT_SATISFIED: N_("Not satisfied"),
}

# What the timeline's events mean (`TimelineItem.title` of kind "event" is the action code).
EVENT_NAMES: dict[str, str] = {
    "registered": N_("Claim registered"),
    "taken_into_work": N_("Taken into work"),
    "tasks_planned": N_("Work plan drawn up"),
    "note": N_("Note"),
    "file_attached": N_("File attached"),
    "reassigned": N_("Responsible person changed"),
    "closed": N_("Claim closed"),
    "reopened": N_("Claim reopened"),
}

# code, uk, en, response hours (calendar hours from registration).
DEFAULT_CAUSES: tuple[tuple[str, str, str, int], ...] = (
    ("damaged_goods", "Пошкодження товару під час перевезення", "Goods damaged in transit", 24),
    ("short_delivery", "Недопоставка (нестача кількості)", "Short delivery", 24),
    ("wrong_goods", "Пересорт: поставлено не той товар", "Wrong goods delivered", 24),
    ("incomplete_set", "Некомплектність", "Incomplete set", 48),
    ("quality_defect", "Неналежна якість, виробничий брак", "Quality defect", 72),
    ("late_delivery", "Порушення строку поставки", "Late delivery", 48),
    ("packaging", "Пошкоджене пакування або маркування", "Packaging or labelling defect", 72),
    (
        "documents_error",
        "Помилки в документах (видаткова, ТТН, податкова накладна)",
        "Errors in documents (delivery note, waybill, tax invoice)",
        48,
    ),
    ("price_error", "Помилка в ціні або в рахунку", "Price or invoice error", 48),
    ("warranty", "Гарантійний випадок", "Warranty case", 120),
    ("service", "Неналежне обслуговування", "Poor service", 72),
    ("other", "Інша причина", "Another cause", 72),
)

# --- texts the lead merges into core/i18n.py ----------------------------------------------------

EXTRA_FIELD_NAMES: dict[str, str] = {
    "cause": N_("Claim cause"),
    "resolution": N_("Resolution"),
    "guilty_department": N_("Guilty department"),
    "guilty_employee": N_("Guilty employee"),
    "claimed": N_("Amount claimed"),
    "settled": N_("Amount granted"),
    "responsible": N_("Responsible"),
    "order": N_("Order"),
    "shipment": N_("Shipment"),
    "response_hours": N_("Response time"),
    "format": N_("Format"),
}

EXTRA_REASONS: dict[str, str] = {
    "only_satisfied": N_("is recorded only for a satisfied claim"),
    "not_of_deal": N_("belongs to another deal"),
    "unchanged": N_("has not changed"),
}

EXTRA_ERROR_MESSAGES: dict[str, str] = {
    "claim_closed": N_("The claim %(number)s is closed; reopen it first."),
    "claim_not_closed": N_("The claim %(number)s is not closed."),
    "claim_in_processing": N_("The claim %(number)s is being processed already."),
}

register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS, errors=EXTRA_ERROR_MESSAGES)

# What a pushed message says, per `ClaimNotification.kind` (the bot renders it; params:
# number, partner, cause, due (local date and time), actor).
NOTIFICATION_MESSAGES: dict[str, str] = {
    "claim_assigned": N_(
        "Claim %(number)s from %(partner)s is yours: %(cause)s. Respond by %(due)s."
    ),
    "claim_registered": N_(
        "%(actor)s registered claim %(number)s against your client %(partner)s: %(cause)s."
    ),
    "claim_overdue": N_(
        "The response time of claim %(number)s from %(partner)s ran out at %(due)s."
    ),
}


class ClaimStateConflict(DomainError):
    """The claim's status does not allow the command (closed already, not closed...)."""

    code = "claim_state_conflict"


# --- DTOs ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimCauseRow:
    id: int
    code: str
    name_uk: str
    name_en: str
    response_hours: int
    active: bool

    def name(self, locale: str = "uk") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_uk


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """A line of a claim list."""

    id: int
    number: str
    status: str
    partner_id: int
    partner_name: str
    cause_id: int
    cause_name_uk: str
    cause_name_en: str
    responsible_id: int
    responsible_name: str
    registered_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    claimed_minor: int
    settled_minor: int
    currency: str
    overdue: bool
    version: int


@dataclass(frozen=True, slots=True)
class Ref:
    """A referenced record: its id and what people call it (a name or a document number)."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ClaimTaskRow:
    id: int
    title: str
    step: str  # "execute" / "check" of an assignment, "" for a plain task
    status: str
    performer: Ref
    checker_id: int | None
    due_at: dt.datetime | None
    completed_at: dt.datetime | None
    result: str
    overdue: bool


@dataclass(frozen=True, slots=True)
class ClaimFileRow:
    link_id: int
    file_id: int
    name: str
    mime_type: str
    size: int
    added_at: dt.datetime
    added_by_id: int | None


@dataclass(frozen=True, slots=True)
class ClaimCard:
    """Everything the claim card shows, and what the viewer may do with it."""

    id: int
    number: str
    status: str
    version: int
    partner: Ref
    counterparty: Ref | None
    deal: Ref | None  # name: the deal's number and title
    order: Ref | None  # name: the document number
    shipment: Ref | None
    cause: ClaimCauseRow
    description: str
    claimed_minor: int
    settled_minor: int
    currency: str
    responsible: Ref
    author: Ref | None
    registered_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    overdue: bool
    resolution: str
    guilty_department: str
    guilty_employee: Ref | None
    timeline: tuple[TimelineItem, ...]  # newest first
    tasks: tuple[ClaimTaskRow, ...]
    interactions: tuple[TimelineItem, ...]  # newest first
    files: tuple[ClaimFileRow, ...]
    actions: tuple[str, ...]  # take_into_work, plan_tasks, close, reopen, reassign, note, file


@dataclass(frozen=True, slots=True)
class NewFile:
    """A photo or document to attach (the bytes as they came from the chat or the disk)."""

    data: bytes
    original_name: str
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class ClaimTaskPlan:
    """One assignment of the claim's work plan; the checker is the claim's responsible unless
    given."""

    title: str
    performer_id: int
    due_at: dt.datetime
    checker_id: int | None = None
    description: str = ""
    importance: str = Importance.NORMAL.value


@dataclass(frozen=True, slots=True)
class ClaimNotification:
    """A message somebody must get about a claim. `key` is unique: record it with
    `mark_claim_notification_sent(key)` before sending. `kind` picks the text in
    `NOTIFICATION_MESSAGES`; `at` is when it became due (the event, or the due date)."""

    key: str
    kind: str  # claim_assigned | claim_registered | claim_overdue
    recipient_id: int
    period: str  # `<claim id>.<occasion>`: the key is `kind:recipient_id:period`
    claim_id: int
    number: str
    partner_id: int
    partner_name: str
    cause_name_uk: str
    cause_name_en: str
    status: str
    due_at: dt.datetime | None
    at: dt.datetime
    actor_id: int | None = None
    actor_name: str | None = None
    deal_id: int | None = None
    claimed_minor: int = 0
    currency: str = "UAH"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(item) for item in value]
    return value


# --- causes -------------------------------------------------------------------------------------


def _cause_row(cause: ClaimCause) -> ClaimCauseRow:
    return ClaimCauseRow(
        cause.id, cause.code, cause.name_uk, cause.name_en, cause.response_hours, cause.active
    )


async def ensure_default_causes() -> list[ClaimCauseRow]:
    """Create the catalogue's missing causes (causes edited by users are kept as they are)."""
    async with in_transaction():
        existing = set(await ClaimCause.all().values_list("code", flat=True))
        for code, name_uk, name_en, hours in DEFAULT_CAUSES:
            if code not in existing:
                await ClaimCause.create(
                    code=code, name_uk=name_uk, name_en=name_en, response_hours=hours
                )
    return await list_claim_causes()


async def list_claim_causes(*, active_only: bool = True) -> list[ClaimCauseRow]:
    query = ClaimCause.all()
    if active_only:
        query = query.filter(active=True)
    return [_cause_row(cause) for cause in await query.order_by("id")]


async def find_claim_cause(code: str) -> ClaimCauseRow | None:
    cause = await ClaimCause.get_or_none(code=code)
    return _cause_row(cause) if cause else None


# --- who may see what ---------------------------------------------------------------------------


async def _employee_or_denied(employee_id: int) -> Employee:
    """The acting employee; an unknown or deactivated one is refused (forged ids)."""
    employee = await Employee.get_or_none(id=employee_id)
    if employee is None or not employee.active:
        raise AccessDenied("access_denied")
    return employee


async def _visible_ids(viewer: Employee | None) -> frozenset[int] | None:
    """Whose claims the viewer sees (`services.access.people_seen_by`): None = everyone's
    (an admin, or the system itself)."""
    from services.access import people_seen_by

    return None if viewer is None else await people_seen_by(viewer)


def _visibility_q(ids: frozenset[int]) -> Q:
    """Claims these people work with: they are its responsible person or author, or its
    client is theirs (`services.access.partners_of`: the main manager, or the owner of a deal
    with the client, which includes the claim's own deal)."""
    from services.access import partners_of

    people = sorted(ids)
    return (
        Q(responsible_id__in=people)
        | Q(author_id__in=people)
        | Q(partner_id__in=Subquery(Partner.filter(partners_of(ids)).values("id")))
    )


async def _may_see(claim: Claim, viewer: Employee | None) -> bool:
    ids = await _visible_ids(viewer)
    if ids is None:
        return True
    if claim.responsible_id in ids or claim.author_id in ids:
        return True
    return await Claim.filter(_visibility_q(ids), id=claim.id).exists()


async def _get_claim(claim_id: int) -> Claim:
    claim = await Claim.get_or_none(id=claim_id)
    if claim is None:
        raise NotFound("not_found", what="claim")
    return claim


async def _actor(actor_id: int | None) -> Employee | None:
    return None if actor_id is None else await _employee_or_denied(actor_id)


async def _accessible(claim_id: int, actor_id: int | None) -> tuple[Claim, Employee | None]:
    claim = await _get_claim(claim_id)
    actor = await _actor(actor_id)
    if not await _may_see(claim, actor):
        raise AccessDenied("access_denied")
    return claim, actor


def _may_reassign(actor: Employee | None) -> bool:
    return actor is None or actor.role in (Role.HEAD, Role.ADMIN)


async def _bump(claim: Claim, expected_version: int | None) -> Claim:
    """Claim the row: bump the version only if it still holds what the command read (or what
    the user saw), else `ConcurrentUpdate`. Call inside the command's transaction."""
    if expected_version is not None and claim.version != expected_version:
        raise ConcurrentUpdate("concurrent_update", what="claim", number=claim.number)
    bumped = await Claim.filter(id=claim.id, version=claim.version).update(
        version=claim.version + 1
    )
    if bumped == 0:
        raise ConcurrentUpdate("concurrent_update", what="claim", number=claim.number)
    claim.version += 1
    return claim


async def _event(
    claim: Claim,
    action: str,
    *,
    actor_id: int | None,
    at: dt.datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
) -> ClaimEvent:
    return await ClaimEvent.create(
        claim_id=claim.id,
        at=at,
        actor_id=actor_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        data=_jsonable(data or {}),
        created_at=at,
    )


async def _active_employee(employee_id: int, field_name: str) -> Employee:
    employee = await Employee.get_or_none(id=employee_id)
    if employee is None:
        raise NotFound("not_found", what="employee")
    if not employee.active:
        raise ValidationFailed("invalid", field=field_name, reason="inactive")
    return employee


def _require_open(claim: Claim) -> None:
    if claim.status in CLOSED_STATUSES:
        raise ClaimStateConflict("claim_closed", number=claim.number)


def _is_overdue(claim: Claim | ClaimRow, now: dt.datetime) -> bool:
    return claim.status in OPEN_STATUSES and claim.due_at is not None and claim.due_at < now


# --- the basis ----------------------------------------------------------------------------------


@dataclass
class _Basis:
    deal_id: int | None
    order_id: int | None
    shipment_id: int | None
    counterparty_id: int | None


async def _resolve_basis(
    partner_id: int,
    deal_id: int | None,
    order_id: int | None,
    shipment_id: int | None,
    counterparty_id: int | None,
) -> _Basis:
    """Every document of the basis must be the partner's and of one deal; the deal and order
    are taken from the shipment (or order) when not given, the counterparty from the basis."""
    basis = _Basis(deal_id, order_id, shipment_id, counterparty_id)
    documents_counterparty: int | None = None
    if shipment_id is not None:
        shipment = await Shipment.get_or_none(id=shipment_id)
        if shipment is None:
            raise NotFound("not_found", what="shipment")
        if shipment.partner_id != partner_id:
            raise ValidationFailed("invalid", field="shipment", reason="not_of_partner")
        for attr, value in (("order_id", shipment.order_id), ("deal_id", shipment.deal_id)):
            given = getattr(basis, attr)
            if given is None:
                setattr(basis, attr, value)
            elif value is not None and value != given:
                raise ValidationFailed("invalid", field="shipment", reason="not_of_deal")
        documents_counterparty = shipment.counterparty_id
    if basis.order_id is not None:
        order = await Order.get_or_none(id=basis.order_id)
        if order is None:
            raise NotFound("not_found", what="order")
        if order.partner_id != partner_id:
            raise ValidationFailed("invalid", field="order", reason="not_of_partner")
        if basis.deal_id is None:
            basis.deal_id = order.deal_id
        elif order.deal_id is not None and order.deal_id != basis.deal_id:
            raise ValidationFailed("invalid", field="order", reason="not_of_deal")
        documents_counterparty = documents_counterparty or order.counterparty_id
    if basis.deal_id is not None:
        deal = await Deal.get_or_none(id=basis.deal_id)
        if deal is None:
            raise NotFound("not_found", what="deal")
        if deal.partner_id != partner_id:
            raise ValidationFailed("invalid", field="deal", reason="not_of_partner")
        documents_counterparty = documents_counterparty or deal.counterparty_id
    if basis.counterparty_id is not None:
        counterparty = await Counterparty.get_or_none(id=basis.counterparty_id)
        if counterparty is None:
            raise NotFound("not_found", what="counterparty")
        if counterparty.partner_id != partner_id:
            raise ValidationFailed("invalid", field="counterparty", reason="not_of_partner")
    else:
        basis.counterparty_id = documents_counterparty
    return basis


async def _attach(claim: Claim, upload: NewFile, actor_id: int | None, at: dt.datetime) -> FileLink:
    from services.files import attach_file, store_file

    if not isinstance(upload, NewFile) or not upload.data:
        raise ValidationFailed("invalid", field="file", reason="required")
    stored = await store_file(
        upload.data, original_name=upload.original_name, mime_type=upload.mime_type
    )
    already = await FileLink.filter(file_id=stored.id, claim_id=claim.id).first()
    if already is not None:
        return already
    link = await attach_file(stored.id, claim_id=claim.id, added_by_id=actor_id)
    await _event(
        claim, "file_attached", actor_id=actor_id, at=at,
        data={"file_id": stored.id, "link_id": link.id, "name": link.name},
    )  # fmt: skip
    return link


# --- commands -----------------------------------------------------------------------------------


async def register_claim(
    *,
    partner_id: int,
    cause_id: int,
    description: str,
    responsible_id: int,
    author_id: int | None,
    claimed_minor: int = 0,
    currency: str = "UAH",
    deal_id: int | None = None,
    order_id: int | None = None,
    shipment_id: int | None = None,
    counterparty_id: int | None = None,
    files: Sequence[NewFile] = (),
) -> Claim:
    """Register a client's claim: status registered, due by the cause's response time, number
    `C-` and the id padded to six digits (e.g. `C-000042`), photos and files attached."""
    description = check_text(description, "description", max_len=MAX_DESCRIPTION, required=True)
    claimed_minor = check_potential(claimed_minor, "claimed")
    currency = check_currency(currency)
    if author_id is not None:
        await _employee_or_denied(author_id)
    if not await Partner.filter(id=partner_id).exists():
        raise NotFound("not_found", what="partner")
    cause = await ClaimCause.get_or_none(id=cause_id)
    if cause is None:
        raise NotFound("not_found", what="cause")
    if not cause.active:
        raise ValidationFailed("invalid", field="cause", reason="inactive")
    await _active_employee(responsible_id, "responsible")
    basis = await _resolve_basis(partner_id, deal_id, order_id, shipment_id, counterparty_id)

    now = clock.now()
    due_at = now + dt.timedelta(hours=cause.response_hours)
    async with in_transaction():
        claim = await Claim.create(
            number=f"tmp-{uuid.uuid4().hex[:16]}",
            partner_id=partner_id,
            counterparty_id=basis.counterparty_id,
            deal_id=basis.deal_id,
            order_id=basis.order_id,
            shipment_id=basis.shipment_id,
            cause_id=cause.id,
            description=description,
            claimed_minor=claimed_minor,
            currency=currency,
            status=ClaimStatus.REGISTERED,
            responsible_id=responsible_id,
            author_id=author_id,
            registered_at=now,
            due_at=due_at,
            created_at=now,
        )
        number = f"C-{claim.id:06d}"
        suffix = 1
        while await Claim.filter(number=number).exists():  # a number brought in by an import
            suffix += 1
            number = f"C-{claim.id:06d}-{suffix}"
        claim.number = number
        await Claim.filter(id=claim.id).update(number=number)
        await _event(
            claim, "registered", actor_id=author_id, at=now, to_status=ClaimStatus.REGISTERED,
            data={"cause": cause.code, "responsible_id": responsible_id, "due_at": due_at,
                  "claimed_minor": claimed_minor, "currency": currency,
                  "deal_id": basis.deal_id, "order_id": basis.order_id,
                  "shipment_id": basis.shipment_id},
        )  # fmt: skip
        for upload in files:
            await _attach(claim, upload, author_id, now)
    return claim


async def take_into_work(
    claim_id: int, *, actor_id: int | None, expected_version: int | None = None
) -> Claim:
    """Registered -> in processing (the responsible person has started on it)."""
    async with in_transaction():
        claim, _ = await _accessible(claim_id, actor_id)
        await _bump(claim, expected_version)
        _require_open(claim)
        if claim.status != ClaimStatus.REGISTERED:
            raise ClaimStateConflict("claim_in_processing", number=claim.number)
        await _to_processing(claim, actor_id, clock.now())
    return claim


async def _to_processing(claim: Claim, actor_id: int | None, now: dt.datetime) -> None:
    await Claim.filter(id=claim.id).update(status=ClaimStatus.IN_PROCESSING)
    await _event(
        claim, "taken_into_work", actor_id=actor_id, at=now,
        from_status=claim.status, to_status=ClaimStatus.IN_PROCESSING,
    )  # fmt: skip
    claim.status = ClaimStatus.IN_PROCESSING


async def close_claim(
    claim_id: int,
    *,
    satisfied: bool,
    resolution: str,
    actor_id: int | None,
    settled_minor: int = 0,
    guilty_department: str = "",
    guilty_employee_id: int | None = None,
    expected_version: int | None = None,
) -> Claim:
    """Satisfied or not satisfied, with the resolution (required). The amount granted and the
    guilty department and employee belong to a satisfied claim only, and are refused otherwise."""
    resolution = check_text(resolution, "resolution", max_len=MAX_RESOLUTION, required=True)
    guilty_department = check_text(
        guilty_department, "guilty_department", max_len=MAX_DEPARTMENT
    )
    settled_minor = check_potential(settled_minor, "settled")
    if not satisfied:
        for name, value in (
            ("guilty_department", guilty_department),
            ("guilty_employee", guilty_employee_id),
            ("settled", settled_minor),
        ):
            if value:
                raise ValidationFailed("invalid", field=name, reason="only_satisfied")
    if (
        guilty_employee_id is not None
        and not await Employee.filter(id=guilty_employee_id).exists()
    ):
        raise NotFound("not_found", what="employee")
    status = ClaimStatus.SATISFIED if satisfied else ClaimStatus.NOT_SATISFIED
    async with in_transaction():
        claim, _ = await _accessible(claim_id, actor_id)
        await _bump(claim, expected_version)
        _require_open(claim)
        now = clock.now()
        previous = claim.status
        await Claim.filter(id=claim.id).update(
            status=status,
            closed_at=now,
            resolution=resolution,
            settled_minor=settled_minor,
            guilty_department=guilty_department,
            guilty_employee_id=guilty_employee_id,
        )
        await _event(
            claim, "closed", actor_id=actor_id, at=now, from_status=previous, to_status=status,
            data={"resolution": resolution, "settled_minor": settled_minor,
                  "guilty_department": guilty_department,
                  "guilty_employee_id": guilty_employee_id,
                  "on_time": claim.due_at is None or now <= claim.due_at},
        )  # fmt: skip
        claim.status, claim.closed_at, claim.resolution = status, now, resolution
        claim.settled_minor, claim.guilty_department = settled_minor, guilty_department
        claim.guilty_employee_id = guilty_employee_id
    return claim


async def reopen_claim(
    claim_id: int, *, reason: str, actor_id: int | None, expected_version: int | None = None
) -> Claim:
    """A closed claim back in processing with a fresh response time. The earlier outcome stays
    in the history (its `closed` event); the claim's own outcome fields are cleared."""
    reason = check_text(reason, "comment", max_len=MAX_RESOLUTION, required=True)
    async with in_transaction():
        claim, _ = await _accessible(claim_id, actor_id)
        await _bump(claim, expected_version)
        if claim.status not in CLOSED_STATUSES:
            raise ClaimStateConflict("claim_not_closed", number=claim.number)
        now = clock.now()
        hours = await ClaimCause.filter(id=claim.cause_id).values_list("response_hours", flat=True)
        due_at = now + dt.timedelta(hours=hours[0] if hours else 72)
        previous = claim.status
        await Claim.filter(id=claim.id).update(
            status=ClaimStatus.IN_PROCESSING,
            closed_at=None,
            due_at=due_at,
            resolution="",
            settled_minor=0,
            guilty_department="",
            guilty_employee_id=None,
        )
        await _event(
            claim, "reopened", actor_id=actor_id, at=now, from_status=previous,
            to_status=ClaimStatus.IN_PROCESSING,
            data={"reason": reason, "due_at": due_at, "previous_resolution": claim.resolution,
                  "previous_closed_at": claim.closed_at},
        )  # fmt: skip
        claim.status, claim.closed_at, claim.due_at = ClaimStatus.IN_PROCESSING, None, due_at
        claim.resolution, claim.settled_minor, claim.guilty_department = "", 0, ""
        claim.guilty_employee_id = None
    return claim


async def reassign_claim(
    claim_id: int,
    responsible_id: int,
    *,
    actor_id: int | None,
    expected_version: int | None = None,
) -> Claim:
    """A head of sales (for the team's claims) or an administrator hands an open claim to
    another responsible person, who is notified."""
    async with in_transaction():
        claim, actor = await _accessible(claim_id, actor_id)
        if not _may_reassign(actor):
            raise AccessDenied("access_denied")
        await _bump(claim, expected_version)
        _require_open(claim)
        await _active_employee(responsible_id, "responsible")
        if responsible_id == claim.responsible_id:
            raise ValidationFailed("invalid", field="responsible", reason="unchanged")
        now = clock.now()
        await Claim.filter(id=claim.id).update(responsible_id=responsible_id)
        await _event(
            claim, "reassigned", actor_id=actor_id, at=now,
            data={"from_id": claim.responsible_id, "responsible_id": responsible_id},
        )  # fmt: skip
        claim.responsible_id = responsible_id
    return claim


async def plan_claim_tasks(
    claim_id: int,
    steps: Sequence[ClaimTaskPlan],
    *,
    actor_id: int | None,
    expected_version: int | None = None,
) -> list[Task]:
    """The claim's work plan: one assignment (execute -> check -> rework, `services.tasks`) per
    step, checked by the claim's responsible unless a checker is named. A registered claim goes
    into processing (1C: "Обрабатывается" means a work plan exists)."""
    from services.tasks import create_assignment

    if not steps:
        raise ValidationFailed("invalid", field="task", reason="required")
    async with in_transaction():
        claim, _ = await _accessible(claim_id, actor_id)
        await _bump(claim, expected_version)
        _require_open(claim)
        now = clock.now()
        if claim.status == ClaimStatus.REGISTERED:
            await _to_processing(claim, actor_id, now)
        made: list[Task] = []
        for step in steps:
            made.append(
                await create_assignment(
                    title=step.title,
                    performer_id=step.performer_id,
                    checker_id=step.checker_id or claim.responsible_id,
                    due_at=step.due_at,
                    author_id=actor_id,
                    claim_id=claim.id,
                    partner_id=claim.partner_id,
                    description=step.description,
                    importance=step.importance,
                )
            )
        await _event(
            claim, "tasks_planned", actor_id=actor_id, at=now,
            data={"tasks": [{"id": t.id, "title": t.title, "performer_id": t.performer_id,
                             "due_at": t.due_at} for t in made]},
        )  # fmt: skip
    return made


async def add_claim_note(claim_id: int, text: str, *, actor_id: int | None) -> ClaimEvent:
    """A comment on the claim's history (also on a closed claim)."""
    text = check_text(text, "comment", max_len=MAX_RESOLUTION, required=True)
    async with in_transaction():
        claim, _ = await _accessible(claim_id, actor_id)
        return await _event(claim, "note", actor_id=actor_id, at=clock.now(), data={"text": text})


async def attach_claim_file(
    claim_id: int,
    *,
    data: bytes,
    original_name: str,
    mime_type: str = "application/octet-stream",
    actor_id: int | None,
) -> FileLink:
    """A photo or document on the claim (stored once by content; the same file twice is one
    attachment)."""
    async with in_transaction():
        claim, _ = await _accessible(claim_id, actor_id)
        return await _attach(claim, NewFile(data, original_name, mime_type), actor_id, clock.now())


async def log_claim_interaction(
    claim_id: int,
    *,
    actor_id: int,
    kind: InteractionKind | str,
    starts_at: dt.datetime,
    subject: str = "",
    description: str = "",
    direction: Direction | str = Direction.NONE,
    done: bool = True,
    result: str = "",
    ends_at: dt.datetime | None = None,
    contact_ids: Sequence[int] = (),
) -> Interaction:
    """A call, meeting, letter or message about the claim, owned by the actor (it also shows in
    the partner's history)."""
    from models import ContactPerson
    from services.interactions import log_interaction

    claim, _ = await _accessible(claim_id, actor_id)
    wanted = set(contact_ids)
    if wanted and await ContactPerson.filter(
        id__in=wanted, partner_id=claim.partner_id
    ).count() != len(wanted):
        raise ValidationFailed("invalid", field="contact", reason="not_of_partner")
    return await log_interaction(
        kind=kind,
        owner_id=actor_id,
        starts_at=starts_at,
        ends_at=ends_at,
        claim_id=claim.id,
        partner_id=claim.partner_id,
        direction=direction,
        subject=subject or claim.number,
        description=description,
        done=done,
        result=result,
        contact_ids=tuple(contact_ids),
        author_id=actor_id,
    )


# --- queries ------------------------------------------------------------------------------------


async def get_claim(claim_id: int, *, viewer_id: int | None) -> Claim:
    """The claim, if the viewer may see it (NotFound / AccessDenied otherwise)."""
    claim, _ = await _accessible(claim_id, viewer_id)
    return claim


async def find_claim_by_number(number: str, *, viewer_id: int | None) -> Claim | None:
    claim = await Claim.get_or_none(number=number.strip().upper())
    if claim is None:
        return None
    if not await _may_see(claim, await _actor(viewer_id)):
        raise AccessDenied("access_denied")
    return claim


async def _claims_query(
    viewer_id: int | None,
    *,
    status: ClaimStatus | str | Iterable[ClaimStatus | str] | None,
    overdue: bool | None,
    partner_id: int | None,
    responsible_id: int | None,
    deal_id: int | None,
    registered_from: dt.datetime | None,
    registered_to: dt.datetime | None,
    now: dt.datetime,
) -> Any:
    query = Claim.all()
    ids = await _visible_ids(await _actor(viewer_id))
    if ids is not None:
        query = query.filter(_visibility_q(ids))
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        query = query.filter(status__in=[ClaimStatus(s) for s in wanted])
    overdue_q = Q(status__in=list(OPEN_STATUSES), due_at__lt=now)
    if overdue is True:
        query = query.filter(overdue_q)
    elif overdue is False:
        query = query.filter(
            Q(status__in=list(CLOSED_STATUSES)) | Q(due_at__isnull=True) | Q(due_at__gte=now)
        )
    for name, value in (
        ("partner_id", partner_id), ("responsible_id", responsible_id), ("deal_id", deal_id),
    ):  # fmt: skip
        if value is not None:
            query = query.filter(**{name: value})
    if registered_from is not None:
        query = query.filter(registered_at__gte=registered_from)
    if registered_to is not None:
        query = query.filter(registered_at__lt=registered_to)
    return query


_ROW_FIELDS = (
    "id", "number", "status", "partner_id", "cause_id", "responsible_id", "registered_at",
    "due_at", "closed_at", "claimed_minor", "settled_minor", "currency", "version",
)  # fmt: skip


async def list_claims(
    *,
    viewer_id: int | None,
    status: ClaimStatus | str | Iterable[ClaimStatus | str] | None = None,
    overdue: bool | None = None,
    partner_id: int | None = None,
    responsible_id: int | None = None,
    deal_id: int | None = None,
    registered_from: dt.datetime | None = None,
    registered_to: dt.datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ClaimRow]:
    """The claims the viewer may see, newest first. `status`: one or several; `overdue`: True =
    open past the due date, False = everything else; `responsible_id=viewer` is "my claims"."""
    now = clock.now()
    query = await _claims_query(
        viewer_id, status=status, overdue=overdue, partner_id=partner_id,
        responsible_id=responsible_id, deal_id=deal_id, registered_from=registered_from,
        registered_to=registered_to, now=now,
    )  # fmt: skip
    rows = (
        await query.order_by("-registered_at", "-id")
        .offset(offset)
        .limit(limit)
        .values(
            *_ROW_FIELDS,
            partner_name="partner__name",
            cause_name_uk="cause__name_uk",
            cause_name_en="cause__name_en",
            responsible_name="responsible__full_name",
        )
    )
    result = []
    for r in rows:
        status_value = ClaimStatus(r["status"])
        result.append(
            ClaimRow(
                id=r["id"], number=r["number"], status=status_value.value,
                partner_id=r["partner_id"], partner_name=r["partner_name"],
                cause_id=r["cause_id"], cause_name_uk=r["cause_name_uk"],
                cause_name_en=r["cause_name_en"], responsible_id=r["responsible_id"],
                responsible_name=r["responsible_name"], registered_at=r["registered_at"],
                due_at=r["due_at"], closed_at=r["closed_at"],
                claimed_minor=r["claimed_minor"], settled_minor=r["settled_minor"],
                currency=r["currency"],
                overdue=status_value in OPEN_STATUSES and r["due_at"] is not None
                and r["due_at"] < now,
                version=r["version"],
            )
        )  # fmt: skip
    return result


async def count_claims(
    *,
    viewer_id: int | None,
    status: ClaimStatus | str | Iterable[ClaimStatus | str] | None = None,
    overdue: bool | None = None,
    partner_id: int | None = None,
    responsible_id: int | None = None,
    deal_id: int | None = None,
    registered_from: dt.datetime | None = None,
    registered_to: dt.datetime | None = None,
) -> int:
    """How many claims `list_claims` would page through with the same filters."""
    query = await _claims_query(
        viewer_id, status=status, overdue=overdue, partner_id=partner_id,
        responsible_id=responsible_id, deal_id=deal_id, registered_from=registered_from,
        registered_to=registered_to, now=clock.now(),
    )  # fmt: skip
    return await query.count()


async def list_claim_timeline(
    claim_id: int, *, viewer_id: int | None, limit: int = 30, offset: int = 0
) -> list[TimelineItem]:
    """Newest first: the claim's events (registered, taken into work, tasks planned, notes,
    files, reassigned, closed, reopened), its interactions and its completed task steps."""
    claim, _ = await _accessible(claim_id, viewer_id)
    return await _timeline(claim.id, offset + limit, offset)


async def _timeline(claim_id: int, top: int, offset: int = 0) -> list[TimelineItem]:
    items: list[TimelineItem] = []
    events = (
        await ClaimEvent.filter(claim_id=claim_id)
        .order_by("-at", "-id")
        .limit(top)
        .values("id", "at", "action", "actor_id", "from_status", "to_status", "data",
                actor_name="actor__full_name")
    )  # fmt: skip
    for e in events:
        items.append(
            TimelineItem(
                at=e["at"], kind="event", ref_id=e["id"], title=e["action"],
                data={"actor_id": e["actor_id"], "actor_name": e["actor_name"],
                      "from_status": e["from_status"], "to_status": e["to_status"],
                      **(e["data"] or {})},
            )
        )  # fmt: skip
    items.extend(await _interaction_items(claim_id, top))
    done = Task.filter(claim_id=claim_id, completed_at__isnull=False)
    for task in await done.order_by("-completed_at", "-id").limit(top):
        items.append(
            TimelineItem(
                at=task.completed_at, kind="task_done", ref_id=task.id, title=task.title,
                data={"status": task.status.value, "result": task.result,
                      "performer_id": task.performer_id},
            )
        )  # fmt: skip
    order = {"event": 0, "interaction": 1, "planned_interaction": 2, "task_done": 3}
    items.sort(key=lambda i: (i.at, -order[i.kind], i.ref_id), reverse=True)
    return items[offset:top]


async def _interaction_items(claim_id: int, top: int) -> list[TimelineItem]:
    rows = (
        await Interaction.filter(claim_id=claim_id)
        .order_by("-starts_at", "-id")
        .limit(top)
        .values("id", "starts_at", "done", "subject", "kind", "direction", "result",
                "description", "owner_id", owner_name="owner__full_name")
    )  # fmt: skip
    return [
        TimelineItem(
            at=r["starts_at"], kind="interaction" if r["done"] else "planned_interaction",
            ref_id=r["id"], title=r["subject"],
            data={"interaction_kind": str(r["kind"]), "direction": str(r["direction"]),
                  "result": r["result"], "description": r["description"],
                  "owner_id": r["owner_id"], "owner_name": r["owner_name"]},
        )
        for r in rows
    ]  # fmt: skip


async def _ref(model: type, ref_id: int | None, *fields: str) -> Ref | None:
    if ref_id is None:
        return None
    row = await model.filter(id=ref_id).first().values(*fields)
    if row is None:
        return None
    return Ref(ref_id, " ".join(str(row[f]) for f in fields if row[f]))


async def get_claim_card(claim_id: int, *, viewer_id: int | None) -> ClaimCard:
    """The claim card: fields, references, timeline, task steps, interactions, files and the
    actions the viewer may take now."""
    claim, viewer = await _accessible(claim_id, viewer_id)
    now = clock.now()
    cause = await ClaimCause.get(id=claim.cause_id)
    task_rows = (
        await Task.filter(claim_id=claim.id)
        .order_by("id")
        .limit(200)
        .values("id", "title", "template_code", "status", "performer_id", "checker_id",
                "due_at", "completed_at", "result", performer_name="performer__full_name")
    )  # fmt: skip
    steps = {"assignment.execute": "execute", "assignment.check": "check"}
    tasks = tuple(
        ClaimTaskRow(
            id=t["id"], title=t["title"], step=steps.get(t["template_code"] or "", ""),
            status=str(t["status"]), performer=Ref(t["performer_id"], t["performer_name"]),
            checker_id=t["checker_id"], due_at=t["due_at"], completed_at=t["completed_at"],
            result=t["result"],
            overdue=str(t["status"]) == TaskStatus.OPEN.value and t["due_at"] is not None
            and t["due_at"] < now,
        )
        for t in task_rows
    )  # fmt: skip
    file_rows = (
        await FileLink.filter(claim_id=claim.id)
        .order_by("id")
        .values("id", "file_id", "name", "created_at", "added_by_id",
                mime_type="file__mime_type", size="file__size")
    )  # fmt: skip
    files = tuple(
        ClaimFileRow(f["id"], f["file_id"], f["name"], f["mime_type"], f["size"],
                     f["created_at"], f["added_by_id"])
        for f in file_rows
    )  # fmt: skip
    is_open = claim.status in OPEN_STATUSES
    actions = [
        *(["take_into_work"] if claim.status == ClaimStatus.REGISTERED else []),
        *(["plan_tasks", "close"] if is_open else ["reopen"]),
        *(["reassign"] if is_open and _may_reassign(viewer) else []),
        "note",
        "file",
    ]
    return ClaimCard(
        id=claim.id,
        number=claim.number,
        status=ClaimStatus(claim.status).value,
        version=claim.version,
        partner=await _ref(Partner, claim.partner_id, "name") or Ref(claim.partner_id, ""),
        counterparty=await _ref(Counterparty, claim.counterparty_id, "name"),
        deal=await _ref(Deal, claim.deal_id, "number", "title"),
        order=await _ref(Order, claim.order_id, "number"),
        shipment=await _ref(Shipment, claim.shipment_id, "number"),
        cause=_cause_row(cause),
        description=claim.description,
        claimed_minor=claim.claimed_minor,
        settled_minor=claim.settled_minor,
        currency=claim.currency,
        responsible=await _ref(Employee, claim.responsible_id, "full_name")
        or Ref(claim.responsible_id, ""),
        author=await _ref(Employee, claim.author_id, "full_name"),
        registered_at=claim.registered_at,
        due_at=claim.due_at,
        closed_at=claim.closed_at,
        overdue=_is_overdue(claim, now),
        resolution=claim.resolution,
        guilty_department=claim.guilty_department,
        guilty_employee=await _ref(Employee, claim.guilty_employee_id, "full_name"),
        timeline=tuple(await _timeline(claim.id, 30)),
        tasks=tasks,
        interactions=tuple(await _interaction_items(claim.id, 20)),
        files=files,
        actions=tuple(actions),
    )


# --- notifications ------------------------------------------------------------------------------


def notification_key(kind: str, claim_id: int, recipient_id: int, occasion: str) -> str:
    """`kind:recipient:period` like every record of `SentNotification` (services.notifications),
    the period being `<claim id>.<occasion>`: one message per recipient and occasion."""
    return f"{kind}:{recipient_id}:{claim_id}.{occasion}"


async def due_claim_notifications(
    now: dt.datetime | None = None, *, claim_id: int | None = None, limit: int = 500
) -> list[ClaimNotification]:
    """What must be sent now and has not been recorded as sent, oldest occasion first:

    * `claim_assigned`: the responsible person of a claim registered or reassigned in the last
      24 hours (not when they assigned it to themselves);
    * `claim_registered`: the deal's owner and the partner's main manager of a claim registered
      in the last 24 hours (unless they registered it or are its responsible person);
    * `claim_overdue`: the responsible person of an open claim whose due date has passed (once
      per due date: a reopened claim gets a new one).

    At most `limit` (the rest come on the next call); `claim_id` narrows it to one claim (the
    bot calls it right after a command). Deactivated employees are not told anything."""
    now = now or clock.now()
    events = ClaimEvent.filter(
        action__in=["registered", "reassigned"], at__gte=now - NOTIFY_WINDOW, at__lte=now
    )
    overdue = Claim.filter(status__in=list(OPEN_STATUSES), due_at__lte=now)
    if claim_id is not None:
        events = events.filter(claim_id=claim_id)
        overdue = overdue.filter(id=claim_id)
    result: list[ClaimNotification] = []
    # The window keeps the events few; overdue claims pile up, so they are paged past the
    # ones already told.
    event_rows = await events.order_by("at", "id").values(
        "id", "claim_id", "action", "actor_id", "at", "data"
    )
    result += await _unsent(await _event_notices(event_rows), limit)
    offset = 0
    while len(result) < limit:
        page = await overdue.order_by("due_at", "id").offset(offset).limit(limit).values(
            "id", "responsible_id", "due_at"
        )
        offset += len(page)
        claims = await _notice_claims({r["id"] for r in page})
        found = []
        for r in page:
            stamp = r["due_at"].astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")
            found.append(_notice("claim_overdue", claims[r["id"]], r["responsible_id"],
                                 f"due{stamp}", r["due_at"]))
        result += await _unsent(found, limit - len(result))
        if len(page) < limit:
            break
    result.sort(key=lambda n: (n.at, n.claim_id, n.key))
    return result[:limit]


async def _notice_claims(ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    return {
        c["id"]: c
        for c in await Claim.filter(id__in=ids).values(
            "id", "number", "partner_id", "deal_id", "status", "due_at", "claimed_minor",
            "currency", "responsible_id", "author_id",
            partner_name="partner__name", manager_id="partner__main_manager_id",
            cause_uk="cause__name_uk", cause_en="cause__name_en",
        )
    }  # fmt: skip


def _notice(
    kind: str, claim: dict[str, Any], recipient: int, what: str, at: dt.datetime,
    actor_id: int | None = None,
) -> ClaimNotification:  # fmt: skip
    return ClaimNotification(
        key=notification_key(kind, claim["id"], recipient, what), kind=kind,
        period=f"{claim['id']}.{what}",
        recipient_id=recipient, claim_id=claim["id"], number=claim["number"],
        partner_id=claim["partner_id"], partner_name=claim["partner_name"],
        cause_name_uk=claim["cause_uk"], cause_name_en=claim["cause_en"],
        status=str(claim["status"]), due_at=claim["due_at"], at=at, actor_id=actor_id,
        deal_id=claim["deal_id"], claimed_minor=claim["claimed_minor"],
        currency=claim["currency"],
    )  # fmt: skip


async def _event_notices(event_rows: list[dict[str, Any]]) -> list[ClaimNotification]:
    claims = await _notice_claims({e["claim_id"] for e in event_rows})
    deal_ids = {c["deal_id"] for c in claims.values() if c["deal_id"]}
    deal_owner = dict(await Deal.filter(id__in=deal_ids).values_list("id", "owner_id"))
    found = []
    for e in event_rows:
        claim = claims[e["claim_id"]]
        responsible = (e["data"] or {}).get("responsible_id")
        if responsible is not None and responsible != e["actor_id"]:
            found.append(_notice("claim_assigned", claim, int(responsible), f"e{e['id']}",
                                 e["at"], e["actor_id"]))
        if e["action"] == "registered":
            told = {e["actor_id"], claim["responsible_id"], responsible}
            owner = deal_owner.get(claim["deal_id"])
            for recipient in dict.fromkeys((owner, claim["manager_id"])):
                if recipient is not None and recipient not in told:
                    found.append(_notice("claim_registered", claim, recipient, f"e{e['id']}",
                                         e["at"], e["actor_id"]))
    return found


async def _unsent(found: list[ClaimNotification], limit: int) -> list[ClaimNotification]:
    """Drop what was recorded as sent and what deactivated people would get; name the actor."""
    if not found or limit <= 0:
        return []
    people = {n.recipient_id for n in found} | {n.actor_id for n in found if n.actor_id}
    rows = await Employee.filter(id__in=people).values("id", "full_name", "active")
    names = {r["id"]: r["full_name"] for r in rows}
    active = {r["id"] for r in rows if r["active"]}
    sent = set(
        await SentNotification.filter(key__in=[n.key for n in found]).values_list(
            "key", flat=True
        )
    )
    result = []
    for n in found:
        if n.key in sent or n.recipient_id not in active:
            continue
        result.append(_with_actor(n, names.get(n.actor_id)) if n.actor_id else n)
    return result[:limit]


def _with_actor(n: ClaimNotification, name: str | None) -> ClaimNotification:
    from dataclasses import replace

    return replace(n, actor_name=name)


async def mark_claim_notification_sent(key: str) -> bool:
    """Record a claim notification as sent: True the first time, False when it was recorded
    already (by this or another process), so nobody sends it twice. Call it right before
    sending (the bot, after its command's transaction). A sender with retries records it with
    `services.notifications.reserve([Reservation(n.kind, n.recipient_id, n.period)])` instead
    (the same key), which `due_claim_notifications` equally skips."""
    kind, recipient, period = [*key.split(":", 2), "", ""][:3]
    if kind not in NOTIFICATION_MESSAGES or not recipient.isdigit() or not period:
        raise ValidationFailed("invalid", field="key", reason="bad_choice",
                               choices=", ".join(NOTIFICATION_MESSAGES))
    recipient_id: int | None = int(recipient)
    if not await Employee.filter(id=recipient_id).exists():
        recipient_id = None
    now = clock.now()
    try:
        async with in_transaction():  # a savepoint inside a caller's transaction
            await SentNotification.create(
                key=key, kind=kind, recipient_id=recipient_id, period=period[:64], sent_at=now,
                attempts=1,
            )  # fmt: skip
    except IntegrityError:
        return False
    return True


# --- export -------------------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "json", "xlsx")
EXPORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # key, uk header, en header
    ("number", "Номер", "Number"),
    ("registered_at", "Зареєстровано", "Registered at"),
    ("status", "Статус", "Status"),
    ("partner", "Партнер", "Partner"),
    ("counterparty", "Контрагент", "Counterparty"),
    ("deal", "Угода", "Deal"),
    ("order", "Замовлення", "Order"),
    ("shipment", "Відвантаження", "Shipment"),
    ("cause", "Причина", "Cause"),
    ("description", "Суть претензії", "Description"),
    ("claimed", "Сума претензії", "Amount claimed"),
    ("settled", "Відшкодовано", "Amount granted"),
    ("currency", "Валюта", "Currency"),
    ("responsible", "Відповідальний", "Responsible"),
    ("author", "Автор", "Author"),
    ("due_at", "Термін відповіді", "Respond by"),
    ("closed_at", "Закрито", "Closed at"),
    ("overdue", "Прострочено", "Overdue"),
    ("resolution", "Результат відпрацювання", "Resolution"),
    ("guilty_department", "Винний підрозділ", "Guilty department"),
    ("guilty_employee", "Винний співробітник", "Guilty employee"),
)
STATUS_WORDS = {
    "uk": {"registered": "Зареєстрована", "in_processing": "Обробляється",
           "satisfied": "Задоволена", "not_satisfied": "Не задоволена"},
    "en": {"registered": "Registered", "in_processing": "In processing",
           "satisfied": "Satisfied", "not_satisfied": "Not satisfied"},
}  # fmt: skip
YES_NO = {"uk": ("так", ""), "en": ("yes", "")}


async def list_claim_export_records(
    *,
    viewer_id: int | None,
    status: ClaimStatus | str | Iterable[ClaimStatus | str] | None = None,
    registered_from: dt.datetime | None = None,
    registered_to: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The claims the viewer may see, oldest first, one dict per claim (two queries)."""
    now = clock.now()
    query = await _claims_query(
        viewer_id, status=status, overdue=None, partner_id=None, responsible_id=None,
        deal_id=None, registered_from=registered_from, registered_to=registered_to, now=now,
    )  # fmt: skip
    rows = await query.order_by("registered_at", "id").values(
        "id", "number", "registered_at", "status", "description", "claimed_minor",
        "settled_minor", "currency", "due_at", "closed_at", "resolution", "guilty_department",
        "cause_id",
        partner="partner__name", counterparty="counterparty__name", deal_number="deal__number",
        order_number="order__number", shipment_number="shipment__number",
        cause_code="cause__code",
        cause_uk="cause__name_uk", cause_en="cause__name_en",
        responsible="responsible__full_name", author="author__full_name",
        guilty_employee="guilty_employee__full_name",
    )  # fmt: skip
    for row in rows:
        row["status"] = ClaimStatus(row["status"]).value
        row["deal"] = row.pop("deal_number")
        row["order"] = row.pop("order_number")
        row["shipment"] = row.pop("shipment_number")
        row["overdue"] = (
            row["status"] in OPEN_STATUSES and row["due_at"] is not None and row["due_at"] < now
        )
    return rows


def _money_text(minor: int, locale: str) -> str:
    units, cents = divmod(abs(int(minor)), 100)
    sign = "-" if minor < 0 else ""
    return f"{sign}{units}{',' if locale == 'uk' else '.'}{cents:02d}"


def _moment_text(value: dt.datetime | None, tz: str) -> str:
    return "" if value is None else clock.to_local(value, tz).strftime("%d.%m.%Y %H:%M")


def _export_cells(row: dict[str, Any], locale: str, tz: str, typed: bool) -> list[Any]:
    lang = "en" if locale == "en" else "uk"
    cause = row["cause_en"] if lang == "en" and row["cause_en"] else row["cause_uk"]
    values: dict[str, Any] = {
        **{key: row.get(key) or "" for key, _, _ in EXPORT_COLUMNS},
        "registered_at": _moment_text(row["registered_at"], tz),
        "due_at": _moment_text(row["due_at"], tz),
        "closed_at": _moment_text(row["closed_at"], tz),
        "status": STATUS_WORDS[lang][row["status"]],
        "cause": cause,
        "overdue": YES_NO[lang][0 if row["overdue"] else 1],
    }
    for key, minor in (("claimed", row["claimed_minor"]), ("settled", row["settled_minor"])):
        values[key] = Decimal(minor) / 100 if typed else _money_text(minor, lang)
    return [values[key] for key, _, _ in EXPORT_COLUMNS]


def _json_record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": row["number"],
        "registered_at": row["registered_at"].isoformat(),
        "status": row["status"],
        "partner": row["partner"],
        "counterparty": row["counterparty"],
        "deal": row["deal"],
        "order": row["order"],
        "shipment": row["shipment"],
        "cause": row["cause_code"],
        "cause_uk": row["cause_uk"],
        "cause_en": row["cause_en"],
        "description": row["description"],
        "claimed_minor": row["claimed_minor"],
        "settled_minor": row["settled_minor"],
        "currency": row["currency"],
        "responsible": row["responsible"],
        "author": row["author"],
        "due_at": row["due_at"].isoformat() if row["due_at"] else None,
        "closed_at": row["closed_at"].isoformat() if row["closed_at"] else None,
        "overdue": row["overdue"],
        "resolution": row["resolution"],
        "guilty_department": row["guilty_department"],
        "guilty_employee": row["guilty_employee"],
    }


async def export_claims(
    fmt: str,
    *,
    viewer_id: int | None,
    locale: str = "uk",
    tz: str = "Europe/Kyiv",
    status: ClaimStatus | str | Iterable[ClaimStatus | str] | None = None,
    registered_from: dt.datetime | None = None,
    registered_to: dt.datetime | None = None,
) -> Any:
    """The viewer's claims as `csv` (UTF-8 with BOM, `;`, Ukrainian or English headers, money
    as 1234,50), `json` (codes, money in minor units, ISO UTC times) or `xlsx` (amounts as
    numbers); times in `tz`. Returns `services.exchange_export.ExportFile`."""
    from services.exchange_export import ExportFile
    from services.exchange_files import write_csv, write_json, write_xlsx

    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed("invalid", field="format", reason="bad_choice",
                               choices=", ".join(EXPORT_FORMATS))
    rows = await list_claim_export_records(
        viewer_id=viewer_id, status=status, registered_from=registered_from,
        registered_to=registered_to,
    )  # fmt: skip
    filename = f"claims-{clock.today(tz).isoformat()}.{fmt}"
    if fmt == "json":
        return ExportFile(write_json([_json_record(r) for r in rows]), len(rows), filename)
    headers = [en if locale == "en" else uk for _, uk, en in EXPORT_COLUMNS]
    if fmt == "csv":
        cells = [_export_cells(r, locale, tz, typed=False) for r in rows]
        return ExportFile(write_csv(headers, cells), len(rows), filename)
    cells = [_export_cells(r, locale, tz, typed=True) for r in rows]
    title = "Претензії" if locale != "en" else "Claims"
    return ExportFile(write_xlsx(headers, cells, title), len(rows), filename)
