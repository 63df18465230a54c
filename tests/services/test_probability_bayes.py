"""The `bayes` method (Odoo's predictive lead scoring, peer-crms §2.1): frequencies of won and
lost deals per value with +0.1 smoothing, won deals counting for every stage, lost ones up to
the stage where they were lost; and the configuration that picks the method.

Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from core.config import ConfigError, get_settings
from core.errors import ValidationFailed
from models import Deal, DealKind, Employee, Partner, Stage
from models.base import DealStatus
from services.probability import (
    DEFAULT_METHOD,
    configured_method,
    explain_deal_probability,
    recompute_probability,
)
from tests.probability_data import make_deal, make_kind


@pytest.fixture
async def history(db):
    """Kind K with s1, s2, s3. Finished: w1 A won at s1 (never reached s2), w2 A won at s3,
    l1 A lost at s1, l2 B lost at s2, l3 B+P lost at s3."""
    a = await Employee.create(full_name="Андрій Коваль")
    b = await Employee.create(full_name="Богдана Лисенко")
    p = await Partner.create(name="ТОВ Альфа", search_key="альфа")
    kind = await DealKind.create(code="sale", name_uk="Продаж", name_en="Sale")
    s1, s2, s3 = [
        await Stage.create(
            kind=kind,
            code=f"s{i}",
            name_uk=f"s{i}",
            name_en=f"s{i}",
            order=i,
            default_probability=10 * i,
            rot_days=30,
        )
        for i in (1, 2, 3)
    ]
    await make_deal(kind, a, DealStatus.WON, [s1])
    await make_deal(kind, a, DealStatus.WON, [s1, s2, s3])
    await make_deal(kind, a, DealStatus.LOST, [s1])
    await make_deal(kind, b, DealStatus.LOST, [s1, s2])
    await make_deal(kind, b, DealStatus.LOST, [s1, s2, s3], partner=p)
    return {"a": a, "b": b, "p": p, "kind": kind, "stages": (s1, s2, s3)}


async def open_at_s2(history, **extra) -> Deal:
    """A deal of owner A, no client, open at s2 (the fixture's kind)."""
    s1, s2, _s3 = history["stages"]
    return await make_deal(history["kind"], history["a"], DealStatus.OPEN, [s1, s2], **extra)


async def test_naive_bayes_on_a_hand_computed_history(history, frozen_clock):
    deal = await open_at_s2(history, started_at=frozen_clock)

    result = await explain_deal_probability(deal.id, "bayes")

    # won 2, lost 3 -> team counts 2.1 and 3.1, P(won) = 2.1 / 5.2
    # stage s2: every won deal counts (w1 too) -> 2.1 / 2.1; lost at s2 or later: l2, l3 -> 2.1/3.1
    # owner A: 2 won, 1 lost; two owners -> totals 2.2 and 3.2: 2.1 / 2.2 and 1.1 / 3.2
    # S_won = 2.1/5.2 * 1 * 2.1/2.2 = 0.38549; S_lost = 3.1/5.2 * 2.1/3.1 * 1.1/3.2 = 0.13882
    # p = 0.38549 / (0.38549 + 0.13882) = 0.73523 -> 74 %
    assert result.method == "bayes"
    assert result.percent == 74
    prior, stage, owner = (result.component(c) for c in ("prior", "stage_factor", "owner_factor"))
    assert (prior.won, prior.decided, prior.value) == (2, 5, pytest.approx(40.38, abs=0.01))
    # the stage's sample: all 2 won + the 2 lost at s2 or later; score 1 / (1 + 2.1/3.1)
    assert (stage.won, stage.decided, stage.value) == (2, 4, pytest.approx(59.62, abs=0.01))
    assert stage.note == "stage_reached"
    # owner: (2.1/2.2) / (2.1/2.2 + 1.1/3.2) = 0.73522
    assert (owner.won, owner.decided, owner.value) == (2, 3, pytest.approx(73.52, abs=0.01))
    assert result.component("partner_factor") is None  # the deal has no client


async def test_a_client_without_history_is_skipped_and_one_with_history_counts(
    history, frozen_clock
):
    s1, _s2, s3 = history["stages"]
    newcomer = await Partner.create(name="ТОВ Нова", search_key="нова")
    fresh = await make_deal(
        history["kind"],
        history["b"],
        DealStatus.OPEN,
        [s1, _s2, s3],
        partner=newcomer,
        started_at=frozen_clock,
    )
    known = await make_deal(
        history["kind"],
        history["b"],
        DealStatus.OPEN,
        [s1, _s2, s3],
        partner=history["p"],
        started_at=frozen_clock,
    )

    fresh_result = await explain_deal_probability(fresh.id, "bayes")
    known_result = await explain_deal_probability(known.id, "bayes")

    # common part for owner B at s3: P(won) 2.1/5.2; stage s3: won 2.1/2.1, lost (l3) 1.1/3.1;
    # owner B: 0 won, 2 lost -> 0.1/2.2 and 2.1/3.2.
    # S_won = 0.40385 * 1 * 0.04545 = 0.018357; S_lost = 0.59615 * 0.35484 * 0.65625 = 0.138822
    # p = 0.018357 / 0.157179 = 0.11679 -> 12 %
    assert fresh_result.component("partner_factor") is None
    assert fresh_result.percent == 12
    # client P: 0 won, 1 lost among the 1 lost deal with a client, one client -> totals 0.1 / 1.1
    # P(P|won) = 0.1/0.1 = 1, P(P|lost) = 1.1/1.1 = 1: no information, the same 12 %
    partner = known_result.component("partner_factor")
    assert (partner.won, partner.decided, partner.value) == (0, 1, 50.0)
    assert known_result.percent == 12


async def test_a_kind_without_both_won_and_lost_deals_uses_the_default_probability(
    db, frozen_clock
):
    owner = await Employee.create(full_name="Андрій Коваль")
    kind, (stage,) = await make_kind("sale", 1, default_probability=35)
    await make_deal(kind, owner, DealStatus.WON, [stage])
    deal = await make_deal(kind, owner, DealStatus.OPEN, [stage], started_at=frozen_clock)

    result = await explain_deal_probability(deal.id, "bayes")

    assert result.percent == 35
    assert result.note == "no_history"


async def test_the_managers_estimate_is_shown_but_not_used_by_bayes(history, frozen_clock):
    deal = await open_at_s2(history, started_at=frozen_clock, manual_probability=5)

    result = await explain_deal_probability(deal.id, "bayes")

    manual = result.component("manual")
    assert (manual.value, manual.weight, manual.note) == (5, 0, "not_used")
    assert result.percent == 74


async def test_the_staleness_penalty_applies_to_bayes_too(history, frozen_clock):
    deal = await open_at_s2(history, started_at=frozen_clock - dt.timedelta(days=61))

    result = await explain_deal_probability(deal.id, "bayes")

    # s2 entered 60 days ago, nothing since: 30 days beyond its 30 rot days -> x 0.5;
    # 73.52 % / 2 = 36.8 % -> 37 %
    assert result.component("staleness").days == 30
    assert result.percent == 37


async def test_configuration_picks_the_method(history, frozen_clock, monkeypatch):
    deal = await open_at_s2(history, started_at=frozen_clock)

    def configure(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("CRM_PROBABILITY_METHOD", raising=False)
        else:
            monkeypatch.setenv("CRM_PROBABILITY_METHOD", value)
        get_settings.cache_clear()

    configure(None)
    assert configured_method() == DEFAULT_METHOD == "shrunk"

    configure("bayes")
    assert (await explain_deal_probability(deal.id)).method == "bayes"
    assert await recompute_probability(deal.id) == 74
    assert (await Deal.get(id=deal.id)).computed_probability == 74

    configure("Shrunk ")
    assert (await explain_deal_probability(deal.id)).method == "shrunk"

    configure("magic")
    with pytest.raises(ConfigError) as refused:
        get_settings()
    assert str(refused.value).startswith("CRM_PROBABILITY_METHOD")
    configure(None)

    with pytest.raises(ValidationFailed) as caught:
        await explain_deal_probability(deal.id, method="magic")
    assert caught.value.params["field"] == "probability_method"
    assert caught.value.params["reason"] == "bad_choice"
