"""What the bot's "My deals" list and deal card show, gathered for one employee.

Every function takes the acting employee and goes through `services.access` first: a manager
sees their own deals, a head of sales their team's, an administrator all of them; anything else
is `AccessDenied`, whatever id the caller was handed (callback data is untrusted input).

    page = await list_deals_for(employee, status="open", search="труб", limit=8, offset=0)
    card = await get_deal_card(employee, deal_id)          # one deal, a fixed handful of queries
    docs = await list_deal_documents(employee, deal_id)    # the process's documents
    doc = await load_deal_document(employee, deal_id, doc_id)   # bytes to send as a file
    link = await attach_to_deal(employee, deal_id, data, name="act.pdf", mime_type=...)

The list is paged in SQL (`LIMIT`/`OFFSET` and one `COUNT`). Search is tolerant: the number
(any part, any case), the title (as typed and in the usual case variants; on PostgreSQL any
case), or the partner's name through its normalised `search_key` (`services.text.search_key`:
case, apostrophes, quotes and Latin look-alike letters do not matter).
Rendering (texts, the user's language, money and dates) is left to the adapter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise import Model, connections
from tortoise.expressions import Q, Subquery

from core import clock
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, register_messages
from models import (
    Deal,
    DealKind,
    DealParticipant,
    Employee,
    Interaction,
    Partner,
    ProcessDocument,
    Stage,
    StoredFile,
    Task,
)
from models.base import ControlType, DealStatus, Direction, InteractionKind, TaskStatus
from services.access import deal_scope, get_deal_for
from services.analytics.common import dialect, sql_params
from services.checks import check_text
from services.dto import PartnerRef
from services.files import attach_file, open_file, store_file
from services.pipeline import list_stage_documents, stages_in_order
from services.probability import explain_deal_probability
from services.text import search_key

SEARCH_MAX = 100
PAGE_MAX = 50
COMPETITORS_MAX = 200
LATEST_INTERACTIONS = 3
OPEN_TASKS_MAX = 20
ATTACH_MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
STATUSES = tuple(status.value for status in DealStatus)

EXTRA_FIELD_NAMES: dict[str, str] = {
    "search": N_("Search"),
    "status": N_("Status"),
}
EXTRA_REASONS: dict[str, str] = {
    "too_big": N_("is too big (at most %(max)s MB)"),
    "not_competitor": N_("is not marked as a competitor"),
    "not_of_process": N_("does not belong to this deal's process"),
}

register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS)


# --- data handed back ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DealRow:
    """A line of the deals list."""

    id: int
    number: str
    title: str
    status: str  # open | won | lost
    partner: str | None
    kind_name_uk: str
    kind_name_en: str
    stage_name_uk: str | None
    stage_name_en: str | None
    potential_minor: int
    currency: str
    owner: str


@dataclass(frozen=True, slots=True)
class DealPage:
    rows: tuple[DealRow, ...]
    total: int  # all deals matching the filters
    limit: int
    offset: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


@dataclass(frozen=True, slots=True)
class StageRef:
    id: int
    code: str
    name_uk: str
    name_en: str
    order: int
    kind_id: int
    kind_name_uk: str = ""
    kind_name_en: str = ""


@dataclass(frozen=True, slots=True)
class TaskRef:
    id: int
    title: str
    due_at: dt.datetime | None
    performer_id: int
    performer: str
    stage_id: int | None  # route tasks: the stage whose entry created them
    overdue: bool


@dataclass(frozen=True, slots=True)
class InteractionRef:
    id: int
    kind: str  # call | meeting | email | telegram | note | planned
    direction: str
    subject: str
    result: str
    starts_at: dt.datetime
    done: bool


@dataclass(frozen=True, slots=True)
class DealCard:
    id: int
    number: str
    title: str
    version: int  # pass it back as `expected_version` to commands
    status: str  # open | won | lost
    guided: bool
    control_type: str  # none | manual | guided (of the kind)
    kind_id: int
    kind_name_uk: str
    kind_name_en: str
    stage: StageRef | None
    stage_position: int  # 1-based among the kind's active stages; 0 without a stage
    stage_count: int
    next_stage: StageRef | None  # the following active stage (manual "advance")
    partner_id: int | None
    partner: str | None
    owner_id: int
    owner: str
    potential_minor: int
    currency: str
    probability: int  # percent, as explained by `services.probability`
    manual_probability: int | None
    expected_close_on: dt.date | None
    loss_reason_uk: str | None
    loss_reason_en: str | None
    winner: str | None  # lost to a competitor: who won the deal
    open_tasks: tuple[TaskRef, ...]  # the earliest due first, undated last
    interactions: tuple[InteractionRef, ...]  # latest done ones, newest first
    planned: InteractionRef | None  # the nearest planned contact
    as_of: dt.datetime

    @property
    def is_open(self) -> bool:
        return self.status == DealStatus.OPEN.value

    @property
    def next_task(self) -> TaskRef | None:
        return self.open_tasks[0] if self.open_tasks else None


@dataclass(frozen=True, slots=True)
class DocumentRef:
    id: int
    title: str
    doc_kind: str  # regulation | instruction | template | other
    stage_id: int | None  # None: a document of the whole process
    has_file: bool


@dataclass(frozen=True, slots=True)
class DocumentFile:
    """A process document ready to send: a stored file, or its text as a Markdown file."""

    title: str
    filename: str
    mime_type: str
    data: bytes
    telegram_file_id: str | None = None


@dataclass(frozen=True, slots=True)
class AttachedFile:
    link_id: int
    file_id: int
    name: str
    size: int


# --- the list -----------------------------------------------------------------------------------


def _case_variants(text: str) -> list[str]:
    """The text as typed and in the usual cases (SQLite compares non-ASCII letters exactly)."""
    variants = [text, text.lower(), text.upper(), text.capitalize(), text.title()]
    return list(dict.fromkeys(v for v in variants if v))


def _search_condition(text: str) -> Q:
    condition = Q(number__icontains=text) | Q(title__icontains=text)
    for variant in _case_variants(text):
        condition |= Q(title__contains=variant)
    if text.isdigit():  # "123" finds D-000123
        condition |= Q(number__endswith=text.zfill(6)) | Q(number__contains=f"-{text.zfill(6)}")
    key = search_key(text)
    if key:
        partners = Partner.filter(search_key__contains=key).values("id")
        condition |= Q(partner_id__in=Subquery(partners))
    return condition


def clean_search(text: str | None) -> str:
    """The search text as the list uses it (ValidationFailed when too long)."""
    return check_text(re.sub(r"\s+", " ", text or ""), "search", max_len=SEARCH_MAX)


async def list_deals_for(
    employee: Employee | None,
    *,
    status: str | None = DealStatus.OPEN.value,
    kind_id: int | None = None,
    stage_id: int | None = None,
    search: str = "",
    limit: int = 8,
    offset: int = 0,
) -> DealPage:
    """The deals `employee` may see (own / team's / all), newest first, one page of them.

    `status` None means every status; `search` matches the number, the title or the partner."""
    scope = await deal_scope(employee)
    query = Deal.all() if scope is None else Deal.filter(scope)
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed(
                "invalid", field="status", reason="bad_choice", choices=", ".join(STATUSES)
            )
        query = query.filter(status=status)
    if kind_id is not None:
        query = query.filter(kind_id=kind_id)
    if stage_id is not None:
        query = query.filter(stage_id=stage_id)
    text = clean_search(search)
    if text:
        query = query.filter(_search_condition(text))
    limit = max(1, min(int(limit), PAGE_MAX))
    offset = max(0, int(offset))
    total = await query.count()
    rows = (
        await query.order_by("-started_at", "-id")
        .offset(offset)
        .limit(limit)
        .values(
            "id",
            "number",
            "title",
            "status",
            "potential_minor",
            "currency",
            partner_name="partner__name",
            kind_uk="kind__name_uk",
            kind_en="kind__name_en",
            stage_uk="stage__name_uk",
            stage_en="stage__name_en",
            owner_name="owner__full_name",
        )
    )
    return DealPage(
        rows=tuple(
            DealRow(
                id=row["id"],
                number=row["number"],
                title=row["title"],
                status=str(row["status"]),
                partner=row["partner_name"],
                kind_name_uk=row["kind_uk"],
                kind_name_en=row["kind_en"],
                stage_name_uk=row["stage_uk"],
                stage_name_en=row["stage_en"],
                potential_minor=row["potential_minor"],
                currency=row["currency"],
                owner=row["owner_name"],
            )
            for row in rows
        ),
        total=total,
        limit=limit,
        offset=offset,
    )


async def list_kind_choices() -> list[DealKind]:
    """The process kinds to filter by: the newest version of every code."""
    kinds = await DealKind.all().order_by("code", "-version")
    newest: dict[str, DealKind] = {}
    for kind in kinds:
        newest.setdefault(kind.code, kind)
    return list(newest.values())


async def list_stage_choices(kind_id: int | None = None) -> list[StageRef]:
    """Active stages to filter by: of one kind, or of every kind (with the kind's name)."""
    query = Stage.filter(retired=False)
    if kind_id is not None:
        query = query.filter(kind_id=kind_id)
    rows = await query.order_by("kind_id", "order", "id").values(
        "id",
        "code",
        "name_uk",
        "name_en",
        "order",
        "kind_id",
        kind_uk="kind__name_uk",
        kind_en="kind__name_en",
    )
    return [
        StageRef(
            id=row["id"],
            code=row["code"],
            name_uk=row["name_uk"],
            name_en=row["name_en"],
            order=row["order"],
            kind_id=row["kind_id"],
            kind_name_uk=row["kind_uk"],
            kind_name_en=row["kind_en"],
        )
        for row in rows
    ]


# --- the card -----------------------------------------------------------------------------------


def _stage_ref(stage: Stage, kind: DealKind) -> StageRef:
    return StageRef(
        id=stage.id,
        code=stage.code,
        name_uk=stage.name_uk,
        name_en=stage.name_en,
        order=stage.order,
        kind_id=stage.kind_id,
        kind_name_uk=kind.name_uk,
        kind_name_en=kind.name_en,
    )


def _interaction_row(row: dict[str, Any]) -> InteractionRef:
    return InteractionRef(
        id=row["id"],
        kind=InteractionKind(row["kind"]).value,
        direction=Direction(row["direction"]).value,
        subject=row["subject"],
        result=row["result"],
        starts_at=_when(Interaction, "starts_at", row["starts_at"]),
        done=bool(row["done"]),
    )


_CARD_NAMES_SQL = (
    "SELECT k.name_uk, k.name_en, k.control_type,"
    " (SELECT p.name FROM partner p WHERE p.id = ?) AS partner,"
    " (SELECT e.full_name FROM employee e WHERE e.id = ?) AS owner,"
    " (SELECT r.name_uk FROM loss_reason r WHERE r.id = ?) AS reason_uk,"
    " (SELECT r.name_en FROM loss_reason r WHERE r.id = ?) AS reason_en"
    " FROM deal_kind k WHERE k.id = ?"
)
_CARD_STAGES_SQL = (
    'SELECT id, code, name_uk, name_en, "order", kind_id, retired FROM stage'
    ' WHERE kind_id = ? ORDER BY "order", id'
)
_CARD_INTERACTIONS_SQL = (  # the latest done ones, then the nearest planned one
    "SELECT * FROM (SELECT id, kind, direction, subject, result, starts_at, done"
    " FROM interaction WHERE deal_id = ? AND done = ? ORDER BY starts_at DESC, id DESC LIMIT ?) a"
    " UNION ALL "
    "SELECT * FROM (SELECT id, kind, direction, subject, result, starts_at, done"
    " FROM interaction WHERE deal_id = ? AND done = ? ORDER BY starts_at, id LIMIT 1) b"
)
_OPEN_TASKS_SQL = (  # undated last, on SQLite and PostgreSQL alike
    "SELECT t.id, t.title, t.due_at, t.performer_id, t.stage_id, e.full_name AS performer"
    " FROM task t JOIN employee e ON e.id = t.performer_id"
    " WHERE t.deal_id = ? AND t.status = ?"
    " ORDER BY (CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END), t.due_at, t.id LIMIT ?"
)


async def _fetch(sql: str, values: list[object]) -> list[dict[str, Any]]:
    """Rows of a fixed query (the card is read on every button press: plain SQL here saves
    the query building, most of the cost of a small query)."""
    db = dialect()
    return list(await connections.get("default").execute_query_dict(sql_params(db, sql), values))


def _when(model: type[Model], field: str, value: object) -> Any:
    """A column as Tortoise reads it (aware datetimes from SQLite's text, too)."""
    return model._meta.fields_map[field].to_python_value(value)


async def get_deal_card(
    employee: Employee | None, deal_id: object, *, interactions: int = LATEST_INTERACTIONS
) -> DealCard:
    """One deal as its card shows it; AccessDenied for a deal `employee` may not see.

    Six queries besides the probability's (five for a deal that is not lost), whatever the
    deal's history."""
    deal = await get_deal_for(employee, deal_id)
    now = clock.now()
    names = (
        await _fetch(
            _CARD_NAMES_SQL,
            [
                deal.partner_id,
                deal.owner_id,
                deal.loss_reason_id,
                deal.loss_reason_id,
                deal.kind_id,
            ],
        )
    )[0]
    # the kind's stages in route order, retired ones too: the deal may sit in one
    stages = [
        (
            StageRef(
                id=row["id"],
                code=row["code"],
                name_uk=row["name_uk"],
                name_en=row["name_en"],
                order=row["order"],
                kind_id=row["kind_id"],
                kind_name_uk=names["name_uk"],
                kind_name_en=names["name_en"],
            ),
            bool(row["retired"]),
        )
        for row in await _fetch(_CARD_STAGES_SQL, [deal.kind_id])
    ]
    active = [ref for ref, retired in stages if not retired]
    stage = next((ref for ref, _ in stages if ref.id == deal.stage_id), None)
    position = next((i + 1 for i, s in enumerate(active) if stage and s.id == stage.id), 0)
    following: StageRef | None = None
    if stage is not None:
        later = [s for s in active if (s.order, s.id) > (stage.order, stage.id)]
        following = later[0] if later else None

    tasks = await _open_tasks(deal.id, now)
    contacts = await _fetch(
        _CARD_INTERACTIONS_SQL, [deal.id, True, max(0, interactions), deal.id, False]
    )
    done = [_interaction_row(row) for row in contacts if row["done"]]
    planned = next((_interaction_row(row) for row in contacts if not row["done"]), None)
    winner: list[str | None] = []
    if deal.status == DealStatus.LOST:  # only a lost deal names who won it
        winner = await DealParticipant.filter(deal_id=deal.id, won_the_deal=True).values_list(
            "partner__name", flat=True
        )
    probability = await explain_deal_probability(deal.id, deal=deal)
    return DealCard(
        id=deal.id,
        number=deal.number,
        title=deal.title,
        version=deal.version,
        status=deal.status.value,
        guided=deal.guided,
        control_type=ControlType(names["control_type"]).value,
        kind_id=deal.kind_id,
        kind_name_uk=names["name_uk"],
        kind_name_en=names["name_en"],
        stage=stage,
        stage_position=position,
        stage_count=len(active),
        next_stage=following,
        partner_id=deal.partner_id,
        partner=names["partner"] if deal.partner_id is not None else None,
        owner_id=deal.owner_id,
        owner=names["owner"],
        potential_minor=deal.potential_minor,
        currency=deal.currency,
        probability=probability.percent,
        manual_probability=deal.manual_probability,
        expected_close_on=deal.expected_close_on,
        loss_reason_uk=names["reason_uk"] if deal.loss_reason_id is not None else None,
        loss_reason_en=names["reason_en"] if deal.loss_reason_id is not None else None,
        winner=next((name for name in winner if name), None),
        open_tasks=tuple(tasks),
        interactions=tuple(done),
        planned=planned,
        as_of=now,
    )


async def list_deal_stages(employee: Employee | None, deal_id: object) -> list[StageRef]:
    """The active stages of the deal's kind in route order (to move a manual deal to)."""
    deal = await get_deal_for(employee, deal_id)
    kind = await DealKind.get(id=deal.kind_id)
    return [
        _stage_ref(stage, kind) for stage in await stages_in_order(kind.id, include_retired=False)
    ]


async def _open_tasks(deal_id: int, now: dt.datetime) -> list[TaskRef]:
    """Open tasks of the deal, the earliest due first, undated last."""
    rows = await _fetch(_OPEN_TASKS_SQL, [deal_id, TaskStatus.OPEN.value, OPEN_TASKS_MAX])
    tasks = []
    for row in rows:
        due_at = _when(Task, "due_at", row["due_at"])
        tasks.append(
            TaskRef(
                id=row["id"],
                title=row["title"],
                due_at=due_at,
                performer_id=row["performer_id"],
                performer=row["performer"],
                stage_id=row["stage_id"],
                overdue=due_at is not None and due_at < now,
            )
        )
    return tasks


async def list_open_tasks(employee: Employee | None, deal_id: object) -> list[TaskRef]:
    """The deal's open tasks, the earliest due first (to complete one from the card)."""
    deal = await get_deal_for(employee, deal_id)
    return await _open_tasks(deal.id, clock.now())


# --- competitors --------------------------------------------------------------------------------


async def list_competitors(
    *, exclude_partner_id: int | None = None, limit: int = COMPETITORS_MAX
) -> list[PartnerRef]:
    """Active partners marked as competitors, by name (a deal lost to a competitor names one)."""
    query = Partner.filter(is_competitor=True, active=True)
    if exclude_partner_id is not None:
        query = query.exclude(id=exclude_partner_id)
    rows = await query.order_by("name", "id").limit(max(1, limit)).values_list("id", "name")
    return [PartnerRef(id=pk, name=name) for pk, name in rows]


async def get_competitor(partner_id: object) -> PartnerRef:
    """A partner marked as a competitor; ValidationFailed for any other partner."""
    if not isinstance(partner_id, int) or isinstance(partner_id, bool):
        raise ValidationFailed("invalid", field="competitor", reason="not_competitor")
    partner = await Partner.get_or_none(id=partner_id)
    if partner is None:
        raise NotFound("not_found", what="competitor")
    if not partner.is_competitor:
        raise ValidationFailed("invalid", field="competitor", reason="not_competitor")
    return PartnerRef(id=partner.id, name=partner.name)


# --- the process's documents --------------------------------------------------------------------


async def _deal_documents(deal: Deal) -> list[ProcessDocument]:
    if deal.stage_id is not None:
        return await list_stage_documents(deal.stage_id)
    return await ProcessDocument.filter(kind_id=deal.kind_id, stage_id__isnull=True).order_by("id")


async def list_deal_documents(employee: Employee | None, deal_id: object) -> list[DocumentRef]:
    """Regulations, instructions and templates of the deal's process and its current stage."""
    deal = await get_deal_for(employee, deal_id)
    return [
        DocumentRef(
            id=doc.id,
            title=doc.title,
            doc_kind=doc.doc_kind.value,
            stage_id=doc.stage_id,
            has_file=doc.file_id is not None,
        )
        for doc in await _deal_documents(deal)
    ]


def _filename(title: str, suffix: str) -> str:
    stem = re.sub(r"[^\w\- ]+", "", title, flags=re.UNICODE).strip().replace(" ", "_")
    return f"{stem[:60] or 'document'}{suffix}"


async def load_deal_document(
    employee: Employee | None,
    deal_id: object,
    document_id: object,
    *,
    files_dir: Path | str | None = None,
) -> DocumentFile:
    """A document of the deal's process as a file: the stored file, or the text as Markdown.

    A document of another process (a forged id) is ValidationFailed."""
    deal = await get_deal_for(employee, deal_id)
    docs = {doc.id: doc for doc in await _deal_documents(deal)}
    doc = docs.get(document_id) if isinstance(document_id, int) else None
    if doc is None:
        raise ValidationFailed("invalid", field="file", reason="not_of_process")
    if doc.file_id is not None:
        stored = await StoredFile.get(id=doc.file_id)
        return DocumentFile(
            title=doc.title,
            filename=stored.original_name,
            mime_type=stored.mime_type,
            data=await open_file(stored, files_dir=files_dir),
            telegram_file_id=stored.telegram_file_id,
        )
    text = f"# {doc.title}\n\n{doc.body.strip()}\n"
    return DocumentFile(
        title=doc.title,
        filename=_filename(doc.title, ".md"),
        mime_type="text/markdown",
        data=text.encode("utf-8"),
    )


# --- files --------------------------------------------------------------------------------------


async def attach_to_deal(
    employee: Employee | None,
    deal_id: object,
    data: bytes,
    *,
    name: str,
    mime_type: str,
    files_dir: Path | str | None = None,
) -> AttachedFile:
    """Keep the bytes (once, by SHA-256) and show them on the deal's timeline."""
    deal = await get_deal_for(employee, deal_id)
    if len(data) > ATTACH_MAX_BYTES:
        raise ValidationFailed(
            "invalid", field="file", reason="too_big", max=ATTACH_MAX_BYTES // (1024 * 1024)
        )
    stored = await store_file(data, original_name=name, mime_type=mime_type, files_dir=files_dir)
    assert employee is not None  # get_deal_for refused anyone else
    link = await attach_file(stored.id, deal_id=deal.id, name=name, added_by_id=employee.id)
    return AttachedFile(link_id=link.id, file_id=stored.id, name=link.name, size=stored.size)
