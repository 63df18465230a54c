"""Window data for Reports (every getter re-checks the role: heads and admins only)."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from bot.dialogs.reports.handlers import PAGE_KEY, PERIOD_KEY, REPORT_KEY, head, run_for, spec_of
from bot.dialogs.reports.periods import PERIODS
from bot.dialogs.widgets import locale_of
from bot.texts.helpers import Html, escape, split_text
from core.i18n import gettext
from services import analytics

# Room for the window's own lines under the report's text, within Telegram's 4,096.
PAGE_LIMIT = 3800


async def list_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    head(dialog_manager)
    locale = locale_of(dialog_manager)
    reports = [
        {"id": spec.name, "label": gettext(spec.title, locale)} for spec in analytics.list_reports()
    ]
    return {"reports": reports}


async def period_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    head(dialog_manager)
    locale = locale_of(dialog_manager)
    spec = spec_of(dialog_manager.dialog_data.get(REPORT_KEY))
    return {
        "title": gettext(spec.title, locale),
        "periods": [{"id": key, "label": gettext(msgid, locale)} for key, msgid in PERIODS.items()],
    }


async def report_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    employee = head(dialog_manager)
    locale = locale_of(dialog_manager)
    data = dialog_manager.dialog_data
    spec, result = await run_for(employee, data.get(REPORT_KEY), data.get(PERIOD_KEY))
    pages = split_text(escape(analytics.render_summary(spec, result, locale)).rstrip(), PAGE_LIMIT)
    page = data.get(PAGE_KEY)
    page = min(page if isinstance(page, int) and page >= 0 else 0, len(pages) - 1)
    data[PAGE_KEY] = page
    return {
        "text": Html(pages[page]),
        "page": page + 1,
        "pages": len(pages),
        "paged": len(pages) > 1,
        "has_prev": page > 0,
        "has_next": page < len(pages) - 1,
    }
