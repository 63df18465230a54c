"""New deal: the client (found, or quickly created with the duplicate warning), the process
kind, the title, the potential amount, the expected closing date, a confirmation that echoes
everything, then the deal's card.

Started from the main menu, or by another dialog with `NewDealSG.KIND` and the data
`{"partner_id": int}` (the partner's card does that).
"""

from __future__ import annotations

import datetime as dt
from operator import itemgetter
from typing import Any

from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Cancel,
    Column,
    Row,
    Select,
    StubScroll,
)
from aiogram_dialog.widgets.text import Format, Multi

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.new_deal import handlers as h
from bot.dialogs.new_deal.calendar import LocalCalendar
from bot.dialogs.new_deal.getters import (
    FOUND_SCROLL,
    done_getter,
    duplicates_getter,
    found_getter,
    kinds_getter,
    step_getter,
)
from bot.dialogs.partners.common import back_text, home_button, nav, pager
from bot.dialogs.states import NewDealSG
from bot.dialogs.widgets import Tr, TrFormat, TrLabel
from core import clock
from core.i18n import N_
from services import new_deal as new_deal_service

MENU_ENTRIES = (
    MenuEntry(
        id="new_deal",
        title=N_("New deal"),
        state=NewDealSG.PARTNER_SEARCH,
        order=ORDER["new_deal"],
    ),
)

HEADER = N_("<b>New deal</b>")


def _screen(prompt: str, *, summary: bool = True, extra: Any = None) -> Multi:
    """The title, what is chosen so far, the question, and the last refusal if any."""
    parts: list[Any] = [Tr(HEADER)]
    if summary:
        parts.append(Format("{summary}", when="has_summary"))
    parts.append(Tr(prompt))
    if extra is not None:
        parts.append(extra)
    parts.append(Format("{error}", when="has_error"))
    return Multi(*parts)


def _skip(handler: Any) -> Button:
    return Button(Tr(N_("Skip"), prefix="⏭ "), id="skip", on_click=handler)


def _close_date_bounds(manager: DialogManager) -> tuple[dt.date, dt.date]:
    employee = manager.middleware_data.get("employee")
    if employee is None:
        today = clock.today()
        return today, today
    return (
        new_deal_service.local_today(employee),
        new_deal_service.latest_close_date(employee),
    )


def _partner_step(state: Any, prompt: str, field: str, back: Any, skip: bool = True) -> Window:
    widgets: list[Any] = [
        _screen(prompt),
        TextInput(id=f"np_{field}", on_success=h.partner_field_handler(field)),
    ]
    if skip:
        widgets.append(_skip(h.partner_skip_handler(field)))
    widgets.append(nav(back))
    return Window(*widgets, state=state, getter=step_getter)


def _new_partner() -> Button:
    return Button(Tr(N_("New partner"), prefix="➕ "), id="new_partner", on_click=h.on_new_partner)


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                _screen(
                    N_(
                        "Who is the client? Type a part of the name, the EDRPOU / RNOKPP, "
                        "a phone number or an e-mail."
                    ),
                    summary=False,
                ),
                TextInput(id="partner_query", on_success=h.on_partner_query),
                _new_partner(),
                Row(Cancel(back_text(), id="back"), home_button()),
                state=NewDealSG.PARTNER_SEARCH,
                getter=step_getter,
            ),
            Window(
                Tr(HEADER),
                TrFormat(
                    N_("Found for «{query}»: choose the client, or type another search."),
                    when="found",
                ),
                TrFormat(
                    N_("Nothing found for «{query}». Type another search or add a new partner."),
                    when="nothing",
                ),
                Format("{error}", when="has_error"),
                Column(
                    Select(
                        Format("{item[label]}"),
                        id="partner_pick",
                        item_id_getter=itemgetter("id"),
                        items="partners",
                        on_click=h.on_partner_picked,
                    )
                ),
                StubScroll(id=FOUND_SCROLL, pages="pages"),
                pager(FOUND_SCROLL),
                _new_partner(),
                nav(NewDealSG.PARTNER_SEARCH),
                TextInput(id="partner_requery", on_success=h.on_partner_query),
                state=NewDealSG.PARTNER_PICK,
                getter=found_getter,
            ),
            _partner_step(
                NewDealSG.QUICK_PARTNER_NAME,
                N_("New partner. Type the name of the company or the person:"),
                "name",
                NewDealSG.PARTNER_SEARCH,
                skip=False,
            ),
            _partner_step(
                NewDealSG.QUICK_PARTNER_TAX_ID,
                N_("The partner's EDRPOU (8 digits) or RNOKPP (10 digits):"),
                "tax_id",
                NewDealSG.QUICK_PARTNER_NAME,
            ),
            _partner_step(
                NewDealSG.QUICK_PARTNER_CONTACT,
                N_("The full name of the contact person:"),
                "contact_name",
                NewDealSG.QUICK_PARTNER_TAX_ID,
            ),
            _partner_step(
                NewDealSG.QUICK_PARTNER_PHONE,
                N_("A phone number (of the contact person, or of the partner):"),
                "phone",
                NewDealSG.QUICK_PARTNER_CONTACT,
            ),
            Window(
                _screen(
                    N_("⚠️ Similar partners are already in the CRM:"),
                    extra=Multi(
                        Format("{candidates}"),
                        Tr(N_("Use one of them, or create the new partner anyway.")),
                    ),
                ),
                Column(
                    Select(
                        TrLabel(N_("Use: {item[label]}")),
                        id="dup_use",
                        item_id_getter=itemgetter("id"),
                        items="usable",
                        on_click=h.on_duplicate_used,
                    )
                ),
                Button(
                    Tr(N_("Create a new partner anyway"), prefix="➕ "),
                    id="dup_create",
                    on_click=h.on_create_anyway,
                ),
                nav(NewDealSG.QUICK_PARTNER_NAME),
                state=NewDealSG.DUPLICATE_WARNING,
                getter=duplicates_getter,
            ),
            Window(
                _screen(
                    N_("Choose the sales process:"),
                    extra=Tr(
                        N_("No process is open for new deals; ask an administrator."),
                        when="no_kinds",
                    ),
                ),
                Column(
                    Select(
                        Format("{item[name]}"),
                        id="kind",
                        item_id_getter=itemgetter("id"),
                        items="kinds",
                        on_click=h.on_kind_selected,
                    )
                ),
                nav(Button(back_text(), id="back", on_click=h.on_kind_back)),
                state=NewDealSG.KIND,
                getter=kinds_getter,
            ),
            Window(
                _screen(N_("Type the title of the deal: what is being sold.")),
                TextInput(id="title", on_success=h.on_title),
                nav(NewDealSG.KIND),
                state=NewDealSG.TITLE,
                getter=step_getter,
            ),
            Window(
                _screen(N_("The potential amount in UAH, e.g. 125 000,50:")),
                TextInput(id="potential", on_success=h.on_potential),
                _skip(h.on_potential_skip),
                nav(NewDealSG.TITLE),
                state=NewDealSG.POTENTIAL,
                getter=step_getter,
            ),
            Window(
                _screen(N_("When do you expect to close the deal?")),
                LocalCalendar("close_on", _close_date_bounds, on_click=h.on_close_date),
                _skip(h.on_close_date_skip),
                nav(NewDealSG.POTENTIAL),
                state=NewDealSG.CLOSE_DATE,
                getter=step_getter,
            ),
            Window(
                Tr(HEADER),
                Tr(N_("Check and create the deal:")),
                Format("{summary}"),
                Format("{error}", when="has_error"),
                Button(Tr(N_("Create the deal"), prefix="✅ "), id="create", on_click=h.on_confirm),
                nav(NewDealSG.CLOSE_DATE),
                state=NewDealSG.CONFIRM,
                getter=step_getter,
            ),
            Window(
                TrFormat(N_("✅ The deal <b>{number}</b> is created.")),
                Row(home_button()),
                state=NewDealSG.DONE,
                getter=done_getter,
            ),
            on_start=h.on_start,
        )
    ]
