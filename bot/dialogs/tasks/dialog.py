"""Tasks: my tasks (today / overdue / upcoming in my time zone), a task's card, complete with a
result (a guided route's task may be refused: the missing exit checks are listed), snooze
(+1 h, +3 h, tomorrow 9:00), cancel, and (heads) reassign to a team member.

Started from the main menu, or by another dialog with `TasksSG.LIST` and `{"task_id": int}`
(the task's card opens directly; Back returns to that dialog)."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.enums import ContentType
from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Column, Group, Row, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.text import Format, Multi

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.log_interaction.common import back_button, back_text, nav, on_not_text
from bot.dialogs.states import TasksSG
from bot.dialogs.tasks import handlers as h
from bot.dialogs.tasks.getters import card_getter, list_getter, reassign_getter, snooze_getter
from bot.dialogs.widgets import Tr, TrFormat
from core.i18n import N_

MENU_ENTRIES = (MenuEntry(id="tasks", title=N_("Tasks"), state=TasksSG.LIST, order=ORDER["tasks"]),)


def _status() -> Multi:
    return Multi(Format("{notice}", when="has_notice"), Format("{error}", when="has_error"))


def _back_to_card() -> Row:
    return nav(SwitchTo(back_text(), id="back", state=TasksSG.CARD))


def build_dialogs() -> list[Dialog]:
    select_kw: dict[str, Any] = {"item_id_getter": itemgetter("id")}
    return [
        Dialog(
            Window(
                TrFormat(N_("<b>My tasks</b>: {scope_name}")),
                Tr(N_("Nothing here."), when="empty"),
                _status(),
                Group(
                    Select(
                        Format("{item[name]}"),
                        id="scope",
                        items="scopes",
                        on_click=h.on_scope,
                        **select_kw,
                    ),
                    width=3,
                ),
                ScrollingGroup(
                    Select(
                        Format("{item[label]}"),
                        id="task",
                        items="tasks",
                        on_click=h.on_task_picked,
                        **select_kw,
                    ),
                    id="tasks_scroll",
                    width=1,
                    height=7,
                    hide_on_single_page=True,
                ),
                nav(),
                state=TasksSG.LIST,
                getter=list_getter,
            ),
            Window(
                Format("{card}"),
                _status(),
                Button(
                    Tr(N_("Complete"), prefix="✅ "),
                    id="complete",
                    on_click=h.on_complete,
                    when="is_open",
                ),
                Row(
                    SwitchTo(
                        Tr(N_("Snooze"), prefix="⏰ "),
                        id="snooze",
                        state=TasksSG.SNOOZE,
                        when="is_open",
                    ),
                    Button(
                        Tr(N_("Reassign"), prefix="👤 "),
                        id="reassign",
                        on_click=h.on_reassign,
                        when="can_reassign",
                    ),
                ),
                Row(
                    SwitchTo(
                        Tr(N_("Cancel the task"), prefix="🚫 "),
                        id="cancel",
                        state=TasksSG.CANCEL,
                        when="is_open",
                    ),
                    Button(
                        Tr(N_("Open the deal"), prefix="💼 "),
                        id="deal",
                        on_click=h.on_open_deal,
                        when="has_deal",
                    ),
                ),
                nav(back_button(h.on_card_back)),
                state=TasksSG.CARD,
                getter=card_getter,
            ),
            Window(
                Format("{card}"),
                Tr(N_("What is the result? Type it briefly.")),
                Format("{error}", when="has_error"),
                TextInput(id="result", on_success=h.on_result),
                MessageInput(on_not_text, content_types=[ContentType.ANY]),
                _back_to_card(),
                state=TasksSG.RESULT,
                getter=card_getter,
            ),
            Window(
                Format("{card}"),
                TrFormat(N_("Complete the task with this result?\n📝 {result}")),
                Format("{error}", when="has_error"),
                Button(
                    Tr(N_("Complete"), prefix="✅ "),
                    id="complete_yes",
                    on_click=h.on_complete_confirmed,
                ),
                nav(SwitchTo(back_text(), id="back", state=TasksSG.RESULT)),
                state=TasksSG.RESULT_CONFIRM,
                getter=card_getter,
            ),
            Window(
                Format("{card}"),
                Format("{error}", when="has_error"),
                Tr(N_("The task stays open: do what is missing, then complete it again.")),
                _back_to_card(),
                state=TasksSG.CHECKS,
                getter=card_getter,
            ),
            Window(
                Tr(N_("Hand the task to:")),
                _status(),
                Column(
                    Select(
                        Format("{item[name]}"),
                        id="performer",
                        items="people",
                        on_click=h.on_performer,
                        **select_kw,
                    )
                ),
                _back_to_card(),
                state=TasksSG.REASSIGN,
                getter=reassign_getter,
            ),
            Window(
                Tr(N_("Remind me again:")),
                _status(),
                Group(
                    Select(
                        Format("{item[name]}"),
                        id="snooze_to",
                        items="choices",
                        on_click=h.on_snooze,
                        **select_kw,
                    ),
                    width=3,
                ),
                _back_to_card(),
                state=TasksSG.SNOOZE,
                getter=snooze_getter,
            ),
            Window(
                Format("{card}"),
                Tr(N_("Cancel this task?")),
                Button(
                    Tr(N_("Yes, cancel it"), prefix="🚫 "),
                    id="cancel_yes",
                    on_click=h.on_cancel_confirmed,
                ),
                _back_to_card(),
                state=TasksSG.CANCEL,
                getter=card_getter,
            ),
            on_start=h.on_start,
        )
    ]
