"""The app polling the fake Bot API in-process, with the database FSM storage and the real
message manager: what aiogram-dialog's mock cannot show (edits in place, flood control)."""

from __future__ import annotations

import asyncio
import logging

import pytest_asyncio

from bot.app import build_app
from bot.session import build_bot
from bot.storage import DatabaseStorage
from tests.bot.conftest import CORE_FEATURES, make_employee, make_settings
from tests.fakes.telegram import FakeTelegram


@pytest_asyncio.fixture
async def live(db, fake_telegram: FakeTelegram, tmp_path):
    settings = make_settings(fake_telegram, tmp_path)
    app = build_app(
        settings,
        bot=build_bot(settings),
        storage=DatabaseStorage(),
        manage_orm=False,
        features=(*CORE_FEATURES, "tests.bot.feature_stub_long"),
    )
    polling = asyncio.create_task(app.dispatcher.start_polling(app.bot, handle_signals=False))
    await fake_telegram.wait_request("getUpdates")
    yield fake_telegram
    await app.dispatcher.stop_polling()
    await polling


async def test_flooding_a_button_edits_the_window_once_and_answers_every_press(live, caplog):
    fake = live
    await make_employee(1)
    await fake.user_message(1, "/menu")
    menu = await fake.next_event(1)
    data = menu.button("Налаштування")["callback_data"]
    message_id = menu.message["message_id"]

    presses = [await fake.user_callback(1, message_id, data) for _ in range(10)]
    for press in presses:
        await fake.wait_answered(press)

    settings = await fake.next_event(1)
    assert settings.kind == "edit" and settings.text.startswith("<b>Налаштування</b>")
    assert fake.pending_events(1) == []

    # a press that left the phone before the edit arrived: answered, nothing redone
    late = await fake.user_callback(1, message_id, data, forge=True)
    await fake.wait_answered(late)
    await fake.click(1, "Мова")
    languages = await fake.next_event(1)
    assert languages.kind == "edit" and languages.text == "Оберіть мову бота:"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_flood_control_is_waited_out(live):
    fake = live
    await make_employee(1)
    fake.rate_limit("sendMessage", retry_after=1)
    await fake.user_message(1, "/help")
    help_message = await fake.next_event(1)
    assert help_message.text.startswith("<b>CRM-бот</b>")
    assert [m for m, _ in fake.requests].count("sendMessage") == 2  # refused once, then sent


async def test_a_window_too_long_for_telegram_is_cut_not_lost(live, caplog):
    fake = live
    await make_employee(1, locale="en")
    await fake.user_message(1, "/menu")
    await fake.next_event(1)
    await fake.click(1, "Long")
    window = await fake.next_event(1)  # the fake refuses texts over 4,096 characters
    assert window.kind == "edit" and window.text.endswith("\n…")
    assert window.text.startswith("000 жжж") and len(window.text) <= 4096
    assert window.button_texts() == ["Back"]
    assert any("was cut" in r.getMessage() for r in caplog.records)
