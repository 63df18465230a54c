"""Who may act on a task: the performer or author, a manager on the tasks of their own deals, a head
of sales on their team's tasks only, an administrator on any (the rule of `services.access`)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import AccessDenied
from models import Task, Team
from models.base import Role, TaskStatus
from services.tasks import (
    accept_assignment,
    cancel_task,
    complete_task,
    create_assignment,
    create_task,
    reassign_task,
    snooze_task,
)
from tests.factories import load_default_kinds, make_deal, make_employee


@pytest.fixture
async def teams(db, frozen_clock):
    north = await Team.create(name="Північ")
    south = await Team.create(name="Південь")
    return {
        "north_head": await make_employee(role=Role.HEAD, team=north),
        "north_manager": await make_employee(team=north),
        "north_colleague": await make_employee(team=north),
        "south_head": await make_employee(role=Role.HEAD, team=south),
        "south_manager": await make_employee(team=south),
        "lone_head": await make_employee(role=Role.HEAD),  # a head without a team
        "admin": await make_employee(role=Role.ADMIN),
    }


async def _task_of(performer, **fields) -> Task:
    return await create_task(title="Передзвонити", performer_id=performer.id, **fields)


async def test_a_head_of_another_team_is_refused_and_nothing_changes(teams, frozen_clock):
    task = await _task_of(teams["north_manager"])
    later = frozen_clock + dt.timedelta(days=1)
    for head in ("south_head", "lone_head"):
        actor_id = teams[head].id
        with pytest.raises(AccessDenied):
            await complete_task(task.id, "зроблено", actor_id=actor_id)
        with pytest.raises(AccessDenied):
            await reassign_task(task.id, teams["south_manager"].id, actor_id=actor_id)
        with pytest.raises(AccessDenied):
            await snooze_task(task.id, later, actor_id=actor_id)
        with pytest.raises(AccessDenied):
            await cancel_task(task.id, actor_id=actor_id)
    stored = await Task.get(id=task.id)
    assert stored.status == TaskStatus.OPEN
    assert stored.performer_id == teams["north_manager"].id and stored.remind_at is None


async def test_the_head_of_the_performer_team_may_act(teams, frozen_clock):
    head_id = teams["north_head"].id
    first = await _task_of(teams["north_manager"])
    second = await _task_of(teams["north_manager"])

    await reassign_task(first.id, teams["north_colleague"].id, actor_id=head_id)
    await snooze_task(first.id, frozen_clock + dt.timedelta(hours=3), actor_id=head_id)
    await complete_task(first.id, "зроблено", actor_id=head_id)
    await cancel_task(second.id, actor_id=head_id)

    done = await Task.get(id=first.id)
    assert (done.status, done.performer_id, done.result) == (
        TaskStatus.DONE, teams["north_colleague"].id, "зроблено",
    )  # fmt: skip
    assert (await Task.get(id=second.id)).status == TaskStatus.CANCELLED


async def test_a_head_may_act_on_a_task_of_a_team_deal_performed_by_an_outsider(teams):
    await load_default_kinds()
    deal = await make_deal(owner=teams["north_manager"])
    outsider = await make_employee()  # in no team
    task = await _task_of(outsider, deal_id=deal.id)

    with pytest.raises(AccessDenied):
        await complete_task(task.id, actor_id=teams["south_head"].id)
    await complete_task(task.id, "ok", actor_id=teams["north_head"].id)
    assert (await Task.get(id=task.id)).status == TaskStatus.DONE


async def test_an_admin_may_act_on_any_task(teams):
    task = await _task_of(teams["south_manager"])
    await complete_task(task.id, "ok", actor_id=teams["admin"].id)
    assert (await Task.get(id=task.id)).status == TaskStatus.DONE


async def test_managers_keep_their_rule_own_tasks_and_tasks_of_own_deals(teams):
    await load_default_kinds()
    mine = await _task_of(teams["north_manager"])
    colleague_id = teams["north_colleague"].id
    with pytest.raises(AccessDenied):  # a teammate is not a head
        await complete_task(mine.id, actor_id=colleague_id)
    deal = await make_deal(owner=teams["north_colleague"])
    on_their_deal = await _task_of(teams["north_manager"], deal_id=deal.id)
    await complete_task(on_their_deal.id, actor_id=colleague_id)  # the deal's owner may
    await complete_task(mine.id, actor_id=teams["north_manager"].id)
    assert await Task.filter(status=TaskStatus.DONE).count() == 2


async def test_a_check_step_follows_the_same_rule(teams, frozen_clock):
    root = await create_assignment(
        title="Акт звірки", performer_id=teams["north_manager"].id,
        checker_id=teams["north_colleague"].id, due_at=frozen_clock + dt.timedelta(hours=5),
    )  # fmt: skip
    await complete_task(root.id, "готово", actor_id=teams["north_manager"].id)
    check = await Task.get(performer_id=teams["north_colleague"].id, status=TaskStatus.OPEN)

    with pytest.raises(AccessDenied):
        await accept_assignment(check.id, actor_id=teams["south_head"].id)
    await accept_assignment(check.id, actor_id=teams["north_head"].id)
    assert (await Task.get(id=check.id)).status == TaskStatus.DONE
