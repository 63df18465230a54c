"""Lost deals against counts made here deal by deal."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from models import Deal, DealParticipant, DealStageLog
from models.base import Role
from services.analytics import Msg, ReportParams, make_period, run_report
from tests.analytics_data import add_deal, generate

UTC = dt.UTC
D = dt.date


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


async def finished_in(period, statuses, owners=None, kind_id=None) -> dict[int, dict]:
    return {
        d["id"]: d for d in await Deal.all().values()
        if d["status"] in statuses and d["ended_at"] is not None
        and period.start <= d["ended_at"] < period.end
        and (owners is None or d["owner_id"] in owners)
        and (kind_id is None or d["kind_id"] == kind_id)
    }


async def test_lost_matches_deal_by_deal_counts(db, frozen_clock):
    ds = await generate(seed=31, deals=500)
    period = make_period(D(2026, 1, 1), D(2026, 9, 30))
    data = (await run_report("lost", ReportParams(date_from=period.date_from,
                                                  date_to=period.date_to))).data
    lost = await finished_in(period, {"lost"})

    by_owner = defaultdict(lambda: [0, 0])
    by_partner = defaultdict(lambda: [0, 0])
    for deal in lost.values():
        for key, table in (((deal["loss_reason_id"], deal["owner_id"]), by_owner),
                           ((deal["loss_reason_id"], deal["partner_id"]), by_partner)):
            table[key][0] += 1
            table[key][1] += deal["potential_minor"]
    assert {(c.reason_id, c.other_id): [c.count, c.lost_minor] for c in data.by_manager} == dict(
        by_owner)
    assert {(c.reason_id, c.other_id): [c.count, c.lost_minor] for c in data.by_partner} == dict(
        by_partner)
    assert data.total_count == len(lost)
    assert data.total_minor == sum(d["potential_minor"] for d in lost.values())
    assert sum(r.count for r in data.reasons) == len(lost)
    assert [r.count for r in data.reasons] == sorted((r.count for r in data.reasons),
                                                     reverse=True)
    assert any(isinstance(r.reason, Msg) for r in data.reasons)  # some have no reason

    stage_counts = Counter()
    for row in await DealStageLog.filter(result="lost", deal_id__in=list(lost)).values():
        stage_counts[row["stage_id"]] += 1
    top = sorted(stage_counts.items(), key=lambda kv: -kv[1])[:5]
    assert [s.count for s in data.stages] == [n for _, n in top]
    assert {s.stage_id for s in data.stages if s.count > top[-1][1]} == {
        sid for sid, n in top if n > top[-1][1]}

    finished = await finished_in(period, {"won", "lost"})
    rivals = defaultdict(lambda: {"met": set(), "won": set(), "we": set()})
    for p in await DealParticipant.filter(role="competitor").values():
        deal = finished.get(p["deal_id"])
        if deal is None:
            continue
        r = rivals[p["partner_id"]]
        r["met"].add(deal["id"])
        if deal["status"] == "lost" and p["won_the_deal"]:
            r["won"].add(deal["id"])
        if deal["status"] == "won":
            r["we"].add(deal["id"])
    assert {c.partner_id: (c.met, c.won_against_us, c.we_won) for c in data.competitors} == {
        pid: (len(r["met"]), len(r["won"]), len(r["we"])) for pid, r in rivals.items()}
    for c in data.competitors:
        assert c.win_rate == pytest.approx(c.won_against_us / c.met)
    assert ds.competitors


async def test_lost_for_a_head_is_the_team_and_one_kind(db, frozen_clock):
    ds = await generate(seed=31, deals=400)
    head = ds.heads[1]
    team = {e for e, t in ds.team_of.items() if t == ds.team_of[head]}
    period = make_period(D(2025, 6, 1), D(2026, 11, 27))
    result = await run_report("lost", ReportParams(
        viewer_id=head, viewer_role=Role.HEAD, kind_id=ds.kinds["project"],
        date_from=period.date_from, date_to=period.date_to))
    lost = await finished_in(period, {"lost"}, owners=team, kind_id=ds.kinds["project"])
    assert result.data.total_count == len(lost) > 0
    assert {c.other_id for c in result.data.by_manager} <= team


async def test_lost_empty_period(db, frozen_clock):
    await generate(seed=2, deals=50)
    result = await run_report("lost", ReportParams(date_from=D(2010, 1, 1),
                                                   date_to=D(2010, 12, 31)))
    assert result.data.total_count == 0
    assert result.data.reasons == () and result.data.stages == ()
    assert result.headline[0].msgid == "No deals lost in this period."


async def test_single_lost_deal_to_a_competitor_and_bounds(db, frozen_clock):
    ds = await generate(seed=2, deals=0)
    deal = await add_deal(ds, started_at=at("2026-05-01"), status="lost",
                          ended_at=at("2026-06-30", 20), loss_reason="competitor",
                          potential_minor=77_000_00,
                          rows=[(0, at("2026-05-01"), at("2026-05-03"), "passed"),
                                (1, at("2026-05-03"), at("2026-06-30", 20), "lost")])
    await DealParticipant.create(deal_id=deal, partner_id=ds.competitors[0], role="competitor",
                                 won_the_deal=True)
    # Lost at 00:30 Kyiv on 01.07, i.e. 21:30 UTC on 30.06: outside June in Kyiv.
    await add_deal(ds, started_at=at("2026-05-01"), status="lost",
                   ended_at=dt.datetime(2026, 6, 30, 21, 30, tzinfo=UTC), loss_reason="price",
                   rows=[(0, at("2026-05-01"), dt.datetime(2026, 6, 30, 21, 30, tzinfo=UTC),
                          "lost")])
    data = (await run_report("lost", ReportParams(date_from=D(2026, 6, 1),
                                                  date_to=D(2026, 6, 30)))).data
    assert (data.total_count, data.total_minor) == (1, 77_000_00)
    (stage,) = data.stages
    assert stage.stage_id == ds.stages["sale"][1]
    (rival,) = data.competitors
    assert (rival.partner_id, rival.met, rival.won_against_us, rival.win_rate) == (
        ds.competitors[0], 1, 1, 1.0)
