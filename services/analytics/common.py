"""What every analytics report shares: parameters, the viewer's scope, the result DTO, and the
small SQL helpers that keep raw queries valid on SQLite and PostgreSQL alike.

Result DTOs carry English msgids (marked with `N_()`) and typed values (money in minor units,
dates, ratios 0..1); `services.analytics.export` turns them into text, JSON, CSV or XLSX in the
viewer's language at the edge.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tortoise import connections

from core import clock
from core.errors import AccessDenied, NotFound, ValidationFailed
from core.i18n import DEFAULT_LOCALE, N_, register_messages
from models.base import Role

DEFAULT_TZ = "Europe/Kyiv"
DEFAULT_PERIOD_DAYS = 90


class Compare(StrEnum):
    """The comparison period of reports that compare (managers)."""

    PREVIOUS = "previous"  # the same number of days right before the period
    YEAR = "year"  # the same dates a year before


# --- parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportParams:
    """What a viewer asked for. Dates are local (Europe/Kyiv) calendar days, both inclusive.

    `viewer_id` / `viewer_role` identify who looks: managers see their own figures, heads their
    team's, admins everyone's (enforced by `resolve_scope`). `viewer_id=None` with role ADMIN is
    the system itself (jobs, `crm report` run by the operator).
    `options` holds report-specific switches as strings (e.g. {"basis": "profit"}).
    """

    viewer_id: int | None = None
    viewer_role: Role = Role.ADMIN
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind_id: int | None = None
    team_id: int | None = None
    manager_id: int | None = None
    compare: Compare = Compare.PREVIOUS
    tz: str = DEFAULT_TZ
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Period:
    """Local calendar days [date_from, date_to] and the aware UTC bounds [start, end)."""

    date_from: dt.date
    date_to: dt.date
    start: dt.datetime
    end: dt.datetime

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1


def make_period(date_from: dt.date, date_to: dt.date, tz: str = DEFAULT_TZ) -> Period:
    if date_to < date_from:
        raise ValidationFailed("invalid", field="date_to", reason="before_start_date")
    zone = zoneinfo.ZoneInfo(tz)
    start = dt.datetime.combine(date_from, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return Period(date_from, date_to, start, end)


def period_of(params: ReportParams, default_days: int = DEFAULT_PERIOD_DAYS) -> Period:
    """The asked period; by default the last `default_days` days up to today (local)."""
    date_to = params.date_to or clock.today(params.tz)
    date_from = params.date_from or date_to - dt.timedelta(days=default_days - 1)
    return make_period(date_from, date_to, params.tz)


def previous_period(period: Period, compare: Compare, tz: str = DEFAULT_TZ) -> Period:
    """The comparison period: the same length right before, or the same dates a year before."""
    if compare is Compare.YEAR:
        return make_period(_year_before(period.date_from), _year_before(period.date_to), tz)
    date_to = period.date_from - dt.timedelta(days=1)
    return make_period(date_to - dt.timedelta(days=period.days - 1), date_to, tz)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


# --- scope --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose figures a report may count: `owner_ids=None` means everyone's."""

    owner_ids: frozenset[int] | None

    @property
    def everyone(self) -> bool:
        return self.owner_ids is None

    @property
    def empty(self) -> bool:
        return self.owner_ids is not None and not self.owner_ids


async def resolve_scope(params: ReportParams) -> Scope:
    """The employees whose figures the viewer may see, narrowed by --team / --manager.

    A manager sees only their own figures; asking for another manager's or a team's is
    AccessDenied. A head sees their team (a manager of another team is AccessDenied). An admin
    sees everyone.
    """
    from models import Employee

    role = Role(params.viewer_role)
    allowed: frozenset[int] | None
    if role is Role.ADMIN:
        allowed = None
    elif params.viewer_id is None:
        raise AccessDenied()
    elif role is Role.HEAD:
        viewer = await Employee.get_or_none(id=params.viewer_id).values("team_id")
        if viewer is None:
            raise AccessDenied()
        if viewer["team_id"] is None:
            allowed = frozenset({params.viewer_id})
        else:
            ids = await Employee.filter(team_id=viewer["team_id"]).values_list("id", flat=True)
            allowed = frozenset([*ids, params.viewer_id])
        if params.team_id is not None and params.team_id != viewer["team_id"]:
            raise AccessDenied()
    else:
        allowed = frozenset({params.viewer_id})
        if params.team_id is not None:
            raise AccessDenied()

    wanted: frozenset[int] | None = None
    if params.team_id is not None:
        ids = await Employee.filter(team_id=params.team_id).values_list("id", flat=True)
        wanted = frozenset(ids)
    if params.manager_id is not None:
        if allowed is not None and params.manager_id not in allowed:
            raise AccessDenied()
        wanted = (
            frozenset({params.manager_id})
            if wanted is None
            else wanted & frozenset({params.manager_id})
        )
    if wanted is None:
        return Scope(allowed)
    if allowed is None:
        return Scope(wanted)
    return Scope(allowed & wanted)


# --- result DTO ---------------------------------------------------------------------------------


class ColumnKind(StrEnum):
    TEXT = "text"  # str, Name or Msg
    INT = "int"
    MONEY = "money"  # int minor units (currency in the table's `currency`)
    RATIO = "ratio"  # float 0..1 shown as a percentage, None = "—"
    DAYS = "days"  # float days, None = "—"
    DATE = "date"  # dt.date
    FLAG = "flag"  # bool, or a list of Msg naming the flags


@dataclass(frozen=True, slots=True)
class Name:
    """A name stored in two languages (stage, kind, reason): the renderer picks one."""

    uk: str
    en: str

    def pick(self, locale: str = DEFAULT_LOCALE) -> str:
        return self.en if locale == "en" and self.en else self.uk


@dataclass(frozen=True, slots=True)
class Msg:
    """An English msgid (marked with N_) translated at the edge, with %(name)s params."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Money:
    """A money value inside a Msg's params."""

    minor: int
    currency: str = "UAH"


@dataclass(frozen=True, slots=True)
class Ratio:
    """A ratio 0..1 inside a Msg's params, shown as a percentage."""

    value: float | None


@dataclass(frozen=True, slots=True)
class Days:
    """A number of days (possibly fractional) inside a Msg's params."""

    value: float | None


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str | Msg  # English msgid (N_()), or a Msg with params
    kind: ColumnKind = ColumnKind.TEXT


@dataclass(slots=True)
class Table:
    """One sheet / CSV section / text block. `rows` are dicts keyed by column key."""

    key: str
    title: str | Msg  # English msgid (N_()), or a Msg with params
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    currency: str = "UAH"
    # The text format (a phone screen) shows only these columns (all when empty) and at most
    # `text_rows` rows (0: the table is left out of the text); JSON, CSV and XLSX get all.
    brief: tuple[str, ...] = ()
    text_rows: int = 30


@dataclass(slots=True)
class ReportResult:
    """What every report returns.

    `headline`: the important figures first, one Msg per short line (the bot's text, the text
    format's top). `tables`: everything else, for text / CSV / XLSX. `data`: the report's own
    dataclass (charts take it; JSON dumps it with money in minor units and ISO dates).
    """

    report: str
    period: Period
    headline: list[Msg] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    data: Any = None
    generated_at: dt.datetime = field(default_factory=clock.now)


# --- SQL helpers (SQLite and PostgreSQL) ----------------------------------------------------------


def dialect(connection_name: str = "default") -> str:
    """'sqlite' or 'postgres'."""
    name = connections.get(connection_name).capabilities.dialect
    return "postgres" if name.startswith("postgres") else name


def days_between(later: str, earlier: str, db: str) -> str:
    """SQL for the exact number of days (fractional) between two timestamp expressions."""
    if db == "sqlite":
        return f"(julianday({later}) - julianday({earlier}))"
    return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"


def sql_params(db: str, sql: str) -> str:
    """Queries are written with `?` placeholders; PostgreSQL wants $1, $2..."""
    if db == "sqlite":
        return sql
    parts = sql.split("?")
    out = [parts[0]]
    for number, part in enumerate(parts[1:], start=1):
        out.append(f"${number}{part}")
    return "".join(out)


def sql_value(db: str, value: Any) -> Any:
    """A parameter as the driver and the stored column format want it (aware datetimes are
    stored by Tortoise on SQLite as 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00' text)."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC)
        if db == "sqlite":
            return value.isoformat(sep=" ")
    elif isinstance(value, dt.date) and db == "sqlite":
        return value.isoformat()
    return value


async def fetch(sql: str, args: Sequence[Any] = (), connection_name: str = "default") -> list[dict]:
    """Run one raw SELECT written with `?` placeholders; rows as dicts."""
    db = dialect(connection_name)
    conn = connections.get(connection_name)
    values = [sql_value(db, arg) for arg in args]
    rows = await conn.execute_query_dict(sql_params(db, sql), values)
    return [dict(row) for row in rows]


def in_list(column: str, ids: Iterable[int]) -> tuple[str, list[int]]:
    """`column IN (?, ?, ...)` and its args; an empty list gives a clause that matches nothing."""
    values = sorted(set(ids))
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join('?' for _ in values)})", values


def scope_clause(column: str, scope: Scope) -> tuple[str, list[int]]:
    """`AND`-able SQL restricting `column` (an owner / manager id) to the scope."""
    if scope.owner_ids is None:
        return "1 = 1", []
    return in_list(column, scope.owner_ids)


def int_option(params: ReportParams, key: str, default: int, low: int, high: int) -> int:
    """A whole-number report option (`-o key=N`) within [low, high], or `default`."""
    raw = params.options.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed("invalid", field=key, reason="bad_number") from None
    if not low <= value <= high:
        raise ValidationFailed("invalid", field=key, reason="bad_choice",
                               choices=f"{low}..{high}")
    return value


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


# --- filters typed by a person (CLI, bot) --------------------------------------------------------

EXTRA_FIELD_NAMES = {
    "date_from": N_("Start date"),
    "date_to": N_("End date"),
}
EXTRA_REASONS = {
    "before_start_date": N_("is before the start date"),
}
EXTRA_ERROR_MESSAGES: dict[str, str] = {}
register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS)


@dataclass(frozen=True, slots=True)
class Filters:
    kind_id: int | None = None
    team_id: int | None = None
    manager_id: int | None = None


async def resolve_filters(
    kind: str | None = None, team: str | None = None, manager: str | None = None
) -> Filters:
    """Ids for what a person typed: a kind by code or id, a team by name or id, a manager by id,
    @username or full name (case-insensitive). NotFound names what was typed."""
    from models import DealKind, Team

    kind_id = team_id = manager_id = None
    if kind:
        found = await (
            DealKind.filter(id=int(kind)) if kind.isdigit() else DealKind.filter(code=kind.strip())
        ).order_by("-version").values_list("id", flat=True)
        if not found:
            raise NotFound("not_found", what=kind)
        kind_id = found[0]
    if team:
        query = Team.filter(id=int(team)) if team.isdigit() else Team.filter(
            name__iexact=team.strip()
        )
        team_row = await query.first().values("id")
        if team_row is None:
            raise NotFound("not_found", what=team)
        team_id = team_row["id"]
    if manager:
        manager_id = await find_employee_id(manager)
    return Filters(kind_id, team_id, manager_id)


async def find_employee_id(reference: str) -> int:
    """An employee by id, @username or full name; NotFound otherwise."""
    from models import Employee

    text = reference.strip()
    if text.isdigit():
        query = Employee.filter(id=int(text))
    elif text.startswith("@"):
        query = Employee.filter(telegram_username__iexact=text[1:])
    else:
        query = Employee.filter(full_name__iexact=text)
    row = await query.first().values("id")
    if row is None:
        raise NotFound("not_found", what=reference)
    return row["id"]


async def viewer_role(employee_id: int) -> Role:
    from models import Employee

    row = await Employee.filter(id=employee_id).first().values("role")
    if row is None:
        raise NotFound("not_found", what=str(employee_id))
    return Role(row["role"])


def month_key(column: str, db: str) -> str:
    """SQL for 'YYYY-MM' of a DATE column."""
    if db == "sqlite":
        return f"substr({column}, 1, 7)"
    return f"to_char({column}, 'YYYY-MM')"


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
