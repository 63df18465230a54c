"""An employee's personal preferences set from the bot's Settings (the time zone; the language
is `services.employees.set_employee_locale`)."""

from __future__ import annotations

import zoneinfo

from tortoise.transactions import in_transaction

from core import clock
from core.errors import ValidationFailed
from core.i18n import N_, register_messages
from models import Employee
from services.employees import get_employee

# Codes for core/i18n.py (the lead merges them).
EXTRA_FIELD_NAMES = {"timezone": N_("Time zone")}
EXTRA_REASONS = {"bad_timezone": N_("is not a time zone such as Europe/Kyiv")}
register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS)


def check_timezone(value: str) -> str:
    value = (value or "").strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed("invalid", field="timezone", reason="bad_timezone") from None
    return value


async def set_employee_timezone(employee_id: int, timezone: str) -> Employee:
    """The zone in which the employee sees times and gets digests (IANA, e.g. Europe/Kyiv)."""
    timezone = check_timezone(timezone)
    employee = await get_employee(employee_id)
    async with in_transaction():
        await Employee.filter(id=employee.id).update(timezone=timezone, updated_at=clock.now())
    employee.timezone = timezone
    return employee
