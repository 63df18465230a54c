"""Bot throughput over the fake Bot API on loopback: `crm run` beside a bare aiogram echo bot.

Both bots run as real processes polling the same fake server (tests/fakes/telegram.py), which
plays the users in this process: every chat sends an update, waits for the bot's reply, and
repeats (closed loop). Printed: updates per second, p50/p99 latency, the ratio of the CRM to the
echo bot, and the resident memory of `crm run` at the end.

The CRM flow here is the main menu <-> Settings (two dialog windows edited in place, with the
employee lookup and the durable FSM records on SQLite); the deal-card flow will reuse
`run_load()` and `start_bot()` when its dialogs exist.

    .venv/bin/python bench/bench_bot_echo.py [--seconds 5] [--chats 1,50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.telegram import FakeTelegram  # noqa: E402

ECHO_BOT = """
import asyncio, os
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

dp = Dispatcher()

@dp.message()
async def echo(message):
    await message.answer(message.text)

session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["CRM_TELEGRAM_API_BASE"]))
asyncio.run(dp.start_polling(Bot(os.environ["CRM_BOT_TOKEN"], session=session)))
"""
EMPLOYEES = """
import asyncio, sys
from core.db import orm
from services.employees import create_employee
async def main():
    async with orm():
        for chat in range(1, int(sys.argv[1]) + 1):
            await create_employee(full_name=f"Bench {chat}", role="manager", telegram_id=chat,
                                  locale="en")
asyncio.run(main())
"""
CRM_RUN = "from cli.main import main; main()"
Step = Callable[[FakeTelegram, int], Awaitable[None]]


def env_for(fake: FakeTelegram, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_BOT_TOKEN=fake.token, CRM_TELEGRAM_API_BASE=fake.base_url)
    env.update(CRM_DATA_DIR=str(data_dir), CRM_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    return env


async def start_bot(fake: FakeTelegram, data_dir: Path, code: str, *args: str):
    since = len(fake.requests)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, *args, cwd=data_dir, env=env_for(fake, data_dir),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await fake.wait_request("getUpdates", since=since, timeout=120)
    return proc


async def stop_bot(proc: asyncio.subprocess.Process) -> None:
    proc.terminate()
    await asyncio.wait_for(proc.wait(), 60)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_load(
    fake: FakeTelegram, chats: int, seconds: float, step: Step
) -> tuple[float, float, float, int]:
    """Closed loop per chat for `seconds`: (updates/s, p50 ms, p99 ms, updates)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def chat_loop(chat: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await step(fake, chat)
            latencies.append((time.perf_counter() - started) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(chat_loop(chat) for chat in range(1, chats + 1)))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(latencies) / elapsed, statistics.median(ordered), p99, len(latencies)


async def echo_step(fake: FakeTelegram, chat: int) -> None:
    await fake.user_message(chat, "ping")
    await fake.next_event(chat, timeout=30)


_in_settings: set[int] = set()


async def menu_step(fake: FakeTelegram, chat: int) -> None:
    """One button press: Settings from the main menu, or back to the main menu."""
    target = "Main menu" if chat in _in_settings else "Settings"
    await fake.click(chat, target)
    await fake.next_event(chat, timeout=30)
    _in_settings.symmetric_difference_update({chat})


async def main(seconds: float, chat_counts: list[int]) -> None:
    fake = FakeTelegram()
    await fake.start()
    results: dict[tuple[str, int], tuple[float, float, float, int]] = {}
    cpu_ms: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        echo = await start_bot(fake, data_dir, ECHO_BOT)
        await run_load(fake, max(chat_counts), 1.0, echo_step)  # warm-up, not counted
        for chats in chat_counts:
            cpu = cpu_seconds(echo.pid)
            results["echo", chats] = await run_load(fake, chats, seconds, echo_step)
            cpu_ms["echo", chats] = (cpu_seconds(echo.pid) - cpu) * 1000 / results["echo", chats][3]
        await stop_bot(echo)

        setup = await asyncio.create_subprocess_exec(
            sys.executable, "-c", EMPLOYEES, str(max(chat_counts)), cwd=data_dir,
            env=env_for(fake, data_dir),
        )  # fmt: skip
        assert await setup.wait() == 0
        crm = await start_bot(fake, data_dir, CRM_RUN, "run")
        for chat in range(1, max(chat_counts) + 1):
            await fake.user_message(chat, "/menu")
            await fake.next_event(chat, kinds={"send"}, timeout=60)
        await run_load(fake, max(chat_counts), 1.0, menu_step)  # warm-up, not counted
        for chats in chat_counts:
            cpu = cpu_seconds(crm.pid)
            results["crm", chats] = await run_load(fake, chats, seconds, menu_step)
            cpu_ms["crm", chats] = (cpu_seconds(crm.pid) - cpu) * 1000 / results["crm", chats][3]
        memory = rss_mib(crm.pid)
        await stop_bot(crm)
    await fake.close()

    print(f"{'bot':<6}{'chats':>6}{'upd/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'updates':>9}"
          f"{'bot CPU ms/upd':>16}")  # fmt: skip
    for (bot, chats), (rate, p50, p99, n) in results.items():
        print(f"{bot:<6}{chats:>6}{rate:>8.0f}{p50:>9.1f}{p99:>9.1f}{n:>9}"
              f"{cpu_ms[bot, chats]:>16.2f}")  # fmt: skip
    for chats in chat_counts:
        ratio = results["crm", chats][0] / results["echo", chats][0]
        print(f"ratio crm/echo with {chats} chat(s): {ratio:.2f} (target >= 0.5)")
    print(f"resident memory of `crm run` at the end: {memory:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--chats", default="1,50")
    options = parser.parse_args()
    asyncio.run(main(options.seconds, [int(c) for c in options.chats.split(",")]))
