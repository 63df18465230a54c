"""My day: today's tasks and planned calls and meetings in the employee's time zone, and the
overdue ones first; a tap opens the task's card or the deal's card."""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.text import Format

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.log_interaction.common import nav
from bot.dialogs.my_day.getters import my_day_getter
from bot.dialogs.my_day.handlers import on_item
from bot.dialogs.states import MyDaySG
from bot.dialogs.widgets import TrFormat, paged, pick
from core.i18n import N_

MENU_ENTRIES = (
    MenuEntry(id="my_day", title=N_("My day"), state=MyDaySG.MAIN, order=ORDER["my_day"]),
)


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                TrFormat(N_("<b>My day</b>, {date}")),
                Format("{tasks_line} · {planned_line}"),
                Format("🔥 {overdue_line}", when="has_overdue"),
                Format("{free_text}", when="free"),
                paged(pick("items", "item", on_item), "day_scroll", height=8),
                nav(),
                state=MyDaySG.MAIN,
                getter=my_day_getter,
            ),
        )
    ]
