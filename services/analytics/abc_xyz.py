"""ABC/XYZ classification of clients (report 4) and the pieces the classification command,
the BCG report and the loyalty report share.

What is counted (1C's "Классификация" module, reference §12): posted shipments (the 1C
realisation documents), taken from the shipment header: revenue = `Shipment.amount_minor`,
gross profit = `amount_minor - cost_minor`, number of sales = the number of shipments.

Windows are whole calendar months ending on or before `period_to`: XYZ looks at every month of
the window (a month without shipments counts as 0), ABC at the sum of the last `abc_months`
months of it (by default the whole window). 1C's own defaults are ABC = 1 month, XYZ = 2 months.

Two cuts:

* ``adaptive`` (1C): sort descending, cumulative shares cᵢ (%), threshold T = Σc / (n+1); the
  first cᵢ > T switches A→B and resets T to the mean of the remaining cᵢ..cₙ (cᵢ included);
  the next one stops: the rest, and always the last client, are C. XYZ sorts the coefficients
  of variation descending and runs the same cut: Z first, then Y, the rest X.
* ``classic``: A while the share of the clients before is under 80 %, B under 95 %, the rest C
  (a client with no positive value is C); X for CV ≤ 10 %, Y for CV ≤ 25 %, Z above.

CV = √(Σ(xₚ − x̄)² / P) · 100 / |x̄| over the P months of the window, 0 when x̄ = 0. (1C divides
by x̄ itself, which ranks a loss-making client as the most stable one by profit.)

Relationship stage (1C's loyalty report): Z → one-time, X or Y → regular, classified before but
without sales in this window ("not classified", stored with empty classes) → lost; a client
with no classification at all → potential.

Every run is kept as ClientClassification rows sharing a `run_id`
"<basis>:<method>:<YYYYMMDD>-<YYYYMMDD>:<abc months>", so the same window computed again
replaces its rows instead of adding a second copy.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tortoise import connections

from core import clock
from core.errors import ValidationFailed
from core.i18n import N_
from models.base import RelationshipStage
from services.analytics import (
    Column,
    ColumnKind,
    Money,
    Msg,
    Ratio,
    ReportParams,
    ReportResult,
    Table,
    make_period,
    period_of,
    register_report,
    resolve_scope,
)
from services.analytics.common import Scope, dialect, fetch, scope_clause, sql_params

# --- parameters -----------------------------------------------------------------------------------


class Basis(StrEnum):
    REVENUE = "revenue"
    PROFIT = "profit"
    COUNT = "count"


class Method(StrEnum):
    ADAPTIVE = "adaptive"
    CLASSIC = "classic"


DEFAULT_MONTHS = 3
MAX_MONTHS = 36
CLASSIC_ABC_PERCENT = (80, 95)  # cumulative share bounds of A and of A + B
CLASSIC_XYZ_PERCENT = (10.0, 25.0)  # CV bounds of X and of Y
ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")
NOT_CLASSIFIED = ""

BASIS_HEADLINES = {
    Basis.REVENUE: N_("Clients by revenue"),
    Basis.PROFIT: N_("Clients by gross profit"),
    Basis.COUNT: N_("Clients by number of sales"),
}
METHOD_TITLES = {
    Method.ADAPTIVE: N_("Cut: 1C adaptive"),
    Method.CLASSIC: N_("Cut: 80/15/5 %, CV 10/25 %"),
}


def parse_basis(value: str | Basis | None) -> Basis:
    try:
        return Basis(value or Basis.REVENUE)
    except ValueError:
        raise ValidationFailed(
            "invalid", field="basis", reason="bad_choice", choices=", ".join(Basis)
        ) from None


def parse_method(value: str | Method | None) -> Method:
    try:
        return Method(value or Method.ADAPTIVE)
    except ValueError:
        raise ValidationFailed(
            "invalid", field="method", reason="bad_choice", choices=", ".join(Method)
        ) from None


def parse_months(value: int | str | None, default: int = DEFAULT_MONTHS) -> int:
    if value is None or value == "":
        return default
    try:
        months = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed("invalid", field="months", reason="bad_number") from None
    if not 1 <= months <= MAX_MONTHS:
        raise ValidationFailed(
            "invalid", field="months", reason="out_of_range", min=1, max=MAX_MONTHS
        )
    return months


# --- the cuts (pure) -----------------------------------------------------------------------------


def adaptive_groups(values: Sequence[float]) -> list[int]:
    """1C's adaptive cut of values sorted descending: group 0, 1 or 2 for each.

    Shares are kept multiplied by |Σ values| so that integer values are cut exactly.
    """
    n = len(values)
    total = sum(values)
    sign = (total > 0) - (total < 0)
    cumulative: list[float] = []
    running: float = 0
    for value in values:
        running += value
        cumulative.append(running * 100 * sign)
    remaining = sum(cumulative)
    threshold_num, threshold_den = remaining, n + 1  # T = Σc / (n + 1)
    groups = [2] * n
    group = 0
    for index in range(n - 1):
        if cumulative[index] * threshold_den > threshold_num:
            if group:
                break
            group = 1
            threshold_num, threshold_den = remaining, n - index  # mean of cᵢ..cₙ
        remaining -= cumulative[index]
        groups[index] = group
    return groups


def classic_abc_groups(values: Sequence[int]) -> list[int]:
    """80/15/5 on values sorted descending: by the share of the clients *before* each one, so
    the biggest client is always A; a client with no positive value is C."""
    positive = sum(value for value in values if value > 0)
    bound_a, bound_b = CLASSIC_ABC_PERCENT
    groups: list[int] = []
    before = 0
    for value in values:
        if value <= 0 or positive <= 0:
            groups.append(2)
        elif before * 100 < bound_a * positive:
            groups.append(0)
        elif before * 100 < bound_b * positive:
            groups.append(1)
        else:
            groups.append(2)
        before += max(value, 0)
    return groups


def variation(values: Sequence[float]) -> float:
    """The coefficient of variation in % over all sub-periods (empty ones are 0s)."""
    if not values:
        return 0.0
    mean = sum(values) / len(values)
    if mean == 0:
        return 0.0
    spread = sum((value - mean) ** 2 for value in values) / len(values)
    return math.sqrt(spread) * 100 / abs(mean)


def classic_xyz(cv: float) -> str:
    bound_x, bound_y = CLASSIC_XYZ_PERCENT
    return "X" if cv <= bound_x else "Y" if cv <= bound_y else "Z"


def cut_abc(values: Sequence[int], method: Method) -> list[str]:
    """Classes for values sorted descending."""
    groups = adaptive_groups(values) if method is Method.ADAPTIVE else classic_abc_groups(values)
    return [ABC[group] for group in groups]


def cut_xyz(cvs: Sequence[float], method: Method) -> list[str]:
    """Classes for coefficients of variation sorted descending (most erratic first)."""
    if method is Method.CLASSIC:
        return [classic_xyz(cv) for cv in cvs]
    return [("Z", "Y", "X")[group] for group in adaptive_groups(cvs)]


def stage_of(xyz: str) -> RelationshipStage:
    """The relationship stage of a client that has a classification row."""
    if xyz == "Z":
        return RelationshipStage.ONE_TIME
    if xyz in ("X", "Y"):
        return RelationshipStage.REGULAR
    return RelationshipStage.LOST


# --- windows and run keys ------------------------------------------------------------------------


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(index: int) -> dt.date:
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True, slots=True)
class Window:
    """Whole months [first_month, last_month] (month indexes); ABC sums from `abc_month`."""

    first_month: int
    last_month: int
    abc_month: int

    @property
    def months(self) -> int:
        return self.last_month - self.first_month + 1

    @property
    def abc_months(self) -> int:
        return self.last_month - self.abc_month + 1

    @property
    def period_from(self) -> dt.date:
        return month_start(self.first_month)

    @property
    def period_to(self) -> dt.date:
        return month_end(self.last_month)

    @property
    def abc_from(self) -> dt.date:
        return month_start(self.abc_month)


def make_window(
    period_to: dt.date | None, months: int, abc_months: int | None = None, tz: str = "Europe/Kyiv"
) -> Window:
    """The `months` whole calendar months ending on or before `period_to` (default: yesterday,
    so today's unfinished month is never counted)."""
    day = period_to or clock.today(tz) - dt.timedelta(days=1)
    last = month_index(day)
    if day != month_end(last):
        last -= 1
    abc = months if abc_months is None else abc_months
    if not 1 <= abc <= months:
        raise ValidationFailed(
            "invalid", field="abc_months", reason="out_of_range", min=1, max=months
        )
    return Window(last - months + 1, last, last - abc + 1)


def run_key(basis: Basis, method: Method, window: Window) -> str:
    return (
        f"{basis.value}:{method.value}:{window.period_from:%Y%m%d}-{window.period_to:%Y%m%d}"
        f":{window.abc_months}"
    )


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One stored classification run, read back from its run id and rows."""

    run_id: str
    basis: Basis
    method: Method
    period_from: dt.date
    period_to: dt.date
    abc_months: int
    computed_at: dt.datetime

    @property
    def abc_from(self) -> dt.date:
        return month_start(month_index(self.period_to) - self.abc_months + 1)


def parse_run_key(run_id: str) -> tuple[Basis, Method, int] | None:
    """(basis, method, abc months) of a run id made by `run_key`, None for anything else."""
    parts = run_id.split(":")
    if len(parts) != 4:
        return None
    try:
        return Basis(parts[0]), Method(parts[1]), int(parts[3])
    except ValueError:
        return None


# --- SQL helpers ---------------------------------------------------------------------------------


def day_arg(db: str, day: dt.date) -> object:
    """A date parameter as each driver compares it with a DATE column."""
    return day.isoformat() if db == "sqlite" else day


def month_sql(db: str, column: str) -> str:
    """SQL for the month index (year × 12 + month − 1) of a DATE column."""
    if db == "sqlite":
        return (
            f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12"
            f" + CAST(substr({column}, 6, 2) AS INTEGER) - 1)"
        )
    return (
        f"(CAST(EXTRACT(YEAR FROM {column}) AS INTEGER) * 12"
        f" + CAST(EXTRACT(MONTH FROM {column}) AS INTEGER) - 1)"
    )


VALUE_SQL = {
    Basis.REVENUE: "SUM(s.amount_minor)",
    Basis.PROFIT: "SUM(s.amount_minor - s.cost_minor)",
    Basis.COUNT: "COUNT(*)",
}


def _run_info(row: dict) -> RunInfo | None:
    parsed = parse_run_key(row["run_id"])
    if parsed is None:
        return None
    basis, method, abc_months = parsed
    computed_at = row["computed_at"]
    if isinstance(computed_at, str):
        computed_at = dt.datetime.fromisoformat(computed_at)
    return RunInfo(
        row["run_id"],
        basis,
        method,
        _as_date(row["period_from"]),
        _as_date(row["period_to"]),
        abc_months,
        computed_at,
    )


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


async def list_stored_runs(
    basis: Basis | None = None,
    method: Method | None = None,
    *,
    on_or_before: dt.date | None = None,
    after: dt.date | None = None,
    before: dt.date | None = None,
    newest_first: bool = True,
    limit: int | None = None,
) -> list[RunInfo]:
    """Stored runs, newest window first (then the latest computed), filtered by their keys."""
    db = dialect()
    where, args = ["1 = 1"], []
    if basis is not None:
        prefix = f"{basis.value}:{method.value}:%" if method is not None else f"{basis.value}:%"
        where.append("run_id LIKE ?")
        args.append(prefix)
    if on_or_before is not None:
        where.append("period_to <= ?")
        args.append(day_arg(db, on_or_before))
    if before is not None:
        where.append("period_to < ?")
        args.append(day_arg(db, before))
    if after is not None:
        where.append("period_to >= ?")
        args.append(day_arg(db, after))
    order = "DESC" if newest_first else "ASC"
    sql = (
        "SELECT run_id, MIN(period_from) AS period_from, MAX(period_to) AS period_to,"
        " MAX(computed_at) AS computed_at FROM client_classification"
        f" WHERE {' AND '.join(where)} GROUP BY run_id"
        f" ORDER BY MAX(period_to) {order}, MAX(computed_at) {order}, run_id {order}"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    runs = [_run_info(row) for row in await fetch(sql, args)]
    return [run for run in runs if run is not None and (method is None or run.method is method)]


async def find_run(run_id: str) -> RunInfo | None:
    rows = await fetch(
        "SELECT run_id, MIN(period_from) AS period_from, MAX(period_to) AS period_to,"
        " MAX(computed_at) AS computed_at FROM client_classification WHERE run_id = ?"
        " GROUP BY run_id",
        [run_id],
    )
    return _run_info(rows[0]) if rows else None


async def _top_run(basis: Basis, method: Method, bound: str, day: dt.date | None) -> RunInfo | None:
    """The run with the latest window (then the latest computed) under a bound, in one pass.
    `basis = ?` (the run key starts with it: the same rows) walks the (basis, period_to) index
    from the latest window down, instead of reading and sorting every stored row."""
    db = dialect()
    where = ["basis = ?", "run_id LIKE ?"]
    args: list = [basis.value, f"{basis.value}:{method.value}:%"]
    if day is not None:
        where.append(f"period_to {bound} ?")
        args.append(day_arg(db, day))
    rows = await fetch(
        "SELECT run_id, period_from, period_to, computed_at FROM client_classification"
        f" WHERE {' AND '.join(where)}"
        " ORDER BY period_to DESC, computed_at DESC, run_id DESC LIMIT 1",
        args,
    )
    return _run_info(rows[0]) if rows else None


async def find_latest_run(
    basis: Basis, method: Method, on_or_before: dt.date | None = None
) -> RunInfo | None:
    return await _top_run(basis, method, "<=", on_or_before)


async def find_previous_run(run: RunInfo) -> RunInfo | None:
    """The latest run of the same basis and cut whose window ends before this one's."""
    return await _top_run(run.basis, run.method, "<", run.period_to)


async def run_from_params(params: ReportParams) -> tuple[Basis, Method, RunInfo | None]:
    """The classification a report shows: options basis / method / run, else the latest run
    whose window ends on or before the asked `date_to`."""
    basis = parse_basis(params.options.get("basis"))
    method = parse_method(params.options.get("method"))
    run_id = params.options.get("run")
    if run_id:
        run = await find_run(run_id)
        if run is not None:
            return run.basis, run.method, run
        return basis, method, None
    return basis, method, await find_latest_run(basis, method, params.date_to)


# --- computing a classification ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientClass:
    """One client's classes in a run; `value` is the ABC value (kopiyky, or sales for count),
    `cv` the coefficient of variation (%), None for a lost client."""

    partner_id: int
    value: int
    cv: float | None
    abc: str
    xyz: str

    @property
    def stage(self) -> RelationshipStage:
        return stage_of(self.xyz)


async def monthly_sums(basis: Basis, window: Window, using_db: Any = None) -> list[dict]:
    """Per client and month of the window: the basis value and the number of shipments."""
    conn = using_db or connections.get("default")
    db = dialect()
    month = month_sql(db, "s.date")
    sql = (
        f"SELECT s.partner_id AS partner_id, {month} AS month, {VALUE_SQL[basis]} AS value,"
        " COUNT(*) AS docs FROM shipment s"
        " WHERE s.status = 'posted' AND s.date >= ? AND s.date <= ?"
        " GROUP BY s.partner_id, " + month
    )
    args = [day_arg(db, window.period_from), day_arg(db, window.period_to)]
    return [dict(row) for row in await conn.execute_query_dict(sql_params(db, sql), args)]


def classify_sums(rows: Sequence[dict], window: Window, method: Method) -> list[ClientClass]:
    """Classes from per-client monthly sums (no raw rows): ABC over the ABC months, XYZ over
    every month of the window. A client with shipments only before the ABC months gets an XYZ
    class and no ABC class."""
    series: dict[int, list[int]] = {}
    abc_docs: dict[int, int] = {}
    for row in rows:
        partner = int(row["partner_id"])
        months = series.setdefault(partner, [0] * window.months)
        months[int(row["month"]) - window.first_month] += int(row["value"] or 0)
        if int(row["month"]) >= window.abc_month:
            abc_docs[partner] = abc_docs.get(partner, 0) + int(row["docs"])
    offset = window.abc_month - window.first_month
    values = {partner: sum(months[offset:]) for partner, months in series.items()}
    cvs = {partner: variation(months) for partner, months in series.items()}

    in_abc = sorted(abc_docs, key=lambda partner: (-values[partner], partner))
    abc = dict(zip(in_abc, cut_abc([values[p] for p in in_abc], method), strict=True))
    in_xyz = sorted(series, key=lambda partner: (-cvs[partner], partner))
    xyz = dict(zip(in_xyz, cut_xyz([cvs[p] for p in in_xyz], method), strict=True))
    return [
        ClientClass(partner, values[partner], cvs[partner], abc.get(partner, ""), xyz[partner])
        for partner in sorted(series, key=lambda partner: (-values[partner], partner))
    ]


# --- the report ----------------------------------------------------------------------------------


@dataclass(slots=True)
class ClassRow:
    key: str  # "A".."C" / "X".."Z" / "" (not classified)
    clients: int
    value: int  # ABC value of these clients (kopiyky, or sales for count)
    share: float | None  # of the value of every client shown


@dataclass(slots=True)
class ClientRow:
    partner_id: int
    name: str
    manager: str
    abc: str
    xyz: str
    stage: str
    value: int
    abc_before: str | None  # None: no previous classification of this client
    xyz_before: str | None


@dataclass(slots=True)
class AbcXyzData:
    basis: str
    method: str
    run_id: str | None
    previous_run_id: str | None
    period_from: dt.date | None
    period_to: dt.date | None
    abc_months: int | None
    computed_at: dt.datetime | None
    is_money: bool
    abc: list[ClassRow] = field(default_factory=list)
    xyz: list[ClassRow] = field(default_factory=list)
    stages: dict[str, int] = field(default_factory=dict)  # one_time / regular / lost / potential
    clients: list[ClientRow] = field(default_factory=list)
    moved: int = 0  # clients whose ABC or XYZ class changed since the previous run


def partner_scope_sql(scope: Scope, alias: str = "p") -> tuple[str, list[int]]:
    """Clients whose main manager the viewer may see (admins also see clients without one)."""
    return scope_clause(f"{alias}.main_manager_id", scope)


async def count_potential(run_id: str | None, scope: Scope, created_before: dt.date | None) -> int:
    """Active clients with no row in the run (never classified): 1C's "potential"."""
    where, args = partner_scope_sql(scope)
    sql = f"SELECT COUNT(*) AS n FROM partner p WHERE p.is_client AND p.active AND {where}"
    if run_id is not None:
        sql += (
            " AND NOT EXISTS (SELECT 1 FROM client_classification c"
            " WHERE c.run_id = ? AND c.partner_id = p.id)"
        )
        args = [*args, run_id]
    if created_before is not None:
        sql += " AND p.created_at < ?"
        moment = dt.datetime.combine(created_before, dt.time(), dt.UTC)
        args = [*args, moment]
    rows = await fetch(sql, args)
    return int(rows[0]["n"])


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


ABC_COLUMNS = [
    Column("class", N_("Class")),
    Column("clients", N_("Clients"), ColumnKind.INT),
    Column("value", N_("Value"), ColumnKind.MONEY),
    Column("share", N_("Share"), ColumnKind.RATIO),
]


@register_report(
    "abc-xyz",
    title=N_("ABC/XYZ clients"),
    description=N_("Clients by volume (ABC) and stability (XYZ), with changes"),
    chart="charts.abc_xyz:abc_xyz_png",
    order=4,
)
async def abc_xyz_report(params: ReportParams) -> ReportResult:
    """The stored classification in force at `date_to` (options: basis, method, run)."""
    scope = await resolve_scope(params)
    basis, method, run = await run_from_params(params)
    data = AbcXyzData(
        basis.value, method.value, None, None, None, None, None, None, basis is not Basis.COUNT
    )
    if run is None:
        potential = await count_potential(None, scope, None)
        data.stages = {RelationshipStage.POTENTIAL.value: potential}
        return ReportResult(
            "abc-xyz",
            period_of(params),
            headline=[Msg(N_("No classification yet: run `crm classify` first."))],
            tables=[],
            data=data,
        )
    previous = await find_previous_run(run)
    data.run_id, data.previous_run_id = run.run_id, previous.run_id if previous else None
    data.period_from, data.period_to = run.period_from, run.period_to
    data.abc_months, data.computed_at = run.abc_months, run.computed_at

    where, scope_args = partner_scope_sql(scope)
    totals = await fetch(
        "SELECT c.abc AS abc, c.xyz AS xyz, COUNT(*) AS clients, SUM(c.value_minor) AS value"
        " FROM client_classification c JOIN partner p ON p.id = c.partner_id"
        f" WHERE c.run_id = ? AND {where} GROUP BY c.abc, c.xyz",
        [run.run_id, *scope_args],
    )
    grand = sum(int(row["value"] or 0) for row in totals)
    for key, classes, attr in (("abc", (*ABC, ""), "abc"), ("xyz", (*XYZ, ""), "xyz")):
        rows = []
        for cls in classes:
            picked = [row for row in totals if row[attr] == cls]
            clients = sum(int(row["clients"]) for row in picked)
            value = sum(int(row["value"] or 0) for row in picked)
            if cls or clients:
                rows.append(ClassRow(cls, clients, value, _share(value, grand)))
        setattr(data, key, rows)
    stage_counts = {stage.value: 0 for stage in RelationshipStage}
    for row in totals:
        stage_counts[stage_of(row["xyz"]).value] += int(row["clients"])
    stage_counts[RelationshipStage.POTENTIAL.value] = await count_potential(run.run_id, scope, None)
    data.stages = stage_counts

    previous_join = (
        " LEFT JOIN client_classification b ON b.partner_id = c.partner_id AND b.run_id = ?"
    )
    listed = await fetch(
        "SELECT c.partner_id AS partner_id, p.name AS name, COALESCE(e.full_name, '') AS manager,"
        " c.abc AS abc, c.xyz AS xyz, c.relationship_stage AS stage, c.value_minor AS value,"
        " b.abc AS abc_before, b.xyz AS xyz_before"
        " FROM client_classification c JOIN partner p ON p.id = c.partner_id"
        " LEFT JOIN employee e ON e.id = p.main_manager_id"
        f"{previous_join} WHERE c.run_id = ? AND {where}"
        " ORDER BY c.value_minor DESC, p.name, c.partner_id",
        [previous.run_id if previous else "", run.run_id, *scope_args],
    )
    data.clients = [
        ClientRow(
            int(row["partner_id"]),
            row["name"],
            row["manager"],
            row["abc"],
            row["xyz"],
            row["stage"],
            int(row["value"] or 0),
            row["abc_before"],
            row["xyz_before"],
        )
        for row in listed
    ]
    changed = [
        client
        for client in data.clients
        if previous is not None
        and (client.abc_before, client.xyz_before) != (client.abc, client.xyz)
    ]
    data.moved = len(changed)
    return ReportResult(
        "abc-xyz",
        make_period(run.period_from, run.period_to, params.tz),
        headline=_headline(data, basis, method),
        tables=_tables(data, changed, previous is not None),
        data=data,
    )


def _value_param(data: AbcXyzData, value: int) -> object:
    return Money(value) if data.is_money else value


def _headline(data: AbcXyzData, basis: Basis, method: Method) -> list[Msg]:
    lines = [
        Msg(BASIS_HEADLINES[basis]),
        Msg(
            N_("Window: %(date_from)s – %(date_to)s"),
            {"date_from": data.period_from, "date_to": data.period_to},
        ),
    ]
    for row in data.abc:
        if row.key:
            lines.append(
                Msg(
                    N_("%(cls)s: %(clients)s · %(value)s (%(share)s)"),
                    {
                        "cls": row.key,
                        "clients": row.clients,
                        "value": _value_param(data, row.value),
                        "share": Ratio(row.share),
                    },
                )
            )
    stages = data.stages
    lines.append(
        Msg(
            N_(
                "Regular: %(regular)s · one-time: %(one_time)s · lost: %(lost)s"
                " · potential: %(potential)s"
            ),
            {key: stages.get(key, 0) for key in ("regular", "one_time", "lost", "potential")},
        )
    )
    if data.previous_run_id is not None:
        lines.append(
            Msg(N_("Changed class since the previous run: %(moved)s"), {"moved": data.moved})
        )
    lines.append(Msg(METHOD_TITLES[method]))
    return lines


def _class_label(cls: str) -> object:
    return cls or Msg(N_("not classified"))


def _tables(data: AbcXyzData, changed: list[ClientRow], has_previous: bool) -> list[Table]:
    value_kind = ColumnKind.MONEY if data.is_money else ColumnKind.INT
    abc_columns = [*ABC_COLUMNS[:2], Column("value", N_("Value"), value_kind), ABC_COLUMNS[3]]
    tables = [
        Table(
            "abc",
            N_("ABC classes"),
            abc_columns,
            [
                {
                    "class": _class_label(r.key),
                    "clients": r.clients,
                    "value": r.value,
                    "share": r.share,
                }
                for r in data.abc
            ],
        ),
        Table(
            "xyz",
            N_("XYZ classes"),
            abc_columns,
            [
                {
                    "class": _class_label(r.key),
                    "clients": r.clients,
                    "value": r.value,
                    "share": r.share,
                }
                for r in data.xyz
            ],
        ),
        Table(
            "clients",
            N_("Clients"),
            [
                Column("client", N_("Client")),
                Column("manager", N_("Manager")),
                Column("abc", N_("ABC")),
                Column("xyz", N_("XYZ")),
                Column("stage", N_("Relationship stage")),
                Column("value", N_("Value"), value_kind),
            ],
            [
                {
                    "client": c.name,
                    "manager": c.manager,
                    "abc": c.abc or "—",
                    "xyz": c.xyz or "—",
                    "stage": Msg(STAGE_TITLES[c.stage]),
                    "value": c.value,
                }
                for c in data.clients
            ],
            brief=("client", "abc", "xyz", "value"),
            text_rows=15,
        ),
    ]
    if has_previous:
        tables.append(
            Table(
                "changes",
                N_("Class changes"),
                [
                    Column("client", N_("Client")),
                    Column("manager", N_("Manager")),
                    Column("before", N_("Before")),
                    Column("after", N_("After")),
                ],
                [
                    {
                        "client": c.name,
                        "manager": c.manager,
                        "before": _pair(c.abc_before, c.xyz_before),
                        "after": _pair(c.abc, c.xyz),
                    }
                    for c in changed
                ],
            )
        )
    return tables


def _pair(abc: str | None, xyz: str | None) -> str:
    if abc is None and xyz is None:
        return "—"
    return f"{abc or '–'}{xyz or '–'}"


STAGE_TITLES = {
    RelationshipStage.POTENTIAL.value: N_("potential"),
    RelationshipStage.ONE_TIME.value: N_("one-time"),
    RelationshipStage.REGULAR.value: N_("regular"),
    RelationshipStage.LOST.value: N_("lost"),
}
