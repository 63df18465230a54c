"""The abc-xyz report: the stored classification as the viewer may see it."""

import datetime as dt
from collections import Counter

import pytest

from core.errors import AccessDenied
from models.base import Role
from services.analytics import ReportParams, run_report
from services.classification import classify_clients
from tests.services.test_classification_data import seed_sales, slow_classify, slow_stage

AUG = dt.date(2026, 8, 31)
OCT = dt.date(2026, 10, 31)


async def two_runs():
    data = await seed_sales(seed=11)
    await classify_clients(period_to=AUG)
    await classify_clients(period_to=OCT)
    before = slow_classify(data.sales, "revenue", "adaptive", AUG, 3)
    now = slow_classify(data.sales, "revenue", "adaptive", OCT, 3)
    for partner in set(before) - set(now):
        now[partner] = ("", "", 0)  # lost
    return data, before, now


async def test_admin_sees_every_client_with_the_slow_classes(db, frozen_clock):
    data, before, now = await two_runs()
    result = await run_report("abc-xyz", ReportParams())
    report = result.data

    assert (result.period.date_from, result.period.date_to) == (dt.date(2026, 8, 1), OCT)
    assert {c.partner_id: (c.abc, c.xyz, c.value) for c in report.clients} == now
    by_abc = {row.key: (row.clients, row.value) for row in report.abc}
    for cls in "ABC":
        members = [v for v in now.values() if v[0] == cls]
        assert by_abc[cls] == (len(members), sum(v[2] for v in members))
    total = sum(v[2] for v in now.values())
    assert report.abc[0].share == pytest.approx(by_abc["A"][1] / total)
    stages = Counter(slow_stage(xyz) for _, xyz, _ in now.values())
    assert report.stages["regular"] == stages["regular"]
    assert report.stages["lost"] == stages["lost"] > 0
    assert report.stages["potential"] == len(
        [p for p in data.clients + data.idle_clients if p not in now]
    )
    moved = [p for p in now if before.get(p, (None, None))[:2] != now[p][:2]]
    assert report.moved == len(moved)
    assert len(next(t for t in result.tables if t.key == "changes").rows) == len(moved)


@pytest.mark.parametrize("who", ["manager", "head"])
async def test_managers_see_their_clients_and_heads_their_team(db, frozen_clock, who):
    data, _, now = await two_runs()
    if who == "manager":
        viewer, role, allowed = data.managers_a[0], Role.MANAGER, {data.managers_a[0]}
    else:
        viewer, role, allowed = data.head_a, Role.HEAD, {*data.managers_a, data.head_a}
    result = await run_report("abc-xyz", ReportParams(viewer_id=viewer, viewer_role=role))

    mine = {p for p in now if data.manager_of[p] in allowed}
    assert mine and len(mine) < len(now)
    assert {c.partner_id for c in result.data.clients} == mine
    assert sum(row.clients for row in result.data.abc) == len(mine)


async def test_a_manager_cannot_ask_for_a_team(db, frozen_clock):
    data, _, _ = await two_runs()
    with pytest.raises(AccessDenied):
        await run_report(
            "abc-xyz",
            ReportParams(
                viewer_id=data.managers_a[0], viewer_role=Role.MANAGER, team_id=data.team_a
            ),
        )


async def test_the_date_picks_the_run_in_force_and_no_run_says_so(db, frozen_clock):
    _, before, _ = await two_runs()
    older = await run_report("abc-xyz", ReportParams(date_to=dt.date(2026, 9, 15)))
    assert older.data.period_to == AUG
    assert {c.partner_id: (c.abc, c.xyz, c.value) for c in older.data.clients} == before
    assert older.data.previous_run_id is None

    none = await run_report("abc-xyz", ReportParams(date_to=dt.date(2026, 7, 1)))
    assert none.data.run_id is None
    assert none.headline[0].msgid.startswith("No classification yet")
    assert none.tables == []
    classic = await run_report("abc-xyz", ReportParams(options={"method": "classic"}))
    assert classic.data.run_id is None
