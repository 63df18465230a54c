"""My deals: data for the list, the search and the filters (every query through services)."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from bot.dialogs.deals.common import (
    STATUS_MARKS,
    STATUS_NAMES,
    error_line,
    local_name,
    short,
    tr,
)
from bot.texts.helpers import Html, escape
from core.i18n import N_, format_money, gettext, ngettext
from models.base import Role
from models.employee import Employee
from services.deal_card import list_deals_for, list_kind_choices, list_stage_choices

PAGE_SIZE = 8
SCROLL_ID = "deals_page"
STATUS_CHOICES = ("open", "won", "lost", "all")
ALL_STATUSES = N_("All")
CHECK = "✅ "

HEADINGS = {
    Role.MANAGER: N_("My deals"),
    Role.HEAD: N_("My team's deals"),
    Role.ADMIN: N_("All deals"),
}


def filters_of(manager: DialogManager) -> dict[str, Any]:
    """The list's filters from dialog data (JSON primitives)."""
    data = manager.dialog_data
    status = data.get("status", "open")
    return {
        "status": None if status == "all" else status,
        "kind_id": data.get("kind_id"),
        "stage_id": data.get("stage_id"),
        "search": data.get("search", ""),
    }


async def _names(manager: DialogManager, locale: str) -> tuple[str | None, str | None]:
    """The chosen kind's and stage's names (None when not filtered)."""
    data = manager.dialog_data
    kind_name = stage_name = None
    if data.get("kind_id") is not None:
        kind = next((k for k in await list_kind_choices() if k.id == data["kind_id"]), None)
        kind_name = local_name(kind.name_uk, kind.name_en, locale) if kind else "?"
    if data.get("stage_id") is not None:
        stages = await list_stage_choices(data.get("kind_id"))
        stage = next((s for s in stages if s.id == data["stage_id"]), None)
        stage_name = local_name(stage.name_uk, stage.name_en, locale) if stage else "?"
    return kind_name, stage_name


async def _filters_line(manager: DialogManager, locale: str) -> Html:
    status = manager.dialog_data.get("status", "open")
    parts = [
        tr(
            locale,
            N_("Status: %(status)s"),
            status=gettext(STATUS_NAMES.get(status, ALL_STATUSES), locale),
        ),
    ]
    kind_name, stage_name = await _names(manager, locale)
    if kind_name:
        parts.append(tr(locale, N_("Kind: %(kind)s"), kind=kind_name))
    if stage_name:
        parts.append(tr(locale, N_("Stage: %(stage)s"), stage=stage_name))
    if manager.dialog_data.get("search"):
        parts.append(tr(locale, N_("Search: «%(text)s»"), text=manager.dialog_data["search"]))
    return Html(" · ".join(parts))


async def list_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    filters = filters_of(dialog_manager)
    scroll = dialog_manager.find(SCROLL_ID)
    page_no = await scroll.get_page()
    page = await list_deals_for(employee, **filters, limit=PAGE_SIZE, offset=page_no * PAGE_SIZE)
    if page_no and not page.rows and page.total:  # the filters shrank the list under our feet
        page_no = page.pages - 1
        await scroll.set_page(page_no)
        page = await list_deals_for(
            employee, **filters, limit=PAGE_SIZE, offset=page_no * PAGE_SIZE
        )
    assert employee is not None  # list_deals_for refused anyone else
    heading = gettext(HEADINGS.get(Role(employee.role), HEADINGS[Role.MANAGER]), locale)
    lines = [f"<b>{escape(heading)}</b>"]
    lines.append(await _filters_line(dialog_manager, locale))
    if page.total:
        count = ngettext("%(n)s deal found", "%(n)s deals found", page.total, locale)
        lines.append(escape(count % {"n": page.total}))
    else:
        lines.append(tr(locale, N_("No deals found. Change the filters or the search.")))
    show_owner = Role(employee.role) != Role.MANAGER
    for row in page.rows:
        lines.append("")
        lines.append(
            f"{STATUS_MARKS.get(row.status, '')} <b>{escape(row.number)}</b> "
            f"{escape(short(row.title, 80))}"
        )
        details = [
            short(row.partner, 40) if row.partner else "—",
            local_name(row.stage_name_uk, row.stage_name_en, locale) or "—",
            format_money(row.potential_minor, row.currency, locale),
        ]
        if show_owner:
            details.append(short(row.owner, 30))
        lines.append(escape(" · ".join(details)))
    deals = [{"id": row.id, "label": f"{row.number} · {short(row.title, 36)}"} for row in page.rows]
    return {
        "body": Html("\n".join(line for line in lines if line is not None).strip()),
        "deals": deals,
        "pages": page.pages,
        "multipage": page.pages > 1,
        "filtered": _is_filtered(dialog_manager),
    }


def _is_filtered(manager: DialogManager) -> bool:
    data = manager.dialog_data
    return bool(
        data.get("status", "open") != "open"
        or data.get("kind_id") is not None
        or data.get("stage_id") is not None
        or data.get("search")
    )


async def search_getter(
    dialog_manager: DialogManager, locale: str, **kwargs: Any
) -> dict[str, Any]:
    search = dialog_manager.dialog_data.get("search", "")
    return {
        "error": error_line(dialog_manager),
        "has_error": bool(error_line(dialog_manager)),
        "current": tr(locale, N_("Now: «%(text)s»"), text=search) if search else "",
        "has_search": bool(search),
    }


async def filters_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    current = dialog_manager.dialog_data.get("status", "open")
    kind_name, stage_name = await _names(dialog_manager, locale)
    page = await list_deals_for(employee, **filters_of(dialog_manager), limit=1)
    return {
        "statuses": [
            {
                "id": code,
                "name": gettext(STATUS_NAMES.get(code, ALL_STATUSES), locale),
                "mark": CHECK if code == current else "",
            }
            for code in STATUS_CHOICES
        ],
        "kind": kind_name or gettext(N_("any"), locale),
        "stage": stage_name or gettext(N_("any"), locale),
        "total": page.total,
        "filtered": _is_filtered(dialog_manager),
    }


async def kinds_getter(dialog_manager: DialogManager, locale: str, **kwargs: Any) -> dict[str, Any]:
    chosen = dialog_manager.dialog_data.get("kind_id")
    kinds = await list_kind_choices()
    return {
        "kinds": [
            {
                "id": kind.id,
                "name": local_name(kind.name_uk, kind.name_en, locale),
                "mark": CHECK if kind.id == chosen else "",
            }
            for kind in kinds
        ],
    }


async def stages_getter(
    dialog_manager: DialogManager, locale: str, **kwargs: Any
) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    kind_id, chosen = data.get("kind_id"), data.get("stage_id")
    stages = await list_stage_choices(kind_id)
    return {
        "stages": [
            {
                "id": stage.id,
                "name": local_name(stage.name_uk, stage.name_en, locale)
                + (
                    ""
                    if kind_id is not None
                    else f" · {local_name(stage.kind_name_uk, stage.kind_name_en, locale)}"
                ),
                "mark": CHECK if stage.id == chosen else "",
            }
            for stage in stages
        ],
    }
