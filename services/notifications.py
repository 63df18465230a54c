"""What people are pushed (subscriptions) and what was pushed (exactly-once records).

Subscriptions
-------------
`DIGESTS` is the catalogue of everything the jobs push: digests at a local time (daily or
weekly) and reminders that follow events (tasks, planned calls). Nobody needs a row to get
something: each role has defaults (`DigestSpec.defaults`); a row in `Subscription` is written
only when the person changes a digest in Settings (`set_subscription`) and wins over the
default from then on (`reset_subscription` goes back). A head of sales gets the team's figures
(the scope comes from `services.analytics.resolve_scope`), an admin everyone's, a manager their
own. Weekdays are 0 = Monday ... 6 = Sunday.

Exactly once
------------
A notification's key is `kind:recipient:period` (`notification_key`). It is recorded *before*
it is sent (`reserve`: an insert that skips keys already there). The sender then claims one
attempt (`claim_attempt`: a conditional update of `attempts`, so two processes can never both
send it) right before calling Telegram, and marks the outcome: `mark_sent`, or `mark_failed`
(kept with the error and retried later with back-off, `list_unsent`), or a permanent end
(`mark_failed(permanent=True)`: blocked bot, a request Telegram refuses, nothing to send).

States of a record (`sent_at`, `attempts`, `error`):
* NULL, 0, ''            recorded, never tried: sent by whoever gets to it first;
* NULL, n > 0, ''        an attempt is in flight (or the process died during it): never resent,
                         because Telegram may already have delivered it;
* NULL, n < MAX, error   failed; retried after `backoff(n)`;
* NULL, MAX, error       given up (`error` says why);
* set                    delivered.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import clock
from core.errors import ConcurrentUpdate, NotFound, ValidationFailed
from core.i18n import N_, register_messages
from models import Employee, SentNotification, Subscription
from models.base import Role
from services.analytics.common import dialect, sql_params, sql_value

# New error vocabulary (the lead merges these into core/i18n.py).
EXTRA_FIELD_NAMES: dict[str, str] = {
    "digest": N_("Digest"),
    "local_time": N_("Time"),
    "weekday": N_("Day of the week"),
    "days": N_("Days"),
}
EXTRA_REASONS: dict[str, str] = {
    "not_weekly": N_("only a weekly digest has a day of the week"),
}
EXTRA_ERROR_MESSAGES: dict[str, str] = {}
register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS, errors=EXTRA_ERROR_MESSAGES)

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=1)
PENDING_AGE = dt.timedelta(minutes=1)  # a never-tried record older than this was left behind
SKIPPED = "skipped"  # error prefix of a record that ended without a message
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_INSERT_CHUNK = 500


class Cadence(StrEnum):
    DAILY = "daily"  # at a local time every day
    WEEKLY = "weekly"  # at a local time on a weekday
    EVENT = "event"  # when something happens (a task falls due, a call is about to start)


@dataclass(frozen=True, slots=True)
class Default:
    on: bool
    local_time: str = "09:00"
    weekday: int | None = None


@dataclass(frozen=True, slots=True)
class DigestSpec:
    code: str
    title: str  # English msgid
    cadence: Cadence
    defaults: dict[Role, Default]  # the roles that may subscribe, and what they get by default

    def default_for(self, role: Role | str) -> Default | None:
        return self.defaults.get(Role(role))


def _all(on: dict[Role, bool], local_time: str = "09:00", weekday: int | None = None):
    return {role: Default(value, local_time, weekday) for role, value in on.items()}


HEADS = {Role.HEAD: True, Role.ADMIN: True, Role.MANAGER: False}
EVERYONE = {Role.HEAD: True, Role.ADMIN: True, Role.MANAGER: True}
SELLERS = {Role.HEAD: True, Role.ADMIN: False, Role.MANAGER: True}
MONDAY = 0

DIGESTS: dict[str, DigestSpec] = {
    spec.code: spec
    for spec in (
        DigestSpec("funnel_daily", N_("Daily sales funnel"), Cadence.DAILY, _all(HEADS, "09:00")),
        DigestSpec(
            "funnel_weekly",
            N_("Weekly sales funnel"),
            Cadence.WEEKLY,
            _all(EVERYONE, "09:00", MONDAY),
        ),
        DigestSpec("claims_daily", N_("Claims"), Cadence.DAILY, _all(HEADS, "09:30")),
        DigestSpec(
            "lost_weekly",
            N_("Lost deals of the week"),
            Cadence.WEEKLY,
            _all(HEADS, "10:00", MONDAY),
        ),
        DigestSpec(
            "classification",
            N_("ABC/XYZ classification changes"),
            Cadence.DAILY,
            _all(HEADS, "10:00"),
        ),
        DigestSpec("my_day", N_("My day"), Cadence.DAILY, _all(SELLERS, "08:30")),
        DigestSpec("tasks", N_("Task reminders"), Cadence.EVENT, _all(EVERYONE)),
        DigestSpec("interactions", N_("Planned calls and meetings"), Cadence.EVENT, _all(EVERYONE)),
        DigestSpec("claim_notices", N_("Claim notifications"), Cadence.EVENT, _all(EVERYONE)),
        DigestSpec("rotting", N_("Deals without activity"), Cadence.DAILY, _all(SELLERS, "10:00")),
        DigestSpec(
            "birthdays", N_("Birthdays of contact persons"), Cadence.DAILY, _all(SELLERS, "09:00")
        ),
        DigestSpec("cadence", N_("Partners to contact"), Cadence.DAILY, _all(SELLERS, "10:00")),
    )
}


def get_digest(code: str) -> DigestSpec:
    spec = DIGESTS.get(code)
    if spec is None:
        raise ValidationFailed(
            "invalid", field="digest", reason="bad_choice", choices=", ".join(DIGESTS)
        )
    return spec


# --- subscriptions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    """One digest as a person has it: their own setting or their role's default."""

    digest: str
    title: str  # English msgid
    cadence: str
    local_time: str | None  # "HH:MM" in the employee's time zone; None for event reminders
    weekday: int | None  # weekly digests: 0 = Monday
    muted: bool
    customised: bool  # False: the role's default


def check_local_time(value: str | dt.time) -> str:
    """'9:05', '09:05' or a time -> '09:05'."""
    if isinstance(value, dt.time):
        return f"{value.hour:02d}:{value.minute:02d}"
    match = _TIME.match((value or "").strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValidationFailed("invalid", field="local_time", reason="bad_time")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _row(spec: DigestSpec, default: Default, sub: dict | None) -> SubscriptionRow:
    timed = spec.cadence is not Cadence.EVENT
    weekly = spec.cadence is Cadence.WEEKLY
    if sub is None:
        local_time, weekday, muted = default.local_time, default.weekday, not default.on
    else:
        local_time, muted = sub["local_time"], bool(sub["muted"])
        weekday = sub["weekday"] if sub["weekday"] is not None else default.weekday
    return SubscriptionRow(
        digest=spec.code,
        title=spec.title,
        cadence=spec.cadence.value,
        local_time=local_time if timed else None,
        weekday=weekday if weekly else None,
        muted=muted,
        customised=sub is not None,
    )


async def list_subscriptions(employee_id: int) -> list[SubscriptionRow]:
    """Every digest the employee's role may get, in catalogue order, with its current setting."""
    employee = await Employee.get_or_none(id=employee_id).values("id", "role")
    if employee is None:
        raise NotFound("not_found", what="employee")
    role = Role(employee["role"])
    rows = await Subscription.filter(employee_id=employee_id).values(
        "digest", "local_time", "weekday", "muted"
    )
    own = {row["digest"]: row for row in rows}
    out = []
    for spec in DIGESTS.values():
        default = spec.default_for(role)
        if default is not None:
            out.append(_row(spec, default, own.get(spec.code)))
    return out


async def set_subscription(
    employee_id: int,
    digest: str,
    *,
    local_time: str | dt.time | None = None,
    muted: bool | None = None,
    weekday: int | None = None,
) -> SubscriptionRow:
    """Change one digest for the employee (what is not given keeps its current value)."""
    spec = get_digest(digest)
    employee = await Employee.get_or_none(id=employee_id).values("id", "role")
    if employee is None:
        raise NotFound("not_found", what="employee")
    default = spec.default_for(employee["role"])
    if default is None:
        allowed = [s.code for s in DIGESTS.values() if s.default_for(employee["role"])]
        raise ValidationFailed(
            "invalid", field="digest", reason="bad_choice", choices=", ".join(allowed)
        )
    time_value = check_local_time(local_time) if local_time is not None else None
    if weekday is not None:
        if spec.cadence is not Cadence.WEEKLY:
            raise ValidationFailed("invalid", field="weekday", reason="not_weekly")
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationFailed("invalid", field="weekday", reason="bad_choice", choices="0..6")
    for _ in range(2):  # a concurrent first write of the same row: read it back and update
        try:
            async with in_transaction():
                current = await Subscription.get_or_none(employee_id=employee_id, digest=digest)
                if current is None:
                    current = Subscription(
                        employee_id=employee_id,
                        digest=digest,
                        local_time=default.local_time,
                        weekday=default.weekday,
                        muted=not default.on,
                    )
                if time_value is not None:
                    current.local_time = time_value
                if muted is not None:
                    current.muted = bool(muted)
                if weekday is not None:
                    current.weekday = weekday
                await current.save()
            break
        except IntegrityError:
            continue
    else:
        raise ConcurrentUpdate("concurrent_update", what="subscription")
    sub = {"local_time": current.local_time, "weekday": current.weekday, "muted": current.muted}
    return _row(spec, default, sub)


async def reset_subscription(employee_id: int, digest: str) -> SubscriptionRow:
    """Back to the role's default for this digest."""
    spec = get_digest(digest)
    employee = await Employee.get_or_none(id=employee_id).values("id", "role")
    if employee is None:
        raise NotFound("not_found", what="employee")
    default = spec.default_for(employee["role"])
    if default is None:
        raise ValidationFailed("invalid", field="digest", reason="bad_choice", choices="")
    async with in_transaction():
        await Subscription.filter(employee_id=employee_id, digest=digest).delete()
    return _row(spec, default, None)


@dataclass(frozen=True, slots=True)
class DigestScope:
    """Whose figures the employee's digests carry: `company` (an admin), `team` (a head of sales
    with a team; `team` is its name) or `own` (a manager, or a head without a team). The same
    rule as the digests themselves (`services.analytics.resolve_scope`); not a setting."""

    scope: str
    team: str = ""


async def get_digest_scope(employee_id: int) -> DigestScope:
    employee = await Employee.get_or_none(id=employee_id).values("role", "team__name")
    if employee is None:
        raise NotFound("not_found", what="employee")
    role = Role(employee["role"])
    if role is Role.ADMIN:
        return DigestScope("company")
    if role is Role.HEAD and employee["team__name"] is not None:
        return DigestScope("team", employee["team__name"])
    return DigestScope("own")


# --- recipients and their slots -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    """An active employee reachable in Telegram, with their setting of one digest."""

    employee_id: int
    telegram_id: int
    full_name: str
    role: Role
    team_id: int | None
    locale: str
    timezone: str
    local_time: str = "09:00"
    weekday: int | None = None
    muted: bool = False

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.timezone or "Europe/Kyiv")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("Europe/Kyiv")

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone)


_EMPLOYEE_FIELDS = ("id", "telegram_id", "full_name", "role", "team_id", "locale", "timezone")


def _recipient(row: dict, spec: DigestSpec | None, sub: dict | None) -> Recipient | None:
    role = Role(row["role"])
    base = {
        "employee_id": row["id"],
        "telegram_id": row["telegram_id"],
        "full_name": row["full_name"],
        "role": role,
        "team_id": row["team_id"],
        "locale": row["locale"] or "uk",
        "timezone": row["timezone"] or "Europe/Kyiv",
    }
    if spec is None:
        return Recipient(**base)
    default = spec.default_for(role)
    if default is None:
        return None
    setting = _row(spec, default, sub)
    return Recipient(
        **base,
        local_time=setting.local_time or default.local_time,
        weekday=setting.weekday,
        muted=setting.muted,
    )


async def list_recipients(
    digest: str, *, employee_ids: Iterable[int] | None = None, include_muted: bool = False
) -> list[Recipient]:
    """Active employees with a Telegram account whose role may get `digest`, with their own
    setting or the default (muted ones left out unless asked), by employee id."""
    spec = get_digest(digest)
    query = Employee.filter(
        active=True, telegram_id__isnull=False, role__in=[r.value for r in spec.defaults]
    )
    if employee_ids is not None:
        query = query.filter(id__in=list(employee_ids))
    rows = await query.order_by("id").values(*_EMPLOYEE_FIELDS)
    subs_query = Subscription.filter(digest=digest)
    if employee_ids is not None:
        subs_query = subs_query.filter(employee_id__in=[row["id"] for row in rows])
    subs = {
        s["employee_id"]: s
        for s in await subs_query.values("employee_id", "local_time", "weekday", "muted")
    }
    out = []
    for row in rows:
        recipient = _recipient(row, spec, subs.get(row["id"]))
        if recipient is not None and (include_muted or not recipient.muted):
            out.append(recipient)
    return out


async def find_recipient(employee_id: int, digest: str | None = None) -> Recipient | None:
    """The employee as a recipient (None when inactive, unreachable, or not allowed `digest`)."""
    row = (
        await Employee.filter(id=employee_id, active=True, telegram_id__isnull=False)
        .first()
        .values(*_EMPLOYEE_FIELDS)
    )
    if row is None:
        return None
    if digest is None:
        return _recipient(row, None, None)
    spec = get_digest(digest)
    sub = (
        await Subscription.filter(employee_id=employee_id, digest=digest)
        .first()
        .values("employee_id", "local_time", "weekday", "muted")
    )
    return _recipient(row, spec, sub)


@dataclass(frozen=True, slots=True)
class Slot:
    """One recipient's due occurrence of a timed digest: `period` names it in the key."""

    recipient: Recipient
    period: str  # "2026-11-27" (daily) or "2026-W48" (weekly)
    day: dt.date  # the local day it is sent on
    at: dt.datetime  # when it was due (aware UTC)


def week_period(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_period_day(period: str) -> dt.date:
    """'2026-11-27' -> that day; '2026-W48' -> the Monday of that week."""
    if "-W" in period:
        year, week = period.split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    return dt.date.fromisoformat(period)


def _at(day: dt.date, local_time: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    hour, minute = (int(part) for part in local_time.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), zone).astimezone(dt.UTC)


def due_slot(
    recipient: Recipient,
    cadence: Cadence | str,
    now: dt.datetime,
    grace: dt.timedelta,
    *,
    force: bool = False,
) -> Slot | None:
    """The occurrence due at `now`: its local time has come and is less than `grace` ago (a
    restart within the grace window still sends it; later it is skipped, never flooded).
    `force` (an operator's `crm jobs run`) takes the current period whatever the time."""
    cadence = Cadence(cadence)
    zone = recipient.zone
    today = now.astimezone(zone).date()
    if cadence is Cadence.EVENT:
        return None
    if force:
        period = week_period(today) if cadence is Cadence.WEEKLY else today.isoformat()
        return Slot(recipient, period, today, now)
    candidates: list[dt.date]
    if cadence is Cadence.DAILY:
        candidates = [today - dt.timedelta(days=back) for back in range(grace.days + 2)]
    else:
        weekday = recipient.weekday if recipient.weekday is not None else MONDAY
        monday = today - dt.timedelta(days=today.weekday())
        candidates = [
            monday + dt.timedelta(days=weekday - 7 * back) for back in range(grace.days // 7 + 2)
        ]
    for day in candidates:
        at = _at(day, recipient.local_time, zone)
        if at <= now < at + grace:
            period = week_period(day) if cadence is Cadence.WEEKLY else day.isoformat()
            return Slot(recipient, period, day, at)
    return None


async def list_due_slots(
    digest: str, now: dt.datetime, grace: dt.timedelta, *, force: bool = False
) -> list[Slot]:
    """Subscribers of a timed digest whose occurrence is due at `now`."""
    spec = get_digest(digest)
    recipients = await list_recipients(digest)
    slots = (due_slot(r, spec.cadence, now, grace, force=force) for r in recipients)
    return [slot for slot in slots if slot is not None]


# --- exactly-once records -----------------------------------------------------------------------


def notification_key(kind: str, recipient_id: int | None, period: str) -> str:
    return f"{kind}:{recipient_id or 0}:{period}"


def backoff(attempts: int) -> dt.timedelta:
    """How long a failed notification waits before its next try: 1, 2, 4... minutes, at most an
    hour."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


@dataclass(frozen=True, slots=True)
class Reservation:
    kind: str
    recipient_id: int | None
    period: str
    key: str = field(default="")

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(
                self, "key", notification_key(self.kind, self.recipient_id, self.period)
            )


async def reserve(items: Sequence[Reservation]) -> set[str]:
    """Record notifications before they are sent; the keys inserted now (those already recorded,
    by an earlier run or another process, are left as they are and not returned)."""
    if not items:
        return set()
    db = dialect()
    conn = connections.get("default")
    now = clock.now()
    inserted: set[str] = set()
    unique = list({item.key: item for item in items}.values())
    for start in range(0, len(unique), _INSERT_CHUNK):
        chunk = unique[start : start + _INSERT_CHUNK]
        values, args = [], []
        for item in chunk:
            values.append("(?, ?, ?, ?, ?, ?, ?, ?)")
            args += [now, now, item.key, item.kind, item.recipient_id, item.period[:64], 0, ""]
        sql = (
            "INSERT INTO sent_notification (created_at, updated_at, key, kind, recipient_id,"
            " period, attempts, error) VALUES "
            + ", ".join(values)
            + " ON CONFLICT (key) DO NOTHING RETURNING key"
        )
        rows = await conn.execute_query_dict(
            sql_params(db, sql), [sql_value(db, arg) for arg in args]
        )
        inserted.update(row["key"] for row in rows)
    return inserted


async def claim_attempt(key: str, expected_attempts: int) -> bool:
    """Take the next attempt of a recorded notification, right before sending it. False when it
    was sent, is being sent, or was taken by someone else meanwhile."""
    updated = await SentNotification.filter(
        key=key, sent_at__isnull=True, attempts=expected_attempts
    ).update(attempts=expected_attempts + 1, error="", updated_at=clock.now())
    return updated == 1


async def mark_sent(key: str) -> None:
    now = clock.now()
    await SentNotification.filter(key=key).update(sent_at=now, error="", updated_at=now)


async def mark_failed(key: str, error: str, *, permanent: bool = False) -> None:
    """Keep the failure (retried later with back-off), or end the notification for good."""
    now = clock.now()
    text = (error or "error")[:2000]
    query = SentNotification.filter(key=key, sent_at__isnull=True)
    if permanent:
        await query.update(attempts=MAX_ATTEMPTS, error=text, updated_at=now)
        return
    row = await query.first().values("attempts")
    if row is None:
        return
    attempts = max(int(row["attempts"]), 1)  # a failure before any try still counts as one
    await query.update(attempts=attempts, error=text, updated_at=now)


async def mark_skipped(key: str, reason: str) -> None:
    """Nothing to send after all (an empty list, a task done meanwhile): never tried again."""
    await mark_failed(key, f"{SKIPPED}: {reason}", permanent=True)


@dataclass(frozen=True, slots=True)
class PendingNotification:
    key: str
    kind: str
    recipient_id: int | None
    period: str
    attempts: int
    error: str
    created_at: dt.datetime


async def list_unsent(
    now: dt.datetime, *, exclude: Iterable[str] = (), limit: int = 1000
) -> list[PendingNotification]:
    """Recorded notifications to (re)send now: never tried ones (a process stopped before it
    got to them) and failed ones whose back-off has passed. Attempts in flight are left out."""
    exclude = set(exclude)
    rows = (
        await SentNotification.filter(
            sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, updated_at__lte=now
        )
        .exclude(kind="snooze")
        .order_by("id")
        .limit(limit + len(exclude))
        .values(
            "key", "kind", "recipient_id", "period", "attempts", "error", "created_at", "updated_at"
        )
    )
    out = []
    for row in rows:
        attempts, error = int(row["attempts"]), row["error"] or ""
        if row["key"] in exclude:
            continue
        if attempts > 0 and not error:
            continue  # in flight, or interrupted during a try: Telegram may have it already
        if not error and row["created_at"] > now - PENDING_AGE:
            continue  # just recorded: its own job is most likely queueing it right now
        if error and row["updated_at"] > now - backoff(attempts):
            continue
        out.append(
            PendingNotification(
                row["key"],
                row["kind"],
                row["recipient_id"],
                row["period"],
                attempts,
                error,
                row["created_at"],
            )
        )
        if len(out) >= limit:
            break
    return out


async def find_notification(key: str) -> SentNotification | None:
    return await SentNotification.get_or_none(key=key)


async def count_recorded(kind: str, recipient_id: int, since: dt.datetime) -> int:
    """How many `kind` notifications were recorded for the recipient since a moment (caps)."""
    return await SentNotification.filter(
        kind=kind, recipient_id=recipient_id, created_at__gte=since
    ).count()


# --- snoozed reminders --------------------------------------------------------------------------

SNOOZE_MAX_DAYS = 90


def _snooze_key(employee_id: int, subject: str) -> str:
    return f"snooze:{employee_id}:{subject}"


async def snooze_deal_reminders(employee_id: int, deal_id: int, *, days: int = 3) -> dt.datetime:
    """No "deal without activity" reminder about this deal to this employee for `days` days
    (the bot's snooze button). Returns the moment reminders resume."""
    if not isinstance(days, int) or not 1 <= days <= SNOOZE_MAX_DAYS:
        raise ValidationFailed(
            "invalid", field="days", reason="bad_choice", choices=f"1..{SNOOZE_MAX_DAYS}"
        )
    now = clock.now()
    until = now + dt.timedelta(days=days)
    key = _snooze_key(employee_id, f"deal:{deal_id}")
    async with in_transaction():
        updated = await SentNotification.filter(key=key).update(
            period=until.isoformat(), sent_at=now, updated_at=now
        )
        if not updated:
            await SentNotification.create(
                key=key,
                kind="snooze",
                recipient_id=employee_id,
                period=until.isoformat(),
                sent_at=now,
                created_at=now,
                updated_at=now,
            )
    return until


async def list_snoozed_deals(now: dt.datetime) -> set[tuple[int, int]]:
    """(employee id, deal id) pairs whose reminders are snoozed at `now`."""
    rows = await SentNotification.filter(kind="snooze", key__contains=":deal:").values(
        "key", "period"
    )
    out = set()
    for row in rows:
        try:
            until = dt.datetime.fromisoformat(row["period"])
        except ValueError:
            continue
        if until > now:
            _, employee, _, deal = row["key"].split(":")
            out.add((int(employee), int(deal)))
    return out
