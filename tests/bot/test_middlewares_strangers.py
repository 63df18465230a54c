"""Strangers get one polite refusal in their language and nothing more."""

from __future__ import annotations

import datetime as dt

from aiogram_dialog.test_tools import BotClient

from core import clock
from services.employees import deactivate_employee
from tests.bot.conftest import forge_click, make_employee

REFUSAL_UK = "Вибачте, цей бот працює лише для працівників компанії."
REFUSAL_EN = "Sorry, this bot works only for the employees of the company."


async def test_a_stranger_is_refused_once_in_their_language(harness):
    fake = harness.fake
    stranger = harness.client(50)
    await stranger.send("/menu")
    await stranger.send("hello")
    await stranger.send("/start")

    [refusal] = fake.pending_events(50)
    assert refusal.text.startswith(REFUSAL_UK)
    assert harness.mm.sent_messages == []  # no dialog was opened for them

    english = harness.client(51, language_code="en-GB")
    await english.send("hi")
    assert [e.text for e in fake.pending_events(51)] == [
        REFUSAL_EN + " Ask your administrator for an invitation link."
    ]


async def test_a_stranger_is_refused_again_only_after_an_hour(harness, frozen_clock):
    stranger = harness.client(50)
    await stranger.send("hello")
    clock.freeze(frozen_clock + dt.timedelta(minutes=59))
    await stranger.send("hello?")
    assert len(harness.fake.pending_events(50)) == 1
    clock.freeze(frozen_clock + dt.timedelta(minutes=61))
    await stranger.send("anybody?")
    assert len(harness.fake.pending_events(50)) == 2


async def test_a_strangers_button_press_is_answered_with_the_refusal_once(harness):
    await make_employee(1)
    employee = harness.client(1)
    await employee.send("/menu")
    menu = harness.mm.last_message()
    data = menu.reply_markup.inline_keyboard[0][0].callback_data
    harness.mm.reset_history()

    stranger = harness.client(50)
    first = await forge_click(stranger, menu, data)  # e.g. a forwarded keyboard
    second = await forge_click(stranger, menu, data)

    assert harness.fake.answered[first]["text"].startswith(REFUSAL_UK)
    assert "text" not in harness.fake.answered[second]  # the spinner stops, nothing said
    assert harness.mm.sent_messages == []


async def test_a_deactivated_employee_is_a_stranger(harness):
    employee = await make_employee(1)
    await deactivate_employee(employee.id)
    await harness.client(1).send("/menu")
    assert harness.mm.sent_messages == []
    assert harness.fake.pending_events(1)[0].text.startswith(REFUSAL_UK)


async def test_group_chats_are_ignored(harness):
    await make_employee(1)
    group = BotClient(harness.app.dispatcher, user_id=1, chat_id=-100, chat_type="group",
                      bot=harness.app.bot)  # fmt: skip
    await group.send("/menu")
    assert harness.mm.sent_messages == []
    assert harness.fake.pending_events(-100) == []
