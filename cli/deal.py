"""`crm deal show N`: one deal with its stage log, tasks, participants, interactions and the
explanation of its win probability, as text (in the CRM's language) or JSON.

    crm deal show D-000123
    crm deal show 123 --format json
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from cli.common import fail, run_db, settings
from core.errors import DomainError
from core.i18n import N_, format_date, format_datetime, format_money, gettext
from services.i18n_extra_pipeline import translate_pipeline_error
from services.probability import NOTES

FORMATS = ("text", "json")

STATUS_NAMES = {"open": N_("In progress"), "won": N_("Won"), "lost": N_("Lost")}
RESULT_NAMES = {"current": N_("current"), "passed": N_("passed"), "lost": N_("lost")}
TASK_STATUS_NAMES = {"open": N_("open"), "done": N_("done"), "cancelled": N_("cancelled")}
STEP_NAMES = {"execute": N_("execution"), "check": N_("check")}
INTERACTION_NAMES = {
    "call": N_("Call"),
    "meeting": N_("Meeting"),
    "email": N_("E-mail"),
    "telegram": N_("Telegram message"),
    "note": N_("Note"),
    "planned": N_("Planned contact"),
}
DIRECTION_NAMES = {"incoming": N_("incoming"), "outgoing": N_("outgoing")}
ROLE_NAMES = {
    "client": N_("Client"),
    "competitor": N_("Competitor"),
    "subcontractor": N_("Subcontractor"),
    "influencer": N_("Influencer"),
    "decision_maker": N_("Decision maker"),
    "other": N_("Other"),
}
ATTITUDE_NAMES = {
    "supporter": N_("Supporter"),
    "neutral": N_("Neutral"),
    "opponent": N_("Opponent"),
}
# Notes of probability components that already name their sample; the others get "won, lost".
_NOTES_WITH_COUNTS = {"shrunk", "shrunk_to_stage", "shrunk_to_company", "counts"}

LABELS = {
    "kind": N_("Process"),
    "guided": N_("guided"),
    "manual": N_("manual"),
    "stage": N_("Stage"),
    "status": N_("Status"),
    "client": N_("Client"),
    "counterparty": N_("Counterparty"),
    "owner": N_("Owner"),
    "potential": N_("Potential"),
    "started": N_("Started"),
    "ended": N_("Ended"),
    "expected_close": N_("Expected to close"),
    "last_activity": N_("Last activity"),
    "loss_reason": N_("Loss reason"),
    "winner": N_("Won by"),
    "comment": N_("Comment"),
    "probability": N_("Win probability: %(percent)s%% (%(method)s)"),
    "before_penalty": N_("before the staleness penalty: %(percent)s%%"),
    "manual_estimate": N_("the owner's estimate"),
    "stage_log": N_("Stage log"),
    "log_header": N_("Stage · entered → left · days · result"),
    "now": N_("now"),
    "skipped": N_("skipped"),
    "tasks": N_("Tasks"),
    "due": N_("due %(at)s"),
    "overdue": N_("overdue"),
    "checker": N_("checked by %(name)s"),
    "result": N_("result: %(text)s"),
    "participants": N_("Participants"),
    "influence": N_("influence %(value)s/5"),
    "won_the_deal": N_("won the deal"),
    "interactions": N_("Interactions"),
    "planned": N_("planned"),
    "none": N_("none"),
    "weight": N_("weight %(value)s"),
}


@click.group("deal")
def deal_group() -> None:
    """Deals: show one with its history."""


@deal_group.command("show")
@click.argument("ref", metavar="N")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
    help="text: for people, in the CRM's language; json: for programs.",
)  # fmt: skip
def show_cmd(ref: str, fmt: str) -> None:
    """The deal N (its number, e.g. D-000123, or its id) with its stage log, tasks,
    participants, interactions and the explanation of its win probability."""
    conf = settings()
    locale = conf.default_locale
    view = run_db(_load, ref)
    if isinstance(view, DomainError):
        fail(translate_pipeline_error(view, locale))
    if fmt == "json":
        text = json.dumps(view_as_dict(view, locale), ensure_ascii=False, indent=2)
        click.echo(text)
        return
    click.echo("\n".join(render_text(view, locale, conf.timezone)))


async def _load(ref: str):  # type: ignore[no-untyped-def]
    from services.deal_view import get_deal_view

    try:
        return await get_deal_view(ref)
    except DomainError as error:
        return error


# --- text ---------------------------------------------------------------------------------------


def _t(message: str, locale: str, **params: Any) -> str:
    text = gettext(message, locale)
    return text % params if params else text


def _number(value: float, locale: str, digits: int = 2) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if locale == "uk" else text


def _name(uk: str | None, en: str | None, locale: str) -> str:
    return (en if locale == "en" else uk) or uk or en or ""


def _moment(value: dt.datetime | None, locale: str, tz: str) -> str:
    return format_datetime(value, tz, locale) if value is not None else ""


def render_text(view: Any, locale: str, tz: str = "Europe/Kyiv") -> list[str]:
    """The deal for people: the important figures first, then each list under its heading."""
    lines = [f"{view.number} · {view.title}"]
    status = _t(STATUS_NAMES.get(view.status, view.status), locale)
    control = _t(LABELS["guided"] if view.guided else LABELS["manual"], locale)
    head = [
        f"{_t(LABELS['status'], locale)}: {status}",
        f"{_t(LABELS['kind'], locale)}: {_name(view.kind_name_uk, view.kind_name_en, locale)}"
        f" ({control})",
    ]
    if view.stage_code:
        stage = _name(view.stage_name_uk, view.stage_name_en, locale)
        head.append(f"{_t(LABELS['stage'], locale)}: {stage}")
    lines.append(" · ".join(head))
    if view.partner:
        client = f"{_t(LABELS['client'], locale)}: {view.partner}"
        if view.counterparty:
            client += f" ({_t(LABELS['counterparty'], locale).lower()}: {view.counterparty})"
        lines.append(client)
    lines.append(f"{_t(LABELS['owner'], locale)}: {view.owner}")
    money = format_money(view.potential_minor, view.currency, locale)
    lines.append(f"{_t(LABELS['potential'], locale)}: {money}")
    dates = [f"{_t(LABELS['started'], locale)}: {format_date(_local_day(view.started_at, tz))}"]
    if view.ended_at:
        ended = format_date(_local_day(view.ended_at, tz))
        dates.append(f"{_t(LABELS['ended'], locale)}: {ended}")
    elif view.expected_close_on:
        expected = format_date(view.expected_close_on)
        dates.append(f"{_t(LABELS['expected_close'], locale)}: {expected}")
    lines.append(" · ".join(dates))
    if view.last_activity_at:
        lines.append(
            f"{_t(LABELS['last_activity'], locale)}: {_moment(view.last_activity_at, locale, tz)}"
        )
    if view.loss_reason_code:
        reason = _name(view.loss_reason_uk, view.loss_reason_en, locale)
        lines.append(f"{_t(LABELS['loss_reason'], locale)}: {reason}")
        if view.winner:
            lines.append(f"{_t(LABELS['winner'], locale)}: {view.winner}")
        if view.loss_comment:
            lines.append(f"{_t(LABELS['comment'], locale)}: {view.loss_comment}")
    lines += ["", *_probability_lines(view.probability, locale)]
    lines += ["", *_stage_log_lines(view, locale, tz)]
    lines += ["", *_task_lines(view, locale, tz)]
    lines += ["", *_participant_lines(view, locale)]
    lines += ["", *_interaction_lines(view, locale, tz)]
    return lines


def _local_day(moment: dt.datetime, tz: str) -> dt.date:
    from core.clock import to_local

    return to_local(moment, tz).date()


def _heading(label: str, count: int, locale: str) -> str:
    return f"{_t(label, locale)} ({count})"


def _probability_lines(explanation: Any, locale: str) -> list[str]:
    from services.probability import METHOD_NAMES

    method = _t(METHOD_NAMES.get(explanation.method, explanation.method), locale)
    lines = [_t(LABELS["probability"], locale, percent=explanation.percent, method=method)]
    if explanation.note:
        lines.append("  " + _note(explanation.note, {}, locale))
    if explanation.before_penalty is not None:
        before = _number(explanation.before_penalty, locale)
        lines.append("  " + _t(LABELS["before_penalty"], locale, percent=before))
    for component in explanation.components:
        lines.append("  " + _component_text(component, explanation.method, locale))
    return lines


def _note(code: str, params: dict[str, Any], locale: str) -> str:
    template = gettext(NOTES.get(code, code), locale)
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template


def _component_text(component: Any, method: str, locale: str) -> str:
    name = _t(component.name, locale)
    if component.code == "staleness":
        value = f"× {_number(component.value / 100, locale)}"
    else:
        value = f"{_number(component.value, locale)}%"
    parts = [f"{name}: {value}"]
    if component.note:
        parts.append(_note(component.note, component.note_params(), locale))
    if component.decided is not None and component.note not in _NOTES_WITH_COUNTS:
        parts.append(_note("counts", component.note_params(), locale))
    if method == "shrunk" and component.code not in ("staleness",):
        weight = _number(component.weight, locale, 0 if component.weight.is_integer() else 2)
        parts.append(_t(LABELS["weight"], locale, value=weight))
    return " — ".join(parts)


def _stage_log_lines(view: Any, locale: str, tz: str) -> list[str]:
    lines = [_heading(LABELS["stage_log"], len(view.stage_log), locale)]
    if view.stage_log:
        lines.append("  " + _t(LABELS["log_header"], locale))
    for index, row in enumerate(view.stage_log, start=1):
        name = _name(row.stage_name_uk, row.stage_name_en, locale)
        left = _moment(row.left_at, locale, tz) if row.left_at else _t(LABELS["now"], locale)
        result = _t(RESULT_NAMES.get(row.result, row.result), locale)
        if row.skipped:
            result += f", {_t(LABELS['skipped'], locale)}"
        days = _number(row.days, locale)
        entered = _moment(row.entered_at, locale, tz)
        lines.append(f"  {index}. {name} · {entered} → {left} · {days} · {result}")
    return lines


def _task_lines(view: Any, locale: str, tz: str) -> list[str]:
    lines = [_heading(LABELS["tasks"], len(view.tasks), locale)]
    for task in view.tasks:
        status = _t(TASK_STATUS_NAMES.get(task.status, task.status), locale)
        if task.overdue:
            status += f", {_t(LABELS['overdue'], locale)}"
        parts = [f"  [{status}] {task.title}", task.performer]
        if task.step:
            parts.append(_t(STEP_NAMES.get(task.step, task.step), locale))
        if task.checker and task.checker != task.performer:
            parts.append(_t(LABELS["checker"], locale, name=task.checker))
        if task.due_at:
            parts.append(_t(LABELS["due"], locale, at=_moment(task.due_at, locale, tz)))
        if task.result:
            parts.append(_t(LABELS["result"], locale, text=task.result))
        lines.append(" — ".join(part for part in parts if part))
    return lines


def _participant_lines(view: Any, locale: str) -> list[str]:
    lines = [_heading(LABELS["participants"], len(view.participants), locale)]
    for person in view.participants:
        name = f"{person.name} ({person.company})" if person.company else person.name
        parts = [_t(ROLE_NAMES.get(person.role, person.role), locale)]
        if person.influence is not None:
            parts.append(_t(LABELS["influence"], locale, value=person.influence))
        parts.append(_t(ATTITUDE_NAMES.get(person.attitude, person.attitude), locale))
        if person.won_the_deal:
            parts.append(_t(LABELS["won_the_deal"], locale))
        lines.append(f"  {name} — {', '.join(parts)}")
    return lines


def _interaction_lines(view: Any, locale: str, tz: str) -> list[str]:
    lines = [_heading(LABELS["interactions"], len(view.interactions), locale)]
    for item in view.interactions:
        kind = _t(INTERACTION_NAMES.get(item.kind, item.kind), locale)
        if item.direction in DIRECTION_NAMES:
            kind += f" ({_t(DIRECTION_NAMES[item.direction], locale)})"
        if not item.done:
            kind += f", {_t(LABELS['planned'], locale)}"
        text = f"  {_moment(item.starts_at, locale, tz)} {kind}"
        if item.subject:
            text += f" «{item.subject}»"
        text += f" — {item.owner}"
        if item.result:
            text += f"; {_t(LABELS['result'], locale, text=item.result)}"
        lines.append(text)
    return lines


# --- JSON ---------------------------------------------------------------------------------------


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def view_as_dict(view: Any, locale: str = "uk") -> dict[str, Any]:
    """The view as JSON-ready data: codes and ISO times (UTC), money in minor units, and the
    names of stages and probability components in the CRM's language as well."""
    probability = view.probability
    return {
        "id": view.id,
        "number": view.number,
        "title": view.title,
        "version": view.version,
        "status": view.status,
        "kind": {
            "code": view.kind_code,
            "name": _name(view.kind_name_uk, view.kind_name_en, locale),
            "guided": view.guided,
            "switched_to_manual": view.switched_to_manual,
        },
        "stage": (
            {
                "code": view.stage_code,
                "name": _name(view.stage_name_uk, view.stage_name_en, locale),
            }
            if view.stage_code
            else None
        ),
        "owner": {"name": view.owner, "email": view.owner_email},
        "partner": {"id": view.partner_id, "name": view.partner} if view.partner_id else None,
        "counterparty": view.counterparty,
        "potential_minor": view.potential_minor,
        "currency": view.currency,
        "started_at": _iso(view.started_at),
        "ended_at": _iso(view.ended_at),
        "expected_close_on": _iso(view.expected_close_on),
        "last_activity_at": _iso(view.last_activity_at),
        "manual_probability": view.manual_probability,
        "loss": (
            {
                "reason": view.loss_reason_code,
                "reason_name": _name(view.loss_reason_uk, view.loss_reason_en, locale),
                "comment": view.loss_comment,
                "winner": view.winner,
            }
            if view.loss_reason_code
            else None
        ),
        "source": view.source,
        "channel": view.channel,
        "comment": view.comment,
        "stage_log": [
            {
                "stage": row.stage_code,
                "stage_name": _name(row.stage_name_uk, row.stage_name_en, locale),
                "entered_at": _iso(row.entered_at),
                "left_at": _iso(row.left_at),
                "days": round(row.days, 4),
                "result": row.result,
                "skipped": row.skipped,
                "responsible": row.responsible,
            }
            for row in view.stage_log
        ],
        "tasks": [
            {
                "id": task.id,
                "title": task.title,
                "status": task.status,
                "performer": task.performer,
                "checker": task.checker,
                "step": task.step,
                "stage": task.stage_code,
                "due_at": _iso(task.due_at),
                "completed_at": _iso(task.completed_at),
                "overdue": task.overdue,
                "result": task.result,
            }
            for task in view.tasks
        ],
        "participants": [
            {
                "id": person.id,
                "partner_id": person.partner_id,
                "contact_id": person.contact_id,
                "name": person.name,
                "company": person.company,
                "role": person.role,
                "influence": person.influence,
                "attitude": person.attitude,
                "won_the_deal": person.won_the_deal,
                "comment": person.comment,
            }
            for person in view.participants
        ],
        "interactions": [
            {
                "id": item.id,
                "kind": item.kind,
                "direction": item.direction,
                "subject": item.subject,
                "starts_at": _iso(item.starts_at),
                "ends_at": _iso(item.ends_at),
                "done": item.done,
                "result": item.result,
                "owner": item.owner,
            }
            for item in view.interactions
        ],
        "probability": {
            "percent": probability.percent,
            "method": probability.method,
            "method_name": gettext(probability.method_name, locale),
            "status": probability.status,
            "note": probability.note or None,
            "before_penalty": probability.before_penalty,
            "prior_deals": probability.prior_deals,
            "components": [
                {
                    "code": component.code,
                    "name": gettext(component.name, locale),
                    "value": component.value,
                    "weight": component.weight,
                    "won": component.won,
                    "lost": component.lost,
                    "sample": component.decided,
                    "note": component.note or None,
                    "explanation": (
                        _note(component.note, component.note_params(), locale)
                        if component.note
                        else None
                    ),
                    "days": component.days,
                }
                for component in probability.components
            ],
        },
        "as_of": _iso(view.as_of),
    }
