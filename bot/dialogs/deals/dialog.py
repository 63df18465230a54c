"""My deals: a list paged in SQL (8 deals a page), with filters (status, process kind, stage)
and a tolerant search by number, title or partner. A manager sees their own deals, a head of
sales the team's, an administrator all (`services.access`). A deal opens its card
(`DealCardSG.MAIN`, bot/dialogs/deal_card).

Another dialog may start the list with `DealsSG.LIST` and the data
`{"status": "open" | "won" | "lost" | "all", "search": str}` (both optional).
"""

from __future__ import annotations

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import TextInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Column,
    CurrentPage,
    NextPage,
    PrevPage,
    Row,
    StubScroll,
    SwitchTo,
)
from aiogram_dialog.widgets.text import Const, Format, Multi

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.deals import handlers as h
from bot.dialogs.deals.getters import (
    SCROLL_ID,
    filters_getter,
    kinds_getter,
    list_getter,
    search_getter,
    stages_getter,
)
from bot.dialogs.states import DealsSG
from bot.dialogs.widgets import Tr, TrFormat, TrLabel, home_button, nav, paged, pick
from core.i18n import N_

MENU_ENTRIES = (
    MenuEntry(id="my_deals", title=N_("My deals"), state=DealsSG.LIST, order=ORDER["my_deals"]),
)


_MARKED = "{item[mark]}{item[name]}"  # a filter choice: ✅ on the chosen one


def _list_window() -> Window:
    return Window(
        Format("{body}"),
        Column(pick("deals", "deal", h.on_deal_selected)),
        StubScroll(id=SCROLL_ID, pages="pages"),
        Row(
            PrevPage(scroll=SCROLL_ID, id="pg_prev", text=Const("◀️")),
            CurrentPage(scroll=SCROLL_ID, id="pg_cur", text=Format("{current_page1}/{pages}")),
            NextPage(scroll=SCROLL_ID, id="pg_next", text=Const("▶️")),
            when="multipage",
        ),
        Row(
            SwitchTo(Tr(N_("Search"), prefix="🔍 "), id="search", state=DealsSG.SEARCH),
            SwitchTo(Tr(N_("Filters"), prefix="⚙️ "), id="filters", state=DealsSG.FILTERS),
        ),
        Button(
            Tr(N_("Clear filters"), prefix="✖️ "),
            id="clear",
            on_click=h.on_filters_cleared,
            when="filtered",
        ),
        home_button(),
        state=DealsSG.LIST,
        getter=list_getter,
    )


def _search_window() -> Window:
    return Window(
        Multi(
            Tr(N_("Type a deal number, a part of its title or the partner's name:")),
            Format("{current}", when="has_search"),
            Format("{error}", when="has_error"),
        ),
        TextInput(id="search_text", on_success=h.on_search),
        Button(
            Tr(N_("Clear the search"), prefix="✖️ "),
            id="clear_search",
            on_click=h.on_search_cleared,
            when="has_search",
        ),
        nav(DealsSG.LIST),
        state=DealsSG.SEARCH,
        getter=search_getter,
    )


def _filters_window() -> Window:
    return Window(
        TrFormat(N_("<b>Filters</b>\nStatus, process kind and stage of the deals to show.")),
        Row(pick("statuses", "status", h.on_status_selected, label=_MARKED)),
        SwitchTo(TrLabel(N_("Kind: {kind}"), prefix="🗂 "), id="f_kind", state=DealsSG.FILTER_KIND),
        SwitchTo(
            TrLabel(N_("Stage: {stage}"), prefix="🚩 "), id="f_stage", state=DealsSG.FILTER_STAGE
        ),
        SwitchTo(
            TrLabel(N_("Show the deals ({total})"), prefix="📋 "), id="show", state=DealsSG.LIST
        ),
        Button(
            Tr(N_("Clear filters"), prefix="✖️ "),
            id="clear",
            on_click=h.on_filters_cleared,
            when="filtered",
        ),
        nav(DealsSG.LIST),
        state=DealsSG.FILTERS,
        getter=filters_getter,
    )


def _kind_window() -> Window:
    return Window(
        Tr(N_("Choose the process kind:")),
        Column(pick("kinds", "kind", h.on_kind_selected, label=_MARKED)),
        Button(Tr(N_("Any kind")), id="kind_any", on_click=_any(h.on_kind_selected)),
        nav(DealsSG.FILTERS),
        state=DealsSG.FILTER_KIND,
        getter=kinds_getter,
    )


def _stage_window() -> Window:
    return Window(
        Tr(N_("Choose the stage:")),
        paged(
            pick("stages", "stage", h.on_stage_selected, label=_MARKED), "stages_scroll", height=8
        ),
        Button(Tr(N_("Any stage")), id="stage_any", on_click=_any(h.on_stage_selected)),
        nav(DealsSG.FILTERS),
        state=DealsSG.FILTER_STAGE,
        getter=stages_getter,
    )


def _any(select_handler):  # type: ignore[no-untyped-def]
    """A plain button that picks "any" (id 0) through the Select's handler."""

    async def on_click(callback, button, manager):  # type: ignore[no-untyped-def]
        await select_handler(callback, button, manager, "0")

    return on_click


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            _list_window(),
            _search_window(),
            _filters_window(),
            _kind_window(),
            _stage_window(),
            on_start=h.on_start_list,
        )
    ]
