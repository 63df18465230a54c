"""Partners: what each window shows. Every getter loads the partner through
`services.partner_view` with the acting employee, so a forged id never renders a card."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from bot.access import require_role
from bot.dialogs.partners.common import (
    DIRECTION_MARKS,
    KIND_NAMES,
    day,
    error_line,
    short,
)
from bot.texts.helpers import Html, Translator, escape, split_text
from core.i18n import N_, format_datetime, format_money
from models.base import RelationshipStage
from models.employee import Employee
from services import partner_view
from services.access import get_partner_for
from services.dto import ContactRow, CounterpartyRow

PAGE_SIZE = 8
CONTACTS_PAGE = 5
CARD_ITEMS = 5  # requisites, contacts, links shown in the card itself
CARD_LIMIT = 4000  # Telegram's 4096, with room for the prompt lines
LIST_SCROLL = "plist"
CONTACTS_SCROLL = "contacts_page"

ROLE_FLAGS = (
    ("is_client", N_("client")),
    ("is_supplier", N_("supplier")),
    ("is_competitor", N_("competitor")),
    ("is_other", N_("other")),
    ("is_group", N_("group of companies")),
    ("is_person", N_("private person")),
)
STAGES = {
    RelationshipStage.POTENTIAL: N_("potential"),
    RelationshipStage.ONE_TIME: N_("one-time"),
    RelationshipStage.REGULAR: N_("regular"),
    RelationshipStage.LOST: N_("lost"),
}


def _error(manager: DialogManager) -> dict[str, Any]:
    line = error_line(manager)
    return {"error": line, "has_error": bool(line)}


async def search_getter(
    dialog_manager: DialogManager, employee: Employee | None, **kwargs: Any
) -> dict[str, Any]:
    require_role(employee)
    return _error(dialog_manager)


async def list_getter(
    dialog_manager: DialogManager, employee: Employee | None, **kwargs: Any
) -> dict[str, Any]:
    require_role(employee)
    query = dialog_manager.dialog_data.get("query")
    page = await dialog_manager.find(LIST_SCROLL).get_page()
    window = {"limit": PAGE_SIZE + 1, "offset": page * PAGE_SIZE}
    if query:
        found = await partner_view.search_partners_for(employee, query, **window)
        items = [
            {"id": str(r.id), "label": short(r.name + (f" · {r.tax_id}" if r.tax_id else ""))}
            for r in found
        ]
    else:
        mine = await partner_view.list_partners_for(employee, **window)
        items = [{"id": str(r.id), "label": short(r.name)} for r in mine]
    more = len(items) > PAGE_SIZE
    items = items[:PAGE_SIZE]
    return {
        **_error(dialog_manager),
        "query": query or "",
        "partners": items,
        "found": bool(query) and bool(items),
        "nothing": bool(query) and not items,
        "mine": not query and bool(items),
        "none_mine": not query and not items,
        "pages": page + 2 if more else page + 1,
        "has_prev": page > 0,
        "has_next": more,
    }


# --- the card -----------------------------------------------------------------------------------


def _counterparty_line(cp: CounterpartyRow, i18n: Translator) -> str:
    parts = [f"<b>{escape(short(cp.name, 80))}</b>"]
    if cp.edrpou:
        parts.append(i18n(N_("EDRPOU %(code)s"), code=cp.edrpou))
    if cp.rnokpp:
        parts.append(i18n(N_("RNOKPP %(code)s"), code=cp.rnokpp))
    if cp.vat_number:
        parts.append(i18n(N_("VAT %(code)s"), code=escape(cp.vat_number)))
    if cp.iban:
        parts.append(f"IBAN <code>{escape(cp.iban)}</code>")
    if cp.bank_name:
        parts.append(escape(short(cp.bank_name, 60)))
    if not cp.active:
        parts.append(i18n(N_("not in use")))
    return "• " + " · ".join(parts)


def _contact_lines(contact: ContactRow, *, all_infos: bool) -> list[str]:
    head = f"• <b>{escape(short(contact.full_name, 80))}</b>"
    if contact.position:
        head += f", {escape(short(contact.position, 60))}"
    phones = contact.phones if all_infos else contact.phones[:1]
    emails = contact.emails if all_infos else contact.emails[:1]
    infos = [f"📞 {escape(p.value)}" for p in phones] + [f"✉️ {escape(e.value)}" for e in emails]
    return [head] + (["   " + " · ".join(infos)] if infos else [])


def _more(i18n: Translator, hidden: int) -> list[str]:
    if hidden <= 0:
        return []
    return ["  " + i18n.ngettext("… and %(n)s more", "… and %(n)s more", hidden)]


def card_text(view: partner_view.PartnerView, i18n: Translator, locale: str, timezone: str) -> Html:
    card = view.card
    lines = [f"🏢 <b>{escape(card.name)}</b>"]
    roles = [i18n(label) for flag, label in ROLE_FLAGS if getattr(card, flag)]
    stage = (
        STAGES.get(RelationshipStage(card.relationship_stage)) if card.relationship_stage else None
    )
    if stage:
        roles.append(i18n(stage))
    if not card.active:
        roles.append(i18n(N_("not in use")))
    if roles:
        lines.append(" · ".join(roles))
    if card.main_manager:
        lines.append(i18n(N_("Main manager: %(name)s"), name=escape(card.main_manager.full_name)))
    if card.parent:
        lines.append(i18n(N_("Part of: %(name)s"), name=escape(card.parent.name)))
    if card.segments:
        lines.append(i18n(N_("Segments: %(names)s"), names=escape(", ".join(card.segments))))
    infos = [f"📞 {escape(p.value)}" for p in card.phones[:3]]
    infos += [f"✉️ {escape(e.value)}" for e in card.emails[:3]]
    if card.website:
        infos.append(f"🌐 {escape(card.website.value)}")
    if infos:
        lines.append(" · ".join(infos))
    if card.address:
        lines.append(f"📍 {escape(short(card.address.value, 200))}")

    lines += ["", "<b>" + i18n(N_("Requisites")) + "</b>"]
    if card.counterparties:
        lines += [_counterparty_line(cp, i18n) for cp in card.counterparties[:CARD_ITEMS]]
        lines += _more(i18n, len(card.counterparties) - CARD_ITEMS)
    else:
        lines.append("—")

    lines += ["", "<b>" + i18n(N_("Contact persons")) + "</b>"]
    if card.contacts:
        for contact in card.contacts[:CARD_ITEMS]:
            lines += _contact_lines(contact, all_infos=False)
        lines += _more(i18n, len(card.contacts) - CARD_ITEMS)
    else:
        lines.append("—")

    lines += ["", "<b>" + i18n(N_("Open deals")) + "</b>"]
    if not view.open_deals and not view.other_open_deals:
        lines.append("—")
    for deal in view.open_deals[:CARD_ITEMS]:
        amount = format_money(deal.potential_minor, deal.currency, locale)
        closing = f" · {day(deal.expected_close_on, locale)}" if deal.expected_close_on else ""
        lines.append(f"• {escape(deal.number)} {escape(short(deal.title))} · {amount}{closing}")
    lines += _more(i18n, len(view.open_deals) - CARD_ITEMS)
    if view.other_open_deals:
        lines.append(
            "  "
            + i18n.ngettext(
                "+ %(n)s open deal of colleagues",
                "+ %(n)s open deals of colleagues",
                view.other_open_deals,
            )
        )

    lines += ["", "<b>" + i18n(N_("Recent interactions")) + "</b>"]
    if not view.interactions:
        lines.append("—")
    for item in view.interactions:
        when = format_datetime(item.starts_at, timezone, locale)
        kind = i18n(KIND_NAMES.get(item.kind, item.kind))
        mark = DIRECTION_MARKS.get(item.direction, "")
        about = short(item.subject or item.result, 50)
        deal = f" ({escape(item.deal_number)})" if item.deal_number else ""
        lines.append(
            f"• {when} {kind}{' ' + mark if mark else ''}{deal}"
            + (f": {escape(about)}" if about else "")
            + f" — {escape(item.owner_name)}"
        )

    if card.links:
        lines += ["", "<b>" + i18n(N_("Links")) + "</b>"]
        for link in card.links[:CARD_ITEMS]:
            lines.append(f"• {escape(link.name)}: {escape(short(link.other_name, 80))}")
        lines += _more(i18n, len(card.links) - CARD_ITEMS)

    text = "\n".join(lines)
    if len(text) > CARD_LIMIT:
        text = split_text(text, CARD_LIMIT - 2)[0] + "\n…"
    return Html(text)


async def card_getter(
    dialog_manager: DialogManager,
    employee: Employee | None,
    i18n: Translator,
    locale: str,
    **kwargs: Any,
) -> dict[str, Any]:
    employee = require_role(employee)
    view = await partner_view.get_partner_view(employee, dialog_manager.dialog_data["partner_id"])
    note = dialog_manager.dialog_data.get("note") or ""
    return {
        **_error(dialog_manager),
        "card": card_text(view, i18n, locale, employee.timezone),
        "note": escape(note),
        "has_note": bool(note),
        "deals": [
            {"id": str(d.id), "label": short(f"{d.number} · {d.title}", 50)}
            for d in view.open_deals
        ],
        "contacts_count": len(view.card.contacts),
    }


async def contacts_getter(
    dialog_manager: DialogManager, employee: Employee | None, i18n: Translator, **kwargs: Any
) -> dict[str, Any]:
    employee = require_role(employee)
    view = await partner_view.get_partner_view(
        employee, dialog_manager.dialog_data["partner_id"], interactions=0
    )
    contacts = view.card.contacts
    pages = max(1, -(-len(contacts) // CONTACTS_PAGE))
    page = min(await dialog_manager.find(CONTACTS_SCROLL).get_page(), pages - 1)
    lines: list[str] = []
    for contact in contacts[page * CONTACTS_PAGE : (page + 1) * CONTACTS_PAGE]:
        lines += _contact_lines(contact, all_infos=True)
    return {
        "partner": view.card.name,
        "contacts": Html("\n".join(lines)),
        "none": not contacts,
        "pages": pages,
        "has_prev": page > 0,
        "has_next": page < pages - 1,
        "page_label": f"{page + 1}/{pages}",
    }


# --- the new contact person ---------------------------------------------------------------------

CONTACT_LABELS = (
    ("full_name", N_("Full name: %(value)s")),
    ("position", N_("Position: %(value)s")),
    ("phone", N_("Phone: %(value)s")),
    ("email", N_("E-mail: %(value)s")),
)


def contact_summary(draft: dict[str, Any], i18n: Translator) -> Html:
    lines = []
    for field, label in CONTACT_LABELS:
        value = draft.get(field)
        if value:
            shown = partner_view.format_phone(value) if field == "phone" else value
            lines.append(i18n(label, value=escape(shown)))
    return Html("\n".join(lines))


async def contact_step_getter(
    dialog_manager: DialogManager, employee: Employee | None, i18n: Translator, **kwargs: Any
) -> dict[str, Any]:
    partner = await get_partner_for(
        require_role(employee), dialog_manager.dialog_data.get("partner_id")
    )
    summary = contact_summary(dialog_manager.dialog_data.get("contact") or {}, i18n)
    return {
        **_error(dialog_manager),
        "partner": partner.name,
        "summary": summary,
        "has_summary": bool(summary),
    }
