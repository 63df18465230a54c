"""Optimistic concurrency: two people change the same deal; the second is told to reload and
nothing of the first one's change is lost."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import ConcurrentUpdate
from core.i18n import translate_error
from models import Deal, DealEvent, DealStageLog, Task
from services.deals import find_loss_reason, mark_lost, set_potential, update_deal
from services.pipeline import get_kind, move_to_stage
from services.tasks import TaskStateConflict, complete_task, create_task
from tests.factories import load_default_kinds, make_deal


async def test_the_second_writer_with_a_stale_version_gets_a_clear_error(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal(potential_minor=100)
    kind = await get_kind("simple_deal")
    seen_by_both = deal.version

    await move_to_stage(
        deal.id, kind.stages[2].id, actor_id=deal.owner_id, expected_version=seen_by_both
    )
    with pytest.raises(ConcurrentUpdate) as caught:
        await set_potential(deal.id, 999, actor_id=None, expected_version=seen_by_both)

    assert "changed" in translate_error(caught.value, "en")
    fresh = await Deal.get(id=deal.id)
    assert fresh.version == seen_by_both + 1
    assert fresh.stage_id == kind.stages[2].id and fresh.potential_minor == 100
    assert await DealStageLog.filter(deal_id=deal.id).count() == 3
    assert await DealEvent.filter(deal_id=deal.id, action="potential_changed").count() == 0

    await set_potential(deal.id, 999, actor_id=None, expected_version=fresh.version)
    assert (await Deal.get(id=deal.id)).version == seen_by_both + 2


async def test_every_command_bumps_the_version(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    kind = await get_kind("simple_deal")
    await move_to_stage(deal.id, kind.stages[1].id, actor_id=None)
    await update_deal(deal.id, actor_id=None, title="Інша назва")
    reason = await find_loss_reason("no_budget")
    await mark_lost(deal.id, reason.id, actor_id=None)
    assert (await Deal.get(id=deal.id)).version == 4


async def test_two_writers_at_once_one_wins_and_the_other_is_refused(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    kind = await get_kind("simple_deal")
    version = deal.version

    results = await asyncio.gather(
        move_to_stage(deal.id, kind.stages[1].id, actor_id=None, expected_version=version),
        move_to_stage(deal.id, kind.stages[3].id, actor_id=None, expected_version=version),
        return_exceptions=True,
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ConcurrentUpdate)
    winner = next(r for r in results if isinstance(r, Deal))
    fresh = await Deal.get(id=deal.id)
    assert fresh.stage_id == winner.stage_id and fresh.version == version + 1
    current = await DealStageLog.filter(deal_id=deal.id, result="current")
    assert [row.stage_id for row in current] == [winner.stage_id]


async def test_a_task_completed_twice_at_once_is_completed_once(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    task = await create_task(title="Передзвонити", performer_id=deal.owner_id, deal_id=deal.id)
    task_id = task.id

    results = await asyncio.gather(
        complete_task(task_id, "перший", actor_id=None),
        complete_task(task_id, "другий", actor_id=None),
        return_exceptions=True,
    )

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], TaskStateConflict)
    assert errors[0].code == "task_not_open"
    done = await Task.get(id=task_id)
    assert done.result in ("перший", "другий")
