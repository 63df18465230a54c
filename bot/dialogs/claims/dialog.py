"""Claims (претензійна робота): the list, the claim card, and registering a claim.

    await manager.start(ClaimsSG.LIST)                              my claims (a head: the team's)
    await manager.start(ClaimsSG.LIST, data={"claim_id": <int>})    that claim's card
    await manager.start(ClaimsSG.LIST, data={"partner_id": <int>})  the partner's claims
    await manager.start(ClaimNewSG.PARTNER_SEARCH, data={"deal_id": <int>})   register a claim
    (or {"partner_id": <int>}, or nothing: the partner is searched first)

The list filters open / overdue / closed claims, pages them from the database, and finds a claim
by its number. The card shows the partner, the basis, the cause, the amount, the responsible
person, the status and the due date (🔥 when overdue), the files and the open tasks; the history
is paged. Actions follow the status and the role (`services.claims.get_claim_card().actions`):
take into work, plan a task, close as satisfied (resolution, guilty department and employee) or
not satisfied (resolution), reopen, reassign (heads and admins), add a note, attach a photo or a
file sent in the chat. Ids are re-checked on the server for every press (`services.claims`).
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.enums import ContentType
from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Column,
    Group,
    NextPage,
    PrevPage,
    Row,
    ScrollingGroup,
    StubScroll,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Const, Format, Multi

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.claims import getters as g
from bot.dialogs.claims import handlers as h
from bot.dialogs.states import ClaimNewSG, ClaimsSG
from bot.dialogs.widgets import Tr, TrFormat, back_button, home_button, nav, paged, pick
from core.i18n import N_

MENU_ENTRIES = (
    MenuEntry(id="claims", title=N_("Claims"), state=ClaimsSG.LIST, order=ORDER["claims"]),
)

FILE_TYPES = [ContentType.PHOTO, ContentType.DOCUMENT]
STATUS = Multi(Format("{notice}", when="has_notice"), Format("{error}", when="has_error"))
ERROR = Format("{error}", when="has_error")
NAME = "{item[name]}"


def _scrolled(items: str, widget_id: str, on_click: Any, height: int = 8) -> ScrollingGroup:
    return paged(pick(items, widget_id, on_click, label=NAME), f"{widget_id}_scroll", height=height)


def _to_card() -> Row:
    return nav(back_button(h.on_to_card))


def _text_step(state: Any, question: str, on_success: Any, *extra: Any) -> Window:
    return Window(
        TrFormat(N_("<b>Claim {number}</b>")),
        Tr(question),
        ERROR,
        TextInput(id=f"{state.state.split(':')[-1].lower()}_text", on_success=on_success),
        MessageInput(h.on_not_text),
        *extra,
        _to_card(),
        state=state,
        getter=g.number_getter,
    )


# --- the list and the card ----------------------------------------------------------------------


def _list() -> Window:
    return Window(
        Format("{title}"),
        Format("{counted}"),
        Tr(N_("Nothing here."), when="empty"),
        STATUS,
        Group(pick("filters", "filter", h.on_filter, label=NAME), width=3),
        Column(pick("claims", "claim", h.on_claim_selected)),
        StubScroll(id=g.LIST_SCROLL, pages="pages"),
        Row(
            PrevPage(scroll=g.LIST_SCROLL, id="prev", text=Const("◀️"), when=F["data"]["has_prev"]),
            NextPage(scroll=g.LIST_SCROLL, id="next", text=Const("▶️"), when=F["data"]["has_next"]),
        ),
        Row(
            Button(
                Tr(N_("Only mine"), prefix="👤 "),
                id="only_mine",
                on_click=h.on_scope,
                when="show_mine",
            ),
            Button(
                Tr(N_("Everyone's"), prefix="👥 "),
                id="everyone",
                on_click=h.on_scope,
                when="show_everyone",
            ),
        ),
        Row(
            SwitchTo(Tr(N_("Find by number"), prefix="🔎 "), id="search", state=ClaimsSG.SEARCH),
            Button(Tr(N_("Register a claim"), prefix="➕ "), id="new", on_click=h.on_new_claim),
        ),
        nav(back_button(h.on_list_back)),
        state=ClaimsSG.LIST,
        getter=g.list_getter,
    )


def _search() -> Window:
    return Window(
        Tr(N_("Type the claim's number, e.g. C-000042 or 42:")),
        ERROR,
        TextInput(id="number", on_success=h.on_search),
        MessageInput(h.on_not_text),
        nav(ClaimsSG.LIST),
        state=ClaimsSG.SEARCH,
        getter=g.search_getter,
    )


def _card() -> Window:
    return Window(
        STATUS,
        Format("{body}"),
        Button(Tr(N_("Take into work"), prefix="🛠 "), id="take", on_click=h.on_take,
               when="can_take"),
        Row(
            Button(Tr(N_("Close the claim"), prefix="🏁 "), id="close", on_click=h.on_close,
                   when="can_close"),
            Button(Tr(N_("Reopen"), prefix="↩️ "), id="reopen", on_click=h.on_reopen,
                   when="can_reopen"),
            Button(Tr(N_("Plan a task"), prefix="🗓 "), id="plan", on_click=h.on_plan,
                   when="can_plan"),
        ),
        Row(
            Button(Tr(N_("Add a note"), prefix="📝 "), id="note", on_click=h.on_note,
                   when="can_note"),
            Button(Tr(N_("Attach a photo or file"), prefix="📎 "), id="attach",
                   on_click=h.on_attach, when="can_attach"),
        ),
        Row(
            Button(Tr(N_("History"), prefix="🕓 "), id="timeline", on_click=h.on_timeline),
            Button(Tr(N_("Reassign"), prefix="👤 "), id="reassign", on_click=h.on_reassign,
                   when="can_reassign"),
        ),
        nav(back_button(h.on_card_back)),
        state=ClaimsSG.CARD,
        getter=g.card_getter,
    )  # fmt: skip


def _timeline() -> Window:
    return Window(
        Format("{body}"),
        Row(
            Button(Tr(N_("Newer"), prefix="◀️ "), id="newer", on_click=h.on_newer, when="has_newer"),
            Button(Tr(N_("Older"), prefix="▶️ "), id="older", on_click=h.on_older, when="has_older"),
        ),
        _to_card(),
        state=ClaimsSG.TIMELINE,
        getter=g.timeline_getter,
    )


def _attach() -> Window:
    return Window(
        TrFormat(N_("<b>Claim {number}</b>")),
        Tr(N_("Send a photo or a file: it will be attached to the claim.")),
        ERROR,
        MessageInput(h.on_card_file, content_types=FILE_TYPES),
        MessageInput(h.on_not_file),
        _to_card(),
        state=ClaimsSG.ATTACH,
        getter=g.number_getter,
    )


def _close_outcome() -> Window:
    return Window(
        TrFormat(N_("<b>Claim {number}</b>")),
        Tr(N_("How is the claim resolved?")),
        Column(pick("outcomes", "outcome", h.on_outcome, label=NAME)),
        _to_card(),
        state=ClaimsSG.CLOSE_OUTCOME,
        getter=g.number_getter,
    )


def _close_department() -> Window:
    return Window(
        TrFormat(N_("<b>Claim {number}</b>: {outcome}")),
        Tr(N_("Which department is to blame? Type it, or skip.")),
        ERROR,
        TextInput(id="department", on_success=h.on_department),
        MessageInput(h.on_not_text),
        Button(Tr(N_("Skip"), prefix="⏭ "), id="skip", on_click=h.on_department_skip),
        _to_card(),
        state=ClaimsSG.CLOSE_DEPARTMENT,
        getter=g.number_getter,
    )


def _people(state: Any, question: str, on_click: Any, *extra: Any) -> Window:
    return Window(
        TrFormat(N_("<b>Claim {number}</b>")),
        Tr(question),
        Tr(N_("Nobody to choose from."), when="none"),
        STATUS,
        _scrolled("people", "person", on_click),
        *extra,
        _to_card(),
        state=state,
        getter=g.people_getter,
    )


def _plan_due() -> Window:
    return Window(
        TrFormat(N_("<b>Claim {number}</b>")),
        Tr(N_("By when must the task be done?")),
        Group(pick("due_choices", "due", h.on_plan_due, label=NAME), width=3),
        _to_card(),
        state=ClaimsSG.PLAN_DUE,
        getter=g.people_getter,
    )


def _confirm() -> Window:
    return Window(
        Format("{body}"),
        ERROR,
        Row(
            Button(Tr(N_("Confirm"), prefix="✅ "), id="confirm", on_click=h.on_confirm),
            Button(Tr(N_("Cancel"), prefix="✖️ "), id="cancel", on_click=h.on_to_card),
        ),
        home_button(),
        state=ClaimsSG.CONFIRM,
        getter=g.confirm_getter,
    )


def _claims_dialog() -> Dialog:
    return Dialog(
        _list(),
        _search(),
        _card(),
        _timeline(),
        _text_step(ClaimsSG.NOTE, N_("Type the note:"), h.on_note_text),
        _attach(),
        _close_outcome(),
        _text_step(
            ClaimsSG.CLOSE_RESOLUTION,
            N_("What was decided? Type the resolution:"),
            h.on_resolution,
        ),
        _close_department(),
        _people(
            ClaimsSG.CLOSE_GUILTY,
            N_("Which employee is to blame? Choose, or skip."),
            h.on_guilty,
            Button(Tr(N_("Skip"), prefix="⏭ "), id="skip", on_click=h.on_guilty_skip),
        ),
        _text_step(
            ClaimsSG.REOPEN, N_("Why is the claim reopened? Type the reason:"), h.on_reopen_text
        ),
        _text_step(ClaimsSG.PLAN_TITLE, N_("What is to be done? Type the task:"), h.on_plan_title),
        _people(ClaimsSG.PLAN_PERFORMER, N_("Who will do it?"), h.on_plan_performer),
        _plan_due(),
        _people(
            ClaimsSG.REASSIGN,
            N_("Who will be responsible for the claim instead?"),
            h.on_reassign_to,
        ),
        _confirm(),
        on_start=h.on_claims_start,
    )


# --- registering a claim ------------------------------------------------------------------------

NEW_HEADER = N_("<b>New claim</b>")
SUMMARY = Format("{summary}", when="has_summary")


def _new_dialog() -> Dialog:
    S = ClaimNewSG
    return Dialog(
        Window(
            Tr(NEW_HEADER),
            Tr(N_("Whose claim is it? Type a part of the partner's name, its EDRPOU or phone:")),
            ERROR,
            TextInput(id="partner_query", on_success=h.on_partner_query),
            MessageInput(h.on_not_text),
            nav(back_button(h.on_new_cancel)),
            state=S.PARTNER_SEARCH,
            getter=g.new_summary_getter,
        ),
        Window(
            Tr(NEW_HEADER),
            TrFormat(N_("Found for «{query}»:")),
            Tr(N_("Nothing found: try another part of the name."), when="none"),
            _scrolled("partners", "partner", h.on_partner_picked),
            TextInput(id="partner_requery", on_success=h.on_partner_query),
            nav(S.PARTNER_SEARCH),
            state=S.PARTNER_PICK,
            getter=g.new_partner_pick_getter,
        ),
        Window(
            Tr(NEW_HEADER),
            SUMMARY,
            Tr(N_("What is the claim about? Choose the cause:")),
            ERROR,
            _scrolled("causes", "cause", h.on_cause, height=12),
            nav(back_button(h.on_cause_back)),
            state=S.CAUSE,
            getter=g.causes_getter,
        ),
        Window(
            Tr(NEW_HEADER),
            SUMMARY,
            Tr(N_("Describe the claim: what happened, which goods, how many?")),
            ERROR,
            TextInput(id="description", on_success=h.on_description),
            MessageInput(h.on_not_text),
            nav(S.CAUSE),
            state=S.DESCRIPTION,
            getter=g.new_summary_getter,
        ),
        Window(
            Tr(NEW_HEADER),
            SUMMARY,
            Tr(N_("What amount does the client claim, in UAH? E.g. 1 234,56. Or skip.")),
            ERROR,
            TextInput(id="amount", on_success=h.on_amount),
            MessageInput(h.on_not_text),
            Button(Tr(N_("No amount"), prefix="⏭ "), id="no_amount", on_click=h.on_amount_skip),
            nav(S.DESCRIPTION),
            state=S.AMOUNT,
            getter=g.new_summary_getter,
        ),
        Window(
            Tr(NEW_HEADER),
            SUMMARY,
            TrFormat(N_("Responsible: <b>{responsible}</b>. Keep, or choose another:")),
            SwitchTo(Tr(N_("Keep"), prefix="✅ "), id="keep", state=S.PHOTOS),
            _scrolled("people", "responsible", h.on_responsible, height=6),
            nav(S.AMOUNT),
            state=S.RESPONSIBLE,
            getter=g.responsible_getter,
        ),
        Window(
            Tr(NEW_HEADER),
            SUMMARY,
            Tr(N_("Send photos of the damaged goods or documents (one or more), then press Done.")),
            Format("{files_line}", when="has_files"),
            ERROR,
            MessageInput(h.on_new_file, content_types=FILE_TYPES),
            MessageInput(h.on_not_file),
            Button(
                Tr(N_("Done"), prefix="✅ "), id="done", on_click=h.on_photos_done, when="has_files"
            ),
            Button(
                Tr(N_("Without photos"), prefix="⏭ "),
                id="no_photos",
                on_click=h.on_photos_done,
                when="no_files",
            ),
            nav(S.RESPONSIBLE),
            state=S.PHOTOS,
            getter=g.photos_getter,
        ),
        Window(
            Tr(NEW_HEADER),
            Tr(N_("Check and register:")),
            Format("{body}"),
            ERROR,
            Button(Tr(N_("Register"), prefix="✅ "), id="register", on_click=h.on_register),
            nav(S.PHOTOS),
            state=S.CONFIRM,
            getter=g.new_confirm_getter,
        ),
        on_start=h.on_new_start,
    )


def build_dialogs() -> list[Dialog]:
    return [_claims_dialog(), _new_dialog()]
