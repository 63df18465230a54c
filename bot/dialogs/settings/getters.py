from __future__ import annotations

import zoneinfo
from typing import Any

from bot.access import require_role
from core import clock
from models.employee import Employee

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
