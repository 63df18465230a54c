"""New deal: what each window shows (data only; services do the work)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram_dialog import DialogManager

from bot.access import require_role
from bot.dialogs.partners.common import MATCH_NAMES, error_line, kind_name, short
from bot.texts.helpers import Html, Translator, escape
from core.i18n import N_, format_date, format_money
from models.employee import Employee
from services import new_deal as new_deal_service
from services import partner_view

PAGE_SIZE = 8
FOUND_SCROLL = "found"


async def _kind_names(locale: str) -> dict[int, str]:
    return {k.id: kind_name(k, locale) for k in await new_deal_service.list_new_deal_kinds()}


def _new_partner_line(new: dict[str, Any], i18n: Translator) -> str:
    parts = [f"<b>{escape(new.get('name', ''))}</b> " + i18n(N_("(new)"))]
    if new.get("tax_id"):
        parts.append(i18n(N_("tax id %(code)s"), code=escape(new["tax_id"])))
    if new.get("contact_name"):
        parts.append(i18n(N_("contact %(name)s"), name=escape(new["contact_name"])))
    if new.get("phone"):
        parts.append(escape(partner_view.format_phone(new["phone"])))
    return " · ".join(parts)


async def summary(manager: DialogManager, i18n: Translator, locale: str) -> Html:
    """Everything chosen and typed so far, one line each (the echo before anything is written)."""
    data = manager.dialog_data
    lines = []
    if data.get("new_partner"):
        lines.append(
            i18n(N_("Client: %(client)s"), client=_new_partner_line(data["new_partner"], i18n))
        )
    elif data.get("partner_id"):
        lines.append(
            i18n(N_("Client: %(client)s"), client=f"<b>{escape(data['partner_name'])}</b>")
        )
    if data.get("kind_id"):
        name = (await _kind_names(locale)).get(data["kind_id"], "?")
        lines.append(i18n(N_("Process: %(kind)s"), kind=escape(name)))
    if data.get("title"):
        lines.append(i18n(N_("Title: %(title)s"), title=escape(data["title"])))
    if data.get("potential_minor") is not None:
        amount = format_money(data["potential_minor"], "UAH", locale)
        lines.append(i18n(N_("Potential: %(amount)s"), amount=amount))
    if data.get("close_on"):
        closing = format_date(dt.date.fromisoformat(data["close_on"]), locale)
        lines.append(i18n(N_("Expected closing: %(date)s"), date=closing))
    return Html("\n".join(lines))


async def step_getter(
    dialog_manager: DialogManager,
    employee: Employee | None,
    i18n: Translator,
    locale: str,
    **kwargs: Any,
) -> dict[str, Any]:
    require_role(employee)
    text = await summary(dialog_manager, i18n, locale)
    return {
        "summary": text,
        "has_summary": bool(text),
        "error": error_line(dialog_manager),
        "has_error": bool(error_line(dialog_manager)),
    }


async def found_getter(
    dialog_manager: DialogManager,
    employee: Employee | None,
    i18n: Translator,
    locale: str,
    **kwargs: Any,
) -> dict[str, Any]:
    query = dialog_manager.dialog_data.get("query", "")
    page = await dialog_manager.find(FOUND_SCROLL).get_page()
    rows = await partner_view.search_partners_for(
        employee, query, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE
    )
    more = len(rows) > PAGE_SIZE
    items = [
        {"id": str(row.id), "label": short(row.name + (f" · {row.tax_id}" if row.tax_id else ""))}
        for row in rows[:PAGE_SIZE]
    ]
    return {
        **await step_getter(dialog_manager, employee, i18n, locale),
        "query": query,
        "partners": items,
        "found": bool(items),
        "nothing": not items,
        "pages": page + 2 if more else page + 1,
        "has_prev": page > 0,
        "has_next": more,
    }


async def duplicates_getter(
    dialog_manager: DialogManager,
    employee: Employee | None,
    i18n: Translator,
    locale: str,
    **kwargs: Any,
) -> dict[str, Any]:
    candidates = dialog_manager.dialog_data.get("duplicates", [])
    lines = []
    for candidate in candidates:
        matched = ", ".join(i18n(MATCH_NAMES.get(m, m)) for m in candidate["matched"])
        mark = "" if candidate["visible"] else " " + i18n(N_("(another manager's)"))
        lines.append(f"• <b>{escape(short(candidate['name'], 80))}</b>{mark}: {matched}")
    return {
        **await step_getter(dialog_manager, employee, i18n, locale),
        "candidates": Html("\n".join(lines)),
        "usable": [
            {"id": str(c["id"]), "label": short(c["name"])} for c in candidates if c["visible"]
        ],
    }


async def kinds_getter(
    dialog_manager: DialogManager,
    employee: Employee | None,
    i18n: Translator,
    locale: str,
    **kwargs: Any,
) -> dict[str, Any]:
    kinds = await new_deal_service.list_new_deal_kinds()
    return {
        **await step_getter(dialog_manager, employee, i18n, locale),
        "kinds": [{"id": str(k.id), "name": kind_name(k, locale)} for k in kinds],
        "no_kinds": not kinds,
    }


async def done_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    start = dialog_manager.start_data if isinstance(dialog_manager.start_data, dict) else {}
    return {"number": start.get("deal_number", "")}
