"""Report 3, lost deals (1C: "Анализ причин проигрыша сделок", reference §6).

Deals lost within the period (status lost, ended in the period), by loss reason × manager and
loss reason × client, counted and in lost potential; the stages they were lost at (the top
five by count); and the competitors: for each competitor that took part in deals finished in
the period, how many of them it won (flagged `won_the_deal` on a lost deal) and how many we won;
its win rate against us = its wins ÷ the finished deals it took part in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.i18n import N_
from services.analytics import register_report
from services.analytics.common import (
    Column,
    ColumnKind,
    Money,
    Msg,
    Name,
    Period,
    Ratio,
    ReportParams,
    ReportResult,
    Scope,
    Table,
    fetch,
    period_of,
    ratio,
    resolve_scope,
    scope_clause,
)

TOP_STAGES = 5
NO_REASON = Msg(N_("No reason given"))


@dataclass(frozen=True, slots=True)
class ReasonTotal:
    reason_id: int | None
    reason: Name | Msg  # Msg when no reason was given
    count: int
    lost_minor: int
    share: float | None  # of the lost deals


@dataclass(frozen=True, slots=True)
class ReasonCell:
    reason_id: int | None
    reason: Name | Msg
    other_id: int | None  # the manager or the client
    other_name: str
    count: int
    lost_minor: int


@dataclass(frozen=True, slots=True)
class CompetitorRow:
    partner_id: int
    name: str
    met: int  # finished deals it took part in
    won_against_us: int
    we_won: int
    win_rate: float | None
    lost_minor: int  # our potential it took


@dataclass(frozen=True, slots=True)
class LossStage:
    stage_id: int
    kind: Name
    stage: Name
    count: int
    lost_minor: int


@dataclass(frozen=True, slots=True)
class LostData:
    date_from: dt.date
    date_to: dt.date
    currency: str
    total_count: int
    total_minor: int
    reasons: tuple[ReasonTotal, ...]
    by_manager: tuple[ReasonCell, ...]
    by_partner: tuple[ReasonCell, ...]
    competitors: tuple[CompetitorRow, ...]
    stages: tuple[LossStage, ...]


def _where(period: Period, scope: Scope, kind_id: int | None, statuses: str) -> tuple[str, list]:
    where = [f"d.status IN ({statuses})", "d.ended_at >= ?", "d.ended_at < ?"]
    args: list = [period.start, period.end]
    if kind_id is not None:
        where.append("d.kind_id = ?")
        args.append(kind_id)
    clause, ids = scope_clause("d.owner_id", scope)
    where.append(clause)
    args += ids
    return " AND ".join(where), args


async def compute_lost(
    period: Period, scope: Scope, kind_id: int | None = None, currency: str = "UAH"
) -> LostData:
    from models import LossReason, Stage

    where, args = _where(period, scope, kind_id, "'lost'")
    by_owner = await fetch(
        f"""
        SELECT d.loss_reason_id AS reason_id, d.owner_id AS other_id, e.full_name AS name,
               COUNT(*) AS n, SUM(d.potential_minor) AS pot
        FROM deal d LEFT JOIN employee e ON e.id = d.owner_id
        WHERE {where}
        GROUP BY d.loss_reason_id, d.owner_id, e.full_name
        """,
        args,
    )
    by_partner = await fetch(
        f"""
        SELECT d.loss_reason_id AS reason_id, d.partner_id AS other_id, pt.name AS name,
               COUNT(*) AS n, SUM(d.potential_minor) AS pot
        FROM deal d LEFT JOIN partner pt ON pt.id = d.partner_id
        WHERE {where}
        GROUP BY d.loss_reason_id, d.partner_id, pt.name
        """,
        args,
    )
    stage_rows = await fetch(
        f"""
        SELECT l.stage_id AS stage_id, COUNT(*) AS n, SUM(l.potential_minor) AS pot
        FROM deal_stage_log l JOIN deal d ON d.id = l.deal_id
        WHERE l.result = 'lost' AND {where}
        GROUP BY l.stage_id
        ORDER BY COUNT(*) DESC, SUM(l.potential_minor) DESC, l.stage_id
        LIMIT {TOP_STAGES}
        """,
        args,
    )
    finished, finished_args = _where(period, scope, kind_id, "'won', 'lost'")
    competitor_rows = await fetch(
        f"""
        SELECT p.partner_id AS partner_id, pt.name AS name,
               COUNT(DISTINCT d.id) AS met,
               COUNT(DISTINCT CASE WHEN d.status = 'lost' AND p.won_the_deal = ? THEN d.id END)
                   AS they_won,
               COUNT(DISTINCT CASE WHEN d.status = 'won' THEN d.id END) AS we_won,
               SUM(CASE WHEN d.status = 'lost' AND p.won_the_deal = ? THEN d.potential_minor
                   ELSE 0 END) AS pot
        FROM deal_participant p JOIN deal d ON d.id = p.deal_id
        LEFT JOIN partner pt ON pt.id = p.partner_id
        WHERE p.role = 'competitor' AND p.partner_id IS NOT NULL AND {finished}
        GROUP BY p.partner_id, pt.name
        """,
        [True, True, *finished_args],
    )

    reasons = {
        r["id"]: Name(r["name_uk"], r["name_en"])
        for r in await LossReason.all().values("id", "name_uk", "name_en")
    }
    stage_meta = {
        s["id"]: s
        for s in await Stage.filter(id__in=[r["stage_id"] for r in stage_rows]).values(
            "id", "name_uk", "name_en", "kind__name_uk", "kind__name_en"
        )
    }

    def reason_name(reason_id: int | None) -> Name | Msg:
        return reasons.get(reason_id, NO_REASON) if reason_id is not None else NO_REASON

    totals: dict[int | None, list[int]] = {}
    for row in by_owner:
        t = totals.setdefault(row["reason_id"], [0, 0])
        t[0] += int(row["n"])
        t[1] += int(row["pot"] or 0)
    total_count = sum(t[0] for t in totals.values())
    total_minor = sum(t[1] for t in totals.values())
    reason_totals = tuple(sorted(
        (ReasonTotal(rid, reason_name(rid), n, pot, ratio(n, total_count))
         for rid, (n, pot) in totals.items()),
        key=lambda r: (-r.count, -r.lost_minor, r.reason_id or 0),
    ))
    order = {r.reason_id: i for i, r in enumerate(reason_totals)}

    def cells(rows: list[dict]) -> tuple[ReasonCell, ...]:
        out = [
            ReasonCell(r["reason_id"], reason_name(r["reason_id"]), r["other_id"],
                       r["name"] or "", int(r["n"]), int(r["pot"] or 0))
            for r in rows
        ]
        return tuple(sorted(out, key=lambda c: (order[c.reason_id], -c.count, -c.lost_minor,
                                                c.other_name)))

    competitors = tuple(sorted(
        (CompetitorRow(r["partner_id"], r["name"] or "", int(r["met"]),
                       int(r["they_won"]), int(r["we_won"]),
                       ratio(int(r["they_won"]), int(r["met"])), int(r["pot"] or 0))
         for r in competitor_rows),
        key=lambda c: (-c.won_against_us, -(c.win_rate or 0), c.name),
    ))
    stages = tuple(
        LossStage(
            r["stage_id"],
            Name(stage_meta[r["stage_id"]]["kind__name_uk"],
                 stage_meta[r["stage_id"]]["kind__name_en"]),
            Name(stage_meta[r["stage_id"]]["name_uk"], stage_meta[r["stage_id"]]["name_en"]),
            int(r["n"]),
            int(r["pot"] or 0),
        )
        for r in stage_rows
    )
    return LostData(
        period.date_from, period.date_to, currency, total_count, total_minor, reason_totals,
        cells(by_owner), cells(by_partner), competitors, stages,
    )


# --- the registered report -----------------------------------------------------------------------


def lost_tables(data: LostData) -> list[Table]:
    money = data.currency
    cell_columns = [
        Column("reason", N_("Loss reason")),
        Column("who", N_("Manager")),
        Column("count", N_("Deals"), ColumnKind.INT),
        Column("lost_minor", N_("Lost potential"), ColumnKind.MONEY),
    ]
    partner_columns = [cell_columns[0], Column("who", N_("Client")), *cell_columns[2:]]
    return [
        Table("reasons", N_("Loss reasons"), [
            Column("reason", N_("Loss reason")),
            Column("count", N_("Deals"), ColumnKind.INT),
            Column("share", N_("Share"), ColumnKind.RATIO),
            Column("lost_minor", N_("Lost potential"), ColumnKind.MONEY),
        ], [{"reason": r.reason, "count": r.count, "share": r.share, "lost_minor": r.lost_minor}
            for r in data.reasons], currency=money),
        Table("stages", N_("Top five stages of loss"), [
            Column("stage", N_("Stage")),
            Column("kind", N_("Deal kind")),
            Column("count", N_("Deals"), ColumnKind.INT),
            Column("lost_minor", N_("Lost potential"), ColumnKind.MONEY),
        ], [{"stage": s.stage, "kind": s.kind, "count": s.count, "lost_minor": s.lost_minor}
            for s in data.stages], currency=money),
        Table("competitors", N_("Competitors"), [
            Column("name", N_("Competitor")),
            Column("met", N_("Deals together"), ColumnKind.INT),
            Column("won_against_us", N_("Won by them"), ColumnKind.INT),
            Column("we_won", N_("Won by us"), ColumnKind.INT),
            Column("win_rate", N_("Their win rate"), ColumnKind.RATIO),
            Column("lost_minor", N_("Potential they took"), ColumnKind.MONEY),
        ], [{"name": c.name, "met": c.met, "won_against_us": c.won_against_us,
             "we_won": c.we_won, "win_rate": c.win_rate, "lost_minor": c.lost_minor}
            for c in data.competitors], currency=money,
            brief=("name", "won_against_us", "met", "win_rate")),
        Table("by_manager", N_("Loss reasons by manager"), cell_columns,
              [{"reason": c.reason, "who": c.other_name, "count": c.count,
                "lost_minor": c.lost_minor} for c in data.by_manager], currency=money,
              brief=("who", "reason", "count"), text_rows=10),
        Table("by_partner", N_("Loss reasons by client"), partner_columns,
              [{"reason": c.reason, "who": c.other_name, "count": c.count,
                "lost_minor": c.lost_minor} for c in data.by_partner], currency=money,
              brief=("who", "reason", "count"), text_rows=10),
    ]


def lost_headline(data: LostData) -> list[Msg]:
    money = data.currency
    if not data.total_count:
        return [Msg(N_("No deals lost in this period."))]
    lines = [Msg(N_("Lost: %(amount)s (deals: %(count)s)"),
                 {"count": data.total_count, "amount": Money(data.total_minor, money)})]
    top = data.reasons[0]
    lines.append(Msg(N_("Main reason: %(reason)s, %(share)s of lost deals (%(amount)s)"),
                     {"reason": top.reason, "share": Ratio(top.share),
                      "amount": Money(top.lost_minor, money)}))
    if data.stages:
        stage = data.stages[0]
        lines.append(Msg(N_("Lost most often at: %(stage)s (%(count)s)"),
                         {"stage": stage.stage, "count": stage.count}))
    if data.competitors and data.competitors[0].won_against_us:
        rival = data.competitors[0]
        lines.append(Msg(N_("Toughest competitor: %(name)s, won %(won)s of %(met)s (%(rate)s)"),
                         {"name": rival.name, "won": rival.won_against_us, "met": rival.met,
                          "rate": Ratio(rival.win_rate)}))
    return lines


@register_report(
    "lost",
    title=N_("Lost deals"),
    description=N_("Loss reasons by manager and client, stages of loss, competitors"),
    chart="charts.lost:lost_png",
    order=3,
)
async def lost_report(params: ReportParams) -> ReportResult:
    from core.config import get_settings

    period = period_of(params)
    scope = await resolve_scope(params)
    data = await compute_lost(period, scope, params.kind_id, get_settings().currency)
    return ReportResult("lost", period, headline=lost_headline(data), tables=lost_tables(data),
                        data=data)
