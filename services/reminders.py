"""The queries behind the scheduled digests and reminders: what to remind whom about, and the
figures of a digest that no other service computes (raw SQL valid on SQLite and PostgreSQL).

Every query is one SQL statement over the rows it needs (an index on the filtered column):
tasks falling due, planned calls and meetings about to start, deals idle for longer than their
stage's rot days, contact persons' birthdays, partners not contacted within their cadence, the
deal and claim figures of a period. Rows come back as small frozen DTOs (no ORM objects).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from models.base import ClaimStatus, InteractionKind, TaskStatus
from services.analytics.common import (
    Name,
    Period,
    days_between,
    dialect,
    fetch,
    in_list,
)

CONTACT_KINDS = (
    InteractionKind.CALL.value,
    InteractionKind.MEETING.value,
    InteractionKind.EMAIL.value,
    InteractionKind.TELEGRAM.value,
)
PLANNED_KINDS = (InteractionKind.CALL.value, InteractionKind.MEETING.value, "planned")
OPEN_CLAIMS = (ClaimStatus.REGISTERED.value, ClaimStatus.IN_PROCESSING.value)


def _as_dt(value: object) -> dt.datetime | None:
    """A timestamp from raw SQL (SQLite gives text) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _as_date(value: object) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _param_ts(db: str) -> str:
    """A timestamp parameter in an expression (PostgreSQL must be told its type)."""
    return "?" if db == "sqlite" else "CAST(? AS TIMESTAMPTZ)"


def _scope(column: str, ids: Iterable[int] | None) -> tuple[str, list[int]]:
    """`column IN (ids)`, or no condition for None."""
    return ("1 = 1", []) if ids is None else in_list(column, ids)


def _cycle(idle_days: float, period: int) -> int:
    """1 for the first `period` days past the limit, 2 for the next... (one reminder each)."""
    return max(1, int(idle_days // max(period, 1)))


# --- digest figures -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DealFigures:
    started: int = 0
    won: int = 0
    won_minor: int = 0
    lost: int = 0
    lost_minor: int = 0


async def deal_figures(
    current: Period, previous: Period, owner_ids: Iterable[int] | None = None
) -> tuple[DealFigures, DealFigures]:
    """Deals started, won and lost (count and potential) in two periods, one scan."""
    owner_sql, owner_args = _scope("d.owner_id", owner_ids)
    low, high = min(current.start, previous.start), max(current.end, previous.end)

    def window(prefix: str) -> str:
        started = "d.started_at >= ? AND d.started_at < ?"
        ended = "d.ended_at >= ? AND d.ended_at < ?"
        return (
            f"SUM(CASE WHEN {started} THEN 1 ELSE 0 END) AS {prefix}_started,"
            f" SUM(CASE WHEN d.status = 'won' AND {ended} THEN 1 ELSE 0 END) AS {prefix}_won,"
            f" SUM(CASE WHEN d.status = 'won' AND {ended} THEN d.potential_minor ELSE 0 END)"
            f" AS {prefix}_won_minor,"
            f" SUM(CASE WHEN d.status = 'lost' AND {ended} THEN 1 ELSE 0 END) AS {prefix}_lost,"
            f" SUM(CASE WHEN d.status = 'lost' AND {ended} THEN d.potential_minor ELSE 0 END)"
            f" AS {prefix}_lost_minor"
        )

    def bounds(p: Period) -> list[dt.datetime]:
        return [p.start, p.end] * 5

    rows = await fetch(
        f"SELECT {window('c')}, {window('p')} FROM deal d"
        " WHERE ((d.started_at >= ? AND d.started_at < ?) OR (d.ended_at >= ? AND d.ended_at < ?))"
        f" AND {owner_sql}",
        [*bounds(current), *bounds(previous), low, high, low, high, *owner_args],
    )
    row = rows[0] if rows else {}

    def figures(prefix: str) -> DealFigures:
        return DealFigures(
            *(
                int(row.get(f"{prefix}_{name}") or 0)
                for name in ("started", "won", "won_minor", "lost", "lost_minor")
            )
        )

    return figures("c"), figures("p")


@dataclass(frozen=True, slots=True)
class CauseCount:
    cause_id: int
    name: Name
    count: int


@dataclass(frozen=True, slots=True)
class ClaimSummary:
    new: int = 0  # registered in the period
    registered: int = 0  # open, not taken into processing yet
    in_processing: int = 0
    overdue: int = 0  # open past their response time
    satisfied: int = 0  # closed in the period
    not_satisfied: int = 0
    by_cause: tuple[CauseCount, ...] = ()  # of the new ones, most first

    @property
    def resolved(self) -> int:
        return self.satisfied + self.not_satisfied

    @property
    def empty(self) -> bool:
        return not (self.new or self.registered or self.in_processing or self.resolved)


async def claim_summary(
    period: Period, now: dt.datetime, responsible_ids: Iterable[int] | None = None, top: int = 5
) -> ClaimSummary:
    """Claims new in the period, open now (waiting, in processing, overdue), closed in the period
    (satisfied or not), and the new ones by cause."""
    scope_sql, scope_args = _scope("c.responsible_id", responsible_ids)
    open_list = ", ".join(f"'{s}'" for s in OPEN_CLAIMS)
    rows = await fetch(
        f"""
        SELECT SUM(CASE WHEN c.registered_at >= ? AND c.registered_at < ? THEN 1 ELSE 0 END)
                   AS new,
               SUM(CASE WHEN c.status = 'registered' THEN 1 ELSE 0 END) AS registered,
               SUM(CASE WHEN c.status = 'in_processing' THEN 1 ELSE 0 END) AS in_processing,
               SUM(CASE WHEN c.status IN ({open_list}) AND c.due_at < ? THEN 1 ELSE 0 END)
                   AS overdue,
               SUM(CASE WHEN c.status = 'satisfied' AND c.closed_at >= ? AND c.closed_at < ?
                        THEN 1 ELSE 0 END) AS satisfied,
               SUM(CASE WHEN c.status = 'not_satisfied' AND c.closed_at >= ? AND c.closed_at < ?
                        THEN 1 ELSE 0 END) AS not_satisfied
        FROM claim c
        WHERE (c.status IN ({open_list}) OR c.registered_at >= ? OR c.closed_at >= ?)
          AND {scope_sql}
        """,
        [
            period.start,
            period.end,
            now,
            period.start,
            period.end,
            period.start,
            period.end,
            period.start,
            period.start,
            *scope_args,
        ],
    )
    causes = await fetch(
        f"""
        SELECT c.cause_id AS cause_id, k.name_uk AS name_uk, k.name_en AS name_en,
               COUNT(*) AS n
        FROM claim c JOIN claim_cause k ON k.id = c.cause_id
        WHERE c.registered_at >= ? AND c.registered_at < ? AND {scope_sql}
        GROUP BY c.cause_id, k.name_uk, k.name_en
        ORDER BY n DESC, k.name_uk
        """,
        [period.start, period.end, *scope_args],
    )
    row = rows[0] if rows else {}
    return ClaimSummary(
        new=int(row.get("new") or 0),
        registered=int(row.get("registered") or 0),
        in_processing=int(row.get("in_processing") or 0),
        overdue=int(row.get("overdue") or 0),
        satisfied=int(row.get("satisfied") or 0),
        not_satisfied=int(row.get("not_satisfied") or 0),
        by_cause=tuple(
            CauseCount(int(c["cause_id"]), Name(c["name_uk"], c["name_en"]), int(c["n"]))
            for c in causes[:top]
        ),
    )


# --- tasks --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskReminder:
    task_id: int
    title: str
    performer_id: int
    due_at: dt.datetime | None
    remind_at: dt.datetime | None
    deal_id: int | None
    deal_number: str | None
    deal_title: str | None
    partner_name: str | None


_TASK_SELECT = """
    SELECT t.id AS id, t.title AS title, t.performer_id AS performer_id, t.due_at AS due_at,
           t.remind_at AS remind_at, t.deal_id AS deal_id, d.number AS deal_number,
           d.title AS deal_title, COALESCE(p.name, dp.name) AS partner_name
    FROM task t
    LEFT JOIN deal d ON d.id = t.deal_id
    LEFT JOIN partner p ON p.id = t.partner_id
    LEFT JOIN partner dp ON dp.id = d.partner_id
"""


def _task(row: dict) -> TaskReminder:
    return TaskReminder(
        int(row["id"]),
        row["title"],
        int(row["performer_id"]),
        _as_dt(row["due_at"]),
        _as_dt(row["remind_at"]),
        row["deal_id"],
        row["deal_number"],
        row["deal_title"],
        row["partner_name"],
    )


async def list_tasks_to_remind(
    since: dt.datetime, until: dt.datetime, lead: dt.timedelta
) -> list[TaskReminder]:
    """Open tasks whose reminder falls in [since, until): their own `remind_at` (set by a snooze
    or by the author) or, without one, `lead` before `due_at`."""
    rows = await fetch(
        _TASK_SELECT + " WHERE t.status = ? AND ((t.remind_at >= ? AND t.remind_at < ?)"
        " OR (t.remind_at IS NULL AND t.due_at >= ? AND t.due_at < ?))"
        " ORDER BY t.due_at, t.id",
        [TaskStatus.OPEN.value, since, until, since + lead, until + lead],
    )
    return [_task(row) for row in rows]


async def list_tasks_fallen_due(since: dt.datetime, until: dt.datetime) -> list[TaskReminder]:
    """Open tasks whose due moment passed within [since, until) (they just became overdue)."""
    rows = await fetch(
        _TASK_SELECT + " WHERE t.status = ? AND t.due_at >= ? AND t.due_at < ?"
        " ORDER BY t.due_at, t.id",
        [TaskStatus.OPEN.value, since, until],
    )
    return [_task(row) for row in rows]


async def find_open_task(task_id: int) -> TaskReminder | None:
    rows = await fetch(
        _TASK_SELECT + " WHERE t.id = ? AND t.status = ?", [task_id, TaskStatus.OPEN.value]
    )
    return _task(rows[0]) if rows else None


# --- planned calls and meetings -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedInteraction:
    interaction_id: int
    kind: str
    subject: str
    starts_at: dt.datetime
    snoozed_until: dt.datetime | None
    owner_id: int
    deal_id: int | None
    deal_number: str | None
    partner_id: int | None
    partner_name: str | None


_INTERACTION_SELECT = """
    SELECT i.id AS id, i.kind AS kind, i.subject AS subject, i.starts_at AS starts_at,
           i.snoozed_until AS snoozed_until, i.owner_id AS owner_id, i.deal_id AS deal_id,
           d.number AS deal_number, COALESCE(i.partner_id, d.partner_id) AS partner_id,
           COALESCE(p.name, dp.name) AS partner_name
    FROM interaction i
    LEFT JOIN deal d ON d.id = i.deal_id
    LEFT JOIN partner p ON p.id = i.partner_id
    LEFT JOIN partner dp ON dp.id = d.partner_id
"""


def _interaction(row: dict) -> PlannedInteraction:
    return PlannedInteraction(
        int(row["id"]),
        row["kind"],
        row["subject"] or "",
        _as_dt(row["starts_at"]),  # type: ignore[arg-type]
        _as_dt(row["snoozed_until"]),
        int(row["owner_id"]),
        row["deal_id"],
        row["deal_number"],
        row["partner_id"],
        row["partner_name"],
    )


def _planned_kinds() -> tuple[str, list[str]]:
    return f"i.kind IN ({', '.join('?' for _ in PLANNED_KINDS)})", list(PLANNED_KINDS)


async def list_interactions_to_remind(
    since: dt.datetime, until: dt.datetime, lead: dt.timedelta
) -> list[PlannedInteraction]:
    """Planned calls and meetings whose reminder falls in [since, until): `lead` before they
    start, or at `snoozed_until` when the owner snoozed it."""
    kinds, kind_args = _planned_kinds()
    rows = await fetch(
        _INTERACTION_SELECT
        + f" WHERE i.done = ? AND {kinds} AND ((i.snoozed_until >= ? AND i.snoozed_until < ?)"
        " OR (i.snoozed_until IS NULL AND i.starts_at >= ? AND i.starts_at < ?))"
        " ORDER BY i.starts_at, i.id",
        [False, *kind_args, since, until, since + lead, until + lead],
    )
    return [_interaction(row) for row in rows]


async def find_planned_interaction(interaction_id: int) -> PlannedInteraction | None:
    rows = await fetch(
        _INTERACTION_SELECT + " WHERE i.id = ? AND i.done = ?", [interaction_id, False]
    )
    return _interaction(rows[0]) if rows else None


async def list_day_interactions(
    employee_id: int, start: dt.datetime, end: dt.datetime
) -> list[PlannedInteraction]:
    """The employee's planned calls and meetings starting in [start, end)."""
    kinds, kind_args = _planned_kinds()
    rows = await fetch(
        _INTERACTION_SELECT + f" WHERE i.owner_id = ? AND i.done = ? AND {kinds}"
        " AND i.starts_at >= ? AND i.starts_at < ? ORDER BY i.starts_at, i.id",
        [employee_id, False, *kind_args, start, end],
    )
    return [_interaction(row) for row in rows]


# --- deals without activity ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RottingDeal:
    deal_id: int
    number: str
    title: str
    owner_id: int
    stage: Name
    rot_days: int
    idle_since: dt.datetime
    idle_days: float
    potential_minor: int
    currency: str
    partner_name: str | None

    @property
    def cycle(self) -> int:
        return _cycle(self.idle_days, self.rot_days)


async def list_rotting_deals(
    now: dt.datetime,
    *,
    owner_ids: Iterable[int] | None = None,
    deal_id: int | None = None,
) -> list[RottingDeal]:
    """Open deals with no activity (`last_activity_at`, else their start) for longer than their
    stage's `rot_days`, the longest idle first."""
    db = dialect()
    since = "COALESCE(d.last_activity_at, d.started_at)"
    idle = days_between(_param_ts(db), since, db)
    owner_sql, owner_args = _scope("d.owner_id", owner_ids)
    deal_sql, deal_args = _scope("d.id", None if deal_id is None else [deal_id])
    rows = await fetch(
        f"""
        SELECT d.id AS id, d.number AS number, d.title AS title, d.owner_id AS owner_id,
               s.name_uk AS name_uk, s.name_en AS name_en, s.rot_days AS rot_days,
               {since} AS idle_since, {idle} AS idle_days, d.potential_minor AS potential_minor,
               d.currency AS currency, p.name AS partner_name
        FROM deal d
        JOIN stage s ON s.id = d.stage_id
        LEFT JOIN partner p ON p.id = d.partner_id
        WHERE d.status = 'open' AND s.rot_days IS NOT NULL AND s.rot_days > 0
          AND {idle} > s.rot_days AND {owner_sql} AND {deal_sql}
        ORDER BY idle_days DESC, d.id
        """,
        [now, now, *owner_args, *deal_args],
    )
    return [
        RottingDeal(
            int(r["id"]),
            r["number"],
            r["title"],
            int(r["owner_id"]),
            Name(r["name_uk"], r["name_en"]),
            int(r["rot_days"]),
            _as_dt(r["idle_since"]),
            float(r["idle_days"]),  # type: ignore[arg-type]
            int(r["potential_minor"] or 0),
            r["currency"] or "UAH",
            r["partner_name"],
        )
        for r in rows
    ]


# --- birthdays ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Birthday:
    contact_id: int
    full_name: str
    position: str
    partner_id: int
    partner_name: str
    manager_id: int
    birthday: dt.date


def _month_days(days: Iterable[dt.date]) -> list[str]:
    """'MM-DD' keys of the days; 29 February birthdays fall on 28 February in other years."""
    keys = set()
    for day in days:
        keys.add(day.strftime("%m-%d"))
        if day.month == 2 and day.day == 28:
            try:
                dt.date(day.year, 2, 29)
            except ValueError:
                keys.add("02-29")
    return sorted(keys)


async def list_birthdays(
    days: Iterable[dt.date], *, manager_ids: Iterable[int] | None = None
) -> list[Birthday]:
    """Contact persons (still active at active partners) whose birthday is on one of `days`,
    with the partner's main manager, who is the one to congratulate."""
    days = list(days)
    if not days:
        return []
    db = dialect()
    month_day = (
        "strftime('%m-%d', c.birthday)" if db == "sqlite" else "to_char(c.birthday, 'MM-DD')"
    )
    keys = _month_days(days)
    if not keys:
        return []
    key_sql, key_args = f"{month_day} IN ({', '.join('?' for _ in keys)})", keys
    manager_sql, manager_args = _scope("p.main_manager_id", manager_ids)
    today = min(days)
    rows = await fetch(
        f"""
        SELECT c.id AS id, c.full_name AS full_name, c.position AS position,
               p.id AS partner_id, p.name AS partner_name, p.main_manager_id AS manager_id,
               c.birthday AS birthday
        FROM contact_person c JOIN partner p ON p.id = c.partner_id
        WHERE c.birthday IS NOT NULL AND {key_sql} AND p.active = ?
          AND p.main_manager_id IS NOT NULL AND (c.active_to IS NULL OR c.active_to >= ?)
          AND {manager_sql}
        ORDER BY p.main_manager_id, c.full_name, c.id
        """,
        [*key_args, True, today, *manager_args],
    )
    return [
        Birthday(
            int(r["id"]),
            r["full_name"],
            r["position"] or "",
            int(r["partner_id"]),
            r["partner_name"],
            int(r["manager_id"]),
            _as_date(r["birthday"]),
        )  # type: ignore[arg-type]
        for r in rows
    ]


def birthday_on(birthday: dt.date, day: dt.date) -> bool:
    """Is `day` the birthday (29 February counts on 28 February in other years)?"""
    return birthday.strftime("%m-%d") in _month_days([day])


# --- partners to contact ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CadenceDue:
    partner_id: int
    name: str
    manager_id: int
    cadence_days: int
    last_contact_at: dt.datetime | None  # None: never contacted (counted from its creation)
    idle_days: float

    @property
    def cycle(self) -> int:
        return _cycle(self.idle_days, self.cadence_days)


async def list_cadence_due(
    now: dt.datetime,
    *,
    manager_ids: Iterable[int] | None = None,
    partner_id: int | None = None,
) -> list[CadenceDue]:
    """Active partners with a contact cadence whose last call, meeting, e-mail or message (on
    the partner or on one of its deals) is older than the cadence, the longest first."""
    db = dialect()
    kinds = ", ".join("?" for _ in CONTACT_KINDS)
    last = "COALESCE(MAX(t.at), p.created_at)"
    idle = days_between(_param_ts(db), last, db)
    manager_sql, manager_args = _scope("p.main_manager_id", manager_ids)
    partner_sql, partner_args = _scope("p.id", None if partner_id is None else [partner_id])
    rows = await fetch(
        f"""
        WITH t AS (
            SELECT i.partner_id AS pid, MAX(i.starts_at) AS at FROM interaction i
            WHERE i.done = ? AND i.kind IN ({kinds}) AND i.partner_id IS NOT NULL
            GROUP BY i.partner_id
            UNION ALL
            SELECT d.partner_id AS pid, MAX(i.starts_at) AS at
            FROM interaction i JOIN deal d ON d.id = i.deal_id
            WHERE i.done = ? AND i.kind IN ({kinds}) AND i.partner_id IS NULL
              AND d.partner_id IS NOT NULL
            GROUP BY d.partner_id
        )
        SELECT p.id AS id, p.name AS name, p.main_manager_id AS manager_id,
               p.contact_cadence_days AS cadence, MAX(t.at) AS last_at, {idle} AS idle_days
        FROM partner p LEFT JOIN t ON t.pid = p.id
        WHERE p.contact_cadence_days IS NOT NULL AND p.contact_cadence_days > 0
          AND p.active = ? AND p.main_manager_id IS NOT NULL AND {manager_sql} AND {partner_sql}
        GROUP BY p.id, p.name, p.main_manager_id, p.contact_cadence_days, p.created_at
        HAVING {idle} > p.contact_cadence_days
        ORDER BY idle_days DESC, p.id
        """,
        [
            True,  # done interactions only
            *CONTACT_KINDS,
            True,
            *CONTACT_KINDS,
            now,
            True,
            *manager_args,
            *partner_args,
            now,
        ],
    )
    return [
        CadenceDue(
            int(r["id"]),
            r["name"],
            int(r["manager_id"]),
            int(r["cadence"]),
            _as_dt(r["last_at"]),
            float(r["idle_days"]),
        )
        for r in rows
    ]


# --- claims -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """What a pushed claim notification names (`services.claims.NOTIFICATION_MESSAGES`)."""

    claim_id: int
    number: str
    status: str
    partner_name: str
    cause: Name
    due_at: dt.datetime | None
    responsible_id: int

    @property
    def open(self) -> bool:
        return self.status in OPEN_CLAIMS


async def find_claim_facts(claim_id: int) -> ClaimFacts | None:
    rows = await fetch(
        """
        SELECT c.id AS id, c.number AS number, c.status AS status, p.name AS partner_name,
               k.name_uk AS cause_uk, k.name_en AS cause_en, c.due_at AS due_at,
               c.responsible_id AS responsible_id
        FROM claim c JOIN partner p ON p.id = c.partner_id JOIN claim_cause k ON k.id = c.cause_id
        WHERE c.id = ?
        """,
        [claim_id],
    )
    if not rows:
        return None
    r = rows[0]
    return ClaimFacts(
        int(r["id"]), r["number"], str(r["status"]), r["partner_name"],
        Name(r["cause_uk"], r["cause_en"]), _as_dt(r["due_at"]), int(r["responsible_id"]),
    )  # fmt: skip


async def find_claim_event_actor(event_id: int) -> str | None:
    """The full name of whoever did a claim event (registered or reassigned it)."""
    rows = await fetch(
        "SELECT e.full_name AS name FROM claim_event ce JOIN employee e ON e.id = ce.actor_id"
        " WHERE ce.id = ?",
        [event_id],
    )
    return rows[0]["name"] if rows else None
