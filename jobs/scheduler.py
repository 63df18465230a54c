"""APScheduler in the bot's event loop (or alone, `crm jobs`), and running one job by hand.

Wiring into the bot's composition root (bot/app.py `serve()` through `jobs_hooks()`, which does
nothing when CRM_JOBS_ENABLED=false because `crm jobs` runs the scheduler elsewhere):

    from jobs.scheduler import start_jobs, stop_jobs
    build_app(settings, extra_startup=[start_jobs], extra_shutdown=[stop_jobs])

`start_jobs(app)` runs after the ORM is open: it builds the push sender and the scheduler
(`setup_jobs`) and keeps it in `app.dispatcher["jobs"]`; `stop_jobs(app)` stops the scheduler
and lets the sender finish what it has queued (what it could not, stays recorded and goes next
start) before the ORM closes.

The scheduler runs in UTC with `coalesce=True` (a job late several times runs once) and a
`misfire_grace_time` (a late job still runs), `max_instances=1`. Every-minute jobs also run
right after start, so a restart sends what fell due meanwhile, once (the records say what went).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core import clock
from core.config import Settings
from jobs.registry import JOBS, Job, get_job
from jobs.runner import JobContext, JobReport
from jobs.sender import Sender

logger = logging.getLogger(__name__)

MISFIRE_GRACE = 120
START_STAGGER = 2.0  # seconds between the first runs of the every-minute jobs


class JobsScheduler(AsyncIOScheduler):
    """The scheduler with the sender its jobs push through."""

    def __init__(self, sender: Sender, *, own_bot: Bot | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.sender = sender
        self.own_bot = own_bot

    async def run_job(
        self, job_id: str, *, now: dt.datetime | None = None, force: bool = False
    ) -> JobReport:
        return await run_job(job_id, self.sender, now=now, force=force)

    async def aclose(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Stop scheduling (a job in the middle of a run is cancelled: what it recorded and did
        not queue goes next start), let the sender finish (up to `timeout`), close our own
        session."""
        running = [
            future
            for executor in self._executors.values()
            for future in getattr(executor, "_pending_futures", ())
        ]
        if self.running:
            self.shutdown(wait=False)  # takes effect on the loop's next turn
        await asyncio.sleep(0)
        if running:
            await asyncio.wait(running, timeout=timeout)
        await self.sender.close(timeout)
        if self.own_bot is not None:
            await self.own_bot.session.close()


async def run_job(
    job_id: str, sender: Sender, *, now: dt.datetime | None = None, force: bool = False
) -> JobReport:
    """Run one job once, as if at `now` (default: the clock's now)."""
    job = get_job(job_id)
    return await job.run(JobContext(sender, now or clock.now(), force))


async def _scheduled(sender: Sender, job_id: str) -> None:
    try:
        report = await run_job(job_id, sender)
    except Exception:
        logger.exception("job %s failed", job_id)
        return
    if report.queued or report.failed:
        logger.info(
            "%s: queued %d, already %d, failed %d",
            job_id,
            report.queued,
            report.already,
            report.failed,
        )


def build_scheduler(
    sender: Sender, *, jobs: tuple[Job, ...] = JOBS, own_bot: Bot | None = None
) -> JobsScheduler:
    scheduler = JobsScheduler(
        sender,
        own_bot=own_bot,
        timezone=dt.UTC,
        job_defaults={"coalesce": True, "misfire_grace_time": MISFIRE_GRACE, "max_instances": 1},
    )
    first = dt.datetime.now(dt.UTC)  # APScheduler's own (wall) clock, not the business clock
    for index, job in enumerate(jobs):
        scheduler.add_job(
            _scheduled,
            job.trigger(),
            args=(sender, job.id),
            id=job.id,
            name=job.id,
            coalesce=True,
            misfire_grace_time=job.misfire_grace,
            max_instances=1,
            replace_existing=True,
            next_run_time=first + dt.timedelta(seconds=START_STAGGER * index),
        )
    return scheduler


def push_bot(settings: Settings) -> Bot:
    """A Bot for pushes with its own session and no automatic 429 retry (the sender honours
    `retry_after` itself, pausing every push, which a per-request retry would not)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(
        settings.require_bot_token(),
        session=session,
        default=DefaultBotProperties(parse_mode="HTML"),
    )


def setup_jobs(
    app_or_bot: Any, settings: Settings, *, start: bool = True, **sender_options: Any
) -> JobsScheduler:
    """Build the sender and the scheduler in the running event loop and start them. Given the
    bot's `App`, pushes go through a Bot of their own (same token and API server); given a
    `Bot`, through that one (tests, `crm jobs`)."""
    # a line per job run every minute would drown the log: keep APScheduler's warnings only
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)
    if isinstance(app_or_bot, Bot):
        bot, own = app_or_bot, None
    else:
        bot = own = push_bot(settings)
    sender = Sender(bot, **sender_options)
    sender.start()
    scheduler = build_scheduler(sender, own_bot=own)
    if start:
        scheduler.start()
    return scheduler


async def start_jobs(app: Any) -> None:
    """`extra_startup` hook of bot.app.App."""
    app.dispatcher["jobs"] = setup_jobs(app, app.settings)


async def stop_jobs(app: Any) -> None:
    """`extra_shutdown` hook of bot.app.App."""
    scheduler = app.dispatcher.workflow_data.pop("jobs", None)
    if scheduler is not None:
        await scheduler.aclose()


async def serve_jobs(settings: Settings) -> None:
    """`crm jobs`: the scheduler without the bot's polling, until SIGTERM / SIGINT."""
    from core.db import close_orm, init_orm, migrate

    try:
        await migrate(settings)
    finally:
        await close_orm()
    await init_orm(settings)
    bot = push_bot(settings)
    scheduler = setup_jobs(bot, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    logger.info("jobs: %d scheduled; waiting for SIGTERM", len(JOBS))
    try:
        await stop.wait()
    finally:
        await scheduler.aclose()
        await bot.session.close()
        await close_orm()
