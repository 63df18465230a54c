"""ABC/XYZ classification and the abc-xyz, bcg and loyalty reports on a big SQLite database,
each beside a hand-written SQL floor measured in the same run.

    .venv/bin/python bench/bench_classification.py [--clients 20000] [--lines 300000] [--seed 7]

A temporary SQLite file (migrated like production) gets `--clients` clients of five managers and
shipments of three lines each (`--lines` shipment lines over twelve months, the header carrying
the sums, as the classification reads them). Timed:

* `classify_clients` for a three-month window that has an earlier run (so lost clients and
  changes exist) against the floor: the same per-client monthly sums query, 20,000 rows
  inserted with one executemany and the partner stages set with one UPDATE, in one transaction
  on a plain sqlite3 connection (no cut, no ORM);
* each report as an admin against the floor of its core figures in hand-written queries
  (abc-xyz: classes and the client list; bcg: cells with the previous classes; loyalty: the
  per-client purchase counts and last dates).

Printed: milliseconds (best of `--repeat`) and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import clock
from core.db import close_orm, init_orm, migrate
from services.analytics import ReportParams, run_report
from services.analytics.abc_xyz import month_sql
from services.classification import classify_clients

FIRST = dt.date(2025, 12, 1)
LAST = dt.date(2026, 11, 26)
PREVIOUS_TO = dt.date(2026, 7, 31)
PERIOD_TO = dt.date(2026, 10, 31)
NOW = "2026-11-27 09:00:00+00:00"


def generate(path: Path, clients: int, lines: int, seed: int) -> None:
    rnd = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO employee (id, created_at, updated_at, full_name, role, locale, timezone,"
        " active) VALUES (?, ?, ?, ?, 'manager', 'uk', 'Europe/Kyiv', 1)",
        [(i, NOW, NOW, f"Менеджер {i}") for i in range(1, 6)],
    )
    conn.executemany(
        "INSERT INTO partner (id, created_at, updated_at, name, search_key, is_group,"
        " is_division, is_client, is_supplier, is_competitor, is_other, is_person,"
        " relationship_stage, business_region, strategy, comment, active, main_manager_id)"
        " VALUES (?, ?, ?, ?, ?, 0, 0, 1, 0, 0, 0, 0, 'potential', '', '', '', 1, ?)",
        [
            (
                i,
                "2025-01-01 00:00:00+00:00",
                NOW,
                f"ТОВ Клієнт {i}",
                f"тов клієнт {i}",
                rnd.randint(1, 5),
            )
            for i in range(1, clients + 1)
        ],
    )
    conn.executemany(
        'INSERT INTO product (id, created_at, updated_at, sku, name, "group", unit,'
        " price_minor, cost_minor, currency) VALUES (?, ?, ?, ?, ?, '', 'шт', 0, 0, 'UAH')",
        [(i, NOW, NOW, f"SKU-{i}", f"Товар {i}") for i in range(1, 201)],
    )
    weights = [rnd.paretovariate(1.2) for _ in range(clients)]
    shipments = lines // 3
    partners = rnd.choices(range(1, clients + 1), weights=weights, k=shipments)
    span = (LAST - FIRST).days
    heads, rows = [], []
    line_id = 1
    for shipment_id, partner in enumerate(partners, start=1):
        day = FIRST + dt.timedelta(days=rnd.randint(0, span))
        amount = cost = 0
        for _ in range(3):
            quantity = rnd.randint(1, 20)
            price = rnd.randint(50_00, 5_000_00)
            line_cost = price * quantity * rnd.randint(55, 90) // 100
            rows.append(
                (
                    line_id,
                    NOW,
                    NOW,
                    quantity * 1000,
                    price,
                    price * quantity,
                    line_cost,
                    rnd.randint(1, 200),
                    shipment_id,
                )
            )
            amount += price * quantity
            cost += line_cost
            line_id += 1
        heads.append(
            (shipment_id, NOW, NOW, f"В-{shipment_id}", day.isoformat(), amount, cost, partner)
        )
    conn.executemany(
        "INSERT INTO shipment (id, created_at, updated_at, number, date, status, amount_minor,"
        " currency, comment, cost_minor, partner_id) VALUES (?, ?, ?, ?, ?, 'posted', ?, 'UAH',"
        " '', ?, ?)",
        [(i, c, u, n, d, a, cost, p) for i, c, u, n, d, a, cost, p in heads],
    )
    conn.executemany(
        "INSERT INTO shipment_line (id, created_at, updated_at, quantity_milli, price_minor,"
        " amount_minor, cost_minor, product_id, shipment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def classify_floor(path: Path) -> None:
    """Monthly sums, rows written, stages set: the work a classification cannot avoid."""
    conn = sqlite3.connect(path)
    month = month_sql("sqlite", "s.date")
    sums = conn.execute(
        f"SELECT s.partner_id, {month}, SUM(s.amount_minor), COUNT(*) FROM shipment s"
        " WHERE s.status = 'posted' AND s.date >= ? AND s.date <= ? GROUP BY 1, 2",
        ("2026-08-01", PERIOD_TO.isoformat()),
    ).fetchall()
    totals: dict[int, int] = {}
    for partner, _, value, _ in sums:
        totals[partner] = totals.get(partner, 0) + value
    conn.execute("DELETE FROM client_classification WHERE run_id = 'floor'")
    conn.executemany(
        "INSERT INTO client_classification (created_at, updated_at, run_id, computed_at, basis,"
        " period_from, period_to, abc, xyz, relationship_stage, value_minor, partner_id)"
        " VALUES (?, ?, 'floor', ?, 'revenue', '2026-08-01', '2026-10-31', 'A', 'X', 'regular',"
        " ?, ?)",
        [(NOW, NOW, NOW, value, partner) for partner, value in totals.items()],
    )
    conn.execute(
        "UPDATE partner SET relationship_stage = (SELECT c.relationship_stage FROM"
        " client_classification c WHERE c.run_id = 'floor' AND c.partner_id = partner.id)"
        " WHERE id IN (SELECT partner_id FROM client_classification WHERE run_id = 'floor')"
    )
    conn.rollback()
    conn.close()


REPORT_FLOORS = {
    "abc-xyz": (
        "SELECT c.abc, c.xyz, COUNT(*), SUM(c.value_minor) FROM client_classification c"
        " JOIN partner p ON p.id = c.partner_id WHERE c.run_id = ? GROUP BY c.abc, c.xyz"
    ),
    "abc-xyz list": (
        "SELECT p.name, c.abc, c.xyz, c.value_minor, b.abc, b.xyz FROM client_classification c"
        " JOIN partner p ON p.id = c.partner_id"
        " LEFT JOIN client_classification b ON b.partner_id = c.partner_id AND b.run_id = ?"
        " WHERE c.run_id = ? ORDER BY c.value_minor DESC"
    ),
    "bcg": (
        "SELECT COALESCE(b.abc, ''), COALESCE(b.xyz, ''), c.abc, c.xyz, COUNT(*),"
        " SUM(c.value_minor) FROM client_classification c"
        " LEFT JOIN client_classification b ON b.partner_id = c.partner_id AND b.run_id = ?"
        " WHERE c.run_id = ? GROUP BY 1, 2, 3, 4"
    ),
    "loyalty": (
        "SELECT COUNT(*), SUM(CASE WHEN s.date < ? THEN 1 ELSE 0 END),"
        " MAX(s.date) FROM shipment s WHERE s.status = 'posted' AND s.amount_minor > 0"
        " AND s.date <= ? GROUP BY s.partner_id"
    ),
}


def report_floor(path: Path, name: str, run_id: str, previous_id: str) -> None:
    conn = sqlite3.connect(path)
    args: tuple = {
        "abc-xyz": (run_id,),
        "bcg": (previous_id, run_id),
        "loyalty": ("2026-09-01", PERIOD_TO.isoformat()),
    }[name]
    conn.execute(REPORT_FLOORS[name], args).fetchall()
    if name == "abc-xyz":  # its core figures include the client list
        conn.execute(REPORT_FLOORS["abc-xyz list"], (previous_id, run_id)).fetchall()
    conn.close()


async def best(repeat: int, func: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await func()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def best_sync(repeat: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        url = f"sqlite://{path}"
        await migrate(db_url=url)
        await close_orm()
        started = time.perf_counter()
        generate(path, args.clients, args.lines, args.seed)
        print(
            f"generated {args.clients} clients, {args.lines // 3} shipments with "
            f"{args.lines // 3 * 3} lines in {time.perf_counter() - started:.1f} s"
        )

        await init_orm(db_url=url)
        clock.freeze(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC))
        try:
            previous = await classify_clients(period_to=PREVIOUS_TO)
            run = await classify_clients(period_to=PERIOD_TO)
            print(
                f"run {run.run_id}: {run.clients} clients (lost {run.stage_counts['lost']}),"
                f" ABC {run.abc_counts}, XYZ {run.xyz_counts}"
            )
            rows: list[tuple[str, float, float]] = []
            # A rerun of the same window replaces its rows: the same work as the first run.
            spent = await best(args.repeat, lambda: classify_clients(period_to=PERIOD_TO))
            floor = best_sync(args.repeat, lambda: classify_floor(path))
            rows.append(("classify (20k rows)", spent, floor))
            for name in ("abc-xyz", "bcg", "loyalty"):
                params = ReportParams(
                    date_from=dt.date(2026, 9, 1) if name == "loyalty" else None,
                    date_to=PERIOD_TO,
                )
                spent = await best(args.repeat, lambda n=name, p=params: run_report(n, p))
                floor = best_sync(
                    args.repeat,
                    lambda n=name: report_floor(path, n, run.run_id, previous.run_id),
                )
                rows.append((name, spent, floor))
        finally:
            clock.unfreeze()
            await close_orm()

    print(f"{'what':<22}{'ms':>10}{'floor ms':>10}{'ratio':>8}")
    for name, spent, floor in rows:
        print(f"{name:<22}{spent:>10.1f}{floor:>10.1f}{spent / floor:>8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
