"""Failures reach the user as one sentence in their language, never as a traceback."""

from __future__ import annotations

import logging
from dataclasses import replace
from types import SimpleNamespace

from bot.deps import Services
from core.errors import ConcurrentUpdate
from tests.bot.conftest import click, make_employee


def failing_services(error: Exception) -> Services:
    async def set_employee_locale(employee_id: int, locale: str):
        raise error

    default = Services.default()
    employees = SimpleNamespace(**{
        name: getattr(default.employees, name)
        for name in ("find_employee_by_telegram", "accept_invitation")
    }, set_employee_locale=set_employee_locale)  # fmt: skip
    return replace(default, employees=employees)  # type: ignore[arg-type]


async def _press_english(harness) -> str:
    await make_employee(1)
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Налаштування")
    languages = await click(harness, client, "Мова")
    harness.mm.reset_history()
    from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator

    return await client.click(languages, InlineButtonTextLocator("English"))


async def test_a_domain_error_is_said_in_the_users_language(make_harness):
    harness = make_harness(services=failing_services(ConcurrentUpdate("concurrent_update")))
    callback_id = await _press_english(harness)
    said = harness.fake.answered[callback_id]
    assert said["text"] == "Хтось змінив цей запис тим часом; відкрийте його знову."
    assert said["show_alert"] == "true"


async def test_an_unexpected_error_is_logged_with_the_update_and_apologised_for(
    make_harness, caplog
):
    harness = make_harness(services=failing_services(RuntimeError("database on fire")))
    with caplog.at_level(logging.ERROR, logger="bot.handlers.errors"):
        callback_id = await _press_english(harness)

    assert harness.fake.answered[callback_id]["text"] == (
        "Вибачте, щось пішло не так. Спробуйте ще раз або надішліть /menu."
    )
    [record] = [r for r in caplog.records if r.name == "bot.handlers.errors"]
    assert record.getMessage().startswith("update ") and record.getMessage().endswith(" failed")
    assert "database on fire" in str(record.exc_info[1])
    await harness.client(1).send("/menu")  # the bot goes on
    assert harness.mm.last_message().text.endswith("Що робимо?")


async def test_a_user_who_blocked_the_bot_costs_one_log_line(harness, caplog):
    await make_employee(1)
    harness.fake.block(1)
    with caplog.at_level(logging.INFO):
        await harness.client(1).send("/help")
    assert any("blocked the bot" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
