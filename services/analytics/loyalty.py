"""Client loyalty (report 6), 1C's "Лояльность клиентов (XYZ)" and "Повторные продажи"
(reference §14).

1. Relationship stages over time: for each stored classification run (basis and cut from the
   options, windows ending in the asked period, or the last 12 runs up to `date_to`), the
   clients that are potential (never classified, counted among the clients that existed at the
   end of the window), one-time (Z), regular (X and Y apart) and lost.
2. Repeat sales: every client with posted shipments (of a positive amount) up to a date, by the
   number of purchases (new = 1, promising = 2–7, loyal = more than 7: 1C checks "2..7" first,
   so 7 purchases are still "promising") × days since the last purchase (active < 30, falling
   asleep 30–50, sleeping > 50). The grid is taken at the start of the period (purchases before
   `date_from`, days counted to `date_from`) and at its end (purchases up to `date_to`, days
   to `date_to`); the movements say how many clients went from which cell to which, with
   clients who bought for the first time coming from nowhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.i18n import N_
from services.analytics import (
    Column,
    ColumnKind,
    Msg,
    Ratio,
    ReportParams,
    ReportResult,
    Table,
    period_of,
    register_report,
    resolve_scope,
)
from services.analytics.abc_xyz import (
    RunInfo,
    count_potential,
    day_arg,
    list_stored_runs,
    parse_basis,
    parse_method,
    partner_scope_sql,
)
from services.analytics.common import Scope, dialect, fetch

MAX_POINTS = 12
# 1C's defaults (ПовторныеПродажи): purchases 1 / 2..7 / more; days < 30 / 30..50 / > 50.
NEW_PURCHASES = 1
PROMISING_UP_TO = 7
ACTIVE_BELOW_DAYS = 30
ASLEEP_UP_TO_DAYS = 50

ROW_KEYS = ("new", "promising", "loyal")
COL_KEYS = ("active", "falling_asleep", "sleeping")
ROW_TITLES = {
    "new": N_("New (1 purchase)"),
    "promising": N_("Promising (2–7)"),
    "loyal": N_("Loyal (more than 7)"),
}
COL_TITLES = {
    "active": N_("Active (< 30 days)"),
    "falling_asleep": N_("Falling asleep (30–50 days)"),
    "sleeping": N_("Sleeping (> 50 days)"),
}
ROW_SHORT = {"new": N_("new"), "promising": N_("promising"), "loyal": N_("loyal")}
COL_SHORT = {
    "active": N_("active"),
    "falling_asleep": N_("falling asleep"),
    "sleeping": N_("sleeping"),
}
NOWHERE = N_("first purchase")


@dataclass(slots=True)
class StagePoint:
    """Clients by relationship stage in one classification run."""

    run_id: str
    period_to: dt.date
    potential: int = 0
    one_time: int = 0
    regular_x: int = 0
    regular_y: int = 0
    lost: int = 0

    @property
    def regular(self) -> int:
        return self.regular_x + self.regular_y

    @property
    def total(self) -> int:
        return self.potential + self.one_time + self.regular + self.lost


@dataclass(slots=True)
class Movement:
    """Clients that moved between grid cells; `source` None = first purchase in the period.
    `share` is of the clients that were in the source cell at the start."""

    source: int | None  # cell index row * 3 + column
    target: int
    clients: int
    share: float | None


@dataclass(slots=True)
class LoyaltyData:
    basis: str
    method: str
    date_from: dt.date
    date_to: dt.date
    points: list[StagePoint] = field(default_factory=list)  # oldest first
    start: list[list[int]] = field(default_factory=lambda: [[0] * 3 for _ in range(3)])
    end: list[list[int]] = field(default_factory=lambda: [[0] * 3 for _ in range(3)])
    movements: list[Movement] = field(default_factory=list)  # biggest first, staying put excluded
    stayed: int = 0  # clients in the same cell at both ends
    first_buyers: int = 0


def cell_key(index: int) -> str:
    return f"{ROW_KEYS[index // 3]}/{COL_KEYS[index % 3]}"


def grid_cell(purchases: int, days: int) -> int:
    """The cell index (row * 3 + column) of a client; the plain-Python statement of the rule."""
    row = 0 if purchases <= NEW_PURCHASES else 1 if purchases <= PROMISING_UP_TO else 2
    column = 0 if days < ACTIVE_BELOW_DAYS else 1 if days <= ASLEEP_UP_TO_DAYS else 2
    return row * 3 + column


async def stage_points(runs: list[RunInfo], scope: Scope) -> list[StagePoint]:
    if not runs:
        return []
    where, scope_args = partner_scope_sql(scope)
    marks = ", ".join("?" for _ in runs)
    rows = await fetch(
        "SELECT c.run_id AS run_id, c.xyz AS xyz, COUNT(*) AS clients"
        " FROM client_classification c JOIN partner p ON p.id = c.partner_id"
        f" WHERE c.run_id IN ({marks}) AND {where} GROUP BY c.run_id, c.xyz",
        [*(run.run_id for run in runs), *scope_args],
    )
    points = {run.run_id: StagePoint(run.run_id, run.period_to) for run in runs}
    for row in rows:
        point, clients = points[row["run_id"]], int(row["clients"])
        if row["xyz"] == "X":
            point.regular_x += clients
        elif row["xyz"] == "Y":
            point.regular_y += clients
        elif row["xyz"] == "Z":
            point.one_time += clients
        else:
            point.lost += clients
    for run in runs:
        points[run.run_id].potential = await count_potential(
            run.run_id, scope, run.period_to + dt.timedelta(days=1)
        )
    return sorted(points.values(), key=lambda point: (point.period_to, point.run_id))


def _days_sql(db: str, column: str) -> str:
    """Whole days from the DATE `column` to the date parameter."""
    if db == "sqlite":
        return f"CAST(julianday(?) - julianday({column}) AS INTEGER)"
    return f"(CAST(? AS DATE) - {column})"


def _cell_sql(count: str, days: str) -> str:
    return (
        f"(CASE WHEN {count} <= {NEW_PURCHASES} THEN 0"
        f" WHEN {count} <= {PROMISING_UP_TO} THEN 1 ELSE 2 END) * 3"
        f" + (CASE WHEN {days} < {ACTIVE_BELOW_DAYS} THEN 0"
        f" WHEN {days} <= {ASLEEP_UP_TO_DAYS} THEN 1 ELSE 2 END)"
    )


async def repeat_sales(date_from: dt.date, date_to: dt.date, scope: Scope) -> list[dict]:
    """(start cell or -1, end cell, clients) for every client with purchases up to date_to."""
    db = dialect()
    where, scope_args = partner_scope_sql(scope)
    start = _cell_sql("v.n_before", "v.d_before")
    end = _cell_sql("v.n_end", "v.d_end")
    sql = (
        "SELECT u.start_cell AS start_cell, u.end_cell AS end_cell, COUNT(*) AS clients FROM ("
        f" SELECT CASE WHEN v.n_before = 0 THEN -1 ELSE {start} END AS start_cell,"
        f" {end} AS end_cell FROM ("
        " SELECT t.n_before AS n_before, t.n_end AS n_end,"
        f" {_days_sql(db, 't.last_before')} AS d_before,"
        f" {_days_sql(db, 't.last_end')} AS d_end FROM ("
        " SELECT s.partner_id AS partner_id,"
        " SUM(CASE WHEN s.date < ? THEN 1 ELSE 0 END) AS n_before,"
        " MAX(CASE WHEN s.date < ? THEN s.date END) AS last_before,"
        " COUNT(*) AS n_end, MAX(s.date) AS last_end"
        " FROM shipment s JOIN partner p ON p.id = s.partner_id"
        " WHERE s.status = 'posted' AND s.amount_minor > 0 AND s.date <= ?"
        f" AND {where} GROUP BY s.partner_id) t) v) u"
        " GROUP BY u.start_cell, u.end_cell"
    )
    start_day, end_day = day_arg(db, date_from), day_arg(db, date_to)
    args = [start_day, end_day, start_day, start_day, end_day, *scope_args]
    return await fetch(sql, args)


@register_report(
    "loyalty",
    title=N_("Client loyalty"),
    description=N_("Relationship stages over time and the repeat-sales grid"),
    chart="charts.loyalty:loyalty_png",
    order=6,
)
async def loyalty_report(params: ReportParams) -> ReportResult:
    scope = await resolve_scope(params)
    period = period_of(params)
    basis = parse_basis(params.options.get("basis"))
    method = parse_method(params.options.get("method"))
    data = LoyaltyData(basis.value, method.value, period.date_from, period.date_to)

    if params.date_from is not None:
        runs = await list_stored_runs(
            basis, method, after=period.date_from, on_or_before=period.date_to
        )
        runs = runs[:MAX_POINTS]
    else:
        runs = await list_stored_runs(basis, method, on_or_before=period.date_to, limit=MAX_POINTS)
    data.points = await stage_points(_one_per_window(runs), scope)

    starting = [0] * 9
    for row in await repeat_sales(period.date_from, period.date_to, scope):
        source, target, clients = int(row["start_cell"]), int(row["end_cell"]), int(row["clients"])
        data.end[target // 3][target % 3] += clients
        if source >= 0:
            data.start[source // 3][source % 3] += clients
            starting[source] += clients
        if source == target:
            data.stayed += clients
        else:
            data.movements.append(Movement(None if source < 0 else source, target, clients, None))
        if source < 0:
            data.first_buyers += clients
    for move in data.movements:
        if move.source is not None:
            move.share = move.clients / starting[move.source] if starting[move.source] else None
    data.movements.sort(key=lambda m: (-m.clients, -1 if m.source is None else m.source, m.target))
    return ReportResult(
        "loyalty", period, headline=_headline(data), tables=_tables(data), data=data
    )


def _one_per_window(runs: list[RunInfo]) -> list[RunInfo]:
    """Runs of the same window with other ABC months tell the same stages: keep the newest."""
    seen: set[tuple[dt.date, dt.date]] = set()
    kept = []
    for run in runs:
        if (run.period_from, run.period_to) not in seen:
            seen.add((run.period_from, run.period_to))
            kept.append(run)
    return kept


def _headline(data: LoyaltyData) -> list[Msg]:
    lines: list[Msg] = []
    if data.points:
        last = data.points[-1]
        lines.append(
            Msg(
                N_("Regular: %(regular)s (%(share)s) · one-time: %(one_time)s · lost: %(lost)s"),
                {
                    "regular": last.regular,
                    "share": Ratio(last.regular / last.total if last.total else None),
                    "one_time": last.one_time,
                    "lost": last.lost,
                },
            )
        )
        if len(data.points) > 1:
            first = data.points[0]
            lines.append(
                Msg(
                    N_("On %(since)s: regular %(regular)s, lost %(lost)s"),
                    {"since": first.period_to, "regular": first.regular, "lost": first.lost},
                )
            )
    else:
        lines.append(Msg(N_("No classification yet: run `crm classify` first.")))
    active = sum(data.end[row][0] for row in range(3))
    asleep = sum(data.end[row][1] for row in range(3))
    sleeping = sum(data.end[row][2] for row in range(3))
    lines.append(
        Msg(
            N_("Buyers: active %(active)s · falling asleep %(asleep)s · sleeping %(sleeping)s"),
            {"active": active, "asleep": asleep, "sleeping": sleeping},
        )
    )
    lines.append(Msg(N_("First purchase in the period: %(count)s"), {"count": data.first_buyers}))
    return lines


def _tables(data: LoyaltyData) -> list[Table]:
    stage_columns = [
        Column("date", N_("Classification date"), ColumnKind.DATE),
        Column("potential", N_("Potential"), ColumnKind.INT),
        Column("one_time", N_("One-time"), ColumnKind.INT),
        Column("regular_x", N_("Regular X"), ColumnKind.INT),
        Column("regular_y", N_("Regular Y"), ColumnKind.INT),
        Column("lost", N_("Lost"), ColumnKind.INT),
        Column("regular_share", N_("Regular share"), ColumnKind.RATIO),
    ]
    grid_columns = [Column("purchases", N_("Purchases"))] + [
        Column(key, COL_TITLES[key], ColumnKind.INT) for key in COL_KEYS
    ]

    def grid_rows(grid: list[list[int]]) -> list[dict]:
        return [
            {"purchases": Msg(ROW_TITLES[row]), **dict(zip(COL_KEYS, grid[i], strict=True))}
            for i, row in enumerate(ROW_KEYS)
        ]

    def cell_of(index: int | None) -> Msg:
        if index is None:
            return Msg(NOWHERE)
        return Msg(
            N_("%(purchases)s, %(recency)s"),
            {
                "purchases": Msg(ROW_SHORT[ROW_KEYS[index // 3]]),
                "recency": Msg(COL_SHORT[COL_KEYS[index % 3]]),
            },
        )

    return [
        Table(
            "stages",
            N_("Relationship stages"),
            stage_columns,
            [
                {
                    "date": p.period_to,
                    "potential": p.potential,
                    "one_time": p.one_time,
                    "regular_x": p.regular_x,
                    "regular_y": p.regular_y,
                    "lost": p.lost,
                    "regular_share": p.regular / p.total if p.total else None,
                }
                for p in data.points
            ],
        ),
        Table("grid_start", N_("Repeat sales at the start"), grid_columns, grid_rows(data.start)),
        Table("grid_end", N_("Repeat sales at the end"), grid_columns, grid_rows(data.end)),
        Table(
            "movements",
            N_("Movements"),
            [
                Column("source", N_("From")),
                Column("target", N_("To")),
                Column("clients", N_("Clients"), ColumnKind.INT),
                Column("share", N_("Share of the cell"), ColumnKind.RATIO),
            ],
            [
                {
                    "source": cell_of(m.source),
                    "target": cell_of(m.target),
                    "clients": m.clients,
                    "share": m.share,
                }
                for m in data.movements
            ],
            text_rows=10,
        ),
    ]


__all__ = [
    "LoyaltyData",
    "Movement",
    "StagePoint",
    "cell_key",
    "grid_cell",
    "loyalty_report",
]
