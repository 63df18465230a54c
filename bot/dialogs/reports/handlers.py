"""Reports: pick a report, pick a period, read its text (paged), get its chart and its XLSX.

Heads and admins only: the menu entry is role-gated, and every callback re-checks the role on
the server (`require_role(employee, *HEADS)`), so a forged press by a manager opens nothing.
The scope (a head: the team's figures, an admin: everyone's) is decided by the analytics
services from the viewer passed in `ReportParams`."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.kbd import Button, Select

from bot.access import HEADS, require_role
from bot.dialogs.reports.periods import PERIODS, period_days
from bot.dialogs.states import ReportsSG
from bot.dialogs.widgets import locale_of
from core.errors import NotFound
from core.i18n import N_, gettext
from models.base import Role
from models.employee import Employee
from services import analytics
from services.analytics import ReportParams, ReportResult, ReportSpec
from services.analytics.export import render_xlsx

REPORT_KEY = "report"
PERIOD_KEY = "period"
PAGE_KEY = "page"
CHART_CAPTION = N_("%(title)s: %(date_from)s – %(date_to)s")


def head(manager: DialogManager) -> Employee:
    """The acting employee when they are a head or an admin, else AccessDenied."""
    return require_role(manager.middleware_data.get("employee"), *HEADS)


def spec_of(name: Any) -> ReportSpec:
    """A registered report by name (NotFound for a forged or stale one)."""
    if not isinstance(name, str):
        raise NotFound("not_found", what="report")
    return analytics.get_report(name)


async def run_for(employee: Employee, name: Any, period: Any) -> tuple[ReportSpec, ReportResult]:
    """Run report `name` over `period` as `employee` sees it (their scope, their time zone)."""
    spec = spec_of(name)
    tz = employee.timezone or "Europe/Kyiv"
    try:
        date_from, date_to = period_days(str(period), tz)
    except KeyError:
        raise NotFound("not_found", what="period") from None
    params = ReportParams(
        viewer_id=employee.id,
        viewer_role=Role(employee.role),
        date_from=date_from,
        date_to=date_to,
        tz=tz,
    )
    return spec, await spec.run(params)


def _chat_id(manager: DialogManager) -> int:
    return manager.event.message.chat.id if isinstance(manager.event, CallbackQuery) else 0


async def on_report(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    head(manager)
    spec = spec_of(item_id)
    manager.dialog_data[REPORT_KEY] = spec.name
    await manager.switch_to(ReportsSG.PERIOD)


async def on_period(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    """Run the report, send its chart as a photo, then show its text below the picture."""
    employee = head(manager)
    if item_id not in PERIODS:
        raise NotFound("not_found", what="period")
    spec, result = await run_for(employee, manager.dialog_data.get(REPORT_KEY), item_id)
    manager.dialog_data[PERIOD_KEY] = item_id
    manager.dialog_data[PAGE_KEY] = 0
    if spec.chart is None:
        await manager.switch_to(ReportsSG.REPORT)
        return
    locale = locale_of(manager)
    bot = manager.middleware_data["bot"]
    chat_id = _chat_id(manager)
    with contextlib.suppress(TelegramAPIError):
        await bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    png = await asyncio.to_thread(analytics.render_chart, spec, result, locale)
    if png:
        caption = gettext(CHART_CAPTION, locale) % {
            "title": gettext(spec.title, locale),
            "date_from": result.period.date_from.strftime("%d.%m.%Y"),
            "date_to": result.period.date_to.strftime("%d.%m.%Y"),
        }
        await bot.send_photo(
            chat_id, BufferedInputFile(png, filename=f"{spec.name}.png"), caption=caption
        )
        manager.show_mode = ShowMode.DELETE_AND_SEND  # the text goes below the picture
    await manager.switch_to(ReportsSG.REPORT)


async def on_xlsx(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    employee = head(manager)
    spec, result = await run_for(
        employee, manager.dialog_data.get(REPORT_KEY), manager.dialog_data.get(PERIOD_KEY)
    )
    locale = locale_of(manager)
    bot = manager.middleware_data["bot"]
    chat_id = _chat_id(manager)
    with contextlib.suppress(TelegramAPIError):
        await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    data = await asyncio.to_thread(render_xlsx, result, locale)
    filename = f"{spec.name}_{result.period.date_from:%Y%m%d}_{result.period.date_to:%Y%m%d}.xlsx"
    await bot.send_document(chat_id, BufferedInputFile(data, filename=filename))
    manager.show_mode = ShowMode.DELETE_AND_SEND  # the window stays the last message


async def on_page(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    head(manager)
    step = 1 if button.widget_id == "next" else -1
    page = manager.dialog_data.get(PAGE_KEY)
    manager.dialog_data[PAGE_KEY] = max(0, (page if isinstance(page, int) else 0) + step)
