"""Strangers (no active employee) get one polite refusal and nothing more.

The only thing a stranger may do is `/start <token>` from an invitation link; that update goes on
to `handlers.commands.cmd_start` with `employee=None`. Anything else gets the refusal once per
`RefusalBook.ttl` (an hour by default) in the stranger's Telegram language, then silence, so a
stranger cannot make the bot talk. Updates from group chats are ignored: the bot works in
private chats only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, TelegramObject, Update, User

from bot.texts.helpers import Translator
from core import clock
from core.i18n import N_

logger = logging.getLogger(__name__)

REFUSAL = N_(
    "Sorry, this bot works only for the employees of the company. "
    "Ask your administrator for an invitation link."
)


class RefusalBook:
    """Remembers whom the bot has refused lately (in memory, bounded)."""

    def __init__(self, ttl: dt.timedelta = dt.timedelta(hours=1), max_size: int = 100_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._refused: OrderedDict[int, dt.datetime] = OrderedDict()

    def first_time(self, user_id: int) -> bool:
        """True (and remembered) when this user has not been refused within the ttl."""
        now = clock.now()
        while self._refused and (
            len(self._refused) >= self.max_size
            or now - next(iter(self._refused.values())) >= self.ttl
        ):
            self._refused.popitem(last=False)
        if user_id in self._refused:
            return False
        self._refused[user_id] = now
        return True

    def forget(self, user_id: int) -> None:
        self._refused.pop(user_id, None)


def invitation_payload(update: Update) -> str | None:
    """The token of a `/start <token>` message, else None."""
    message = update.message
    if message is None or not message.text:
        return None
    command, _, payload = message.text.strip().partition(" ")
    if command.split("@")[0] != "/start":
        return None
    return payload.strip() or None


class StrangerMiddleware(BaseMiddleware):
    def __init__(self, book: RefusalBook) -> None:
        self.book = book

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is not None and chat.type != ChatType.PRIVATE:
            return None
        if data.get("employee") is not None:
            return await handler(event, data)
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot or not isinstance(event, Update):
            return None
        if invitation_payload(event):
            return await handler(event, data)
        await refuse(data["bot"], event, user, data["i18n"], self.book)
        return None


async def refuse(bot: Bot, update: Update, user: User, i18n: Translator, book: RefusalBook) -> None:
    """Say the refusal if this user has not heard it lately; always stop a button's spinner."""
    first = book.first_time(user.id)
    text = i18n(REFUSAL)
    try:
        if update.callback_query is not None:
            await bot.answer_callback_query(
                update.callback_query.id, text=text if first else None, show_alert=first
            )
        elif update.message is not None and first:
            await bot.send_message(update.message.chat.id, text)
    except TelegramAPIError as error:
        logger.info("could not refuse user %s: %s", user.id, error)
