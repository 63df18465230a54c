"""Bot test fixtures: the fake Bot API server, the Ukrainian texts, an in-process app."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import pytest_asyncio
from aiogram.types import InlineKeyboardButton, Message, Update, User
from aiogram_dialog.test_tools import BotClient, MockMessageManager
from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage

import core.i18n
from bot.app import App, build_app
from bot.session import build_bot
from core.config import Settings, load_settings
from tests.bot.uk_overlay import overlaid
from tests.fakes.telegram import FakeTelegram

_REAL_TRANSLATIONS = core.i18n.translations

REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL", "")
# The foundation's own dialogs: tests of the menu and settings do not depend on which feature
# dialogs other rooms have registered meanwhile (the end-to-end tests run them all).
CORE_FEATURES = ("bot.dialogs.menu.dialog", "bot.dialogs.settings.dialog")


@pytest.fixture(autouse=True)
def uk_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ukrainian texts for the bot's msgids the catalogue does not have yet."""
    monkeypatch.setattr(core.i18n, "translations", overlaid(_REAL_TRANSLATIONS))
    # the error codes this room adds, as the lead will merge them into core/i18n.py
    from services import settings_prefs

    for name, extra in (("FIELD_NAMES", settings_prefs.EXTRA_FIELD_NAMES),
                        ("REASONS", settings_prefs.EXTRA_REASONS)):  # fmt: skip
        for code, text in extra.items():
            monkeypatch.setitem(getattr(core.i18n, name), code, text)


@pytest_asyncio.fixture
async def fake_telegram():
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.close()


def make_settings(fake: FakeTelegram, tmp_path: Any, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "bot_token": fake.token,
        "telegram_api_base": fake.base_url,
        "data_dir": tmp_path,
        "redis_url": None,
        "webhook_url": None,
        "database_url": None,
    }
    return load_settings(**{**values, **overrides})


class Harness:
    """An in-process app (the real composition root) with aiogram-dialog's test tools."""

    def __init__(self, app: App, fake: FakeTelegram, mm: MockMessageManager) -> None:
        self.app, self.fake, self.mm = app, fake, mm

    def client(self, user_id: int = 1, *, language_code: str | None = "uk") -> BotClient:
        client = BotClient(self.app.dispatcher, user_id=user_id, chat_id=user_id, bot=self.app.bot)
        client.user = User(
            id=user_id, is_bot=False, first_name=f"User{user_id}", language_code=language_code
        )
        return client


@pytest_asyncio.fixture
async def make_harness(db, fake_telegram: FakeTelegram, tmp_path):
    """Build in-process apps through the real composition root, with test doubles plugged in."""
    bots = []

    def make(**kwargs: Any) -> Harness:
        mm = MockMessageManager()
        settings = make_settings(fake_telegram, tmp_path)
        bot = build_bot(settings)
        bots.append(bot)
        kwargs.setdefault("storage", JsonMemoryStorage())
        kwargs.setdefault("features", CORE_FEATURES)
        app = build_app(settings, bot=bot, message_manager=mm, manage_orm=False, **kwargs)
        return Harness(app, fake_telegram, mm)

    yield make
    for bot in bots:
        await bot.session.close()


@pytest_asyncio.fixture
async def harness(make_harness) -> Harness:
    return make_harness()


async def make_employee(
    telegram_id: int, *, role: str = "manager", locale: str = "uk", name: str | None = None
):
    from services.employees import create_employee

    return await create_employee(
        full_name=name or f"Employee {telegram_id}", role=role, telegram_id=telegram_id,
        locale=locale,
    )  # fmt: skip


def buttons(message: Message) -> list[str]:
    markup = message.reply_markup
    return [b.text for row in markup.inline_keyboard for b in row] if markup else []


def assert_buttons_fit(message: Message) -> None:
    """Telegram refuses callback data over 64 bytes."""
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else []:
        for button in row:
            assert button.callback_data and len(button.callback_data.encode()) <= 64, button


async def click(
    harness: Harness, client: BotClient, text: str, message: Message | None = None
) -> Message:
    """Press the button containing `text` on `message` (default: the last window shown); the
    window shown in reply."""
    message = message or harness.mm.last_message()
    harness.mm.reset_history()
    await client.click(message, InlineButtonTextLocator(f".*{re.escape(text)}.*"))
    shown = harness.mm.last_message()
    assert_buttons_fit(shown)
    return shown


async def forge_click(client: BotClient, message: Message, data: str) -> str:
    """A press with callback data that is not on the keyboard (a modified client)."""
    callback = client._new_callback(message, InlineKeyboardButton(text="x", callback_data=data))
    await client.dp.feed_update(
        client.bot, Update(update_id=client._new_update_id(), callback_query=callback)
    )
    return callback.id


def swap_item_id(data: str, old_id: int, new_id: int) -> str:
    """Callback data with the item id (the part after the last ':') replaced; the dialog's own
    intent id before it stays intact, so the press reaches the dialog and only the id is forged."""
    head, sep, tail = data.rpartition(":")
    assert sep and str(old_id) in tail, data
    return head + sep + tail.replace(str(old_id), str(new_id))
