"""Property: any sequence of moves, wins, losses, reopenings, potential changes, task
completions and switches leaves the stage log consistent, and a refused command changes
nothing."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import clock
from core.errors import DomainError
from models import Deal, DealEvent, DealStageLog, LossReason, Stage, Task
from models.base import DealStatus, StageResult, TaskStatus
from services.deals import mark_lost, mark_won, reopen, set_potential, switch_to_manual
from services.pipeline import load_pipelines, move_to_stage, stages_in_order
from services.tasks import complete_task
from tests.factories import load_default_kinds, make_competitor, make_deal, make_employee

GUIDED = """
code: drill
name: {uk: Навчання, en: Drill}
control_type: guided
stages:
  - {code: a, name: A, tasks: [{code: a1, title: A1}]}
  - {code: b, name: B, tasks: [{code: b1, title: B1}, {code: b2, title: B2}]}
  - {code: c, name: C}
  - {code: d, name: D, tasks: [{code: d1, title: D1, performer: 'role:head'}]}
"""

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)

operation = st.one_of(
    st.tuples(st.just("move"), st.integers(0, 4)),
    st.tuples(st.just("won")),
    st.tuples(st.just("lost"), st.booleans()),
    st.tuples(st.just("reopen")),
    st.tuples(st.just("potential"), st.integers(-5, 10**9)),
    st.tuples(st.just("complete")),
    st.tuples(st.just("switch")),
    st.tuples(st.just("wait"), st.integers(1, 24 * 20)),
)


async def _state(deal_id: int) -> tuple:
    deal = await Deal.get(id=deal_id)
    rows = (
        await DealStageLog.filter(deal_id=deal_id)
        .order_by("id")
        .values_list(
            "id", "stage_id", "entered_at", "left_at", "result", "skipped", "potential_minor"
        )
    )
    tasks = await Task.filter(deal_id=deal_id).order_by("id").values_list("id", "status")
    events = await DealEvent.filter(deal_id=deal_id).order_by("id").values_list("id", "action")
    return (deal.version, deal.status, deal.stage_id, deal.guided, tuple(rows), tuple(tasks),
            tuple(events))  # fmt: skip


async def _check_invariants(deal_id: int) -> None:
    deal = await Deal.get(id=deal_id)
    stages = await stages_in_order(deal.kind_id)
    position = {stage.id: index for index, stage in enumerate(stages)}
    rows = await DealStageLog.filter(deal_id=deal_id)
    rows.sort(key=lambda row: position[row.stage_id])
    by_result = {result: [r for r in rows if r.result == result] for result in StageResult}

    assert len({row.stage_id for row in rows}) == len(rows), "one row per stage"
    assert rows and rows[-1].stage_id == deal.stage_id, "the deal's row is the furthest one"
    for row in rows:
        assert (row.left_at is None) == (row.result == StageResult.CURRENT)
        assert row.left_at is None or row.entered_at <= row.left_at
        assert row.potential_minor == deal.potential_minor
        if row.skipped:
            assert row.result == StageResult.PASSED and row.entered_at == row.left_at
    for earlier, later in itertools.pairwise(rows):
        assert earlier.left_at is not None and earlier.left_at <= later.entered_at

    if deal.status == DealStatus.OPEN:
        assert [r.stage_id for r in by_result[StageResult.CURRENT]] == [deal.stage_id]
        assert not by_result[StageResult.LOST]
        assert not deal.closed and deal.ended_at is None and deal.loss_reason_id is None
    else:
        assert not by_result[StageResult.CURRENT]
        assert deal.closed and deal.ended_at is not None
        if deal.status == DealStatus.LOST:
            assert [r.stage_id for r in by_result[StageResult.LOST]] == [deal.stage_id]
            assert deal.loss_reason_id is not None
        else:
            assert not by_result[StageResult.LOST]

    open_route = await Task.filter(
        deal_id=deal_id, status=TaskStatus.OPEN, stage_id__isnull=False
    ).values_list("stage_id", flat=True)
    if deal.guided and deal.status == DealStatus.OPEN:
        assert open_route and set(open_route) == {deal.stage_id}
    else:
        assert not open_route
    assert not (deal.guided and deal.switched_to_manual)


async def _apply(op: tuple, deal_id: int, reasons: list[LossReason], competitor_id: int) -> None:
    name = op[0]
    if name == "move":
        deal = await Deal.get(id=deal_id)
        stages = await Stage.filter(kind_id=deal.kind_id).order_by("order")
        target = stages[op[1] % len(stages)]
        await move_to_stage(deal_id, target.id, actor_id=None)
    elif name == "won":
        await mark_won(deal_id, actor_id=None)
    elif name == "lost":
        reason = reasons[0] if op[1] else reasons[1]
        competitor = competitor_id if reason.needs_competitor else None
        await mark_lost(deal_id, reason.id, competitor_partner_id=competitor, actor_id=None)
    elif name == "reopen":
        await reopen(deal_id, actor_id=None)
    elif name == "potential":
        await set_potential(deal_id, op[1], actor_id=None)
    elif name == "complete":
        task = await Task.filter(deal_id=deal_id, status=TaskStatus.OPEN).order_by("id").first()
        if task is not None:
            await complete_task(task.id, "ok", actor_id=None)
    elif name == "switch":
        await switch_to_manual(deal_id, actor_id=None)
    elif name == "wait":
        clock.freeze(clock.now() + dt.timedelta(hours=op[1]))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(guided=st.booleans(), ops=st.lists(operation, max_size=18))
async def test_any_sequence_of_commands_leaves_a_consistent_stage_log(db, guided, ops):
    clock.freeze(START)
    try:
        if not await Stage.filter(kind__code="drill").exists():
            await load_default_kinds()
            await load_pipelines(GUIDED)
        reasons = [
            await LossReason.get(code="lost_to_competitor"),
            await LossReason.get(code="price_too_high"),
        ]
        competitor = await make_competitor()
        owner = await make_employee()
        deal = await make_deal(kind_code="drill" if guided else "simple_deal", owner=owner)
        await _check_invariants(deal.id)
        for op in ops:
            before = await _state(deal.id)
            try:
                await _apply(op, deal.id, reasons, competitor.id)
            except DomainError:
                assert await _state(deal.id) == before, f"{op} was refused but changed the deal"
            else:
                after = await _state(deal.id)
                assert after[-1][: len(before[-1])] == before[-1], "events are append-only"
            await _check_invariants(deal.id)
    finally:
        clock.unfreeze()
