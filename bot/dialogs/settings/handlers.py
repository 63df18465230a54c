from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommandScopeChat, CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, Select

from bot.access import require_role
from bot.deps import Services
from bot.dialogs.log_interaction.common import acting, as_id, set_error, set_notice, t
from bot.dialogs.settings.getters import WEEKDAYS, own_subscription
from bot.dialogs.states import DigestSettingsSG, SettingsSG
from bot.handlers.commands import bot_commands
from bot.middlewares.locale import bind_locale
from core.errors import AccessDenied, ValidationFailed
from core.i18n import N_
from models.employee import Employee
from services import notifications
from services.notifications import SubscriptionRow

logger = logging.getLogger(__name__)


async def on_language_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    data = manager.middleware_data
    employee = require_role(data.get("employee"))
    services: Services = data["services"]
    employee = await services.employees.set_employee_locale(employee.id, item_id)
    data["employee"] = employee
    bind_locale(data, employee.locale)  # this very update already answers in the new language
    try:  # the command list in this chat follows the chosen language too
        await callback.bot.set_my_commands(  # type: ignore[union-attr]
            bot_commands(employee.locale), scope=BotCommandScopeChat(chat_id=callback.from_user.id)
        )
    except TelegramAPIError as error:
        logger.info("could not set the chat's commands: %s", error)
    await manager.switch_to(SettingsSG.MAIN)


async def on_timezone_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    data = manager.middleware_data
    employee = require_role(data.get("employee"))
    services: Services = data["services"]
    data["employee"] = await services.settings_prefs.set_employee_timezone(employee.id, item_id)
    await manager.switch_to(SettingsSG.MAIN)


# --- digests and reminders ------------------------------------------------------------------------

MUTED_NOTICE = N_("Muted: you will not get it.")
UNMUTED_NOTICE = N_("On: you will get it again.")
TIME_NOTICE = N_("Saved: {time}.")
WEEKDAY_NOTICE = N_("Saved: {weekday}.")
RESET_NOTICE = N_("Back to the default for your role.")


async def _digest(manager: DialogManager) -> tuple[Employee, SubscriptionRow]:
    """The acting employee and their setting of the digest this dialog is about (re-checked on
    every press: AccessDenied for a digest the role may not have)."""
    employee = acting(manager)
    return employee, await own_subscription(employee, manager.dialog_data.get("digest"))


def _say(manager: DialogManager, msgid: str, **params: str) -> None:
    set_notice(manager, t(manager, msgid).format(**params))


async def on_digest_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    employee = acting(manager)
    row = await own_subscription(employee, item_id)  # forged codes stop here
    manager.dialog_data["digest"] = row.digest
    set_error(manager, None)
    await manager.switch_to(DigestSettingsSG.DIGEST)


async def _set_muted(manager: DialogManager, muted: bool) -> None:
    employee, row = await _digest(manager)
    await notifications.set_subscription(employee.id, row.digest, muted=muted)
    _say(manager, MUTED_NOTICE if muted else UNMUTED_NOTICE)


async def on_mute(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _set_muted(manager, True)


async def on_unmute(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _set_muted(manager, False)


async def on_reset(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    employee, row = await _digest(manager)
    await notifications.reset_subscription(employee.id, row.digest)
    _say(manager, RESET_NOTICE)


async def on_hour_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    await _digest(manager)
    hour = as_id(item_id)
    if hour is None or hour > 23:
        raise AccessDenied("access_denied")  # not a button of the grid
    manager.dialog_data["hour"] = hour
    set_error(manager, None)
    await manager.switch_to(DigestSettingsSG.MINUTE)


async def _save_time(manager: DialogManager, value: str) -> None:
    employee, row = await _digest(manager)
    try:
        row = await notifications.set_subscription(employee.id, row.digest, local_time=value)
    except ValidationFailed as error:
        set_error(manager, error)
        await manager.switch_to(DigestSettingsSG.HOUR)
        return
    set_error(manager, None)
    manager.dialog_data.pop("typed_time", None)
    _say(manager, TIME_NOTICE, time=row.local_time or "")
    await manager.switch_to(DigestSettingsSG.DIGEST)


async def on_minute_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    hour, minute = as_id(manager.dialog_data.get("hour")), as_id(item_id)
    if hour is None or minute is None:
        raise AccessDenied("access_denied")
    await _save_time(manager, f"{hour}:{minute:02d}")


async def on_time_typed(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    """A typed time is checked, then echoed back for confirmation before it is saved."""
    await _digest(manager)
    try:
        value = notifications.check_local_time(text)
    except ValidationFailed as error:
        set_error(manager, error)
        return
    set_error(manager, None)
    manager.dialog_data["typed_time"] = value
    await manager.switch_to(DigestSettingsSG.TIME_CONFIRM)


async def on_time_confirmed(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    value = manager.dialog_data.get("typed_time")
    if not isinstance(value, str):
        await manager.switch_to(DigestSettingsSG.HOUR)
        return
    await _save_time(manager, value)


async def on_weekday_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    employee, row = await _digest(manager)
    day = as_id(item_id)
    if day is None:
        raise AccessDenied("access_denied")
    try:
        row = await notifications.set_subscription(employee.id, row.digest, weekday=day)
    except ValidationFailed as error:
        set_error(manager, error)
        return
    set_error(manager, None)
    weekday = t(manager, WEEKDAYS[row.weekday]) if row.weekday is not None else ""
    _say(manager, WEEKDAY_NOTICE, weekday=weekday)
    await manager.switch_to(DigestSettingsSG.DIGEST)


async def on_leave_time(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Back from the time or weekday screens: their refusal is not carried along."""
    set_error(manager, None)
