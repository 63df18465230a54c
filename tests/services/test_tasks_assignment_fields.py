"""The assignment keeps its checker and its root in `Task.checker` / `Task.parent`: reassigned
steps, reworks and the listing of steps all follow those fields."""

from __future__ import annotations

import datetime as dt

from models import Task
from models.base import TaskStatus
from services.tasks import (
    CHECK_STEP,
    EXECUTE_STEP,
    assignment_step,
    complete_task,
    create_assignment,
    create_task,
    list_assignment_steps,
    reassign_task,
    return_for_rework,
)
from tests.factories import make_employee


async def _start(frozen_clock, performer, checker) -> Task:
    return await create_assignment(
        title="Звірити залишки", performer_id=performer.id, checker_id=checker.id,
        due_at=frozen_clock + dt.timedelta(days=1), author_id=checker.id,
    )  # fmt: skip


async def test_every_step_carries_the_checker_and_points_at_the_root(db, frozen_clock):
    performer, checker = await make_employee(), await make_employee()
    root = await _start(frozen_clock, performer, checker)

    await complete_task(root.id, "готово", actor_id=performer.id)
    check = await Task.get(performer_id=checker.id, status=TaskStatus.OPEN)
    rework = await return_for_rework(check.id, "переробити", actor_id=checker.id)

    stored_root = await Task.get(id=root.id)
    assert (stored_root.checker_id, stored_root.parent_id) == (checker.id, None)
    assert stored_root.template_code == EXECUTE_STEP
    assert (check.checker_id, check.parent_id, check.template_code) == (
        checker.id, root.id, CHECK_STEP,
    )  # fmt: skip
    assert (rework.checker_id, rework.parent_id, rework.template_code) == (
        checker.id, root.id, EXECUTE_STEP,
    )  # fmt: skip
    assert sorted(await stored_root.steps.all().values_list("id", flat=True)) == [
        check.id, rework.id,
    ]  # fmt: skip
    step = assignment_step(rework)
    assert (step.step, step.root_id, step.checker_id) == ("execute", root.id, checker.id)


async def test_the_rework_goes_to_whoever_executed_and_is_checked_by_whoever_checked(
    db, frozen_clock
):
    performer, checker = await make_employee(), await make_employee()
    colleague, deputy = await make_employee(), await make_employee()
    root = await _start(frozen_clock, performer, checker)
    await reassign_task(root.id, colleague.id, actor_id=performer.id)
    await complete_task(root.id, "зроблено колегою", actor_id=colleague.id)
    check = await Task.get(parent_id=root.id, template_code=CHECK_STEP)
    assert check.performer_id == checker.id
    await reassign_task(check.id, deputy.id, actor_id=checker.id)

    rework = await return_for_rework(check.id, "бракує печатки", actor_id=deputy.id)

    assert rework.performer_id == colleague.id
    assert rework.checker_id == deputy.id
    await complete_task(rework.id, "є печатка", actor_id=colleague.id)
    second_check = await Task.get(parent_id=root.id, status=TaskStatus.OPEN)
    assert (second_check.performer_id, second_check.template_code) == (deputy.id, CHECK_STEP)


async def test_steps_of_two_assignments_do_not_mix_and_plain_tasks_are_no_steps(db, frozen_clock):
    performer, checker = await make_employee(), await make_employee()
    first = await _start(frozen_clock, performer, checker)
    second = await _start(frozen_clock, performer, checker)
    plain = await create_task(title="Подзвонити", performer_id=performer.id)
    await complete_task(first.id, "", actor_id=performer.id)
    await complete_task(second.id, "", actor_id=performer.id)

    first_steps = await list_assignment_steps(first.id)
    second_steps = await list_assignment_steps(second.id)

    assert [t.performer_id for t in first_steps] == [performer.id, checker.id]
    assert (first_steps[0].id, second_steps[0].id) == (first.id, second.id)
    assert len(second_steps) == 2
    assert not {t.id for t in first_steps} & {t.id for t in second_steps}
    assert assignment_step(plain) is None
    assert [t.id for t in await list_assignment_steps(plain.id)] == [plain.id]
    assert (plain.checker_id, plain.parent_id) == (None, None)
