"""The periods a report can be asked for, as local calendar days (both inclusive)."""

from __future__ import annotations

import datetime as dt

from core import clock
from core.i18n import N_

PERIODS = {
    "month": N_("This month"),
    "last_month": N_("Last month"),
    "days90": N_("Last 90 days"),
}


def period_days(period: str, tz: str) -> tuple[dt.date, dt.date]:
    """(first day, last day) of `period` in the time zone `tz`; KeyError for an unknown one."""
    if period not in PERIODS:
        raise KeyError(period)
    today = clock.to_local(clock.now(), tz).date()
    if period == "month":
        return today.replace(day=1), today
    if period == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    return today - dt.timedelta(days=89), today
