"""Manual mode: forward, jump (skipped stages logged as passed), back (1C's reopen), refusals,
and stage durations in exact days."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import NotFound, ValidationFailed
from models import Deal, DealEvent, DealStageLog
from services.deals import find_loss_reason, mark_lost
from services.pipeline import (
    DealStateConflict,
    get_kind,
    list_stage_log,
    move_to_stage,
    row_days,
    stage_durations,
)
from tests.factories import load_default_kinds, make_deal


async def _log(deal_id: int) -> list[tuple[str, str, bool]]:
    return [(r.stage.code, r.result.value, r.skipped) for r in await list_stage_log(deal_id)]


async def _setup():
    await load_default_kinds()
    kind = await get_kind("simple_deal")
    stages = {stage.code: stage for stage in kind.stages}
    return kind, stages


def _later(base: dt.datetime, **delta: float) -> dt.datetime:
    moment = base + dt.timedelta(**delta)
    clock.freeze(moment)
    return moment


async def test_forward_closes_the_row_with_its_exact_time(db, frozen_clock):
    _, stages = await _setup()
    deal = await make_deal()
    later = _later(frozen_clock, days=1, hours=12)

    moved = await move_to_stage(deal.id, stages["contact"].id, actor_id=deal.owner_id)

    assert moved.stage_id == stages["contact"].id and moved.version == 2
    rows = await list_stage_log(deal.id)
    assert [(r.stage.code, r.result.value) for r in rows] == [
        ("new", "passed"),
        ("contact", "current"),
    ]
    assert rows[0].left_at == later and row_days(rows[0]) == 1.5
    assert rows[1].entered_at == later and row_days(rows[1]) is None


async def test_a_jump_logs_the_skipped_stages_as_passed(db, frozen_clock):
    _, stages = await _setup()
    deal = await make_deal()
    await move_to_stage(deal.id, stages["negotiation"].id, actor_id=None)

    assert await _log(deal.id) == [
        ("new", "passed", False),
        ("contact", "passed", True),
        ("proposal", "passed", True),
        ("negotiation", "current", False),
    ]
    skipped = await DealStageLog.filter(deal_id=deal.id, skipped=True)
    assert all(r.entered_at == r.left_at == frozen_clock for r in skipped)
    event = await DealEvent.get(deal_id=deal.id, action="stage_moved")
    assert event.data["skipped"] == ["contact", "proposal"]
    assert event.data["direction"] == "forward"


async def test_back_removes_later_rows_and_reopens_the_target_while_the_events_keep_them(
    db, frozen_clock
):
    _, stages = await _setup()
    deal = await make_deal()
    _later(frozen_clock, days=1)
    await move_to_stage(deal.id, stages["contact"].id, actor_id=None)
    _later(frozen_clock, days=3)
    await move_to_stage(deal.id, stages["payment"].id, actor_id=None)
    _later(frozen_clock, days=4)

    await move_to_stage(deal.id, stages["contact"].id, actor_id=None)

    rows = await list_stage_log(deal.id)
    assert [(r.stage.code, r.result.value) for r in rows] == [
        ("new", "passed"),
        ("contact", "current"),
    ]
    contact = rows[1]
    assert contact.entered_at == frozen_clock + dt.timedelta(days=1)  # as in 1C: the first entry
    assert contact.left_at is None
    back = await DealEvent.filter(deal_id=deal.id, action="stage_moved").order_by("-id").first()
    assert back.data["direction"] == "back"
    assert [r["stage"] for r in back.data["removed_rows"]] == [
        "proposal",
        "negotiation",
        "payment",
    ]
    assert (await Deal.get(id=deal.id)).stage_id == stages["contact"].id


async def test_back_to_a_skipped_stage_makes_it_a_real_visit(db, frozen_clock):
    _, stages = await _setup()
    deal = await make_deal()
    await move_to_stage(deal.id, stages["negotiation"].id, actor_id=None)
    await move_to_stage(deal.id, stages["contact"].id, actor_id=None)
    assert await _log(deal.id) == [("new", "passed", False), ("contact", "current", False)]


async def test_moves_that_make_no_sense_are_refused(db, frozen_clock):
    _, stages = await _setup()
    other_kind = await get_kind("typical_sale")
    deal = await make_deal()

    with pytest.raises(ValidationFailed) as caught:
        await move_to_stage(deal.id, other_kind.stages[1].id, actor_id=None)
    assert caught.value.params == {"field": "stage", "reason": "other_kind"}
    with pytest.raises(ValidationFailed) as caught:
        await move_to_stage(deal.id, stages["new"].id, actor_id=None)
    assert caught.value.params["reason"] == "same_stage"
    with pytest.raises(NotFound):
        await move_to_stage(deal.id, 999_999, actor_id=None)
    with pytest.raises(NotFound):
        await move_to_stage(999_999, stages["new"].id, actor_id=None)
    reason = await find_loss_reason("no_budget")
    await mark_lost(deal.id, reason.id, actor_id=None)
    with pytest.raises(DealStateConflict) as caught:
        await move_to_stage(deal.id, stages["contact"].id, actor_id=None)
    assert caught.value.code == "deal_closed"
    assert await _log(deal.id) == [("new", "lost", False)]


async def test_average_durations_are_exact_and_leave_out_open_and_skipped_rows(db, frozen_clock):
    kind, stages = await _setup()
    first = await make_deal()
    second = await make_deal()
    third = await make_deal()  # stays in "new": an open row, not averaged
    _later(frozen_clock, hours=12)
    await move_to_stage(first.id, stages["contact"].id, actor_id=None)
    _later(frozen_clock, days=2, hours=6)
    await move_to_stage(second.id, stages["proposal"].id, actor_id=None)  # skips "contact"

    durations = {d.code: d for d in await stage_durations(kind.kind.id)}

    new = durations["new"]
    assert new.closed_rows == 2 and new.open_rows == 1
    assert new.average_days == pytest.approx((0.5 + 2.25) / 2, abs=1e-6)
    contact = durations["contact"]
    assert contact.closed_rows == 0 and contact.open_rows == 1  # the skipped row is not counted
    assert contact.average_days is None
    assert durations["payment"].average_days is None and durations["payment"].open_rows == 0
    assert third.stage_id == stages["new"].id
