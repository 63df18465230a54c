"""Running and keeping the ABC/XYZ classification of clients (the algorithm and what is counted
are in `services.analytics.abc_xyz`).

`classify_clients` computes one window and writes, in one transaction, one ClientClassification
row per client (classified, or "not classified" = lost when the client was classified before and
bought nothing in this window) and the clients' `Partner.relationship_stage`. The run id is the
key of the window: computing the same window again replaces its rows. `list_class_changes` says
who moved between classes from one run to another (the jobs push it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import clock
from core.errors import AccessDenied, NotFound
from core.i18n import N_, register_messages
from models import ClientClassification, Employee
from models.base import RelationshipStage, Role
from services.analytics.abc_xyz import (
    Basis,
    Method,
    RunInfo,
    classify_sums,
    day_arg,
    find_previous_run,
    find_run,
    list_stored_runs,
    make_window,
    monthly_sums,
    parse_basis,
    parse_method,
    parse_months,
    run_key,
    stage_of,
)
from services.analytics.common import dialect, sql_params

# New error vocabulary (the lead merges these into core/i18n.py).
EXTRA_FIELD_NAMES: dict[str, str] = {
    "basis": N_("Classification basis"),
    "method": N_("Classification method"),
    "months": N_("Number of months"),
    "abc_months": N_("Months for ABC"),
    "run": N_("Classification run"),
}
EXTRA_REASONS: dict[str, str] = {
    "out_of_range": N_("must be from %(min)s to %(max)s"),
}
EXTRA_ERROR_MESSAGES: dict[str, str] = {}

register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS, errors=EXTRA_ERROR_MESSAGES)

_INSERT_BATCH = 5000
_INSERT_SQL = {
    db: sql_params(
        db,
        "INSERT INTO client_classification (created_at, updated_at, run_id, computed_at, basis,"
        " period_from, period_to, abc, xyz, relationship_stage, value_minor, partner_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    for db in ("sqlite", "postgres")
}


@dataclass(frozen=True, slots=True)
class ClassificationRun:
    """What one classification wrote. Counts are over every row of the run; `lost` clients are
    those classified before with no sales in this window."""

    run_id: str
    basis: str
    method: str
    period_from: dt.date
    period_to: dt.date
    abc_from: dt.date
    months: int
    abc_months: int
    computed_at: dt.datetime
    replaced: bool  # the same window had been computed before: its rows were replaced
    clients: int  # rows written
    abc_counts: dict[str, int]  # "A", "B", "C" and "" (not classified)
    xyz_counts: dict[str, int]  # "X", "Y", "Z" and ""
    stage_counts: dict[str, int]  # regular / one_time / lost
    previous_run_id: str | None
    stages_updated: bool  # False when a later window exists: the partners keep its stages


@dataclass(frozen=True, slots=True)
class ClassChange:
    """A client whose classes differ between two runs; empty classes = not classified, and
    `*_before` of "" with `stage_before` "potential" = no row in the earlier run."""

    partner_id: int
    partner_name: str
    main_manager_id: int | None
    abc_before: str
    xyz_before: str
    stage_before: str
    abc_after: str
    xyz_after: str
    stage_after: str


async def classify_clients(
    *,
    basis: str | Basis = Basis.REVENUE,
    method: str | Method = Method.ADAPTIVE,
    period_to: dt.date | None = None,
    months: int | None = None,
    abc_months: int | None = None,
    actor_id: int | None = None,
) -> ClassificationRun:
    """Classify every client with posted shipments in the `months` whole months ending on or
    before `period_to` (default: yesterday), keep the rows and set the relationship stages.

    `actor_id` None is the system (a job, the CLI); an employee must be a head or an admin.
    """
    basis, method = parse_basis(basis), parse_method(method)
    months = parse_months(months)
    if abc_months is not None:
        abc_months = parse_months(abc_months, months)
    window = make_window(period_to, months, abc_months)
    if actor_id is not None:
        actor = await Employee.get_or_none(id=actor_id, active=True).values("role")
        if actor is None or actor["role"] not in (Role.HEAD, Role.ADMIN):
            raise AccessDenied()
    run_id = run_key(basis, method, window)
    now = clock.now()
    db = dialect()

    async with in_transaction() as conn:
        if db == "postgres":  # two runs of the same key wait for each other
            await conn.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [run_id])
        existing = await ClientClassification.filter(run_id=run_id).using_db(conn).count()
        if existing:
            await ClientClassification.filter(run_id=run_id).using_db(conn).delete()
        classes = classify_sums(await monthly_sums(basis, window, conn), window, method)
        classified = {item.partner_id for item in classes}
        before = await conn.execute_query_dict(
            sql_params(
                db,
                "SELECT DISTINCT partner_id FROM client_classification"
                " WHERE basis = ? AND period_to < ?",
            ),
            [basis.value, day_arg(db, window.period_to)],
        )
        lost = sorted({int(row["partner_id"]) for row in before} - classified)
        stamp = now.isoformat(sep=" ") if db == "sqlite" else now
        period = [day_arg(db, window.period_from), day_arg(db, window.period_to)]
        rows = [
            [
                stamp,
                stamp,
                run_id,
                stamp,
                basis.value,
                *period,
                item.abc,
                item.xyz,
                item.stage.value,
                item.value,
                item.partner_id,
            ]
            for item in classes
        ] + [
            [
                stamp,
                stamp,
                run_id,
                stamp,
                basis.value,
                *period,
                "",
                "",
                RelationshipStage.LOST.value,
                0,
                partner_id,
            ]
            for partner_id in lost
        ]
        for start in range(0, len(rows), _INSERT_BATCH):
            await conn.execute_many(_INSERT_SQL[db], rows[start : start + _INSERT_BATCH])
        later = await conn.execute_query_dict(
            sql_params(
                db,
                "SELECT 1 AS found FROM client_classification WHERE basis = ? AND period_to > ?"
                " LIMIT 1",
            ),
            [basis.value, day_arg(db, window.period_to)],
        )
        stages_updated = not later
        if stages_updated and rows:
            stage = (
                "(SELECT c.relationship_stage FROM client_classification c"
                " WHERE c.run_id = ? AND c.partner_id = partner.id)"
            )
            await conn.execute_query(
                sql_params(
                    db,
                    f"UPDATE partner SET relationship_stage = {stage}, updated_at = ?"
                    " WHERE id IN (SELECT c.partner_id FROM client_classification c"
                    f" WHERE c.run_id = ?) AND relationship_stage <> {stage}",
                ),
                [run_id, stamp, run_id, run_id],
            )

    previous = await find_previous_run(
        RunInfo(run_id, basis, method, window.period_from, window.period_to, window.abc_months, now)
    )
    abc_counts = {key: 0 for key in ("A", "B", "C", "")}
    xyz_counts = {key: 0 for key in ("X", "Y", "Z", "")}
    stage_counts = {stage.value: 0 for stage in RelationshipStage if stage.value != "potential"}
    for item in classes:
        abc_counts[item.abc] += 1
        xyz_counts[item.xyz] += 1
        stage_counts[item.stage.value] += 1
    abc_counts[""] += len(lost)
    xyz_counts[""] += len(lost)
    stage_counts[RelationshipStage.LOST.value] += len(lost)
    return ClassificationRun(
        run_id=run_id,
        basis=basis.value,
        method=method.value,
        period_from=window.period_from,
        period_to=window.period_to,
        abc_from=window.abc_from,
        months=window.months,
        abc_months=window.abc_months,
        computed_at=now,
        replaced=bool(existing),
        clients=len(rows),
        abc_counts=abc_counts,
        xyz_counts=xyz_counts,
        stage_counts=stage_counts,
        previous_run_id=previous.run_id if previous else None,
        stages_updated=stages_updated,
    )


async def list_runs(
    *, basis: str | Basis | None = None, method: str | Method | None = None, limit: int = 24
) -> list[RunInfo]:
    """Stored runs, the newest window first."""
    return await list_stored_runs(
        parse_basis(basis) if basis else None,
        parse_method(method) if method else None,
        limit=limit,
    )


async def get_run(run_id: str) -> RunInfo:
    run = await find_run(run_id)
    if run is None:
        raise NotFound("not_found", what=run_id)
    return run


async def list_class_changes(run_id: str, previous_run_id: str | None = None) -> list[ClassChange]:
    """Clients whose ABC or XYZ class differs between `previous_run_id` (default: the latest
    earlier run of the same basis and cut) and `run_id`, biggest value first. Empty when there
    is no earlier run."""
    run = await get_run(run_id)
    if previous_run_id is None:
        previous = await find_previous_run(run)
        if previous is None:
            return []
        previous_run_id = previous.run_id
    else:
        await get_run(previous_run_id)
    db = dialect()
    from tortoise import connections

    conn = connections.get("default")
    sql = (
        "SELECT c.partner_id AS partner_id, p.name AS name, p.main_manager_id AS manager_id,"
        " COALESCE(b.abc, '') AS abc_before, COALESCE(b.xyz, '') AS xyz_before,"
        " COALESCE(b.relationship_stage, 'potential') AS stage_before,"
        " c.abc AS abc_after, c.xyz AS xyz_after, c.relationship_stage AS stage_after,"
        " c.value_minor AS value"
        " FROM client_classification c JOIN partner p ON p.id = c.partner_id"
        " LEFT JOIN client_classification b ON b.partner_id = c.partner_id AND b.run_id = ?"
        " WHERE c.run_id = ? AND (b.id IS NULL OR b.abc <> c.abc OR b.xyz <> c.xyz)"
        " UNION ALL "
        "SELECT b.partner_id, p.name, p.main_manager_id, b.abc, b.xyz, b.relationship_stage,"
        " '', '', 'potential', 0"
        " FROM client_classification b JOIN partner p ON p.id = b.partner_id"
        " WHERE b.run_id = ? AND NOT EXISTS (SELECT 1 FROM client_classification c"
        " WHERE c.run_id = ? AND c.partner_id = b.partner_id)"
        " ORDER BY 10 DESC, 2, 1"
    )
    rows = await conn.execute_query_dict(
        sql_params(db, sql), [previous_run_id, run_id, previous_run_id, run_id]
    )
    return [
        ClassChange(
            int(row["partner_id"]),
            row["name"],
            int(row["manager_id"]) if row["manager_id"] is not None else None,
            row["abc_before"],
            row["xyz_before"],
            row["stage_before"],
            row["abc_after"],
            row["xyz_after"],
            row["stage_after"],
        )
        for row in rows
    ]


__all__ = [
    "EXTRA_ERROR_MESSAGES",
    "EXTRA_FIELD_NAMES",
    "EXTRA_REASONS",
    "ClassChange",
    "ClassificationRun",
    "classify_clients",
    "get_run",
    "list_class_changes",
    "list_runs",
    "stage_of",
]
