"""One update per chat at a time, and a flooded button pressed once.

- `DuplicateCallbackMiddleware`: a press repeated while the same press is still queued or being
  handled is dropped (and answered at once, so no button keeps spinning);
- `ChatSerialMiddleware`: the updates of one chat are handled one after another (updates of
  different chats still run concurrently). aiogram-dialog saves a window's context only after
  the handler that showed it returns, so a fast press on a freshly shown window would otherwise
  race that save and meet `UnknownIntent`. It locks through the storage's event isolation, so
  with Redis the order holds across processes too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.types import Chat, TelegramObject, Update, User

logger = logging.getLogger(__name__)
SERIAL_DESTINY = "crm:serial"


class DuplicateCallbackMiddleware(BaseMiddleware):
    def __init__(self) -> None:
        self._in_flight: set[tuple[int, int | None, str | None]] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        query = event.callback_query if isinstance(event, Update) else None
        if query is None:
            return await handler(event, data)
        message_id = query.message.message_id if query.message else None
        key = (query.from_user.id, message_id, query.data)
        if key in self._in_flight:
            try:
                await data["bot"].answer_callback_query(query.id)
            except TelegramAPIError as error:
                logger.debug("could not answer a duplicate press: %s", error)
            return None
        self._in_flight.add(key)
        try:
            return await handler(event, data)
        finally:
            self._in_flight.discard(key)


class ChatSerialMiddleware(BaseMiddleware):
    def __init__(self, isolation: BaseEventIsolation) -> None:
        self.isolation = isolation

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        if chat is None or user is None:
            return await handler(event, data)
        key = StorageKey(
            bot_id=data["bot"].id, chat_id=chat.id, user_id=user.id, destiny=SERIAL_DESTINY
        )
        async with self.isolation.lock(key):
            return await handler(event, data)
