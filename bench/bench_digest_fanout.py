"""A digest fanned out to 1,000 recipients through the push sender, against the fake Bot API
enforcing Telegram's limits (30 messages a second overall, one a second per chat; a send over a
limit is answered 429, as Telegram would).

The baseline is Telegram's own floor: N ÷ 30 seconds (33.3 s for 1,000). Printed: the time of
the whole job (records, each version of the digest built once: the company's in two languages
and each team's, each chart uploaded once, every send) as a ratio to the floor (target: at most
1.1x, with no 429 answers); then the same fan-out
with a storm of 429 answers injected in the middle (nothing may be lost or sent twice). What a
process pays once (imports, matplotlib's fonts) is measured apart, before.

    .venv/bin/python bench/bench_digest_fanout.py [--recipients 1000] [--storm 20]
                                                  [--db sqlite://:memory:]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tortoise import Tortoise  # noqa: E402

from core import clock  # noqa: E402
from core.db import normalise_url, tortoise_config  # noqa: E402
from tests.jobs.fake_limits import LimitedTelegram  # noqa: E402

RATE = 30
DAY = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)  # 09:00 in Kyiv


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
    """What a process pays once, before its first digest: imports, matplotlib's fonts."""
    from services.analytics import ReportParams, get_report, render_chart, run_report

    started = time.monotonic()
    result = await run_report("funnel", ReportParams())
    await asyncio.to_thread(render_chart, get_report("funnel"), result, "uk")
    return time.monotonic() - started


async def fan_out(fake: LimitedTelegram, moment: dt.datetime, storm: int) -> dict[str, float]:
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from jobs.scheduler import run_job
    from jobs.sender import Sender

    fake.history.clear()
    fake.accepted.clear()
    fake.violations.clear()
    fake.retry_afters = 0
    bot = Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
    sender = Sender(bot)
    sender.start()
    injector = None
    clock.freeze(moment)
    try:
        started = time.monotonic()
        report = await run_job("digests:funnel_daily", sender, force=True)
        queued = time.monotonic()
        if storm:

            async def inject() -> None:  # a storm of 429s a third of the way through
                index = 0
                for _ in range(report.queued // 3):
                    index = await fake.wait_request("sendPhoto", since=index, timeout=600) + 1
                fake.rate_limit(times=storm, retry_after=1)

            injector = asyncio.create_task(inject())
        await sender.join()
        finished = time.monotonic()
    finally:
        clock.unfreeze()
        if injector is not None:
            injector.cancel()
        await sender.close()
        await bot.session.close()
    per_chat = Counter(e.chat_id for events in fake.history.values() for e in events
                       if e.kind in ("send", "photo"))  # fmt: skip
    sends = [at for at, _ in fake.accepted]
    return {
        "due": report.due,
        "queued": report.queued,
        "delivered": len(per_chat),
        "twice": sum(1 for n in per_chat.values() if n > 1),
        "total_s": finished - started,
        "build_s": queued - started,
        "window_s": (max(sends) - min(sends)) if sends else 0.0,
        "retry_after": fake.retry_afters,
        "violations": len(fake.violations),
        "uploads": sum(1 for m, p in fake.requests if m == "sendPhoto"
                       and str(p.get("photo", "")).startswith("attach://")),
    }  # fmt: skip


def line(title: str, r: dict[str, float], floor: float) -> str:
    return (
        f"{title}: {r['total_s']:.1f} s = {r['total_s'] / floor:.3f}x the floor "
        f"(digest built and recorded in {r['build_s']:.2f} s; first to last send "
        f"{r['window_s']:.1f} s); delivered {int(r['delivered'])}/{int(r['due'])}, "
        f"twice {int(r['twice'])}, 429 answers {int(r['retry_after'])} "
        f"(over a limit: {int(r['violations'])}), chart uploads {int(r['uploads'])}"
    )


async def main(recipients: int, storm: int, db_url: str) -> int:
    await Tortoise.init(config=tortoise_config(db_url), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    fake = LimitedTelegram(rate=RATE)
    await fake.start()
    try:
        await seed(recipients)
        floor = recipients / RATE
        print(f"warm-up once per process (imports, chart fonts): {await warm_up():.1f} s")
        print(f"floor: {recipients} recipients / {RATE} per second = {floor:.1f} s")
        calm = await fan_out(fake, DAY, 0)
        print(line("fan-out", calm, floor))
        stormy = await fan_out(fake, DAY + dt.timedelta(days=1), storm)
        print(line(f"with {storm} injected 429s", stormy, floor))
    finally:
        await fake.close()
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
