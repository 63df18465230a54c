"""Tasks: my tasks (today / overdue / upcoming in the employee's time zone), complete, reassign,
snooze, cancel; and the generic assignment process, execute -> check -> rework.

Completing the last open task of a guided deal's stage advances the route
(`services.pipeline.after_route_task_done`); when the stage's exit checks do not hold the
completion is refused with `ExitChecksNotMet` and the task stays open, as in 1C.

An assignment is a chain of tasks, one per step, like 1C's BP "Задание": the performer's
*execute* task; when it is done, a *check* task for the checker; the checker accepts (done) or
returns it, which creates a new *execute* task for the performer with the comment. Every step
keeps the assignment's checker in `Task.checker` and, except the first execute task (the root),
points at the root with `Task.parent` (`root.steps` are the later steps); `template_code` says
which step it is (`assignment.execute` / `assignment.check`, see `assignment_step`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import clock
from core.errors import DomainError, NotFound, ValidationFailed
from models import Claim, Deal, Employee, Partner, Task
from models.base import DealStatus, Importance, TaskStatus
from services.access import get_task_for
from services.audit import touch_deal_activity
from services.checks import check_moment, check_text
from services.pipeline import after_route_task_done

SCOPES = ("today", "overdue", "upcoming")
CHECK_DAYS = 1  # a check or a rework is due one day after it is handed over
DUE_PAST_DAYS = 1
DUE_FUTURE_DAYS = 3650
SNOOZE_MAX_DAYS = 365
EXECUTE_STEP, CHECK_STEP = "assignment.execute", "assignment.check"
_STEPS = {EXECUTE_STEP: "execute", CHECK_STEP: "check"}


class TaskStateConflict(DomainError):
    """The task's state does not allow the command (done already, a route step...)."""

    code = "task_state_conflict"


@dataclass(frozen=True)
class AssignmentStep:
    step: str  # "execute" or "check"
    root_id: int  # the first execute task of the assignment
    checker_id: int | None  # the assignment's checker (None once that employee was deleted)

    @property
    def is_check(self) -> bool:
        return self.step == "check"


def assignment_step(task: Task) -> AssignmentStep | None:
    """Which step of an assignment this task is, or None for any other task."""
    step = _STEPS.get(task.template_code or "")
    if step is None:
        return None
    return AssignmentStep(step=step, root_id=task.parent_id or task.id, checker_id=task.checker_id)


# --- queries ----------------------------------------------------------------------------------


async def get_task(task_id: int) -> Task:
    task = await Task.get_or_none(id=task_id)
    if task is None:
        raise NotFound("not_found", what="task")
    return task


def _day_bounds(tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        tz = zoneinfo.ZoneInfo(tz_name or "Europe/Kyiv")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("Europe/Kyiv")
    today = clock.now().astimezone(tz).date()
    start = dt.datetime.combine(today, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


async def list_my_tasks(
    employee_id: int, *, scope: str = "today", limit: int = 100, offset: int = 0
) -> list[Task]:
    """Open tasks of the employee (with `task.deal` loaded). `today`: due today in the
    employee's time zone; `overdue`: due on an earlier day; `upcoming`: due later, then the
    tasks without a due date."""
    if scope not in SCOPES:
        raise ValidationFailed(
            "invalid", field="scope", reason="bad_choice", choices=", ".join(SCOPES)
        )
    employee = await Employee.get_or_none(id=employee_id)
    if employee is None:
        raise NotFound("not_found", what="employee")
    start, end = _day_bounds(employee.timezone)
    mine = Task.filter(performer_id=employee_id, status=TaskStatus.OPEN)
    if scope == "overdue":
        query = mine.filter(due_at__lt=start)
    elif scope == "today":
        query = mine.filter(due_at__gte=start, due_at__lt=end)
    else:
        dated = mine.filter(due_at__gte=end).order_by("due_at", "id").limit(offset + limit)
        undated = mine.filter(due_at__isnull=True).order_by("id").limit(offset + limit)
        found = [*await dated.select_related("deal"), *await undated.select_related("deal")]
        return found[offset : offset + limit]
    return await query.order_by("due_at", "id").offset(offset).limit(limit).select_related("deal")


async def list_deal_tasks(deal_id: int, *, open_only: bool = False) -> list[Task]:
    query = Task.filter(deal_id=deal_id)
    if open_only:
        query = query.filter(status=TaskStatus.OPEN)
    return await query.order_by("id")


async def list_assignment_steps(task_id: int) -> list[Task]:
    """Every step of the assignment the task belongs to, oldest first."""
    task = await get_task(task_id)
    step = assignment_step(task)
    if step is None:
        return [task]
    return await Task.filter(Q(id=step.root_id) | Q(parent_id=step.root_id)).order_by("id")


# --- helpers ----------------------------------------------------------------------------------


async def _active_employee(employee_id: int, field: str) -> Employee:
    employee = await Employee.get_or_none(id=employee_id)
    if employee is None:
        raise NotFound("not_found", what="employee")
    if not employee.active:
        raise ValidationFailed("invalid", field=field, reason="inactive")
    return employee


async def _check_actor(task: Task, actor_id: int | None) -> None:
    """The performer or the author may act on a task; anyone else as `services.access` decides
    who sees a task (`get_task_for`: a manager the tasks of their own deals, a head of sales
    their team's, an administrator any). `actor_id=None` is the system (imports, jobs)."""
    if actor_id is None or actor_id in (task.performer_id, task.author_id):
        return
    actor = await Employee.get_or_none(id=actor_id)
    if actor is None:
        raise NotFound("not_found", what="employee")
    await get_task_for(actor, task.id)  # AccessDenied when the task is not the actor's to see


async def _open_task(task_id: int, actor_id: int | None) -> Task:
    task = await get_task(task_id)
    if task.status != TaskStatus.OPEN:
        raise TaskStateConflict("task_not_open")
    await _check_actor(task, actor_id)
    return task


async def _close(task: Task, status: TaskStatus, result: str, at: dt.datetime) -> None:
    """Conditional on the task still being open: a second completion loses, whoever it is."""
    closed = await Task.filter(id=task.id, status=TaskStatus.OPEN).update(
        status=status, result=result, completed_at=at
    )
    if closed == 0:
        raise TaskStateConflict("task_not_open")
    task.status, task.result, task.completed_at = status, result, at


async def _subject(deal_id: int | None, claim_id: int | None, partner_id: int | None) -> int | None:
    """Check the subject references; returns the partner (taken from the deal or claim)."""
    if deal_id is not None:
        deal = await Deal.get_or_none(id=deal_id)
        if deal is None:
            raise NotFound("not_found", what="deal")
        partner_id = partner_id or deal.partner_id
    if claim_id is not None:
        claim = await Claim.get_or_none(id=claim_id)
        if claim is None:
            raise NotFound("not_found", what="claim")
        partner_id = partner_id or claim.partner_id
    if partner_id is not None and not await Partner.filter(id=partner_id).exists():
        raise NotFound("not_found", what="partner")
    return partner_id


# --- commands ---------------------------------------------------------------------------------


async def create_task(
    *,
    title: str,
    performer_id: int,
    due_at: dt.datetime | None = None,
    author_id: int | None = None,
    deal_id: int | None = None,
    claim_id: int | None = None,
    partner_id: int | None = None,
    description: str = "",
    importance: Importance | str = Importance.NORMAL,
) -> Task:
    """A plain task (a reminder to do something), optionally about a deal, claim or partner."""
    title = check_text(title, "title", max_len=500, required=True)
    description = check_text(description, "description", max_len=4000)
    if due_at is not None:
        due_at = check_moment(
            due_at, "due_at", past_days=DUE_PAST_DAYS, future_days=DUE_FUTURE_DAYS
        )
    await _active_employee(performer_id, "performer")
    partner_id = await _subject(deal_id, claim_id, partner_id)
    now = clock.now()
    return await Task.create(
        title=title,
        description=description,
        performer_id=performer_id,
        author_id=author_id,
        due_at=due_at,
        importance=Importance(importance),
        deal_id=deal_id,
        claim_id=claim_id,
        partner_id=partner_id,
        created_at=now,
    )


async def complete_task(task_id: int, result: str = "", *, actor_id: int | None) -> Task:
    """Done, with a result. A route task may advance the deal (or be refused with the list of
    missing exit checks); an assignment's execute step hands it to the checker; its check step
    accepts it."""
    result = check_text(result, "result", max_len=4000)
    async with in_transaction():
        task = await _open_task(task_id, actor_id)
        now = clock.now()
        await _close(task, TaskStatus.DONE, result, now)
        step = assignment_step(task)
        if step is not None and not step.is_check:
            await _hand_to_checker(task, step, now)
        elif step is None and task.deal_id is not None and task.stage_id is not None:
            await after_route_task_done(task, actor_id=actor_id)
        if task.deal_id is not None:
            await touch_deal_activity(task.deal_id, now)
    return task


async def reassign_task(task_id: int, performer_id: int, *, actor_id: int | None) -> Task:
    async with in_transaction():
        task = await _open_task(task_id, actor_id)
        await _active_employee(performer_id, "performer")
        task.performer_id, task.reminded_at = performer_id, None
        await Task.filter(id=task.id).update(performer_id=performer_id, reminded_at=None)
    return task


async def snooze_task(task_id: int, until: dt.datetime, *, actor_id: int | None) -> Task:
    """Remind again at `until` (the due date stays, so lateness is still counted)."""
    until = check_moment(until, "until", past_days=0, future_days=SNOOZE_MAX_DAYS)
    if until <= clock.now():
        raise ValidationFailed("invalid", field="until", reason="not_in_future")
    async with in_transaction():
        task = await _open_task(task_id, actor_id)
        task.remind_at, task.reminded_at = until, None
        await Task.filter(id=task.id).update(remind_at=until, reminded_at=None)
    return task


async def cancel_task(task_id: int, *, actor_id: int | None, reason: str = "") -> Task:
    """Cancel an open task. A step of an open guided deal's route cannot be cancelled (the
    route would stop): switch the deal to manual control instead."""
    reason = check_text(reason, "comment", max_len=4000)
    async with in_transaction():
        task = await _open_task(task_id, actor_id)
        if task.deal_id is not None and task.stage_id is not None:
            guided = await Deal.filter(
                id=task.deal_id, guided=True, status=DealStatus.OPEN
            ).exists()
            if guided:
                raise TaskStateConflict("task_route_required")
        await _close(task, TaskStatus.CANCELLED, reason, clock.now())
    return task


# --- assignments: execute -> check -> rework -------------------------------------------------


async def create_assignment(
    *,
    title: str,
    performer_id: int,
    checker_id: int,
    due_at: dt.datetime,
    author_id: int | None = None,
    deal_id: int | None = None,
    claim_id: int | None = None,
    partner_id: int | None = None,
    description: str = "",
    importance: Importance | str = Importance.NORMAL,
) -> Task:
    """Start an assignment: the performer's first execute task (returned)."""
    title = check_text(title, "title", max_len=500, required=True)
    description = check_text(description, "description", max_len=4000)
    due_at = check_moment(due_at, "due_at", past_days=DUE_PAST_DAYS, future_days=DUE_FUTURE_DAYS)
    await _active_employee(performer_id, "performer")
    await _active_employee(checker_id, "checker")
    partner_id = await _subject(deal_id, claim_id, partner_id)
    now = clock.now()
    async with in_transaction():
        task = await Task.create(
            title=title,
            description=description,
            performer_id=performer_id,
            author_id=author_id,
            due_at=due_at,
            importance=Importance(importance),
            deal_id=deal_id,
            claim_id=claim_id,
            partner_id=partner_id,
            checker_id=checker_id,
            template_code=EXECUTE_STEP,
            created_at=now,
        )
    return task


async def _hand_to_checker(task: Task, step: AssignmentStep, now: dt.datetime) -> Task:
    if step.checker_id is None:  # the checker's employee record is gone: nobody to check
        return task
    return await Task.create(
        title=task.title,
        description=task.description,
        performer_id=step.checker_id,
        checker_id=step.checker_id,
        parent_id=step.root_id,
        author_id=task.author_id,
        due_at=now + dt.timedelta(days=CHECK_DAYS),
        importance=task.importance,
        deal_id=task.deal_id,
        claim_id=task.claim_id,
        partner_id=task.partner_id,
        template_code=CHECK_STEP,
        created_at=now,
    )


async def _open_check_step(task_id: int, actor_id: int | None) -> tuple[Task, AssignmentStep]:
    task = await get_task(task_id)
    step = assignment_step(task)
    if step is None or not step.is_check:
        raise TaskStateConflict("task_not_check_step")
    if task.status != TaskStatus.OPEN:
        raise TaskStateConflict("task_not_open")
    await _check_actor(task, actor_id)
    return task, step


async def accept_assignment(task_id: int, *, actor_id: int | None, comment: str = "") -> Task:
    """The checker accepts the work: the check step is done and the assignment is over."""
    comment = check_text(comment, "comment", max_len=4000)
    async with in_transaction():
        task, _ = await _open_check_step(task_id, actor_id)
        now = clock.now()
        await _close(task, TaskStatus.DONE, comment, now)
        if task.deal_id is not None:
            await touch_deal_activity(task.deal_id, now)
    return task


async def return_for_rework(
    task_id: int, comment: str, *, actor_id: int | None, due_at: dt.datetime | None = None
) -> Task:
    """The checker sends the work back with a comment (required): the check step is done with
    that comment as its result and the performer gets a new execute task (returned)."""
    comment = check_text(comment, "comment", max_len=4000, required=True)
    if due_at is not None:
        due_at = check_moment(due_at, "due_at", past_days=0, future_days=DUE_FUTURE_DAYS)
    async with in_transaction():
        task, step = await _open_check_step(task_id, actor_id)
        now = clock.now()
        await _close(task, TaskStatus.DONE, comment, now)
        root = await Task.get(id=step.root_id)
        executed = (
            await Task.filter(
                Q(id=root.id) | Q(parent_id=root.id), template_code=EXECUTE_STEP, id__lt=task.id
            )
            .order_by("-id")
            .first()
        )
        performer_id = executed.performer_id if executed else root.performer_id
        description = f"{root.description}\n\n— {comment}".strip()
        return await Task.create(
            title=root.title,
            description=description[:4000],
            performer_id=performer_id,
            checker_id=task.performer_id,  # whoever checked it checks the rework
            parent_id=root.id,
            author_id=root.author_id,
            due_at=due_at or now + dt.timedelta(days=CHECK_DAYS),
            importance=root.importance,
            deal_id=root.deal_id,
            claim_id=root.claim_id,
            partner_id=root.partner_id,
            template_code=EXECUTE_STEP,
            created_at=now,
        )
