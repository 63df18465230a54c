"""Partners: a tolerant search (name, ЄДРПОУ / РНОКПП, phone, e-mail) or the list of one's
partners, the partner's card (requisites, contact persons, open deals, recent interactions,
links), its contact persons, and a new contact person (name, position, phone, e-mail, each
checked and echoed, then confirmed).

Other dialogs open a card with `PartnersSG.CARD` and the data `{"partner_id": int}`.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Cancel,
    Column,
    Row,
    ScrollingGroup,
    Select,
    StubScroll,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Format, Multi

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.claims.entry import claims_installed, on_claim_from_partner, on_partner_claims
from bot.dialogs.partners import handlers as h
from bot.dialogs.partners.common import back_text, home_button, nav, pager
from bot.dialogs.partners.getters import (
    CONTACTS_SCROLL,
    LIST_SCROLL,
    card_getter,
    contact_step_getter,
    contacts_getter,
    list_getter,
    search_getter,
)
from bot.dialogs.states import PartnersSG
from bot.dialogs.widgets import Tr, TrFormat, TrLabel
from core.i18n import N_

MENU_ENTRIES = (
    MenuEntry(
        id="partners", title=N_("Partners"), state=PartnersSG.SEARCH, order=ORDER["partners"]
    ),
)

HEADER = N_("<b>Partners</b>")
ERROR = Format("{error}", when="has_error")


def _contact_step(state: Any, prompt: str, field: str, back: Any, skip: bool = True) -> Window:
    widgets: list[Any] = [
        Multi(
            TrFormat(N_("New contact person of <b>{partner}</b>")),
            Format("{summary}", when="has_summary"),
            Tr(prompt),
            ERROR,
        ),
        TextInput(id=f"contact_{field}", on_success=h.contact_field_handler(field)),
    ]
    if skip:
        widgets.append(
            Button(Tr(N_("Skip"), prefix="⏭ "), id="skip", on_click=h.contact_skip_handler(field))
        )
    widgets.append(nav(back))
    return Window(*widgets, state=state, getter=contact_step_getter)


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                Tr(HEADER),
                Tr(
                    N_("Type a part of the name, the EDRPOU / RNOKPP, a phone number or an e-mail.")
                ),
                ERROR,
                TextInput(id="query", on_success=h.on_query),
                Button(Tr(N_("My partners"), prefix="📋 "), id="mine", on_click=h.on_mine),
                Row(Cancel(back_text(), id="back"), home_button()),
                state=PartnersSG.SEARCH,
                getter=search_getter,
            ),
            Window(
                Tr(HEADER),
                TrFormat(N_("Found for «{query}»:"), when="found"),
                TrFormat(N_("Nothing found for «{query}»."), when="nothing"),
                Tr(N_("Your partners:"), when="mine"),
                Tr(N_("You have no partners yet."), when="none_mine"),
                ERROR,
                Column(
                    Select(
                        Format("{item[label]}"),
                        id="partner",
                        item_id_getter=itemgetter("id"),
                        items="partners",
                        on_click=h.on_partner_selected,
                    )
                ),
                StubScroll(id=LIST_SCROLL, pages="pages"),
                pager(LIST_SCROLL),
                SwitchTo(Tr(N_("Search"), prefix="🔎 "), id="search", state=PartnersSG.SEARCH),
                nav(PartnersSG.SEARCH),
                TextInput(id="requery", on_success=h.on_query),
                state=PartnersSG.LIST,
                getter=list_getter,
            ),
            Window(
                Format("{card}"),
                Format("\n{note}", when="has_note"),
                ERROR,
                ScrollingGroup(
                    Select(
                        Format("📂 {item[label]}"),
                        id="deal",
                        item_id_getter=itemgetter("id"),
                        items="deals",
                        on_click=h.on_deal_selected,
                    ),
                    id="deals",
                    width=1,
                    height=5,
                    hide_on_single_page=True,
                ),
                Row(
                    Button(
                        TrLabel(N_("Contacts ({contacts_count})"), prefix="👥 "),
                        id="contacts",
                        on_click=h.on_contacts,
                    ),
                    Button(
                        Tr(N_("Add a contact"), prefix="➕ "), id="add", on_click=h.on_add_contact
                    ),
                ),
                Row(
                    Button(Tr(N_("New deal"), prefix="💼 "), id="new_deal", on_click=h.on_new_deal),
                    Button(Tr(N_("Log a call"), prefix="📞 "), id="log", on_click=h.on_log_call),
                ),
                Row(
                    Button(
                        Tr(N_("Register a claim"), prefix="📮 "),
                        id="claim",
                        on_click=on_claim_from_partner,
                        when=claims_installed,
                    ),
                    Button(
                        Tr(N_("Claims"), prefix="📂 "),
                        id="claims",
                        on_click=on_partner_claims,
                        when=claims_installed,
                    ),
                ),
                nav(Button(back_text(), id="back", on_click=h.on_card_back)),
                state=PartnersSG.CARD,
                getter=card_getter,
            ),
            Window(
                TrFormat(N_("<b>Contact persons of {partner}</b>")),
                Format("{contacts}"),
                Tr(N_("No contact persons yet."), when="none"),
                StubScroll(id=CONTACTS_SCROLL, pages="pages"),
                pager(CONTACTS_SCROLL),
                Button(Tr(N_("Add a contact"), prefix="➕ "), id="add", on_click=h.on_add_contact),
                nav(PartnersSG.CARD),
                state=PartnersSG.CONTACTS,
                getter=contacts_getter,
            ),
            _contact_step(
                PartnersSG.ADD_CONTACT_NAME,
                N_("Full name:"),
                "full_name",
                Button(back_text(), id="back", on_click=h.on_contact_cancel),
                skip=False,
            ),
            _contact_step(
                PartnersSG.ADD_CONTACT_POSITION,
                N_("Position, e.g. procurement manager:"),
                "position",
                PartnersSG.ADD_CONTACT_NAME,
            ),
            _contact_step(
                PartnersSG.ADD_CONTACT_PHONE,
                N_("Phone number:"),
                "phone",
                PartnersSG.ADD_CONTACT_POSITION,
            ),
            _contact_step(
                PartnersSG.ADD_CONTACT_EMAIL,
                N_("E-mail:"),
                "email",
                PartnersSG.ADD_CONTACT_PHONE,
            ),
            Window(
                TrFormat(N_("New contact person of <b>{partner}</b>")),
                Tr(N_("Check and save:")),
                Format("{summary}"),
                ERROR,
                Button(Tr(N_("Save"), prefix="✅ "), id="save", on_click=h.on_contact_save),
                nav(PartnersSG.ADD_CONTACT_EMAIL),
                state=PartnersSG.CONFIRM,
                getter=contact_step_getter,
            ),
            on_start=h.on_start,
        )
    ]
