"""The `shrunk` method: 1C's components, each rate shrunk toward its parent's rate with a prior
worth k = 5 deals, averaged; the staleness penalty; won 100 %, lost 0 %.

Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import NotFound
from models import Deal, DealKind, Employee, Partner, Stage
from models.base import DealStatus
from services.probability import explain_deal_probability, recompute_probability
from tests.probability_data import make_deal, make_kind


@pytest.fixture
async def history(db):
    """Kind K: s1 (default 20 %), s2 (default 50 %, rots after 10 days). Finished deals:
    d1 A+P won (s1, s2); d2 A lost at s1; d3 B+P lost at s2; d4 B won (s1, s2);
    and in another kind d5 B lost. The deal to score: A+P, open at s2."""
    a = await Employee.create(full_name="Андрій Коваль")
    b = await Employee.create(full_name="Богдана Лисенко")
    p = await Partner.create(name="ТОВ Альфа", search_key="альфа")
    kind = await DealKind.create(code="sale", name_uk="Продаж", name_en="Sale")
    s1 = await Stage.create(
        kind=kind, code="s1", name_uk="s1", name_en="s1", order=1, default_probability=20
    )
    s2 = await Stage.create(
        kind=kind,
        code="s2",
        name_uk="s2",
        name_en="s2",
        order=2,
        default_probability=50,
        rot_days=10,
    )
    other = await DealKind.create(code="other", name_uk="Інше", name_en="Other")
    o1 = await Stage.create(kind=other, code="o1", name_uk="o1", name_en="o1", order=1)
    await make_deal(kind, a, DealStatus.WON, [s1, s2], partner=p)
    await make_deal(kind, a, DealStatus.LOST, [s1])
    await make_deal(kind, b, DealStatus.LOST, [s1, s2], partner=p)
    await make_deal(kind, b, DealStatus.WON, [s1, s2])
    await make_deal(other, b, DealStatus.LOST, [o1])
    return {"a": a, "b": b, "p": p, "kind": kind, "s1": s1, "s2": s2}


async def the_deal_to_score(h, **extra) -> Deal:
    """A+P, open at s2 (the fixture's kind)."""
    return await make_deal(
        h["kind"], h["a"], DealStatus.OPEN, [h["s1"], h["s2"]], partner=h["p"], **extra
    )


async def test_components_are_shrunk_toward_their_parent_rates_and_averaged(history, frozen_clock):
    h = history
    deal = await the_deal_to_score(h, started_at=frozen_clock - dt.timedelta(days=3))

    result = await explain_deal_probability(deal.id, "shrunk")

    # company: 2 won of 5, toward s2's default 50 %: (2 + 5*0.5) / (5 + 5) = 0.45
    # kind:    2 won of 4, toward 0.45:  (2 + 2.25) / 9 = 0.47222
    # stage:   2 won of 3 that reached s2, toward 0.47222: (2 + 2.36111) / 8 = 0.54514
    # owner A at s2: 1 of 1, toward the stage: (1 + 2.72569) / 6 = 0.62095
    # client P at s2: 1 won of 2, toward the stage: (1 + 2.72569) / 7 = 0.53224
    # mean of stage, owner and client (the kind is listed with weight 0): 0.56611 -> 57 %
    assert result.method == "shrunk"
    stage, owner, partner, kind = (
        result.component(c) for c in ("stage", "owner", "partner", "kind")
    )
    assert (stage.won, stage.decided, stage.value) == (2, 3, pytest.approx(54.51, abs=0.01))
    assert (owner.won, owner.decided, owner.value) == (1, 1, pytest.approx(62.09, abs=0.01))
    assert (partner.won, partner.decided, partner.value) == (1, 2, pytest.approx(53.22, abs=0.01))
    assert (kind.won, kind.decided, kind.value) == (2, 4, pytest.approx(47.22, abs=0.01))
    assert kind.weight == 0
    assert result.component("staleness") is None
    assert result.percent == 57


async def test_one_won_deal_out_of_one_is_not_a_certainty(db, frozen_clock):
    owner = await Employee.create(full_name="Андрій Коваль")
    kind, (stage,) = await make_kind("sale", 1)
    await make_deal(kind, owner, DealStatus.WON, [stage])
    deal = await make_deal(kind, owner, DealStatus.OPEN, [stage], started_at=frozen_clock)

    result = await explain_deal_probability(deal.id, "shrunk")

    # no default probability -> 50 %; company 1 of 1: (1 + 2.5) / 6 = 0.58333;
    # kind: (1 + 2.91667) / 6 = 0.65278; stage: (1 + 3.26389) / 6 = 0.71065;
    # owner at the stage, 1 of 1 toward the stage: (1 + 3.55324) / 6 = 0.75887;
    # mean 73.48 % where 1C would say 100 %.
    stage, owner = result.component("stage"), result.component("owner")
    assert (stage.won, stage.decided, stage.value) == (1, 1, pytest.approx(71.06, abs=0.01))
    assert (owner.won, owner.decided, owner.value) == (1, 1, pytest.approx(75.89, abs=0.01))
    assert result.percent == 73


async def test_without_history_the_stage_default_probability_is_used(db, frozen_clock):
    owner = await Employee.create(full_name="Андрій Коваль")
    kind, (stage,) = await make_kind("sale", 1, default_probability=30)
    deal = await make_deal(kind, owner, DealStatus.OPEN, [stage], started_at=frozen_clock)

    result = await explain_deal_probability(deal.id, "shrunk")

    assert result.percent == 30
    assert result.note == "default_probability"
    assert all(c.decided == 0 for c in result.components)


async def test_the_managers_estimate_is_one_more_component_of_the_mean(history, frozen_clock):
    h = history
    deal = await the_deal_to_score(h, started_at=frozen_clock, manual_probability=90)

    result = await explain_deal_probability(deal.id, "shrunk")

    # (90 + 54.51 + 62.09 + 53.22) / 4 = 64.955 -> 65 %
    manual = result.component("manual")
    assert (manual.value, manual.won, manual.note) == (90, None, "set_by_owner")
    assert result.percent == 65


async def test_a_deal_idle_beyond_its_stage_rot_days_loses_probability(history, frozen_clock):
    h = history
    deal = await the_deal_to_score(
        h,
        started_at=frozen_clock - dt.timedelta(days=41),
        last_activity_at=frozen_clock - dt.timedelta(days=30),
    )

    result = await explain_deal_probability(deal.id, "shrunk")

    # entered s2 40 days ago, last activity 30 days ago: 20 days beyond s2's 10 rot days,
    # two rot periods -> x 0.25; 56.607 % * 0.25 = 14.15 % -> 14 %
    staleness = result.component("staleness")
    assert (staleness.days, staleness.value, staleness.weight) == (20, 25.0, 0)
    assert result.before_penalty == pytest.approx(56.61, abs=0.01)
    assert result.percent == 14


async def test_activity_within_the_rot_days_keeps_the_probability(history, frozen_clock):
    h = history
    deal = await the_deal_to_score(
        h,
        started_at=frozen_clock - dt.timedelta(days=41),
        last_activity_at=frozen_clock - dt.timedelta(days=9),
    )

    result = await explain_deal_probability(deal.id, "shrunk")

    assert result.component("staleness") is None
    assert result.percent == 57


async def test_won_is_100_and_lost_is_0_and_recompute_stores_the_figure(history, frozen_clock):
    h = history
    won = await make_deal(h["kind"], h["a"], DealStatus.WON, [h["s1"]])
    lost = await make_deal(h["kind"], h["a"], DealStatus.LOST, [h["s1"]])
    open_deal = await the_deal_to_score(h, started_at=frozen_clock)

    assert (await explain_deal_probability(won.id, "shrunk")).percent == 100
    assert (await explain_deal_probability(lost.id, "bayes")).percent == 0
    # the two new finished deals changed the counts: this is recomputed from the database
    expected = (await explain_deal_probability(open_deal.id, "shrunk")).percent
    assert await recompute_probability(open_deal.id, "shrunk") == expected
    assert (await Deal.get(id=open_deal.id)).computed_probability == expected
    assert await recompute_probability(won.id) == 100
    assert (await Deal.get(id=won.id)).computed_probability == 100


async def test_an_unknown_deal_is_not_found(db):
    with pytest.raises(NotFound):
        await explain_deal_probability(404, "shrunk")
