"""Stage rates: won ÷ (won + lost) among finished deals that reached the stage (1C's
"Вероятностный прогноз"), counted in SQL, with the sample sizes."""

from __future__ import annotations

from models import DealStageLog, Employee
from models.base import DealStatus
from services.probability import Rate, stage_rates
from tests.probability_data import T0, make_deal, make_kind


async def test_stage_rates_count_finished_deals_that_reached_each_stage(db):
    owner = await Employee.create(full_name="Олена Шевченко")
    kind, (s1, s2, s3) = await make_kind("sale", 3)
    other_kind, (o1,) = await make_kind("other", 1)
    await make_deal(kind, owner, DealStatus.WON, [s1, s2, s3])
    await make_deal(kind, owner, DealStatus.WON, [s1, s2])  # won without reaching s3
    await make_deal(kind, owner, DealStatus.LOST, [s1])
    await make_deal(kind, owner, DealStatus.LOST, [s1, s2])
    await make_deal(kind, owner, DealStatus.LOST, [s1, s2])
    await make_deal(kind, owner, DealStatus.OPEN, [s1, s2, s3])  # open: not counted
    await make_deal(other_kind, owner, DealStatus.WON, [o1])  # another kind: not counted

    rates = await stage_rates(kind.id)

    # s1: reached by all five finished deals, 2 won -> 2/5; s2: four, 2 won -> 1/2;
    # s3: only the first won deal -> 1/1.
    assert list(rates) == [s1.id, s2.id, s3.id]
    assert rates[s1.id] == Rate(won=2, lost=3)
    assert rates[s1.id].value == 0.4
    assert (rates[s2.id].won, rates[s2.id].decided, rates[s2.id].value) == (2, 4, 0.5)
    assert (rates[s3.id].won, rates[s3.id].lost, rates[s3.id].value) == (1, 0, 1.0)


async def test_a_stage_visited_twice_counts_the_deal_once_and_unreached_stages_have_no_rate(db):
    owner = await Employee.create(full_name="Олена Шевченко")
    kind, (s1, s2, s3) = await make_kind("sale", 3)
    deal = await make_deal(kind, owner, DealStatus.LOST, [s1, s2])
    await DealStageLog.create(deal=deal, stage=s1, entered_at=T0, left_at=T0, result="passed")

    rates = await stage_rates(kind.id)

    assert rates[s1.id] == Rate(won=0, lost=1)
    assert rates[s3.id] == Rate(won=0, lost=0)
    assert rates[s3.id].value is None
