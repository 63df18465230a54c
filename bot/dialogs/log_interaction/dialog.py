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
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Cancel,
    Column,
    Group,
    Multiselect,
    Row,
    ScrollingGroup,
    Select,
)
from aiogram_dialog.widgets.text import Format, Multi

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.log_interaction import handlers as h
from bot.dialogs.log_interaction.common import back_button, home_button, nav, on_not_text
from bot.dialogs.log_interaction.getters import (
    contacts_getter,
    deals_getter,
    partners_getter,
    step_getter,
)
from bot.dialogs.new_deal.calendar import LocalCalendar
from bot.dialogs.states import LogInteractionSG as SG
from bot.dialogs.widgets import Tr, TrFormat
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
    return Group(
        Select(
            Format("{item[name]}"),
            id=widget_id,
            item_id_getter=itemgetter("id"),
            items=items,
            on_click=on_click,
        ),
        width=width,
    )


def _typed(handler: Any, widget_id: str) -> list[Any]:
    return [
        TextInput(id=widget_id, on_success=handler),
        MessageInput(on_not_text, content_types=[ContentType.ANY]),
    ]


def _back() -> Row:
    return nav(back_button(h.on_back))


def _quick_days(*names: str) -> Row:
    labels = {"today": N_("Today"), "yesterday": N_("Yesterday"), "tomorrow": N_("Tomorrow")}
    return Row(*(Button(Tr(labels[n]), id=f"day_{n}", on_click=h.on_quick_day) for n in names))


def _subject_window(state: Any) -> Window:
    """Which deal (mine, open) or partner: the same window for each way in (`on_start`)."""
    return Window(
        Format("{error}", when="has_error"),
        Tr(N_("Which deal is it about? Or find a partner.")),
        Tr(N_("You have no open deals."), when="no_deals"),
        ScrollingGroup(
            Select(
                Format("{item[label]}"),
                id="deal",
                item_id_getter=itemgetter("id"),
                items="deals",
                on_click=h.on_deal_picked,
            ),
            id="deals_scroll",
            width=1,
            height=6,
            hide_on_single_page=True,
        ),
        Button(Tr(N_("Find a partner"), prefix="🔎 "), id="find", on_click=h.on_partner_search),
        Row(Cancel(Tr(N_("Back"), prefix="⬅️ "), id="back"), home_button()),
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
                Column(
                    Select(
                        Format("{item[label]}"),
                        id="partner",
                        item_id_getter=itemgetter("id"),
                        items="partners",
                        on_click=h.on_partner_picked,
                    )
                ),
                *_typed(h.on_partner_query, "partner_requery"),
                _back(),
                state=SG.PARTNER_PICK,
                getter=partners_getter,
            ),
            Window(
                _screen(N_("A call or a meeting?")),
                _choice("kinds", "kind", h.on_kind),
                _back(),
                state=SG.KIND,
                getter=step_getter,
            ),
            Window(
                _screen(N_("Has it taken place, or is it planned?")),
                _choice("done_choices", "done", h.on_done_chosen),
                _back(),
                state=SG.PLANNED_OR_DONE,
                getter=step_getter,
            ),
            Window(
                _screen(N_("Who called whom?")),
                _choice("directions", "direction", h.on_direction),
                _back(),
                state=SG.DIRECTION,
                getter=step_getter,
            ),
            Window(
                _screen(N_("Which day?")),
                TodayCalendar("date", h.date_bounds, on_click=h.on_date),
                _quick_days("yesterday", "today"),
                _back(),
                state=SG.DATE,
                getter=step_getter,
            ),
            Window(
                _screen(N_("At what time? Choose, or type it (e.g. 14:45).")),
                _choice("times", "time", h.on_time, width=4),
                *_typed(h.on_time_typed, "time_typed"),
                _back(),
                state=SG.TIME,
                getter=step_getter,
            ),
            Window(
                _screen(N_("How long did it (or will it) take?")),
                _choice("durations", "duration", h.on_duration, width=5),
                Button(Tr(N_("Skip"), prefix="⏭ "), id="skip", on_click=h.on_duration_skip),
                _back(),
                state=SG.DURATION,
                getter=step_getter,
            ),
            Window(
                _screen(N_("Who took part? Tick the contact persons, then press Next.")),
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
                _back(),
                state=SG.CONTACTS,
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
            Window(
                _screen(N_("What is the next step?")),
                _choice("next_choices", "next", h.on_next_step),
                _back(),
                state=SG.NEXT_STEP,
                getter=step_getter,
            ),
            Window(
                _screen(N_("The next step: which day?")),
                TodayCalendar(
                    "next_date", lambda m: h.date_bounds(m, next_step=True), on_click=h.on_next_date
                ),
                _quick_days("today", "tomorrow"),
                _back(),
                state=SG.NEXT_DATE,
                getter=step_getter,
            ),
            Window(
                _screen(N_("The next step: at what time? Choose, or type it (e.g. 14:45).")),
                _choice("times", "next_time", h.on_next_time, width=4),
                *_typed(h.on_time_typed, "next_time_typed"),
                _back(),
                state=SG.NEXT_TIME,
                getter=step_getter,
            ),
            Window(
                _screen(N_("Check and save:")),
                Button(Tr(N_("Save"), prefix="✅ "), id="save", on_click=h.on_confirm),
                _back(),
                state=SG.CONFIRM,
                getter=step_getter,
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
