"""Tasks: what each window shows (loaded through `services.access` / `services.tasks`)."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from bot.access import HEADS, has_role
from bot.dialogs.log_interaction.common import acting, local_moment, short, status_lines
from bot.dialogs.tasks.handlers import SCOPES, current_task
from bot.dialogs.widgets import locale_of
from bot.texts.helpers import Html, escape
from core import clock
from core.i18n import N_, gettext
from models import Deal, Employee
from models.base import TaskStatus
from services import agenda
from services.tasks import list_my_tasks

SCOPE_NAMES = {"today": N_("Today"), "overdue": N_("Overdue"), "upcoming": N_("Upcoming")}
STATUS_NAMES = {"open": N_("To do"), "done": N_("Completed"), "cancelled": N_("Cancelled")}
SNOOZE_NAMES = {"1h": N_("+1 hour"), "3h": N_("+3 hours"), "tomorrow": N_("Tomorrow 9:00")}


async def list_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    employee = acting(manager)
    locale = locale_of(manager)
    scope = manager.dialog_data.get("scope", "today")
    tasks = await list_my_tasks(employee.id, scope=scope, limit=50)
    now = clock.now()
    items = []
    for task in tasks:
        mark = "🔥" if task.due_at is not None and task.due_at < now else "▫️"
        when = local_moment(task.due_at, employee)  # "" for a task without a due date
        if scope == "today":
            when = when[-5:]
        items.append({"id": task.id, "label": short(f"{mark} {when} {task.title}".strip(), 60)})
    return {
        "scopes": [
            {
                "id": s,
                "name": ("• " if s == scope else "") + gettext(SCOPE_NAMES[s], locale),
            }
            for s in SCOPES
        ],
        "tasks": items,
        "empty": not items,
        "scope_name": gettext(SCOPE_NAMES[scope], locale),
        **status_lines(manager),
    }


async def card_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    employee = acting(manager)
    locale = locale_of(manager)
    task = await current_task(manager)
    lines = [f"<b>{escape(task.title)}</b>"]
    status = gettext(STATUS_NAMES[task.status.value], locale)
    lines.append(f"{gettext(N_('Status'), locale)}: {escape(status)}")
    if task.due_at is not None:
        lines.append(f"⏳ {escape(local_moment(task.due_at, employee))}")
    if task.remind_at is not None and task.status == TaskStatus.OPEN:
        lines.append(f"⏰ {escape(local_moment(task.remind_at, employee))}")
    performer = await Employee.get_or_none(id=task.performer_id)
    if performer is not None:
        lines.append(f"👤 {escape(performer.full_name)}")
    deal = await Deal.get_or_none(id=task.deal_id) if task.deal_id else None
    if deal is not None:
        lines.append(f"💼 {escape(deal.number)} {escape(short(deal.title))}")
    if task.description:
        lines.append(escape(short(task.description, 500)))
    if task.result:
        lines.append(f"📝 {escape(task.result)}")
    is_open = task.status == TaskStatus.OPEN
    return {
        "card": Html("\n".join(lines)),
        "is_open": is_open,
        "can_reassign": is_open and has_role(employee, HEADS),
        "has_deal": deal is not None,
        "result": manager.dialog_data.get("result", ""),
        **status_lines(manager),
    }


async def reassign_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    task = await current_task(manager)
    people = await agenda.list_reassign_candidates(acting(manager))
    return {
        "people": [
            {"id": p.id, "name": short(p.full_name, 40)}
            for p in people
            if p.id != task.performer_id
        ],
        **status_lines(manager),
    }


async def snooze_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    locale = locale_of(dialog_manager)
    await current_task(dialog_manager)
    return {
        "choices": [
            {"id": c, "name": gettext(SNOOZE_NAMES[c], locale)} for c in agenda.SNOOZE_CHOICES
        ],
        **status_lines(dialog_manager),
    }
