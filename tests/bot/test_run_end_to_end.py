"""`crm run` as a real process in polling mode against the fake Bot API on loopback.

The bot process uses the embedded default: SQLite in a temporary CRM_DATA_DIR (the database
that also holds the durable FSM records); PostgreSQL is covered by the in-process tests.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_asyncio

from tests.bot.processes import (  # the helpers live there; tests/jobs import them from here
    CLI,  # noqa: F401
    CRM,
    EMBEDDED_ONLY,
    ROOT,  # noqa: F401
    RUN,
    STARTUP,
    BotProcess,
    bot_env,
)
from tests.fakes.telegram import FakeTelegram

pytestmark = EMBEDDED_ONLY


@pytest_asyncio.fixture
async def bot_process(fake_telegram: FakeTelegram, tmp_path: Path):
    process = BotProcess(fake_telegram, tmp_path)
    yield process
    if process.proc is not None:
        process.proc.kill()
        await process.proc.wait()


@pytest.mark.parametrize("entry", ["crm run", "python -m bot"])
async def test_run_without_token_exits_2_with_one_sentence(tmp_path: Path, entry: str):
    if entry == "crm run":
        command = [str(CRM), "run"] if CRM.exists() else [sys.executable, "-c", RUN, "run"]
    else:
        command = [sys.executable, "-m", "bot"]
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=tmp_path, env=bot_env(None, tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), STARTUP)
    assert proc.returncode == 2
    assert err.decode().strip() == (
        "CRM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram, then put "
        "CRM_BOT_TOKEN=<token> into the .env file next to the README (or export it in the "
        "environment) and start again."
    )
    assert "Traceback" not in out.decode() + err.decode()


async def test_run_with_a_token_telegram_refuses_exits_2(fake_telegram: FakeTelegram, tmp_path):
    env = bot_env(fake_telegram, tmp_path)
    env["CRM_BOT_TOKEN"] = "999999:" + "Z" * 35  # well-formed, but not this bot's
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN, "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), STARTUP)
    assert proc.returncode == 2
    assert (
        err.decode()
        .strip()
        .endswith(
            "Telegram refused CRM_BOT_TOKEN (Unauthorized): copy the token again from @BotFather "
            "into .env and start again."
        )
    )
    assert "Traceback" not in err.decode()


async def test_run_registers_commands_and_refuses_a_stranger_once(
    bot_process: BotProcess, fake_telegram: FakeTelegram
):
    fake = fake_telegram
    await bot_process.start()
    assert [c["command"] for c in fake.commands["uk"]] == ["start", "menu", "cancel", "help"]
    assert fake.commands["uk"][1]["description"] == "Головне меню"
    assert fake.commands["en"][1]["description"] == "Main menu"

    stranger = fake.user(777, language_code="en")
    await fake.user_message(777, "hello", user=stranger)
    refusal = await fake.next_event(777)
    assert refusal.text.startswith("Sorry, this bot works only for the employees")
    await fake.user_message(777, "/menu", user=stranger)
    await fake.user_message(777, "hello?", user=stranger)

    # an employee's /start after those messages gets its answer; the stranger got nothing more
    token = await bot_process.invite()
    await fake.user_message(901, f"/start {token}")
    assert (await fake.next_event(901)).text.startswith("Вітаємо")
    assert fake.pending_events(777) == []
    assert await bot_process.stop() == 0
    assert "Traceback" not in bot_process.log()


async def test_run_invitation_settings_and_restart_mid_dialog(
    bot_process: BotProcess, fake_telegram: FakeTelegram
):
    fake = fake_telegram
    token = await bot_process.invite("manager")
    await bot_process.start()

    await fake.user_message(42, f"/start {token}", user=fake.user(42, first_name="Олена"))
    welcome = await fake.next_event(42)
    assert welcome.text == "Вітаємо, Олена! Вас зареєстровано як: менеджер."
    menu = await fake.next_event(42)
    assert "Що робимо?" in menu.text and "Налаштування" in menu.button_texts()
    assert bot_process.employee(42) == ("Олена", "manager", "uk")

    await fake.click(42, "Налаштування")
    settings = await fake.next_event(42)
    assert settings.kind == "edit" and "Мова: Українська" in settings.text
    await fake.click(42, "Мова")
    languages = await fake.next_event(42)
    assert languages.text == "Оберіть мову бота:"

    # the process stops in the middle of the dialog and comes back
    assert await bot_process.stop() == 0
    await bot_process.start()

    await fake.click(42, "English", message_id=languages.message["message_id"])
    switched = await fake.next_event(42)
    assert switched.kind == "edit"
    assert switched.message["message_id"] == languages.message["message_id"]
    assert "Language: English" in switched.text
    assert "🏠 Main menu" in switched.button_texts()
    assert bot_process.employee(42) == ("Олена", "manager", "en")

    await fake.user_message(42, "/menu")  # the old window loses its keyboard, a new menu comes
    menu = await fake.next_event(42, kinds={"send"})
    assert "What shall we do?" in menu.text and "Settings" in menu.button_texts()
    assert await bot_process.stop() == 0
    assert "Traceback" not in bot_process.log()
    assert "UnknownIntent" not in bot_process.log()
