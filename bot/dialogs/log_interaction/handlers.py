"""Log a call or meeting: reactions. Every id from start or callback data is loaded through
`services.access` with the acting employee; the write is one `log_interaction` call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, Select

from bot.dialogs.log_interaction.common import acting, as_id, refuse, set_error, t, typed_text
from bot.dialogs.states import LogInteractionSG as SG
from bot.dialogs.widgets import locale_of
from core import clock
from core.errors import DomainError, ValidationFailed
from core.i18n import N_
from models.base import Direction, InteractionKind
from services import agenda
from services.access import get_deal_for, get_partner_for
from services.interactions import DONE_AHEAD, NextStep, log_interaction
from services.partner_view import search_partners_for

CONTACTS = "contacts"
RESULT_MAX = 4000
SUBJECT_MAX = 500
DURATIONS = (5, 15, 30, 60, 90)
KINDS = ("call", "meeting")
DIRECTIONS = ("outgoing", "incoming")
NEXT_CHOICES = ("call", "meeting", "task")
DONE_PAST_DAYS = 60
PLAN_DAYS = 365
FOLLOW_UP = N_("Follow-up: %(subject)s")

# the steps in order; `_applies` says which ones this interaction needs
ORDER: tuple[State, ...] = (
    SG.START,
    SG.KIND,
    SG.PLANNED_OR_DONE,
    SG.DIRECTION,
    SG.DATE,
    SG.TIME,
    SG.DURATION,
    SG.CONTACTS,
    SG.RESULT,
    SG.NEXT_STEP,
    SG.NEXT_DATE,
    SG.NEXT_TIME,
    SG.CONFIRM,
)


def _applies(state: State, data: dict[str, Any]) -> bool:
    if state == SG.START:
        return not data.get("fixed_subject")
    if state == SG.KIND:
        return not data.get("fixed_kind")
    if state == SG.DIRECTION:
        return data.get("kind") == "call"
    if state == SG.CONTACTS:
        return bool(data.get("has_contacts"))
    if state == SG.NEXT_STEP:
        return bool(data.get("done"))
    if state in (SG.NEXT_DATE, SG.NEXT_TIME):
        return bool(data.get("done")) and data.get("next", "none") != "none"
    return True


async def go_next(manager: DialogManager, current: State) -> None:
    set_error(manager, None)
    data = manager.dialog_data
    for state in ORDER[ORDER.index(current) + 1 :]:
        if _applies(state, data):
            await manager.switch_to(state)
            return


async def on_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    current = manager.current_context().state
    if current in (SG.PARTNER_SEARCH, SG.PARTNER_PICK):
        await manager.switch_to(SG.START if current == SG.PARTNER_SEARCH else SG.PARTNER_SEARCH)
        return
    data = manager.dialog_data
    for state in reversed(ORDER[: ORDER.index(current)]):
        if _applies(state, data):
            await manager.switch_to(state)
            return
    await manager.done()


# --- the start ----------------------------------------------------------------------------------


async def on_start(start_data: Any, manager: DialogManager) -> None:
    """`{"deal_id"}` or `{"partner_id"}` skips the choice of the subject, `{"kind"}` the kind."""
    data = start_data if isinstance(start_data, dict) else {}
    employee = acting(manager)
    kind = data.get("kind")
    state = manager.current_context().state
    if state in (SG.START_CALL, SG.START_MEETING):  # the main menu's two entries
        kind = "call" if state == SG.START_CALL else "meeting"
    if kind in KINDS:
        manager.dialog_data.update(kind=kind, fixed_kind=True)
    deal_id, partner_id = as_id(data.get("deal_id")), as_id(data.get("partner_id"))
    if data.get("deal_id") is not None or data.get("partner_id") is not None:
        if deal_id is not None:
            deal = await get_deal_for(employee, deal_id)
            await _set_subject(manager, deal_id=deal.id, partner_id=deal.partner_id)
        else:
            partner = await get_partner_for(employee, partner_id)
            await _set_subject(manager, deal_id=None, partner_id=partner.id)
        manager.dialog_data["fixed_subject"] = True
        await go_next(manager, SG.START)
    elif state != SG.START:
        await manager.switch_to(SG.START)


async def _set_subject(
    manager: DialogManager, *, deal_id: int | None, partner_id: int | None
) -> None:
    manager.dialog_data.update(deal_id=deal_id, partner_id=partner_id)
    contacts = await agenda.list_partner_contacts(partner_id, limit=1) if partner_id else []
    manager.dialog_data["has_contacts"] = bool(contacts)


async def on_deal_picked(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    deal = await get_deal_for(acting(manager), as_id(item_id))
    await _set_subject(manager, deal_id=deal.id, partner_id=deal.partner_id)
    await go_next(manager, SG.START)


async def on_partner_search(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    set_error(manager, None)
    await manager.switch_to(SG.PARTNER_SEARCH)


async def on_partner_query(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    query = typed_text(manager, text, "partner", max_len=100)
    if query is None:
        return
    manager.dialog_data["query"] = query
    await manager.switch_to(SG.PARTNER_PICK)


async def on_partner_picked(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    partner = await get_partner_for(acting(manager), as_id(item_id))
    await _set_subject(manager, deal_id=None, partner_id=partner.id)
    await go_next(manager, SG.START)


async def partner_rows(manager: DialogManager) -> list[Any]:
    query = manager.dialog_data.get("query") or ""
    return await search_partners_for(acting(manager), query, limit=20) if query else []


# --- kind, planned or done, direction -----------------------------------------------------------


async def on_kind(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    if not await _offered(manager, item_id, KINDS, "interaction_kind"):
        return
    manager.dialog_data["kind"] = item_id
    await go_next(manager, SG.KIND)


async def on_done_chosen(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    if not await _offered(manager, item_id, ("done", "planned"), "interaction_kind"):
        return
    done = item_id == "done"
    if manager.dialog_data.get("done") != done:  # the date and time chosen before may not fit
        for key in ("date", "time", "next", "next_date", "next_time"):
            manager.dialog_data.pop(key, None)
    manager.dialog_data["done"] = done
    await go_next(manager, SG.PLANNED_OR_DONE)


async def on_direction(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    if not await _offered(manager, item_id, DIRECTIONS, "direction"):
        return
    manager.dialog_data["direction"] = item_id
    await go_next(manager, SG.DIRECTION)


async def _offered(
    manager: DialogManager, item_id: str, choices: tuple[str, ...], field: str
) -> bool:
    """Whether the pressed item is one of the choices offered; if not, the refusal is shown."""
    if item_id in choices:
        return True
    error = ValidationFailed(
        "invalid", field=field, reason="bad_choice", choices=", ".join(choices)
    )
    await refuse(manager, error)
    return False


# --- date and time ------------------------------------------------------------------------------


def date_bounds(manager: DialogManager, *, next_step: bool = False) -> tuple[dt.date, dt.date]:
    """Done: the last two months up to today; planned (and the next step): today on."""
    employee = manager.middleware_data.get("employee")
    today = agenda.local_today(employee) if employee is not None else clock.today()
    if manager.dialog_data.get("done") and not next_step:
        return today - dt.timedelta(days=DONE_PAST_DAYS), today
    return today, today + dt.timedelta(days=PLAN_DAYS)


def _check_day(manager: DialogManager, day: dt.date, *, next_step: bool) -> None:
    first, last = date_bounds(manager, next_step=next_step)
    field = "next_step" if next_step else "starts_at"
    if day < first:
        raise ValidationFailed("invalid", field=field, reason="too_far_past")
    if day > last:
        raise ValidationFailed("invalid", field=field, reason="too_far_future")


async def on_date(
    callback: CallbackQuery, widget: Any, manager: DialogManager, day: dt.date
) -> None:
    await _pick_day(manager, day, next_step=False)


async def on_next_date(
    callback: CallbackQuery, widget: Any, manager: DialogManager, day: dt.date
) -> None:
    await _pick_day(manager, day, next_step=True)


async def on_quick_day(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Today / Yesterday / Tomorrow under the calendar (the button id says which)."""
    employee = acting(manager)
    shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[str(button.widget_id).split("_")[-1]]
    day = agenda.local_today(employee) + dt.timedelta(days=shift)
    next_step = manager.current_context().state == SG.NEXT_DATE
    await _pick_day(manager, day, next_step=next_step)


async def _pick_day(manager: DialogManager, day: dt.date, *, next_step: bool) -> None:
    try:
        _check_day(manager, day, next_step=next_step)
    except DomainError as error:
        await refuse(manager, error)
        return
    manager.dialog_data["next_date" if next_step else "date"] = day.isoformat()
    await go_next(manager, SG.NEXT_DATE if next_step else SG.DATE)


def _check_moment(manager: DialogManager, at: dt.time, *, next_step: bool) -> dt.datetime:
    """The chosen local date and time as UTC; a done call not in the future, a planned one and
    the next step in the future."""
    employee = acting(manager)
    day = dt.date.fromisoformat(manager.dialog_data["next_date" if next_step else "date"])
    when = agenda.moment(employee, day, at)
    now = clock.now()
    if not next_step and manager.dialog_data.get("done"):
        if when > now + DONE_AHEAD:
            raise ValidationFailed("invalid", field="starts_at", reason="too_far_future")
    elif when <= now:
        field = "next_step" if next_step else "starts_at"
        raise ValidationFailed("invalid", field=field, reason="not_in_future")
    return when


async def _pick_time(manager: DialogManager, raw: str, *, next_step: bool) -> None:
    try:
        at = agenda.parse_time(raw)
        _check_moment(manager, at, next_step=next_step)
    except DomainError as error:
        await refuse(manager, error)
        return
    manager.dialog_data["next_time" if next_step else "time"] = at.strftime("%H:%M")
    await go_next(manager, SG.NEXT_TIME if next_step else SG.TIME)


def _grid_time(item_id: str) -> str:
    return f"{item_id[:-2]}:{item_id[-2:]}" if item_id.isdigit() and len(item_id) in (3, 4) else ""


async def on_time(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    await _pick_time(manager, _grid_time(item_id), next_step=False)


async def on_next_time(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    await _pick_time(manager, _grid_time(item_id), next_step=True)


async def on_time_typed(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    next_step = manager.current_context().state == SG.NEXT_TIME
    await _pick_time(manager, text, next_step=next_step)


# --- duration, contacts, result, next step ------------------------------------------------------


async def on_duration(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    minutes = as_id(item_id)
    if minutes not in DURATIONS:
        await refuse(
            manager,
            ValidationFailed(
                "invalid",
                field="ends_at",
                reason="bad_choice",
                choices=", ".join(map(str, DURATIONS)),
            ),
        )
        return
    manager.dialog_data["duration"] = minutes
    await go_next(manager, SG.DURATION)


async def on_duration_skip(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("duration", None)
    await go_next(manager, SG.DURATION)


async def on_contacts_done(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await go_next(manager, SG.CONTACTS)


def checked_contacts(manager: DialogManager) -> list[int]:
    widget = manager.find(CONTACTS)
    raw = widget.get_checked() if widget is not None else []
    return [i for i in (as_id(x) for x in raw) if i is not None]


async def on_result(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    done = bool(manager.dialog_data.get("done"))
    field, max_len = ("result", RESULT_MAX) if done else ("subject", SUBJECT_MAX)
    value = typed_text(manager, text, field, max_len=max_len)
    if value is None:
        return
    manager.dialog_data["result"] = value
    await go_next(manager, SG.RESULT)


async def on_next_step(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    if not await _offered(manager, item_id, (*NEXT_CHOICES, "none"), "next_step"):
        return
    manager.dialog_data["next"] = item_id
    if item_id == "none":
        manager.dialog_data.pop("next_date", None)
        manager.dialog_data.pop("next_time", None)
    await go_next(manager, SG.NEXT_STEP)


# --- the write ----------------------------------------------------------------------------------


async def on_confirm(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    employee = acting(manager)
    data = manager.dialog_data
    try:
        deal_id = partner_id = None
        subject_name = ""
        if data.get("deal_id") is not None:
            deal = await get_deal_for(employee, data["deal_id"])
            deal_id, partner_id, subject_name = deal.id, deal.partner_id, deal.title
        elif data.get("partner_id") is not None:
            partner = await get_partner_for(employee, data["partner_id"])
            partner_id, subject_name = partner.id, partner.name
        contacts = await agenda.check_partner_contacts(partner_id, checked_contacts(manager))
        starts_at = _check_moment(manager, agenda.parse_time(data["time"]), next_step=False)
        duration = data.get("duration")
        ends_at = starts_at + dt.timedelta(minutes=duration) if duration else None
        done = bool(data.get("done"))
        next_step = None
        if done and data.get("next", "none") != "none":
            at = _check_moment(manager, agenda.parse_time(data["next_time"]), next_step=True)
            choice = data["next"]
            follow = t(manager, FOLLOW_UP) % {"subject": subject_name or "—"}
            next_step = NextStep(
                at=at,
                subject=follow[:SUBJECT_MAX],
                kind=InteractionKind.MEETING if choice == "meeting" else InteractionKind.CALL,
                as_task=choice == "task",
            )
        kind = data["kind"]
        interaction = await log_interaction(
            kind=kind,
            owner_id=employee.id,
            starts_at=starts_at,
            ends_at=ends_at,
            deal_id=deal_id,
            partner_id=partner_id,
            direction=data.get("direction", Direction.NONE) if kind == "call" else Direction.NONE,
            subject="" if done else data.get("result", ""),
            done=done,
            result=data.get("result", "") if done else "",
            contact_ids=contacts,
            next_step=next_step,
        )
    except (DomainError, KeyError, ValueError) as error:
        if not isinstance(error, DomainError):  # a step's answer is missing: start again
            error = ValidationFailed("invalid", field="interaction", reason="required")
        await refuse(manager, error)
        return
    set_error(manager, None)
    data["interaction_id"] = interaction.id
    await manager.switch_to(SG.DONE)


async def on_open_deal(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    from bot.dialogs.states import DealCardSG

    deal = await get_deal_for(acting(manager), manager.dialog_data.get("deal_id"))
    await manager.start(DealCardSG.MAIN, data={"deal_id": deal.id})


def locale(manager: DialogManager) -> str:
    return locale_of(manager)
