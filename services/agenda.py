"""The employee's working day for the bot: my open deals to log a call on, a partner's contact
persons, today's and overdue tasks and planned calls and meetings (in the employee's time zone),
the moments a snooze button means, and a local date and time turned into an aware UTC moment.

Queries only: commands stay in `services.interactions` and `services.tasks`.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from core import clock
from core.errors import ValidationFailed
from core.i18n import N_, register_messages
from models import ContactPerson, Deal, Employee, Interaction, Task
from models.base import DealStatus, Role, TaskStatus
from services import i18n_extra_pipeline  # noqa: F401  (registers the task and deal texts)
from services.access import acting_employee, people_seen_by

EXTRA_FIELD_NAMES: dict[str, str] = {"time": N_("Time")}
EXTRA_REASONS: dict[str, str] = {}
register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS)

DEFAULT_TZ = "Europe/Kyiv"
MORNING = dt.time(9, 0)
SNOOZE_CHOICES = ("1h", "3h", "tomorrow")
_TIME = re.compile(r"^\s*(\d{1,2})\s*[:.\- ]\s*(\d{2})\s*$")


def zone_of(employee: Employee) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(employee.timezone or DEFAULT_TZ)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TZ)


def local_today(employee: Employee) -> dt.date:
    return clock.now().astimezone(zone_of(employee)).date()


def local_now(employee: Employee) -> dt.datetime:
    return clock.now().astimezone(zone_of(employee))


def parse_time(text: str) -> dt.time:
    """'14:30', '9.05', '9 05' -> a time; anything else is ValidationFailed(time, bad_time)."""
    match = _TIME.match(text or "")
    if match is None or len(text) > 16:
        raise ValidationFailed("invalid", field="time", reason="bad_time")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValidationFailed("invalid", field="time", reason="bad_time")
    return dt.time(hour, minute)


def moment(employee: Employee, day: dt.date, at: dt.time) -> dt.datetime:
    """A local date and time of the employee as an aware UTC datetime."""
    local = dt.datetime.combine(day, at, tzinfo=zone_of(employee))
    return local.astimezone(dt.UTC)


def snooze_until(employee: Employee, choice: str) -> dt.datetime:
    """`1h` / `3h` from now; `tomorrow`: 9:00 tomorrow in the employee's time zone."""
    now = clock.now()
    if choice == "1h":
        return now + dt.timedelta(hours=1)
    if choice == "3h":
        return now + dt.timedelta(hours=3)
    if choice == "tomorrow":
        return moment(employee, local_today(employee) + dt.timedelta(days=1), MORNING)
    raise ValidationFailed(
        "invalid", field="until", reason="bad_choice", choices=", ".join(SNOOZE_CHOICES)
    )


def _day_bounds(employee: Employee) -> tuple[dt.datetime, dt.datetime]:
    today = local_today(employee)
    start = moment(employee, today, dt.time(0))
    return start, moment(employee, today + dt.timedelta(days=1), dt.time(0))


# --- subjects of a call -----------------------------------------------------------------------


async def list_my_open_deals(employee: Employee, *, limit: int = 8, offset: int = 0) -> list[Deal]:
    """The employee's own open deals, the newest first (partner loaded)."""
    employee = acting_employee(employee)
    return (
        await Deal.filter(owner_id=employee.id, status=DealStatus.OPEN)
        .order_by("-id")
        .offset(max(offset, 0))
        .limit(limit)
        .select_related("partner")
    )


async def list_partner_contacts(partner_id: int, *, limit: int = 50) -> list[ContactPerson]:
    contacts = ContactPerson.filter(partner_id=partner_id)
    return await contacts.order_by("full_name", "id").limit(limit)


async def check_partner_contacts(partner_id: int | None, contact_ids: list[int]) -> list[int]:
    """The ids, if every one is a contact person of that partner; else ValidationFailed."""
    ids = list(dict.fromkeys(contact_ids))
    if not ids:
        return []
    if partner_id is None or await ContactPerson.filter(
        id__in=ids, partner_id=partner_id
    ).count() != len(ids):
        raise ValidationFailed("invalid", field="contact", reason="not_of_partner")
    return ids


# --- reassigning ------------------------------------------------------------------------------


async def list_reassign_candidates(employee: Employee) -> list[Employee]:
    """Whom a head may hand a task to: the team's active members (an admin: everyone active);
    a manager: nobody."""
    employee = acting_employee(employee)
    if employee.role == Role.MANAGER:
        return []
    people = await people_seen_by(employee)
    query = Employee.filter(active=True)
    if people is not None:
        query = query.filter(id__in=sorted(people))
    return await query.order_by("full_name", "id").limit(100)


async def check_reassign(employee: Employee, performer_id: object) -> int:
    """The new performer's id, if `employee` may hand tasks to them; else AccessDenied."""
    from core.errors import AccessDenied

    if not isinstance(performer_id, int) or isinstance(performer_id, bool):
        raise AccessDenied("access_denied")
    if performer_id not in {e.id for e in await list_reassign_candidates(employee)}:
        raise AccessDenied("access_denied")
    return performer_id


# --- my day -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyDay:
    """What the employee has today (and has let slip), each list in time order."""

    overdue_tasks: list[Task]
    today_tasks: list[Task]
    overdue_planned: list[Interaction]
    today_planned: list[Interaction]


async def get_my_day(employee: Employee, *, limit: int = 20) -> MyDay:
    employee = acting_employee(employee)
    start, end = _day_bounds(employee)
    tasks = Task.filter(performer_id=employee.id, status=TaskStatus.OPEN)
    planned = Interaction.filter(owner_id=employee.id, done=False)
    return MyDay(
        overdue_tasks=await tasks.filter(due_at__lt=start)
        .order_by("due_at", "id")
        .limit(limit)
        .select_related("deal"),
        today_tasks=await tasks.filter(due_at__gte=start, due_at__lt=end)
        .order_by("due_at", "id")
        .limit(limit)
        .select_related("deal"),
        overdue_planned=await planned.filter(starts_at__lt=start)
        .order_by("starts_at", "id")
        .limit(limit)
        .select_related("deal", "partner"),
        today_planned=await planned.filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "id")
        .limit(limit)
        .select_related("deal", "partner"),
    )


# --- snoozing a planned call or meeting --------------------------------------------------------

INTERACTION_SNOOZE_MAX_MINUTES = 24 * 60


async def snooze_interaction(
    employee: Employee, interaction_id: object, *, minutes: int
) -> dt.datetime:
    """Remind about the planned call or meeting again in `minutes` (the jobs send it at
    `snoozed_until`); only one the employee may see (`services.access`)."""
    from tortoise.transactions import in_transaction

    from services.access import get_interaction_for

    if not isinstance(minutes, int) or not 1 <= minutes <= INTERACTION_SNOOZE_MAX_MINUTES:
        raise ValidationFailed(
            "invalid",
            field="until",
            reason="out_of_range",
            min=1,
            max=INTERACTION_SNOOZE_MAX_MINUTES,
        )
    interaction = await get_interaction_for(employee, interaction_id)
    until = clock.now() + dt.timedelta(minutes=minutes)
    async with in_transaction():
        await Interaction.filter(id=interaction.id).update(snoozed_until=until, reminded_at=None)
    return until
