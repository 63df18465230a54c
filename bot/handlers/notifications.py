"""Buttons on pushed reminders (the callback data contract is `jobs/callbacks.py`).

Every press loads the deal, task, meeting or partner named by the callback data through
`services.access` with the acting employee (a forged or stale id of someone else's object is
answered "no access" by the error handler, and nothing opens or changes), then either calls one
service command and answers the press, or opens the dialog that does the rest:

    dn: open -> the deal card; call -> Log a call on the deal; lost -> Mark lost; snooze -> no
        reminders about the deal for N days
    tn: open -> the task card; done -> complete it; snooze -> remind again in N minutes
    mn: open -> the deal card (or Log a call on the partner); done -> it took place; snooze
    pn: open -> the partner card; call -> Log a call on the partner
    cn: open -> the claim card; take -> take the claim into work

Include `build_router()` before the dialogs (`bot.handlers.BEFORE_DIALOGS`, after `commands`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, StartMode

from bot.access import require_role
from bot.dialogs.states import ClaimsSG, DealCardSG, LogInteractionSG, PartnersSG, TasksSG
from bot.texts.helpers import Translator
from core import clock
from core.errors import AccessDenied, DomainError
from core.i18n import N_
from jobs.callbacks import (
    DEAL_SNOOZE_DAYS,
    MEETING_SNOOZE_MINUTES,
    TASK_SNOOZE_MINUTES,
    ClaimAction,
    ClaimNudge,
    DealNudge,
    MeetingNudge,
    NudgeAction,
    PartnerNudge,
    TaskNudge,
)
from models.employee import Employee
from services import agenda
from services.access import get_deal_for, get_interaction_for, get_partner_for, get_task_for
from services.claims import get_claim, take_into_work
from services.interactions import mark_interaction_done
from services.notifications import snooze_deal_reminders
from services.tasks import complete_task, snooze_task

DEAL_SNOOZED = N_("No reminders about this deal until %(moment)s.")
REMIND_AGAIN = N_("I will remind you at %(moment)s.")
TASK_DONE = N_("The task is done.")
MEETING_DONE = N_("Marked as taken place.")
CLAIM_TAKEN = N_("The claim %(number)s is in processing.")
MAX_SNOOZE_MINUTES = 24 * 60


def _i18n(i18n: Translator | None) -> Translator:
    return i18n or Translator()


def _local(moment: dt.datetime, employee: Employee) -> str:
    return clock.to_local(moment, employee.timezone or "Europe/Kyiv").strftime("%d.%m.%Y %H:%M")


async def _open(manager: DialogManager, state: Any, data: dict[str, Any]) -> None:
    await manager.start(state, data=data, mode=StartMode.RESET_STACK)


async def _say(query: CallbackQuery, text: str, *, alert: bool = False) -> None:
    await query.answer(text, show_alert=alert)


async def _command(query: CallbackQuery, i18n: Translator, run: Any) -> Any:
    """Run one service command; a refusal (not AccessDenied) is answered as a pop-up."""
    try:
        return await run()
    except AccessDenied:
        raise
    except DomainError as error:
        await _say(query, agenda_error(error, i18n), alert=True)
        return None


def agenda_error(error: DomainError, i18n: Translator) -> str:
    from bot.dialogs.log_interaction.common import say_error

    return say_error(error, i18n.locale)


def _minutes(value: int, default: int) -> int:
    return value if 1 <= value <= MAX_SNOOZE_MINUTES else default


async def on_deal_nudge(
    query: CallbackQuery,
    callback_data: DealNudge,
    dialog_manager: DialogManager,
    employee: Employee | None = None,
    i18n: Translator | None = None,
) -> None:
    employee = require_role(employee)
    i18n = _i18n(i18n)
    deal = await get_deal_for(employee, callback_data.deal_id)
    action = callback_data.action
    if action == NudgeAction.OPEN:
        await query.answer()
        await _open(dialog_manager, DealCardSG.MAIN, {"deal_id": deal.id})
    elif action == NudgeAction.CALL:
        await query.answer()
        await _open(dialog_manager, LogInteractionSG.START, {"deal_id": deal.id, "kind": "call"})
    elif action == NudgeAction.LOST:
        await query.answer()
        await _open(dialog_manager, DealCardSG.LOST_REASON, {"deal_id": deal.id})
    elif action == NudgeAction.SNOOZE:
        days = callback_data.days if 1 <= callback_data.days <= 30 else DEAL_SNOOZE_DAYS
        until = await _command(
            query, i18n, lambda: snooze_deal_reminders(employee.id, deal.id, days=days)
        )
        if until is not None:
            await _say(query, i18n(DEAL_SNOOZED, moment=_local(until, employee)))
    else:
        raise AccessDenied("access_denied")


async def on_task_nudge(
    query: CallbackQuery,
    callback_data: TaskNudge,
    dialog_manager: DialogManager,
    employee: Employee | None = None,
    i18n: Translator | None = None,
) -> None:
    employee = require_role(employee)
    i18n = _i18n(i18n)
    task = await get_task_for(employee, callback_data.task_id)
    action = callback_data.action
    if action == NudgeAction.OPEN:
        await query.answer()
        await _open(dialog_manager, TasksSG.LIST, {"task_id": task.id})
    elif action == NudgeAction.DONE:
        done = await _command(query, i18n, lambda: complete_task(task.id, actor_id=employee.id))
        if done is not None:
            await _say(query, i18n(TASK_DONE))
    elif action == NudgeAction.SNOOZE:
        minutes = _minutes(callback_data.minutes, TASK_SNOOZE_MINUTES)
        until = clock.now() + dt.timedelta(minutes=minutes)
        snoozed = await _command(
            query, i18n, lambda: snooze_task(task.id, until, actor_id=employee.id)
        )
        if snoozed is not None:
            await _say(query, i18n(REMIND_AGAIN, moment=_local(until, employee)))
    else:
        raise AccessDenied("access_denied")


async def on_meeting_nudge(
    query: CallbackQuery,
    callback_data: MeetingNudge,
    dialog_manager: DialogManager,
    employee: Employee | None = None,
    i18n: Translator | None = None,
) -> None:
    employee = require_role(employee)
    i18n = _i18n(i18n)
    meeting = await get_interaction_for(employee, callback_data.interaction_id)
    action = callback_data.action
    if action == NudgeAction.OPEN:
        await query.answer()
        if meeting.deal_id is not None:
            deal = await get_deal_for(employee, meeting.deal_id)
            await _open(dialog_manager, DealCardSG.MAIN, {"deal_id": deal.id})
        elif meeting.partner_id is not None:
            partner = await get_partner_for(employee, meeting.partner_id)
            await _open(dialog_manager, PartnersSG.CARD, {"partner_id": partner.id})
    elif action == NudgeAction.DONE:
        done = await _command(
            query, i18n, lambda: mark_interaction_done(meeting.id, actor_id=employee.id)
        )
        if done is not None:
            await _say(query, i18n(MEETING_DONE))
    elif action == NudgeAction.SNOOZE:
        minutes = _minutes(callback_data.minutes, MEETING_SNOOZE_MINUTES)
        until = await _command(
            query,
            i18n,
            lambda: agenda.snooze_interaction(employee, meeting.id, minutes=minutes),
        )
        if until is not None:
            await _say(query, i18n(REMIND_AGAIN, moment=_local(until, employee)))
    else:
        raise AccessDenied("access_denied")


async def on_partner_nudge(
    query: CallbackQuery,
    callback_data: PartnerNudge,
    dialog_manager: DialogManager,
    employee: Employee | None = None,
) -> None:
    employee = require_role(employee)
    partner = await get_partner_for(employee, callback_data.partner_id)
    action = callback_data.action
    if action == NudgeAction.OPEN:
        await query.answer()
        await _open(dialog_manager, PartnersSG.CARD, {"partner_id": partner.id})
    elif action == NudgeAction.CALL:
        await query.answer()
        await _open(
            dialog_manager, LogInteractionSG.START, {"partner_id": partner.id, "kind": "call"}
        )
    else:
        raise AccessDenied("access_denied")


async def on_claim_nudge(
    query: CallbackQuery,
    callback_data: ClaimNudge,
    dialog_manager: DialogManager,
    employee: Employee | None = None,
    i18n: Translator | None = None,
) -> None:
    """The claim is loaded through `services.claims` with the pressing employee: somebody else's
    claim is refused (AccessDenied) and nothing opens or changes."""
    employee = require_role(employee)
    i18n = _i18n(i18n)
    claim = await get_claim(callback_data.claim_id, viewer_id=employee.id)
    action = callback_data.action
    if action == ClaimAction.OPEN:
        await query.answer()
        await _open(dialog_manager, ClaimsSG.LIST, {"claim_id": claim.id})
    elif action == ClaimAction.TAKE:
        taken = await _command(
            query, i18n, lambda: take_into_work(claim.id, actor_id=employee.id)
        )
        if taken is not None:
            await _say(query, i18n(CLAIM_TAKEN, number=claim.number))
    else:
        raise AccessDenied("access_denied")


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_deal_nudge, DealNudge.filter())
    router.callback_query.register(on_task_nudge, TaskNudge.filter())
    router.callback_query.register(on_meeting_nudge, MeetingNudge.filter())
    router.callback_query.register(on_partner_nudge, PartnerNudge.filter())
    router.callback_query.register(on_claim_nudge, ClaimNudge.filter())
    return router
