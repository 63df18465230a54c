"""Every analytics report and its chart on a big database, each report beside a hand-written
SQL floor measured in the same run.

    .venv/bin/python bench/bench_reports.py [--scale 1.0] [--repeat 5] [--seed 7]
    CRM_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:55432/postgres \\
        .venv/bin/python bench/bench_reports.py [--db FILE] [--pg-db NAME] [--pg-only]

At scale 1 a temporary SQLite file (migrated like production) gets 100,000 deals with their
stage logs (about 350,000 rows), 1,000,000 interactions and about 300,000 order lines, written
with bulk_create by `tests/analytics_data.generate` over the two years before 27.11.2026, then
the four monthly ABC/XYZ runs the abc-xyz, bcg and loyalty reports read. With
CRM_BENCH_DATABASE_URL the same runs on a fresh PostgreSQL database created beside the one named
(and dropped afterwards). `--db FILE` / `--pg-db NAME` keep the database and reuse it next time
(generation takes 10-20 minutes).

Each report runs as an admin over its default period (the clock frozen on 27.11.2026); its floor
is one hand-written query that computes the same core figures (no names, no DTOs, no second
query): funnel: the per-stage counts, sums and days; forecast: stage rates and the weighted
pipeline per month; lost: lost deals per reason, manager, client, stage and competitor;
abc-xyz: the run's clients with their classes before; bcg: clients and money per cell and the
moves between runs; loyalty: clients per run and class, purchases per client; managers: sales,
cash, deals, interactions, tasks, claims and clients per manager for both periods in one UNION
ALL; execution: per won deal the ordered, invoiced, shipped and paid sums; claims: per month
and per cause. Printed (rich tables): the best of `--repeat` runs in ms, this process's CPU
time, and the ratios; then each chart's rendering time. Targets: ratio <= 2 for every report,
< 500 ms on SQLite for funnel, forecast and managers, every chart < 200 ms. The summary lists
the targets met and missed; the exit code is 1 when one was missed. On a machine busier than
its CPUs (load average above the CPU count) a target missed on the clock but met on CPU time
(all of the work for SQLite and for charts, none of PostgreSQL's) counts as met, marked so.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from core import clock  # noqa: E402
from core.db import close_orm, init_orm, migrate, normalise_url  # noqa: E402
from services.analytics import (  # noqa: E402
    ReportParams,
    get_report,
    period_of,
    previous_period,
    render_chart,
    run_report,
)
from services.analytics.common import days_between, dialect, fetch  # noqa: E402
from services.analytics.forecast import forecast_period  # noqa: E402
from tests.analytics_data import DEFAULT_NOW, generate  # noqa: E402

REPORTS = ("funnel", "forecast", "lost", "abc-xyz", "bcg", "loyalty", "managers", "execution",
           "claims")
# Candidate indexes, not in the models: `--extra-indexes` adds them for the run and drops them
# afterwards, to measure what they bring. None at the moment: the last one, deal_stage_log
# (stage_id, deal_id, entered_at), is in the models now (migration 0004), the forecast's history
# walking it in stage order (its statement from about 450 to about 250 ms CPU on SQLite).
EXTRA_INDEXES: dict[str, str] = {}
TARGET_MS = {"funnel": 500, "forecast": 500, "managers": 500}
CHART_TARGET_MS = 200
MAX_RATIO = 2.0
console = Console(highlight=False, width=None if sys.stdout.isatty() else 132)


CPU_NOTE = ("cpu = this process's CPU time (all threads: SQLite runs in aiosqlite's thread), "
            "which a busy machine does not inflate; PostgreSQL's own work is not in it")


async def best_of(repeat: int, func: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """The best wall-clock and the best CPU milliseconds of `repeat` runs, and the last value."""
    best, best_cpu, value = float("inf"), float("inf"), None
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        value = await func()
        best = min(best, (time.perf_counter() - started) * 1000)
        best_cpu = min(best_cpu, (time.process_time() - cpu) * 1000)
    return best, best_cpu, value


# --- floors: one hand-written query each ----------------------------------------------------------


async def floor_funnel() -> list[dict]:
    """Per stage: counts and potential by result, average days, and the median and the 90th
    percentile of the days: PostgreSQL's percentile_cont; on SQLite the rows numbered per stage
    by a window function, the percentiles' neighbours picked by conditional aggregation."""
    period = period_of(ReportParams())
    db = dialect()
    days = days_between("left_at", "entered_at", db)
    if db == "postgres":
        return await fetch(
            f"""
            SELECT stage_id, COUNT(*) AS reached,
                   SUM(CASE WHEN result = 'passed' THEN 1 ELSE 0 END) AS passed,
                   SUM(CASE WHEN result = 'lost' THEN 1 ELSE 0 END) AS lost,
                   SUM(potential_minor) AS pot,
                   AVG(CASE WHEN left_at IS NOT NULL AND NOT skipped THEN {days} END) AS avg,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN left_at IS NOT NULL
                       AND NOT skipped THEN {days} END) AS median,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY CASE WHEN left_at IS NOT NULL
                       AND NOT skipped THEN {days} END) AS p90
            FROM deal_stage_log
            WHERE entered_at < ? AND (left_at >= ? OR left_at IS NULL)
            GROUP BY stage_id
            """,
            [period.end, period.start],
        )
    return await fetch(
        f"""
        WITH t AS (
            SELECT stage_id + 0 AS stage_id, result, potential_minor AS pot,
                   CASE WHEN left_at IS NOT NULL AND skipped = 0 THEN {days} END AS days
            FROM deal_stage_log
            WHERE entered_at < ? AND (left_at >= ? OR left_at IS NULL)
        ), n AS (
            SELECT t.*, ROW_NUMBER() OVER (PARTITION BY stage_id, days IS NULL ORDER BY days)
                   - 1 AS k, COUNT(days) OVER (PARTITION BY stage_id) AS n
            FROM t
        )
        SELECT stage_id, COUNT(*) AS reached,
               SUM(CASE WHEN result = 'passed' THEN 1 ELSE 0 END) AS passed,
               SUM(CASE WHEN result = 'lost' THEN 1 ELSE 0 END) AS lost,
               SUM(pot) AS pot, AVG(days) AS avg,
               MAX(CASE WHEN days IS NOT NULL AND k IN ((n - 1) / 2, n / 2) THEN days END) AS med,
               MAX(CASE WHEN days IS NOT NULL AND k = ((n - 1) * 9 + 9) / 10 THEN days END) AS p90
        FROM n GROUP BY stage_id
        """,
        [period.end, period.start],
    )


async def floor_forecast() -> list[dict]:
    """Stage rates and days to close from history, then the weighted pipeline per month."""
    today = DEFAULT_NOW.date()
    db = dialect()
    month = "substr(d.expected_close_on, 1, 7)" if db == "sqlite" else (
        "to_char(d.expected_close_on, 'YYYY-MM')")
    to_end = days_between("d.ended_at", "l.entered_at", db)
    return await fetch(
        f"""
        WITH h AS (
            SELECT l.stage_id AS stage_id,
                   100 * SUM(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END)
                       / (COUNT(*) + 1) AS p,
                   AVG({to_end}) AS to_end
            FROM deal_stage_log l JOIN deal d ON d.id = l.deal_id
            WHERE d.status IN ('won', 'lost')
            GROUP BY l.stage_id
        )
        SELECT {month} AS month, h.to_end, COUNT(*) AS n, SUM(d.potential_minor) AS pot,
               SUM(d.potential_minor * COALESCE(d.manual_probability, d.computed_probability,
                                                h.p)) AS wp
        FROM deal d LEFT JOIN h ON h.stage_id = d.stage_id
        WHERE d.status = 'open' AND (d.expected_close_on IS NULL OR d.expected_close_on >= ?)
        GROUP BY 1, 2
        """,
        [today],
    )


async def floor_lost() -> list[dict]:
    """Lost deals per reason and manager, per reason and client, per stage of loss, and the
    competitors' wins, in one UNION ALL."""
    period = period_of(ReportParams())
    a, b = period.start, period.end
    return await fetch(
        """
        SELECT 'm' AS src, loss_reason_id AS k1, owner_id AS k2, COUNT(*) AS n,
               SUM(potential_minor) AS pot
        FROM deal WHERE status = 'lost' AND ended_at >= ? AND ended_at < ?
        GROUP BY loss_reason_id, owner_id
        UNION ALL
        SELECT 'p', loss_reason_id, partner_id, COUNT(*), SUM(potential_minor)
        FROM deal WHERE status = 'lost' AND ended_at >= ? AND ended_at < ?
        GROUP BY loss_reason_id, partner_id
        UNION ALL
        SELECT 's', l.stage_id, NULL, COUNT(*), SUM(l.potential_minor)
        FROM deal_stage_log l JOIN deal d ON d.id = l.deal_id
        WHERE l.result = 'lost' AND d.status = 'lost' AND d.ended_at >= ? AND d.ended_at < ?
        GROUP BY l.stage_id
        UNION ALL
        SELECT 'c', p.partner_id, NULL, COUNT(*),
               SUM(CASE WHEN p.won_the_deal = ? THEN 1 ELSE 0 END)
        FROM deal_participant p JOIN deal d ON d.id = p.deal_id
        WHERE p.role = 'competitor' AND d.status IN ('won', 'lost')
          AND d.ended_at >= ? AND d.ended_at < ?
        GROUP BY p.partner_id
        """,
        [a, b, a, b, a, b, True, a, b],
    )


async def floor_managers() -> list[dict]:
    """Per manager and period: sales and cost, cash, deals won and lost, interactions, tasks on
    time, claims, and clients bought from, in one UNION ALL."""
    cur = period_of(ReportParams())
    prev = previous_period(cur, ReportParams().compare)
    c0, c1, p0, p1 = cur.start, cur.end, prev.start, prev.end
    d0, d1, e0, e1 = cur.date_from, cur.date_to, prev.date_from, prev.date_to
    moments = [c0, c1, p0, p1, c0, c1, p0, p1]
    days = [d0, d1, e0, e1, d0, d1, e0, e1]
    return await fetch(
        """
        SELECT 's' AS src, COALESCE(o.manager_id, d.owner_id, pt.main_manager_id) AS emp,
               SUM(CASE WHEN s.date >= ? AND s.date <= ? THEN s.amount_minor - s.cost_minor
                   ELSE 0 END) AS a,
               SUM(CASE WHEN s.date >= ? AND s.date <= ? THEN s.amount_minor - s.cost_minor
                   ELSE 0 END) AS b
        FROM shipment s LEFT JOIN sales_order o ON o.id = s.order_id
        LEFT JOIN deal d ON d.id = s.deal_id LEFT JOIN partner pt ON pt.id = s.partner_id
        WHERE s.status = 'posted'
          AND ((s.date >= ? AND s.date <= ?) OR (s.date >= ? AND s.date <= ?))
        GROUP BY 2
        UNION ALL
        SELECT 'y', COALESCE(d.owner_id, pt.main_manager_id),
               SUM(CASE WHEN y.date >= ? AND y.date <= ? THEN y.amount_minor ELSE 0 END),
               SUM(CASE WHEN y.date >= ? AND y.date <= ? THEN y.amount_minor ELSE 0 END)
        FROM payment y LEFT JOIN deal d ON d.id = y.deal_id
        LEFT JOIN partner pt ON pt.id = y.partner_id
        WHERE y.status = 'posted'
          AND ((y.date >= ? AND y.date <= ?) OR (y.date >= ? AND y.date <= ?))
        GROUP BY 2
        UNION ALL
        SELECT 'd', owner_id,
               SUM(CASE WHEN ended_at >= ? AND ended_at < ? THEN 1 ELSE 0 END),
               SUM(CASE WHEN ended_at >= ? AND ended_at < ? THEN 1 ELSE 0 END)
        FROM deal WHERE status IN ('won', 'lost')
          AND ((ended_at >= ? AND ended_at < ?) OR (ended_at >= ? AND ended_at < ?))
        GROUP BY 2
        UNION ALL
        SELECT 'i', i.owner_id,
               SUM(CASE WHEN i.starts_at >= ? AND i.starts_at < ? AND d.status = 'won' THEN 1
                   ELSE 0 END),
               SUM(CASE WHEN i.starts_at >= ? AND i.starts_at < ? AND d.status = 'won' THEN 1
                   ELSE 0 END)
        FROM interaction i LEFT JOIN deal d ON d.id = i.deal_id WHERE i.done = ?
          AND ((i.starts_at >= ? AND i.starts_at < ?) OR (i.starts_at >= ? AND i.starts_at < ?))
        GROUP BY 2
        UNION ALL
        SELECT 't', performer_id,
               SUM(CASE WHEN due_at >= ? AND due_at < ? AND completed_at <= due_at THEN 1
                   ELSE 0 END),
               SUM(CASE WHEN due_at >= ? AND due_at < ? AND completed_at <= due_at THEN 1
                   ELSE 0 END)
        FROM task WHERE status <> 'cancelled'
          AND ((due_at >= ? AND due_at < ?) OR (due_at >= ? AND due_at < ?))
        GROUP BY 2
        UNION ALL
        SELECT 'c', COALESCE(d.owner_id, pt.main_manager_id),
               SUM(CASE WHEN c.registered_at >= ? AND c.registered_at < ? THEN 1 ELSE 0 END),
               SUM(CASE WHEN c.registered_at >= ? AND c.registered_at < ? THEN 1 ELSE 0 END)
        FROM claim c LEFT JOIN deal d ON d.id = c.deal_id
        LEFT JOIN partner pt ON pt.id = c.partner_id
        WHERE (c.registered_at >= ? AND c.registered_at < ?)
           OR (c.registered_at >= ? AND c.registered_at < ?)
        GROUP BY 2
        UNION ALL
        SELECT 'n', pt.main_manager_id,
               SUM(CASE WHEN x.first_on >= ? THEN 1 ELSE 0 END),
               SUM(CASE WHEN x.last_on < ? THEN 1 ELSE 0 END)
        FROM (SELECT partner_id, MIN(date) AS first_on, MAX(date) AS last_on FROM shipment
              WHERE status = 'posted' AND date <= ? GROUP BY partner_id) x
        JOIN partner pt ON pt.id = x.partner_id
        GROUP BY 2
        """,
        [*days, *days, *moments, c0, c1, p0, p1, True, c0, c1, p0, p1, *moments, *moments,
         d0, d0, d1],
    )


async def floor_execution() -> list[dict]:
    """Per won deal: ordered (and due to be shipped), invoiced (and due), shipped, paid, open
    and overdue tasks."""
    period = period_of(ReportParams(), 180)
    today = DEFAULT_NOW.date()
    return await fetch(
        """
        SELECT d.id,
          (SELECT SUM(amount_minor) FROM sales_order o WHERE o.deal_id = d.id) AS ordered,
          (SELECT SUM(amount_minor) FROM sales_order o WHERE o.deal_id = d.id AND o.date < ?)
              AS ordered_due,
          (SELECT SUM(amount_minor) FROM invoice v WHERE v.deal_id = d.id) AS invoiced,
          (SELECT SUM(amount_minor) FROM invoice v WHERE v.deal_id = d.id AND v.due_on < ?)
              AS invoiced_due,
          (SELECT SUM(amount_minor) FROM shipment s WHERE s.deal_id = d.id) AS shipped,
          (SELECT SUM(amount_minor) FROM payment y WHERE y.deal_id = d.id) AS paid,
          (SELECT COUNT(*) FROM task t WHERE t.deal_id = d.id AND t.status = 'open') AS open,
          (SELECT COUNT(*) FROM task t WHERE t.deal_id = d.id AND t.status = 'open'
              AND t.due_at < ?) AS overdue
        FROM deal d WHERE d.status = 'won' AND d.ended_at >= ? AND d.ended_at < ?
        """,
        [today, today, DEFAULT_NOW, period.start, period.end],
    )


async def _runs() -> list[str]:
    """The stored classification runs (revenue, adaptive), newest window first."""
    rows = await fetch(
        "SELECT DISTINCT run_id, period_to FROM client_classification"
        " WHERE run_id LIKE 'revenue:adaptive:%' ORDER BY period_to DESC"
    )
    return [row["run_id"] for row in rows]


async def floor_abc_xyz() -> list[dict]:
    """The latest run's clients, largest first, with their classes in the run before."""
    latest, previous = (await _runs())[:2]
    return await fetch(
        """
        SELECT c.partner_id, p.name, c.abc, c.xyz, c.value_minor, b.abc AS abc_before,
               b.xyz AS xyz_before
        FROM client_classification c JOIN partner p ON p.id = c.partner_id
        LEFT JOIN client_classification b ON b.partner_id = c.partner_id AND b.run_id = ?
        WHERE c.run_id = ? ORDER BY c.value_minor DESC, p.name, c.partner_id
        """,
        [previous, latest],
    )


async def floor_bcg() -> list[dict]:
    """Clients and money per (ABC, XYZ) cell, and the moves between the two latest runs."""
    latest, previous = (await _runs())[:2]
    return await fetch(
        """
        SELECT 'cell' AS src, c.abc, c.xyz, '' AS abc_to, '' AS xyz_to, COUNT(*) AS n,
               SUM(c.value_minor) AS money
        FROM client_classification c WHERE c.run_id = ? GROUP BY c.abc, c.xyz
        UNION ALL
        SELECT 'move', COALESCE(b.abc, ''), COALESCE(b.xyz, ''), c.abc, c.xyz, COUNT(*), 0
        FROM client_classification c
        LEFT JOIN client_classification b ON b.partner_id = c.partner_id AND b.run_id = ?
        WHERE c.run_id = ?
        GROUP BY COALESCE(b.abc, ''), COALESCE(b.xyz, ''), c.abc, c.xyz
        """,
        [latest, previous, latest],
    )


async def floor_loyalty() -> list[dict]:
    """Clients per run and XYZ class (the relationship stages), then per client the purchases
    and the last purchase before the period and up to its end (the repeat-sales grid)."""
    period = period_of(ReportParams())
    runs = await _runs()
    marks = ", ".join("?" for _ in runs)
    return await fetch(
        f"""
        SELECT c.run_id AS k, c.xyz AS x, COUNT(*) AS n, NULL AS last_before, NULL AS last_end
        FROM client_classification c WHERE c.run_id IN ({marks}) GROUP BY c.run_id, c.xyz
        UNION ALL
        SELECT NULL, NULL, SUM(CASE WHEN s.date < ? THEN 1 ELSE 0 END),
               MAX(CASE WHEN s.date < ? THEN s.date END), MAX(s.date)
        FROM shipment s
        WHERE s.status = 'posted' AND s.amount_minor > 0 AND s.date <= ?
        GROUP BY s.partner_id
        """,
        [*runs, period.date_from, period.date_from, period.date_to],
    )


async def floor_claims() -> list[dict]:
    """Claims registered and closed per month, and per cause: counts, outcomes, money and
    days to close, in one UNION ALL."""
    period = period_of(ReportParams(), 180)
    db = dialect()
    month = "substr(registered_at, 1, 7)" if db == "sqlite" else (
        "to_char(registered_at, 'YYYY-MM')")
    closed_month = month.replace("registered_at", "closed_at")
    days = days_between("closed_at", "registered_at", db)
    return await fetch(
        f"""
        SELECT 'r' AS src, {month} AS k, COUNT(*) AS n, 0 AS sat, 0 AS money,
               CAST(NULL AS NUMERIC) AS days
        FROM claim WHERE registered_at >= ? AND registered_at < ? GROUP BY 2
        UNION ALL
        SELECT 'c', {closed_month}, COUNT(*),
               SUM(CASE WHEN status = 'satisfied' THEN 1 ELSE 0 END), 0, CAST(NULL AS NUMERIC)
        FROM claim WHERE closed_at >= ? AND closed_at < ?
          AND status IN ('satisfied', 'not_satisfied') GROUP BY 2
        UNION ALL
        SELECT 'k', CAST(cause_id AS TEXT), COUNT(*),
               SUM(CASE WHEN status = 'satisfied' THEN 1 ELSE 0 END), SUM(claimed_minor),
               AVG(CASE WHEN closed_at IS NOT NULL THEN {days} END)
        FROM claim WHERE registered_at >= ? AND registered_at < ? GROUP BY cause_id
        """,
        [period.start, period.end] * 3,
    )


FLOORS = {
    "funnel": floor_funnel,
    "forecast": floor_forecast,
    "lost": floor_lost,
    "managers": floor_managers,
    "execution": floor_execution,
    "abc-xyz": floor_abc_xyz,
    "bcg": floor_bcg,
    "loyalty": floor_loyalty,
    "claims": floor_claims,
}


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one database's run measured, and which targets it met."""

    database: str
    reports: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    charts: dict[str, tuple[float, float]] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    met: list[str] = field(default_factory=list)

    def judge(self, ok: bool, what: str, ok_on_cpu: bool | None = None) -> str:
        """Record a target. On a machine busier than its CPUs, wall-clock time measures the
        queue for a CPU as much as the work: a target missed on the clock but met on this
        process's CPU time (which is all the work for SQLite and for charts) then counts as
        met, marked "cpu"."""
        busy = os.getloadavg()[0] > (os.cpu_count() or 1) if hasattr(os, "getloadavg") else False
        if ok:
            (verdict, good) = ("[green]ok[/]", True)
        elif ok_on_cpu and busy:
            (verdict, good) = ("[yellow]ok (cpu; busy machine)[/]", True)
            what += " — met on CPU time, the machine was busy"
        else:
            (verdict, good) = ("[bold red]MISSED[/]", False)
        (self.met if good else self.missed).append(f"{self.database}: {what}")
        return verdict


async def classify(months_back: int = 4) -> None:
    """The demo's monthly ABC/XYZ runs (revenue, adaptive) for the months before today, which
    the abc-xyz, bcg and loyalty reports read."""
    from services.classification import classify_clients

    month_start = DEFAULT_NOW.date().replace(day=1)
    ends = []
    for _ in range(months_back):
        month_end = month_start - dt.timedelta(days=1)
        ends.append(month_end)
        month_start = month_end.replace(day=1)
    for month_end in reversed(ends):
        moment = dt.datetime.combine(month_end + dt.timedelta(days=1), dt.time(3), dt.UTC)
        with clock.simulated(moment):
            await classify_clients(period_to=month_end)


async def bench(
    url: str, scale: float, repeat: int, seed: int, *, fresh: bool = True, extra: bool = False,
    database: str = "SQLite",
) -> Outcome:
    from tortoise import connections

    await migrate(db_url=url)
    await init_orm(db_url=url)
    conn = connections.get("default")
    outcome = Outcome(database)
    try:
        if fresh:
            started = time.perf_counter()
            await generate(seed=seed, deals=int(100_000 * scale), interactions_per_deal=9.5,
                           lines_per_order=9.2, extra_interactions=int(100_000 * scale),
                           batch=50_000)
            await conn.execute_script("ANALYZE")
            console.print(f"generated in {time.perf_counter() - started:.0f} s")
        if not (await fetch("SELECT COUNT(*) AS n FROM client_classification"))[0]["n"]:
            started = time.perf_counter()
            await classify()
            await conn.execute_script("ANALYZE")
            console.print(f"classified in {time.perf_counter() - started:.0f} s")
        if extra:
            for name, spec in EXTRA_INDEXES.items():
                await conn.execute_script(f"CREATE INDEX IF NOT EXISTS {name} ON {spec}")
            await conn.execute_script("ANALYZE")
            console.print("with the extra indexes: " + "; ".join(EXTRA_INDEXES.values()))
        counts = {}
        for table in ("deal", "deal_stage_log", "interaction", "sales_order_line", "task",
                      "shipment", "claim", "client_classification"):
            counts[table] = (await fetch(f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"]
        console.print(", ".join(f"{table} {n:,}" for table, n in counts.items()))
        clock.freeze(DEFAULT_NOW)
        console.print(f"period: {period_of(ReportParams()).date_from} .. "
                      f"{period_of(ReportParams()).date_to} (forecast: "
                      f"{forecast_period(ReportParams()).date_to}); best of {repeat}; {CPU_NOTE}")
        table = Table(title=f"{database}: reports against their floor", title_justify="left")
        for column in ("report", "ms", "floor ms", "ratio", "cpu ms", "floor cpu", "cpu ratio"):
            table.add_column(column, justify="left" if column == "report" else "right")
        table.add_column("target")
        table.add_column("verdict")
        results = {}
        for name in REPORTS:
            await run_report(name, ReportParams())  # warm the caches once
            report_ms, report_cpu, result = await best_of(
                repeat, lambda n=name: run_report(n, ReportParams()))
            floor_ms, floor_cpu, _ = await best_of(repeat, FLOORS[name])
            results[name] = result
            outcome.reports[name] = (report_ms, floor_ms, report_cpu, floor_cpu)
            ratio = report_ms / floor_ms
            limit = TARGET_MS.get(name) if database == "SQLite" else None
            target = f"≤ 2×, < {limit} ms" if limit else "≤ 2×"
            ok = ratio <= MAX_RATIO and (limit is None or report_ms < limit)
            cpu_ok = None
            if database == "SQLite":
                cpu_ok = report_cpu / max(floor_cpu, 0.1) <= MAX_RATIO and (
                    limit is None or report_cpu < limit)
            verdict = outcome.judge(ok, f"{name} {report_ms:.0f} ms, {ratio:.2f}× ({target})",
                                    cpu_ok)
            table.add_row(name, f"{report_ms:.1f}", f"{floor_ms:.1f}", f"{ratio:.2f}",
                          f"{report_cpu:.1f}", f"{floor_cpu:.1f}",
                          f"{report_cpu / max(floor_cpu, 0.1):.2f}", target, verdict)
        console.print(table)
        charts = Table(title=f"{database}: charts (PNG, Ukrainian)", title_justify="left")
        for column in ("chart", "ms", "cpu ms", "kB"):
            charts.add_column(column, justify="left" if column == "chart" else "right")
        charts.add_column("target")
        charts.add_column("verdict")
        for name in REPORTS:
            spec = get_report(name)
            png = render_chart(spec, results[name], "uk")  # fonts loaded once
            if png is None:
                charts.add_row(name, "—", "—", "—", "no chart", "")
                continue
            chart_ms = chart_cpu = float("inf")
            for _ in range(repeat):
                started, cpu = time.perf_counter(), time.process_time()
                render_chart(spec, results[name], "uk")
                chart_ms = min(chart_ms, (time.perf_counter() - started) * 1000)
                chart_cpu = min(chart_cpu, (time.process_time() - cpu) * 1000)
            outcome.charts[name] = (chart_ms, chart_cpu)
            verdict = outcome.judge(chart_ms < CHART_TARGET_MS,
                                    f"{name} chart {chart_ms:.0f} ms (< {CHART_TARGET_MS} ms)",
                                    chart_cpu < CHART_TARGET_MS)
            charts.add_row(name, f"{chart_ms:.1f}", f"{chart_cpu:.1f}", f"{len(png) / 1024:.0f}",
                           f"< {CHART_TARGET_MS} ms", verdict)
        console.print(charts)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        console.print(f"load average (1 min) at the end: {load:.2f} on {os.cpu_count()} CPUs")
    finally:
        clock.unfreeze()
        if extra:
            for name in EXTRA_INDEXES:
                await conn.execute_script(f"DROP INDEX IF EXISTS {name}")
        await close_orm()
    return outcome


def summary(outcomes: list[Outcome]) -> int:
    """Print which targets were met and missed; the exit code: 0 when all were met."""
    met = sum(len(o.met) for o in outcomes)
    missed = [line for o in outcomes for line in o.missed]
    console.rule("summary")
    console.print(f"targets met: {met}, missed: {len(missed)}")
    for line in (line for o in outcomes for line in o.met):
        console.print(f"  [green]met[/] {line}")
    for line in missed:
        console.print(f"  [bold red]MISSED[/] {line}")
    return 1 if missed else 0


async def pg_database(base_url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    import asyncpg

    url = normalise_url(base_url)
    root = url.rsplit("/", 1)[0]
    name = f"reports_bench_{uuid.uuid4().hex[:10]}"
    admin = root.replace("asyncpg://", "postgresql://") + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    return f"{root}/{name}", drop


async def pg_kept_database(base_url: str, name: str) -> tuple[str, bool]:
    """The URL of database `name` beside the one named (created when missing), and whether it
    still has to be filled."""
    import asyncpg

    root = normalise_url(base_url).rsplit("/", 1)[0]
    dsn = root.replace("asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn + "/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
            return f"{root}/{name}", True
    finally:
        await conn.close()
    conn = await asyncpg.connect(f"{dsn}/{name}")
    try:
        has = await conn.fetchval("SELECT to_regclass('deal') IS NOT NULL")
        fresh = not has or not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM deal)")
    finally:
        await conn.close()
    return f"{root}/{name}", fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 100,000 deals")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg-only", action="store_true")
    parser.add_argument("--extra-indexes", action="store_true",
                        help="add the indexes the reports would use, for this run")
    parser.add_argument("--db", type=Path, default=None,
                        help="keep the SQLite file here; reuse it when it exists (no generation)")
    parser.add_argument("--pg-db", default=None, metavar="NAME",
                        help="keep the PostgreSQL database NAME; reuse it when it has deals")
    args = parser.parse_args()

    outcomes: list[Outcome] = []
    if args.pg_only:
        console.print("SQLite skipped (--pg-only)")
    elif args.db is not None:
        console.rule("SQLite")
        fresh = not args.db.exists()
        outcomes.append(asyncio.run(bench(f"sqlite://{args.db}", args.scale, args.repeat,
                                          args.seed, fresh=fresh, extra=args.extra_indexes)))
    else:
        console.rule("SQLite")
        with tempfile.TemporaryDirectory() as tmp:
            outcomes.append(asyncio.run(bench(f"sqlite://{Path(tmp) / 'bench.sqlite3'}",
                                              args.scale, args.repeat, args.seed,
                                              extra=args.extra_indexes)))
    pg = os.environ.get("CRM_BENCH_DATABASE_URL")
    if pg and not args.sqlite_only:
        console.rule("PostgreSQL")

        async def on_pg() -> Outcome:
            if args.pg_db:
                url, fresh = await pg_kept_database(pg, args.pg_db)
                return await bench(url, args.scale, args.repeat, args.seed, fresh=fresh,
                                   extra=args.extra_indexes, database="PostgreSQL")
            url, drop = await pg_database(pg)
            try:
                return await bench(url, args.scale, args.repeat, args.seed,
                                   extra=args.extra_indexes, database="PostgreSQL")
            finally:
                await drop()

        outcomes.append(asyncio.run(on_pg()))
    sys.exit(summary(outcomes))


if __name__ == "__main__":
    main()
