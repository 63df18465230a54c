"""`crm jobs`: the scheduled digests and reminders.

    crm jobs                       run the scheduler alone (no bot polling), until stopped
    crm jobs list                  what runs when, and next (local time of CRM_TIMEZONE)
    crm jobs run JOB [--now ISO]   run one job now, as if at that moment (needs CRM_BOT_TOKEN)

`run` sends each subscriber the current period's digest whatever their local time (once: what
was sent before is not sent again), and waits until the pushes are out.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sys
import zoneinfo

import click

from cli.common import fail, run_db, settings
from core.config import ConfigError
from core.i18n import N_, format_datetime, gettext

TEXTS = {
    "daily": N_("daily, at each subscriber's local time (checked every minute)"),
    "weekly": N_("weekly, on each subscriber's day at their local time (checked every minute)"),
    "event": N_("every minute, as things fall due"),
    "minute": N_("every minute"),
    "hourly": N_("every hour"),
    "defaults": N_("default: %(defaults)s"),
    "off": N_("off"),
    "unknown": N_("Unknown job %(job)s: `crm jobs list` shows the jobs."),
    "bad_now": N_(
        "--now must be a date and time such as 2026-11-27T09:00 (local) or with an "
        "offset (2026-11-27T07:00+00:00)."
    ),
    "report": N_(
        "%(job)s at %(at)s (%(zone)s): due %(due)s, sent %(sent)s, sent before "
        "%(already)s, nothing to send %(empty)s, failed %(failed)s."
    ),
    "note": N_("Note: %(note)s"),
    "next_run": N_("next run: %(at)s (%(zone)s)"),
    "next_minute": N_("next run: within a minute (while `crm run` or `crm jobs` runs)"),
    "next_default": N_("next at the default time: %(at)s"),
}
ROLE_NAMES = {"head": N_("head of sales"), "admin": N_("administrator"), "manager": N_("manager")}


@click.group("jobs", invoke_without_command=True)
@click.pass_context
def jobs_group(ctx: click.Context) -> None:
    """Scheduled digests and reminders; alone, runs the scheduler without the bot's polling."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.app import configure_logging
    from jobs.scheduler import serve_jobs

    conf = settings()
    try:
        conf.require_bot_token()
    except ConfigError as error:
        fail(str(error), 2)
    configure_logging(conf.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_jobs(conf))


def _defaults(digest: str, lang: str) -> str:
    from babel.dates import get_day_names

    from services.notifications import DIGESTS, Cadence

    spec = DIGESTS[digest]
    days = get_day_names("abbreviated", locale=lang)
    parts = []
    for role, default in spec.defaults.items():
        if not default.on:
            value = gettext(TEXTS["off"], lang)
        elif spec.cadence is Cadence.EVENT:
            value = "✓"
        elif spec.cadence is Cadence.WEEKLY:
            value = f"{days[default.weekday or 0]} {default.local_time}"
        else:
            value = default.local_time
        parts.append(f"{gettext(ROLE_NAMES[role.value], lang)} {value}")
    return gettext(TEXTS["defaults"], lang) % {"defaults": " · ".join(parts)}


def next_default(digest: str, now: dt.datetime, zone: str) -> dt.datetime | None:
    """The next moment after `now` at which some role gets the timed digest by default (in the
    company's time zone); None for event notifications and digests off for every role."""
    from services.notifications import DIGESTS, Cadence

    spec = DIGESTS[digest]
    if spec.cadence is Cadence.EVENT:
        return None
    tz = zoneinfo.ZoneInfo(zone)
    today = now.astimezone(tz).date()
    moments = []
    for default in spec.defaults.values():
        if not default.on:
            continue
        hour, minute = (int(part) for part in default.local_time.split(":"))
        for ahead in range(8):
            day = today + dt.timedelta(days=ahead)
            if spec.cadence is Cadence.WEEKLY and day.weekday() != (default.weekday or 0):
                continue
            at = dt.datetime.combine(day, dt.time(hour, minute), tz).astimezone(dt.UTC)
            if at > now:
                moments.append(at)
                break
    return min(moments, default=None)


@jobs_group.command("list")
def list_cmd() -> None:
    """What runs when: every job with its schedule, the subscribers' defaults and the next run
    (in CRM_TIMEZONE)."""
    from core import clock
    from jobs.registry import EVERY_MINUTE, JOBS
    from services.notifications import DIGESTS

    conf = settings()
    lang, zone = conf.default_locale, conf.timezone
    now = clock.now()
    for job in JOBS:
        spec = DIGESTS.get(job.digest) if job.digest else None
        when = TEXTS[spec.cadence.value] if spec is not None else TEXTS[job.schedule]
        click.echo(job.id)
        click.echo(f"  {gettext(when, lang)}")
        click.echo(f"  {gettext(job.description, lang)}")
        if spec is not None:
            click.echo(f"  {_defaults(spec.code, lang)}")
        if job.schedule == EVERY_MINUTE:  # its phase is set by the process that runs it
            click.echo(f"  {gettext(TEXTS['next_minute'], lang)}")
        elif (fire := job.trigger().get_next_fire_time(None, now)) is not None:
            at = format_datetime(fire, zone, lang)
            click.echo(f"  {gettext(TEXTS['next_run'], lang) % {'at': at, 'zone': zone}}")
        default_at = next_default(spec.code, now, zone) if spec is not None else None
        if default_at is not None:
            at = format_datetime(default_at, zone, lang)
            click.echo(f"  {gettext(TEXTS['next_default'], lang) % {'at': at}}")


def parse_now(text: str | None, zone: str) -> dt.datetime | None:
    """ISO 8601; without an offset, in the company's time zone."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return moment.astimezone(dt.UTC)


@jobs_group.command("run")
@click.argument("job_id")
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="ISO-DATETIME",
    help="Run as if at this moment (local time of CRM_TIMEZONE unless an offset is "
    "given); default: now.",
)
def run_cmd(job_id: str, now_text: str | None) -> None:
    """Run one job now and wait until its messages are sent."""
    from core import clock
    from jobs.registry import JOBS_BY_ID
    from jobs.runner import JobReport
    from jobs.scheduler import push_bot, run_job
    from jobs.sender import Sender, SenderStats

    conf = settings()
    lang = conf.default_locale
    if job_id not in JOBS_BY_ID:
        fail(gettext(TEXTS["unknown"], lang) % {"job": job_id}, 2)
    moment = parse_now(now_text, conf.timezone)
    if now_text and moment is None:
        fail(gettext(TEXTS["bad_now"], lang), 2)
    try:
        conf.require_bot_token()
    except ConfigError as error:
        fail(str(error), 2)

    async def main() -> tuple[JobReport, SenderStats, dt.datetime]:
        bot = push_bot(conf)
        sender = Sender(bot)
        sender.start()
        simulated = clock.simulated(moment) if moment else contextlib.nullcontext()
        try:
            with simulated:
                at = clock.now()
                report = await run_job(job_id, sender, now=at, force=True)
                await sender.join()
        finally:
            await sender.close()
            await bot.session.close()
        return report, sender.stats, at

    report, stats, at = run_db(main)
    click.echo(
        gettext(TEXTS["report"], lang)
        % {
            "job": job_id,
            "at": format_datetime(at, conf.timezone, lang),
            "zone": conf.timezone,
            "due": report.due,
            "sent": stats.sent,
            "already": report.already,
            "empty": report.empty,
            "failed": report.failed + stats.failed,
        }
    )
    if report.note:
        click.echo(gettext(TEXTS["note"], lang) % {"note": report.note})
    if report.failed or stats.failed:
        sys.exit(1)
