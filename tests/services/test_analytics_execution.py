"""Deal execution against sums made here deal by deal, document by document."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from models import Deal, Invoice, Order, Payment, Shipment, Task
from models.base import Role
from services.analytics import ReportParams, make_period, run_report
from tests.analytics_data import DEFAULT_NOW, add_deal, generate

UTC = dt.UTC
D = dt.date
TODAY = D(2026, 11, 27)


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


async def slow_execution(period, owners=None, ship_days=7, pay_days=14) -> dict[int, dict]:
    deals = {
        d["id"]: d for d in await Deal.filter(status="won").values()
        if period.start <= d["ended_at"] < period.end
        and (owners is None or d["owner_id"] in owners)
    }
    out = {i: defaultdict(int) for i in deals}
    for model, key in ((Order, "ordered"), (Invoice, "invoiced"), (Shipment, "shipped"),
                       (Payment, "paid")):
        for doc in await model.filter(status="posted").values():
            if doc["deal_id"] not in out:
                continue
            row = out[doc["deal_id"]]
            row[key] += doc["amount_minor"]
            if key == "ordered" and doc["date"] < TODAY - dt.timedelta(days=ship_days):
                row["ordered_due"] += doc["amount_minor"]
            if key == "invoiced":
                due = doc["due_on"] or doc["date"] + dt.timedelta(days=pay_days)
                if due < TODAY:
                    row["invoiced_due"] += doc["amount_minor"]
    for task in await Task.filter(status="open").values():
        if task["deal_id"] in out:
            out[task["deal_id"]]["open_tasks"] += 1
            if task["due_at"] and task["due_at"] < DEFAULT_NOW:
                out[task["deal_id"]]["overdue_tasks"] += 1
    result = {}
    for deal_id, row in out.items():
        ship_late = max(0, row["ordered_due"] - row["shipped"])
        pay_late = max(0, row["invoiced_due"] - row["paid"])
        if ship_late or pay_late or row["overdue_tasks"]:
            health = "attention"
        elif (not row["ordered"] or row["shipped"] < row["ordered"]
              or row["invoiced"] < row["ordered"]
              or row["paid"] < max(row["invoiced"], row["shipped"]) or row["open_tasks"]):
            health = "watch"
        else:
            health = "ok"
        result[deal_id] = {
            "ordered_minor": row["ordered"], "invoiced_minor": row["invoiced"],
            "shipped_minor": row["shipped"], "paid_minor": row["paid"],
            "overdue_shipment_minor": ship_late, "overdue_payment_minor": pay_late,
            "open_tasks": row["open_tasks"], "overdue_tasks": row["overdue_tasks"],
            "health": health,
        }
    return result


def as_dict(deal) -> dict:
    return {k: getattr(deal, k) for k in (
        "ordered_minor", "invoiced_minor", "shipped_minor", "paid_minor",
        "overdue_shipment_minor", "overdue_payment_minor", "open_tasks", "overdue_tasks",
        "health")}


async def test_execution_matches_document_by_document_sums(db, frozen_clock):
    await generate(seed=51, deals=500)
    period = make_period(D(2026, 3, 1), D(2026, 11, 27))
    data = (await run_report("execution", ReportParams(date_from=period.date_from,
                                                       date_to=period.date_to))).data
    expected = await slow_execution(period)
    assert {d.deal_id: as_dict(d) for d in data.deals} == expected
    assert data.deals_count == len(expected)
    assert data.totals.paid_minor == sum(e["paid_minor"] for e in expected.values())
    assert data.totals.overdue_payment_minor == sum(
        e["overdue_payment_minor"] for e in expected.values())
    for health in ("attention", "watch", "ok"):
        assert data.health_counts[health] == sum(
            1 for e in expected.values() if e["health"] == health)
    # The deals that need attention come first, the most overdue money first.
    attention = list(data.attention)
    assert attention == list(data.deals[:len(attention)])
    assert [d.overdue_minor for d in attention] == sorted(
        (d.overdue_minor for d in attention), reverse=True)
    assert attention, "the generated data has overdue deals"


async def test_execution_options_and_manager_scope(db, frozen_clock):
    ds = await generate(seed=52, deals=400)
    me = ds.managers[3]
    period = make_period(D(2026, 1, 1), D(2026, 11, 27))
    params = ReportParams(viewer_id=me, viewer_role=Role.MANAGER, date_from=period.date_from,
                          date_to=period.date_to, options={"ship_days": "30", "pay_days": "3"})
    data = (await run_report("execution", params)).data
    expected = await slow_execution(period, owners={me}, ship_days=30, pay_days=3)
    assert {d.deal_id: as_dict(d) for d in data.deals} == expected


async def test_single_won_deal_from_order_to_payment(db, frozen_clock):
    ds = await generate(seed=1, deals=0)
    deal = await add_deal(ds, started_at=at("2026-10-01"), status="won",
                          ended_at=at("2026-11-01"), partner=ds.clients[0],
                          rows=[(5, at("2026-10-01"), at("2026-11-01"), "passed")])
    client = ds.clients[0]
    await Order.create(number="З-1", date=D(2026, 11, 1), amount_minor=100_000_00, deal_id=deal,
                       partner_id=client)
    await Invoice.create(number="Р-1", date=D(2026, 11, 1), due_on=D(2026, 11, 11),
                         amount_minor=100_000_00, deal_id=deal, partner_id=client)
    await Shipment.create(number="В-1", date=D(2026, 11, 3), amount_minor=60_000_00,
                          deal_id=deal, partner_id=client)
    await Payment.create(number="О-1", date=D(2026, 11, 5), amount_minor=30_000_00,
                         deal_id=deal, partner_id=client)
    await Payment.create(number="О-2", date=D(2026, 11, 6), amount_minor=50_000_00,
                         deal_id=deal, partner_id=client, status="draft")  # not counted
    await Task.create(title="Відвантажити решту", performer_id=ds.managers[0], deal_id=deal,
                      due_at=at("2026-11-20"))
    data = (await run_report("execution", ReportParams())).data
    (row,) = data.deals
    assert (row.ordered_minor, row.invoiced_minor, row.shipped_minor, row.paid_minor) == (
        100_000_00, 100_000_00, 60_000_00, 30_000_00)
    assert (row.overdue_shipment_minor, row.overdue_payment_minor) == (40_000_00, 70_000_00)
    assert (row.open_tasks, row.overdue_tasks, row.health) == (1, 1, "attention")
    assert row.reasons == ("overdue_payment", "overdue_shipment", "overdue_tasks")
    assert row.won_on == D(2026, 11, 1)

    # Everything shipped and paid, the task done: on track.
    await Shipment.create(number="В-2", date=D(2026, 11, 25), amount_minor=40_000_00,
                          deal_id=deal, partner_id=client)
    await Payment.create(number="О-3", date=D(2026, 11, 26), amount_minor=70_000_00,
                         deal_id=deal, partner_id=client)
    await Task.filter(deal_id=deal).update(status="done", completed_at=at("2026-11-26"))
    (row,) = (await run_report("execution", ReportParams())).data.deals
    assert (row.health, row.reasons) == ("ok", ())


async def test_execution_empty_period(db, frozen_clock):
    await generate(seed=3, deals=30)
    result = await run_report("execution", ReportParams(date_from=D(2011, 1, 1),
                                                        date_to=D(2011, 1, 2)))
    assert result.data.deals_count == 0 and result.data.deals == ()
    assert result.headline[0].msgid == "No deals won in this period."
