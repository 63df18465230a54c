"""The deal card's data: every getter loads the deal through `services.access` with the acting
employee, so a card never shows a deal its reader may not see."""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

from bot.dialogs.deal_card import texts
from bot.dialogs.deals.common import (
    ATTITUDE_NAMES,
    DOC_KIND_MARKS,
    ROLE_NAMES,
    error_line,
    local_name,
    pop_notice,
    short,
    tr,
)
from bot.texts.helpers import Html, escape
from core.i18n import N_, gettext
from models.employee import Employee
from services.access import get_deal_for, get_deal_task_for
from services.deal_card import (
    get_deal_card,
    list_competitors,
    list_deal_documents,
    list_deal_stages,
    list_open_tasks,
)
from services.deals import list_loss_reasons
from services.environment import INFLUENCE_MAX, list_participants
from services.i18n_extra_pipeline import describe_checks
from services.interactions import TimelineItem, list_deal_timeline
from services.partners import search_partners
from services.pipeline import stages_in_order
from services.probability import explain_deal_probability

TIMELINE_PAGE = 10
PICK_LIMIT = 30
PARTICIPANTS_SHOWN = 25
NEW_ROLES = ("competitor", "subcontractor", "influencer", "decision_maker", "other")
ATTITUDES = ("supporter", "neutral", "opponent")


def deal_id_of(manager: DialogManager) -> Any:
    return manager.dialog_data.get("deal_id")


def _tz(employee: Employee | None) -> str:
    return getattr(employee, "timezone", None) or "Europe/Kyiv"


async def card_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    card = await get_deal_card(employee, deal_id_of(dialog_manager))
    data = dialog_manager.dialog_data
    data["version"] = card.version  # what the user saw: commands pass it as expected_version
    data["next_stage_id"] = card.next_stage.id if card.next_stage else None
    manual_open = card.is_open and not card.guided and card.stage is not None
    assert employee is not None  # get_deal_card refused anyone else
    return {
        "body": texts.card_text(
            card,
            tz=_tz(employee),
            locale=locale,
            viewer_id=employee.id,
            notice=pop_notice(dialog_manager),
        ),
        "is_open": card.is_open,
        "manual_open": manual_open,
        "can_advance": manual_open and card.next_stage is not None,
        "can_win": card.is_open and not card.guided,  # also a kind without stages
        "next_stage": short(
            local_name(card.next_stage.name_uk, card.next_stage.name_en, locale), 30
        )
        if card.next_stage
        else "",
        "has_tasks": card.is_open and bool(card.open_tasks),
        "probability": card.probability,
    }


async def probability_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    explanation = await explain_deal_probability(deal.id, deal=deal)
    return {"body": texts.probability_text(explanation, deal.number, locale)}


async def timeline_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    offset = max(0, int(dialog_manager.dialog_data.get("tl_offset") or 0))
    items = await list_deal_timeline(
        deal.id, limit=TIMELINE_PAGE + 1, offset=offset, deal_checked=True
    )
    shown = items[:TIMELINE_PAGE]
    stages, reasons = await _timeline_names(dialog_manager, deal.kind_id, shown)
    page = offset // TIMELINE_PAGE + 1
    lines = [
        tr(locale, N_("<b>%(number)s: timeline</b>, page %(page)s"), number=deal.number, page=page)
    ]
    if not items:
        lines.append(tr(locale, N_("Nothing has happened on this deal yet.")))
    for item in shown:
        lines.append(
            texts.timeline_line(
                item, tz=_tz(employee), locale=locale, stage_names=stages, reasons=reasons
            )
        )
    return {
        "body": Html("\n".join(lines)),
        "has_newer": offset > 0,
        "has_older": len(items) > TIMELINE_PAGE,
    }


async def _timeline_names(
    manager: DialogManager, kind_id: int, items: list[TimelineItem]
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Stage names and loss reasons (code -> (uk, en)) for the events on the page: read only
    when the page has a stage move or a loss, and kept in dialog data (read again when a code
    on the page is not there: renamed or added since)."""
    events = [item for item in items if item.kind == "event"]
    stage_codes = {
        str(item.data.get(key))
        for item in events
        if item.title == "stage_moved"
        for key in ("from", "to")
        if item.data.get(key)
    }
    reason_codes = {
        str(item.data.get("reason"))
        for item in events
        if item.title == "lost" and item.data.get("reason")
    }
    data = manager.dialog_data
    stages: dict[str, Any] = {}
    reasons: dict[str, Any] = {}
    if stage_codes:
        cached = data.get("tl_stages")
        if (
            not isinstance(cached, dict)
            or cached.get("kind_id") != kind_id
            or not stage_codes <= set(cached.get("names") or {})
        ):
            names = {s.code: [s.name_uk, s.name_en] for s in await stages_in_order(kind_id)}
            cached = data["tl_stages"] = {"kind_id": kind_id, "names": names}
        stages = cached["names"]
    if reason_codes:
        cached = data.get("tl_reasons")
        if not isinstance(cached, dict) or not reason_codes <= set(cached):
            rows = await list_loss_reasons(active_only=False)
            cached = data["tl_reasons"] = {r.code: [r.name_uk, r.name_en] for r in rows}
        reasons = cached
    return (
        {code: (uk, en) for code, (uk, en) in stages.items()},
        {code: (uk, en) for code, (uk, en) in reasons.items()},
    )


async def stages_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    stages = await list_deal_stages(employee, deal.id)
    current = next((s for s in stages if s.id == deal.stage_id), None)
    return {
        "current": local_name(current.name_uk, current.name_en, locale) if current else "—",
        "stages": [
            {
                "id": stage.id,
                "name": f"{index}. {short(local_name(stage.name_uk, stage.name_en, locale), 40)}",
                "mark": "📍 " if stage.id == deal.stage_id else "",
            }
            for index, stage in enumerate(stages, start=1)
        ],
    }


async def tasks_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    tasks = await list_open_tasks(employee, deal_id_of(dialog_manager))
    tz = _tz(employee)
    return {
        "tasks": [
            {
                "id": task.id,
                "label": ("⏰ " if task.overdue else "")
                + short(task.title, 40)
                + (f" · {texts.when(task.due_at, tz, locale)}" if task.due_at else ""),
            }
            for task in tasks
        ]
    }


async def task_result_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    data = dialog_manager.dialog_data
    task = await get_deal_task_for(employee, deal_id_of(dialog_manager), data.get("task_id"))
    error = error_line(dialog_manager)
    return {"task": task.title, "error": error, "has_error": bool(error)}


async def checks_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    missing = [str(code) for code in dialog_manager.dialog_data.get("missing") or []]
    lines = [
        tr(locale, N_("<b>%(number)s: the stage cannot be finished yet</b>"), number=deal.number),
        tr(locale, N_("Missing:")),
    ]
    lines += [f"• {escape(text)}" for text in describe_checks(missing, locale)]
    lines += ["", tr(locale, N_("The task stays open. Do what is missing, then complete it."))]
    return {"body": Html("\n".join(lines))}


async def reasons_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    return {
        "number": deal.number,
        "reasons": [
            {"id": r.id, "name": short(local_name(r.name_uk, r.name_en, locale), 50)}
            for r in await list_loss_reasons()
        ],
    }


async def competitors_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    competitors = await list_competitors(exclude_partner_id=deal.partner_id)
    return {
        "notice": pop_notice(dialog_manager),
        "competitors": [{"id": c.id, "name": short(c.name, 50)} for c in competitors],
        "none": not competitors,
    }


async def participants_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    people = await list_participants(deal.id)
    lines = [
        pop_notice(dialog_manager),
        tr(locale, N_("<b>%(number)s: participants</b>"), number=deal.number),
    ]
    if not people:
        lines.append(tr(locale, N_("No participants yet.")))
    if len(people) > PARTICIPANTS_SHOWN:  # a message holds 4,096 characters
        hidden = len(people) - PARTICIPANTS_SHOWN
        people = people[:PARTICIPANTS_SHOWN]
    else:
        hidden = 0
    for person in people:
        details = [gettext(ROLE_NAMES.get(person.role, person.role), locale)]
        if person.influence is not None:
            details.append(
                gettext(N_("influence %(n)s of %(max)s"), locale)
                % {"n": person.influence, "max": INFLUENCE_MAX}
            )
        details.append(gettext(ATTITUDE_NAMES.get(person.attitude, person.attitude), locale))
        if person.won_the_deal:
            details.append(gettext(N_("won the deal"), locale))
        name = short(person.name, 60) + (
            f" ({short(person.company, 40)})" if person.company else ""
        )
        lines.append(f"• <b>{escape(name)}</b> — {escape(', '.join(details))}")
    if hidden:
        lines.append(tr(locale, N_("More participants not shown: %(n)s"), n=hidden))
    return {"body": Html("\n".join(line for line in lines if line).strip())}


async def roles_getter(locale: str, **kwargs: Any) -> dict[str, Any]:
    return {
        "roles": [{"id": code, "name": gettext(ROLE_NAMES[code], locale)} for code in NEW_ROLES]
    }


def _role_name(manager: DialogManager, locale: str) -> str:
    role = str(manager.dialog_data.get("p_role") or "")
    return gettext(ROLE_NAMES.get(role, role), locale)


async def participant_search_getter(
    dialog_manager: DialogManager, locale: str, **kwargs: Any
) -> dict[str, Any]:
    error = error_line(dialog_manager)
    return {"role": _role_name(dialog_manager, locale), "error": error, "has_error": bool(error)}


async def participant_pick_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    data = dialog_manager.dialog_data
    query = str(data.get("p_query") or "")
    if query:
        found = [
            {"id": row.id, "name": short(row.name, 40) + (f" · {row.tax_id}" if row.tax_id else "")}
            for row in await search_partners(query, limit=PICK_LIMIT)
            if row.id != deal.partner_id
        ]
    else:  # a competitor: the catalogue's competitors
        found = [
            {"id": c.id, "name": short(c.name, 50)}
            for c in await list_competitors(exclude_partner_id=deal.partner_id)
        ]
    return {
        "notice": pop_notice(dialog_manager),
        "role": _role_name(dialog_manager, locale),
        "query": query,
        "has_query": bool(query),
        "partners": found,
        "none": not found,
    }


async def participant_step_getter(
    dialog_manager: DialogManager, locale: str, **kwargs: Any
) -> dict[str, Any]:
    return {
        "name": str(dialog_manager.dialog_data.get("p_name") or ""),
        "role": _role_name(dialog_manager, locale),
        "levels": [{"id": n, "name": str(n)} for n in range(1, INFLUENCE_MAX + 1)],
        "attitudes": [
            {"id": code, "name": gettext(ATTITUDE_NAMES[code], locale)} for code in ATTITUDES
        ],
    }


async def confirm_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    data = dialog_manager.dialog_data
    action = (data.get("confirm") or {}).get("action")
    lines: list[str] = []
    if action == "won":
        lines.append(tr(locale, N_("Mark the deal %(number)s as won?"), number=deal.number))
    elif action == "lost":
        lines.append(tr(locale, N_("Mark the deal %(number)s as lost?"), number=deal.number))
        lines.append(tr(locale, N_("Reason: %(reason)s"), reason=data.get("lost_reason_name", "")))
        if data.get("lost_competitor_name"):
            lines.append(tr(locale, N_("Lost to: %(name)s"), name=data["lost_competitor_name"]))
    elif action == "complete_task":
        task = await get_deal_task_for(employee, deal.id, data.get("task_id"))
        lines.append(tr(locale, N_("Complete the task «%(title)s»?"), title=task.title))
        result = str(data.get("task_result") or "")
        lines.append(
            tr(locale, N_("Result: %(result)s"), result=result)
            if result
            else tr(locale, N_("Without a comment."))
        )
    elif action == "add_participant":
        lines.append(
            tr(
                locale,
                N_("Add %(name)s to the participants of %(number)s?"),
                name=data.get("p_name", ""),
                number=deal.number,
            )
        )
        lines.append(tr(locale, N_("Role: %(role)s"), role=_role_name(dialog_manager, locale)))
        lines.append(
            tr(
                locale,
                N_("Influence: %(n)s of %(max)s"),
                n=data.get("p_influence"),
                max=INFLUENCE_MAX,
            )
        )
        attitude = str(data.get("p_attitude") or "")
        lines.append(
            tr(
                locale,
                N_("Attitude: %(attitude)s"),
                attitude=gettext(ATTITUDE_NAMES.get(attitude, attitude), locale),
            )
        )
    return {"body": Html("\n".join(lines))}


async def documents_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    docs = await list_deal_documents(employee, deal.id)
    lines = [
        pop_notice(dialog_manager),
        tr(locale, N_("<b>%(number)s: process documents</b>"), number=deal.number),
    ]
    lines.append(
        tr(locale, N_("Regulations, instructions and templates: tap one to get it as a file."))
        if docs
        else tr(locale, N_("This process has no documents."))
    )
    return {
        "body": Html("\n".join(line for line in lines if line).strip()),
        "docs": [
            {
                "id": doc.id,
                "title": f"{DOC_KIND_MARKS.get(doc.doc_kind, '📎')} {short(doc.title, 50)}",
            }
            for doc in docs
        ],
    }


async def attach_getter(
    dialog_manager: DialogManager, employee: Employee | None, locale: str, **kwargs: Any
) -> dict[str, Any]:
    deal = await get_deal_for(employee, deal_id_of(dialog_manager))
    error = error_line(dialog_manager)
    return {"number": deal.number, "error": error, "has_error": bool(error)}
