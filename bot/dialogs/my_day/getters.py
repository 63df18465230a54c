"""My day: today's tasks, planned calls and meetings, and what is overdue (local time)."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from bot.dialogs.log_interaction.common import acting, local_moment, short
from bot.dialogs.widgets import locale_of
from core.i18n import N_, gettext, ngettext
from services import agenda

KIND_MARKS = {"call": "📞", "meeting": "🤝", "planned": "📞"}


def _when(moment: Any, employee: Any, *, today: bool) -> str:
    text = local_moment(moment, employee)
    return text[-5:] if today else text


async def my_day_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    employee = acting(dialog_manager)
    locale = locale_of(dialog_manager)
    day = await agenda.get_my_day(employee)
    items: list[dict[str, Any]] = []
    for task, today in [(t, False) for t in day.overdue_tasks] + [
        (t, True) for t in day.today_tasks
    ]:
        mark = "✅" if today else "🔥"
        label = f"{mark} {_when(task.due_at, employee, today=today)} {task.title}"
        items.append({"id": f"t{task.id}", "label": short(label, 60)})
    for meeting, today in [(m, False) for m in day.overdue_planned] + [
        (m, True) for m in day.today_planned
    ]:
        mark = KIND_MARKS.get(meeting.kind.value, "📞") if today else "🔥"
        about = (
            meeting.subject
            or (meeting.deal.title if meeting.deal else "")
            or (meeting.partner.name if meeting.partner else "")
        )
        label = f"{mark} {_when(meeting.starts_at, employee, today=today)} {about}"
        items.append({"id": f"i{meeting.id}", "label": short(label, 60)})
    tasks = len(day.today_tasks)
    planned = len(day.today_planned)
    overdue = len(day.overdue_tasks) + len(day.overdue_planned)
    return {
        "date": agenda.local_today(employee).strftime("%d.%m.%Y"),
        "tasks_line": ngettext("%(n)s task", "%(n)s tasks", tasks, locale) % {"n": tasks},
        "planned_line": ngettext(
            "%(n)s planned call or meeting", "%(n)s planned calls or meetings", planned, locale
        )
        % {"n": planned},
        "overdue_line": ngettext("%(n)s overdue", "%(n)s overdue", overdue, locale)
        % {"n": overdue},
        "has_overdue": overdue > 0,
        "items": items,
        "free": not items,
        "free_text": gettext(N_("Nothing planned for today."), locale),
    }
