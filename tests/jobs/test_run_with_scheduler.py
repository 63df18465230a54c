"""`crm run` as a real process with the scheduler inside (CRM_JOBS_ENABLED, the default): a task
reminder reaches its performer through the fake Bot API once; after SIGTERM and a new start it is
not sent again. (SQLite in a temporary data dir, on the wall clock: the task is due from now.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import sqlite3
import sys
from pathlib import Path

from core import clock
from models import Task
from tests.bot.processes import EMBEDDED_ONLY
from tests.bot.test_run_end_to_end import CLI, RUN, STARTUP, bot_env
from tests.cli.conftest import run_in_db
from tests.factories import make_employee
from tests.fakes.telegram import BotEvent, FakeTelegram

pytestmark = EMBEDDED_ONLY

CHAT = 515151


def _env(fake: FakeTelegram, data_dir: Path, **extra: str) -> dict[str, str]:
    return {**bot_env(fake, data_dir), **extra}


async def _migrate(fake: FakeTelegram, data_dir: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLI, "db", "migrate", cwd=data_dir, env=_env(fake, data_dir),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await asyncio.wait_for(proc.wait(), STARTUP) == 0


async def _start(fake: FakeTelegram, data_dir: Path, run: int) -> asyncio.subprocess.Process:
    """`crm run` with the jobs on (the setting as an operator leaves it: not set at all)."""
    env = _env(fake, data_dir)
    env.pop("CRM_JOBS_ENABLED", None)
    since = len(fake.requests)
    log = (data_dir / f"run-{run}.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN, "run", cwd=data_dir, env=env, stdout=log, stderr=log,
    )  # fmt: skip
    await fake.wait_request("getUpdates", since=since, timeout=STARTUP)
    return proc


async def _stop(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(proc.wait(), 60)


def _task(data_dir: Path, title: str) -> int:
    """An open task of the employee's (created on the first call), due in 40 minutes, whose
    reminder time is a minute ago: the next tick of reminders:tasks sends it."""
    url = f"sqlite://{data_dir / 'crm.sqlite3'}"

    async def seed() -> int:
        from models import Employee

        employee = await Employee.get_or_none(telegram_id=CHAT)
        if employee is None:
            employee = await make_employee(telegram_id=CHAT, full_name="Олена Шевчук")
        now = clock.now()
        task = await Task.create(
            title=title,
            performer=employee,
            due_at=now + dt.timedelta(minutes=40),
            remind_at=now - dt.timedelta(minutes=1),
        )
        return task.id

    return run_in_db(url, seed)


def _is_reminder(event: BotEvent, title: str) -> bool:
    """The task's own reminder (the morning "my day" digest lists the task too)."""
    return event.kind == "send" and event.text.startswith("⏰ ") and title in event.text


def _reminders(fake: FakeTelegram, title: str) -> list[BotEvent]:
    return [e for e in fake.history[CHAT] if _is_reminder(e, title)]


def _records(data_dir: Path, task_id: int) -> list[tuple[str, str | None]]:
    with sqlite3.connect(data_dir / "crm.sqlite3") as conn:
        return conn.execute(
            "SELECT kind, sent_at FROM sent_notification WHERE key LIKE ?",
            (f"task_due:%:t{task_id}@%",),
        ).fetchall()


def _logs(data_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in data_dir.glob("run-*.log"))


async def _next_reminder(fake: FakeTelegram, title: str) -> BotEvent:
    while True:
        event = await fake.next_event(CHAT, timeout=STARTUP, kinds={"send"})
        if _is_reminder(event, title):
            return event


async def test_run_sends_a_due_task_reminder_once_across_a_restart(
    fake_telegram: FakeTelegram, tmp_path: Path
):
    fake = fake_telegram
    await _migrate(fake, tmp_path)
    first = await asyncio.to_thread(_task, tmp_path, "Передзвонити ТОВ «Будмайстер»")

    process = await _start(fake, tmp_path, 1)
    try:
        reminder = await _next_reminder(fake, "Передзвонити ТОВ «Будмайстер»")
        assert reminder.text.startswith("⏰ <b>Завдання на ")
        assert "✅ Виконано" in reminder.button_texts()
        assert await _stop(process) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert [kind for kind, sent_at in _records(tmp_path, first) if sent_at] == ["task_due"]

    # a second task falls due while the bot is down; the next start reminds of it, not again
    # of the first (both are in the same tick of reminders:tasks)
    await asyncio.to_thread(_task, tmp_path, "Надіслати рахунок ТОВ «Агросвіт»")
    process = await _start(fake, tmp_path, 2)
    try:
        await _next_reminder(fake, "Надіслати рахунок ТОВ «Агросвіт»")
        assert await _stop(process) == 0  # the sender drains before the process exits
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert len(_reminders(fake, "Передзвонити ТОВ «Будмайстер»")) == 1
    assert len(_reminders(fake, "Надіслати рахунок ТОВ «Агросвіт»")) == 1
    assert len(_records(tmp_path, first)) == 1
    assert "Traceback" not in _logs(tmp_path)
