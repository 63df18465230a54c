"""Tasks: my tasks (today / overdue / upcoming in my time zone), a task's card, complete with a
result (a guided route's task may be refused: the missing exit checks are listed), snooze
(+1 h, +3 h, tomorrow 9:00), cancel, and (heads) reassign to a team member.

Started from the main menu, or by another dialog with `TasksSG.LIST` and `{"task_id": int}`
(the task's card opens directly; Back returns to that dialog)."""

from __future__ import annotations

from aiogram.enums import ContentType
from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Column, Group, Row, SwitchTo
from aiogram_dialog.widgets.text import Format, Multi

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.log_interaction.common import nav, on_not_text
from bot.dialogs.states import TasksSG
from bot.dialogs.tasks import handlers as h
from bot.dialogs.tasks.getters import card_getter, list_getter, reassign_getter, snooze_getter
from bot.dialogs.widgets import Tr, TrFormat, back_button, paged, pick
from core.i18n import N_

MENU_ENTRIES = (MenuEntry(id="tasks", title=N_("Tasks"), state=TasksSG.LIST, order=ORDER["tasks"]),)


def _status() -> Multi:
    return Multi(Format("{notice}", when="has_notice"), Format("{error}", when="has_error"))


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                TrFormat(N_("<b>My tasks</b>: {scope_name}")),
                Tr(N_("Nothing here."), when="empty"),
                _status(),
                Group(pick("scopes", "scope", h.on_scope, label="{item[name]}"), width=3),
                paged(pick("tasks", "task", h.on_task_picked), "tasks_scroll", height=7),
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
                nav(TasksSG.CARD),
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
                nav(TasksSG.RESULT),
                state=TasksSG.RESULT_CONFIRM,
                getter=card_getter,
            ),
            Window(
                Format("{card}"),
                Format("{error}", when="has_error"),
                Tr(N_("The task stays open: do what is missing, then complete it again.")),
                nav(TasksSG.CARD),
                state=TasksSG.CHECKS,
                getter=card_getter,
            ),
            Window(
                Tr(N_("Hand the task to:")),
                _status(),
                Column(pick("people", "performer", h.on_performer, label="{item[name]}")),
                nav(TasksSG.CARD),
                state=TasksSG.REASSIGN,
                getter=reassign_getter,
            ),
            Window(
                Tr(N_("Remind me again:")),
                _status(),
                Group(pick("choices", "snooze_to", h.on_snooze, label="{item[name]}"), width=3),
                nav(TasksSG.CARD),
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
                nav(TasksSG.CARD),
                state=TasksSG.CANCEL,
                getter=card_getter,
            ),
            on_start=h.on_start,
        )
    ]
