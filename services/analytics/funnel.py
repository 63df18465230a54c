"""Report 1, the sales funnel (1C: "Воронка продаж", reference §4), per deal kind and stage.

Source: the stage log (`deal_stage_log`), one row per (deal, stage) as 1C keeps it. A row is in
the period when it started before the period's end and ended after its start or is still open
(1C's filter). Per stage:

* reached / passed / lost there / in it now: row counts by result, and the same in potential;
* conversion = passed ÷ (passed + lost) (None while nothing was decided at the stage);
* cumulative conversion = the product of the conversions from the first stage on, i.e. the share
  of deals entering the funnel expected to get through this stage (stages with nothing decided
  are skipped);
* average, median and 90th-percentile days in the stage, exact from the timestamps, over the
  closed rows only (open rows and stages skipped on a jump are left out, unlike 1C, which
  averages open rows in as zero); percentiles interpolate linearly, like PostgreSQL's
  percentile_cont;
* bottleneck flags: the lowest pass rate of the kind, the largest lost potential of the kind,
  and an average duration above the stage's planned days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.i18n import N_
from services.analytics import register_report
from services.analytics.common import (
    Column,
    ColumnKind,
    Days,
    Money,
    Msg,
    Name,
    Period,
    Ratio,
    ReportParams,
    ReportResult,
    Scope,
    Table,
    days_between,
    dialect,
    fetch,
    in_list,
    period_of,
    ratio,
    resolve_scope,
    scope_clause,
)

FLAG_LOWEST_PASS = "lowest_pass_rate"
FLAG_LARGEST_LOST = "largest_lost"
FLAG_OVER_PLAN = "over_plan"
FLAG_LABELS = {
    FLAG_LOWEST_PASS: N_("lowest pass rate"),
    FLAG_LARGEST_LOST: N_("largest lost potential"),
    FLAG_OVER_PLAN: N_("longer than planned"),
}


@dataclass(frozen=True, slots=True)
class FunnelStage:
    stage_id: int
    code: str
    name: Name
    order: int
    planned_days: int
    reached: int = 0
    passed: int = 0
    lost: int = 0
    current: int = 0
    reached_minor: int = 0
    passed_minor: int = 0
    lost_minor: int = 0
    current_minor: int = 0
    conversion: float | None = None
    cumulative: float | None = None
    timed: int = 0  # closed rows behind the durations
    avg_days: float | None = None
    median_days: float | None = None
    p90_days: float | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FunnelKind:
    kind_id: int
    code: str
    name: Name
    stages: tuple[FunnelStage, ...]
    # deals of the kind won in the period: a manual deal may be won before the last stage, so
    # the last stage's `passed` undercounts what got through
    won: int = 0

    @property
    def entered(self) -> int:
        return self.stages[0].reached if self.stages else 0


@dataclass(frozen=True, slots=True)
class FunnelData:
    date_from: dt.date
    date_to: dt.date
    currency: str
    kinds: tuple[FunnelKind, ...] = field(default_factory=tuple)


def _filters(period: Period, scope: Scope, stage_ids: list[int] | None) -> tuple[str, str, list]:
    """(JOIN, WHERE, args) shared by the funnel's queries."""
    where = ["l.entered_at < ?", "(l.left_at >= ? OR l.left_at IS NULL)"]
    args: list = [period.end, period.start]
    join = ""
    if stage_ids is not None:
        clause, ids = in_list("l.stage_id", stage_ids)
        where.append(clause)
        args += ids
    if not scope.everyone:
        join = "JOIN deal d ON d.id = l.deal_id"
        clause, ids = scope_clause("d.owner_id", scope)
        where.append(clause)
        args += ids
    return join, " AND ".join(where), args


async def compute_funnel(
    period: Period, scope: Scope, kind_id: int | None = None, currency: str = "UAH"
) -> FunnelData:
    """The funnel figures for a period and scope (all kinds, or one)."""
    from models import DealKind, Stage

    stage_query = Stage.all() if kind_id is None else Stage.filter(kind_id=kind_id)
    stages = await stage_query.order_by("kind_id", "order", "id").values(
        "id", "kind_id", "code", "name_uk", "name_en", "order", "planned_days", "retired"
    )
    stage_ids = None if kind_id is None else [s["id"] for s in stages]
    join, where, args = _filters(period, scope, stage_ids)
    db = dialect()
    if db == "postgres":
        counts = await _stage_figures_pg(join, where, args)
        quantiles = {
            row["stage_id"]: {"median": float(row["median"]), "p90": float(row["p90"])}
            for row in counts
            if row["median"] is not None
        }
    else:
        counts = await _stage_figures(db, join, where, args)
        quantiles = {
            row["stage_id"]: {
                "median": _interpolate({0: row["m_lo"], 1: row["m_hi"]}, int(row["n"]), 0.5),
                "p90": _interpolate({0: row["p_lo"], 1: row["p_hi"]}, int(row["n"]), 0.9),
            }
            for row in counts
            if row["n"]
        }
    by_stage = {row["stage_id"]: row for row in counts}
    kinds_seen = {s["kind_id"] for s in stages if s["id"] in by_stage or kind_id is not None}
    kinds = (
        await DealKind.filter(id__in=kinds_seen)
        .order_by("id")
        .values("id", "code", "name_uk", "name_en")
    )
    won = await _won_by_kind(period, scope, [k["id"] for k in kinds])
    result = []
    for kind in kinds:
        rows = [
            _stage(s, by_stage.get(s["id"]), quantiles.get(s["id"], {}))
            for s in stages
            if s["kind_id"] == kind["id"] and (not s["retired"] or s["id"] in by_stage)
        ]
        result.append(
            FunnelKind(
                kind["id"],
                kind["code"],
                Name(kind["name_uk"], kind["name_en"]),
                _flag(rows),
                won.get(kind["id"], 0),
            )
        )
    return FunnelData(period.date_from, period.date_to, currency, tuple(result))


async def _won_by_kind(period: Period, scope: Scope, kind_ids: list[int]) -> dict[int, int]:
    """Deals won within the period, per kind (one grouped count)."""
    kinds, kind_args = in_list("d.kind_id", kind_ids)
    owners, owner_args = scope_clause("d.owner_id", scope)
    rows = await fetch(
        f"""
        SELECT d.kind_id AS kind_id, COUNT(*) AS won
        FROM deal d
        WHERE d.status = 'won' AND d.ended_at >= ? AND d.ended_at < ? AND {kinds} AND {owners}
        GROUP BY d.kind_id
        """,
        [period.start, period.end, *kind_args, *owner_args],
    )
    return {int(row["kind_id"]): int(row["won"]) for row in rows}


async def _stage_figures(db: str, join: str, where: str, args: list) -> list[dict]:
    """Everything per stage in one pass: counts and sums by result, the average of the closed
    rows' days, and the rows the median and the 90th percentile interpolate between (the closed
    rows' days numbered in order per stage, the two neighbours of each percentile picked by
    conditional aggregation). `stage_id + 0` keeps SQLite from walking the (stage, result)
    index for the grouping, which costs a random table read per row (3x slower)."""
    days = days_between("l.left_at", "l.entered_at", db)
    return await fetch(
        f"""
        WITH r AS (
            SELECT l.stage_id + 0 AS stage_id, l.result AS result, l.potential_minor AS pot,
                   CASE WHEN l.left_at IS NOT NULL AND l.skipped = ? THEN {days} END AS days
            FROM deal_stage_log l {join}
            WHERE {where}
        ), t AS (
            SELECT r.stage_id, r.result, r.pot, r.days,
                   ROW_NUMBER() OVER (PARTITION BY r.stage_id, r.days IS NULL
                                      ORDER BY r.days) - 1 AS k,
                   COUNT(r.days) OVER (PARTITION BY r.stage_id) AS n
            FROM r
        )
        SELECT t.stage_id AS stage_id,
               COUNT(*) AS reached,
               SUM(CASE WHEN t.result = 'passed' THEN 1 ELSE 0 END) AS passed,
               SUM(CASE WHEN t.result = 'lost' THEN 1 ELSE 0 END) AS lost,
               SUM(CASE WHEN t.result = 'current' THEN 1 ELSE 0 END) AS cur,
               SUM(t.pot) AS reached_minor,
               SUM(CASE WHEN t.result = 'passed' THEN t.pot ELSE 0 END) AS passed_minor,
               SUM(CASE WHEN t.result = 'lost' THEN t.pot ELSE 0 END) AS lost_minor,
               SUM(CASE WHEN t.result = 'current' THEN t.pot ELSE 0 END) AS cur_minor,
               COUNT(t.days) AS timed,
               AVG(t.days) AS avg_days,
               MAX(t.n) AS n,
               MAX(CASE WHEN t.days IS NOT NULL AND t.k = (t.n - 1) / 2 THEN t.days END) AS m_lo,
               MAX(CASE WHEN t.days IS NOT NULL AND t.k = t.n / 2 THEN t.days END) AS m_hi,
               MAX(CASE WHEN t.days IS NOT NULL AND t.k = ((t.n - 1) * 9) / 10 THEN t.days END)
                   AS p_lo,
               MAX(CASE WHEN t.days IS NOT NULL AND t.k = ((t.n - 1) * 9 + 9) / 10
                        THEN t.days END) AS p_hi
        FROM t
        GROUP BY t.stage_id
        """,
        [False, *args],
    )


async def _stage_figures_pg(join: str, where: str, args: list) -> list[dict]:
    """The same on PostgreSQL, whose percentile_cont (linear interpolation, NULLs ignored)
    gives the median and the 90th percentile directly."""
    days = days_between("l.left_at", "l.entered_at", "postgres")
    timed = f"CASE WHEN l.left_at IS NOT NULL AND NOT l.skipped THEN {days} END"
    return await fetch(
        f"""
        SELECT l.stage_id AS stage_id,
               COUNT(*) AS reached,
               SUM(CASE WHEN l.result = 'passed' THEN 1 ELSE 0 END) AS passed,
               SUM(CASE WHEN l.result = 'lost' THEN 1 ELSE 0 END) AS lost,
               SUM(CASE WHEN l.result = 'current' THEN 1 ELSE 0 END) AS cur,
               SUM(l.potential_minor) AS reached_minor,
               SUM(CASE WHEN l.result = 'passed' THEN l.potential_minor ELSE 0 END) AS passed_minor,
               SUM(CASE WHEN l.result = 'lost' THEN l.potential_minor ELSE 0 END) AS lost_minor,
               SUM(CASE WHEN l.result = 'current' THEN l.potential_minor ELSE 0 END) AS cur_minor,
               COUNT({timed}) AS timed,
               AVG({timed}) AS avg_days,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY {timed}) AS median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY {timed}) AS p90
        FROM deal_stage_log l {join}
        WHERE {where}
        GROUP BY l.stage_id
        """,
        args,
    )


def _interpolate(ends: dict[int, float | None], n: int, q: float) -> float:
    """Linear interpolation between the two ranks around (n - 1) * q (ends[0] below, ends[1]
    above), as PostgreSQL's percentile_cont."""
    position = (n - 1) * q
    fraction = position - int(position)
    low, high = float(ends[0]), float(ends[1] if ends[1] is not None else ends[0])
    return low + (high - low) * fraction


def _stage(meta: dict, row: dict | None, quantiles: dict[str, float]) -> FunnelStage:
    base = FunnelStage(
        stage_id=meta["id"],
        code=meta["code"],
        name=Name(meta["name_uk"], meta["name_en"]),
        order=meta["order"],
        planned_days=meta["planned_days"],
    )
    if row is None:
        return base
    passed, lost = int(row["passed"] or 0), int(row["lost"] or 0)
    avg = row["avg_days"]
    return FunnelStage(
        stage_id=base.stage_id,
        code=base.code,
        name=base.name,
        order=base.order,
        planned_days=base.planned_days,
        reached=int(row["reached"]),
        passed=passed,
        lost=lost,
        current=int(row["cur"] or 0),
        reached_minor=int(row["reached_minor"] or 0),
        passed_minor=int(row["passed_minor"] or 0),
        lost_minor=int(row["lost_minor"] or 0),
        current_minor=int(row["cur_minor"] or 0),
        conversion=ratio(passed, passed + lost),
        timed=int(row["timed"] or 0),
        avg_days=None if avg is None else float(avg),
        median_days=quantiles.get("median"),
        p90_days=quantiles.get("p90"),
    )


def _flag(stages: list[FunnelStage]) -> tuple[FunnelStage, ...]:
    """Cumulative conversion and the bottleneck flags of one kind's stages."""
    rates = [s.conversion for s in stages if s.conversion is not None]
    lowest = min(rates) if len(set(rates)) > 1 else None
    lost_max = max((s.lost_minor for s in stages), default=0)
    cumulative: float | None = None
    out = []
    for stage in stages:
        if stage.conversion is not None:
            cumulative = stage.conversion if cumulative is None else cumulative * stage.conversion
        flags = []
        if lowest is not None and stage.conversion == lowest:
            flags.append(FLAG_LOWEST_PASS)
        if lost_max > 0 and stage.lost_minor == lost_max:
            flags.append(FLAG_LARGEST_LOST)
        if (
            stage.planned_days > 0
            and stage.avg_days is not None
            and (stage.avg_days > stage.planned_days)
        ):
            flags.append(FLAG_OVER_PLAN)
        out.append(_replace(stage, cumulative=cumulative, flags=tuple(flags)))
    return tuple(out)


def _replace(stage: FunnelStage, **changes: object) -> FunnelStage:
    from dataclasses import replace

    return replace(stage, **changes)


# --- the registered report -----------------------------------------------------------------------

COLUMNS = [
    Column("kind", N_("Deal kind")),
    Column("stage", N_("Stage")),
    Column("reached", N_("Reached"), ColumnKind.INT),
    Column("passed", N_("Passed"), ColumnKind.INT),
    Column("lost", N_("Lost there"), ColumnKind.INT),
    Column("current", N_("In progress"), ColumnKind.INT),
    Column("conversion", N_("Conversion"), ColumnKind.RATIO),
    Column("cumulative", N_("Cumulative conversion"), ColumnKind.RATIO),
    Column("reached_minor", N_("Potential reached"), ColumnKind.MONEY),
    Column("passed_minor", N_("Potential passed"), ColumnKind.MONEY),
    Column("lost_minor", N_("Potential lost"), ColumnKind.MONEY),
    Column("current_minor", N_("Potential in progress"), ColumnKind.MONEY),
    Column("avg_days", N_("Average days"), ColumnKind.DAYS),
    Column("median_days", N_("Median days"), ColumnKind.DAYS),
    Column("p90_days", N_("90th percentile days"), ColumnKind.DAYS),
    Column("planned_days", N_("Planned days"), ColumnKind.INT),
    Column("flags", N_("Bottleneck"), ColumnKind.FLAG),
]


def funnel_tables(data: FunnelData) -> list[Table]:
    """One table per deal kind (its stages differ)."""
    tables = []
    for kind in data.kinds:
        rows = []
        for s in kind.stages:
            rows.append(
                {
                    "kind": kind.name,
                    "stage": s.name,
                    "reached": s.reached,
                    "passed": s.passed,
                    "lost": s.lost,
                    "current": s.current,
                    "conversion": s.conversion,
                    "cumulative": s.cumulative,
                    "reached_minor": s.reached_minor,
                    "passed_minor": s.passed_minor,
                    "lost_minor": s.lost_minor,
                    "current_minor": s.current_minor,
                    "avg_days": s.avg_days,
                    "median_days": s.median_days,
                    "p90_days": s.p90_days,
                    "planned_days": s.planned_days or None,
                    "flags": [Msg(FLAG_LABELS[f]) for f in s.flags],
                }
            )
        tables.append(
            Table(
                f"funnel_{kind.code}",
                Msg(N_("Funnel: %(kind)s"), {"kind": kind.name}),
                COLUMNS,
                rows,
                currency=data.currency,
                brief=("stage", "reached", "passed", "conversion", "avg_days"),
            )
        )
    return tables


def funnel_headline(data: FunnelData) -> list[Msg]:
    """Per kind: deals in and through, the money in progress, then the bottlenecks."""
    lines: list[Msg] = []
    money = data.currency
    for kind in data.kinds:
        if not kind.stages or not kind.entered:
            continue
        last = kind.stages[-1]
        lines.append(
            Msg(
                N_("%(kind)s: entered %(entered)s, through the funnel %(won)s (%(rate)s)"),
                {
                    "kind": kind.name,
                    "entered": kind.entered,
                    "won": kind.won,
                    "rate": Ratio(last.cumulative),
                },
            )
        )
        lines.append(
            Msg(
                N_("In progress: %(amount)s (deals: %(count)s)"),
                {
                    "count": sum(s.current for s in kind.stages),
                    "amount": Money(sum(s.current_minor for s in kind.stages), money),
                },
            )
        )
        for stage in kind.stages:
            if FLAG_LOWEST_PASS in stage.flags:
                lines.append(
                    Msg(
                        N_("Lowest pass rate: %(stage)s, %(rate)s"),
                        {"stage": stage.name, "rate": Ratio(stage.conversion)},
                    )
                )
        for stage in kind.stages:
            if FLAG_LARGEST_LOST in stage.flags:
                lines.append(
                    Msg(
                        N_("Most potential lost at: %(stage)s, %(amount)s"),
                        {"stage": stage.name, "amount": Money(stage.lost_minor, money)},
                    )
                )
        slow = [s for s in kind.stages if FLAG_OVER_PLAN in s.flags]
        if slow:
            worst = max(slow, key=lambda s: (s.avg_days or 0) / s.planned_days)
            lines.append(
                Msg(
                    N_(
                        "Slower than planned (stages: %(count)s of %(total)s), most: %(stage)s, "
                        "%(days)s instead of %(plan)s"
                    ),
                    {
                        "count": len(slow),
                        "total": len(kind.stages),
                        "stage": worst.name,
                        "days": Days(worst.avg_days),
                        "plan": Days(worst.planned_days),
                    },
                )
            )
    if not lines:
        lines.append(Msg(N_("No deals in this period.")))
    return lines


@register_report(
    "funnel",
    title=N_("Sales funnel"),
    description=N_("Deals reached, passed and lost per stage, conversion, days, bottlenecks"),
    chart="charts.funnel:funnel_png",
    order=1,
)
async def funnel_report(params: ReportParams) -> ReportResult:
    from core.config import get_settings

    period = period_of(params)
    scope = await resolve_scope(params)
    data = await compute_funnel(period, scope, params.kind_id, get_settings().currency)
    return ReportResult(
        "funnel", period, headline=funnel_headline(data), tables=funnel_tables(data), data=data
    )
