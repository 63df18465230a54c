"""The funnel report against figures computed here the slow way, row by row in Python."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest

from core.errors import AccessDenied
from models import Deal, DealStageLog, Stage
from models.base import Role
from services.analytics import ReportParams, make_period, run_report
from services.analytics.funnel import (
    FLAG_LARGEST_LOST,
    FLAG_LOWEST_PASS,
    FLAG_OVER_PLAN,
    FunnelData,
)
from tests.analytics_data import add_deal, generate

UTC = dt.UTC
D = dt.date


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q * 100) - 1]


async def expected_funnel(date_from, date_to, owners=None, kind_id=None) -> dict[int, dict]:
    """Per stage id: the funnel figures from every log row, filtered and counted in Python."""
    period = make_period(date_from, date_to)
    owner_of = {d["id"]: d["owner_id"] for d in await Deal.all().values("id", "owner_id")}
    stages = {s["id"]: s for s in await Stage.all().values("id", "kind_id", "planned_days")}
    out: dict[int, dict] = {}
    for row in await DealStageLog.all().values():
        if row["entered_at"] >= period.end:
            continue
        if row["left_at"] is not None and row["left_at"] < period.start:
            continue
        if owners is not None and owner_of[row["deal_id"]] not in owners:
            continue
        if kind_id is not None and stages[row["stage_id"]]["kind_id"] != kind_id:
            continue
        s = out.setdefault(
            row["stage_id"],
            {
                "reached": 0,
                "passed": 0,
                "lost": 0,
                "current": 0,
                "reached_minor": 0,
                "passed_minor": 0,
                "lost_minor": 0,
                "current_minor": 0,
                "days": [],
            },
        )
        s["reached"] += 1
        s["reached_minor"] += row["potential_minor"]
        s[row["result"]] += 1
        s[f"{row['result']}_minor"] += row["potential_minor"]
        if row["left_at"] is not None and not row["skipped"]:
            s["days"].append((row["left_at"] - row["entered_at"]).total_seconds() / 86400)
    for stage_id, s in out.items():
        decided = s["passed"] + s["lost"]
        s["conversion"] = s["passed"] / decided if decided else None
        days = s.pop("days")
        s["avg_days"] = sum(days) / len(days) if days else None
        s["median_days"] = statistics.median(days) if days else None
        s["p90_days"] = pct(days, 0.9) if days else None
        s["planned_days"] = stages[stage_id]["planned_days"]
    return out


def by_stage(data: FunnelData) -> dict[int, object]:
    return {s.stage_id: s for kind in data.kinds for s in kind.stages}


def assert_matches(data: FunnelData, expected: dict[int, dict]) -> None:
    got = by_stage(data)
    for stage_id, stage in got.items():
        exp = expected.get(stage_id)
        if exp is None:
            assert stage.reached == 0, stage
            continue
        for key in (
            "reached",
            "passed",
            "lost",
            "current",
            "reached_minor",
            "passed_minor",
            "lost_minor",
            "current_minor",
        ):
            assert getattr(stage, key) == exp[key], (stage_id, key)
        for key in ("conversion", "avg_days", "median_days", "p90_days"):
            if exp[key] is None:
                assert getattr(stage, key) is None, (stage_id, key)
            else:
                assert getattr(stage, key) == pytest.approx(exp[key], rel=1e-6), (stage_id, key)
    assert set(expected) <= set(got)


async def test_funnel_matches_slow_count_on_generated_data(db, frozen_clock):
    ds = await generate(seed=11, deals=400)
    params = ReportParams(date_from=D(2026, 3, 1), date_to=D(2026, 8, 31))
    result = await run_report("funnel", params)
    expected = await expected_funnel(D(2026, 3, 1), D(2026, 8, 31))
    assert_matches(result.data, expected)
    # Both kinds, stages in their order, and the generated data has moves back and skips.
    assert [k.code for k in result.data.kinds] == ["sale", "project"]
    orders = [s.order for s in result.data.kinds[0].stages]
    assert orders == sorted(orders)
    assert await DealStageLog.filter(skipped=True).exists()
    assert ds.counts["deal"] == 400


async def test_funnel_cumulative_conversion_and_flags(db, frozen_clock):
    await generate(seed=5, deals=300)
    result = await run_report(
        "funnel", ReportParams(date_from=D(2025, 6, 1), date_to=D(2026, 11, 27))
    )
    for kind in result.data.kinds:
        stages = kind.stages
        product = 1.0
        for stage in stages:
            if stage.conversion is not None:
                product *= stage.conversion
                assert stage.cumulative == pytest.approx(product)
        rates = [s.conversion for s in stages if s.conversion is not None]
        lowest = [s for s in stages if FLAG_LOWEST_PASS in s.flags]
        assert [s.conversion for s in lowest] == [min(rates)]
        largest = [s for s in stages if FLAG_LARGEST_LOST in s.flags]
        assert [s.lost_minor for s in largest] == [max(s.lost_minor for s in stages)]
        for stage in stages:
            over = stage.avg_days is not None and stage.avg_days > stage.planned_days
            assert (FLAG_OVER_PLAN in stage.flags) == over


async def test_funnel_scope_manager_head_admin(db, frozen_clock):
    ds = await generate(seed=3, deals=300)
    period = (D(2026, 1, 1), D(2026, 11, 27))
    manager = ds.managers[1]
    mine = await run_report(
        "funnel",
        ReportParams(
            viewer_id=manager, viewer_role=Role.MANAGER, date_from=period[0], date_to=period[1]
        ),
    )
    assert_matches(mine.data, await expected_funnel(*period, owners={manager}))

    head = ds.heads[0]
    team = {e for e, t in ds.team_of.items() if t == ds.team_of[head]}
    theirs = await run_report(
        "funnel",
        ReportParams(
            viewer_id=head,
            viewer_role=Role.HEAD,
            date_from=period[0],
            date_to=period[1],
            kind_id=ds.kinds["sale"],
        ),
    )
    assert_matches(
        theirs.data, await expected_funnel(*period, owners=team, kind_id=ds.kinds["sale"])
    )
    assert [k.code for k in theirs.data.kinds] == ["sale"]

    # A head narrows to one of their managers; an admin to anyone.
    one = next(e for e in team if e != head)
    narrowed = await run_report(
        "funnel",
        ReportParams(
            viewer_id=head,
            viewer_role=Role.HEAD,
            manager_id=one,
            date_from=period[0],
            date_to=period[1],
        ),
    )
    assert_matches(narrowed.data, await expected_funnel(*period, owners={one}))


async def test_funnel_refuses_other_peoples_figures(db, frozen_clock):
    ds = await generate(seed=3, deals=20)
    other_team = next(t for t in ds.teams if t != ds.team_of[ds.heads[0]])
    stranger = next(m for m in ds.managers if ds.team_of[m] == other_team)
    with pytest.raises(AccessDenied):
        await run_report(
            "funnel",
            ReportParams(
                viewer_id=ds.managers[0], viewer_role=Role.MANAGER, manager_id=ds.managers[1]
            ),
        )
    with pytest.raises(AccessDenied):
        await run_report(
            "funnel",
            ReportParams(viewer_id=ds.heads[0], viewer_role=Role.HEAD, manager_id=stranger),
        )
    with pytest.raises(AccessDenied):
        await run_report(
            "funnel", ReportParams(viewer_id=ds.heads[0], viewer_role=Role.HEAD, team_id=other_team)
        )
    with pytest.raises(AccessDenied):
        await run_report("funnel", ReportParams(viewer_id=None, viewer_role=Role.MANAGER))


async def test_funnel_empty_period_shows_no_deals(db, frozen_clock):
    await generate(seed=3, deals=50)
    result = await run_report(
        "funnel", ReportParams(date_from=D(2015, 1, 1), date_to=D(2015, 1, 31))
    )
    assert result.data.kinds == ()
    assert result.headline[0].msgid == "No deals in this period."


async def test_funnel_single_deal_exact_days_and_bounds(db, frozen_clock):
    ds = await generate(seed=1, deals=0)
    # Passed stage 0 in 2.5 days inside the period, sits in stage 1 since then.
    await add_deal(
        ds,
        started_at=at("2026-06-01", 10),
        potential_minor=1_234_567_89,
        rows=[
            (0, at("2026-06-01", 10), at("2026-06-03", 22), "passed"),
            (1, at("2026-06-03", 22), None, "current"),
        ],
    )
    result = await run_report(
        "funnel", ReportParams(date_from=D(2026, 6, 1), date_to=D(2026, 6, 30))
    )
    first, second = result.data.kinds[0].stages[:2]
    assert (first.reached, first.passed, first.lost, first.current) == (1, 1, 0, 0)
    assert first.avg_days == pytest.approx(2.5)
    assert first.median_days == pytest.approx(2.5)
    assert first.p90_days == pytest.approx(2.5)
    assert first.conversion == 1.0
    assert (second.reached, second.current, second.current_minor) == (1, 1, 1_234_567_89)
    assert second.avg_days is None  # open rows stay out of the averages
    assert second.conversion is None


async def test_funnel_rows_crossing_the_period_bounds(db, frozen_clock):
    ds = await generate(seed=1, deals=0)
    # Entered before the period, left inside it: counted.
    await add_deal(
        ds,
        started_at=at("2026-05-20"),
        rows=[(0, at("2026-05-20"), at("2026-06-02"), "lost")],
        status="lost",
        ended_at=at("2026-06-02"),
    )
    # Left exactly when the period starts (local midnight, 21:00 UTC the day before): counted.
    await add_deal(
        ds,
        started_at=at("2026-05-01"),
        rows=[
            (0, at("2026-05-01"), dt.datetime(2026, 5, 31, 21, 0, tzinfo=UTC), "passed"),
            (1, dt.datetime(2026, 5, 31, 21, 0, tzinfo=UTC), at("2026-05-31", 22), "passed"),
        ],
    )
    # Ended before the period: not counted.
    await add_deal(
        ds, started_at=at("2026-04-01"), rows=[(0, at("2026-04-01"), at("2026-04-05"), "passed")]
    )
    # Entered after the period: not counted.
    await add_deal(ds, started_at=at("2026-07-01"), rows=[(0, at("2026-07-01"), None, "current")])
    # Open since before the period: counted, in the stage now.
    await add_deal(ds, started_at=at("2026-01-01"), rows=[(0, at("2026-01-01"), None, "current")])
    result = await run_report(
        "funnel", ReportParams(date_from=D(2026, 6, 1), date_to=D(2026, 6, 30))
    )
    first = result.data.kinds[0].stages[0]
    assert (first.reached, first.passed, first.lost, first.current) == (3, 1, 1, 1)
    assert first.conversion == 0.5
    # Only the stage-0 row that left at the start is timed (exactly 30.375 days), plus the lost
    # one (13 days); both are closed.
    assert first.avg_days == pytest.approx((30 + 9 / 24 + 13) / 2)
    assert result.data.kinds[0].stages[1].reached == 1


async def test_funnel_deal_that_moved_back(db, frozen_clock):
    """1C's log after a move back: the later rows are gone and the target row is reopened with
    its first entry time; the funnel counts the deal once per stage it still has a row for."""
    ds = await generate(seed=1, deals=0)
    await add_deal(
        ds,
        started_at=at("2026-06-01"),
        rows=[
            (0, at("2026-06-01"), at("2026-06-02"), "passed"),
            (1, at("2026-06-02"), at("2026-06-10"), "passed"),  # reopened on 05.06, passed again
            (2, at("2026-06-10"), None, "current"),
        ],
    )
    result = await run_report(
        "funnel", ReportParams(date_from=D(2026, 6, 1), date_to=D(2026, 6, 30))
    )
    stages = result.data.kinds[0].stages
    assert [s.reached for s in stages[:4]] == [1, 1, 1, 0]
    assert stages[1].avg_days == pytest.approx(8.0)


async def test_funnel_counts_the_deals_won_in_the_period_per_kind(db, frozen_clock):
    """A manual deal may be won before the last stage, so "through the funnel" counts wins,
    not the last stage's passes; wins outside the period or the scope do not count."""
    ds = await generate(seed=7, deals=300)
    date_from, date_to = D(2026, 3, 1), D(2026, 8, 31)
    period = make_period(date_from, date_to)
    deals = await Deal.all().values("kind_id", "owner_id", "status", "ended_at")

    def wins(owners=None) -> dict[int, int]:
        out: dict[int, int] = {}
        for d in deals:
            if d["status"] != "won" or not (period.start <= d["ended_at"] < period.end):
                continue
            if owners is None or d["owner_id"] in owners:
                out[d["kind_id"]] = out.get(d["kind_id"], 0) + 1
        return out

    result = await run_report("funnel", ReportParams(date_from=date_from, date_to=date_to))
    expected = wins()
    assert sum(expected.values()) > 0
    assert {k.kind_id: k.won for k in result.data.kinds if k.won} == expected
    manager = ds.managers[0]
    mine = await run_report(
        "funnel",
        ReportParams(
            date_from=date_from, date_to=date_to, viewer_id=manager, viewer_role=Role.MANAGER
        ),
    )
    assert {k.kind_id: k.won for k in mine.data.kinds if k.won} == wins({manager})
