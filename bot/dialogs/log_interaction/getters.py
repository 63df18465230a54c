"""Log a call or meeting: what each window shows. The summary of the answers so far is rebuilt
from the ids in dialog data through `services.access` on every window."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram_dialog import DialogManager

from bot.dialogs.log_interaction.common import acting, short, status_lines
from bot.dialogs.log_interaction.handlers import (
    DIRECTIONS,
    DURATIONS,
    KINDS,
    NEXT_CHOICES,
    checked_contacts,
    partner_rows,
)
from bot.dialogs.widgets import locale_of
from bot.texts.helpers import Html, escape
from core.errors import AccessDenied
from core.i18n import N_, gettext
from services import agenda
from services.access import get_deal_for, get_partner_for

KIND_TITLES = {"call": N_("Log a call"), "meeting": N_("Log a meeting"), "": N_("Log a contact")}
KIND_NAMES = {"call": N_("Call"), "meeting": N_("Meeting")}
DIRECTION_NAMES = {"outgoing": N_("Outgoing"), "incoming": N_("Incoming")}
DONE_NAMES = {"done": N_("Took place"), "planned": N_("Planned")}
NEXT_NAMES = {
    "call": N_("Plan a call"),
    "meeting": N_("Plan a meeting"),
    "task": N_("A task with a reminder"),
    "none": N_("No next step"),
}
TIMES = tuple(f"{h:02d}:{m:02d}" for h in range(8, 20) for m in (0, 30))


def _tr(locale: str, msgid: str) -> str:
    return gettext(msgid, locale)


async def summary(manager: DialogManager) -> Html:
    """The answers so far, one short line each (user text escaped)."""
    employee = acting(manager)
    locale = locale_of(manager)
    data = manager.dialog_data
    lines: list[str] = [f"<b>{escape(_tr(locale, KIND_TITLES[data.get('kind', '')]))}</b>"]
    if data.get("deal_id") is not None:
        deal = await get_deal_for(employee, data["deal_id"])
        lines.append(f"💼 {escape(deal.number)} {escape(short(deal.title))}")
    if data.get("partner_id") is not None:
        partner = await get_partner_for(employee, data["partner_id"])
        lines.append(f"🏢 {escape(short(partner.name))}")
    if "done" in data:
        mark = "✅" if data["done"] else "🗓"
        lines.append(
            f"{mark} {escape(_tr(locale, DONE_NAMES['done' if data['done'] else 'planned']))}"
        )
    if data.get("kind") == "call" and data.get("direction") in DIRECTION_NAMES:
        lines.append(f"↔️ {escape(_tr(locale, DIRECTION_NAMES[data['direction']]))}")
    if data.get("date"):
        when = dt.date.fromisoformat(data["date"]).strftime("%d.%m.%Y")
        if data.get("time"):
            when += f" {data['time']}"
        if data.get("duration"):
            when += " · " + _tr(locale, N_("%(minutes)s min")) % {"minutes": data["duration"]}
        lines.append(f"🕒 {escape(when)}")
    chosen = checked_contacts(manager)
    if chosen and data.get("partner_id") is not None:
        contacts = await agenda.list_partner_contacts(int(data["partner_id"]))
        names = [c.full_name for c in contacts if c.id in chosen]
        if names:
            lines.append(f"👤 {escape(', '.join(names))}")
    if data.get("result"):
        label = N_("Result") if data.get("done") else N_("Subject")
        lines.append(f"📝 {escape(_tr(locale, label))}: {escape(data['result'])}")
    if data.get("done") and data.get("next"):
        text = _tr(locale, NEXT_NAMES[data["next"]])
        if data["next"] != "none" and data.get("next_date"):
            text += ": " + dt.date.fromisoformat(data["next_date"]).strftime("%d.%m.%Y")
            if data.get("next_time"):
                text += f" {data['next_time']}"
        lines.append(f"➡️ {escape(text)}")
    return Html("\n".join(lines))


async def step_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    locale = locale_of(manager)
    data = manager.dialog_data
    return {
        "summary": await summary(manager),
        "done": bool(data.get("done")),
        "planned": not data.get("done"),
        "is_call": data.get("kind") == "call",
        "has_deal": data.get("deal_id") is not None,
        "kinds": [{"id": k, "name": _tr(locale, KIND_NAMES[k])} for k in KINDS],
        "done_choices": [{"id": k, "name": _tr(locale, v)} for k, v in DONE_NAMES.items()],
        "directions": [{"id": k, "name": _tr(locale, DIRECTION_NAMES[k])} for k in DIRECTIONS],
        "times": [{"id": x.replace(":", ""), "name": x} for x in TIMES],
        "durations": [
            {"id": str(m), "name": _tr(locale, N_("%(minutes)s min")) % {"minutes": m}}
            for m in DURATIONS
        ],
        "next_choices": [
            {"id": k, "name": _tr(locale, NEXT_NAMES[k])} for k in (*NEXT_CHOICES, "none")
        ],
        **status_lines(manager),
    }


async def deals_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    deals = await agenda.list_my_open_deals(acting(dialog_manager), limit=50)
    return {
        "deals": [
            {
                "id": d.id,
                "label": short(
                    f"{d.number} {d.title}" + (f" · {d.partner.name}" if d.partner else ""), 60
                ),
            }
            for d in deals
        ],
        "no_deals": not deals,
        **status_lines(dialog_manager),
    }


async def partners_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    rows = await partner_rows(dialog_manager)
    return {
        "partners": [{"id": r.id, "label": short(r.name, 60)} for r in rows],
        "query": dialog_manager.dialog_data.get("query", ""),
        "found": bool(rows),
        "nothing": not rows,
        **status_lines(dialog_manager),
    }


async def contacts_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    data = await step_getter(dialog_manager)
    partner_id = dialog_manager.dialog_data.get("partner_id")
    if partner_id is None:
        raise AccessDenied("access_denied")
    contacts = await agenda.list_partner_contacts(int(partner_id))
    data["contacts"] = [
        {"id": c.id, "label": short(c.full_name + (f", {c.position}" if c.position else ""), 50)}
        for c in contacts
    ]
    return data
