from __future__ import annotations

import zoneinfo
from typing import Any

from aiogram_dialog import DialogManager

from bot.access import require_role
from bot.dialogs.log_interaction.common import status_lines
from bot.dialogs.widgets import locale_of
from core import clock
from core.errors import AccessDenied
from core.i18n import N_, gettext
from models.employee import Employee
from services import notifications
from services.notifications import SubscriptionRow

LANGUAGE_NAMES = {"uk": "Українська", "en": "English"}  # each in its own language
COMMON_ZONES = (
    "Europe/Kyiv",
    "Europe/Warsaw",
    "Europe/Berlin",
    "Europe/Vilnius",
    "Europe/Bucharest",
    "Europe/Chisinau",
    "Europe/Istanbul",
    "Europe/London",
    "Asia/Dubai",
    "America/New_York",
    "UTC",
)
CHECK = "✅ "


def zone_label(zone: str) -> str:
    offset = clock.now().astimezone(zoneinfo.ZoneInfo(zone)).strftime("%z")
    return f"{zone} (UTC{offset[:3]}:{offset[3:]})"


async def settings_getter(employee: Employee | None, **kwargs: Any) -> dict[str, Any]:
    employee = require_role(employee)
    return {
        "language": LANGUAGE_NAMES.get(employee.locale, employee.locale),
        "timezone": zone_label(employee.timezone),
    }


async def languages_getter(employee: Employee | None, **kwargs: Any) -> dict[str, Any]:
    employee = require_role(employee)
    return {
        "languages": [
            {"code": code, "name": name, "mark": CHECK if code == employee.locale else ""}
            for code, name in LANGUAGE_NAMES.items()
        ]
    }


async def timezones_getter(employee: Employee | None, **kwargs: Any) -> dict[str, Any]:
    employee = require_role(employee)
    zones = list(COMMON_ZONES)
    if employee.timezone not in zones:
        zones.insert(0, employee.timezone)
    return {
        "zones": [
            {
                "zone": zone,
                "label": zone_label(zone),
                "mark": CHECK if zone == employee.timezone else "",
            }
            for zone in zones
        ]
    }


# --- digests and reminders ------------------------------------------------------------------------

WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
WEEKDAYS_SHORT = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
HOURS = range(6, 24)  # the hour grid; any other time is typed
MINUTES = (0, 15, 30, 45)
ON_MARK, MUTED_MARK = "🔔", "🔕"


async def own_subscription(employee: Employee, digest: object) -> SubscriptionRow:
    """The employee's setting of `digest` (untrusted: from callback or dialog data); AccessDenied
    for a digest the employee's role may not have, or anything that is no digest code."""
    if isinstance(digest, str):
        for row in await notifications.list_subscriptions(employee.id):
            if row.digest == digest:
                return row
    raise AccessDenied("access_denied")


async def _chosen(
    dialog_manager: DialogManager, employee: Employee | None
) -> tuple[Employee, SubscriptionRow]:
    """The employee (role checked) and their setting of the digest this dialog is about."""
    employee = require_role(employee)
    return employee, await own_subscription(employee, dialog_manager.dialog_data.get("digest"))


def _when(row: SubscriptionRow, locale: str) -> str:
    if row.local_time is None:
        return ""
    if row.weekday is not None:
        return f"{gettext(WEEKDAYS_SHORT[row.weekday], locale)} {row.local_time}"
    return row.local_time


def digest_label(row: SubscriptionRow, locale: str) -> str:
    mark = MUTED_MARK if row.muted else ON_MARK
    when = _when(row, locale)
    title = gettext(row.title, locale)
    return f"{mark} {title} · {when}" if when else f"{mark} {title}"


async def digests_getter(
    dialog_manager: DialogManager, employee: Employee | None, **kwargs: Any
) -> dict[str, Any]:
    employee = require_role(employee)
    locale = locale_of(dialog_manager)
    rows = await notifications.list_subscriptions(employee.id)
    scope = await notifications.get_digest_scope(employee.id)
    return {
        "digests": [{"code": row.digest, "label": digest_label(row, locale)} for row in rows],
        "scope_team": scope.scope == "team",
        "scope_company": scope.scope == "company",
        "scope_own": scope.scope == "own",
        "team": scope.team,
        **status_lines(dialog_manager),
    }


async def digest_getter(
    dialog_manager: DialogManager, employee: Employee | None, **kwargs: Any
) -> dict[str, Any]:
    employee, row = await _chosen(dialog_manager, employee)
    locale = locale_of(dialog_manager)
    return {
        "title": gettext(row.title, locale),
        "mark": MUTED_MARK if row.muted else ON_MARK,
        "muted": row.muted,
        "on": not row.muted,
        "timed": row.local_time is not None,
        "weekly": row.weekday is not None,
        "event": row.local_time is None,
        "time": row.local_time or "",
        "weekday": gettext(WEEKDAYS[row.weekday], locale) if row.weekday is not None else "",
        "timezone": employee.timezone,
        "customised": row.customised,
        "default": not row.customised,
        **status_lines(dialog_manager),
    }


async def hours_getter(
    dialog_manager: DialogManager, employee: Employee | None, **kwargs: Any
) -> dict[str, Any]:
    _, row = await _chosen(dialog_manager, employee)
    current = row.local_time or ""
    return {
        "title": gettext(row.title, locale_of(dialog_manager)),
        "time": current,
        "hours": [
            {
                "id": str(hour),
                "name": (CHECK if current[:2] == f"{hour:02d}" else "") + f"{hour:02d}:00",
            }
            for hour in HOURS
        ],
        **status_lines(dialog_manager),
    }


async def minutes_getter(
    dialog_manager: DialogManager, employee: Employee | None, **kwargs: Any
) -> dict[str, Any]:
    require_role(employee)
    hour = int(dialog_manager.dialog_data.get("hour", 9))
    return {
        "hour": f"{hour:02d}",
        "minutes": [{"id": str(m), "name": f"{hour:02d}:{m:02d}"} for m in MINUTES],
    }


async def time_confirm_getter(
    dialog_manager: DialogManager, employee: Employee | None, **kwargs: Any
) -> dict[str, Any]:
    _, row = await _chosen(dialog_manager, employee)
    return {
        "title": gettext(row.title, locale_of(dialog_manager)),
        "time": dialog_manager.dialog_data.get("typed_time", ""),
    }


async def weekdays_getter(
    dialog_manager: DialogManager, employee: Employee | None, **kwargs: Any
) -> dict[str, Any]:
    employee, row = await _chosen(dialog_manager, employee)
    locale = locale_of(dialog_manager)
    return {
        "title": gettext(row.title, locale),
        "weekdays": [
            {
                "id": str(day),
                "name": (CHECK if day == row.weekday else "") + gettext(name, locale),
            }
            for day, name in enumerate(WEEKDAYS)
        ],
        **status_lines(dialog_manager),
    }
