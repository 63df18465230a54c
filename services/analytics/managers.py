"""Report 7, managers compared (1C: "Сравнительный анализ показателей работы менеджеров",
reference §17), against the previous period of the same length or the same dates a year before.

Per manager and period (attribution in brackets):

* sales and cost = posted shipments in the period (the order's manager, else the deal's owner,
  else the client's main manager); profit = sales − cost; cash = posted payments (the deal's
  owner, else the client's main manager); net profit = cash − cost, as 1C;
* deals won and lost = deals that ended in the period (owner); deal efficiency = won ÷ (won +
  lost); sales per won deal = sales ÷ won; cycle time = average days from start to win;
* interactions = done interactions in the period (owner), by kind; interaction efficiency =
  interactions about deals that are won ÷ all; sales per interaction = sales ÷ interactions;
* tasks due in the period (performer, cancelled ones left out): share done by the deadline;
* clients (the client's main manager, from shipments): new = first purchase ever within the
  period; returned = bought in the period, bought before, but not in the same length of time
  right before the period; lost = bought in that time before, not in the period; share new =
  new ÷ (new + lost); sales to new clients;
* claims registered in the period (the deal's owner, else the client's main manager);
* the top five (manager, stage of loss), (manager, loss reason), (manager, claim cause).

With --kind, only what belongs to deals of that kind counts (client dynamics stay company-wide).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable
from dataclasses import dataclass, field, fields, replace

from core.i18n import N_
from models.base import Role
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
    days_between,
    dialect,
    fetch,
    period_of,
    previous_period,
    ratio,
    resolve_scope,
    scope_clause,
)

TOP = 5
ACTIVITY_KINDS = ("call", "meeting", "email", "telegram")


@dataclass(frozen=True, slots=True)
class ManagerFigures:
    sales_minor: int = 0
    cost_minor: int = 0
    cash_minor: int = 0
    won: int = 0
    lost: int = 0
    won_minor: int = 0
    cycle_days: float | None = None
    interactions: int = 0
    interactions_won: int = 0
    calls: int = 0
    meetings: int = 0
    emails: int = 0
    messages: int = 0
    tasks_due: int = 0
    tasks_on_time: int = 0
    new_clients: int = 0
    lost_clients: int = 0
    returned_clients: int = 0
    new_clients_sales_minor: int = 0
    claims: int = 0

    @property
    def profit_minor(self) -> int:
        return self.sales_minor - self.cost_minor

    @property
    def net_profit_minor(self) -> int:
        return self.cash_minor - self.cost_minor

    @property
    def deal_efficiency(self) -> float | None:
        return ratio(self.won, self.won + self.lost)

    @property
    def sales_per_deal_minor(self) -> int | None:
        return round(self.sales_minor / self.won) if self.won else None

    @property
    def interaction_efficiency(self) -> float | None:
        return ratio(self.interactions_won, self.interactions)

    @property
    def sales_per_interaction_minor(self) -> int | None:
        return round(self.sales_minor / self.interactions) if self.interactions else None

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.tasks_on_time, self.tasks_due)

    @property
    def new_share(self) -> float | None:
        return ratio(self.new_clients, self.new_clients + self.lost_clients)


@dataclass(frozen=True, slots=True)
class ManagerRow:
    employee_id: int
    name: str
    team: str | None
    current: ManagerFigures
    previous: ManagerFigures


@dataclass(frozen=True, slots=True)
class TopPair:
    employee_id: int
    name: str
    what_id: int  # stage, loss reason or claim cause
    what: Name
    count: int
    amount_minor: int = 0


@dataclass(frozen=True, slots=True)
class ManagersData:
    date_from: dt.date
    date_to: dt.date
    previous_from: dt.date
    previous_to: dt.date
    compare: str
    currency: str
    rows: tuple[ManagerRow, ...]
    total: ManagerFigures
    previous_total: ManagerFigures
    loss_stages: tuple[TopPair, ...] = field(default_factory=tuple)
    loss_reasons: tuple[TopPair, ...] = field(default_factory=tuple)
    claim_causes: tuple[TopPair, ...] = field(default_factory=tuple)


class _Windows:
    """SQL snippets for 'in the current period' / 'in the comparison period'."""

    def __init__(self, cur: Period, prev: Period) -> None:
        self.cur, self.prev = cur, prev

    def moments(self, column: str) -> tuple[str, str, str, list, list, list]:
        """(in current, in previous, in either, their args...) for a timestamp column; "in
        either" is also one range over both, so an index on the column serves it."""
        c = f"({column} >= ? AND {column} < ?)"
        p = f"({column} >= ? AND {column} < ?)"
        c_args = [self.cur.start, self.cur.end]
        p_args = [self.prev.start, self.prev.end]
        span = [min(self.cur.start, self.prev.start), max(self.cur.end, self.prev.end)]
        either = f"({column} >= ? AND {column} < ? AND ({c} OR {p}))"
        return c, p, either, c_args, p_args, span + c_args + p_args

    def days(self, column: str) -> tuple[str, str, str, list, list, list]:
        """The same for a DATE column (inclusive local days)."""
        c = f"({column} >= ? AND {column} <= ?)"
        p = f"({column} >= ? AND {column} <= ?)"
        c_args = [self.cur.date_from, self.cur.date_to]
        p_args = [self.prev.date_from, self.prev.date_to]
        span = [min(self.cur.date_from, self.prev.date_from),
                max(self.cur.date_to, self.prev.date_to)]
        either = f"({column} >= ? AND {column} <= ? AND ({c} OR {p}))"
        return c, p, either, c_args, p_args, span + c_args + p_args


def _sum_if(cond: str, value: str = "1") -> str:
    return f"SUM(CASE WHEN {cond} THEN {value} ELSE 0 END)"


async def compute_managers(
    params: ReportParams, period: Period, previous: Period, scope: Scope, currency: str = "UAH"
) -> ManagersData:
    db = dialect()
    w = _Windows(period, previous)
    kind = params.kind_id
    figures: dict[int, dict[str, dict]] = {}
    pending: dict[str, Awaitable] = {}

    def put(emp: int | None, which: str, **values: object) -> None:
        if emp is None:
            return
        slot = figures.setdefault(emp, {"c": {}, "p": {}})[which]
        for key, value in values.items():
            if value is not None:
                slot[key] = value

    # Sales, cost (shipments).
    who = "COALESCE(o.manager_id, d.owner_id, pt.main_manager_id)"
    where, args = _scoped(["s.status = 'posted'"], [], who, scope, kind, "s.deal_id")
    pending["shipments"] = _per_period(
        w.days("s.date"), who,
        "SUM(s.amount_minor) AS sales, SUM(s.cost_minor) AS cost",
        """FROM shipment s
        LEFT JOIN sales_order o ON o.id = s.order_id
        LEFT JOIN deal d ON d.id = s.deal_id
        LEFT JOIN partner pt ON pt.id = s.partner_id""",
        where, args,
    )

    # Cash (payments).
    who = "COALESCE(d.owner_id, pt.main_manager_id)"
    where, args = _scoped(["y.status = 'posted'"], [], who, scope, kind, "y.deal_id")
    pending["payments"] = _per_period(
        w.days("y.date"), who, "SUM(y.amount_minor) AS cash",
        """FROM payment y
        LEFT JOIN deal d ON d.id = y.deal_id
        LEFT JOIN partner pt ON pt.id = y.partner_id""",
        where, args,
    )

    # Deals won and lost, cycle time.
    cycle = days_between("d.ended_at", "d.started_at", db)
    where, args = _scoped(["d.status IN ('won', 'lost')"], [], "d.owner_id", scope, kind, "d.id")
    pending["deals"] = _per_period(
        w.moments("d.ended_at"), "d.owner_id",
        f"""{_sum_if("d.status = 'won'")} AS won, {_sum_if("d.status = 'lost'")} AS lost,
            {_sum_if("d.status = 'won'", "d.potential_minor")} AS won_minor,
            AVG(CASE WHEN d.status = 'won' THEN {cycle} END) AS cycle""",
        "FROM deal d", where, args,
    )

    # Interactions (done ones), by kind, and those about deals that are won.
    where, args = _scoped(["i.done = ?"], [True], "i.owner_id", scope, kind, "i.deal_id")
    won = "i.deal_id IN (SELECT w.id FROM deal w WHERE w.status = 'won')"
    by_kind = ", ".join(f"{_sum_if(f'i.kind = {k!r}')} AS {k}" for k in ACTIVITY_KINDS)
    pending["interactions"] = _per_period(
        w.moments("i.starts_at"), "i.owner_id",
        f"COUNT(*) AS n, {_sum_if(won)} AS won, {by_kind}",
        "FROM interaction i", where, args,
    )

    # Tasks due in the period: done by the deadline?
    on_time = "t.status = 'done' AND t.completed_at IS NOT NULL AND t.completed_at <= t.due_at"
    where, args = _scoped(["t.status <> 'cancelled'"], [], "t.performer_id", scope, kind,
                          "t.deal_id")
    pending["tasks"] = _per_period(
        w.moments("t.due_at"), "t.performer_id", f"COUNT(*) AS due, {_sum_if(on_time)} AS ok",
        "FROM task t", where, args,
    )

    # Clients: new, returned, lost (by the client's main manager).
    pending["clients"] = _client_dynamics(period, previous, scope)

    # Claims.
    c, p, any_, ca, pa, aa = w.moments("cl.registered_at")
    who = "COALESCE(d.owner_id, pt.main_manager_id)"
    where, args = _scoped([any_], aa, who, scope, kind, "cl.deal_id")
    claim_sql = f"""
        FROM claim cl
        LEFT JOIN deal d ON d.id = cl.deal_id
        LEFT JOIN partner pt ON pt.id = cl.partner_id
        WHERE {where}
    """
    pending["claims"] = fetch(
        f"SELECT {who} AS emp, {_sum_if(c)} AS n_c, {_sum_if(p)} AS n_p {claim_sql} "
        f"GROUP BY {who}",
        [*ca, *pa, *args],
    )
    pending["claim_top"] = fetch(
        f"""
        SELECT {who} AS emp, cl.cause_id AS what, COUNT(*) AS n, SUM(cl.claimed_minor) AS amount
        {claim_sql} AND {c}
        GROUP BY {who}, cl.cause_id
        ORDER BY COUNT(*) DESC, {who}, cl.cause_id LIMIT {TOP}
        """,
        [*args, *ca],
    )
    pending["loss_tops"] = _loss_tops(period, scope, kind)

    # Independent queries: concurrently on PostgreSQL's pool (SQLite runs them in turn).
    done = dict(zip(pending, await asyncio.gather(*pending.values()), strict=True))
    for r in done["shipments"]:
        put(r["emp"], r["which"], sales_minor=int(r["sales"] or 0), cost_minor=int(r["cost"] or 0))
    for r in done["payments"]:
        put(r["emp"], r["which"], cash_minor=int(r["cash"] or 0))
    for r in done["deals"]:
        cyc = r["cycle"]
        put(r["emp"], r["which"], won=int(r["won"] or 0), lost=int(r["lost"] or 0),
            won_minor=int(r["won_minor"] or 0), cycle_days=None if cyc is None else float(cyc))
    for r in done["interactions"]:
        put(r["emp"], r["which"], interactions=int(r["n"] or 0),
            interactions_won=int(r["won"] or 0), calls=int(r["call"] or 0),
            meetings=int(r["meeting"] or 0), emails=int(r["email"] or 0),
            messages=int(r["telegram"] or 0))
    for r in done["tasks"]:
        put(r["emp"], r["which"], tasks_due=int(r["due"] or 0), tasks_on_time=int(r["ok"] or 0))
    for r in done["clients"]:
        for which in ("c", "p"):
            put(r["emp"], which, new_clients=int(r[f"new_{which}"] or 0),
                returned_clients=int(r[f"ret_{which}"] or 0),
                lost_clients=int(r[f"lost_{which}"] or 0),
                new_clients_sales_minor=int(r[f"new_sales_{which}"] or 0))
    for r in done["claims"]:
        put(r["emp"], "c", claims=int(r["n_c"] or 0))
        put(r["emp"], "p", claims=int(r["n_p"] or 0))
    claim_top = done["claim_top"]
    loss_stage_top, loss_reason_top = done["loss_tops"]

    return await _assemble(params, period, previous, scope, currency, figures,
                           loss_stage_top, loss_reason_top, claim_top)


def _per_period(
    windows: tuple[str, str, str, list, list, list], who: str, figures: str, source: str,
    where: str, args: list,
) -> Awaitable[list[dict]]:
    """One source's figures per employee for each period: two grouped range scans joined by
    UNION ALL (`which` = 'c' or 'p'), so every row is read once, by the index on the period
    column, and its figures are computed once instead of once per period."""
    c, p, _, c_args, p_args, _ = windows

    def branch(which: str, within: str) -> str:
        return (f"SELECT '{which}' AS which, {who} AS emp, {figures} {source} "
                f"WHERE {within} AND {where} GROUP BY {who}")

    return fetch(f"{branch('c', c)} UNION ALL {branch('p', p)}",
                 [*c_args, *args, *p_args, *args])


def _scoped(
    where: list[str], args: list, who: str, scope: Scope, kind_id: int | None, deal: str
) -> tuple[str, list]:
    """The WHERE of one source: its own conditions, the viewer's scope on the attributed
    employee, and the deal kind (its `deal` id column among the deals of the kind: no join)."""
    clause, ids = scope_clause(who, scope)
    where = [*where, clause]
    args = [*args, *ids]
    if kind_id is not None:
        where.append(f"{deal} IN (SELECT k.id FROM deal k WHERE k.kind_id = ?)")
        args.append(kind_id)
    return " AND ".join(where), args


async def _client_dynamics(period: Period, previous: Period, scope: Scope) -> list[dict]:
    """Per main manager: new, returned and lost clients, and sales to new ones, for both
    periods, from one pass over the posted shipments grouped by client."""
    prior_c = (period.date_from - dt.timedelta(days=period.days), period.date_from - dt.timedelta(
        days=1))
    prior_p = (previous.date_from - dt.timedelta(days=previous.days),
               previous.date_from - dt.timedelta(days=1))
    latest = max(period.date_to, previous.date_to)

    def within(a: dt.date, b: dt.date) -> tuple[str, list]:
        return "(s.date >= ? AND s.date <= ?)", [a, b]

    c, c_args = within(period.date_from, period.date_to)
    pc, pc_args = within(*prior_c)
    p, p_args = within(previous.date_from, previous.date_to)
    pp, pp_args = within(*prior_p)
    clause, ids = scope_clause("pt.main_manager_id", scope)
    return await fetch(
        f"""
        SELECT pt.main_manager_id AS emp,
               {_sum_if("x.in_c = 1 AND x.first_on >= ?")} AS new_c,
               {_sum_if("x.in_c = 1 AND x.first_on < ? AND x.in_pc = 0")} AS ret_c,
               {_sum_if("x.in_pc = 1 AND x.in_c = 0")} AS lost_c,
               {_sum_if("x.in_c = 1 AND x.first_on >= ?", "x.sales_c")} AS new_sales_c,
               {_sum_if("x.in_p = 1 AND x.first_on >= ?")} AS new_p,
               {_sum_if("x.in_p = 1 AND x.first_on < ? AND x.in_pp = 0")} AS ret_p,
               {_sum_if("x.in_pp = 1 AND x.in_p = 0")} AS lost_p,
               {_sum_if("x.in_p = 1 AND x.first_on >= ?", "x.sales_p")} AS new_sales_p
        FROM (
            SELECT s.partner_id AS partner_id, MIN(s.date) AS first_on,
                   MAX(CASE WHEN {c} THEN 1 ELSE 0 END) AS in_c,
                   MAX(CASE WHEN {pc} THEN 1 ELSE 0 END) AS in_pc,
                   MAX(CASE WHEN {p} THEN 1 ELSE 0 END) AS in_p,
                   MAX(CASE WHEN {pp} THEN 1 ELSE 0 END) AS in_pp,
                   SUM(CASE WHEN {c} THEN s.amount_minor ELSE 0 END) AS sales_c,
                   SUM(CASE WHEN {p} THEN s.amount_minor ELSE 0 END) AS sales_p
            FROM shipment s
            WHERE s.status = 'posted' AND s.date <= ?
            GROUP BY s.partner_id
        ) x
        JOIN partner pt ON pt.id = x.partner_id
        WHERE pt.main_manager_id IS NOT NULL AND {clause}
        GROUP BY pt.main_manager_id
        """,
        [
            period.date_from, period.date_from, period.date_from,
            previous.date_from, previous.date_from, previous.date_from,
            *c_args, *pc_args, *p_args, *pp_args, *c_args, *p_args, latest, *ids,
        ],
    )


async def _loss_tops(period: Period, scope: Scope, kind_id: int | None) -> tuple[list, list]:
    where = ["d.status = 'lost'", "d.ended_at >= ?", "d.ended_at < ?"]
    args: list = [period.start, period.end]
    sql, args = _scoped(where, args, "d.owner_id", scope, kind_id, "d.id")
    stages = await fetch(
        f"""
        SELECT d.owner_id AS emp, l.stage_id AS what, COUNT(*) AS n,
               SUM(l.potential_minor) AS amount
        FROM deal_stage_log l JOIN deal d ON d.id = l.deal_id
        WHERE l.result = 'lost' AND {sql}
        GROUP BY d.owner_id, l.stage_id
        ORDER BY COUNT(*) DESC, SUM(l.potential_minor) DESC, d.owner_id, l.stage_id
        LIMIT {TOP}
        """,
        args,
    )
    reasons = await fetch(
        f"""
        SELECT d.owner_id AS emp, d.loss_reason_id AS what, COUNT(*) AS n,
               SUM(d.potential_minor) AS amount
        FROM deal d
        WHERE d.loss_reason_id IS NOT NULL AND {sql}
        GROUP BY d.owner_id, d.loss_reason_id
        ORDER BY COUNT(*) DESC, SUM(d.potential_minor) DESC, d.owner_id, d.loss_reason_id
        LIMIT {TOP}
        """,
        args,
    )
    return stages, reasons


async def _assemble(
    params: ReportParams, period: Period, previous: Period, scope: Scope, currency: str,
    figures: dict[int, dict[str, dict]], loss_stages: list, loss_reasons: list, claims: list,
) -> ManagersData:
    from models import ClaimCause, Employee, LossReason, Stage

    people = Employee.filter(role__in=[Role.MANAGER, Role.HEAD], active=True)
    if scope.owner_ids is not None:
        people = people.filter(id__in=scope.owner_ids)
    ids = set(await people.values_list("id", flat=True)) | set(figures)
    if scope.owner_ids is not None:
        ids &= scope.owner_ids
    staff = {
        e["id"]: e
        for e in await Employee.filter(id__in=ids).values("id", "full_name", "team__name")
    }
    rows = []
    for emp in staff:
        slots = figures.get(emp, {"c": {}, "p": {}})
        rows.append(ManagerRow(emp, staff[emp]["full_name"], staff[emp]["team__name"],
                               ManagerFigures(**slots["c"]), ManagerFigures(**slots["p"])))
    rows.sort(key=lambda r: (-r.current.sales_minor, -r.current.won, r.name))

    stage_names = {s["id"]: Name(s["name_uk"], s["name_en"]) for s in await Stage.filter(
        id__in=[r["what"] for r in loss_stages]).values("id", "name_uk", "name_en")}
    reason_names = {s["id"]: Name(s["name_uk"], s["name_en"]) for s in await LossReason.filter(
        id__in=[r["what"] for r in loss_reasons]).values("id", "name_uk", "name_en")}
    cause_names = {s["id"]: Name(s["name_uk"], s["name_en"]) for s in await ClaimCause.filter(
        id__in=[r["what"] for r in claims]).values("id", "name_uk", "name_en")}
    names = dict(await Employee.filter(
        id__in={r["emp"] for r in [*loss_stages, *loss_reasons, *claims]}
    ).values_list("id", "full_name"))

    def pairs(found: list, what: dict[int, Name]) -> tuple[TopPair, ...]:
        return tuple(TopPair(r["emp"], names.get(r["emp"], ""), r["what"], what[r["what"]],
                             int(r["n"]), int(r["amount"] or 0)) for r in found)

    return ManagersData(
        date_from=period.date_from,
        date_to=period.date_to,
        previous_from=previous.date_from,
        previous_to=previous.date_to,
        compare=str(params.compare),
        currency=currency,
        rows=tuple(rows),
        total=_total([r.current for r in rows]),
        previous_total=_total([r.previous for r in rows]),
        loss_stages=pairs(loss_stages, stage_names),
        loss_reasons=pairs(loss_reasons, reason_names),
        claim_causes=pairs(claims, cause_names),
    )


def _total(items: list[ManagerFigures]) -> ManagerFigures:
    """Sums of the counts; the cycle time is the won-weighted mean of the managers' means."""
    summed: dict[str, object] = {}
    for f in fields(ManagerFigures):
        if f.name == "cycle_days":
            continue
        summed[f.name] = sum(getattr(i, f.name) for i in items)
    won = [(i.cycle_days, i.won) for i in items if i.cycle_days is not None and i.won]
    weight = sum(n for _, n in won)
    cycle = sum(c * n for c, n in won) / weight if weight else None
    return replace(ManagerFigures(**summed), cycle_days=cycle)  # type: ignore[arg-type]


# --- the registered report -----------------------------------------------------------------------

# (key, label, kind, attribute or property of ManagerFigures)
METRICS = [
    ("sales_minor", N_("Sales"), ColumnKind.MONEY),
    ("profit_minor", N_("Profit"), ColumnKind.MONEY),
    ("net_profit_minor", N_("Net profit"), ColumnKind.MONEY),
    ("won", N_("Deals won"), ColumnKind.INT),
    ("lost", N_("Deals lost"), ColumnKind.INT),
    ("deal_efficiency", N_("Deal efficiency"), ColumnKind.RATIO),
    ("sales_per_deal_minor", N_("Sales per won deal"), ColumnKind.MONEY),
    ("cycle_days", N_("Cycle time"), ColumnKind.DAYS),
    ("interactions", N_("Interactions"), ColumnKind.INT),
    ("interaction_efficiency", N_("Interaction efficiency"), ColumnKind.RATIO),
    ("sales_per_interaction_minor", N_("Sales per interaction"), ColumnKind.MONEY),
    ("calls", N_("Calls"), ColumnKind.INT),
    ("meetings", N_("Meetings"), ColumnKind.INT),
    ("emails", N_("E-mails"), ColumnKind.INT),
    ("messages", N_("Messages"), ColumnKind.INT),
    ("tasks_due", N_("Tasks due"), ColumnKind.INT),
    ("on_time_rate", N_("Tasks on time"), ColumnKind.RATIO),
    ("new_clients", N_("New clients"), ColumnKind.INT),
    ("returned_clients", N_("Returned clients"), ColumnKind.INT),
    ("lost_clients", N_("Lost clients"), ColumnKind.INT),
    ("new_share", N_("Share of new clients"), ColumnKind.RATIO),
    ("new_clients_sales_minor", N_("Sales to new clients"), ColumnKind.MONEY),
    ("claims", N_("Claims"), ColumnKind.INT),
]


def managers_tables(data: ManagersData) -> list[Table]:
    money = data.currency
    columns = [Column("manager", N_("Manager")), Column("team", N_("Team"))]
    columns += [Column(key, label, kind) for key, label, kind in METRICS]
    compare_columns = [Column("manager", N_("Manager"))]
    for key, label, kind in METRICS:
        compare_columns.append(Column(key, label, kind))
        compare_columns.append(Column(f"{key}_previous", _previous_label(label), kind))

    def row(r: ManagerRow, previous: bool) -> dict:
        out = {"manager": r.name, "team": r.team or ""}
        for key, _, _ in METRICS:
            out[key] = getattr(r.current, key)
            if previous:
                out[f"{key}_previous"] = getattr(r.previous, key)
        return out

    def tops(what: str) -> list[Column]:
        return [Column("manager", N_("Manager")), Column("what", what),
                Column("count", N_("Count"), ColumnKind.INT),
                Column("amount_minor", N_("Amount"), ColumnKind.MONEY)]

    def top_rows(items: tuple[TopPair, ...]) -> list[dict]:
        return [{"manager": t.name, "what": t.what, "count": t.count,
                 "amount_minor": t.amount_minor} for t in items]

    return [
        Table("managers", N_("Managers"), columns, [row(r, False) for r in data.rows],
              currency=money, brief=("manager", "sales_minor", "won", "deal_efficiency",
                                     "on_time_rate")),
        Table("comparison", Msg(N_("Compared with %(from)s – %(to)s"),
                                {"from": data.previous_from, "to": data.previous_to}),
              compare_columns, [row(r, True) for r in data.rows], currency=money,
              brief=("manager", "sales_minor", "sales_minor_previous")),
        Table("loss_stages", N_("Top five stages of loss"), tops(N_("Stage")),
              top_rows(data.loss_stages), currency=money, brief=("manager", "what", "count")),
        Table("loss_reasons", N_("Top five loss reasons"), tops(N_("Loss reason")),
              top_rows(data.loss_reasons), currency=money, brief=("manager", "what", "count")),
        Table("claim_causes", N_("Top five claim causes"), tops(N_("Claim cause")),
              top_rows(data.claim_causes), currency=money, brief=("manager", "what", "count")),
    ]


def _previous_label(label: str) -> Msg:
    return Msg(N_("%(metric)s, before"), {"metric": Msg(label)})


def managers_headline(data: ManagersData) -> list[Msg]:
    money = data.currency
    t, p = data.total, data.previous_total
    lines = [
        Msg(N_("Sales %(amount)s (before: %(before)s), profit %(profit)s"),
            {"amount": Money(t.sales_minor, money), "before": Money(p.sales_minor, money),
             "profit": Money(t.profit_minor, money)}),
        Msg(N_("Deals won: %(won)s, lost: %(lost)s, efficiency %(rate)s (before: %(before)s)"),
            {"won": t.won, "lost": t.lost, "rate": Ratio(t.deal_efficiency),
             "before": Ratio(p.deal_efficiency)}),
        Msg(N_("Tasks on time: %(rate)s; interactions: %(count)s"),
            {"rate": Ratio(t.on_time_rate), "count": t.interactions}),
    ]
    leaders = [r for r in data.rows if r.current.sales_minor > 0]
    if leaders:
        lines.append(Msg(N_("Leader: %(name)s, %(amount)s"),
                         {"name": leaders[0].name,
                          "amount": Money(leaders[0].current.sales_minor, money)}))
    return lines


@register_report(
    "managers",
    title=N_("Managers compared"),
    description=N_("Sales, profit, deals, interactions, tasks and clients per manager"),
    chart="charts.managers:managers_png",
    order=7,
)
async def managers_report(params: ReportParams) -> ReportResult:
    from core.config import get_settings

    period = period_of(params)
    previous = previous_period(period, params.compare, params.tz)
    scope = await resolve_scope(params)
    data = await compute_managers(params, period, previous, scope, get_settings().currency)
    return ReportResult("managers", period, headline=managers_headline(data),
                        tables=managers_tables(data), data=data)
