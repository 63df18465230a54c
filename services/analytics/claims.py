"""Report "claims" (1C: "Анализ претензий клиентов", reference §15), three views in one:

* dynamics: per local month of the period, claims registered, closed (satisfied / not
  satisfied) and still open at the month's end;
* satisfaction by cause: the claims registered in the period, per cause: how many, satisfied,
  not satisfied, still open, the satisfied share of the decided ones, money claimed and
  granted, the average days to close and the share closed within the response time;
* structure: the top five causes and the top five culprits (guilty departments and employees
  of the satisfied claims), the rest grouped as "other";
* overdue: the claims past their response time at the end of the period (or now).

Whose claims count: as in `services.claims`, the claims someone works with (its responsible
person, its author, the client's main manager or the owner of a deal with the client); a manager
sees their own, a head the team's, an admin all. `--kind` keeps the claims on deals of that kind.
Money is summed in the report's currency (claims in another currency count, without money).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from core import clock
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
    add_months,
    days_between,
    dialect,
    fetch,
    in_list,
    period_of,
    ratio,
    resolve_scope,
)

TOP = 5
OVERDUE_ROWS = 10
DEFAULT_DAYS = 180  # six months of dynamics
OTHER_CAUSES = Msg(N_("Other causes"))
OTHER_DEPARTMENTS = Msg(N_("Other departments"))
OTHER_EMPLOYEES = Msg(N_("Other employees"))


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: dt.date  # the first day of the local month
    registered: int
    closed: int
    satisfied: int
    not_satisfied: int
    open_at_end: int  # registered before the month's end (or the period's) and not closed by it


@dataclass(frozen=True, slots=True)
class CauseRow:
    cause_id: int
    cause: Name
    registered: int
    satisfied: int
    not_satisfied: int
    open: int
    satisfaction: float | None  # satisfied / (satisfied + not satisfied)
    claimed_minor: int
    settled_minor: int
    avg_days_to_close: float | None
    closed: int
    closed_late: int  # closed after the due date

    @property
    def on_time(self) -> float | None:
        """The share closed within the response time."""
        return ratio(self.closed - self.closed_late, self.closed)


@dataclass(frozen=True, slots=True)
class TopRow:
    key: int | str | None  # cause id, department, employee id; None for "other"
    name: Name | Msg | str
    count: int
    share: float | None
    settled_minor: int = 0


@dataclass(frozen=True, slots=True)
class OverdueRow:
    claim_id: int
    number: str
    partner: str
    responsible: str
    cause: Name
    due_at: dt.datetime
    days_overdue: float


@dataclass(frozen=True, slots=True)
class ClaimsData:
    date_from: dt.date
    date_to: dt.date
    currency: str
    as_of: dt.datetime  # when "overdue" is counted: the period's end, or now if earlier
    registered: int
    satisfied: int
    not_satisfied: int
    open: int
    claimed_minor: int
    settled_minor: int
    closed: int  # of the registered ones
    closed_late: int  # of those, after the due date
    satisfied_without_culprit: int
    overdue_count: int
    months: tuple[MonthRow, ...]
    causes: tuple[CauseRow, ...]
    top_causes: tuple[TopRow, ...]
    top_departments: tuple[TopRow, ...]
    top_employees: tuple[TopRow, ...]
    overdue: tuple[OverdueRow, ...]

    @property
    def decided(self) -> int:
        return self.satisfied + self.not_satisfied

    @property
    def satisfaction(self) -> float | None:
        return ratio(self.satisfied, self.decided)


# --- SQL ----------------------------------------------------------------------------------------

def _from(scope: Scope, kind_id: int | None) -> str:
    """FROM the claims, joined with what the scope (the client's main manager) and the deal
    kind read: nothing else, so that a company-wide report reads the claim table alone."""
    joins = ["FROM claim cl"]
    if scope.owner_ids is not None:
        joins.append("JOIN partner pt ON pt.id = cl.partner_id")
    if kind_id is not None:
        joins.append("LEFT JOIN deal d ON d.id = cl.deal_id")
    return " ".join(joins)


def claims_scope_clause(scope: Scope) -> tuple[str, list[int]]:
    """The claims people in the scope work with (as `services.claims` decides who sees a
    claim): its responsible or author, the client's main manager, or the owner of a deal with
    the client."""
    if scope.owner_ids is None:
        return "1 = 1", []
    parts, args = [], []
    for column in ("cl.responsible_id", "cl.author_id", "pt.main_manager_id"):
        clause, ids = in_list(column, scope.owner_ids)
        parts.append(clause)
        args += ids
    clause, ids = in_list("od.owner_id", scope.owner_ids)
    parts.append(f"cl.partner_id IN (SELECT od.partner_id FROM deal od WHERE {clause})")
    args += ids
    return f"({' OR '.join(parts)})", args


def _where(scope: Scope, kind_id: int | None, *extra: tuple[str, list]) -> tuple[str, list]:
    """The scope, then each (clause, its args), then the deal kind, joined with AND."""
    clause, args = claims_scope_clause(scope)
    where = [clause]
    for sql, values in extra:
        where.append(sql)
        args += values
    if kind_id is not None:
        where.append("d.kind_id = ?")
        args.append(kind_id)
    return " AND ".join(where), args


def month_bounds(period: Period, tz: str) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    """(first day, start, end) of each local month the period touches, clipped to the period."""
    zone = zoneinfo.ZoneInfo(tz)
    out = []
    month = period.date_from.replace(day=1)
    while month <= period.date_to:
        following = add_months(month, 1)
        start = dt.datetime.combine(month, dt.time(), zone).astimezone(dt.UTC)
        end = dt.datetime.combine(following, dt.time(), zone).astimezone(dt.UTC)
        out.append((month, max(start, period.start), min(end, period.end)))
        month = following
    return out


async def _months(
    period: Period, scope: Scope, kind_id: int | None, tz: str
) -> tuple[MonthRow, ...]:
    """Per month: registered, closed (satisfied / not), and open at its end, in one pass."""
    bounds = month_bounds(period, tz)
    base, base_args = _where(scope, kind_id)
    columns, args = [], []
    decided = "cl.status IN ('satisfied', 'not_satisfied')"
    for index, (_, start, end) in enumerate(bounds):
        registered = "cl.registered_at >= ? AND cl.registered_at < ?"
        closed = f"{decided} AND cl.closed_at >= ? AND cl.closed_at < ?"
        columns += [
            f"SUM(CASE WHEN {registered} THEN 1 ELSE 0 END) AS r{index}",
            f"SUM(CASE WHEN {closed} THEN 1 ELSE 0 END) AS c{index}",
            f"SUM(CASE WHEN {closed} AND cl.status = 'satisfied' THEN 1 ELSE 0 END) AS s{index}",
            f"SUM(CASE WHEN {closed} AND cl.status = 'not_satisfied' THEN 1 ELSE 0 END)"
            f" AS n{index}",
            f"SUM(CASE WHEN cl.registered_at < ? AND (cl.closed_at IS NULL OR cl.closed_at >= ?)"
            f" THEN 1 ELSE 0 END) AS o{index}",
        ]
        args += [start, end, start, end, start, end, start, end, end, end]
    row = (
        await fetch(f"SELECT {', '.join(columns)} {_from(scope, kind_id)} WHERE {base}",
                    [*args, *base_args])
    )[0]  # fmt: skip
    return tuple(
        MonthRow(month, int(row[f"r{i}"] or 0), int(row[f"c{i}"] or 0), int(row[f"s{i}"] or 0),
                 int(row[f"n{i}"] or 0), int(row[f"o{i}"] or 0))
        for i, (month, _, _) in enumerate(bounds)
    )  # fmt: skip


async def _causes(
    period: Period, scope: Scope, kind_id: int | None, currency: str, db: str
) -> list[CauseRow]:
    where, args = _where(scope, kind_id, ("cl.registered_at >= ?", [period.start]),
                         ("cl.registered_at < ?", [period.end]))
    days = days_between("cl.closed_at", "cl.registered_at", db)
    rows = await fetch(
        f"""
        SELECT cl.cause_id AS cause_id, COUNT(*) AS n,
               SUM(CASE WHEN cl.status = 'satisfied' THEN 1 ELSE 0 END) AS sat,
               SUM(CASE WHEN cl.status = 'not_satisfied' THEN 1 ELSE 0 END) AS rej,
               SUM(CASE WHEN cl.currency = ? THEN cl.claimed_minor ELSE 0 END) AS claimed,
               SUM(CASE WHEN cl.status = 'satisfied' AND cl.currency = ? THEN cl.settled_minor
                   ELSE 0 END) AS settled,
               AVG(CASE WHEN cl.closed_at IS NOT NULL THEN {days} END) AS avg_days,
               SUM(CASE WHEN cl.closed_at IS NOT NULL THEN 1 ELSE 0 END) AS closed,
               SUM(CASE WHEN cl.closed_at IS NOT NULL AND cl.due_at IS NOT NULL
                        AND cl.closed_at > cl.due_at THEN 1 ELSE 0 END) AS late,
               MAX(cc.name_uk) AS name_uk, MAX(cc.name_en) AS name_en
        {_from(scope, kind_id)} LEFT JOIN claim_cause cc ON cc.id = cl.cause_id
        WHERE {where}
        GROUP BY cl.cause_id
        """,
        [currency, currency, *args],
    )
    out = []
    for r in rows:
        n, sat, rej = int(r["n"]), int(r["sat"] or 0), int(r["rej"] or 0)
        closed = int(r["closed"] or 0)
        out.append(
            CauseRow(
                r["cause_id"], Name(r["name_uk"] or "", r["name_en"] or ""), n, sat, rej,
                n - sat - rej, ratio(sat, sat + rej), int(r["claimed"] or 0),
                int(r["settled"] or 0),
                float(r["avg_days"]) if r["avg_days"] is not None else None,
                closed, int(r["late"] or 0),
            )
        )  # fmt: skip
    out.sort(key=lambda c: (-c.registered, -c.claimed_minor, c.cause.uk, c.cause_id))
    return out


def _top(items: list[tuple[int | str, Name | Msg | str, int, int]], other: Msg) -> tuple[
    TopRow, ...
]:
    """The first five by count (items are sorted), the rest summed as `other`."""
    total = sum(count for _, _, count, _ in items)
    rows = [TopRow(key, name, count, ratio(count, total), money)
            for key, name, count, money in items[:TOP]]  # fmt: skip
    rest = items[TOP:]
    if rest:
        count = sum(c for _, _, c, _ in rest)
        rows.append(TopRow(None, other, count, ratio(count, total), sum(m for *_, m in rest)))
    return tuple(rows)


async def _culprits(
    period: Period, scope: Scope, kind_id: int | None, currency: str
) -> tuple[tuple[TopRow, ...], tuple[TopRow, ...], int]:
    sql_where, args = _where(
        scope, kind_id, ("cl.status = 'satisfied'", []), ("cl.registered_at >= ?", [period.start]),
        ("cl.registered_at < ?", [period.end]),
    )  # fmt: skip
    money = "SUM(CASE WHEN cl.currency = ? THEN cl.settled_minor ELSE 0 END)"
    source = _from(scope, kind_id)
    # One statement: the guilty departments ('d'), the guilty employees ('e') and the count of
    # satisfied claims with neither ('u'), each in its order (count, money, then the key).
    rows = await fetch(
        f"""
        SELECT src, who_d, who_e, n, settled, name FROM (
            SELECT 'd' AS src, cl.guilty_department AS who_d, NULL AS who_e, COUNT(*) AS n,
                   {money} AS settled, NULL AS name
            {source} WHERE {sql_where} AND cl.guilty_department <> ''
            GROUP BY cl.guilty_department
            UNION ALL
            SELECT 'e', NULL, cl.guilty_employee_id, COUNT(*), {money}, MAX(e.full_name)
            {source} LEFT JOIN employee e ON e.id = cl.guilty_employee_id
            WHERE {sql_where} AND cl.guilty_employee_id IS NOT NULL
            GROUP BY cl.guilty_employee_id
            UNION ALL
            SELECT 'u', NULL, NULL, COUNT(*), 0, NULL
            {source} WHERE {sql_where} AND cl.guilty_department = ''
              AND cl.guilty_employee_id IS NULL
        ) t
        ORDER BY src, n DESC, settled DESC, who_d, who_e
        """,
        [currency, *args, currency, *args, *args],
    )
    departments = [r for r in rows if r["src"] == "d"]
    employees = [r for r in rows if r["src"] == "e"]
    unnamed = [r for r in rows if r["src"] == "u"]
    dept_rows = _top([(r["who_d"], r["who_d"], int(r["n"]), int(r["settled"] or 0))
                      for r in departments], OTHER_DEPARTMENTS)  # fmt: skip
    emp_rows = _top([(r["who_e"], r["name"] or "", int(r["n"]), int(r["settled"] or 0))
                     for r in employees], OTHER_EMPLOYEES)  # fmt: skip
    return dept_rows, emp_rows, int(unnamed[0]["n"] or 0)


async def _overdue(
    scope: Scope, kind_id: int | None, as_of: dt.datetime
) -> tuple[int, tuple[OverdueRow, ...]]:
    from models import Claim

    where, ordered = _where(
        scope, kind_id, ("cl.registered_at < ?", [as_of]), ("cl.due_at < ?", [as_of]),
        ("(cl.closed_at IS NULL OR cl.closed_at > ?)", [as_of]),
    )  # fmt: skip
    # The count of all of them beside the first few (the window runs before the LIMIT).
    worst = await fetch(
        f"SELECT cl.id AS id, COUNT(*) OVER () AS n {_from(scope, kind_id)} WHERE {where} "
        f"ORDER BY cl.due_at, cl.id LIMIT {OVERDUE_ROWS}",
        ordered,
    )
    count = worst[0]["n"] if worst else 0
    ids = [r["id"] for r in worst]
    rows = {
        r["id"]: r
        for r in await Claim.filter(id__in=ids).values(
            "id", "number", "due_at", partner="partner__name",
            responsible="responsible__full_name", cause_uk="cause__name_uk",
            cause_en="cause__name_en",
        )
    }  # fmt: skip
    out = tuple(
        OverdueRow(i, rows[i]["number"], rows[i]["partner"], rows[i]["responsible"],
                   Name(rows[i]["cause_uk"], rows[i]["cause_en"]), rows[i]["due_at"],
                   (as_of - rows[i]["due_at"]).total_seconds() / 86400)
        for i in ids
    )  # fmt: skip
    return int(count or 0), out


async def compute_claims(
    period: Period,
    scope: Scope,
    kind_id: int | None = None,
    currency: str = "UAH",
    tz: str = "Europe/Kyiv",
) -> ClaimsData:
    db = dialect()
    as_of = min(clock.now(), period.end)
    causes = await _causes(period, scope, kind_id, currency, db)
    months = await _months(period, scope, kind_id, tz)
    departments, employees, unnamed = await _culprits(period, scope, kind_id, currency)
    overdue_count, overdue = await _overdue(scope, kind_id, as_of)
    top_causes = _top([(c.cause_id, c.cause, c.registered, c.settled_minor) for c in causes],
                      OTHER_CAUSES)  # fmt: skip
    return ClaimsData(
        date_from=period.date_from,
        date_to=period.date_to,
        currency=currency,
        as_of=as_of,
        registered=sum(c.registered for c in causes),
        satisfied=sum(c.satisfied for c in causes),
        not_satisfied=sum(c.not_satisfied for c in causes),
        open=sum(c.open for c in causes),
        claimed_minor=sum(c.claimed_minor for c in causes),
        settled_minor=sum(c.settled_minor for c in causes),
        closed=sum(c.closed for c in causes),
        closed_late=sum(c.closed_late for c in causes),
        satisfied_without_culprit=unnamed,
        overdue_count=overdue_count,
        months=months,
        causes=tuple(causes),
        top_causes=top_causes,
        top_departments=departments,
        top_employees=employees,
        overdue=overdue,
    )


# --- the registered report ----------------------------------------------------------------------


def claims_headline(data: ClaimsData) -> list[Msg]:
    money = data.currency
    lines: list[Msg] = []
    if not data.registered:
        lines.append(Msg(N_("No claims registered in this period.")))
    else:
        lines.append(Msg(N_("Claims: %(count)s, claimed %(amount)s"),
                         {"count": data.registered, "amount": Money(data.claimed_minor, money)}))
        if data.decided:
            lines.append(Msg(
                N_("Satisfied: %(satisfied)s of %(decided)s decided (%(share)s), "
                   "granted %(amount)s"),
                {"satisfied": data.satisfied, "decided": data.decided,
                 "share": Ratio(data.satisfaction), "amount": Money(data.settled_minor, money)},
            ))  # fmt: skip
        if data.open:
            lines.append(Msg(N_("Still open: %(count)s"), {"count": data.open}))
        top = data.top_causes[0]
        lines.append(Msg(N_("Main cause: %(cause)s, %(share)s of claims"),
                         {"cause": top.name, "share": Ratio(top.share)}))
        if data.closed:
            lines.append(Msg(N_("Answered late: %(late)s of %(closed)s closed"),
                             {"late": data.closed_late, "closed": data.closed}))
    if data.overdue_count:
        lines.append(Msg(N_("Past the response time: %(count)s"), {"count": data.overdue_count}))
    return lines


def claims_tables(data: ClaimsData) -> list[Table]:
    money = data.currency

    def top_table(key: str, title: str, what: str, rows: tuple[TopRow, ...]) -> Table:
        return Table(key, title, [
            Column("name", what),
            Column("count", N_("Claims"), ColumnKind.INT),
            Column("share", N_("Share"), ColumnKind.RATIO),
            Column("settled_minor", N_("Amount granted"), ColumnKind.MONEY),
        ], [{"name": r.name, "count": r.count, "share": r.share,
             "settled_minor": r.settled_minor} for r in rows], currency=money,
            brief=("name", "count", "share"))  # fmt: skip

    return [
        Table("months", N_("Claims by month"), [
            Column("month", N_("Month")),
            Column("registered", N_("Registered claims"), ColumnKind.INT),
            Column("closed", N_("Closed claims"), ColumnKind.INT),
            Column("satisfied", N_("Satisfied claims"), ColumnKind.INT),
            Column("not_satisfied", N_("Rejected claims"), ColumnKind.INT),
            Column("open_at_end", N_("Open at the month's end"), ColumnKind.INT),
        ], [{"month": m.month.strftime("%m.%Y"), "registered": m.registered,
             "closed": m.closed, "satisfied": m.satisfied, "not_satisfied": m.not_satisfied,
             "open_at_end": m.open_at_end} for m in data.months],
            brief=("month", "registered", "closed", "open_at_end"), text_rows=12),
        Table("causes", N_("Satisfaction by cause"), [
            Column("cause", N_("Claim cause")),
            Column("registered", N_("Registered claims"), ColumnKind.INT),
            Column("satisfied", N_("Satisfied claims"), ColumnKind.INT),
            Column("not_satisfied", N_("Rejected claims"), ColumnKind.INT),
            Column("open", N_("Open claims"), ColumnKind.INT),
            Column("satisfaction", N_("Satisfied share"), ColumnKind.RATIO),
            Column("claimed_minor", N_("Amount claimed"), ColumnKind.MONEY),
            Column("settled_minor", N_("Amount granted"), ColumnKind.MONEY),
            Column("avg_days", N_("Days to close"), ColumnKind.DAYS),
            Column("on_time", N_("Closed in time"), ColumnKind.RATIO),
        ], [{"cause": c.cause, "registered": c.registered, "satisfied": c.satisfied,
             "not_satisfied": c.not_satisfied, "open": c.open, "satisfaction": c.satisfaction,
             "claimed_minor": c.claimed_minor, "settled_minor": c.settled_minor,
             "avg_days": c.avg_days_to_close, "on_time": c.on_time} for c in data.causes],
            currency=money, brief=("cause", "registered", "satisfaction"), text_rows=0),
        top_table("top_causes", N_("Top five causes"), N_("Claim cause"), data.top_causes),
        top_table("departments", N_("Top five guilty departments"), N_("Guilty department"),
                  data.top_departments),
        top_table("employees", N_("Top five guilty employees"), N_("Guilty employee"),
                  data.top_employees),
        Table("overdue", N_("Past the response time"), [
            Column("number", N_("Claim")),
            Column("partner", N_("Partner")),
            Column("responsible", N_("Responsible")),
            Column("cause", N_("Claim cause")),
            Column("due", N_("Respond by"), ColumnKind.DATE),
            Column("late", N_("Days late"), ColumnKind.DAYS),
        ], [{"number": o.number, "partner": o.partner, "responsible": o.responsible,
             "cause": o.cause, "due": clock.to_local(o.due_at).date(),
             "late": o.days_overdue} for o in data.overdue],
            brief=("number", "responsible", "late"), text_rows=OVERDUE_ROWS),
    ]  # fmt: skip


@register_report(
    "claims",
    title=N_("Claims"),
    description=N_("Claims by month, satisfaction by cause, top causes and culprits, overdue"),
    chart="charts.claims:claims_png",
    order=9,
)
async def claims_report(params: ReportParams) -> ReportResult:
    from core.config import get_settings

    period = period_of(params, DEFAULT_DAYS)
    scope = await resolve_scope(params)
    data = await compute_claims(period, scope, params.kind_id, get_settings().currency, params.tz)
    return ReportResult("claims", period, headline=claims_headline(data),
                        tables=claims_tables(data), data=data)
