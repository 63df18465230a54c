"""The last router: what no dialog or command handled."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager

from bot.handlers.commands import show_main_menu


async def on_other_message(message: Message, dialog_manager: DialogManager) -> None:
    """No dialog is open (an open dialog takes every message itself): show the main menu."""
    if dialog_manager.has_context():
        await dialog_manager.show()
    else:
        await show_main_menu(dialog_manager)


async def on_other_callback(callback: CallbackQuery) -> None:
    """A button of no dialog (an old pushed message): stop the spinner, change nothing."""
    await callback.answer()


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_other_message)
    router.callback_query.register(on_other_callback)
    return router
