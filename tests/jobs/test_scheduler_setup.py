"""The scheduler as the bot's composition root starts it: APScheduler in the running event loop,
UTC, coalescing, a misfire grace, every job of the registry; it really fires and pushes through
the sender; the `extra_startup` / `extra_shutdown` hooks work with the real App."""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.interval import IntervalTrigger

from jobs.registry import JOBS
from jobs.scheduler import MISFIRE_GRACE, setup_jobs, start_jobs, stop_jobs
from models.base import Role
from tests.bot.conftest import make_settings
from tests.factories import make_employee
from tests.jobs.conftest import bot_for

MORNING = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)  # 09:00 in Kyiv


async def test_setup_jobs_schedules_the_registry_and_pushes(db, clock_at, fake_telegram, tmp_path):
    clock_at(MORNING)
    head = await make_employee(role=Role.HEAD, locale="en")
    bot = bot_for(fake_telegram)
    scheduler = setup_jobs(bot, make_settings(fake_telegram, tmp_path))
    try:
        assert scheduler.running
        assert str(scheduler.timezone) == "UTC"
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {job.id for job in JOBS}
        funnel = jobs["digests:funnel_daily"]
        assert funnel.coalesce is True and funnel.max_instances == 1
        assert funnel.misfire_grace_time == MISFIRE_GRACE
        assert isinstance(funnel.trigger, IntervalTrigger)
        assert funnel.trigger.interval == dt.timedelta(minutes=1)

        # the first tick runs right after start: the head's 09:00 digest arrives
        event = await fake_telegram.next_event(head.telegram_id, timeout=20)
        assert event.kind == "photo" and event.text.startswith("📊 <b>Sales, 26.11.2026</b>")
    finally:
        await scheduler.aclose()
        await bot.session.close()
    assert not scheduler.running


async def test_the_app_hooks_start_and_stop_the_jobs(db, clock_at, make_harness):
    clock_at(MORNING)
    head = await make_employee(role=Role.HEAD)
    harness = make_harness()
    app = harness.app
    await start_jobs(app)
    scheduler = app.dispatcher["jobs"]
    try:
        assert scheduler.running
        event = await harness.fake.next_event(head.telegram_id, timeout=20)
        assert event.text.startswith("📊 <b>Продажі, 26.11.2026</b>")
    finally:
        await stop_jobs(app)
    assert not scheduler.running
    assert "jobs" not in app.dispatcher.workflow_data
