"""Managers compared, against figures summed here document by document."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from core.errors import AccessDenied
from models import (
    Claim,
    Deal,
    DealStageLog,
    Interaction,
    Order,
    Partner,
    Payment,
    Shipment,
    Task,
)
from models.base import Role
from services.analytics import Compare, ReportParams, make_period, run_report
from tests.analytics_data import add_deal, generate

UTC = dt.UTC
D = dt.date
PLAIN = ("sales_minor", "cost_minor", "cash_minor", "won", "lost", "won_minor", "interactions",
         "interactions_won", "calls", "meetings", "emails", "messages", "tasks_due",
         "tasks_on_time", "new_clients", "returned_clients", "lost_clients",
         "new_clients_sales_minor", "claims")


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


class World:
    """Every row, loaded once, to count in Python."""

    async def load(self) -> World:
        self.deals = {d["id"]: d for d in await Deal.all().values()}
        self.partners = {p["id"]: p for p in await Partner.all().values()}
        self.orders = {o["id"]: o for o in await Order.all().values()}
        self.shipments = await Shipment.all().values()
        self.payments = await Payment.all().values()
        self.interactions = await Interaction.all().values()
        self.tasks = await Task.all().values()
        self.claims = await Claim.all().values()
        self.lost_rows = await DealStageLog.filter(result="lost").values()
        return self

    def owner(self, deal_id):
        return self.deals[deal_id]["owner_id"] if deal_id else None

    def main_manager(self, partner_id):
        return self.partners[partner_id]["main_manager_id"] if partner_id else None

    def figures(self, period) -> dict[int, dict]:
        f: dict[int, dict] = defaultdict(lambda: defaultdict(int))
        cycles: dict[int, list[float]] = defaultdict(list)

        def on(day) -> bool:
            return period.date_from <= day <= period.date_to

        def moment(value) -> bool:
            return value is not None and period.start <= value < period.end

        for s in self.shipments:
            if s["status"] != "posted" or not on(s["date"]):
                continue
            order = self.orders.get(s["order_id"])
            who = (order and order["manager_id"]) or self.owner(s["deal_id"]) or \
                self.main_manager(s["partner_id"])
            f[who]["sales_minor"] += s["amount_minor"]
            f[who]["cost_minor"] += s["cost_minor"]
        for y in self.payments:
            if y["status"] == "posted" and on(y["date"]):
                who = self.owner(y["deal_id"]) or self.main_manager(y["partner_id"])
                f[who]["cash_minor"] += y["amount_minor"]
        for d in self.deals.values():
            if d["status"] in ("won", "lost") and moment(d["ended_at"]):
                f[d["owner_id"]][d["status"]] += 1
                if d["status"] == "won":
                    f[d["owner_id"]]["won_minor"] += d["potential_minor"]
                    cycles[d["owner_id"]].append(
                        (d["ended_at"] - d["started_at"]).total_seconds() / 86400)
        kinds = {"call": "calls", "meeting": "meetings", "email": "emails",
                 "telegram": "messages"}
        for i in self.interactions:
            if not i["done"] or not moment(i["starts_at"]):
                continue
            row = f[i["owner_id"]]
            row["interactions"] += 1
            if i["deal_id"] and self.deals[i["deal_id"]]["status"] == "won":
                row["interactions_won"] += 1
            if i["kind"] in kinds:
                row[kinds[i["kind"]]] += 1
        for t in self.tasks:
            if t["status"] == "cancelled" or not moment(t["due_at"]):
                continue
            f[t["performer_id"]]["tasks_due"] += 1
            if t["status"] == "done" and t["completed_at"] and t["completed_at"] <= t["due_at"]:
                f[t["performer_id"]]["tasks_on_time"] += 1
        for c in self.claims:
            if moment(c["registered_at"]):
                f[self.owner(c["deal_id"]) or self.main_manager(c["partner_id"])]["claims"] += 1
        self._clients(period, f)
        out = {}
        for emp, row in f.items():
            row = dict(row)
            row["cycle_days"] = (sum(cycles[emp]) / len(cycles[emp])) if cycles[emp] else None
            out[emp] = row
        return out

    def _clients(self, period, f) -> None:
        before = (period.date_from - dt.timedelta(days=period.days),
                  period.date_from - dt.timedelta(days=1))
        dates = defaultdict(list)
        for s in self.shipments:
            if s["status"] == "posted" and s["date"] <= period.date_to:
                dates[s["partner_id"]].append(s)
        for partner_id, items in dates.items():
            who = self.main_manager(partner_id)
            first = min(s["date"] for s in items)
            now = [s for s in items if period.date_from <= s["date"] <= period.date_to]
            prior = any(before[0] <= s["date"] <= before[1] for s in items)
            if now and first >= period.date_from:
                f[who]["new_clients"] += 1
                f[who]["new_clients_sales_minor"] += sum(s["amount_minor"] for s in now)
            elif now and not prior:
                f[who]["returned_clients"] += 1
            if prior and not now:
                f[who]["lost_clients"] += 1


def check(rows, expected: dict[int, dict], attr: str) -> None:
    for row in rows:
        got = getattr(row, attr)
        exp = expected.get(row.employee_id, {})
        for key in PLAIN:
            assert getattr(got, key) == exp.get(key, 0), (row.name, attr, key)
        if exp.get("cycle_days") is None:
            assert got.cycle_days is None
        else:
            assert got.cycle_days == pytest.approx(exp["cycle_days"])
    listed = {r.employee_id for r in rows}
    assert {e for e, v in expected.items() if e is not None and any(v.values())} <= listed


async def test_managers_match_document_by_document_sums(db, frozen_clock):
    await generate(seed=41, deals=500)
    world = await World().load()
    params = ReportParams(date_from=D(2026, 6, 1), date_to=D(2026, 8, 31))
    data = (await run_report("managers", params)).data
    cur = make_period(D(2026, 6, 1), D(2026, 8, 31))
    prev = make_period(D(2026, 3, 1), D(2026, 5, 31))  # 92 days before
    assert (data.previous_from, data.previous_to) == (prev.date_from, prev.date_to)
    check(data.rows, world.figures(cur), "current")
    check(data.rows, world.figures(prev), "previous")
    assert data.total.sales_minor == sum(r.current.sales_minor for r in data.rows)
    assert [r.current.sales_minor for r in data.rows] == sorted(
        (r.current.sales_minor for r in data.rows), reverse=True)


async def test_managers_against_the_same_period_a_year_before(db, frozen_clock):
    await generate(seed=42, deals=400)
    world = await World().load()
    params = ReportParams(date_from=D(2026, 9, 1), date_to=D(2026, 10, 31),
                          compare=Compare.YEAR)
    data = (await run_report("managers", params)).data
    prev = make_period(D(2025, 9, 1), D(2025, 10, 31))
    assert (data.previous_from, data.previous_to) == (prev.date_from, prev.date_to)
    check(data.rows, world.figures(prev), "previous")


async def test_loss_tops_are_the_five_largest_pairs(db, frozen_clock):
    await generate(seed=43, deals=500)
    world = await World().load()
    period = make_period(D(2026, 1, 1), D(2026, 11, 27))
    data = (await run_report("managers", ReportParams(date_from=period.date_from,
                                                      date_to=period.date_to))).data
    pairs = defaultdict(int)
    for row in world.lost_rows:
        deal = world.deals[row["deal_id"]]
        if deal["status"] == "lost" and period.start <= deal["ended_at"] < period.end:
            pairs[(deal["owner_id"], row["stage_id"])] += 1
    counts = sorted(pairs.values(), reverse=True)[:5]
    assert [t.count for t in data.loss_stages] == counts
    for top in data.loss_stages:
        assert top.count == pairs[(top.employee_id, top.what_id)]


async def test_a_manager_sees_only_their_own_row(db, frozen_clock):
    ds = await generate(seed=44, deals=200)
    me = ds.managers[0]
    data = (await run_report("managers", ReportParams(viewer_id=me,
                                                      viewer_role=Role.MANAGER))).data
    assert [r.employee_id for r in data.rows] == [me]
    with pytest.raises(AccessDenied):
        await run_report("managers", ReportParams(viewer_id=me, viewer_role=Role.MANAGER,
                                                  team_id=ds.teams[0]))


async def test_a_head_sees_the_team(db, frozen_clock):
    ds = await generate(seed=44, deals=200)
    head = ds.heads[0]
    team = {e for e, t in ds.team_of.items() if t == ds.team_of[head]}
    data = (await run_report("managers", ReportParams(viewer_id=head,
                                                      viewer_role=Role.HEAD))).data
    assert {r.employee_id for r in data.rows} == team


async def test_empty_period_lists_people_with_zeros(db, frozen_clock):
    ds = await generate(seed=44, deals=50)
    data = (await run_report("managers", ReportParams(date_from=D(2012, 1, 1),
                                                      date_to=D(2012, 1, 31)))).data
    assert {r.employee_id for r in data.rows} == set(ds.sellers)
    assert all(r.current.sales_minor == 0 and r.current.deal_efficiency is None
               for r in data.rows)


async def test_single_won_deal_cycle_and_ratios(db, frozen_clock):
    ds = await generate(seed=1, deals=0)
    me = ds.managers[0]
    deal = await add_deal(ds, owner=me, started_at=at("2026-10-01", 9), status="won",
                          ended_at=at("2026-10-11", 21), potential_minor=500_000_00,
                          rows=[(0, at("2026-10-01", 9), at("2026-10-11", 21), "passed")])
    await Shipment.create(number="В-1", date=D(2026, 10, 15), amount_minor=400_000_00,
                          cost_minor=300_000_00, deal_id=deal, partner_id=ds.clients[0])
    await Payment.create(number="О-1", date=D(2026, 10, 20), amount_minor=350_000_00,
                         deal_id=deal, partner_id=ds.clients[0])
    for day in ("2026-10-02", "2026-10-05"):
        await Interaction.create(kind="call", starts_at=at(day), done=True, owner_id=me,
                                 deal_id=deal)
    await Task.create(title="Договір", performer_id=me, due_at=at("2026-10-03"), status="done",
                      completed_at=at("2026-10-02"))
    await Task.create(title="Рахунок", performer_id=me, due_at=at("2026-10-04"), status="done",
                      completed_at=at("2026-10-06"))
    data = (await run_report("managers", ReportParams(date_from=D(2026, 10, 1),
                                                      date_to=D(2026, 10, 31)))).data
    row = next(r for r in data.rows if r.employee_id == me)
    f = row.current
    assert (f.sales_minor, f.profit_minor, f.cash_minor, f.net_profit_minor) == (
        400_000_00, 100_000_00, 350_000_00, 50_000_00)
    assert f.cycle_days == pytest.approx(10.5)
    assert (f.deal_efficiency, f.sales_per_deal_minor) == (1.0, 400_000_00)
    assert (f.interactions, f.calls, f.interaction_efficiency) == (2, 2, 1.0)
    assert f.sales_per_interaction_minor == 200_000_00
    assert (f.tasks_due, f.tasks_on_time, f.on_time_rate) == (2, 1, 0.5)
    # The client bought for the first time this month: new, main manager's figure.
    owner_of_client = (await Partner.get(id=ds.clients[0])).main_manager_id
    first_time = next(r for r in data.rows if r.employee_id == owner_of_client).current
    assert (first_time.new_clients, first_time.new_clients_sales_minor) == (1, 400_000_00)
