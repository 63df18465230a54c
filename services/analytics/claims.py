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

_FROM = """
    FROM claim cl
    JOIN partner pt ON pt.id = cl.partner_id
    LEFT JOIN deal d ON d.id = cl.deal_id
"""


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


def _bucket(column: str, bounds: list[tuple[dt.date, dt.datetime, dt.datetime]]) -> tuple[
    str, list
]:
    """SQL giving the index of the month `column` falls in (NULL outside every month)."""
    whens, args = [], []
    for index, (_, start, end) in enumerate(bounds):
        whens.append(f"WHEN {column} >= ? AND {column} < ? THEN {index}")
        args += [start, end]
    return f"CASE {' '.join(whens)} END", args


async def _months(
    period: Period, scope: Scope, kind_id: int | None, tz: str
) -> tuple[MonthRow, ...]:
    bounds = month_bounds(period, tz)
    base, base_args = _where(scope, kind_id)
    reg_bucket, reg_args = _bucket("cl.registered_at", bounds)
    registered = {
        int(r["m"]): int(r["n"])
        for r in await fetch(
            f"SELECT t.m AS m, COUNT(*) AS n FROM (SELECT {reg_bucket} AS m {_FROM} "
            f"WHERE {base}) t WHERE t.m IS NOT NULL GROUP BY t.m",
            [*reg_args, *base_args],
        )
    }
    closed_bucket, closed_args = _bucket("cl.closed_at", bounds)
    closed: dict[int, dict] = {
        int(r["m"]): r
        for r in await fetch(
            f"""
            SELECT t.m AS m, COUNT(*) AS n,
                   SUM(CASE WHEN t.status = 'satisfied' THEN 1 ELSE 0 END) AS sat,
                   SUM(CASE WHEN t.status = 'not_satisfied' THEN 1 ELSE 0 END) AS rej
            FROM (SELECT {closed_bucket} AS m, cl.status AS status {_FROM}
                  WHERE {base} AND cl.status IN ('satisfied', 'not_satisfied')) t
            WHERE t.m IS NOT NULL GROUP BY t.m
            """,
            [*closed_args, *base_args],
        )
    }
    open_columns, open_args = [], []
    for index, (_, _, end) in enumerate(bounds):
        open_columns.append(
            f"SUM(CASE WHEN cl.registered_at < ? AND (cl.closed_at IS NULL OR cl.closed_at >= ?)"
            f" THEN 1 ELSE 0 END) AS o{index}"
        )
        open_args += [end, end]
    open_row = (
        await fetch(f"SELECT {', '.join(open_columns)} {_FROM} WHERE {base}",
                    [*open_args, *base_args])
    )[0]  # fmt: skip
    rows = []
    for index, (month, _, _) in enumerate(bounds):
        c = closed.get(index, {})
        rows.append(
            MonthRow(month, registered.get(index, 0), int(c.get("n") or 0),
                     int(c.get("sat") or 0), int(c.get("rej") or 0),
                     int(open_row[f"o{index}"] or 0))
        )  # fmt: skip
    return tuple(rows)


async def _causes(
    period: Period, scope: Scope, kind_id: int | None, currency: str, db: str
) -> list[CauseRow]:
    from models import ClaimCause

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
                        AND cl.closed_at > cl.due_at THEN 1 ELSE 0 END) AS late
        {_FROM} WHERE {where}
        GROUP BY cl.cause_id
        """,
        [currency, currency, *args],
    )
    names = {
        c["id"]: Name(c["name_uk"], c["name_en"])
        for c in await ClaimCause.filter(id__in=[r["cause_id"] for r in rows]).values(
            "id", "name_uk", "name_en"
        )
    }
    out = []
    for r in rows:
        n, sat, rej = int(r["n"]), int(r["sat"] or 0), int(r["rej"] or 0)
        closed = int(r["closed"] or 0)
        out.append(
            CauseRow(
                r["cause_id"], names.get(r["cause_id"], Name("", "")), n, sat, rej,
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
    from models import Employee

    sql_where, args = _where(
        scope, kind_id, ("cl.status = 'satisfied'", []), ("cl.registered_at >= ?", [period.start]),
        ("cl.registered_at < ?", [period.end]),
    )  # fmt: skip
    money = "SUM(CASE WHEN cl.currency = ? THEN cl.settled_minor ELSE 0 END)"
    departments = await fetch(
        f"""
        SELECT cl.guilty_department AS who, COUNT(*) AS n, {money} AS settled
        {_FROM} WHERE {sql_where} AND cl.guilty_department <> ''
        GROUP BY cl.guilty_department
        ORDER BY COUNT(*) DESC, {money} DESC, cl.guilty_department
        """,
        [currency, *args, currency],
    )
    employees = await fetch(
        f"""
        SELECT cl.guilty_employee_id AS who, COUNT(*) AS n, {money} AS settled
        {_FROM} WHERE {sql_where} AND cl.guilty_employee_id IS NOT NULL
        GROUP BY cl.guilty_employee_id
        ORDER BY COUNT(*) DESC, {money} DESC, cl.guilty_employee_id
        """,
        [currency, *args, currency],
    )
    unnamed = await fetch(
        f"SELECT COUNT(*) AS n {_FROM} WHERE {sql_where} AND cl.guilty_department = '' "
        f"AND cl.guilty_employee_id IS NULL",
        args,
    )
    names = dict(
        await Employee.filter(id__in=[r["who"] for r in employees]).values_list("id", "full_name")
    )
    dept_rows = _top([(r["who"], r["who"], int(r["n"]), int(r["settled"] or 0))
                      for r in departments], OTHER_DEPARTMENTS)  # fmt: skip
    emp_rows = _top([(r["who"], names.get(r["who"], ""), int(r["n"]), int(r["settled"] or 0))
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
    count = (await fetch(f"SELECT COUNT(*) AS n {_FROM} WHERE {where}", ordered))[0]["n"]
    worst = await fetch(
        f"SELECT cl.id AS id {_FROM} WHERE {where} ORDER BY cl.due_at, cl.id LIMIT {OVERDUE_ROWS}",
        ordered,
    )
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
