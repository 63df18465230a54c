"""/start (with an invitation token), /menu, /cancel, /help, and the command list for Telegram."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import BotCommand, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.access import ROLE_NAMES
from bot.deps import Services
from bot.dialogs.states import MainMenuSG
from bot.middlewares.locale import bind_locale
from bot.middlewares.strangers import RefusalBook
from bot.texts.helpers import Translator, escape
from core.errors import InvitationInvalid
from core.i18n import N_, gettext
from models.employee import Employee

COMMANDS = (
    ("start", N_("Start the bot")),
    ("menu", N_("Main menu")),
    ("cancel", N_("Cancel and return to the main menu")),
    ("help", N_("Help")),
)
HELP = N_(
    "<b>CRM bot</b>\n"
    "Everything is on the buttons of the main menu.\n"
    "/menu: the main menu\n"
    "/cancel: stop what you are doing and return to the menu\n"
    "/help: this help"
)
WELCOME = N_("Welcome, %(name)s! You are registered as %(role)s.")


def bot_commands(locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=command, description=gettext(description, locale))
        for command, description in COMMANDS
    ]


async def show_main_menu(manager: DialogManager, show_mode: ShowMode = ShowMode.SEND) -> None:
    await manager.start(MainMenuSG.MAIN, mode=StartMode.RESET_STACK, show_mode=show_mode)


async def cmd_start(
    message: Message,
    command: CommandObject,
    dialog_manager: DialogManager,
    employee: Employee | None,
    i18n: Translator,
    locale: str,
    services: Services,
    strangers: RefusalBook,
) -> None:
    """An employee gets the main menu; a stranger with an invitation token is registered first."""
    if employee is None:  # only strangers with a token get here (StrangerMiddleware)
        user = message.from_user
        assert user is not None
        try:
            employee = await services.employees.accept_invitation(
                command.args or "",
                telegram_id=user.id,
                full_name=user.full_name,
                username=user.username,
                locale=locale,
            )
        except InvitationInvalid as error:
            if strangers.first_time(user.id):
                await message.answer(i18n.error(error))
            return
        strangers.forget(user.id)
        data = dialog_manager.middleware_data
        data["employee"] = employee
        i18n = bind_locale(data, employee.locale)
        await message.answer(
            i18n(WELCOME, name=escape(employee.full_name), role=i18n(ROLE_NAMES[employee.role]))
        )
    await show_main_menu(dialog_manager)


async def cmd_menu(message: Message, dialog_manager: DialogManager) -> None:
    """/menu and /cancel: whatever is open, back to the main menu."""
    await show_main_menu(dialog_manager)


async def cmd_help(message: Message, i18n: Translator) -> None:
    await message.answer(i18n(HELP))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_menu, Command("menu", "cancel"))
    router.message.register(cmd_help, Command("help"))
    return router
