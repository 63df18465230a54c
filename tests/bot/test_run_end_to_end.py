"""`crm run` as a real process in polling mode against the fake Bot API on loopback.

The bot process uses the embedded default: SQLite in a temporary CRM_DATA_DIR (the database
that also holds the durable FSM records); PostgreSQL is covered by the in-process tests.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
import pytest_asyncio

from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
CRM = Path(sys.executable).parent / "crm"
# The bot process with the test's Ukrainian texts overlaid on the catalogue, then `crm run`.
RUN = "from tests.bot.uk_overlay import install; install(); from cli.main import main; main()"
CLI = "from cli.main import main; main()"
STARTUP = 60.0


def bot_env(fake: FakeTelegram | None, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), CRM_LOG_LEVEL="INFO")
    if fake is not None:
        env.update(CRM_BOT_TOKEN=fake.token, CRM_TELEGRAM_API_BASE=fake.base_url)
    return env


class BotProcess:
    def __init__(self, fake: FakeTelegram, data_dir: Path) -> None:
        self.fake, self.data_dir = fake, data_dir
        self.proc: asyncio.subprocess.Process | None = None
        self.runs = 0

    async def start(self) -> None:
        since = len(self.fake.requests)
        self.runs += 1
        log = (self.data_dir / f"bot-{self.runs}.log").open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", RUN, "run",
            cwd=self.data_dir, env=bot_env(self.fake, self.data_dir),
            stdout=log, stderr=log,
        )  # fmt: skip
        await self.fake.wait_request("getUpdates", since=since, timeout=STARTUP)

    async def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), 30)
        self.proc = None
        return code

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.data_dir.glob("bot-*.log"))

    async def invite(self, role: str = "manager") -> str:
        """An invitation made the operator's way: `crm users invite --role ...` prints a link."""
        command = [str(CRM)] if CRM.exists() else [sys.executable, "-c", CLI]
        env = {**bot_env(self.fake, self.data_dir), "CRM_BOT_USERNAME": "crm_test_bot"}
        proc = await asyncio.create_subprocess_exec(
            *command, "users", "invite", "--role", role, cwd=self.data_dir, env=env,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(proc.communicate(), STARTUP)
        assert proc.returncode == 0
        link = out.decode().splitlines()[0]
        assert link.startswith("https://t.me/crm_test_bot?start=")
        return link.rsplit("=", 1)[1]

    def employee(self, telegram_id: int) -> tuple[str, str, str] | None:
        with sqlite3.connect(self.data_dir / "crm.sqlite3") as conn:
            return conn.execute(
                "SELECT full_name, role, locale FROM employee WHERE telegram_id = ?",
                (telegram_id,),
            ).fetchone()


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
