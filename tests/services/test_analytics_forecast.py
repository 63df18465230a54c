"""The forecast against figures computed here deal by deal in Python."""

from __future__ import annotations

import datetime as dt

import pytest

from models import Deal, DealStageLog, Stage
from models.base import Role
from services.analytics import ReportParams, make_period, run_report
from services.probability import stage_rates
from tests.analytics_data import add_deal, generate

UTC = dt.UTC
D = dt.date
TODAY = D(2026, 11, 27)  # the frozen clock, in Kyiv


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


async def slow_stage_stats() -> dict[int, dict]:
    """Per stage: won / lost among finished deals that reached it, average days to the end."""
    deals = {d["id"]: d for d in await Deal.all().values()}
    stats: dict[int, dict] = {}
    for row in await DealStageLog.all().values():
        deal = deals[row["deal_id"]]
        if deal["status"] not in ("won", "lost") or deal["ended_at"] is None:
            continue
        s = stats.setdefault(row["stage_id"], {"won": 0, "lost": 0, "days": []})
        s[deal["status"]] += 1
        s["days"].append((deal["ended_at"] - row["entered_at"]).total_seconds() / 86400)
    out = {}
    for stage in await Stage.all().values():
        s = stats.get(stage["id"], {"won": 0, "lost": 0, "days": []})
        decided = s["won"] + s["lost"]
        days = sum(s["days"]) / len(s["days"]) if s["days"] else None
        out[stage["id"]] = {
            "won": s["won"], "lost": s["lost"],
            "p": round(100 * s["won"] / decided) if decided else stage["default_probability"],
            "close": None if days is None else TODAY + dt.timedelta(days=round(days)),
            "days": days,
        }
    return out


def cases(deals: list[tuple[int, int]], threshold: int = 50) -> dict[str, int]:
    """(potential, p) pairs -> the three cases, summed as exact fractions then rounded once."""
    wp = sum(pot * p for pot, p in deals)
    wp_hi = sum(pot * p for pot, p in deals if p >= threshold)
    return {
        "deals": len(deals),
        "potential_minor": sum(pot for pot, _ in deals),
        "expected_minor": round(wp / 100),
        "worst_minor": round(wp_hi / 100),
        "best_minor": sum(pot for pot, p in deals if p >= threshold) + round((wp - wp_hi) / 100),
    }


async def slow_forecast(owners=None, threshold=50):
    stats = await slow_stage_stats()
    by_month: dict[D | None, list[tuple[int, int]]] = {}
    weighted = []
    for deal in await Deal.filter(status="open").values():
        if owners is not None and deal["owner_id"] not in owners:
            continue
        stage = stats.get(deal["stage_id"])
        p = deal["manual_probability"]
        if p is None:
            p = deal["computed_probability"]
        if p is None:
            p = stage["p"] if stage else 0
        own = deal["expected_close_on"]
        close = max(own, TODAY) if own is not None else (stage["close"] if stage else None)
        month = close.replace(day=1) if close else None
        by_month.setdefault(month, []).append((deal["potential_minor"], p))
        weighted.append((deal["potential_minor"] * p, deal["id"]))
    return stats, by_month, weighted


def as_dict(c) -> dict[str, int]:
    return {k: getattr(c, k) for k in ("deals", "potential_minor", "expected_minor",
                                       "worst_minor", "best_minor")}


async def test_forecast_matches_deal_by_deal_sums(db, frozen_clock):
    await generate(seed=21, deals=500)
    result = await run_report("forecast", ReportParams(options={"deals": "1000"}))
    data = result.data
    stats, by_month, weighted = await slow_forecast()

    assert {m.month: as_dict(m.cases) for m in data.months} == {
        month: cases(pairs) for month, pairs in by_month.items()
    }
    window = [pair for month, pairs in by_month.items()
              if month is not None and D(2026, 11, 1) <= month <= D(2027, 1, 1) for pair in pairs]
    assert as_dict(data.window) == cases(window)
    everything = [pair for pairs in by_month.values() for pair in pairs]
    assert as_dict(data.total) == cases(everything)
    assert data.window.worst_minor <= data.window.expected_minor <= data.window.best_minor
    # The deal list is the open deals by weighted value.
    assert [d.deal_id for d in data.deals] == [
        deal_id for _, deal_id in sorted(weighted, key=lambda w: (-w[0], w[1]))]
    for stage in data.stages:
        assert stage.probability == stats[stage.stage_id]["p"]
        assert stage.expected_close_on == stats[stage.stage_id]["close"]
        assert stage.days_to_close == pytest.approx(stats[stage.stage_id]["days"])


async def test_stage_probability_is_the_probability_services_rate(db, frozen_clock):
    ds = await generate(seed=8, deals=300)
    result = await run_report("forecast", ReportParams(kind_id=ds.kinds["project"]))
    rates = await stage_rates(ds.kinds["project"])
    for stage in result.data.stages:
        rate = rates[stage.stage_id]
        assert (stage.won, stage.lost) == (rate.won, rate.lost)
        if rate.decided:
            assert stage.probability == round(100 * rate.value)


async def test_forecast_threshold_moves_deals_between_cases(db, frozen_clock):
    await generate(seed=21, deals=300)
    low = (await run_report("forecast", ReportParams(options={"threshold": "10"}))).data
    high = (await run_report("forecast", ReportParams(options={"threshold": "90"}))).data
    assert low.total.expected_minor == high.total.expected_minor
    assert low.total.worst_minor >= high.total.worst_minor
    assert low.total.best_minor >= high.total.best_minor


async def test_forecast_scope_of_a_manager(db, frozen_clock):
    ds = await generate(seed=21, deals=300)
    manager = ds.managers[2]
    result = await run_report("forecast", ReportParams(viewer_id=manager,
                                                       viewer_role=Role.MANAGER))
    _, by_month, _ = await slow_forecast(owners={manager})
    assert {m.month: as_dict(m.cases) for m in result.data.months} == {
        month: cases(pairs) for month, pairs in by_month.items()}
    assert all(d.owner_id == manager for d in result.data.deals)


async def test_forecast_without_open_deals(db, frozen_clock):
    ds = await generate(seed=1, deals=0)
    await add_deal(ds, started_at=at("2026-10-01"), status="won", ended_at=at("2026-10-20"),
                   rows=[(0, at("2026-10-01"), at("2026-10-20"), "passed")])
    result = await run_report("forecast", ReportParams())
    assert result.data.months == ()
    assert result.data.total.deals == 0
    assert result.data.deals == ()


async def test_single_deal_own_date_passed_counts_this_month_and_overdue(db, frozen_clock):
    ds = await generate(seed=1, deals=0)
    await add_deal(ds, started_at=at("2026-10-01"), potential_minor=200_000_00,
                   manual_probability=40, expected_close_on=D(2026, 11, 10),
                   rows=[(2, at("2026-10-01"), None, "current")])
    result = await run_report("forecast", ReportParams())
    (month,) = result.data.months
    assert month.month == D(2026, 11, 1)
    assert month.overdue == 1 and result.data.overdue == 1
    assert (month.cases.expected_minor, month.cases.worst_minor, month.cases.best_minor) == (
        80_000_00, 0, 80_000_00)
    (deal,) = result.data.deals
    assert (deal.probability, deal.probability_source) == (40, "manual")
    assert (deal.expected_close_on, deal.close_source, deal.overdue) == (TODAY, "deal", True)


async def test_close_date_from_history_is_today_plus_average_days(db, frozen_clock):
    ds = await generate(seed=1, deals=0)
    # Two finished deals that reached stage 1: 10 and 20 days from entering it to their end.
    await add_deal(ds, started_at=at("2026-01-01"), status="won", ended_at=at("2026-01-15"),
                   rows=[(0, at("2026-01-01"), at("2026-01-05"), "passed"),
                         (1, at("2026-01-05"), at("2026-01-15"), "passed")])
    await add_deal(ds, started_at=at("2026-02-01"), status="lost", ended_at=at("2026-02-25"),
                   rows=[(0, at("2026-02-01"), at("2026-02-05"), "passed"),
                         (1, at("2026-02-05"), at("2026-02-25"), "lost")])
    await add_deal(ds, started_at=at("2026-11-01"), potential_minor=100_000_00,
                   rows=[(0, at("2026-11-01"), at("2026-11-20"), "passed"),
                         (1, at("2026-11-20"), None, "current")])
    data = (await run_report("forecast", ReportParams())).data
    (deal,) = data.deals
    assert deal.stage_probability == 50 and deal.probability_source == "stage"
    assert deal.expected_close_on == TODAY + dt.timedelta(days=15)
    assert deal.close_source == "history"
    assert data.months[0].month == D(2026, 12, 1)


async def test_backtest_against_what_happened(db, frozen_clock):
    ds = await generate(seed=1, deals=0)
    # History: deals at stage 4 ("terms") close in 3 days on average, 2 of 3 won.
    for start, status in (("2026-01-01", "won"), ("2026-02-01", "won"), ("2026-03-01", "lost")):
        t0 = at(start)
        await add_deal(ds, started_at=t0, status=status, ended_at=t0 + dt.timedelta(days=3),
                       rows=[(4, t0, t0 + dt.timedelta(days=3),
                              "passed" if status == "won" else "lost")])
    # Open at the backtest's start (22.08.2026 for a 97-day period): won within the window...
    await add_deal(ds, started_at=at("2026-08-01"), status="won", ended_at=at("2026-09-01"),
                   potential_minor=300_000_00,
                   rows=[(4, at("2026-08-01"), at("2026-09-01"), "passed")])
    # ...and one still open now.
    await add_deal(ds, started_at=at("2026-08-10"), potential_minor=150_000_00,
                   rows=[(4, at("2026-08-10"), None, "current")])
    # Started within the window and won in it: not part of the forecast.
    await add_deal(ds, started_at=at("2026-10-01"), status="won", ended_at=at("2026-10-05"),
                   potential_minor=50_000_00,
                   rows=[(4, at("2026-10-01"), at("2026-10-05"), "passed")])
    params = ReportParams(date_from=TODAY, date_to=D(2027, 3, 3))  # 97 days
    data = (await run_report("forecast", params)).data
    bt = data.backtest
    window = make_period(TODAY - dt.timedelta(days=97), TODAY - dt.timedelta(days=1))
    assert (bt.date_from, bt.date_to) == (window.date_from, window.date_to)
    assert (bt.open_at_start, bt.open_minor) == (2, 450_000_00)
    # Stage 4 now: 4 won of 5 decided (80 %); days to close (3 + 3 + 3 + 31 + 4) / 5 = 8.8, so
    # both deals open on 22.08 were expected to close within the window.
    assert bt.forecast.deals == 2
    assert bt.forecast.expected_minor == round(450_000_00 * 80 / 100)
    assert (bt.won, bt.won_minor, bt.still_open) == (1, 300_000_00, 1)
    assert (bt.new_won, bt.new_won_minor) == (1, 50_000_00)
    assert bt.accuracy == pytest.approx(300_000_00 / bt.forecast.expected_minor)
