"""What the user sees when something fails: never a traceback.

- `UnknownIntent` / `OutdatedIntent` (a button of a window that no longer exists): the main menu
  again; a repeated press on a window that was just replaced is simply ignored;
- a `DomainError` from a service: its sentence in the user's language;
- the user blocked the bot: logged, nothing else;
- anything else: logged with the update id; the user gets a short apology.
"""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram_dialog import DialogManager
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent

from bot.handlers.commands import show_main_menu
from bot.texts.helpers import Translator
from core.errors import DomainError
from core.i18n import N_

logger = logging.getLogger(__name__)

APOLOGY = N_("Sorry, something went wrong. Please try again or send /menu.")
RESTARTED = N_("That screen is out of date; here is the main menu.")


async def _say(event: ErrorEvent, text: str, *, alert: bool = False) -> None:
    """Answer the button (as a pop-up) or the message; a failure here is only logged."""
    update = event.update
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=alert)
        elif update.message is not None:
            await update.message.answer(text)
    except TelegramAPIError as error:
        logger.info("update %s: could not tell the user: %s", update.update_id, error)


async def on_intent_error(
    event: ErrorEvent, dialog_manager: DialogManager | None = None, i18n: Translator | None = None
) -> None:
    if dialog_manager is None:  # not a chat event aiogram-dialog can restart
        logger.info("update %s: %s", event.update.update_id, event.exception)
        return
    i18n = i18n or Translator()
    query = event.update.callback_query
    if isinstance(event.exception, OutdatedIntent) and query and query.message:
        stack = dialog_manager.current_stack()
        if not stack.empty() and stack.last_message_id == query.message.message_id:
            # pressed again while the first press replaced this very window: nothing to redo
            with contextlib.suppress(TelegramAPIError):
                await query.answer()
            return
    logger.info("update %s: %s; restarting the main menu", event.update.update_id, event.exception)
    if query is not None:
        await _say(event, i18n(RESTARTED))
        if query.message is not None:
            with contextlib.suppress(TelegramAPIError):  # too old to delete: it merely stays
                await query.message.delete()  # type: ignore[union-attr]
    await show_main_menu(dialog_manager)


async def on_domain_error(event: ErrorEvent, i18n: Translator | None = None) -> None:
    assert isinstance(event.exception, DomainError)
    await _say(event, (i18n or Translator()).error(event.exception), alert=True)


async def on_blocked(event: ErrorEvent) -> None:
    logger.info("update %s: the user blocked the bot (%s)", event.update.update_id, event.exception)


async def on_unexpected(event: ErrorEvent, i18n: Translator | None = None) -> None:
    logger.error("update %s failed", event.update.update_id, exc_info=event.exception)
    await _say(event, (i18n or Translator())(APOLOGY), alert=True)


def build_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_intent_error, ExceptionTypeFilter(UnknownIntent, OutdatedIntent))
    router.errors.register(on_domain_error, ExceptionTypeFilter(DomainError))
    router.errors.register(on_blocked, ExceptionTypeFilter(TelegramForbiddenError))
    router.errors.register(on_unexpected)
    return router
