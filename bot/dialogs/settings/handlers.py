from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommandScopeChat, CallbackQuery
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Select

from bot.access import require_role
from bot.deps import Services
from bot.dialogs.states import SettingsSG
from bot.handlers.commands import bot_commands
from bot.middlewares.locale import bind_locale

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
