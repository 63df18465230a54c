"""My tasks by day in the employee's time zone; complete, reassign, snooze, cancel."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import AccessDenied, ValidationFailed
from models import Deal, Task, Team
from models.base import Role, TaskStatus
from services.tasks import (
    TaskStateConflict,
    cancel_task,
    complete_task,
    create_task,
    list_my_tasks,
    reassign_task,
    snooze_task,
)
from tests.factories import load_default_kinds, make_deal, make_employee

# 27.11.2026 22:30 UTC is already 28.11 00:30 in Kyiv, and still 27.11 17:30 in New York
LATE_EVENING = dt.datetime(2026, 11, 27, 22, 30, tzinfo=dt.UTC)


async def _task(performer_id: int, due_at: dt.datetime | None, title: str) -> Task:
    return await Task.create(title=title, performer_id=performer_id, due_at=due_at)


async def test_today_overdue_and_upcoming_follow_the_employees_own_day(db):
    clock.freeze(LATE_EVENING)
    try:
        kyiv = await make_employee(timezone="Europe/Kyiv")
        new_york = await make_employee(timezone="America/New_York")
        due = {
            "yesterday": dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC),
            "kyiv 28th morning": dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC),
            "27th noon": dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC),
            "next week": dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC),
            "someday": None,
        }
        for employee in (kyiv, new_york):
            for title, at in due.items():
                await _task(employee.id, at, title)
        await Task.create(
            title="done", performer_id=kyiv.id, due_at=due["27th noon"], status=TaskStatus.DONE
        )

        async def titles(employee, scope):
            return [t.title for t in await list_my_tasks(employee.id, scope=scope)]

        # in Kyiv it is the 28th: the 27th is overdue, the 28th morning is today
        assert await titles(kyiv, "overdue") == ["yesterday", "27th noon"]
        assert await titles(kyiv, "today") == ["kyiv 28th morning"]
        assert await titles(kyiv, "upcoming") == ["next week", "someday"]
        # in New York it is still the 27th (and the 28th begins at 05:00 UTC sharp)
        assert await titles(new_york, "overdue") == ["yesterday"]
        assert await titles(new_york, "today") == ["27th noon"]
        assert await titles(new_york, "upcoming") == ["kyiv 28th morning", "next week", "someday"]
        with pytest.raises(ValidationFailed):
            await list_my_tasks(kyiv.id, scope="someday")
    finally:
        clock.unfreeze()


async def test_a_task_is_completed_once_with_its_result(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    task = await create_task(title="Надіслати прайс", performer_id=deal.owner_id, deal_id=deal.id)
    assert task.partner_id == deal.partner_id

    done = await complete_task(task.id, "надіслано на пошту", actor_id=deal.owner_id)

    stored = await Task.get(id=task.id)
    assert done.status == stored.status == TaskStatus.DONE
    assert stored.result == "надіслано на пошту" and stored.completed_at == frozen_clock
    assert (await Deal.get(id=deal.id)).last_activity_at == frozen_clock
    with pytest.raises(TaskStateConflict) as caught:
        await complete_task(task.id, "ще раз", actor_id=deal.owner_id)
    assert caught.value.code == "task_not_open"
    assert (await Task.get(id=task.id)).result == "надіслано на пошту"


async def test_only_people_concerned_may_act_on_a_task(db, frozen_clock):
    team = await Team.create(name="Київ")
    performer = await make_employee(team=team)
    stranger = await make_employee()
    head = await make_employee(role=Role.HEAD, team=team)  # the performer's head
    task = await create_task(title="Звірка", performer_id=performer.id)
    with pytest.raises(AccessDenied):
        await complete_task(task.id, "", actor_id=stranger.id)
    await complete_task(task.id, "зроблено за нього", actor_id=head.id)


async def test_reassign_moves_the_task_to_another_list(db, frozen_clock):
    first = await make_employee()
    second = await make_employee()
    due = frozen_clock + dt.timedelta(hours=2)
    task = await create_task(title="Зустріч", performer_id=first.id, due_at=due)
    await reassign_task(task.id, second.id, actor_id=first.id)
    assert await list_my_tasks(first.id) == []
    listed = await list_my_tasks(second.id)
    assert [t.id for t in listed] == [task.id] and listed[0].deal is None
    retired = await make_employee(active=False)
    with pytest.raises(ValidationFailed) as caught:
        await reassign_task(task.id, retired.id, actor_id=second.id)
    assert caught.value.params == {"field": "performer", "reason": "inactive"}


async def test_snooze_sets_the_next_reminder_and_keeps_the_due_date(db, frozen_clock):
    employee = await make_employee()
    due = frozen_clock + dt.timedelta(hours=1)
    task = await create_task(title="Передзвонити", performer_id=employee.id, due_at=due)
    until = frozen_clock + dt.timedelta(hours=3)

    await snooze_task(task.id, until, actor_id=employee.id)

    stored = await Task.get(id=task.id)
    assert stored.remind_at == until and stored.reminded_at is None and stored.due_at == due
    for bad, reason in (
        (frozen_clock - dt.timedelta(minutes=1), "too_far_past"),
        (frozen_clock + dt.timedelta(days=400), "too_far_future"),
        (dt.datetime(2026, 11, 28, 9, 0), "naive_datetime"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            await snooze_task(task.id, bad, actor_id=employee.id)
        assert caught.value.params["reason"] == reason


async def test_a_cancelled_task_leaves_the_lists_and_cannot_be_completed(db, frozen_clock):
    employee = await make_employee()
    task = await create_task(
        title="Зайве", performer_id=employee.id, due_at=frozen_clock + dt.timedelta(hours=1)
    )
    await cancel_task(task.id, actor_id=employee.id, reason="клієнт передумав")
    assert await list_my_tasks(employee.id) == []
    with pytest.raises(TaskStateConflict):
        await complete_task(task.id, "", actor_id=employee.id)


async def test_a_due_date_in_the_far_future_is_refused(db, frozen_clock):
    employee = await make_employee()
    with pytest.raises(ValidationFailed) as caught:
        await create_task(
            title="Колись", performer_id=employee.id, due_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
        )
    assert caught.value.params == {"field": "due_at", "reason": "too_far_future"}
