"""The Bot object: Telegram (or a self-hosted Bot API server) over aiohttp, HTML by default, and
flood control honoured: a 429 `retry_after` waits and retries instead of losing the message."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetUpdates, Response

from core.config import Settings

logger = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Wait as Telegram asks (up to `max_wait` seconds, `attempts` times), then retry."""

    def __init__(self, attempts: int = 3, max_wait: float = 60.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(self, make_request: Any, bot: Bot, method: Any) -> Any:
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                attempt += 1
                if (
                    isinstance(method, GetUpdates)  # polling has its own back-off
                    or attempt > self.attempts
                    or error.retry_after > self.max_wait
                ):
                    raise
                logger.warning(
                    "flood control on %s: waiting %s s", type(method).__name__, error.retry_after
                )
                await asyncio.sleep(error.retry_after)


class PinResponseTypesMiddleware(BaseRequestMiddleware):
    """Keep aiogram's `Response[<result type>]` models alive.

    aiogram parametrises the generic `Response` model for every call; pydantic caches those
    classes weakly, so they are garbage-collected and rebuilt again and again (about 5 ms of
    schema building each, some 1.5 ms per update on average). One strong reference per result
    type ends that.
    """

    _pinned: ClassVar[dict[Any, Any]] = {}

    async def __call__(self, make_request: Any, bot: Bot, method: Any) -> Any:
        returning = method.__returning__
        if returning not in self._pinned:
            self._pinned[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


def build_bot(settings: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    session.middleware(PinResponseTypesMiddleware())
    session.middleware(RetryAfterMiddleware())
    return Bot(
        settings.require_bot_token(),
        session=session,
        default=DefaultBotProperties(parse_mode="HTML"),
    )
