"""A digest fanned out to 1,000 recipients through the push sender, against the fake Bot API
enforcing Telegram's limits (30 messages a second overall, one a second per chat; a send over a
limit is answered 429, as Telegram would). The fake runs in its own process, so that its clock,
like Telegram's, does not stall when the bot's event loop is busy.

The baseline is Telegram's own floor: N ÷ 30 seconds (33.3 s for 1,000). Printed: the time of
the whole job (records, each version of the digest built once: the company's in two languages
and each team's, each chart uploaded once, every send) as a ratio to the floor (target: at most
1.1x, with no 429 answers); then the same fan-out with a storm of 429 answers injected a third
of the way through (nothing may be lost or sent twice). What a process pays once (imports, the
chart process, matplotlib's fonts) is measured apart, before.

    .venv/bin/python bench/bench_digest_fanout.py [--recipients 1000] [--storm 20]
                                                  [--db sqlite://:memory:]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from tortoise import Tortoise  # noqa: E402

from core import clock  # noqa: E402
from core.db import normalise_url, tortoise_config  # noqa: E402
from tests.fakes.telegram import TOKEN  # noqa: E402

RATE = 30
DAY = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)  # 09:00 in Kyiv


class RemoteFake:
    """tests/jobs/fake_limits.py in a child process, steered over HTTP."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.fake_limits"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()

    async def call(self, method: str, **query: Any) -> Any:
        url = f"{self.base_url}/bot{TOKEN}/{method}"
        async with aiohttp.ClientSession() as session, session.get(url, params=query) as answer:
            return (await answer.json())["result"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)


async def seed(recipients: int) -> None:
    """A company with some history (so the digest has figures and a chart), then as many
    admins as it takes for `recipients` people to be due the daily digest (a fifth in English)."""
    from models import Employee
    from models.base import Role
    from services.notifications import list_recipients
    from tests.analytics_data import generate

    await generate(seed=3, deals=300)
    have = len(await list_recipients("funnel_daily"))
    start = 900_000_000
    await Employee.bulk_create(
        [
            Employee(
                full_name=f"Директор {n}",
                role=Role.ADMIN,
                telegram_id=start + n,
                locale="en" if n % 5 == 0 else "uk",
            )
            for n in range(max(recipients - have, 0))
        ],
        batch_size=1000,
    )


async def warm_up() -> float:
    """What a process pays once, before its first digest: imports, the chart process, fonts."""
    from jobs.digests import _chart
    from services.analytics import ReportParams, run_report

    started = time.monotonic()
    await _chart("funnel", await run_report("funnel", ReportParams()), "uk")
    return time.monotonic() - started


async def fan_out(fake: RemoteFake, moment: dt.datetime, storm: int) -> dict[str, float]:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from jobs.scheduler import run_job
    from jobs.sender import Sender

    await fake.call("benchReset")
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
    sender = Sender(bot)
    sender.start()
    injector = None
    clock.freeze(moment)
    try:
        started = time.monotonic()
        report = await run_job("digests:funnel_daily", sender, force=True)
        queued = time.monotonic()
        if storm:

            async def inject() -> None:  # a third of the way through
                await asyncio.sleep(report.queued / RATE / 3)
                await fake.call("benchStorm", times=storm, retry_after=1)

            injector = asyncio.create_task(inject())
        await sender.join()
        finished = time.monotonic()
        if injector is not None:
            await injector
    finally:
        clock.unfreeze()
        await sender.close()
        await bot.session.close()
    stats = await fake.call("benchStats")
    return {
        **stats,
        "due": report.due,
        "total_s": finished - started,
        "build_s": queued - started,
        "sender_429": sender.stats.retry_after,
    }


def line(title: str, r: dict[str, float], floor: float) -> str:
    return (
        f"{title}: {r['total_s']:.1f} s = {r['total_s'] / floor:.3f}x the floor "
        f"(all recorded and queued after {r['build_s']:.2f} s; first to last send "
        f"{r['window_s']:.1f} s); delivered {int(r['delivered'])}/{int(r['due'])}, "
        f"twice {int(r['twice'])}, 429 answers {int(r['retry_after'])} "
        f"(over a limit: {int(r['violations'])}), chart uploads {int(r['uploads'])}"
    )


async def main(recipients: int, storm: int, db_url: str) -> int:
    await Tortoise.init(config=tortoise_config(db_url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    fake = RemoteFake()
    try:
        await seed(recipients)
        floor = recipients / RATE
        print(f"warm-up, once per process (imports, chart process, fonts): {await warm_up():.1f} s")
        print(f"floor: {recipients} recipients / {RATE} per second = {floor:.1f} s")
        calm = await fan_out(fake, DAY, 0)
        print(line("fan-out", calm, floor))
        stormy = await fan_out(fake, DAY + dt.timedelta(days=1), storm)
        print(line(f"with {storm} injected 429s", stormy, floor))
    finally:
        fake.close()
        await Tortoise.close_connections()
    ok = (
        calm["total_s"] / floor <= 1.1
        and calm["retry_after"] == 0
        and calm["delivered"] == calm["due"] == recipients
        and calm["twice"] == 0
        and stormy["delivered"] == stormy["due"] == recipients
        and stormy["twice"] == 0
    )
    print("target (at most 1.1x, no 429, nothing lost or twice):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--storm", type=int, default=20, help="429 answers injected")
    parser.add_argument("--db", default="sqlite://:memory:", help="database URL")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.recipients, args.storm, normalise_url(args.db))))
