"""The generic assignment: the performer executes, the checker accepts or returns for rework."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import AccessDenied, ValidationFailed
from models import Task
from models.base import TaskStatus
from services.tasks import (
    TaskStateConflict,
    accept_assignment,
    assignment_step,
    complete_task,
    create_assignment,
    list_assignment_steps,
    list_my_tasks,
    return_for_rework,
)
from tests.factories import load_default_kinds, make_deal, make_employee


async def test_execute_check_rework_accept(db, frozen_clock):
    await load_default_kinds()
    performer = await make_employee()
    checker = await make_employee()
    deal = await make_deal()
    first = await create_assignment(
        title="Підготувати акт звірки", performer_id=performer.id, checker_id=checker.id,
        due_at=frozen_clock + dt.timedelta(hours=5), deal_id=deal.id, author_id=checker.id,
        description="За 2026 рік",
    )  # fmt: skip
    assert assignment_step(first).step == "execute"
    assert [t.id for t in await list_my_tasks(performer.id)] == [first.id]

    await complete_task(first.id, "акт надіслано", actor_id=performer.id)

    check = (await list_my_tasks(checker.id, scope="upcoming"))[0]
    assert assignment_step(check).step == "check" and check.title == first.title
    assert check.deal_id == deal.id
    with pytest.raises(ValidationFailed):  # a return needs a comment
        await return_for_rework(check.id, "  ", actor_id=checker.id)
    with pytest.raises(AccessDenied):
        await return_for_rework(check.id, "ні", actor_id=(await make_employee()).id)

    rework = await return_for_rework(check.id, "бракує підпису", actor_id=checker.id)

    assert rework.performer_id == performer.id and assignment_step(rework).step == "execute"
    assert "бракує підпису" in rework.description and "За 2026 рік" in rework.description
    assert (await Task.get(id=check.id)).result == "бракує підпису"
    await complete_task(rework.id, "підписано", actor_id=performer.id)
    second_check = await Task.filter(performer_id=checker.id, status=TaskStatus.OPEN).get()
    await accept_assignment(second_check.id, actor_id=checker.id, comment="дякую")

    steps = await list_assignment_steps(first.id)
    assert [(assignment_step(t).step, t.performer_id, t.status) for t in steps] == [
        ("execute", performer.id, TaskStatus.DONE),
        ("check", checker.id, TaskStatus.DONE),
        ("execute", performer.id, TaskStatus.DONE),
        ("check", checker.id, TaskStatus.DONE),
    ]
    assert await Task.filter(status=TaskStatus.OPEN).count() == 0


async def test_only_a_check_step_can_be_accepted_or_returned(db, frozen_clock):
    performer = await make_employee()
    checker = await make_employee()
    task = await create_assignment(
        title="Т", performer_id=performer.id, checker_id=checker.id,
        due_at=frozen_clock + dt.timedelta(days=1),
    )  # fmt: skip
    with pytest.raises(TaskStateConflict) as caught:
        await accept_assignment(task.id, actor_id=checker.id)
    assert caught.value.code == "task_not_check_step"


async def test_completing_the_check_step_directly_accepts_it(db, frozen_clock):
    performer = await make_employee()
    checker = await make_employee()
    task = await create_assignment(
        title="Т", performer_id=performer.id, checker_id=checker.id,
        due_at=frozen_clock + dt.timedelta(days=1),
    )  # fmt: skip
    await complete_task(task.id, "готово", actor_id=performer.id)
    check = await Task.get(performer_id=checker.id)
    await complete_task(check.id, "прийнято", actor_id=checker.id)
    assert await Task.filter(status=TaskStatus.OPEN).count() == 0
