"""Jobs test fixtures: the fake Bot API (plain, from tests/bot/conftest.py, or enforcing
Telegram's limits), an aiogram Bot pointed at it, the push sender, and Ukrainian texts."""

from __future__ import annotations

import asyncio
import gettext as _gettext
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

import core.i18n
from core import clock
from jobs.sender import Sender
from tests.bot.conftest import fake_telegram, make_harness  # noqa: F401  (shared fixtures)
from tests.cli.conftest import database_url, migrated_template  # noqa: F401  (shared fixtures)
from tests.fakes.telegram import FakeTelegram
from tests.jobs.fake_limits import LimitedTelegram
from tests.jobs.uk_messages import UK, UK_PLURALS

_REAL_TRANSLATIONS = core.i18n.translations


class _Overlay(_gettext.NullTranslations):
    """The catalogue, plus the jobs' Ukrainian texts it does not have yet (plurals too)."""

    def __init__(self, base: _gettext.NullTranslations) -> None:
        super().__init__()
        self.base = base

    def gettext(self, message: str) -> str:
        translated = self.base.gettext(message)
        return UK.get(message, translated) if translated == message else translated

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = UK_PLURALS.get((singular, plural))
        if forms is None:
            return self.base.ngettext(singular, plural, n)
        if n % 10 == 1 and n % 100 != 11:
            return forms[0]
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return forms[1]
        return forms[2]


@pytest.fixture(autouse=True)
def uk_jobs_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    def translations(locale: str) -> _gettext.NullTranslations:
        base = _REAL_TRANSLATIONS(locale)
        return base if locale == "en" else _Overlay(base)

    monkeypatch.setattr(core.i18n, "translations", translations)


@pytest.fixture
def clock_at():
    """Freeze the business clock at a moment (call again to move it); unfrozen afterwards."""
    yield clock.freeze
    clock.unfreeze()


@pytest_asyncio.fixture
async def limited_telegram() -> AsyncIterator[LimitedTelegram]:
    fake = LimitedTelegram()
    await fake.start()
    yield fake
    await fake.close()


def bot_for(fake: FakeTelegram) -> Bot:
    return Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))


@pytest_asyncio.fixture
async def make_sender() -> AsyncIterator[Callable[..., Sender]]:
    """`make_sender(fake, **options)`: a started Sender over a Bot pointed at the fake."""
    made: list[tuple[Sender, Bot]] = []

    def make(fake: FakeTelegram, **options: Any) -> Sender:
        bot = bot_for(fake)
        sender = Sender(bot, **options)
        sender.start()
        made.append((sender, bot))
        return sender

    yield make
    for sender, bot in made:
        await sender.close(timeout=0)
        await bot.session.close()


class DiesAfter(Sender):
    """A process killed after `sends` pushes: its next push never reaches Telegram."""

    def __init__(self, bot: Any, *, sends: int) -> None:
        super().__init__(bot, workers=1)
        self.left = sends
        self.died = asyncio.Event()

    async def _pace(self) -> None:
        if self.left <= 0:
            self.died.set()
            await asyncio.Event().wait()  # dead: never returns
        self.left -= 1
        await super()._pace()
