"""Report 8, deal execution (reference §16: what 1C spreads over BP stages 7-8, "Состав
продажи", "Документы по сделке" and the overdue-task reports), for the deals won in the period.

Per won deal, from posted documents: ordered, invoiced, shipped and paid (amounts); overdue
shipment = what was ordered more than `ship_days` (7 by default, `-o ship_days=N`) ago and is
still not shipped; overdue payment = what was invoiced and is past its due date (an invoice
without one is due `pay_days` after its date, 14 by default) and still not paid; open tasks
and the overdue ones among them.

Health: "attention" when anything is overdue (a shipment, a payment or a task); "watch" while
the deal is not complete (no order yet, not all ordered is shipped or invoiced, not all invoiced
or shipped is paid, or tasks are open); "ok" when everything ordered is shipped, invoiced and
paid and no task is open. The deals that need attention come first, by the overdue amount.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from core import clock
from core.i18n import N_
from services.analytics import register_report
from services.analytics.common import (
    Column,
    ColumnKind,
    Money,
    Msg,
    Period,
    ReportParams,
    ReportResult,
    Scope,
    Table,
    fetch,
    int_option,
    period_of,
    resolve_scope,
    scope_clause,
)

DEFAULT_PERIOD_DAYS = 180
DEFAULT_SHIP_DAYS = 7
DEFAULT_PAY_DAYS = 14
HEALTH = ("attention", "watch", "ok")
HEALTH_LABELS = {
    "attention": N_("needs attention"),
    "watch": N_("in progress"),
    "ok": N_("on track"),
}
REASON_LABELS = {
    "overdue_payment": N_("payment overdue"),
    "overdue_shipment": N_("shipment overdue"),
    "overdue_tasks": N_("tasks overdue"),
    "no_order": N_("no order"),
    "unshipped": N_("not fully shipped"),
    "uninvoiced": N_("not fully invoiced"),
    "unpaid": N_("not fully paid"),
    "open_tasks": N_("open tasks"),
}


@dataclass(frozen=True, slots=True)
class ExecutionDeal:
    deal_id: int
    number: str
    title: str
    owner_id: int
    owner_name: str
    partner_name: str | None
    won_on: dt.date
    ordered_minor: int
    invoiced_minor: int
    shipped_minor: int
    paid_minor: int
    overdue_shipment_minor: int
    overdue_payment_minor: int
    open_tasks: int
    overdue_tasks: int
    health: str
    reasons: tuple[str, ...]

    @property
    def overdue_minor(self) -> int:
        return self.overdue_shipment_minor + self.overdue_payment_minor


@dataclass(frozen=True, slots=True)
class ExecutionTotals:
    ordered_minor: int = 0
    invoiced_minor: int = 0
    shipped_minor: int = 0
    paid_minor: int = 0
    overdue_shipment_minor: int = 0
    overdue_payment_minor: int = 0
    open_tasks: int = 0
    overdue_tasks: int = 0


@dataclass(frozen=True, slots=True)
class ExecutionData:
    date_from: dt.date
    date_to: dt.date
    today: dt.date
    currency: str
    ship_days: int
    pay_days: int
    deals_count: int
    totals: ExecutionTotals
    health_counts: dict[str, int] = field(default_factory=dict)
    deals: tuple[ExecutionDeal, ...] = ()

    @property
    def attention(self) -> tuple[ExecutionDeal, ...]:
        return tuple(d for d in self.deals if d.health == "attention")


def _per_deal_sql(where: str) -> str:
    """Per won deal, the sums: the deals first (MATERIALIZED: found once by the (status,
    ended_at) index), then each source's rows of those deals grouped by deal in one pass (the
    sum and the part already due together), joined to the deals. Placeholders: the deals'
    `where`, then the order date, the invoice due date, the invoice date and the moment that
    make a sum or a task due."""
    def rows_of(table: str, alias: str, figures: str, status: str = "posted") -> str:
        return (f"(SELECT {alias}.deal_id AS deal_id, {figures} FROM {table} {alias} "
                f"WHERE {alias}.status = '{status}' AND {alias}.deal_id IN (SELECT w.id FROM w) "
                f"GROUP BY {alias}.deal_id)")

    orders = rows_of("sales_order", "so", "SUM(so.amount_minor) AS ordered, SUM(CASE WHEN "
                     "so.date < ? THEN so.amount_minor ELSE 0 END) AS ordered_due")
    invoices = rows_of("invoice", "iv", "SUM(iv.amount_minor) AS invoiced, SUM(CASE WHEN "
                       "(iv.due_on IS NOT NULL AND iv.due_on < ?) OR (iv.due_on IS NULL AND "
                       "iv.date < ?) THEN iv.amount_minor ELSE 0 END) AS invoiced_due")
    shipments = rows_of("shipment", "sh", "SUM(sh.amount_minor) AS shipped")
    payments = rows_of("payment", "pm", "SUM(pm.amount_minor) AS paid")
    tasks = rows_of("task", "tk", "COUNT(*) AS open_tasks, SUM(CASE WHEN tk.due_at < ? THEN 1 "
                    "ELSE 0 END) AS overdue_tasks", status="open")
    return f"""
        WITH w AS MATERIALIZED (
            SELECT d.id AS id, d.number AS number, d.title AS title, d.owner_id AS owner_id,
                   d.partner_id AS partner_id, d.ended_at AS ended_at
            FROM deal d
            WHERE {where}
        ), x AS (
            SELECT w.*, e.full_name AS owner_name, pt.name AS partner_name,
                   COALESCE(o.ordered, 0) AS ordered, COALESCE(o.ordered_due, 0) AS ordered_due,
                   COALESCE(v.invoiced, 0) AS invoiced,
                   COALESCE(v.invoiced_due, 0) AS invoiced_due,
                   COALESCE(s.shipped, 0) AS shipped, COALESCE(y.paid, 0) AS paid,
                   COALESCE(t.open_tasks, 0) AS open_tasks,
                   COALESCE(t.overdue_tasks, 0) AS overdue_tasks
            FROM w
            LEFT JOIN employee e ON e.id = w.owner_id
            LEFT JOIN partner pt ON pt.id = w.partner_id
            LEFT JOIN {orders} o ON o.deal_id = w.id
            LEFT JOIN {invoices} v ON v.deal_id = w.id
            LEFT JOIN {shipments} s ON s.deal_id = w.id
            LEFT JOIN {payments} y ON y.deal_id = w.id
            LEFT JOIN {tasks} t ON t.deal_id = w.id
        ), z AS (
            SELECT x.*,
                   CASE WHEN x.ordered_due > x.shipped THEN x.ordered_due - x.shipped ELSE 0 END
                       AS ship_overdue,
                   CASE WHEN x.invoiced_due > x.paid THEN x.invoiced_due - x.paid ELSE 0 END
                       AS pay_overdue
            FROM x
        ), h AS (
            SELECT z.*,
                   CASE WHEN z.ship_overdue > 0 OR z.pay_overdue > 0 OR z.overdue_tasks > 0
                            THEN 'attention'
                        WHEN z.ordered = 0 OR z.shipped < z.ordered OR z.invoiced < z.ordered
                             OR z.paid < (CASE WHEN z.invoiced > z.shipped THEN z.invoiced
                                          ELSE z.shipped END)
                             OR z.open_tasks > 0
                            THEN 'watch'
                        ELSE 'ok' END AS health
            FROM z
        )
    """


async def compute_execution(
    params: ReportParams, period: Period, scope: Scope, currency: str = "UAH"
) -> ExecutionData:
    today = clock.today(params.tz)
    now = clock.now()
    ship_days = int_option(params, "ship_days", DEFAULT_SHIP_DAYS, 0, 365)
    pay_days = int_option(params, "pay_days", DEFAULT_PAY_DAYS, 0, 365)
    where = ["d.status = 'won'", "d.ended_at >= ?", "d.ended_at < ?"]
    args: list = [period.start, period.end]
    if params.kind_id is not None:
        where.append("d.kind_id = ?")
        args.append(params.kind_id)
    clause, ids = scope_clause("d.owner_id", scope)
    where.append(clause)
    args += ids
    head = [today - dt.timedelta(days=ship_days), today,
            today - dt.timedelta(days=pay_days), now]
    cte = _per_deal_sql(" AND ".join(where))
    rows = await fetch(
        f"""{cte}
        SELECT h.* FROM h
        ORDER BY CASE h.health WHEN 'attention' THEN 0 WHEN 'watch' THEN 1 ELSE 2 END,
                 h.ship_overdue + h.pay_overdue DESC, h.overdue_tasks DESC, h.ended_at, h.id
        """,
        [*args, *head],
    )
    zone = zoneinfo.ZoneInfo(params.tz)
    deals = tuple(_deal(r, zone) for r in rows)
    # The totals of the rows fetched for the list (every won deal of the period is listed).
    totals = ExecutionTotals(
        sum(d.ordered_minor for d in deals), sum(d.invoiced_minor for d in deals),
        sum(d.shipped_minor for d in deals), sum(d.paid_minor for d in deals),
        sum(d.overdue_shipment_minor for d in deals), sum(d.overdue_payment_minor for d in deals),
        sum(d.open_tasks for d in deals), sum(d.overdue_tasks for d in deals),
    )
    counts = {health: sum(1 for d in deals if d.health == health) for health in HEALTH}
    return ExecutionData(
        date_from=period.date_from,
        date_to=period.date_to,
        today=today,
        currency=currency,
        ship_days=ship_days,
        pay_days=pay_days,
        deals_count=sum(counts.values()),
        totals=totals,
        health_counts=counts,
        deals=deals,
    )


def _deal(r: dict, zone: zoneinfo.ZoneInfo) -> ExecutionDeal:
    ended = r["ended_at"]
    if isinstance(ended, str):
        ended = dt.datetime.fromisoformat(ended)
    ordered, invoiced = int(r["ordered"]), int(r["invoiced"])
    shipped, paid = int(r["shipped"]), int(r["paid"])
    reasons = []
    if int(r["pay_overdue"]):
        reasons.append("overdue_payment")
    if int(r["ship_overdue"]):
        reasons.append("overdue_shipment")
    if int(r["overdue_tasks"]):
        reasons.append("overdue_tasks")
    if not ordered:
        reasons.append("no_order")
    elif shipped < ordered and "overdue_shipment" not in reasons:
        reasons.append("unshipped")
    if ordered and invoiced < ordered:
        reasons.append("uninvoiced")
    if paid < max(invoiced, shipped) and "overdue_payment" not in reasons:
        reasons.append("unpaid")
    if int(r["open_tasks"]) and "overdue_tasks" not in reasons:
        reasons.append("open_tasks")
    return ExecutionDeal(
        deal_id=r["id"],
        number=r["number"],
        title=r["title"],
        owner_id=r["owner_id"],
        owner_name=r["owner_name"] or "",
        partner_name=r["partner_name"],
        won_on=ended.astimezone(zone).date(),
        ordered_minor=ordered,
        invoiced_minor=invoiced,
        shipped_minor=shipped,
        paid_minor=paid,
        overdue_shipment_minor=int(r["ship_overdue"]),
        overdue_payment_minor=int(r["pay_overdue"]),
        open_tasks=int(r["open_tasks"]),
        overdue_tasks=int(r["overdue_tasks"]),
        health=r["health"],
        reasons=tuple(reasons),
    )


# --- the registered report -----------------------------------------------------------------------

COLUMNS = [
    Column("number", N_("Deal")),
    Column("title", N_("Title")),
    Column("partner", N_("Client")),
    Column("owner", N_("Manager")),
    Column("won_on", N_("Won on"), ColumnKind.DATE),
    Column("ordered_minor", N_("Ordered"), ColumnKind.MONEY),
    Column("invoiced_minor", N_("Invoiced"), ColumnKind.MONEY),
    Column("shipped_minor", N_("Shipped"), ColumnKind.MONEY),
    Column("paid_minor", N_("Paid"), ColumnKind.MONEY),
    Column("overdue_shipment_minor", N_("Shipment overdue"), ColumnKind.MONEY),
    Column("overdue_payment_minor", N_("Payment overdue"), ColumnKind.MONEY),
    Column("open_tasks", N_("Open tasks"), ColumnKind.INT),
    Column("overdue_tasks", N_("Overdue tasks"), ColumnKind.INT),
    Column("health", N_("Health")),
    Column("reasons", N_("Why"), ColumnKind.FLAG),
]


# The labels as (immutable) messages, built once rather than once per deal.
_HEALTH_MSGS = {key: Msg(label) for key, label in HEALTH_LABELS.items()}
_REASON_MSGS = {key: Msg(label) for key, label in REASON_LABELS.items()}


def _row(d: ExecutionDeal) -> dict:
    return {
        "number": d.number, "title": d.title, "partner": d.partner_name or "",
        "owner": d.owner_name, "won_on": d.won_on, "ordered_minor": d.ordered_minor,
        "invoiced_minor": d.invoiced_minor, "shipped_minor": d.shipped_minor,
        "paid_minor": d.paid_minor, "overdue_shipment_minor": d.overdue_shipment_minor or None,
        "overdue_payment_minor": d.overdue_payment_minor or None,
        "open_tasks": d.open_tasks, "overdue_tasks": d.overdue_tasks or None,
        "health": _HEALTH_MSGS[d.health],
        "reasons": [_REASON_MSGS[r] for r in d.reasons],
    }


def execution_tables(data: ExecutionData) -> list[Table]:
    rows = [_row(d) for d in data.deals]
    # The deals that need attention are listed twice: the same rows, copied.
    attention = [{**row, "reasons": list(row["reasons"])}
                 for d, row in zip(data.deals, rows, strict=True) if d.health == "attention"]
    return [
        Table("attention", N_("Deals that need attention"), COLUMNS,
              attention, currency=data.currency,
              brief=("number", "owner", "overdue_payment_minor", "overdue_shipment_minor",
                     "overdue_tasks"), text_rows=10),
        Table("deals", N_("Won deals"), COLUMNS, rows,
              currency=data.currency, brief=("number", "health", "reasons"), text_rows=0),
    ]


def execution_headline(data: ExecutionData) -> list[Msg]:
    if not data.deals_count:
        return [Msg(N_("No deals won in this period."))]
    money, t, c = data.currency, data.totals, data.health_counts
    return [
        Msg(N_("Won deals: %(count)s; need attention: %(attention)s, in progress: %(watch)s, "
               "on track: %(ok)s"),
            {"count": data.deals_count, "attention": c.get("attention", 0),
             "watch": c.get("watch", 0), "ok": c.get("ok", 0)}),
        Msg(N_("Ordered %(ordered)s, shipped %(shipped)s, paid %(paid)s"),
            {"ordered": Money(t.ordered_minor, money), "shipped": Money(t.shipped_minor, money),
             "paid": Money(t.paid_minor, money)}),
        Msg(N_("Overdue: payments %(payments)s, shipments %(shipments)s, tasks %(tasks)s"),
            {"payments": Money(t.overdue_payment_minor, money),
             "shipments": Money(t.overdue_shipment_minor, money), "tasks": t.overdue_tasks}),
    ]


@register_report(
    "execution",
    title=N_("Deal execution"),
    description=N_("Won deals: ordered, invoiced, shipped, paid, overdue, tasks, health"),
    chart="charts.managers:execution_png",
    order=8,
)
async def execution_report(params: ReportParams) -> ReportResult:
    from core.config import get_settings

    period = period_of(params, DEFAULT_PERIOD_DAYS)
    scope = await resolve_scope(params)
    data = await compute_execution(params, period, scope, get_settings().currency)
    return ReportResult("execution", period, headline=execution_headline(data),
                        tables=execution_tables(data), data=data)
