"""The deal card's texts: the card, the probability's explanation, the timeline (pure functions
of service DTOs; every string through gettext, every user-supplied value escaped)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from typing import Any

from bot.dialogs.deals.common import (
    CONTROL_NAMES,
    STATUS_NAMES,
    local_name,
    short,
    tr,
)
from bot.texts.helpers import Html, escape
from core.i18n import N_, format_date, format_datetime, format_money, gettext
from services.deal_card import DealCard, InteractionRef
from services.interactions import TimelineItem
from services.probability import COMPONENT_NAMES, METHOD_NAMES, NOTES, ProbabilityExplanation

INTERACTION_NAMES = {
    "call": N_("Call"),
    "meeting": N_("Meeting"),
    "email": N_("E-mail"),
    "telegram": N_("Telegram"),
    "note": N_("Note"),
    "planned": N_("Planned contact"),
}
INTERACTION_MARKS = {
    "call": "📞",
    "meeting": "🤝",
    "email": "✉️",
    "telegram": "💬",
    "note": "📝",
    "planned": "🗓",
}
DIRECTION_MARKS = {"incoming": "⬅️", "outgoing": "➡️", "none": ""}
DOCUMENT_NAMES = {
    "order": N_("Order %(number)s: %(amount)s"),
    "invoice": N_("Invoice %(number)s: %(amount)s"),
    "shipment": N_("Shipment %(number)s: %(amount)s"),
    "payment": N_("Payment %(number)s: %(amount)s"),
}
DOCUMENT_MARKS = {"order": "🧾", "invoice": "💳", "shipment": "🚚", "payment": "💵"}
EVENT_TEXTS = {
    "created": ("🆕", N_("Deal created")),
    "won": ("🏆", N_("Deal won")),
    "reopened": ("🔄", N_("Deal reopened")),
    "switched_to_manual": ("✋", N_("Switched to manual control")),
    "updated": ("✏️", N_("Deal details changed")),
    "checklist_confirmed": ("☑️", N_("Stage checklist confirmed")),
    "participant_added": ("👥", N_("Participant added")),
    "participant_changed": ("👥", N_("Participant changed")),
    "participant_removed": ("👥", N_("Participant removed")),
    "imported": ("📥", N_("Imported from another system")),
    "import_updated": ("📥", N_("Updated by an import")),
    "stage_log_imported": ("📥", N_("Stage history imported")),
}
COUNTED_NOTES = {"shrunk", "shrunk_to_stage", "shrunk_to_company", "counts"}
TEXT_LIMIT = 120


def when(value: dt.datetime | None, tz: str, locale: str) -> str:
    return format_datetime(value, tz, locale) if value else "—"


def stage_label(card: DealCard, locale: str) -> str:
    if card.stage is None:
        return "—"
    name = local_name(card.stage.name_uk, card.stage.name_en, locale)
    if card.stage_position:
        return gettext(N_("%(stage)s (%(n)s of %(total)s)"), locale) % {
            "stage": name,
            "n": card.stage_position,
            "total": card.stage_count,
        }
    return name


def interaction_line(item: InteractionRef, tz: str, locale: str) -> Html:
    mark = INTERACTION_MARKS.get(item.kind, "•")
    kind = gettext(INTERACTION_NAMES.get(item.kind, item.kind), locale)
    arrow = DIRECTION_MARKS.get(item.direction, "")
    text = f"{mark} {escape(when(item.starts_at, tz, locale))} {escape(kind)}"
    text += f" {arrow}" if arrow else ""
    if item.subject:
        text += f": {escape(short(item.subject, TEXT_LIMIT))}"
    if item.result:
        text += f" — {escape(short(item.result, TEXT_LIMIT))}"
    return Html(text)


def card_text(card: DealCard, *, tz: str, locale: str, viewer_id: int, notice: str = "") -> Html:
    lines: list[str] = []
    if notice:
        lines += [notice, ""]
    lines.append(f"<b>{escape(card.number)}</b> · <b>{escape(short(card.title, 200))}</b>")
    lines.append(tr(locale, N_("Partner: %(partner)s"), partner=card.partner or "—"))
    control = gettext(CONTROL_NAMES.get(card.control_type, card.control_type), locale)
    if card.control_type == "guided" and not card.guided:
        control = gettext(CONTROL_NAMES["manual"], locale)
    lines.append(
        tr(
            locale,
            N_("Kind: %(kind)s (%(control)s)"),
            kind=local_name(card.kind_name_uk, card.kind_name_en, locale),
            control=control,
        )
    )
    lines.append(tr(locale, N_("Stage: %(stage)s"), stage=stage_label(card, locale)))
    status = gettext(STATUS_NAMES.get(card.status, card.status), locale)
    if card.status == "lost":
        reason = local_name(card.loss_reason_uk, card.loss_reason_en, locale) or "—"
        status = f"{status}: {reason}"
        if card.winner:
            status += " — " + gettext(N_("won by %(winner)s"), locale) % {"winner": card.winner}
    lines.append(tr(locale, N_("Status: %(status)s"), status=status))
    lines.append(
        tr(
            locale,
            N_("Potential: %(amount)s"),
            amount=format_money(card.potential_minor, card.currency, locale),
        )
    )
    probability = tr(locale, N_("Probability: %(percent)s %%"), percent=card.probability)
    if card.manual_probability is not None and card.is_open:
        probability = Html(
            probability
            + " "
            + tr(
                locale,
                N_("(the owner's estimate: %(percent)s %%)"),
                percent=card.manual_probability,
            )
        )
    lines.append(probability)
    if card.expected_close_on:
        lines.append(
            tr(
                locale,
                N_("Expected closing: %(date)s"),
                date=format_date(card.expected_close_on, locale),
            )
        )
    if card.owner_id != viewer_id:
        lines.append(tr(locale, N_("Owner: %(name)s"), name=card.owner))
    task = card.next_task
    if task is not None:
        due = when(task.due_at, tz, locale) if task.due_at else gettext(N_("no due date"), locale)
        line = tr(
            locale,
            N_("Next task: %(title)s, due %(due)s"),
            title=short(task.title, TEXT_LIMIT),
            due=due,
        )
        if task.overdue:
            line = Html("⏰ " + line)
        if task.performer_id != viewer_id:
            line = Html(line + f" ({escape(short(task.performer, 40))})")
        lines += ["", line]
    if card.planned is not None:
        lines.append(
            Html(tr(locale, N_("Planned:")) + " " + interaction_line(card.planned, tz, locale))
        )
    if card.interactions:
        lines += ["", tr(locale, N_("<b>Latest contacts</b>"))]
        lines += [interaction_line(item, tz, locale) for item in card.interactions]
    return Html("\n".join(lines))


# --- the probability ------------------------------------------------------------------------------


def probability_text(explanation: ProbabilityExplanation, number: str, locale: str) -> Html:
    lines = [
        tr(
            locale,
            N_("<b>%(number)s: win probability %(percent)s %%</b>"),
            number=number,
            percent=explanation.percent,
        ),
        tr(
            locale,
            N_("Method: %(method)s"),
            method=gettext(METHOD_NAMES.get(explanation.method, explanation.method), locale),
        ),
    ]
    if explanation.note:
        lines.append(escape(gettext(NOTES.get(explanation.note, explanation.note), locale)))
    for component in explanation.components:
        name = gettext(COMPONENT_NAMES.get(component.code, component.name), locale)
        value = f"{component.value:g}"
        if component.code == "staleness":
            head = tr(locale, N_("%(name)s: ×%(value)s %%"), name=name, value=value)
        else:
            head = tr(locale, N_("%(name)s: %(value)s %%"), name=name, value=value)
        details: list[str] = []
        if component.decided is not None and component.note not in COUNTED_NOTES:
            details.append(
                tr(
                    locale,
                    N_("sample: %(decided)s closed, %(won)s won"),
                    decided=component.decided,
                    won=component.won or 0,
                )
            )
        if component.note:
            note = gettext(NOTES.get(component.note, component.note), locale)
            with contextlib.suppress(KeyError, TypeError, ValueError):
                note = note % component.note_params()
            details.append(escape(note))
        if (
            explanation.method == "shrunk"
            and component.weight == 0
            and component.code not in ("staleness",)
        ):
            details.append(tr(locale, N_("shown for reference, not averaged")))
        lines.append("")
        lines.append(f"• <b>{head}</b>")
        lines += [f"  {detail}" for detail in details]
    if explanation.before_penalty is not None:
        lines += [
            "",
            tr(
                locale,
                N_("Before the staleness penalty: %(percent)s %%"),
                percent=f"{explanation.before_penalty:g}",
            ),
        ]
    return Html("\n".join(lines))


# --- the timeline ---------------------------------------------------------------------------------


def _event_text(
    item: TimelineItem,
    locale: str,
    stage_names: Mapping[str, tuple[str, str]],
    reasons: Mapping[str, tuple[str, str]],
) -> Html:
    data: dict[str, Any] = item.data

    def stage(code: Any) -> str:
        names = stage_names.get(str(code))
        return local_name(*names, locale) if names else str(code or "—")

    if item.title == "stage_moved":
        return Html(
            "🚩 "
            + tr(
                locale,
                N_("Stage: %(source)s → %(target)s"),
                source=stage(data.get("from")),
                target=stage(data.get("to")),
            )
        )
    if item.title == "lost":
        names = reasons.get(str(data.get("reason")))
        reason = local_name(*names, locale) if names else str(data.get("reason") or "—")
        return Html("⚫ " + tr(locale, N_("Deal lost: %(reason)s"), reason=reason))
    if item.title == "potential_changed":
        new = data.get("new") or {}
        amount = format_money(
            int(new.get("potential_minor") or 0), new.get("currency") or "UAH", locale
        )
        return Html("💰 " + tr(locale, N_("Potential: %(amount)s"), amount=amount))
    mark, msgid = EVENT_TEXTS.get(item.title, ("•", ""))
    if msgid:
        return Html(f"{mark} " + tr(locale, msgid))
    return Html(f"• {escape(item.title)}")


def timeline_line(
    item: TimelineItem,
    *,
    tz: str,
    locale: str,
    stage_names: Mapping[str, tuple[str, str]],
    reasons: Mapping[str, tuple[str, str]],
) -> Html:
    at = escape(when(item.at, tz, locale))
    data = item.data
    title = short(item.title, TEXT_LIMIT)
    if item.kind == "event":
        text = _event_text(item, locale, stage_names, reasons)
    elif item.kind in ("interaction", "planned_interaction"):
        kind = str(data.get("interaction_kind", ""))
        name = gettext(INTERACTION_NAMES.get(kind, kind), locale)
        mark = INTERACTION_MARKS.get(kind, "•") if item.kind == "interaction" else "🗓"
        arrow = DIRECTION_MARKS.get(str(data.get("direction", "")), "")
        if item.kind == "planned_interaction":
            name = gettext(N_("Planned: %(kind)s"), locale) % {"kind": name}
        text = Html(f"{mark} {escape(name)}{arrow}" + (f": {escape(title)}" if title else ""))
        if data.get("result"):
            text = Html(text + f" — {escape(short(str(data['result']), TEXT_LIMIT))}")
    elif item.kind == "task":
        text = Html("📌 " + tr(locale, N_("Task set: %(title)s"), title=title))
    elif item.kind == "task_done":
        if data.get("status") == "cancelled":
            text = Html("✖️ " + tr(locale, N_("Task cancelled: %(title)s"), title=title))
        else:
            text = Html("✅ " + tr(locale, N_("Task done: %(title)s"), title=title))
            if data.get("result"):
                text = Html(text + f" — {escape(short(str(data['result']), TEXT_LIMIT))}")
    elif item.kind == "email":
        arrow = "➡️" if data.get("outgoing") else "⬅️"
        text = Html(f"✉️{arrow} " + tr(locale, N_("E-mail: %(subject)s"), subject=title or "—"))
    elif item.kind in DOCUMENT_NAMES:
        amount = format_money(
            int(data.get("amount_minor") or 0), str(data.get("currency") or "UAH"), locale
        )
        text = Html(
            f"{DOCUMENT_MARKS[item.kind]} "
            + tr(locale, DOCUMENT_NAMES[item.kind], number=title, amount=amount)
        )
    elif item.kind == "file":
        text = Html("📎 " + tr(locale, N_("File: %(name)s"), name=title or "—"))
    else:
        text = Html(f"• {escape(title)}")
    return Html(f"<i>{at}</i> {text}")
