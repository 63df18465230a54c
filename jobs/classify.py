"""The scheduled ABC/XYZ classification: once a month, the month that just ended.

The job runs every hour and acts only when the previous month (local, the company's time zone)
has no scheduled run yet, so a process that was down on the 1st catches up when it starts, and
a second process finds the marker and does nothing. The classification itself is idempotent
(the same window replaces its own rows); `digests:classification` then tells the heads who moved
between classes.
"""

from __future__ import annotations

import datetime as dt

from jobs.digests import SCHEDULED_BASIS, SCHEDULED_METHOD
from jobs.runner import JobContext, JobReport
from services import notifications

MARKER = "classify"


def _zone() -> str:
    from core.config import ConfigError, get_settings

    try:
        return get_settings().timezone
    except ConfigError:
        return "Europe/Kyiv"


async def classify_monthly(ctx: JobContext) -> JobReport:
    from services.classification import classify_clients

    report = JobReport("classify:monthly")
    import zoneinfo

    today = ctx.now.astimezone(zoneinfo.ZoneInfo(_zone())).date()
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    period = month_end.strftime("%Y-%m")
    key = notifications.notification_key(MARKER, None, period)
    marker = await notifications.find_notification(key)
    if marker is not None and marker.sent_at is not None:
        report.already = 1
        return report
    report.due = 1
    run = await classify_clients(
        basis=SCHEDULED_BASIS, method=SCHEDULED_METHOD, period_to=month_end
    )
    await notifications.reserve([notifications.Reservation(MARKER, None, period)])
    await notifications.mark_sent(key)
    report.queued = 1
    report.note = f"{run.run_id}: {run.clients} clients"
    return report
