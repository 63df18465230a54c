"""Reports (heads and admins): the analytics registry's reports -> a period (this month, last
month, last 90 days) -> the report's short text (paged), its chart as a photo, and an XLSX
file on request."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Button, Column, Row, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.access import HEADS
from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.log_interaction.common import back_text, nav
from bot.dialogs.reports import handlers as h
from bot.dialogs.reports.getters import list_getter, period_getter, report_getter
from bot.dialogs.states import ReportsSG
from bot.dialogs.widgets import Tr, TrFormat
from core.i18n import N_

MENU_ENTRIES = (
    MenuEntry(
        id="reports",
        title=N_("Reports"),
        state=ReportsSG.LIST,
        order=ORDER["reports"],
        roles=HEADS,
    ),
)


def build_dialogs() -> list[Dialog]:
    select_kw: dict[str, Any] = {"item_id_getter": itemgetter("id")}
    return [
        Dialog(
            Window(
                Tr(N_("<b>Reports</b>: which one?")),
                ScrollingGroup(
                    Select(
                        Format("{item[label]}"),
                        id="report",
                        items="reports",
                        on_click=h.on_report,
                        **select_kw,
                    ),
                    id="reports_scroll",
                    width=1,
                    height=10,  # every report on one page (nine today)
                    hide_on_single_page=True,
                ),
                nav(),
                state=ReportsSG.LIST,
                getter=list_getter,
            ),
            Window(
                TrFormat(N_("<b>{title}</b>: for which period?")),
                Column(
                    Select(
                        Format("{item[label]}"),
                        id="period",
                        items="periods",
                        on_click=h.on_period,
                        **select_kw,
                    ),
                ),
                nav(SwitchTo(back_text(), id="back", state=ReportsSG.LIST)),
                state=ReportsSG.PERIOD,
                getter=period_getter,
            ),
            Window(
                Format("{text}"),
                TrFormat(N_("Page {page} of {pages}"), when="paged"),
                Row(
                    Button(
                        Tr(N_("Previous"), prefix="◀️ "),
                        id="prev",
                        on_click=h.on_page,
                        when="has_prev",
                    ),
                    Button(
                        Tr(N_("Next"), prefix="▶️ "), id="next", on_click=h.on_page, when="has_next"
                    ),
                ),
                Button(Tr(N_("XLSX"), prefix="📊 "), id="xlsx", on_click=h.on_xlsx),
                nav(SwitchTo(back_text(), id="back", state=ReportsSG.PERIOD)),
                state=ReportsSG.REPORT,
                getter=report_getter,
            ),
        ),
    ]
