"""The claims report against counts made here claim by claim (in Python, from the raw rows)."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter, defaultdict

import pytest

from core import clock
from core.errors import AccessDenied
from models import Claim, Deal, Employee, Partner
from models.base import Role
from services.analytics import ReportParams, make_period, run_report
from services.analytics.claims import OTHER_CAUSES, month_bounds
from services.analytics.export import render
from services.claims import close_claim, register_claim, reopen_claim, take_into_work
from tests.factories import make_deal, make_employee, make_partner, make_shipment
from tests.services.test_claims_lifecycle import claims_world

D = dt.date
KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
DEPARTMENTS = ["Склад", "Логістика", "Відділ продажів", "Бухгалтерія", "Закупівлі",
               "Сервіс", "Виробництво"]


async def busy_year(seed: int = 5, count: int = 90):
    """Claims registered over a year on a simulated clock: some satisfied (with culprits), some
    not, some reopened, some open and overdue, on deals of two kinds and without a deal."""
    w = await claims_world()
    rng = random.Random(seed)
    employees = [w.m1, w.m2, w.m3, w.head_a, w.head_b]
    extra = await make_employee(full_name="Без команди")
    employees.append(extra.id)
    partners = [await Partner.get(id=w.p1), await Partner.get(id=w.p2)]
    partners.append(await make_partner(name="ТОВ «Третій»", main_manager_id=extra.id))
    deals = [await Deal.get(id=w.d1), await Deal.get(id=w.d2)]
    deals.append(await make_deal(kind_code="typical_sale", owner=await Employee.get(id=w.m2),
                                 partner=partners[2]))
    shipment = await make_shipment(deals[2])
    causes = list(w.causes.values())
    now = clock.now()
    for _ in range(count):
        registered = now - dt.timedelta(days=rng.uniform(0.1, 360), hours=rng.uniform(0, 9))
        p = rng.randrange(3)
        basis = rng.choice(["deal", "shipment", None])
        kwargs = {}
        if basis == "deal":
            kwargs["deal_id"] = deals[p].id
        elif basis == "shipment" and p == 2:
            kwargs["shipment_id"] = shipment.id
        with clock.simulated(registered):
            claim = await register_claim(
                partner_id=partners[p].id, cause_id=rng.choice(causes[:8]),
                description="Претензія", claimed_minor=rng.randint(0, 50) * 1000_00,
                currency=rng.choice(["UAH"] * 9 + ["EUR"]),
                responsible_id=rng.choice(employees), author_id=rng.choice(employees),
                **kwargs)  # fmt: skip
        fate = rng.random()
        moment = registered + dt.timedelta(hours=rng.uniform(1, 200))
        if fate < 0.2 or moment >= now:
            continue  # open (overdue if its response time has run out)
        with clock.simulated(moment):
            if rng.random() < 0.5:
                await take_into_work(claim.id, actor_id=None)
            satisfied = fate < 0.65
            await close_claim(
                claim.id, satisfied=satisfied, resolution="Розглянуто", actor_id=None,
                settled_minor=claim.claimed_minor // 2 if satisfied else 0,
                guilty_department=rng.choice([*DEPARTMENTS, ""]) if satisfied else "",
                guilty_employee_id=rng.choice([*employees, None]) if satisfied else None,
            )  # fmt: skip
        if fate > 0.9:
            later = moment + dt.timedelta(hours=rng.uniform(1, 100))
            if later < now:
                with clock.simulated(later):
                    await reopen_claim(claim.id, reason="Клієнт не згоден", actor_id=None)
    return w


def local_month(moment: dt.datetime) -> dt.date:
    return moment.astimezone(KYIV).date().replace(day=1)


async def expected(period, people: set[int] | None = None, kind_id: int | None = None):
    partners = dict(await Partner.all().values_list("id", "main_manager_id"))
    deals = {d["id"]: d for d in await Deal.all().values("id", "owner_id", "kind_id",
                                                         "partner_id")}
    rows = []
    for c in await Claim.all().values():
        deal = deals.get(c["deal_id"])
        owners = {d["owner_id"] for d in deals.values() if d["partner_id"] == c["partner_id"]}
        involved = {c["responsible_id"], c["author_id"], partners[c["partner_id"]], *owners}
        if people is not None and not involved & people:
            continue
        if kind_id is not None and (deal is None or deal["kind_id"] != kind_id):
            continue
        rows.append(c)
    cohort = [c for c in rows if period.start <= c["registered_at"] < period.end]
    return rows, cohort


async def test_the_report_matches_claim_by_claim_counts(db, frozen_clock):
    await busy_year()
    period = make_period(D(2026, 2, 1), D(2026, 10, 31))
    result = await run_report("claims", ReportParams(date_from=period.date_from,
                                                     date_to=period.date_to))
    data = result.data
    rows, cohort = await expected(period)
    assert len(cohort) > 30

    # Satisfaction by cause.
    by_cause: dict[int, Counter] = defaultdict(Counter)
    days: dict[int, list[float]] = defaultdict(list)
    for c in cohort:
        t = by_cause[c["cause_id"]]
        t["n"] += 1
        t[c["status"]] += 1
        if c["currency"] == "UAH":
            t["claimed"] += c["claimed_minor"]
            if c["status"] == "satisfied":
                t["settled"] += c["settled_minor"]
        if c["closed_at"] is not None:
            t["closed"] += 1
            t["late"] += c["closed_at"] > c["due_at"]
            days[c["cause_id"]].append((c["closed_at"] - c["registered_at"]).total_seconds()
                                       / 86400)
    assert {r.cause_id: (r.registered, r.satisfied, r.not_satisfied, r.open, r.claimed_minor,
                         r.settled_minor, r.closed, r.closed_late) for r in data.causes} == {
        cid: (t["n"], t["satisfied"], t["not_satisfied"],
              t["registered"] + t["in_processing"], t["claimed"], t["settled"], t["closed"],
              t["late"]) for cid, t in by_cause.items()}
    for r in data.causes:
        if days[r.cause_id]:
            assert r.avg_days_to_close == pytest.approx(
                sum(days[r.cause_id]) / len(days[r.cause_id]), abs=1e-4)
        else:
            assert r.avg_days_to_close is None
        decided = r.satisfied + r.not_satisfied
        assert r.satisfaction == (pytest.approx(r.satisfied / decided) if decided else None)
    assert data.registered == len(cohort)
    assert data.satisfied == sum(1 for c in cohort if c["status"] == "satisfied")
    assert [r.registered for r in data.causes] == sorted((r.registered for r in data.causes),
                                                         reverse=True)

    # Top five causes and the rest.
    counts = sorted(Counter(c["cause_id"] for c in cohort).values(), reverse=True)
    assert [r.count for r in data.top_causes[:5]] == counts[:5]
    assert data.top_causes[-1].name == OTHER_CAUSES and data.top_causes[-1].key is None
    assert data.top_causes[-1].count == sum(counts[5:])
    assert sum(r.share for r in data.top_causes) == pytest.approx(1)

    # Culprits of the satisfied claims.
    satisfied = [c for c in cohort if c["status"] == "satisfied"]
    departments = Counter(c["guilty_department"] for c in satisfied if c["guilty_department"])
    ranked = sorted(departments.values(), reverse=True)
    assert [r.count for r in data.top_departments[:5]] == ranked[:5]
    assert sum(r.count for r in data.top_departments) == sum(ranked)
    assert len(data.top_departments) == min(len(ranked), 6)
    people = Counter(c["guilty_employee_id"] for c in satisfied if c["guilty_employee_id"])
    assert sum(r.count for r in data.top_employees) == sum(people.values())
    assert [r.count for r in data.top_employees[:5]] == sorted(people.values(),
                                                                reverse=True)[:5]
    for r in data.top_employees[:5]:
        assert people[r.key] == r.count
    assert data.satisfied_without_culprit == sum(
        1 for c in satisfied if not c["guilty_department"] and c["guilty_employee_id"] is None)

    # Dynamics by local month, clipped to the period.
    months = [m for m, _, _ in month_bounds(period, "Europe/Kyiv")]
    assert [m.month for m in data.months] == months
    registered = Counter(local_month(c["registered_at"]) for c in cohort)
    closed = [c for c in rows if c["status"] in ("satisfied", "not_satisfied")
              and period.start <= c["closed_at"] < period.end]
    assert {m.month: m.registered for m in data.months} == {m: registered[m] for m in months}
    assert {m.month: (m.closed, m.satisfied, m.not_satisfied) for m in data.months} == {
        m: (sum(1 for c in closed if local_month(c["closed_at"]) == m),
            sum(1 for c in closed if local_month(c["closed_at"]) == m
                and c["status"] == "satisfied"),
            sum(1 for c in closed if local_month(c["closed_at"]) == m
                and c["status"] == "not_satisfied"))
        for m in months}  # fmt: skip
    for m, (_, _, end) in zip(data.months, month_bounds(period, "Europe/Kyiv"), strict=True):
        assert m.open_at_end == sum(
            1 for c in rows if c["registered_at"] < end
            and (c["closed_at"] is None or c["closed_at"] >= end)), m.month

    # Overdue at the end of the period.
    as_of = period.end
    late = sorted((c for c in rows if c["registered_at"] < as_of and c["due_at"] < as_of
                   and (c["closed_at"] is None or c["closed_at"] > as_of)),
                  key=lambda c: (c["due_at"], c["id"]))
    assert data.overdue_count == len(late) > 0
    assert [o.number for o in data.overdue] == [c["number"] for c in late[:10]]
    assert data.overdue[0].days_overdue == pytest.approx(
        (as_of - late[0]["due_at"]).total_seconds() / 86400)

    import json

    payload = json.loads(render(result, "json", "en"))
    assert payload["data"]["registered"] == len(cohort)
    assert payload["data"]["overdue_count"] == len(late)
    assert {t["key"] for t in payload["tables"]} == {
        "months", "causes", "top_causes", "departments", "employees", "overdue"}
    text = render(result, "text", "en").decode()
    assert f"Claims: {len(cohort)}" in text
    assert render(result, "xlsx", "uk")[:2] == b"PK"
    assert render(result, "csv", "uk").startswith(b"\xef\xbb\xbf")


async def test_scope_manager_head_and_kind(db, frozen_clock):
    w = await busy_year(seed=9, count=60)
    period = make_period(D(2025, 12, 1), D(2026, 11, 27))
    team_a = {w.head_a, w.m1, w.m2}
    for viewer, role, people in ((w.m1, Role.MANAGER, {w.m1}), (w.head_a, Role.HEAD, team_a)):
        result = await run_report("claims", ReportParams(
            viewer_id=viewer, viewer_role=role, date_from=period.date_from,
            date_to=period.date_to))
        _, cohort = await expected(period, people)
        assert result.data.registered == len(cohort) > 0
        assert result.data.registered < len((await expected(period))[1])
    with pytest.raises(AccessDenied):
        await run_report("claims", ReportParams(viewer_id=w.m1, viewer_role=Role.MANAGER,
                                                manager_id=w.m2))
    kind = (await Deal.get(id=w.d1)).kind_id
    result = await run_report("claims", ReportParams(kind_id=kind, date_from=period.date_from,
                                                     date_to=period.date_to))
    _, cohort = await expected(period, kind_id=kind)
    assert result.data.registered == len(cohort) > 0
    assert all(c["deal_id"] is not None for c in cohort)


async def test_a_month_is_a_kyiv_month_and_an_empty_period(db, frozen_clock):
    w = await claims_world()
    # 21:30 UTC on 30.06 is 00:30 on 01.07 in Kyiv: a July claim.
    with clock.simulated(dt.datetime(2026, 6, 30, 21, 30, tzinfo=dt.UTC)):
        claim = await register_claim(partner_id=w.p1, cause_id=w.causes["wrong_goods"],
                                     description="Пересорт", responsible_id=w.m1,
                                     author_id=w.m1)
    result = await run_report("claims", ReportParams(date_from=D(2026, 6, 1),
                                                     date_to=D(2026, 7, 31)))
    assert [(m.month, m.registered, m.open_at_end) for m in result.data.months] == [
        (D(2026, 6, 1), 0, 0), (D(2026, 7, 1), 1, 1)]
    assert result.data.overdue_count == 1 and result.data.overdue[0].claim_id == claim.id
    assert next(h.msgid for h in result.headline) == "Claims: %(count)s, claimed %(amount)s"

    empty = await run_report("claims", ReportParams(date_from=D(2020, 1, 1),
                                                    date_to=D(2020, 3, 31)))
    assert empty.data.registered == 0 and empty.data.causes == ()
    assert [m.registered for m in empty.data.months] == [0, 0, 0]
    assert empty.headline[0].msgid == "No claims registered in this period."
