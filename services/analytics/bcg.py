"""BCG matrix of clients (report 5), 1C's "Матрица BCG" (reference §13).

Not market share × growth: the axes are the ABC class (volume) × the XYZ class (stability) of the
stored classification in force at `date_to`. Quadrants: Stars = AZ (bought unexpectedly much),
Cash cows = AX (much and steadily), Dogs = CX (little but often), Questions = every other
classified cell. Also: lost clients (not classified in this window) and potential ones (never
classified), money per cell, and the ABC and XYZ transition matrices against the previous run
of the same basis and cut. Money per cell is the run's own value for revenue and profit runs;
for a run by number of sales it is the revenue of the run's ABC months.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.i18n import N_
from services.analytics import (
    Column,
    ColumnKind,
    Money,
    Msg,
    ReportParams,
    ReportResult,
    Table,
    make_period,
    period_of,
    register_report,
    resolve_scope,
)
from services.analytics.abc_xyz import (
    ABC,
    XYZ,
    Basis,
    RunInfo,
    count_potential,
    day_arg,
    find_previous_run,
    partner_scope_sql,
    run_from_params,
)
from services.analytics.common import dialect, fetch


class Quadrant:
    STARS = "stars"
    COWS = "cows"
    DOGS = "dogs"
    QUESTIONS = "questions"


QUADRANTS = (Quadrant.STARS, Quadrant.COWS, Quadrant.DOGS, Quadrant.QUESTIONS)
QUADRANT_TITLES = {
    Quadrant.STARS: N_("Stars"),
    Quadrant.COWS: N_("Cash cows"),
    Quadrant.DOGS: N_("Dogs"),
    Quadrant.QUESTIONS: N_("Questions"),
}
QUADRANT_CELLS = {Quadrant.STARS: "AZ", Quadrant.COWS: "AX", Quadrant.DOGS: "CX"}
TRANSITION_KEYS = ("A", "B", "C", "")  # "" = not classified or no classification


def quadrant_of(abc: str, xyz: str) -> str:
    """1C's quadrant of a classified cell."""
    cell = abc + xyz
    for quadrant, code in QUADRANT_CELLS.items():
        if cell == code:
            return quadrant
    return Quadrant.QUESTIONS


@dataclass(slots=True)
class BcgCell:
    abc: str
    xyz: str
    quadrant: str
    clients: int
    money: int


@dataclass(slots=True)
class QuadrantTotal:
    quadrant: str
    clients: int
    money: int


@dataclass(slots=True)
class BcgData:
    basis: str
    method: str
    money_basis: str  # "revenue" or "profit": what the money of the cells is
    run_id: str | None
    previous_run_id: str | None
    period_from: dt.date | None
    period_to: dt.date | None
    cells: list[BcgCell] = field(default_factory=list)  # A..C × X..Z, row by row
    quadrants: list[QuadrantTotal] = field(default_factory=list)
    lost: int = 0
    potential: int = 0
    outside_abc: int = 0  # XYZ-classified clients without sales in the ABC months
    # previous class (rows, TRANSITION_KEYS) -> current class (columns), client counts
    abc_transitions: list[list[int]] = field(default_factory=list)
    xyz_transitions: list[list[int]] = field(default_factory=list)
    into_cows: int = 0  # clients that moved into AX from another cell
    out_of_cows: int = 0

    def cell(self, abc: str, xyz: str) -> BcgCell:
        return next(c for c in self.cells if c.abc == abc and c.xyz == xyz)


async def _cell_rows(run: RunInfo, where: str, scope_args: list) -> list[dict]:
    if run.basis is not Basis.COUNT:
        return await fetch(
            "SELECT c.abc AS abc, c.xyz AS xyz, COUNT(*) AS clients,"
            " SUM(c.value_minor) AS money FROM client_classification c"
            " JOIN partner p ON p.id = c.partner_id"
            f" WHERE c.run_id = ? AND {where} GROUP BY c.abc, c.xyz",
            [run.run_id, *scope_args],
        )
    db = dialect()
    return await fetch(
        "SELECT c.abc AS abc, c.xyz AS xyz, COUNT(*) AS clients,"
        " SUM(COALESCE(r.revenue, 0)) AS money FROM client_classification c"
        " JOIN partner p ON p.id = c.partner_id"
        " LEFT JOIN (SELECT s.partner_id AS partner_id, SUM(s.amount_minor) AS revenue"
        " FROM shipment s WHERE s.status = 'posted' AND s.date >= ? AND s.date <= ?"
        " GROUP BY s.partner_id) r ON r.partner_id = c.partner_id"
        f" WHERE c.run_id = ? AND {where} GROUP BY c.abc, c.xyz",
        [day_arg(db, run.abc_from), day_arg(db, run.period_to), run.run_id, *scope_args],
    )


async def _transition_rows(
    run: RunInfo, previous: RunInfo, where: str, scope_args: list
) -> list[dict]:
    """(abc, xyz) before -> after counts, "" for no row; the clients of either run."""
    return await fetch(
        "SELECT COALESCE(b.abc, '') AS abc_before, COALESCE(b.xyz, '') AS xyz_before,"
        " c.abc AS abc_after, c.xyz AS xyz_after, COUNT(*) AS clients"
        " FROM client_classification c JOIN partner p ON p.id = c.partner_id"
        " LEFT JOIN client_classification b ON b.partner_id = c.partner_id AND b.run_id = ?"
        f" WHERE c.run_id = ? AND {where}"
        " GROUP BY COALESCE(b.abc, ''), COALESCE(b.xyz, ''), c.abc, c.xyz"
        " UNION ALL "
        "SELECT b.abc, b.xyz, '', '', COUNT(*) FROM client_classification b"
        " JOIN partner p ON p.id = b.partner_id"
        f" WHERE b.run_id = ? AND {where} AND NOT EXISTS (SELECT 1 FROM client_classification c"
        " WHERE c.run_id = ? AND c.partner_id = b.partner_id) GROUP BY b.abc, b.xyz",
        [previous.run_id, run.run_id, *scope_args, previous.run_id, *scope_args, run.run_id],
    )


@register_report(
    "bcg",
    title=N_("BCG matrix"),
    description=N_("Clients by ABC × XYZ: stars, cash cows, dogs, questions"),
    chart="charts.bcg:bcg_png",
    order=5,
)
async def bcg_report(params: ReportParams) -> ReportResult:
    scope = await resolve_scope(params)
    basis, method, run = await run_from_params(params)
    data = BcgData(
        basis.value,
        method.value,
        "profit" if basis is Basis.PROFIT else "revenue",
        None,
        None,
        None,
        None,
    )
    empty_cells = [BcgCell(a, x, quadrant_of(a, x), 0, 0) for a in ABC for x in XYZ]
    data.cells = empty_cells
    if run is None:
        data.potential = await count_potential(None, scope, None)
        data.quadrants = [QuadrantTotal(q, 0, 0) for q in QUADRANTS]
        return ReportResult(
            "bcg",
            period_of(params),
            headline=[Msg(N_("No classification yet: run `crm classify` first."))],
            data=data,
        )
    previous = await find_previous_run(run)
    data.run_id, data.previous_run_id = run.run_id, previous.run_id if previous else None
    data.period_from, data.period_to = run.period_from, run.period_to
    where, scope_args = partner_scope_sql(scope)

    for row in await _cell_rows(run, where, scope_args):
        abc, xyz = row["abc"], row["xyz"]
        if abc in ABC and xyz in XYZ:
            cell = data.cell(abc, xyz)
            cell.clients, cell.money = int(row["clients"]), int(row["money"] or 0)
        elif xyz == "":
            data.lost += int(row["clients"])
        else:
            data.outside_abc += int(row["clients"])
    data.quadrants = [
        QuadrantTotal(
            q,
            sum(c.clients for c in data.cells if c.quadrant == q),
            sum(c.money for c in data.cells if c.quadrant == q),
        )
        for q in QUADRANTS
    ]
    data.potential = await count_potential(run.run_id, scope, None)

    if previous is not None:
        size = len(TRANSITION_KEYS)
        data.abc_transitions = [[0] * size for _ in range(size)]
        data.xyz_transitions = [[0] * size for _ in range(size)]
        for row in await _transition_rows(run, previous, where, scope_args):
            clients = int(row["clients"])
            data.abc_transitions[TRANSITION_KEYS.index(row["abc_before"])][
                TRANSITION_KEYS.index(row["abc_after"])
            ] += clients
            xyz_keys = ("X", "Y", "Z", "")
            data.xyz_transitions[xyz_keys.index(row["xyz_before"])][
                xyz_keys.index(row["xyz_after"])
            ] += clients
            before = row["abc_before"] + row["xyz_before"]
            after = row["abc_after"] + row["xyz_after"]
            if after == "AX" and before != "AX":
                data.into_cows += clients
            if before == "AX" and after != "AX":
                data.out_of_cows += clients

    return ReportResult(
        "bcg",
        make_period(run.period_from, run.period_to, params.tz),
        headline=_headline(data),
        tables=_tables(data),
        data=data,
    )


QUADRANT_HEADLINES = {
    Quadrant.STARS: N_("Stars (AZ): %(clients)s · %(money)s"),
    Quadrant.COWS: N_("Cash cows (AX): %(clients)s · %(money)s"),
    Quadrant.DOGS: N_("Dogs (CX): %(clients)s · %(money)s"),
    Quadrant.QUESTIONS: N_("Questions: %(clients)s · %(money)s"),
}


def _headline(data: BcgData) -> list[Msg]:
    lines = [
        Msg(
            QUADRANT_HEADLINES[total.quadrant],
            {"clients": total.clients, "money": Money(total.money)},
        )
        for total in data.quadrants
    ]
    lines.append(
        Msg(
            N_("Lost: %(lost)s · potential: %(potential)s"),
            {"lost": data.lost, "potential": data.potential},
        )
    )
    if data.previous_run_id is not None:
        lines.append(
            Msg(
                N_("Into cash cows: %(into)s · out of them: %(out)s"),
                {"into": data.into_cows, "out": data.out_of_cows},
            )
        )
    return lines


def _key_label(key: str) -> object:
    return key or Msg(N_("not classified"))


def _tables(data: BcgData) -> list[Table]:
    money_label = N_("Gross profit") if data.money_basis == "profit" else N_("Revenue")
    tables = [
        Table(
            "cells",
            N_("BCG matrix"),
            [
                Column("cell", N_("Cell")),
                Column("quadrant", N_("Quadrant")),
                Column("clients", N_("Clients"), ColumnKind.INT),
                Column("money", money_label, ColumnKind.MONEY),
            ],
            [
                {
                    "cell": c.abc + c.xyz,
                    "quadrant": Msg(QUADRANT_TITLES[c.quadrant]),
                    "clients": c.clients,
                    "money": c.money,
                }
                for c in data.cells
            ],
        ),
        Table(
            "quadrants",
            N_("Quadrants"),
            [
                Column("quadrant", N_("Quadrant")),
                Column("clients", N_("Clients"), ColumnKind.INT),
                Column("money", money_label, ColumnKind.MONEY),
            ],
            [
                {
                    "quadrant": Msg(QUADRANT_TITLES[q.quadrant]),
                    "clients": q.clients,
                    "money": q.money,
                }
                for q in data.quadrants
            ]
            + [
                {"quadrant": Msg(N_("Lost")), "clients": data.lost, "money": 0},
                {"quadrant": Msg(N_("Potential")), "clients": data.potential, "money": 0},
            ],
        ),
    ]
    for key, title, matrix, keys in (
        ("abc_transitions", N_("ABC: previous → current"), data.abc_transitions, TRANSITION_KEYS),
        (
            "xyz_transitions",
            N_("XYZ: previous → current"),
            data.xyz_transitions,
            ("X", "Y", "Z", ""),
        ),
    ):
        if not matrix:
            continue
        columns = [Column("before", N_("Before"))] + [
            Column(k or "none", k or N_("not classified"), ColumnKind.INT) for k in keys
        ]
        rows = []
        for i, before in enumerate(keys):
            row: dict[str, object] = {"before": _key_label(before)}
            for j, after in enumerate(keys):
                row[after or "none"] = matrix[i][j]
            rows.append(row)
        tables.append(Table(key, title, columns, rows))
    return tables
