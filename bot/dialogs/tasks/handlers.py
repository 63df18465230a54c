"""Tasks: reactions. Every task id (start data, callback data, dialog data) is loaded through
`services.access.get_task_for` with the acting employee before a service command runs."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, Select

from bot.access import HEADS, require_role
from bot.dialogs.log_interaction.common import (
    acting,
    as_id,
    refuse,
    set_error,
    set_notice,
    t,
    typed_text,
)
from bot.dialogs.states import TasksSG
from core.errors import AccessDenied, DomainError
from core.i18n import N_
from services import agenda
from services.access import get_deal_for, get_task_for
from services.checks import ExitChecksNotMet
from services.tasks import cancel_task, complete_task, reassign_task, snooze_task

SCOPES = ("today", "overdue", "upcoming")
RESULT_MAX = 4000
DONE = N_("The task is done.")
SNOOZED = N_("I will remind you at %(moment)s.")
REASSIGNED = N_("The task is handed to %(name)s.")
CANCELLED = N_("The task is cancelled.")


async def on_start(start_data: Any, manager: DialogManager) -> None:
    """`{"task_id": int}` opens that task's card (after the access check)."""
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data["scope"] = "today"
    if "task_id" in data:
        task = await get_task_for(acting(manager), as_id(data.get("task_id")))
        manager.dialog_data["task_id"] = task.id
        manager.dialog_data["direct"] = True
        await manager.switch_to(TasksSG.CARD)


async def on_scope(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item: str
) -> None:
    if item not in SCOPES:
        raise AccessDenied("access_denied")
    manager.dialog_data["scope"] = item
    await manager.show()


async def on_task_picked(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    task = await get_task_for(acting(manager), as_id(item_id))
    manager.dialog_data["task_id"] = task.id
    set_error(manager, None)
    await manager.switch_to(TasksSG.CARD)


async def current_task(manager: DialogManager) -> Any:
    return await get_task_for(acting(manager), manager.dialog_data.get("task_id"))


async def on_card_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    if manager.dialog_data.get("direct"):
        await manager.done()
        return
    await manager.switch_to(TasksSG.LIST)


async def on_to_card(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    await manager.switch_to(TasksSG.CARD)


async def on_complete(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await current_task(manager)
    set_error(manager, None)
    await manager.switch_to(TasksSG.RESULT)


async def on_result(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    """The typed result, checked and echoed back before anything is written."""
    result = typed_text(manager, text, "result", max_len=RESULT_MAX)
    if result is None:
        return
    manager.dialog_data["result"] = result
    await manager.switch_to(TasksSG.RESULT_CONFIRM)


async def on_complete_confirmed(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    employee = acting(manager)
    task = await current_task(manager)
    try:
        await complete_task(task.id, manager.dialog_data.get("result", ""), actor_id=employee.id)
    except ExitChecksNotMet as error:
        set_error(manager, error)
        await manager.switch_to(TasksSG.CHECKS)
        return
    except DomainError as error:
        await refuse(manager, error)
        return
    set_error(manager, None)
    manager.dialog_data.pop("result", None)
    set_notice(manager, t(manager, DONE))
    await manager.switch_to(TasksSG.CARD)


async def on_snooze(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    employee = acting(manager)
    task = await current_task(manager)
    try:
        until = agenda.snooze_until(employee, item_id)
        await snooze_task(task.id, until, actor_id=employee.id)
    except DomainError as error:
        await refuse(manager, error)
        return
    from bot.dialogs.log_interaction.common import local_moment

    set_error(manager, None)
    set_notice(manager, t(manager, SNOOZED) % {"moment": local_moment(until, employee)}, mark="⏰")
    await manager.switch_to(TasksSG.CARD)


async def on_reassign(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    require_role(acting(manager), *HEADS)
    await current_task(manager)
    await manager.switch_to(TasksSG.REASSIGN)


async def on_performer(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    employee = require_role(acting(manager), *HEADS)
    task = await current_task(manager)
    performer_id = await agenda.check_reassign(employee, as_id(item_id))
    try:
        task = await reassign_task(task.id, performer_id, actor_id=employee.id)
    except DomainError as error:
        await refuse(manager, error)
        return
    from models import Employee

    performer = await Employee.get(id=performer_id)
    set_notice(manager, t(manager, REASSIGNED) % {"name": performer.full_name}, mark="👤")
    await manager.switch_to(TasksSG.CARD)


async def on_cancel_confirmed(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    employee = acting(manager)
    task = await current_task(manager)
    try:
        await cancel_task(task.id, actor_id=employee.id)
    except DomainError as error:
        if isinstance(error, AccessDenied):
            raise
        set_error(manager, error)
        await manager.switch_to(TasksSG.CARD)
        return
    set_notice(manager, t(manager, CANCELLED), mark="🚫")
    await manager.switch_to(TasksSG.CARD)


async def on_open_deal(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    from bot.dialogs.states import DealCardSG

    task = await current_task(manager)
    deal = await get_deal_for(acting(manager), task.deal_id)
    await manager.start(DealCardSG.MAIN, data={"deal_id": deal.id})
