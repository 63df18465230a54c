"""A restart in the middle of a fan-out: the process dies after sending some of the digests; the
next one (the scheduler's first ticks after start) sends the rest, and nobody gets one twice."""

from __future__ import annotations

import datetime as dt

from jobs.scheduler import run_job
from models import SentNotification
from models.base import Role
from tests.factories import make_employee
from tests.jobs.conftest import DiesAfter, bot_for

MORNING = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)  # 09:00 in Kyiv


async def test_restart_mid_fan_out_sends_the_rest_once(db, clock_at, fake_telegram, make_sender):
    clock_at(MORNING)
    heads = [await make_employee(role=Role.HEAD) for _ in range(12)]

    bot = bot_for(fake_telegram)
    first = DiesAfter(bot, sends=5)
    first.start()
    report = await run_job("digests:funnel_daily", first)
    assert report.queued == 12
    await first.died.wait()
    await first.close(timeout=0)  # the process is gone; its queue with it
    await bot.session.close()
    delivered = [h for h in heads if fake_telegram.history[h.telegram_id]]
    assert len(delivered) == 5

    # a new process: the scheduler runs every job right after start
    clock_at(MORNING + dt.timedelta(minutes=3))
    second = make_sender(fake_telegram)
    again = await run_job("digests:funnel_daily", second)
    resent = await run_job("notifications:retry", second)
    await second.join()

    assert again.queued == 0 and again.already == 12  # recorded before the restart
    assert resent.queued == 7
    for head in heads:
        photos = [e for e in fake_telegram.history[head.telegram_id] if e.kind == "photo"]
        assert len(photos) == 1, head.id
        assert "09:00" not in photos[0].text  # the digest, not a reminder
    assert await SentNotification.filter(kind="funnel_daily", sent_at__isnull=True).count() == 0

    # and a third tick, later the same morning, sends nothing more
    clock_at(MORNING + dt.timedelta(hours=1))
    third = await run_job("digests:funnel_daily", second)
    retry = await run_job("notifications:retry", second)
    await second.join()
    assert third.queued == retry.queued == 0
    sent_photos = sum(1 for method, _ in fake_telegram.requests if method == "sendPhoto")
    assert sent_photos == 12
