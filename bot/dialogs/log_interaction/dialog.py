"""Log a call or meeting: the deal or partner, took place or planned, the direction (calls),
the date (calendar) and time (a grid, or typed), the duration, the contact persons, the result
(or the subject of a planned one), the next step (a planned call or meeting, or a task with a
reminder), a confirmation echoing everything, then one write.

Started from the main menu (Log a call / Log a meeting), or by another dialog with
`LogInteractionSG.START` and `{"deal_id": int}` or `{"partner_id": int}` (the subject is then not
asked), optionally with `{"kind": "call" | "meeting"}`.
"""

from __future__ import annotations

import datetime as dt
from operator import itemgetter
from typing import Any

from aiogram.enums import ContentType
from aiogram.fsm.state import State
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Cancel,
    Column,
    Group,
    Multiselect,
    Row,
)
from aiogram_dialog.widgets.text import Format, Multi

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.log_interaction import handlers as h
from bot.dialogs.log_interaction.common import nav, on_not_text
from bot.dialogs.log_interaction.getters import (
    contacts_getter,
    deals_getter,
    partners_getter,
    step_getter,
)
from bot.dialogs.new_deal.calendar import LocalCalendar
from bot.dialogs.states import LogInteractionSG as SG
from bot.dialogs.widgets import Tr, TrFormat, back_button, home_button, paged, pick
from core.i18n import N_
from services import agenda

MENU_ENTRIES = (
    MenuEntry(id="log_call", title=N_("Log a call"), state=SG.START_CALL, order=ORDER["log_call"]),
    MenuEntry(
        id="log_meeting",
        title=N_("Log a meeting"),
        state=SG.START_MEETING,
        order=ORDER["log_meeting"],
    ),
)


class TodayCalendar(LocalCalendar):
    """Opens on today in the employee's zone (also when only past days may be chosen)."""

    def _today(self, manager: DialogManager) -> dt.date:
        employee = manager.middleware_data.get("employee")
        if employee is None:
            return self.bounds(manager)[0]
        return agenda.local_today(employee)


def _screen(prompt: str) -> Multi:
    return Multi(
        Format("{summary}"),
        Format("{notice}", when="has_notice"),
        Tr(prompt),
        Format("{error}", when="has_error"),
    )


def _choice(items: str, widget_id: str, on_click: Any, width: int = 2) -> Group:
    return Group(pick(items, widget_id, on_click, label="{item[name]}"), width=width)


def _typed(handler: Any, widget_id: str) -> list[Any]:
    return [
        TextInput(id=widget_id, on_success=handler),
        MessageInput(on_not_text, content_types=[ContentType.ANY]),
    ]


def _back() -> Row:
    return nav(back_button(h.on_back))


def _step(prompt: str, state: State, *widgets: Any, getter: Any = step_getter) -> Window:
    """One question of the wizard: what is known so far, the question, the ways to answer it,
    Back and Main menu."""
    return Window(_screen(prompt), *widgets, _back(), state=state, getter=getter)


def _quick_days(*names: str) -> Row:
    labels = {"today": N_("Today"), "yesterday": N_("Yesterday"), "tomorrow": N_("Tomorrow")}
    return Row(*(Button(Tr(labels[n]), id=f"day_{n}", on_click=h.on_quick_day) for n in names))


def _subject_window(state: Any) -> Window:
    """Which deal (mine, open) or partner: the same window for each way in (`on_start`)."""
    return Window(
        Format("{error}", when="has_error"),
        Tr(N_("Which deal is it about? Or find a partner.")),
        Tr(N_("You have no open deals."), when="no_deals"),
        paged(pick("deals", "deal", h.on_deal_picked), "deals_scroll", height=6),
        Button(Tr(N_("Find a partner"), prefix="🔎 "), id="find", on_click=h.on_partner_search),
        nav(),
        state=state,
        getter=deals_getter,
    )


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            _subject_window(SG.START),
            _subject_window(SG.START_CALL),
            _subject_window(SG.START_MEETING),
            Window(
                Tr(N_("Type a part of the partner's name, the ЄДРПОУ, a phone or an e-mail:")),
                Format("{error}", when="has_error"),
                *_typed(h.on_partner_query, "partner_query"),
                _back(),
                state=SG.PARTNER_SEARCH,
                getter=partners_getter,
            ),
            Window(
                TrFormat(N_("Found for «{query}»:"), when="found"),
                TrFormat(N_("Nothing found for «{query}». Type another search."), when="nothing"),
                Format("{error}", when="has_error"),
                Column(pick("partners", "partner", h.on_partner_picked)),
                *_typed(h.on_partner_query, "partner_requery"),
                _back(),
                state=SG.PARTNER_PICK,
                getter=partners_getter,
            ),
            _step(
                N_("A call or a meeting?"),
                SG.KIND,
                _choice("kinds", "kind", h.on_kind),
            ),
            _step(
                N_("Has it taken place, or is it planned?"),
                SG.PLANNED_OR_DONE,
                _choice("done_choices", "done", h.on_done_chosen),
            ),
            _step(
                N_("Who called whom?"),
                SG.DIRECTION,
                _choice("directions", "direction", h.on_direction),
            ),
            _step(
                N_("Which day?"),
                SG.DATE,
                TodayCalendar("date", h.date_bounds, on_click=h.on_date),
                _quick_days("yesterday", "today"),
            ),
            _step(
                N_("At what time? Choose, or type it (e.g. 14:45)."),
                SG.TIME,
                _choice("times", "time", h.on_time, width=4),
                *_typed(h.on_time_typed, "time_typed"),
            ),
            _step(
                N_("How long did it (or will it) take?"),
                SG.DURATION,
                _choice("durations", "duration", h.on_duration, width=5),
                Button(Tr(N_("Skip"), prefix="⏭ "), id="skip", on_click=h.on_duration_skip),
            ),
            _step(
                N_("Who took part? Tick the contact persons, then press Next."),
                SG.CONTACTS,
                Column(
                    Multiselect(
                        Format("✅ {item[label]}"),
                        Format("▫️ {item[label]}"),
                        id=h.CONTACTS,
                        item_id_getter=itemgetter("id"),
                        items="contacts",
                    )
                ),
                Button(Tr(N_("Next"), prefix="➡️ "), id="next", on_click=h.on_contacts_done),
                getter=contacts_getter,
            ),
            Window(
                Multi(
                    Format("{summary}"),
                    Tr(N_("What is the result? Type it briefly."), when="done"),
                    Tr(N_("What is it about? Type the subject briefly."), when="planned"),
                    Format("{error}", when="has_error"),
                ),
                *_typed(h.on_result, "result"),
                _back(),
                state=SG.RESULT,
                getter=step_getter,
            ),
            _step(
                N_("What is the next step?"),
                SG.NEXT_STEP,
                _choice("next_choices", "next", h.on_next_step),
            ),
            _step(
                N_("The next step: which day?"),
                SG.NEXT_DATE,
                TodayCalendar(
                    "next_date", lambda m: h.date_bounds(m, next_step=True), on_click=h.on_next_date
                ),
                _quick_days("today", "tomorrow"),
            ),
            _step(
                N_("The next step: at what time? Choose, or type it (e.g. 14:45)."),
                SG.NEXT_TIME,
                _choice("times", "next_time", h.on_next_time, width=4),
                *_typed(h.on_time_typed, "next_time_typed"),
            ),
            _step(
                N_("Check and save:"),
                SG.CONFIRM,
                Button(Tr(N_("Save"), prefix="✅ "), id="save", on_click=h.on_confirm),
            ),
            Window(
                Format("{summary}"),
                Tr(N_("✅ Saved.")),
                Button(
                    Tr(N_("Open the deal"), prefix="💼 "),
                    id="open_deal",
                    on_click=h.on_open_deal,
                    when="has_deal",
                ),
                Row(Cancel(Tr(N_("Done"), prefix="👌 "), id="close"), home_button()),
                state=SG.DONE,
                getter=step_getter,
            ),
            on_start=h.on_start,
        )
    ]
