"""The one list of scheduled jobs. `crm jobs list` prints it; `jobs.scheduler` schedules it.

Job ids are `<family>:<scope>`. Jobs that push at each person's local time run every minute
and pick the people whose time has come (`services.notifications.due_slot`); a restart within
the grace window still sends what was missed, once. Each job is an `async def send_*/remind_*(
ctx) -> JobReport`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.errors import NotFound
from core.i18n import N_
from jobs import classify, digests, reminders
from jobs.runner import JobContext, JobReport, resend_unsent

EVERY_MINUTE = "minute"
HOURLY = "hourly"


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    run: Callable[[JobContext], Awaitable[JobReport]]
    description: str  # English msgid
    schedule: str = EVERY_MINUTE
    digest: str | None = None  # the subscription whose local time it follows
    misfire_grace: int = 120  # seconds APScheduler may still start it late

    def trigger(self) -> BaseTrigger:
        if self.schedule == HOURLY:
            return CronTrigger(minute=20, timezone="UTC")
        return IntervalTrigger(minutes=1, timezone="UTC")


async def send_unsent(ctx: JobContext) -> JobReport:
    return await resend_unsent(ctx)


JOBS: tuple[Job, ...] = (
    Job(
        "digests:funnel_daily",
        digests.send_funnel_daily,
        N_("Yesterday's sales with the funnel chart: heads their team, managers their own"),
        digest="funnel_daily",
    ),
    Job(
        "digests:funnel_weekly",
        digests.send_funnel_weekly,
        N_("Last week's sales with the funnel chart: heads their team, managers their own"),
        digest="funnel_weekly",
    ),
    Job(
        "digests:claims_daily",
        digests.send_claims_daily,
        N_("Claims: new, in processing, overdue, resolved, by cause"),
        digest="claims_daily",
    ),
    Job(
        "digests:lost_weekly",
        digests.send_lost_weekly,
        N_("Deals lost last week: reasons, stages, competitors"),
        digest="lost_weekly",
    ),
    Job(
        "digests:classification",
        digests.send_classification,
        N_("Clients that moved between ABC/XYZ classes in the latest classification"),
        digest="classification",
    ),
    Job(
        "reminders:tasks",
        reminders.remind_tasks,
        N_("Tasks due within an hour (or at their reminder time) and tasks just overdue"),
        digest="tasks",
    ),
    Job(
        "reminders:interactions",
        reminders.remind_interactions,
        N_("Planned calls and meetings, 15 minutes before"),
        digest="interactions",
    ),
    Job(
        "reminders:claims",
        reminders.remind_claims,
        N_(
            "Claims: the responsible person on assignment and when the response time runs out, "
            "the client's managers on registration"
        ),
        digest="claim_notices",
    ),
    Job(
        "reminders:rotting",
        reminders.remind_rotting,
        N_("Deals without activity past their stage's limit, with one-tap actions"),
        digest="rotting",
    ),
    Job(
        "reminders:birthdays",
        reminders.remind_birthdays,
        N_("Birthdays of the contact persons of one's partners"),
        digest="birthdays",
    ),
    Job(
        "reminders:cadence",
        reminders.remind_cadence,
        N_("Partners not contacted for longer than agreed"),
        digest="cadence",
    ),
    Job(
        "reminders:my_day",
        reminders.remind_my_day,
        N_("The morning plan: tasks, overdue, calls and meetings, idle deals, birthdays"),
        digest="my_day",
    ),
    Job(
        "classify:monthly",
        classify.classify_monthly,
        N_("ABC/XYZ classification of clients for the month that ended (once)"),
        schedule=HOURLY,
        misfire_grace=3600,
    ),
    Job(
        "notifications:retry",
        send_unsent,
        N_("Sends again what failed (with back-off) or what a stopped process left unsent"),
    ),
)

JOBS_BY_ID = {job.id: job for job in JOBS}


def get_job(job_id: str) -> Job:
    job = JOBS_BY_ID.get(job_id)
    if job is None:
        raise NotFound("not_found", what=job_id)
    return job
