"""`crm jobs` as a real process: the scheduler alone, without the bot's polling, pushes a due
digest to the fake Bot API and stops cleanly on SIGTERM. (SQLite in a temporary data dir; the
in-process tests cover PostgreSQL.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sqlite3
import sys
import zoneinfo
from pathlib import Path

from tests.bot.processes import EMBEDDED_ONLY
from tests.bot.test_run_end_to_end import CLI, bot_env
from tests.fakes.telegram import FakeTelegram

pytestmark = EMBEDDED_ONLY

HEAD_CHAT = 424242


def _seed(path: Path) -> None:
    """A head of sales whose daily digest time is this very minute (Kyiv)."""
    now = dt.datetime.now(dt.UTC)
    local = now.astimezone(zoneinfo.ZoneInfo("Europe/Kyiv")).strftime("%H:%M")
    stamp = now.isoformat(sep=" ")
    with sqlite3.connect(path) as conn:
        cursor = conn.execute(
            "INSERT INTO employee (created_at, updated_at, telegram_id, full_name, role, locale,"
            " timezone, active) VALUES (?, ?, ?, 'Ірина Коваленко', 'head', 'uk',"
            " 'Europe/Kyiv', 1)",
            (stamp, stamp, HEAD_CHAT),
        )
        conn.execute(
            "INSERT INTO subscription (created_at, updated_at, employee_id, digest, local_time,"
            " muted) VALUES (?, ?, ?, 'funnel_daily', ?, 0)",
            (stamp, stamp, cursor.lastrowid, local),
        )


async def _crm(fake: FakeTelegram, data_dir: Path, *args: str) -> asyncio.subprocess.Process:
    log = (data_dir / f"crm-{args[0]}.log").open("wb")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLI, *args, cwd=data_dir, env=bot_env(fake, data_dir),
        stdout=log, stderr=log,
    )  # fmt: skip


async def test_crm_jobs_alone_pushes_and_stops_on_sigterm(fake_telegram, tmp_path):
    migrate = await _crm(fake_telegram, tmp_path, "db", "migrate")
    assert await asyncio.wait_for(migrate.wait(), 120) == 0
    _seed(tmp_path / "crm.sqlite3")

    process = await _crm(fake_telegram, tmp_path, "jobs")
    try:
        event = await fake_telegram.next_event(HEAD_CHAT, timeout=120)
        assert event.kind == "photo" and event.text.startswith("📊")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    methods = {method for method, _ in fake_telegram.requests}
    assert "getUpdates" not in methods  # no polling: the bot itself runs elsewhere
    with sqlite3.connect(tmp_path / "crm.sqlite3") as conn:
        sent = conn.execute(
            "SELECT COUNT(*) FROM sent_notification WHERE kind = 'funnel_daily'"
            " AND sent_at IS NOT NULL"
        ).fetchone()[0]
    assert sent == 1
