"""`crm run` as a real process against the fake Bot API, and the operator's CLI beside it.

    process = BotProcess(fake, tmp_path)
    token = await process.invite("manager")      # `crm users invite`, as an operator does it
    await process.cli("pipelines", "load", "--defaults")
    await process.start()                        # returns once the bot polls
    ...
    assert await process.stop() == 0             # SIGTERM: a clean exit

The process uses the embedded default: SQLite in `data_dir` (which also holds the durable FSM
records, so a restarted process continues the dialogs); `query()` reads that database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
CRM = Path(sys.executable).parent / "crm"
# The bot process with the test's Ukrainian texts overlaid on the catalogue, then `crm run`.
RUN = "from tests.bot.uk_overlay import install; install(); from cli.main import main; main()"
CLI = "from cli.main import main; main()"
# `crm run` / `crm jobs` processes keep their database in a temporary CRM_DATA_DIR: the embedded
# SQLite, whatever CRM_TEST_DATABASE_URL says, so the PostgreSQL pass would only repeat them (the
# same code runs on PostgreSQL in the in-process tests)
EMBEDDED_ONLY = pytest.mark.skipif(
    bool(os.environ.get("CRM_TEST_DATABASE_URL")),
    reason="a crm process on the embedded SQLite; the SQLite pass runs it",
)
STARTUP = 120.0  # a fresh SQLite database is migrated first; the machine may be busy


def bot_env(fake: FakeTelegram | None, data_dir: Path) -> dict[str, str]:
    """The environment of `crm run` and the CLI: nothing of the developer's CRM_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), CRM_LOG_LEVEL="INFO")
    env.update(CRM_JOBS_ENABLED="false")  # exact messages: no digest may come in between
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

    async def kill(self) -> None:
        if self.proc is not None:
            if self.proc.returncode is None:
                self.proc.kill()
            await self.proc.wait()
            self.proc = None

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.data_dir.glob("bot-*.log"))

    async def cli(self, *args: str) -> str:
        """Run `crm <args>` on this data directory; its standard output (exit code 0 asserted)."""
        command = [str(CRM)] if CRM.exists() else [sys.executable, "-c", CLI]
        env = {**bot_env(self.fake, self.data_dir), "CRM_BOT_USERNAME": "crm_test_bot"}
        proc = await asyncio.create_subprocess_exec(
            *command, *args, cwd=self.data_dir, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), STARTUP)
        assert proc.returncode == 0, err.decode()
        return out.decode()

    async def invite(self, role: str = "manager") -> str:
        """An invitation made the operator's way: `crm users invite --role ...` prints a link."""
        link = (await self.cli("users", "invite", "--role", role)).splitlines()[0]
        assert link.startswith("https://t.me/crm_test_bot?start=")
        return link.rsplit("=", 1)[1]

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows of the process's SQLite database."""
        with sqlite3.connect(self.data_dir / "crm.sqlite3") as conn:
            return conn.execute(sql, args).fetchall()

    def employee(self, telegram_id: int) -> tuple[str, str, str] | None:
        rows = self.query(
            "SELECT full_name, role, locale FROM employee WHERE telegram_id = ?", telegram_id
        )
        return rows[0] if rows else None
