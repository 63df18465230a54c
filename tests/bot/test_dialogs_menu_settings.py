"""The main menu and Settings, clicked through with aiogram-dialog's test tools."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder

from bot.storage import DatabaseStorage
from models.employee import Employee
from tests.bot.conftest import (
    CORE_FEATURES,
    REDIS_URL,
    assert_buttons_fit,
    buttons,
    click,
    forge_click,
    make_employee,
)

STUB = "tests.bot.feature_stub"


async def test_main_menu_is_ukrainian_by_default_and_lists_registered_dialogs_only(harness):
    await make_employee(1, name="Олена Петренко")
    await harness.client(1).send("/menu")
    menu = harness.mm.one_message()
    assert menu.text == "<b>Олена Петренко</b>, менеджер\nЩо робимо?"
    assert buttons(menu) == ["Налаштування"]  # no feature dialog is registered yet
    assert_buttons_fit(menu)


async def test_main_menu_shows_entries_by_role_in_order(make_harness):
    harness = make_harness(features=(*CORE_FEATURES, STUB))
    await make_employee(1, role="manager", locale="en")
    await make_employee(2, role="head", locale="en")

    await harness.client(1).send("/menu")
    assert buttons(harness.mm.last_message()) == ["My deals", "Settings"]
    await harness.client(2).send("/menu")
    assert buttons(harness.mm.last_message()) == ["My deals", "Reports", "Settings"]


async def test_a_forged_menu_press_does_not_open_reports_for_a_manager(make_harness):
    harness = make_harness(features=(*CORE_FEATURES, STUB))
    await make_employee(1, role="manager")
    client = harness.client(1)
    await client.send("/menu")
    menu = harness.mm.last_message()
    deals_data = menu.reply_markup.inline_keyboard[0][0].callback_data
    harness.mm.reset_history()

    callback_id = await forge_click(client, menu, deals_data.replace("my_deals", "reports"))

    assert harness.fake.answered[callback_id]["text"] == "У вас немає доступу до цього."
    assert all(m.text != "Reports" for m in harness.mm.sent_messages)
    await click(harness, client, "Налаштування", menu)  # the menu still works
    assert "Мова: Українська" in harness.mm.last_message().text


async def test_settings_switch_to_english_changes_texts_and_is_stored(harness):
    await make_employee(1)
    client = harness.client(1)
    await client.send("/menu")

    settings = await click(harness, client, "Налаштування")
    assert settings.text == (
        "<b>Налаштування</b>\nМова: Українська\nЧасовий пояс: Europe/Kyiv (UTC+02:00)"
    )
    assert buttons(settings) == [
        "🌐 Мова", "🕒 Часовий пояс", "🔔 Дайджести й нагадування", "🏠 Головне меню",
    ]
    languages = await click(harness, client, "Мова")
    assert languages.text == "Оберіть мову бота:"
    assert buttons(languages) == ["✅ Українська", "English", "⬅️ Назад", "🏠 Головне меню"]

    switched = await click(harness, client, "English")
    assert switched.text == "<b>Settings</b>\nLanguage: English\nTime zone: Europe/Kyiv (UTC+02:00)"
    assert buttons(switched) == [
        "🌐 Language", "🕒 Time zone", "🔔 Digests and reminders", "🏠 Main menu",
    ]
    assert (await Employee.get(telegram_id=1)).locale == "en"
    chat_commands = [p for m, p in harness.fake.requests if m == "setMyCommands"]
    assert chat_commands[-1]["scope"] == {"type": "chat", "chat_id": 1}
    assert chat_commands[-1]["commands"][1]["description"] == "Main menu"

    menu = await click(harness, client, "Main menu")
    assert menu.text.endswith("manager\nWhat shall we do?")


async def test_settings_time_zone_is_chosen_from_a_list(harness, frozen_clock):
    await make_employee(1, locale="en")
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Settings")
    zones = await click(harness, client, "Time zone")
    assert zones.text == "Choose your time zone:"
    assert buttons(zones)[0] == "✅ Europe/Kyiv (UTC+02:00)"
    assert "Europe/Warsaw (UTC+01:00)" in buttons(zones)

    back = await click(harness, client, "Warsaw")
    assert "Time zone: Europe/Warsaw (UTC+01:00)" in back.text
    assert (await Employee.get(telegram_id=1)).timezone == "Europe/Warsaw"


async def test_a_forged_time_zone_changes_nothing_and_says_why(harness):
    await make_employee(1, locale="en")
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Settings")
    zones = await click(harness, client, "Time zone")
    data = zones.reply_markup.inline_keyboard[0][0].callback_data
    harness.mm.reset_history()

    callback_id = await forge_click(client, zones, data.replace("Europe/Kyiv", "Mars/Base"))

    said = harness.fake.answered[callback_id]
    assert said["text"] == "Time zone: is not a time zone such as Europe/Kyiv"
    assert said["show_alert"] == "true"
    assert (await Employee.get(telegram_id=1)).timezone == "Europe/Kyiv"


async def test_cancel_returns_to_the_main_menu_and_old_buttons_restart_it(harness):
    await make_employee(1)
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Налаштування")
    languages = await click(harness, client, "Мова")

    harness.mm.reset_history()
    await client.send("/cancel")
    assert harness.mm.last_message().text.endswith("Що робимо?")

    harness.mm.reset_history()
    await client.click(languages, _locator("English"))  # a button of the abandoned window
    assert (await Employee.get(telegram_id=1)).locale == "uk"
    assert harness.mm.last_message().text.endswith("Що робимо?")


async def test_a_lost_dialog_restarts_the_main_menu(harness):
    await make_employee(1)
    client = harness.client(1)
    await client.send("/menu")
    menu = harness.mm.last_message()
    harness.mm.reset_history()

    callback_id = await forge_click(client, menu, "ZZZZZZ\x1dlang")  # an intent nobody knows

    assert harness.fake.answered[callback_id]["text"] == "Цей екран застарів; ось головне меню."
    assert harness.mm.last_message().text.endswith("Що робимо?")


async def test_flooding_a_button_opens_its_window_once(harness, caplog):
    await make_employee(1)
    client = harness.client(1)
    await client.send("/menu")
    menu = harness.mm.last_message()
    harness.mm.reset_history()

    await asyncio.gather(*(client.click(menu, _locator("Налаштування")) for _ in range(10)))

    shown = [m for m in harness.mm.sent_messages if m.text]
    assert [m.text.split("\n")[0] for m in shown] == ["<b>Налаштування</b>"]
    languages = await click(harness, client, "Мова")  # the dialog goes on
    assert languages.text == "Оберіть мову бота:"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize("kind", ["database", "redis"])
async def test_dialogs_run_on_the_durable_storages(make_harness, kind):
    if kind == "database":
        storage = DatabaseStorage()
    elif not REDIS_URL:
        pytest.skip("CRM_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:56379/0)")
    else:
        import uuid

        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(
            REDIS_URL,
            key_builder=DefaultKeyBuilder(prefix=f"test{uuid.uuid4().hex}", with_destiny=True),
        )
    harness = make_harness(storage=storage, events_isolation=storage.create_isolation()
                           if kind == "redis" else None)  # fmt: skip
    try:
        await make_employee(1)
        client = harness.client(1)
        await client.send("/menu")
        await click(harness, client, "Налаштування")
        await click(harness, client, "Мова")
        switched = await click(harness, client, "English")
        assert "Language: English" in switched.text
    finally:
        if kind == "redis":
            prefix = storage.key_builder.prefix  # type: ignore[attr-defined]
            keys = [k async for k in storage.redis.scan_iter(f"{prefix}:*")]  # type: ignore[attr-defined]
            if keys:
                await storage.redis.delete(*keys)  # type: ignore[attr-defined]
        await storage.close()


def _locator(text: str):
    from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator

    return InlineButtonTextLocator(f".*{text}.*")
