"""Import and export of sales history: deals, their stage log and interactions (tasks: export).

A company moving from 1C or another CRM brings its history in three files, in this order (the
columns are described in docs/import.md):

    crm import deals        deals.csv          # keyed by the deal's number
    crm import stage-log    stage_log.csv      # keyed by (deal, stage)
    crm import interactions interactions.xlsx  # keyed by crm:<id>, or deal, type, start, owner

Each import behaves like the master-data one (`services.exchange`, whose file reading, header
matching and problem reporting it reuses): every row is parsed and checked and the references
are resolved in a few queries; then everything is written in ONE transaction, or, when anything
is wrong, nothing is and `ImportFailed` lists every problem with its line and field. Importing
the same file again changes nothing; an exported file imported back reports every row unchanged.

The stage log keeps the invariants of `services.pipeline`: one row per (deal, stage); an open
deal has exactly one current row, the row of the deal's stage; a won or lost deal has none and
the row of its stage is passed (won) or lost (lost); every other row is passed; no row lies
beyond the deal's stage in the route; left_at >= entered_at, and the rows follow each other in
route order. `stage_log_violations` checks a log against them; the deals import keeps them when
it creates deals or changes their stage or status (as a move would, see `_retail_log`), and the
stage-log import (`replace_stage_log` for one deal) replaces the log of each deal it names only
when the result holds them.

What the CRM has no column for is not invented: a deal's key is its number (a number from 1C
becomes the deal's number), a stage-log row's key its deal and stage, and an interaction is
recognised by `crm:<id>` (what the export writes) or else by its deal (or partner), type, start
and owner.
"""

from __future__ import annotations

import abc
import datetime as dt
import itertools
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import clock
from core.errors import DomainError, ValidationFailed
from core.i18n import N_, register_messages
from models import (
    Counterparty,
    Deal,
    DealKind,
    DealParticipant,
    DealStageLog,
    Employee,
    Interaction,
    LossReason,
    Partner,
    Stage,
    Task,
)
from models.base import (
    ControlType,
    DealStatus,
    Direction,
    InteractionKind,
    ParticipantRole,
    StageResult,
    TaskStatus,
)
from services import validation as v
from services.audit import claim_deal, record_event, touch_deal_activity
from services.checks import check_currency, check_potential, check_text
from services.deals import _set_client_participant
from services.exchange import (
    ImportReport,
    ProgressCallback,
    _fail,
    _map_columns,
    _Problems,
    _read,
    _reporter,
    _write_all,
)
from services.exchange_columns import Column, export_reference, internal_id
from services.exchange_export import EXPORT_FORMATS, ExportFile
from services.exchange_files import normalise_header, write_csv, write_json, write_xlsx
from services.interactions import DONE_AHEAD, FUTURE_DAYS, PAST_DAYS
from services.pipeline import cancel_route_tasks, create_stage_tasks

DEALS, STAGE_LOG, INTERACTIONS, TASKS = "deals", "stage-log", "interactions", "tasks"
IMPORT_KINDS = (DEALS, STAGE_LOG, INTERACTIONS)
EXPORT_KINDS = (DEALS, STAGE_LOG, INTERACTIONS, TASKS)
TZ = zoneinfo.ZoneInfo("Europe/Kyiv")  # times without an offset in a file are Kyiv time
NUMBER_MAX = 20  # Deal.number
HISTORY_AHEAD = DONE_AHEAD  # what happened cannot start later than now (clocks differ a little)
IN_CHUNK = 5000
SHEET_TITLES = {
    DEALS: ("Угоди", "Deals"),
    STAGE_LOG: ("Етапи угод", "Stage log"),
    INTERACTIONS: ("Взаємодії", "Interactions"),
    TASKS: ("Задачі", "Tasks"),
}

# --- codes for core.i18n (the lead merges them; `merge_into_core` until then) ------------------

EXTRA_FIELD_NAMES: dict[str, str] = {
    "number": N_("Deal number"),
    "status": N_("Status"),
    "started_at": N_("Start date"),
    "ended_at": N_("End date"),
    "entered_at": N_("Entered the stage"),
    "left_at": N_("Left the stage"),
    "skipped": N_("Skipped"),
    "done": N_("Took place"),
    "loss_comment": N_("Loss comment"),
}

EXTRA_REASONS: dict[str, str] = {
    "bad_moment": N_("is not a date and time (use DD.MM.YYYY HH:MM)"),
    "kind_fixed": N_("cannot change: the deal is of the kind %(value)s"),
    "required_when_closed": N_("is required for a won or lost deal"),
    "only_when_closed": N_("must be empty while the deal is open"),
    "required_when_lost": N_("is required for a lost deal"),
    "only_when_lost": N_("is only given for a lost deal"),
    "required_for_reason": N_("is required for this loss reason"),
    "no_stages_kind": N_("must be empty: this process kind has no stages"),
    "before_stage_log": N_(
        "is earlier than the deal's stage log allows (stage %(stage)s, %(moment)s)"
    ),
    "required_unless_current": N_("is required unless the stage is the current one"),
    "current_left": N_("must be empty for the current stage"),
    "before_entered": N_("is earlier than the stage was entered"),
    "skipped_not_passed": N_("only a passed stage can be skipped"),
    "no_deal_stage_row": N_("the log of this deal has no row for its stage %(stage)s"),
    "wrong_final_result": N_("must be %(expected)s: the deal is %(status)s at this stage"),
    "must_be_passed": N_(
        "must be passed: only the row of the deal's stage %(stage)s is current or lost"
    ),
    "after_deal_stage": N_("lies beyond the deal's stage %(stage)s in the route"),
    "before_previous_left": N_(
        "is earlier than the previous stage %(stage)s was left (%(moment)s)"
    ),
    "deal_or_partner": N_("give a deal or a partner"),
    "planned_done": N_(
        "a planned contact cannot have taken place: give its type (call, meeting...)"
    ),
}

EXTRA_ERROR_MESSAGES: dict[str, str] = {}
register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS)


def merge_into_core() -> None:
    """Make the codes above (and those of the sales-process services) known to `core.i18n`;
    keys it already has are left alone."""
    import sys

    from core import i18n
    from services import i18n_extra_pipeline

    for source in (i18n_extra_pipeline, sys.modules[__name__]):
        for name, target in (
            ("EXTRA_ERROR_MESSAGES", i18n.ERROR_MESSAGES),
            ("EXTRA_FIELD_NAMES", i18n.FIELD_NAMES),
            ("EXTRA_REASONS", i18n.REASONS),
        ):
            for key, value in getattr(source, name, {}).items():
                target.setdefault(key, value)


# --- columns ------------------------------------------------------------------------------------

_DEAL_REF = (
    "deal number",
    "номер угоди",
    "код угоди",
    "угода номер",
    "deal id",
    "угода з клієнтом",
)
_PARTNER_REF = ("partner external id", "partner id", "партнер", "клієнт", "client", "код клієнта")
_OWNER = ("manager", "менеджер", "відповідальний менеджер", "owner email", "автор")
_COMMENT = ("comments", "коментарі", "примітка", "примітки")

DEAL_COLUMNS: tuple[Column, ...] = (
    Column(
        "number",
        "Номер",
        ("external id", "id", "зовнішній код", "код", "код 1с", "ідентифікатор", *_DEAL_REF),
        required=True,
    ),
    Column(
        "kind", "Вид угоди", ("kind code", "вид", "процес", "вид процесу", "process"), required=True
    ),
    Column("stage", "Етап", ("stage code", "етап угоди", "стадія", "поточний етап")),
    Column("title", "Назва", ("тема", "найменування", "subject", "назва угоди"), required=True),
    Column("status", "Стан", ("статус", "state", "стан угоди", "результат")),
    Column("owner", "Відповідальний", _OWNER, required=True),
    Column("partner", "Код партнера", _PARTNER_REF),
    Column("counterparty", "Код контрагента", ("counterparty external id", "контрагент")),
    Column("potential", "Потенціал", ("сума", "potential amount", "сума угоди", "amount")),
    Column("currency", "Валюта", ("валюта угоди",)),
    Column(
        "started_at",
        "Початок",
        ("start", "started", "дата початку", "дата створення"),
        required=True,
    ),
    Column("ended_at", "Завершення", ("end", "ended", "дата завершення", "дата закриття")),
    Column(
        "expected_close_on",
        "Очікуване закриття",
        ("expected close", "очікувана дата закриття", "планова дата закриття"),
    ),
    Column(
        "loss_reason", "Причина програшу", ("loss reason code", "причина", "причина програшу угоди")
    ),
    Column("competitor", "Код конкурента", ("competitor external id", "конкурент", "переможець")),
    Column("loss_comment", "Коментар до програшу", ("loss comment",)),
    Column("source", "Джерело", ("джерело угоди",)),
    Column("channel", "Канал", ("канал продажу",)),
    Column("comment", "Коментар", _COMMENT),
)

STAGE_LOG_COLUMNS: tuple[Column, ...] = (
    Column("deal", "Угода", (*_DEAL_REF, "номер"), required=True),
    Column("stage", "Етап", ("stage code", "етап угоди", "стадія"), required=True),
    Column(
        "entered_at", "Початок етапу", ("entered", "дата початку", "початок", "вхід"), required=True
    ),
    Column("left_at", "Завершення етапу", ("left", "дата завершення", "завершення", "вихід")),
    Column("result", "Результат", ("стан", "status", "результат етапу")),
    Column("skipped", "Пропущено", ("пропущений", "skipped stage")),
)

INTERACTION_COLUMNS: tuple[Column, ...] = (
    Column("id", "Код", ("external id", "зовнішній код", "ідентифікатор", "код 1с")),
    Column("deal", "Угода", _DEAL_REF),
    Column("partner", "Код партнера", _PARTNER_REF),
    Column("kind", "Вид", ("type", "тип", "вид взаємодії"), required=True),
    Column("direction", "Напрям", ("напрямок",)),
    Column("subject", "Тема", ("предмет",)),
    Column("description", "Опис", ("зміст", "текст")),
    Column("starts_at", "Початок", ("start", "дата", "дата початку", "date"), required=True),
    Column("ends_at", "Завершення", ("end", "дата завершення", "кінець")),
    Column("done", "Відбулася", ("виконано", "проведено", "відбулось")),
    Column("result", "Результат", ()),
    Column("owner", "Відповідальний", _OWNER, required=True),
)

TASK_COLUMNS: tuple[Column, ...] = (
    Column("id", "Код"),
    Column("title", "Назва"),
    Column("description", "Опис"),
    Column("deal", "Угода"),
    Column("partner", "Код партнера"),
    Column("performer", "Виконавець"),
    Column("checker", "Перевіряє"),
    Column("author", "Автор"),
    Column("stage", "Етап"),
    Column("step", "Крок доручення"),
    Column("parent", "Доручення"),
    Column("importance", "Важливість"),
    Column("status", "Стан"),
    Column("due_at", "Термін"),
    Column("completed_at", "Виконано"),
    Column("result", "Результат"),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    DEALS: DEAL_COLUMNS,
    STAGE_LOG: STAGE_LOG_COLUMNS,
    INTERACTIONS: INTERACTION_COLUMNS,
    TASKS: TASK_COLUMNS,
}

# Words for coded values: the first Ukrainian word is what an export in Ukrainian writes.
STATUS_WORDS = {
    "open": ("відкрита", "в роботі", "відкрито", "активна", "in progress"),
    "won": ("виграна", "виграно", "успішна", "успішно"),
    "lost": ("програна", "програно", "неуспішна", "відмова"),
}
RESULT_WORDS = {
    "current": ("поточний", "поточна", "поточне", "в роботі"),
    "passed": ("пройдено", "пройдений", "пройдена", "завершено"),
    "lost": ("програно", "програний", "програна"),
}
INTERACTION_WORDS = {
    "call": ("дзвінок", "телефонний дзвінок", "phone call", "телефон"),
    "meeting": ("зустріч",),
    "email": ("лист", "електронний лист", "e-mail", "ел. лист", "пошта"),
    "telegram": ("Telegram", "телеграм", "повідомлення"),
    "note": ("нотатка", "примітка", "запис"),
    "planned": ("запланована", "запланований контакт", "план"),
}
DIRECTION_WORDS = {
    "incoming": ("вхідна", "вхідний", "вхідне"),
    "outgoing": ("вихідна", "вихідний", "вихідне"),
    "none": ("немає", "—", "-"),
}
TASK_STATUS_WORDS = {"open": ("відкрита",), "done": ("виконана",), "cancelled": ("скасована",)}
IMPORTANCE_WORDS = {"low": ("низька",), "normal": ("звичайна",), "high": ("висока",)}
STEP_WORDS = {"execute": ("виконання",), "check": ("перевірка",)}
YES_WORDS = ("так", "yes", "true", "1", "+", "y", "да", "істина")
NO_WORDS = ("ні", "no", "false", "0", "-", "n", "нет", "хибність")


def _word_index(words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index = {}
    for code, spellings in words.items():
        for word in (code, *spellings):
            index.setdefault(normalise_header(word), code)
    return index


def _word(words: dict[str, tuple[str, ...]], code: str, locale: str) -> str:
    if locale == "uk" and words.get(code):
        return words[code][0]
    return code


# --- parsing cells ------------------------------------------------------------------------------

_DOTTED = re.compile(
    r"(\d{1,2})[./](\d{1,2})[./](\d{4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)
_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _bad(field_name: str, reason: str, **params: Any) -> ValidationFailed:
    return ValidationFailed("invalid", field=field_name, reason=reason, **params)


def parse_moment(cell: str, field_name: str) -> dt.datetime:
    """`DD.MM.YYYY[ HH:MM[:SS]]` (Kyiv time, as 1C writes it; also `/` and one-digit day or
    month) or ISO 8601; an explicit offset (`+02:00`, `Z`) wins. Aware UTC, whole seconds."""
    text = cell.strip()
    if match := _DOTTED.fullmatch(text):
        day, month, year, hour, minute, second, offset = match.groups()
    elif match := _ISO.fullmatch(text):
        year, month, day, hour, minute, second, offset = match.groups()
    else:
        raise _bad(field_name, "bad_moment")
    try:
        local = dt.datetime(  # noqa: DTZ001 (the zone is attached below)
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        raise _bad(field_name, "bad_moment") from None
    if not v.MIN_YEAR <= local.year <= v.MAX_YEAR:
        raise _bad(field_name, "bad_moment")
    if offset is None:
        moment = local.replace(tzinfo=TZ)
    elif offset == "Z":
        moment = local.replace(tzinfo=dt.UTC)
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = local.replace(tzinfo=dt.timezone(sign * delta))
    return moment.astimezone(dt.UTC)


def format_moment(value: dt.datetime | None) -> str:
    """Kyiv time `DD.MM.YYYY HH:MM:SS`; inside the hour that the autumn clock change repeats,
    the offset is added (`+02:00`) so that reading it back gives the same moment."""
    if value is None:
        return ""
    local = value.astimezone(TZ)
    text = local.strftime("%d.%m.%Y %H:%M:%S")
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        offset = local.strftime("%z")
        text += f" {offset[:3]}:{offset[3:]}"
    return text


def _floor(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(microsecond=0) if value is not None else None


def _in_window(
    moment: dt.datetime, field_name: str, *, future: dt.timedelta = HISTORY_AHEAD
) -> dt.datetime:
    now = clock.now()
    if moment < now - dt.timedelta(days=PAST_DAYS):
        raise _bad(field_name, "too_far_past")
    if moment > now + future:
        raise _bad(field_name, "too_far_future")
    return moment


def parse_amount(cell: str, field_name: str = "potential") -> int:
    """'1 234 567,89', '1234567.89', '1.234.567,89 грн' -> minor units (kopiyky)."""
    text = re.sub(r"[\s\u00a0\u202f']", "", cell)
    text = re.sub(r"(грн\.?|uah|₴)$", "", text, flags=re.IGNORECASE)
    if not re.fullmatch(r"[+-]?[\d.,]+", text):
        raise _bad(field_name, "bad_number")
    separators = [ch for ch in text if ch in ".,"]
    if separators:
        decimal = separators[-1]
        whole, _, cents = text.rpartition(decimal)
        if separators.count(decimal) > 1:  # '1.234.567': only thousands
            whole, cents = text, ""
        grouped = {ch for ch in whole if ch in ".,"}
        if grouped and (len(grouped) > 1 or not re.fullmatch(r"[+-]?\d{1,3}(?:[.,]\d{3})+", whole)):
            raise _bad(field_name, "bad_number")
        whole = whole.replace(".", "").replace(",", "")
        text = f"{whole}.{cents}" if cents else whole
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _bad(field_name, "bad_number") from None
    minor = amount * 100
    if minor != minor.to_integral_value():
        raise _bad(field_name, "bad_number")
    return check_potential(int(minor), field_name)


def format_amount(minor: int, locale: str) -> str:
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    return f"{sign}{units}{',' if locale == 'uk' else '.'}{cents:02d}"


def _choice(
    words: dict[str, tuple[str, ...]], field_name: str, *, required: bool = False
) -> Callable[[str], str | None]:
    index = _word_index(words)

    def parse(cell: str) -> str | None:
        if not cell.strip():
            if required:
                raise _bad(field_name, "required")
            return None
        found = index.get(normalise_header(cell))
        if found is None:
            raise _bad(field_name, "bad_choice", choices=", ".join(words))
        return found

    return parse


def parse_flag(cell: str, field_name: str) -> bool | None:
    text = cell.strip().casefold()
    if not text:
        return None
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise _bad(field_name, "bad_choice", choices="так / ні (yes / no)")


def _text(field_name: str, max_len: int, *, required: bool = False) -> Callable[[str], str]:
    return lambda cell: check_text(cell, field_name, max_len=max_len, required=required)


def _ref(
    field_name: str, max_len: int = 100, *, required: bool = False
) -> Callable[[str], str | None]:
    def parse(cell: str) -> str | None:
        text = cell.strip()
        if not text:
            if required:
                raise _bad(field_name, "required")
            return None
        if len(text) > max_len:
            raise _bad(field_name, "too_long", max=max_len)
        return text

    return parse


def _number(cell: str, field_name: str = "number") -> str:
    text = check_text(cell, field_name, max_len=NUMBER_MAX, required=True)
    return text.upper()


def _moment(field_name: str, *, required: bool = False, future: dt.timedelta = HISTORY_AHEAD):
    def parse(cell: str) -> dt.datetime | None:
        if not cell.strip():
            if required:
                raise _bad(field_name, "required")
            return None
        return _in_window(parse_moment(cell, field_name), field_name, future=future)

    return parse


def _date(field_name: str) -> Callable[[str], dt.date | None]:
    return lambda cell: v.parse_date(cell, field_name) if cell.strip() else None


# --- shared reading -----------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    values: dict[str, Any]
    ok: bool = True
    current: dict[str, Any] | None = None  # the record in the database, if any
    changes: dict[str, Any] = field(default_factory=dict)
    wanted: dict[str, Any] = field(default_factory=dict)  # resolved values to write
    state: str = "unchanged"  # what the import does with it: created, updated, unchanged


@dataclass(frozen=True)
class HistoryImportReport(ImportReport):
    removed: int = 0  # stage-log rows that the file no longer has for its deals


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _parse_rows(
    table: Any,
    parsers: dict[str, Callable[[str], Any]],
    positions: dict[str, int],
    problems: _Problems,
    progress: Callable[[int], None],
) -> list[_Row]:
    width = len(table.headers)
    rows: list[_Row] = []
    for number, raw in enumerate(table.rows, start=1):
        row = _Row(raw.line, {})
        extra = [cell for cell in raw.cells[width:] if cell]
        if extra:
            problems.invalid(
                raw.line, "file", "extra_cells", None, count=width + len(extra), expected=width
            )
            row.ok = False
        for key, position in positions.items():
            cell = raw.cells[position] if position < len(raw.cells) else ""
            try:
                row.values[key] = parsers[key](cell)
            except ValidationFailed as error:
                problems.add(raw.line, error, cell)
                row.ok = False
        rows.append(row)
        progress(number)
    return rows


def _person_key(text: str) -> str:
    return " ".join(text.split()).casefold()


class _Employees:
    """Employees by e-mail or full name (one query); an ambiguous name prefers the active."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.by_id = {row["id"]: row for row in rows}
        self.by_email: dict[str, list[dict]] = defaultdict(list)
        self.by_name: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            if row["email"]:
                self.by_email[row["email"].strip().casefold()].append(row)
            self.by_name[_person_key(row["full_name"])].append(row)

    @classmethod
    async def load(cls) -> _Employees:
        return cls(await Employee.all().values("id", "email", "full_name", "active"))

    def find(self, text: str) -> tuple[dict | None, str | None]:
        """(employee, None) or (None, reason)."""
        key = text.strip()
        matches = (
            self.by_email.get(key.casefold()) if "@" in key else self.by_name.get(_person_key(key))
        ) or []
        if len(matches) > 1:
            matches = [m for m in matches if m["active"]] or matches
        if len(matches) == 1:
            return matches[0], None
        return None, ("ambiguous_reference" if matches else "unknown_reference")

    def label(self, employee_id: int | None) -> str:
        row = self.by_id.get(employee_id or 0)
        if row is None:
            return ""
        return row["email"] or row["full_name"]


def _resolve_employee(
    row: _Row, key: str, field_name: str, employees: _Employees, problems: _Problems
) -> dict | None:
    text = row.values.get(key)
    if not text:
        return None
    found, reason = employees.find(text)
    if found is None:
        problems.invalid(row.line, field_name, reason or "unknown_reference", text, value=text)
        row.ok = False
    return found


async def _partners_by_ref(refs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Partners by external id or `crm:<id>`."""
    refs = list(dict.fromkeys(refs))
    external = [ref for ref in refs if internal_id(ref) is None]
    ids = {internal_id(ref): ref for ref in refs if internal_id(ref) is not None}
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(external):
        for row in await Partner.filter(external_id__in=list(chunk)).values("id", "external_id"):
            found[row["external_id"]] = row
    for chunk in _chunks(list(ids)):
        for row in await Partner.filter(id__in=list(chunk)).values("id", "external_id"):
            found[ids[row["id"]]] = row
    return found


async def _deals_by_number(numbers: Iterable[str], *fields: str) -> dict[str, dict[str, Any]]:
    numbers = list(dict.fromkeys(numbers))
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(numbers):
        for row in await Deal.filter(number__in=list(chunk)).values("id", "number", *fields):
            found[row["number"]] = row
    return found


def _report_unknown(row: _Row, field_name: str, ref: str, problems: _Problems) -> None:
    problems.invalid(row.line, field_name, "unknown_reference", ref, value=ref)
    row.ok = False


# --- the stage log's invariants -----------------------------------------------------------------


@dataclass
class LogEntry:
    """One stage-log row as the checks see it (`position`: the stage's place in the route)."""

    stage_id: int
    position: int
    entered_at: dt.datetime
    left_at: dt.datetime | None
    result: str
    skipped: bool = False
    line: int | None = None  # the file's line, for problems
    id: int | None = None  # the database row, if any


@dataclass(frozen=True)
class LogViolation:
    entry: LogEntry | None  # None: the log as a whole
    field: str
    reason: str
    params: dict[str, Any]


_EXPECTED_RESULT = {
    DealStatus.OPEN.value: StageResult.CURRENT.value,
    DealStatus.WON.value: StageResult.PASSED.value,
    DealStatus.LOST.value: StageResult.LOST.value,
}


def stage_log_violations(
    entries: Sequence[LogEntry],
    *,
    status: str,
    stage_id: int | None,
    stage_codes: dict[int, str],
) -> list[LogViolation]:
    """Everything wrong with a deal's whole stage log (pure). `status` and `stage_id` are the
    deal's; `stage_codes` names stages in the messages."""
    problems: list[LogViolation] = []

    def bad(entry: LogEntry | None, field_name: str, reason: str, **params: Any) -> None:
        problems.append(LogViolation(entry, field_name, reason, params))

    final = next((e for e in entries if e.stage_id == stage_id), None)
    final_position = final.position if final else None
    deal_stage = stage_codes.get(stage_id or 0, "")
    for entry in entries:
        if entry.result == StageResult.CURRENT.value and entry.left_at is not None:
            bad(entry, "left_at", "current_left")
        if entry.result != StageResult.CURRENT.value and entry.left_at is None:
            bad(entry, "left_at", "required_unless_current")
        if entry.left_at is not None and entry.left_at < entry.entered_at:
            bad(entry, "left_at", "before_entered")
        if entry.skipped and entry.result != StageResult.PASSED.value:
            bad(entry, "skipped", "skipped_not_passed")
        if entry is final:
            expected = _EXPECTED_RESULT[status]
            if entry.result != expected:
                bad(entry, "result", "wrong_final_result", expected=expected, status=status)
        elif final_position is not None and entry.position > final_position:
            bad(entry, "stage", "after_deal_stage", stage=deal_stage)
        elif entry.result != StageResult.PASSED.value:
            bad(entry, "result", "must_be_passed", stage=deal_stage)
    if entries and final is None:
        bad(None, "stage", "no_deal_stage_row", stage=deal_stage)
    ordered = sorted(entries, key=lambda e: e.position)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.left_at is not None and later.entered_at < earlier.left_at:
            bad(
                later,
                "entered_at",
                "before_previous_left",
                stage=stage_codes.get(earlier.stage_id, ""),
                moment=format_moment(earlier.left_at),
            )
    return problems


def _retail_log(
    rows: list[LogEntry],
    *,
    stage: dict[str, Any],
    route: Sequence[dict[str, Any]],
    status: str,
    ended_at: dt.datetime | None,
    enter_at: dt.datetime,
    move_at: dt.datetime,
) -> tuple[list[LogEntry], list[LogEntry]]:
    """The log after the deal is put at `stage` with `status`, the way the deal services move
    deals: rows beyond the stage go (as a move back does), rows before it are passed (left at
    `move_at` if still open), the stage's row is kept or entered at `enter_at` and then is
    current (open), or passed / lost at `ended_at`. As a forward jump does, the active stages
    of `route` (the kind's stages in order) between the last row and a newly entered stage are
    logged as passed and skipped, at `enter_at`. Returns (rows, removed rows)."""
    position = stage["position"]
    removed = [row for row in rows if row.position > position]
    kept: list[LogEntry] = []
    for row in sorted(rows, key=lambda r: r.position):
        if row.position < position:
            kept.append(
                LogEntry(
                    row.stage_id,
                    row.position,
                    row.entered_at,
                    row.left_at or move_at,
                    StageResult.PASSED.value,
                    row.skipped,
                    id=row.id,
                )
            )
    existing = next((row for row in rows if row.stage_id == stage["id"]), None)
    if existing is None:
        after = max((row.position for row in kept), default=-1)
        kept += [
            LogEntry(
                item["id"],
                item["position"],
                enter_at,
                enter_at,
                StageResult.PASSED.value,
                True,
            )
            for item in route
            if after < item["position"] < position and not item["retired"]
        ]
    target = LogEntry(
        stage["id"],
        position,
        existing.entered_at if existing else enter_at,
        None if status == DealStatus.OPEN.value else ended_at,
        _EXPECTED_RESULT[status],
        False,
        id=existing.id if existing else None,
    )
    return [*kept, target], removed


async def _write_log(
    deal_id: int,
    wanted: Sequence[LogEntry],
    current: Sequence[LogEntry],
    *,
    potential_minor: int,
    owner_id: int,
    at: dt.datetime,
) -> tuple[list[int], list[int], list[int]]:
    """Make the deal's rows `wanted` (matched to `current` by stage): stage ids created,
    updated and removed. Rows that do not change are not written."""
    by_stage = {row.stage_id: row for row in current}
    wanted_stages = {row.stage_id for row in wanted}
    removed = [row for row in current if row.stage_id not in wanted_stages]
    if removed:
        await DealStageLog.filter(id__in=[row.id for row in removed]).delete()
    created, updated = [], []
    for row in wanted:
        old = by_stage.get(row.stage_id)
        values = {
            "entered_at": row.entered_at,
            "left_at": row.left_at,
            "result": StageResult(row.result),
            "skipped": row.skipped,
        }
        if old is None:
            await DealStageLog.create(
                deal_id=deal_id,
                stage_id=row.stage_id,
                potential_minor=potential_minor,
                responsible_id=owner_id,
                created_at=at,
                **values,
            )
            created.append(row.stage_id)
        elif _log_differs(old, row):
            await DealStageLog.filter(id=old.id).update(**values)
            updated.append(row.stage_id)
    return created, updated, [row.stage_id for row in removed]


def _log_differs(old: LogEntry, new: LogEntry) -> bool:
    return (
        _floor(old.entered_at) != _floor(new.entered_at)
        or _floor(old.left_at) != _floor(new.left_at)
        or old.result != new.result
        or old.skipped != new.skipped
    )


class _Stages:
    """Every stage of every kind (one query): by kind and code or name, in route order."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        by_kind: dict[int, list[dict]] = defaultdict(list)
        for row in rows:
            by_kind[row["kind_id"]].append(row)
        self.by_id: dict[int, dict[str, Any]] = {}
        self.lookup: dict[int, dict[str, dict]] = {}
        self.first_active: dict[int, dict | None] = {}
        self.route: dict[int, list[dict[str, Any]]] = {}
        for kind_id, stages in by_kind.items():
            stages.sort(key=lambda s: (s["order"], s["id"]))
            lookup: dict[str, dict] = {}
            for position, stage in enumerate(stages):
                stage["position"] = position
                self.by_id[stage["id"]] = stage
            for key in ("code", "name_uk", "name_en"):
                for stage in stages:
                    lookup.setdefault(stage[key].casefold(), stage)
            self.lookup[kind_id] = lookup
            self.route[kind_id] = stages
            self.first_active[kind_id] = next((s for s in stages if not s["retired"]), None)

    @classmethod
    async def load(cls) -> _Stages:
        return cls(
            await Stage.all().values(
                "id", "kind_id", "code", "name_uk", "name_en", "order", "retired"
            )
        )

    def find(self, kind_id: int, text: str) -> dict | None:
        return self.lookup.get(kind_id, {}).get(text.strip().casefold())

    def has_stages(self, kind_id: int) -> bool:
        return bool(self.lookup.get(kind_id))

    def code(self, stage_id: int | None) -> str:
        return self.by_id[stage_id]["code"] if stage_id in self.by_id else ""

    def codes(self) -> dict[int, str]:
        return {stage_id: stage["code"] for stage_id, stage in self.by_id.items()}


async def _log_entries(deal_ids: Sequence[int], stages: _Stages) -> dict[int, list[LogEntry]]:
    result: dict[int, list[LogEntry]] = defaultdict(list)
    for chunk in _chunks(list(deal_ids)):
        rows = await DealStageLog.filter(deal_id__in=list(chunk)).values(
            "id", "deal_id", "stage_id", "entered_at", "left_at", "result", "skipped"
        )
        for row in rows:
            result[row["deal_id"]].append(
                LogEntry(
                    row["stage_id"],
                    stages.by_id[row["stage_id"]]["position"],
                    row["entered_at"],
                    row["left_at"],
                    str(row["result"]),
                    bool(row["skipped"]),
                    id=row["id"],
                )
            )
    return result


async def replace_stage_log(deal_id: int, entries: Sequence[dict[str, Any]]) -> list[str]:
    """Make a deal's whole stage log `entries` (dicts with `stage` (code), `entered_at`,
    `left_at` (aware datetimes), `result` (default: current without `left_at`, else passed)
    and `skipped`) when it holds the invariants; raises `ValidationFailed` for the first
    violation (its `row` param is the stage code of the row at fault). Returns the codes of
    the stages whose rows were created, changed or removed."""
    results = [result.value for result in StageResult]
    async with in_transaction():
        deal = await claim_deal(deal_id)
        stages = await _Stages.load()
        log: list[LogEntry] = []
        for entry in entries:
            stage = stages.find(deal.kind_id, str(entry["stage"]))
            if stage is None:
                raise _bad("stage", "unknown_reference", value=str(entry["stage"]))
            moments = [entry.get("entered_at"), entry.get("left_at")]
            for name, moment in zip(("entered_at", "left_at"), moments, strict=True):
                aware = isinstance(moment, dt.datetime) and moment.utcoffset() is not None
                if not aware and (moment is not None or name == "entered_at"):
                    raise _bad(name, "bad_moment", row=stage["code"])
            default = StageResult.CURRENT if entry.get("left_at") is None else StageResult.PASSED
            result = str(entry.get("result") or default.value)
            if result not in results:
                raise _bad("result", "bad_choice", choices=", ".join(results), row=stage["code"])
            log.append(
                LogEntry(
                    stage["id"],
                    stage["position"],
                    entry["entered_at"],
                    entry.get("left_at"),
                    result,
                    bool(entry.get("skipped", False)),
                )
            )
        seen: set[int] = set()
        for item in log:
            if item.stage_id in seen:
                raise _bad("stage", "duplicate_code", value=stages.code(item.stage_id))
            seen.add(item.stage_id)
        violations = stage_log_violations(
            log, status=deal.status.value, stage_id=deal.stage_id, stage_codes=stages.codes()
        )
        if violations:
            first = violations[0]
            row = stages.code(first.entry.stage_id) if first.entry else ""
            raise _bad(first.field, first.reason, row=row, **first.params)
        current = (await _log_entries([deal.id], stages)).get(deal.id, [])
        created, updated, removed = await _write_log(
            deal.id,
            log,
            current,
            potential_minor=deal.potential_minor,
            owner_id=deal.owner_id,
            at=clock.now(),
        )
        changed = [stages.code(s) for s in (*created, *updated, *removed)]
        if changed:
            await record_event(
                deal.id,
                "stage_log_imported",
                actor_id=None,
                data={
                    "created": [stages.code(s) for s in created],
                    "updated": [stages.code(s) for s in updated],
                    "removed": [stages.code(s) for s in removed],
                },
            )
    return changed


# --- deals --------------------------------------------------------------------------------------

_DEAL_FIELDS = (
    "title", "status", "stage_id", "owner_id", "partner_id", "counterparty_id", "potential_minor",
    "currency", "started_at", "ended_at", "expected_close_on", "loss_reason_id", "loss_comment",
    "competitor_id", "source", "channel", "comment",
)  # fmt: skip
_MOMENTS = ("started_at", "ended_at")
_DEAL_DB_FIELDS = tuple(key for key in _DEAL_FIELDS if key != "competitor_id")
_NEW_DEAL_DEFAULTS = {"potential_minor": 0, "currency": "UAH", "expected_close_on": None}


class _Importer(abc.ABC):
    """What differs between the deals, stage-log and interactions imports: the file's columns,
    how a cell is parsed, how rows are matched to records and written."""

    kind: ClassVar[str]
    columns: ClassVar[Sequence[Column]]
    parsers: ClassVar[dict[str, Callable[[str], Any]]]

    def __init__(self, problems: _Problems, present: set[str]) -> None:
        self.problems = problems
        self.present = present  # the keys of the columns the file has
        self.removed = 0  # stage-log rows the file no longer has for its deals

    @abc.abstractmethod
    async def resolve(self, rows: list[_Row]) -> None:
        """Look up the references and the existing records; decide each row's state."""

    @abc.abstractmethod
    async def write(self, rows: list[_Row], step: Callable[[], None]) -> None:
        """Write the rows resolve() decided on, calling `step` per row."""


class _DealImporter(_Importer):
    kind = DEALS
    columns = DEAL_COLUMNS
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "number": _number,
        "kind": _ref("kind", 200, required=True),
        "stage": _ref("stage", 200),
        "title": _text("title", 300, required=True),
        "status": _choice(STATUS_WORDS, "status"),
        "owner": _text("owner", 254, required=True),
        "partner": _ref("partner"),
        "counterparty": _ref("counterparty"),
        "potential": lambda c: parse_amount(c) if c.strip() else 0,
        "currency": lambda c: check_currency(c) if c.strip() else "UAH",
        "started_at": _moment("started_at", required=True),
        "ended_at": _moment("ended_at"),
        "expected_close_on": _date("expected_close_on"),
        "loss_reason": _ref("loss_reason", 200),
        "competitor": _ref("competitor"),
        "loss_comment": _text("loss_comment", 4000),
        "source": _text("source", 100),
        "channel": _text("channel", 100),
        "comment": _text("comment", 4000),
    }

    async def resolve(self, rows: list[_Row]) -> None:
        problems = self.problems
        first: dict[str, int] = {}
        for row in rows:
            number = row.values.get("number")
            if number is None:
                continue
            if number in first:
                problems.invalid(
                    row.line, "number", "duplicate_in_file", number, line=first[number]
                )
                row.ok = False
            else:
                first[number] = row.line
        existing = await _deals_by_number(
            [r.values["number"] for r in rows if r.values.get("number")],
            "kind_id", "kind__code", "guided", *_DEAL_DB_FIELDS,
        )  # fmt: skip
        self.kinds = await DealKind.all().values(
            "id", "code", "version", "name_uk", "name_en", "control_type"
        )
        latest: dict[str, dict] = {}
        for kind in sorted(self.kinds, key=lambda k: k["version"]):
            for key in ("code", "name_uk", "name_en"):
                latest[kind[key].casefold()] = kind
        self.kind_by_id = {kind["id"]: kind for kind in self.kinds}
        self.stages = await _Stages.load()
        self.employees = await _Employees.load()
        refs = [r.values.get(k) for r in rows for k in ("partner", "competitor")]
        self.partners = await _partners_by_ref(ref for ref in refs if ref)
        counterparty_refs = [r.values["counterparty"] for r in rows if r.values.get("counterparty")]
        self.counterparties = await _counterparties_by_ref(counterparty_refs)
        reasons = await LossReason.all().values(
            "id", "code", "name_uk", "name_en", "needs_competitor"
        )
        self.reasons: dict[str, dict] = {}
        for key in ("code", "name_uk", "name_en"):
            for reason in reasons:
                self.reasons.setdefault(reason[key].casefold(), reason)
        self.reason_by_id = {reason["id"]: reason for reason in reasons}
        ids = [row["id"] for row in existing.values()]
        winners: dict[int, int] = {}
        for chunk in _chunks(ids):
            for deal_id, partner_id in await DealParticipant.filter(
                deal_id__in=list(chunk), won_the_deal=True, partner_id__isnull=False
            ).values_list("deal_id", "partner_id"):
                winners[deal_id] = partner_id
        for row in rows:
            number = row.values.get("number")
            current = existing.get(number) if number else None
            if current is not None:
                current = {**current, "competitor_id": winners.get(current["id"])}
            row.current = current
            kind = latest.get((row.values.get("kind") or "").casefold())
            if kind is None and row.values.get("kind"):
                _report_unknown(row, "kind", row.values["kind"], problems)
            if current is not None and kind is not None and kind["code"] != current["kind__code"]:
                problems.invalid(
                    row.line, "kind", "kind_fixed", row.values["kind"], value=current["kind__code"]
                )
                row.ok = False
            if kind is not None:  # references are resolved even on a bad row: all is reported
                self._wanted(row, kind if current is None else self.kind_by_id[current["kind_id"]])
        logs = await _log_entries(
            [r.current["id"] for r in rows if r.ok and r.current and self._log_moves(r)],
            self.stages,
        )
        for row in rows:
            if row.ok:
                self._plan_log(row, logs.get(row.current["id"], []) if row.current else [])

    def _wanted(self, row: _Row, kind: dict) -> None:
        """Resolve the row's references and check it as a whole: `row.wanted` is the deal as
        it will be (the database's values for the columns the file does not have)."""
        values, current, problems = row.values, row.current, self.problems
        present = self.present
        wanted: dict[str, Any] = dict(current) if current else {}
        wanted["kind_id"] = kind["id"]
        for key in ("title", "potential_minor", "currency", "started_at", "expected_close_on",
                    "loss_comment", "source", "channel", "comment"):  # fmt: skip
            column = "potential" if key == "potential_minor" else key
            if column in present:
                wanted[key] = values.get(column)
            elif current is None:
                wanted[key] = _NEW_DEAL_DEFAULTS.get(key, "")
        status = values.get("status") or DealStatus.OPEN.value
        if "status" in present or current is None:
            wanted["status"] = status
        else:
            wanted["status"] = str(current["status"])
        status = wanted["status"]
        was_open = current is None or str(current["status"]) == DealStatus.OPEN.value
        # columns the file does not have follow the status, as reopening / closing would
        if "ended_at" in present:
            wanted["ended_at"] = values.get("ended_at")
        elif status == DealStatus.OPEN.value:
            wanted["ended_at"] = None
        elif current is None or was_open:
            wanted["ended_at"] = None  # required: reported below
        if status != DealStatus.LOST.value:
            for key, column in (("loss_reason_id", "loss_reason"), ("competitor_id", "competitor")):
                if column not in present:
                    wanted[key] = None
            if "loss_comment" not in present:
                wanted["loss_comment"] = ""
        owner = _resolve_employee(row, "owner", "owner", self.employees, problems)
        if owner is not None:
            wanted["owner_id"] = owner["id"]
        for key, column in (("partner_id", "partner"), ("competitor_id", "competitor")):
            if column in present:
                ref = values.get(column)
                found = self.partners.get(ref) if ref else None
                if ref and found is None:
                    _report_unknown(row, column, ref, problems)
                wanted[key] = found["id"] if found else None
            elif current is None:
                wanted[key] = None
        if "counterparty" in present:
            ref = values.get("counterparty")
            found = self.counterparties.get(ref) if ref else None
            if ref and found is None:
                _report_unknown(row, "counterparty", ref, problems)
            wanted["counterparty_id"] = found["id"] if found else None
            if found and found["partner_id"] != wanted.get("partner_id"):
                problems.invalid(row.line, "counterparty", "not_of_partner", ref)
                row.ok = False
        elif current is None or wanted.get("partner_id") != current["partner_id"]:
            wanted["counterparty_id"] = None
        if "loss_reason" in present:
            ref = values.get("loss_reason")
            reason = self.reasons.get(ref.casefold()) if ref else None
            if ref and reason is None:
                _report_unknown(row, "loss_reason", ref, problems)
            wanted["loss_reason_id"] = reason["id"] if reason else None
        elif current is None:
            wanted["loss_reason_id"] = None
        self._stage(row, kind, wanted)
        if not row.ok:
            return
        self._check(row, kind, wanted, owner)
        row.wanted = wanted
        if current is None:
            row.state = "created"
        else:
            row.changes = {
                key: wanted[key]
                for key in _DEAL_FIELDS
                if (_floor(wanted[key]) if key in _MOMENTS else wanted[key])
                != (_floor(current[key]) if key in _MOMENTS else _plain(current[key]))
            }
            row.state = "updated" if row.changes else "unchanged"

    def _stage(self, row: _Row, kind: dict, wanted: dict[str, Any]) -> None:
        values, current = row.values, row.current
        text = values.get("stage") if "stage" in self.present else None
        if not self.stages.has_stages(kind["id"]) or kind["control_type"] == ControlType.NONE:
            if text:
                self.problems.invalid(row.line, "stage", "no_stages_kind", text)
                row.ok = False
            wanted["stage_id"] = None
            return
        if text:
            stage = self.stages.find(kind["id"], text)
            if stage is None:
                _report_unknown(row, "stage", text, self.problems)
                return
            wanted["stage_id"] = stage["id"]
        elif current is None or current["stage_id"] is None:
            first = self.stages.first_active[kind["id"]]
            wanted["stage_id"] = first["id"] if first else None

    def _check(self, row: _Row, kind: dict, wanted: dict[str, Any], owner: dict | None) -> None:
        problems, current, line = self.problems, row.current, row.line
        status = wanted["status"]
        is_open = status == DealStatus.OPEN.value
        changed = current is None or any(
            wanted[key] != current[key] for key in ("status", "stage_id", "owner_id")
        )

        def bad(field_name: str, reason: str, shown: str | None = None, **params: Any) -> None:
            problems.invalid(line, field_name, reason, shown, **params)
            row.ok = False

        if is_open and wanted["ended_at"] is not None:
            bad("ended_at", "only_when_closed", format_moment(wanted["ended_at"]))
        if not is_open and wanted["ended_at"] is None:
            bad("ended_at", "required_when_closed")
        if wanted["ended_at"] is not None and wanted["ended_at"] < wanted["started_at"]:
            bad("ended_at", "before_start", format_moment(wanted["ended_at"]))
        reason = self.reason_by_id.get(wanted["loss_reason_id"] or 0)
        reported = {p.field for p in problems.items if p.line == line}
        if status == DealStatus.LOST.value:
            if reason is None and "loss_reason" not in reported:
                bad("loss_reason", "required_when_lost")
            needs_competitor = reason is not None and reason["needs_competitor"]
            if (
                needs_competitor
                and wanted["competitor_id"] is None
                and "competitor" not in reported
            ):
                bad("competitor", "required_for_reason")
        else:
            for key, column in (("loss_reason_id", "loss_reason"), ("competitor_id", "competitor")):
                if wanted[key] is not None:
                    bad(column, "only_when_lost", row.values.get(column))
            if wanted["loss_comment"]:
                bad("loss_comment", "only_when_lost")
        if wanted["competitor_id"] is not None and wanted["competitor_id"] == wanted["partner_id"]:
            bad("competitor", "same_as_client", row.values.get("competitor"))
        stage = self.stages.by_id.get(wanted["stage_id"] or 0)
        if is_open and changed:
            if stage is not None and stage["retired"]:
                bad("stage", "retired_stage", stage["code"])
            if owner is not None and not owner["active"]:
                bad("owner", "inactive", row.values.get("owner"))

    def _log_moves(self, row: _Row) -> bool:
        return bool({"stage_id", "status", "ended_at"} & set(row.changes))

    def _plan_log(self, row: _Row, log: list[LogEntry]) -> None:
        """The log the deal will have when it is created or moved; its problems are the row's."""
        wanted, current = row.wanted, row.current
        stage = self.stages.by_id.get(wanted["stage_id"] or 0)
        if stage is None or (current is not None and not self._log_moves(row)):
            row.wanted["log"] = None
            return
        status = wanted["status"]
        if current is None:
            enter_at = move_at = wanted["started_at"]
        else:
            move_at = clock.now() if status == DealStatus.OPEN.value else wanted["ended_at"]
            enter_at = move_at
        new_log, _ = _retail_log(
            log,
            stage=stage,
            route=self.stages.route[stage["kind_id"]],
            status=status,
            ended_at=wanted["ended_at"],
            enter_at=enter_at,
            move_at=move_at,
        )
        violations = stage_log_violations(
            new_log, status=status, stage_id=stage["id"], stage_codes=self.stages.codes()
        )
        if violations:  # the file's dates do not fit the log the deal already has
            first = violations[0]
            entry = first.entry
            self.problems.invalid(
                row.line,
                "ended_at" if status != DealStatus.OPEN.value else "stage",
                "before_stage_log",
                format_moment(wanted["ended_at"]) if wanted["ended_at"] else None,
                stage=first.params.get("stage")
                or (self.stages.code(entry.stage_id) if entry else stage["code"]),
                moment=first.params.get("moment")
                or (format_moment(entry.entered_at) if entry else ""),
            )
            row.ok = False
        row.wanted["log"] = (new_log, log)

    async def write(self, rows: list[_Row], step: Callable[[], None]) -> None:
        now = clock.now()
        for row in rows:
            if row.ok and (row.current is None or row.changes):
                try:
                    async with in_transaction():
                        if row.current is None:
                            await self._create(row, now)
                        else:
                            await self._update(row, now)
                except IntegrityError:
                    self.problems.invalid(
                        row.line, "number", "already_used", row.values.get("number")
                    )
                    row.ok = False
                except DomainError as error:
                    self.problems.add(row.line, error)
                    row.ok = False
            step()

    async def _create(self, row: _Row, now: dt.datetime) -> None:
        wanted = row.wanted
        kind = self.kind_by_id[wanted["kind_id"]]
        status = wanted["status"]
        fields = {key: wanted[key] for key in _DEAL_DB_FIELDS}
        fields["status"] = DealStatus(status)
        deal = await Deal.create(
            number=row.values["number"],
            kind_id=kind["id"],
            guided=kind["control_type"] == ControlType.GUIDED,
            closed=status != DealStatus.OPEN.value,
            created_at=now,
            **fields,
        )
        log = wanted.get("log")
        if log is not None:
            await _write_log(
                deal.id,
                log[0],
                [],
                potential_minor=deal.potential_minor,
                owner_id=deal.owner_id,
                at=now,
            )
        if deal.partner_id is not None:  # a new deal: its client is its only participant yet
            await DealParticipant.create(
                deal_id=deal.id, partner_id=deal.partner_id, role=ParticipantRole.CLIENT
            )
        if wanted["competitor_id"] is not None:
            await _set_winner(deal.id, wanted["competitor_id"])
        await record_event(
            deal.id,
            "imported",
            actor_id=None,
            at=now,
            data={
                "kind": kind["code"],
                "stage": self.stages.code(deal.stage_id) or None,
                "status": status,
                "owner_id": deal.owner_id,
                "potential_minor": deal.potential_minor,
                "currency": deal.currency,
            },
        )
        if deal.guided and status == DealStatus.OPEN.value and deal.stage_id is not None:
            await create_stage_tasks(deal, await Stage.get(id=deal.stage_id), now)

    async def _update(self, row: _Row, now: dt.datetime) -> None:
        current, changes = row.current or {}, dict(row.changes)
        deal = await claim_deal(current["id"])
        competitor = changes.pop("competitor_id", current["competitor_id"])
        fields = dict(changes)
        if "status" in fields:
            fields["status"] = DealStatus(fields["status"])
            fields["closed"] = fields["status"] != DealStatus.OPEN
        if fields:
            await Deal.filter(id=deal.id).update(**fields)
            for key, value in fields.items():
                setattr(deal, key, value)
        log = row.wanted.get("log")
        moved: dict[str, list[str]] = {}
        if log is not None:
            changed_rows = await _write_log(
                deal.id,
                log[0],
                log[1],
                potential_minor=deal.potential_minor,
                owner_id=deal.owner_id,
                at=now,
            )
            moved = {
                name: [self.stages.code(stage_id) for stage_id in stage_ids]
                for name, stage_ids in zip(
                    ("created", "updated", "removed"), changed_rows, strict=True
                )
            }
        if "potential_minor" in changes:
            await DealStageLog.filter(deal_id=deal.id).update(
                potential_minor=changes["potential_minor"]
            )
        if "partner_id" in changes:
            await _set_client_participant(deal.id, deal.partner_id)
        if competitor != current["competitor_id"] or "status" in changes:
            await DealParticipant.filter(deal_id=deal.id, won_the_deal=True).update(
                won_the_deal=False
            )
            if competitor is not None and deal.status == DealStatus.LOST:
                await _set_winner(deal.id, competitor)
        if "owner_id" in changes:
            await Task.filter(
                deal_id=deal.id,
                status=TaskStatus.OPEN,
                stage_id__isnull=False,
                performer_id=current["owner_id"],
            ).update(performer_id=deal.owner_id, reminded_at=None)
        if deal.guided and ({"status", "stage_id"} & set(changes)):
            await cancel_route_tasks(deal.id, now)
            if deal.status == DealStatus.OPEN and deal.stage_id is not None:
                await create_stage_tasks(deal, await Stage.get(id=deal.stage_id), now)
        old = {key: current[key] for key in row.changes}
        await record_event(
            deal.id,
            "import_updated",
            actor_id=None,
            at=now,
            data={"old": _plain_dict(old), "new": _plain_dict(row.changes), "stage_log": moved},
        )


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") and not isinstance(value, dt.date) else value


def _plain_dict(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in values.items()}


async def _set_winner(deal_id: int, partner_id: int) -> None:
    """The competitor who won a lost deal is flagged among its participants (as mark_lost)."""
    participant = await DealParticipant.filter(deal_id=deal_id, partner_id=partner_id).first()
    if participant is None:
        await DealParticipant.create(
            deal_id=deal_id,
            partner_id=partner_id,
            role=ParticipantRole.COMPETITOR,
            won_the_deal=True,
        )
    else:
        await DealParticipant.filter(id=participant.id).update(won_the_deal=True)


async def _counterparties_by_ref(refs: Iterable[str]) -> dict[str, dict[str, Any]]:
    refs = list(dict.fromkeys(refs))
    external = [ref for ref in refs if internal_id(ref) is None]
    ids = {internal_id(ref): ref for ref in refs if internal_id(ref) is not None}
    found: dict[str, dict[str, Any]] = {}
    columns = ("id", "external_id", "partner_id")
    for chunk in _chunks(external):
        for row in await Counterparty.filter(external_id__in=list(chunk)).values(*columns):
            found[row["external_id"]] = row
    for chunk in _chunks(list(ids)):
        for row in await Counterparty.filter(id__in=list(chunk)).values(*columns):
            found[ids[row["id"]]] = row
    return found


# --- the stage log ------------------------------------------------------------------------------


class _StageLogImporter(_Importer):
    kind = STAGE_LOG
    columns = STAGE_LOG_COLUMNS
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "deal": lambda c: _number(c, "deal"),
        "stage": _text("stage", 200, required=True),
        "entered_at": _moment("entered_at", required=True),
        "left_at": _moment("left_at"),
        "result": _choice(RESULT_WORDS, "result"),
        "skipped": lambda c: parse_flag(c, "skipped"),
    }

    async def resolve(self, rows: list[_Row]) -> None:
        problems = self.problems
        deals = await _deals_by_number(
            [r.values["deal"] for r in rows if r.values.get("deal")],
            "kind_id", "stage_id", "status", "potential_minor", "owner_id",
        )  # fmt: skip
        self.stages = stages = await _Stages.load()
        groups: dict[int, list[_Row]] = defaultdict(list)
        for row in rows:
            number = row.values.get("deal")
            deal = deals.get(number) if number else None
            if number and deal is None:
                _report_unknown(row, "deal", number, problems)
            if deal is None:
                continue
            row.current = deal
            groups[deal["id"]].append(row)
            text = row.values.get("stage")
            if not text:
                continue
            stage = stages.find(deal["kind_id"], text)
            if stage is None:
                elsewhere = any(stages.find(k, text) for k in stages.lookup)
                reason = "other_kind" if elsewhere else "unknown_reference"
                problems.invalid(row.line, "stage", reason, text, value=text)
                row.ok = False
            else:
                row.wanted["stage"] = stage
        current_logs = await _log_entries(list(groups), stages)
        self.plans: list[tuple[dict, list[LogEntry], list[LogEntry], list[_Row]]] = []
        for deal_id, group in groups.items():
            deal = group[0].current or {}
            seen: dict[int, int] = {}
            for row in group:
                stage = row.wanted.get("stage")
                if stage is None:
                    continue
                if stage["id"] in seen:
                    problems.invalid(
                        row.line, "stage", "duplicate_in_file", row.values["stage"],
                        line=seen[stage["id"]],
                    )  # fmt: skip
                    row.ok = False
                else:
                    seen[stage["id"]] = row.line
            complete = all(row.ok for row in group)
            checked = [row for row in group if row.ok]
            entries = [self._entry(row, deal) for row in checked]
            violations = stage_log_violations(
                entries,
                status=str(deal["status"]),
                stage_id=deal["stage_id"],
                stage_codes=stages.codes(),
            )
            if not complete:  # what a bad row would have said about the whole log is unknown
                violations = [v for v in violations if v.entry is not None]
            for violation in violations:
                line = violation.entry.line if violation.entry else group[0].line
                shown = None
                if violation.entry is not None and violation.field in ("entered_at", "left_at"):
                    shown = format_moment(getattr(violation.entry, violation.field))
                problems.invalid(line or 0, violation.field, violation.reason, shown,
                                 **violation.params)  # fmt: skip
            if violations or not complete:
                for row in group:
                    row.ok = False
                continue
            current = current_logs.get(deal_id, [])
            by_stage = {entry.stage_id: entry for entry in current}
            for row, entry in zip(group, entries, strict=True):
                old = by_stage.get(entry.stage_id)
                if old is None:
                    row.state = "created"
                elif _log_differs(old, entry):
                    row.state = "updated"
            wanted_stages = {entry.stage_id for entry in entries}
            removed = sum(1 for e in current if e.stage_id not in wanted_stages)
            self.removed += removed
            if removed or any(row.state != "unchanged" for row in group):
                self.plans.append((deal, entries, current, group))

    def _entry(self, row: _Row, deal: dict) -> LogEntry:
        values, stage = row.values, row.wanted["stage"]
        result = values.get("result")
        if result is None:  # not given: what the row's place in the log makes it
            if values.get("left_at") is None:
                result = StageResult.CURRENT.value
            elif str(deal["status"]) == DealStatus.LOST.value and stage["id"] == deal["stage_id"]:
                result = StageResult.LOST.value
            else:
                result = StageResult.PASSED.value
        return LogEntry(
            stage["id"],
            stage["position"],
            values["entered_at"],
            values.get("left_at"),
            result,
            bool(values.get("skipped")),
            line=row.line,
        )

    async def write(self, rows: list[_Row], step: Callable[[], None]) -> None:
        now = clock.now()
        for deal, entries, current, group in self.plans:
            try:
                async with in_transaction():
                    await claim_deal(deal["id"])
                    created, updated, removed = await _write_log(
                        deal["id"],
                        entries,
                        current,
                        potential_minor=deal["potential_minor"],
                        owner_id=deal["owner_id"],
                        at=now,
                    )
                    code = self.stages.code
                    await record_event(
                        deal["id"],
                        "stage_log_imported",
                        actor_id=None,
                        at=now,
                        data={
                            "created": [code(s) for s in created],
                            "updated": [code(s) for s in updated],
                            "removed": [code(s) for s in removed],
                        },
                    )
            except DomainError as error:
                self.problems.add(group[0].line, error)
            for _ in group:
                step()


# --- interactions -------------------------------------------------------------------------------

_INTERACTION_FIELDS = (
    "kind", "direction", "subject", "description", "starts_at", "ends_at", "done", "result",
    "owner_id", "deal_id", "partner_id",
)  # fmt: skip


class _InteractionImporter(_Importer):
    kind = INTERACTIONS
    columns = INTERACTION_COLUMNS
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "id": _ref("external_id"),
        "deal": lambda c: _number(c, "deal") if c.strip() else None,
        "partner": _ref("partner"),
        "kind": _choice(INTERACTION_WORDS, "interaction_kind", required=True),
        "direction": _choice(DIRECTION_WORDS, "direction"),
        "subject": _text("subject", 500),
        "description": _text("description", 20000),
        "starts_at": _moment("starts_at", required=True, future=dt.timedelta(days=FUTURE_DAYS)),
        "ends_at": _moment("ends_at", future=dt.timedelta(days=FUTURE_DAYS)),
        "done": lambda c: parse_flag(c, "done"),
        "result": _text("result", 4000),
        "owner": _text("owner", 254, required=True),
    }

    async def resolve(self, rows: list[_Row]) -> None:
        problems = self.problems
        deals = await _deals_by_number(
            [r.values["deal"] for r in rows if r.values.get("deal")], "partner_id"
        )
        partners = await _partners_by_ref(
            r.values["partner"] for r in rows if r.values.get("partner")
        )
        employees = await _Employees.load()
        self.employees = employees
        by_id: dict[int, dict] = {}
        wanted_ids = [internal_id(r.values["id"]) for r in rows if r.values.get("id")]
        known_ids = [pk for pk in wanted_ids if pk is not None]
        for chunk in _chunks(known_ids):
            for found in await Interaction.filter(id__in=list(chunk)).values(
                "id", *_INTERACTION_FIELDS
            ):
                by_id[found["id"]] = found
        for row in rows:
            values = row.values
            wanted: dict[str, Any] = {}
            if values.get("deal"):
                deal = deals.get(values["deal"])
                if deal is None:
                    _report_unknown(row, "deal", values["deal"], problems)
                else:
                    wanted["deal_id"] = deal["id"]
                    wanted["partner_id"] = deal["partner_id"]
            else:
                wanted["deal_id"] = None
            if values.get("partner"):
                partner = partners.get(values["partner"])
                if partner is None:
                    _report_unknown(row, "partner", values["partner"], problems)
                else:
                    wanted["partner_id"] = partner["id"]
            wanted.setdefault("partner_id", None)
            if not values.get("deal") and not values.get("partner"):
                problems.invalid(row.line, "deal", "deal_or_partner")
                row.ok = False
            owner = _resolve_employee(row, "owner", "owner", employees, problems)
            if owner is not None:
                wanted["owner_id"] = owner["id"]
            kind = values.get("kind")
            done = values.get("done")
            if done is None:
                done = kind != InteractionKind.PLANNED.value
            wanted["kind"] = kind
            wanted["done"] = done
            if done and kind == InteractionKind.PLANNED.value:
                problems.invalid(row.line, "interaction_kind", "planned_done", kind)
                row.ok = False
            starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
            if done and starts_at is not None and starts_at > clock.now() + DONE_AHEAD:
                problems.invalid(row.line, "starts_at", "too_far_future", format_moment(starts_at))
                row.ok = False
            if starts_at and ends_at and ends_at < starts_at:
                problems.invalid(row.line, "ends_at", "before_start", format_moment(ends_at))
                row.ok = False
            wanted["starts_at"], wanted["ends_at"] = starts_at, ends_at
            wanted["direction"] = values.get("direction") or Direction.NONE.value
            for key in ("subject", "description", "result"):
                wanted[key] = values.get(key, "")
            row.wanted = wanted
            ref = values.get("id")
            pk = internal_id(ref) if ref else None
            if pk is not None:
                row.current = by_id.get(pk)
                if row.current is None:
                    _report_unknown(row, "external_id", ref, problems)
        await self._match_by_key([r for r in rows if r.ok and r.current is None])
        first: dict[Any, int] = {}
        for row in rows:
            ref = row.values.get("id")
            if ref and internal_id(ref) is None:  # another system's code: only kept unique
                if ("ref", ref) in first:
                    problems.invalid(
                        row.line, "external_id", "duplicate_in_file", ref, line=first[("ref", ref)]
                    )
                    row.ok = False
                first.setdefault(("ref", ref), row.line)
            if not row.ok:
                continue
            key = ("id", row.current["id"]) if row.current else ("key", self._key(row.wanted))
            if key in first:  # the same interaction twice (by its crm:<id>, or by its key)
                problems.invalid(
                    row.line, "external_id" if row.values.get("id") else "starts_at",
                    "duplicate_in_file", row.values.get("id"), line=first[key],
                )  # fmt: skip
                row.ok = False
                continue
            first[key] = row.line
            if row.current is None:
                row.state = "created"
            else:
                row.changes = self._changes(row)
                row.state = "updated" if row.changes else "unchanged"

    @staticmethod
    def _key(values: dict[str, Any]) -> tuple:
        subject = ("deal", values["deal_id"]) if values.get("deal_id") else (
            "partner", values.get("partner_id")
        )  # fmt: skip
        return (subject, values["kind"], _floor(values["starts_at"]), values.get("owner_id"))

    async def _match_by_key(self, rows: list[_Row]) -> None:
        """Rows without `crm:<id>`: the interaction with the same deal (or partner), type,
        start (to the second) and owner, if the CRM has one."""
        if not rows:
            return
        owners = sorted({r.wanted["owner_id"] for r in rows})
        starts = [r.wanted["starts_at"] for r in rows]
        low, high = min(starts), max(starts) + dt.timedelta(seconds=1)
        found: dict[tuple, list[dict]] = defaultdict(list)
        for chunk in _chunks(owners):
            for item in await Interaction.filter(
                owner_id__in=list(chunk), starts_at__gte=low, starts_at__lt=high
            ).values("id", *_INTERACTION_FIELDS):
                item_values = {**item, "kind": str(item["kind"])}
                found[self._key(item_values)].append(item)
        for row in rows:
            matches = found.get(self._key(row.wanted), [])
            if len(matches) > 1:
                self.problems.invalid(
                    row.line, "starts_at", "ambiguous_reference",
                    format_moment(row.wanted["starts_at"]),
                    value=format_moment(row.wanted["starts_at"]),
                )  # fmt: skip
                row.ok = False
            elif matches:
                row.current = matches[0]

    def _changes(self, row: _Row) -> dict[str, Any]:
        """The columns the file has (a deal brings its partner along), compared to the record;
        `done` also follows the type when its column is missing."""
        wanted, current = row.wanted, row.current or {}
        column_of = {"kind": "kind", "direction": "direction", "subject": "subject",
                     "description": "description", "starts_at": "starts_at",
                     "ends_at": "ends_at", "done": "done", "result": "result",
                     "owner_id": "owner", "deal_id": "deal", "partner_id": "partner"}  # fmt: skip
        compared = {key for key, column in column_of.items() if column in self.present}
        if "deal" in self.present:
            compared.add("partner_id")
        changes = {}
        for key in column_of:
            if key not in compared:
                continue
            have = _plain(current[key])
            want = wanted[key]
            if key in ("starts_at", "ends_at"):
                have, want = _floor(have), _floor(want)
            if have != want:
                changes[key] = wanted[key]
        return changes

    async def write(self, rows: list[_Row], step: Callable[[], None]) -> None:
        now = clock.now()
        for row in rows:
            if row.ok and (row.current is None or row.changes):
                wanted = row.wanted
                if row.current is None:
                    values = _interaction_values({k: wanted[k] for k in _INTERACTION_FIELDS})
                    created = await Interaction.create(
                        author_id=wanted["owner_id"], created_at=now, **values
                    )
                    deal_id, done = created.deal_id, created.done
                else:
                    changes = _interaction_values(row.changes)
                    await Interaction.filter(id=row.current["id"]).update(**changes)
                    deal_id, done = wanted["deal_id"], wanted["done"]
                if done and deal_id is not None:
                    moment = min(wanted["ends_at"] or wanted["starts_at"], now)
                    await touch_deal_activity(deal_id, moment)
            step()


def _interaction_values(values: dict[str, Any]) -> dict[str, Any]:
    if "kind" in values:
        values = {**values, "kind": InteractionKind(values["kind"])}
    if "direction" in values:
        values = {**values, "direction": Direction(values["direction"])}
    return values


# --- the entry points ---------------------------------------------------------------------------

_IMPORTERS: dict[str, type[_Importer]] = {
    DEALS: _DealImporter,
    STAGE_LOG: _StageLogImporter,
    INTERACTIONS: _InteractionImporter,
}


async def import_deal_history(
    kind: str,
    data: bytes,
    *,
    filename: str = "",
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
) -> HistoryImportReport:
    """Import deals, stage-log rows or interactions from the bytes of a CSV or XLSX file.

    Returns how many rows created, updated or left unchanged records (and, for the stage log,
    how many rows of the named deals were removed); raises `ImportFailed` (nothing written)
    whose `problems` list every bad row with its line and field. `dry_run` checks and counts
    without keeping anything."""
    if kind not in _IMPORTERS:
        raise ValueError(f"unknown kind {kind!r}, expected one of {', '.join(IMPORT_KINDS)}")
    importer_class = _IMPORTERS[kind]
    problems = _Problems()
    table = _read(data, filename, importer_class.columns)
    positions, ignored = _map_columns(table, importer_class.columns, problems)
    if problems:
        _fail(problems)
    importer = importer_class(problems, set(positions))
    total = len(table.rows)
    report = _reporter(progress, total)

    rows = _parse_rows(table, importer.parsers, positions, problems, report("check"))
    await importer.resolve(rows)
    if problems:
        _fail(problems)
    created = sum(1 for r in rows if r.state == "created")
    updated = sum(1 for r in rows if r.state == "updated")
    unchanged = total - created - updated

    await _write_all(
        lambda step: importer.write(rows, step), report("write"), problems, dry_run=dry_run
    )
    return HistoryImportReport(
        kind=kind,
        rows=total,
        created=created,
        updated=updated,
        unchanged=unchanged,
        ignored_columns=ignored,
        dry_run=dry_run,
        removed=importer.removed,
    )


# --- export -------------------------------------------------------------------------------------


async def _deal_records(locale: str) -> list[dict[str, Any]]:
    rows = await Deal.all().order_by("id").values(
        "id", "number", "title", "status", "potential_minor", "currency", "started_at",
        "ended_at", "expected_close_on", "loss_comment", "source", "channel", "comment",
        "partner_id", "counterparty_id", kind_code="kind__code", stage_code="stage__code",
        owner_email="owner__email", owner_name="owner__full_name",
        partner_external_id="partner__external_id",
        counterparty_external_id="counterparty__external_id",
        reason_code="loss_reason__code",
    )  # fmt: skip
    winners = {
        deal_id: export_reference(partner_id, external_id)
        for deal_id, partner_id, external_id in await DealParticipant.filter(
            won_the_deal=True, partner_id__isnull=False
        ).values_list("deal_id", "partner_id", "partner__external_id")
    }
    records = []
    for row in rows:
        partner = row["partner_id"]
        counterparty = row["counterparty_id"]
        records.append(
            {
                "number": row["number"],
                "kind": row["kind_code"],
                "stage": row["stage_code"],
                "title": row["title"],
                "status": str(row["status"]),
                "owner": row["owner_email"] or row["owner_name"],
                "partner": export_reference(partner, row["partner_external_id"])
                if partner
                else None,
                "counterparty": export_reference(counterparty, row["counterparty_external_id"])
                if counterparty
                else None,
                "potential": row["potential_minor"],
                "currency": row["currency"],
                "started_at": row["started_at"],
                "ended_at": row["ended_at"],
                "expected_close_on": row["expected_close_on"],
                "loss_reason": row["reason_code"],
                "competitor": winners.get(row["id"]),
                "loss_comment": row["loss_comment"],
                "source": row["source"],
                "channel": row["channel"],
                "comment": row["comment"],
            }
        )
    return records


async def _stage_log_records(locale: str) -> list[dict[str, Any]]:
    rows = await DealStageLog.all().values(
        "id", "deal_id", "entered_at", "left_at", "result", "skipped",
        number="deal__number", stage_code="stage__code", order="stage__order",
        stage_id="stage_id",
    )  # fmt: skip
    rows.sort(key=lambda r: (r["deal_id"], r["order"], r["stage_id"], r["id"]))
    return [
        {
            "deal": row["number"],
            "stage": row["stage_code"],
            "entered_at": row["entered_at"],
            "left_at": row["left_at"],
            "result": str(row["result"]),
            "skipped": bool(row["skipped"]),
        }
        for row in rows
    ]


async def _interaction_records(locale: str) -> list[dict[str, Any]]:
    rows = await Interaction.all().order_by("starts_at", "id").values(
        "id", "kind", "direction", "subject", "description", "starts_at", "ends_at", "done",
        "result", "partner_id", number="deal__number",
        partner_external_id="partner__external_id",
        owner_email="owner__email", owner_name="owner__full_name",
    )  # fmt: skip
    return [
        {
            "id": export_reference(row["id"], None),
            "deal": row["number"],
            "partner": export_reference(row["partner_id"], row["partner_external_id"])
            if row["partner_id"]
            else None,
            "kind": str(row["kind"]),
            "direction": str(row["direction"]) if str(row["direction"]) != "none" else None,
            "subject": row["subject"],
            "description": row["description"],
            "starts_at": row["starts_at"],
            "ends_at": row["ends_at"],
            "done": bool(row["done"]),
            "result": row["result"],
            "owner": row["owner_email"] or row["owner_name"],
        }
        for row in rows
    ]


async def _task_records(locale: str) -> list[dict[str, Any]]:
    from services.tasks import assignment_step

    tasks = await Task.all().order_by("id")
    employees = await _Employees.load()
    stage_codes = dict(await Stage.all().values_list("id", "code"))
    deal_numbers = dict(
        await Deal.filter(tasks__id__isnull=False).distinct().values_list("id", "number")
    )
    partner_ids = {task.partner_id for task in tasks if task.partner_id}
    partners = dict(
        await Partner.filter(id__in=list(partner_ids)).values_list("id", "external_id")
        if partner_ids
        else []
    )
    records = []
    for task in tasks:
        step = assignment_step(task)
        records.append(
            {
                "id": export_reference(task.id, None),
                "title": task.title,
                "description": task.description,
                "deal": deal_numbers.get(task.deal_id) if task.deal_id else None,
                "partner": export_reference(task.partner_id, partners.get(task.partner_id))
                if task.partner_id
                else None,
                "performer": employees.label(task.performer_id),
                "checker": employees.label(task.checker_id) or None,
                "author": employees.label(task.author_id) or None,
                "stage": stage_codes.get(task.stage_id) if task.stage_id else None,
                "step": step.step if step else None,
                "parent": export_reference(task.parent_id, None) if task.parent_id else None,
                "importance": task.importance.value,
                "status": task.status.value,
                "due_at": task.due_at,
                "completed_at": task.completed_at,
                "result": task.result,
            }
        )
    return records


_LOADERS = {
    DEALS: _deal_records,
    STAGE_LOG: _stage_log_records,
    INTERACTIONS: _interaction_records,
    TASKS: _task_records,
}
_WORDS = {
    (DEALS, "status"): STATUS_WORDS,
    (STAGE_LOG, "result"): RESULT_WORDS,
    (INTERACTIONS, "kind"): INTERACTION_WORDS,
    (INTERACTIONS, "direction"): DIRECTION_WORDS,
    (TASKS, "status"): TASK_STATUS_WORDS,
    (TASKS, "importance"): IMPORTANCE_WORDS,
    (TASKS, "step"): STEP_WORDS,
}
_AMOUNTS = {(DEALS, "potential")}


async def list_history_records(kind: str, locale: str = "uk") -> list[dict[str, Any]]:
    """Every record of `kind` keyed by the column keys (native values: datetimes, minor units)."""
    if kind not in _LOADERS:
        raise ValueError(f"unknown kind {kind!r}, expected one of {', '.join(EXPORT_KINDS)}")
    return await _LOADERS[kind](locale)


def _cell(kind: str, key: str, value: Any, locale: str) -> str:
    if value is None:
        return ""
    if (kind, key) in _AMOUNTS:
        return format_amount(value, locale)
    words = _WORDS.get((kind, key))
    if words is not None:
        return _word(words, value, locale)
    if isinstance(value, bool):
        if locale == "uk":
            return "так" if value else "ні"
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return format_moment(value)
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def _json_value(kind: str, key: str, value: Any) -> Any:
    if value is None:
        return None
    if (kind, key) in _AMOUNTS:
        return format_amount(value, "en")
    if isinstance(value, dt.datetime):
        return _floor(value.astimezone(dt.UTC)).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def export_deal_history(kind: str, fmt: str, *, locale: str = "uk") -> ExportFile:
    """Every deal, stage-log row, interaction or task as `csv` (UTF-8 with BOM, `;`), `json` or
    `xlsx`, in the columns the import reads: CSV and XLSX with Ukrainian headers and words for
    locale "uk" (English keys and codes otherwise), times in Kyiv time; JSON keyed by the
    English column names with ISO times in UTC and amounts as decimal strings."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}, expected one of {', '.join(EXPORT_FORMATS)}")
    records = await list_history_records(kind, locale)
    filename = f"{kind}-{clock.today().isoformat()}.{fmt}"
    if fmt == "json":
        data = write_json(
            [{key: _json_value(kind, key, value) for key, value in r.items()} for r in records]
        )
        return ExportFile(data, len(records), filename)
    columns = COLUMNS[kind]
    headers = [column.header(locale) for column in columns]
    rows = [[_cell(kind, c.key, record[c.key], locale) for c in columns] for record in records]
    if fmt == "csv":
        data = write_csv(headers, rows)
    else:
        uk, en = SHEET_TITLES[kind]
        data = write_xlsx(headers, rows, uk if locale == "uk" else en)
    return ExportFile(data, len(records), filename)
