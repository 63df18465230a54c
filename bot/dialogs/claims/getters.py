"""Claims: what each window shows. Every getter loads the claim, partner or deal through
`services.claims` / `services.access` with the acting employee (AccessDenied for anyone else)."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from bot.access import HEADS, has_role
from bot.dialogs.deals.common import acting, error_line, locale_of, pop_notice, short
from bot.texts.helpers import Html, escape
from core import clock
from core.i18n import N_, format_money, gettext, ngettext
from models.base import ClaimStatus
from services import agenda
from services.access import get_deal_for, get_partner_for
from services.claims import (
    EVENT_NAMES,
    STATUS_NAMES,
    STATUS_WORDS,
    ClaimCard,
    count_claims,
    get_claim_card,
    list_claim_causes,
    list_claim_timeline,
    list_claims,
)
from services.employees import list_employees
from services.interactions import TimelineItem
from services.partner_view import search_partners_for

LIST_SCROLL = "claims_page"
PAGE = 8
TIMELINE_PAGE = 8
FILTERS = ("open", "overdue", "closed")
FILTER_NAMES = {"open": N_("Still open"), "overdue": N_("Overdue"), "closed": N_("Closed")}
STATUS_MARKS = {
    ClaimStatus.REGISTERED.value: "🆕",
    ClaimStatus.IN_PROCESSING.value: "🛠",
    ClaimStatus.SATISFIED.value: "✅",
    ClaimStatus.NOT_SATISFIED.value: "⛔",
}
DUE_DAYS = (1, 3, 7)


def claim_id_of(manager: DialogManager) -> int:
    from core.errors import AccessDenied

    claim_id = manager.dialog_data.get("claim_id")
    if not isinstance(claim_id, int) or isinstance(claim_id, bool):
        raise AccessDenied("access_denied")
    return claim_id


def local_moment(value: Any, manager: DialogManager) -> str:
    employee = acting(manager)
    return clock.to_local(value, employee.timezone or "Europe/Kyiv").strftime("%d.%m.%Y %H:%M")


def money(minor: int, currency: str, locale: str) -> str:
    return format_money(minor, currency, locale).replace("\u00a0", " ")


def status_name(status: str, locale: str) -> str:
    """The status as the claims' export and the issue name it (uk: Зареєстрована, Обробляється,
    Задоволена, Не задоволена)."""
    words = STATUS_WORDS.get(locale)
    return words[status] if words and status in words else gettext(STATUS_NAMES[status], locale)


def status_lines(manager: DialogManager) -> dict[str, Any]:
    notice, error = pop_notice(manager), error_line(manager)
    return {"notice": notice, "has_notice": bool(notice), "error": error, "has_error": bool(error)}


def _query_filters(manager: DialogManager) -> dict[str, Any]:
    employee = acting(manager)
    data = manager.dialog_data
    chosen = data.get("filter", "open")
    filters: dict[str, Any] = {"viewer_id": employee.id}
    if chosen == "overdue":
        filters["overdue"] = True
    elif chosen == "closed":
        filters["status"] = [ClaimStatus.SATISFIED, ClaimStatus.NOT_SATISFIED]
    else:
        filters["status"] = [ClaimStatus.REGISTERED, ClaimStatus.IN_PROCESSING]
    if isinstance(data.get("partner_id"), int):
        filters["partner_id"] = data["partner_id"]
    if data.get("mine") and has_role(employee, HEADS):
        filters["responsible_id"] = employee.id
    return filters


# --- the list -----------------------------------------------------------------------------------


async def list_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    employee = acting(manager)
    locale = locale_of(manager)
    chosen = manager.dialog_data.get("filter", "open")
    filters = _query_filters(manager)
    total = await count_claims(**filters)
    pages = max(1, -(-total // PAGE))
    page = min(await manager.find(LIST_SCROLL).get_page(), pages - 1)
    rows = await list_claims(**filters, limit=PAGE, offset=page * PAGE)
    items = []
    for row in rows:
        mark = "🔥" if row.overdue else STATUS_MARKS.get(row.status, "▫️")
        items.append(
            {"id": row.id, "label": short(f"{mark} {row.number} · {row.partner_name}", 60)}
        )
    partner_name = ""
    partner_id = manager.dialog_data.get("partner_id")
    if isinstance(partner_id, int):
        partner_name = (await get_partner_for(employee, partner_id)).name
    is_head = has_role(employee, HEADS)
    mine = bool(manager.dialog_data.get("mine")) and is_head
    if partner_name:
        title = gettext(N_("<b>Claims of %(partner)s</b>"), locale) % {
            "partner": escape(partner_name)
        }
    elif is_head and not mine:
        title = gettext(N_("<b>Claims of the team</b>"), locale)
    else:
        title = gettext(N_("<b>My claims</b>"), locale)
    counted = ngettext("%(n)s claim", "%(n)s claims", total, locale) % {"n": total}
    return {
        "title": Html(title),
        "counted": counted,
        "filters": [
            {"id": f, "name": ("• " if f == chosen else "") + gettext(FILTER_NAMES[f], locale)}
            for f in FILTERS
        ],
        "claims": items,
        "empty": not items,
        "pages": pages,
        "has_prev": page > 0,
        "has_next": page < pages - 1,
        "is_head": is_head,
        "show_mine": is_head and not mine,
        "show_everyone": is_head and mine,
        **status_lines(manager),
    }


async def search_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return status_lines(dialog_manager)


# --- the card -----------------------------------------------------------------------------------


def _line(locale: str, msgid: str, **params: Any) -> str:
    values = {k: v if isinstance(v, Html) else escape(v) for k, v in params.items()}
    return gettext(msgid, locale) % values


def card_text(card: ClaimCard, manager: DialogManager) -> Html:
    locale = locale_of(manager)
    lines = [
        _line(locale, N_("<b>Claim %(number)s</b> · %(status)s"), number=card.number,
              status=status_name(card.status, locale)),
        _line(locale, N_("🏢 Partner: %(name)s"), name=card.partner.name),
    ]  # fmt: skip
    if card.deal is not None:
        lines.append(_line(locale, N_("💼 Basis: deal %(name)s"), name=card.deal.name))
    if card.order is not None:
        lines.append(_line(locale, N_("📦 Basis: order %(name)s"), name=card.order.name))
    if card.shipment is not None:
        lines.append(_line(locale, N_("🚚 Basis: shipment %(name)s"), name=card.shipment.name))
    lines.append(_line(locale, N_("❗ Cause: %(cause)s"), cause=card.cause.name(locale)))
    lines.append(f"📝 {escape(short(card.description, 600))}")
    if card.claimed_minor:
        lines.append(
            _line(locale, N_("💰 Amount claimed: %(amount)s"),
                  amount=money(card.claimed_minor, card.currency, locale))
        )  # fmt: skip
    lines.append(_line(locale, N_("👤 Responsible: %(name)s"), name=card.responsible.name))
    if card.due_at is not None and card.closed_at is None:
        due = local_moment(card.due_at, manager)
        if card.overdue:
            lines.append(_line(locale, N_("⏳ Respond by: %(due)s 🔥 overdue"), due=due))
        else:
            lines.append(_line(locale, N_("⏳ Respond by: %(due)s"), due=due))
    if card.closed_at is not None:
        lines.append(
            _line(locale, N_("🏁 Closed: %(moment)s"), moment=local_moment(card.closed_at, manager))
        )
        lines.append(_line(locale, N_("Resolution: %(text)s"), text=short(card.resolution, 600)))
        if card.guilty_department:
            lines.append(
                _line(locale, N_("Guilty department: %(name)s"), name=card.guilty_department)
            )
        if card.guilty_employee is not None:
            lines.append(
                _line(locale, N_("Guilty employee: %(name)s"), name=card.guilty_employee.name)
            )
    if card.files:
        names = ", ".join(short(f.name, 40) for f in card.files[:10])
        more = len(card.files) - 10
        lines.append(
            _line(locale, N_("📎 Files (%(count)s): %(names)s"), count=str(len(card.files)),
                  names=names + (f" +{more}" if more > 0 else ""))
        )  # fmt: skip
    open_tasks = [t for t in card.tasks if t.status == "open"]
    if open_tasks:
        lines.append(gettext(N_("<b>Work plan</b>"), locale))
        for task in open_tasks[:5]:
            due = local_moment(task.due_at, manager) if task.due_at else ""
            mark = "🔥" if task.overdue else "▫️"
            lines.append(
                f"{mark} {escape(short(task.title, 50))} — {escape(task.performer.name)} {due}"
            )
    return Html("\n".join(lines))


async def card_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    employee = acting(manager)
    card = await get_claim_card(claim_id_of(manager), viewer_id=employee.id)
    manager.dialog_data["version"] = card.version
    actions = set(card.actions)
    return {
        "body": card_text(card, manager),
        "can_take": "take_into_work" in actions,
        "can_close": "close" in actions,
        "can_reopen": "reopen" in actions,
        "can_plan": "plan_tasks" in actions,
        "can_reassign": "reassign" in actions,  # the service offers it to heads and admins
        "can_note": "note" in actions,
        "can_attach": "file" in actions,
        **status_lines(manager),
    }


# --- the timeline -------------------------------------------------------------------------------

KIND_ICONS = {"interaction": "📞", "planned_interaction": "📅", "task_done": "☑️"}


def timeline_line(item: TimelineItem, manager: DialogManager) -> str:
    locale = locale_of(manager)
    data = item.data or {}
    moment = local_moment(item.at, manager)
    if item.kind == "event":
        name = gettext(EVENT_NAMES.get(item.title, item.title), locale)
        head = f"{moment} · <b>{escape(name)}</b>"
        if data.get("actor_name"):
            head += f" — {escape(data['actor_name'])}"
        detail = ""
        if item.title == "note":
            detail = str(data.get("text") or "")
        elif item.title == "file_attached":
            detail = str(data.get("name") or "")
        elif item.title == "closed":
            outcome = data.get("to_status")
            detail = status_name(str(outcome), locale) if outcome in STATUS_NAMES else ""
            if data.get("resolution"):
                detail = f"{detail}: {data['resolution']}" if detail else str(data["resolution"])
        elif item.title == "reopened":
            detail = str(data.get("reason") or "")
        elif item.title == "tasks_planned":
            detail = "; ".join(str(t.get("title", "")) for t in data.get("tasks") or [])
        return head + (f"\n   {escape(short(detail, 200))}" if detail else "")
    icon = KIND_ICONS.get(item.kind, "•")
    text = f"{moment} {icon} {escape(short(item.title, 80))}"
    result = data.get("result")
    return text + (f"\n   {escape(short(str(result), 200))}" if result else "")


async def timeline_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    employee = acting(manager)
    locale = locale_of(manager)
    offset = int(manager.dialog_data.get("timeline_offset", 0) or 0)
    claim_id = claim_id_of(manager)
    items = await list_claim_timeline(
        claim_id, viewer_id=employee.id, limit=TIMELINE_PAGE + 1, offset=offset
    )
    card = await get_claim_card(claim_id, viewer_id=employee.id)
    head = _line(locale, N_("<b>Claim %(number)s: history</b>"), number=card.number)
    lines = [timeline_line(item, manager) for item in items[:TIMELINE_PAGE]]
    if not lines:
        lines = [gettext(N_("Nothing here yet."), locale)]
    return {
        "body": Html("\n\n".join([head, *lines])),
        "has_newer": offset > 0,
        "has_older": len(items) > TIMELINE_PAGE,
    }


# --- steps of the card's actions ---------------------------------------------------------------


async def number_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    """The claim's number for a question about it (and its outcome while closing)."""
    manager = dialog_manager
    card = await get_claim_card(claim_id_of(manager), viewer_id=acting(manager).id)
    locale = locale_of(manager)
    pending = manager.dialog_data.get("pending") or {}
    outcome = ""
    if "satisfied" in pending:
        status = ClaimStatus.SATISFIED if pending["satisfied"] else ClaimStatus.NOT_SATISFIED
        outcome = status_name(status.value, locale)
    return {
        "number": card.number,
        "outcome": outcome,
        "outcomes": [
            {"id": "satisfied", "name": "✅ " + status_name("satisfied", locale)},
            {"id": "not_satisfied", "name": "⛔ " + status_name("not_satisfied", locale)},
        ],
        **status_lines(manager),
    }


async def people_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    """Whom the claim may go to (reassign, guilty employee, performer of a task)."""
    manager = dialog_manager
    employee = acting(manager)
    card = await get_claim_card(claim_id_of(manager), viewer_id=employee.id)
    state = manager.current_context().state.state or ""
    if state.endswith("REASSIGN"):
        people = [
            {"id": p.id, "name": short(p.full_name, 40)}
            for p in await agenda.list_reassign_candidates(employee)
            if p.id != card.responsible.id
        ]
    elif state.endswith("PLAN_PERFORMER"):
        candidates = await agenda.list_reassign_candidates(employee)
        people = [{"id": employee.id, "name": short(employee.full_name, 40)}]
        people += [
            {"id": p.id, "name": short(p.full_name, 40)} for p in candidates if p.id != employee.id
        ]
    else:
        people = [{"id": p.id, "name": short(p.full_name, 40)} for p in await list_employees()]
    return {
        "number": card.number,
        "responsible": card.responsible.name,
        "people": people,
        "none": not people,
        "due_choices": [
            {
                "id": str(days),
                "name": ngettext("In %(n)s day", "In %(n)s days", days, locale_of(manager))
                % {"n": days},
            }
            for days in DUE_DAYS
        ],
        **status_lines(manager),
    }


async def confirm_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    employee = acting(manager)
    locale = locale_of(manager)
    card = await get_claim_card(claim_id_of(manager), viewer_id=employee.id)
    pending = manager.dialog_data.get("pending") or {}
    action = pending.get("action")
    lines = [_line(locale, N_("<b>Claim %(number)s</b>"), number=card.number)]
    if action == "note":
        lines.append(gettext(N_("Add the note:"), locale))
        lines.append(escape(pending.get("text", "")))
    elif action == "reopen":
        lines.append(gettext(N_("Reopen the claim. Reason:"), locale))
        lines.append(escape(pending.get("reason", "")))
    elif action == "close":
        status = ClaimStatus.SATISFIED if pending.get("satisfied") else ClaimStatus.NOT_SATISFIED
        lines.append(
            _line(locale, N_("Close the claim as «%(outcome)s»."),
                  outcome=status_name(status.value, locale))
        )  # fmt: skip
        lines.append(_line(locale, N_("Resolution: %(text)s"), text=pending.get("resolution", "")))
        if pending.get("department"):
            lines.append(
                _line(locale, N_("Guilty department: %(name)s"), name=pending["department"])
            )
        if pending.get("guilty_name"):
            lines.append(
                _line(locale, N_("Guilty employee: %(name)s"), name=pending["guilty_name"])
            )
    elif action == "plan":
        lines.append(_line(locale, N_("New task: %(title)s"), title=pending.get("title", "")))
        lines.append(
            _line(locale, N_("Performer: %(name)s"), name=pending.get("performer_name", ""))
        )
        lines.append(_line(locale, N_("Due: %(due)s"), due=pending.get("due_text", "")))
    lines.append("")
    lines.append(gettext(N_("Is everything right?"), locale))
    return {"body": Html("\n".join(lines)), **status_lines(manager)}


# --- the registration wizard --------------------------------------------------------------------


async def new_partner_pick_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    employee = acting(manager)
    query = str(manager.dialog_data.get("query") or "")
    rows = await search_partners_for(employee, query, limit=30) if query else []
    return {
        "query": query,
        "partners": [{"id": r.id, "name": short(r.name, 50)} for r in rows],
        "none": not rows,
        **status_lines(manager),
    }


async def causes_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    locale = locale_of(manager)
    causes = await list_claim_causes()
    return {
        "causes": [{"id": c.id, "name": short(c.name(locale), 60)} for c in causes],
        **(await new_summary_getter(manager)),
    }


async def _new_summary(manager: DialogManager) -> list[str]:
    """What the wizard knows so far, one line each (HTML)."""
    employee = acting(manager)
    locale = locale_of(manager)
    data = manager.dialog_data
    lines = []
    if isinstance(data.get("partner_id"), int):
        partner = await get_partner_for(employee, data["partner_id"])
        lines.append(_line(locale, N_("🏢 Partner: %(name)s"), name=partner.name))
    if isinstance(data.get("deal_id"), int):
        deal = await get_deal_for(employee, data["deal_id"])
        lines.append(
            _line(locale, N_("💼 Basis: deal %(name)s"), name=f"{deal.number} {deal.title}")
        )
    if isinstance(data.get("cause_id"), int):
        causes = {c.id: c for c in await list_claim_causes(active_only=False)}
        cause = causes.get(data["cause_id"])
        if cause is not None:
            lines.append(_line(locale, N_("❗ Cause: %(cause)s"), cause=cause.name(locale)))
    if data.get("description"):
        lines.append(f"📝 {escape(short(data['description'], 600))}")
    if "claimed_minor" in data:
        amount = int(data["claimed_minor"])
        lines.append(
            _line(locale, N_("💰 Amount claimed: %(amount)s"), amount=money(amount, "UAH", locale))
            if amount
            else gettext(N_("💰 Amount claimed: not stated"), locale)
        )
    return lines


async def new_summary_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    lines = await _new_summary(dialog_manager)
    return {"summary": Html("\n".join(lines)), "has_summary": bool(lines),
            **status_lines(dialog_manager)}  # fmt: skip


async def responsible_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    acting(manager)
    chosen = manager.dialog_data.get("responsible_id")
    people = await list_employees()
    name = next((p.full_name for p in people if p.id == chosen), "")
    return {
        "responsible": name,
        "people": [
            {"id": p.id, "name": ("• " if p.id == chosen else "") + short(p.full_name, 40)}
            for p in people
        ],
        **(await new_summary_getter(manager)),
    }


async def photos_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    locale = locale_of(manager)
    files = manager.dialog_data.get("files") or []
    names = ", ".join(short(str(f.get("name", "")), 40) for f in files)
    counted = ngettext("%(n)s file", "%(n)s files", len(files), locale) % {"n": len(files)}
    return {
        "files_line": f"📎 {counted}: {names}" if files else "",
        "has_files": bool(files),
        "no_files": not files,
        **(await new_summary_getter(manager)),
    }


async def new_confirm_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    manager = dialog_manager
    locale = locale_of(manager)
    lines = await _new_summary(manager)
    chosen = manager.dialog_data.get("responsible_id")
    name = next((p.full_name for p in await list_employees() if p.id == chosen), "")
    lines.append(_line(locale, N_("👤 Responsible: %(name)s"), name=name))
    files = manager.dialog_data.get("files") or []
    if files:
        names = ", ".join(short(str(f.get("name", "")), 40) for f in files)
        lines.append(
            _line(locale, N_("📎 Files (%(count)s): %(names)s"), count=str(len(files)),
                  names=names)
        )  # fmt: skip
    return {"body": Html("\n".join(lines)), **status_lines(manager)}
