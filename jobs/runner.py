"""How a job hands notifications to the sender, exactly once.

A *kind* of notification (`funnel_daily`, `task_due`, ...) knows how to render one for a
recipient and a period (`@kind` below); jobs find who is due and call `deliver()`:

1. every due (kind, recipient, period) is recorded first (`services.notifications.reserve`);
   those already recorded, by an earlier tick or another process, are skipped;
2. each newly recorded one is rendered and queued on the sender (which claims the attempt right
   before the call and records the outcome);
3. `resend_unsent()` (the `notifications:retry` job) renders again what is recorded but unsent:
   failed sends once their back-off has passed, and what a stopped process never got to.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from jobs.sender import Outgoing, Push, Sender
from models.base import Role
from services import notifications
from services.notifications import Recipient, Reservation

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class JobReport:
    job_id: str
    due: int = 0  # notifications due at this tick
    queued: int = 0  # recorded now and handed to the sender
    already: int = 0  # recorded before (sent, being sent, or ended)
    empty: int = 0  # nothing to say after all
    failed: int = 0  # could not be rendered (kept, retried later)
    note: str = ""

    def add(self, other: JobReport) -> None:
        for name in ("due", "queued", "already", "empty", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class JobContext:
    """What a job run gets: the sender, the moment it runs as, and a cache for this run (the
    same digest for the same scope and language is built once)."""

    sender: Sender
    now: dt.datetime
    force: bool = False  # an operator's `crm jobs run`: the current period, whatever the time
    cache: dict[Any, Any] = field(default_factory=dict)

    async def cached(self, key: Any, build: Callable[[], Awaitable[T]]) -> T:
        if key not in self.cache:
            self.cache[key] = await build()
        return self.cache[key]


Render = Callable[[Recipient, str, JobContext], Awaitable[Push | None]]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    digest: str  # the subscription that governs it
    render: Render
    horizon: dt.timedelta  # how long after being recorded an unsent one may still go out


KINDS: dict[str, Kind] = {}


def kind(name: str, *, digest: str, horizon: dt.timedelta) -> Callable[[Render], Render]:
    """Register a renderer: `async def render(recipient, period, ctx) -> Push | None`."""

    def register(render: Render) -> Render:
        KINDS[name] = Kind(name, digest, render, horizon)
        return render

    return register


async def deliver(
    ctx: JobContext, kind_name: str, items: Sequence[tuple[Recipient, str]], report: JobReport
) -> JobReport:
    """Record, render and queue one notification per (recipient, period)."""
    spec = KINDS[kind_name]
    reservations = [Reservation(spec.name, r.employee_id, period) for r, period in items]
    report.due += len(reservations)
    new = await notifications.reserve(reservations)
    ctx.sender.hold(list(new))
    pairs = sorted(zip(items, reservations, strict=True), key=_largest_group_first(items))
    for (recipient, period), reservation in pairs:
        if reservation.key not in new:
            report.already += 1
            continue
        new.discard(reservation.key)  # a key twice in `items` is queued once
        outcome = await _render_and_queue(ctx, spec, recipient, period, reservation.key, 0)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _content_group(recipient: Recipient, period: str) -> tuple[object, ...]:
    """Recipients likely to get the same content (a digest of one scope, in one language and
    time zone): an admin the company's, a head the team's, a manager their own."""
    scope = recipient.employee_id if recipient.role is Role.MANAGER else recipient.team_id
    if recipient.role is Role.ADMIN:
        scope = None
    return (period, recipient.locale, recipient.timezone, recipient.role.value, scope)


def _largest_group_first(
    items: Sequence[tuple[Recipient, str]],
) -> Callable[[tuple[tuple[Recipient, str], Reservation]], tuple[int, int]]:
    """Order a fan-out so that the biggest group of identical digests is built and queued
    first (the sender is busy with it while the other versions are built); otherwise the
    order the job gave (the most urgent first) is kept."""
    sizes: Counter[tuple[object, ...]] = Counter()
    first: dict[tuple[object, ...], int] = {}
    for index, (recipient, period) in enumerate(items):
        group = _content_group(recipient, period)
        sizes[group] += 1
        first.setdefault(group, index)

    def key(pair: tuple[tuple[Recipient, str], Reservation]) -> tuple[int, int]:
        group = _content_group(*pair[0])
        return (-sizes[group], first[group])

    return key


async def _render_and_queue(
    ctx: JobContext, spec: Kind, recipient: Recipient, period: str, key: str, attempts: int
) -> str:
    try:
        push = await spec.render(recipient, period, ctx)
    except Exception as error:
        logger.exception("could not build %s", key)
        ctx.sender.release(key)
        await notifications.mark_failed(key, f"render: {error!r}")
        return "failed"
    if push is None:
        ctx.sender.release(key)
        await notifications.mark_skipped(key, "nothing to send")
        return "empty"
    ctx.sender.submit(
        Outgoing(
            recipient.telegram_id,
            push,
            key=key,
            attempts=attempts,
            employee_id=recipient.employee_id,
        )
    )
    return "queued"


async def resend_unsent(ctx: JobContext, job_id: str = "notifications:retry") -> JobReport:
    """Queue again what is recorded but not sent (failed ones after their back-off; never tried
    ones a stopped process left), within each kind's horizon."""
    report = JobReport(job_id)
    for record in await notifications.list_unsent(ctx.now, exclude=ctx.sender.held):
        spec = KINDS.get(record.kind)
        if spec is None:
            continue  # another process's kind (or a marker): not ours to send
        report.due += 1
        if ctx.now - record.created_at > spec.horizon:
            await notifications.mark_skipped(record.key, "expired")
            report.empty += 1
            continue
        recipient = None
        if record.recipient_id is not None:
            recipient = await notifications.find_recipient(record.recipient_id, spec.digest)
        if recipient is None or recipient.muted:
            await notifications.mark_skipped(record.key, "recipient unreachable or muted")
            report.empty += 1
            continue
        ctx.sender.hold([record.key])
        outcome = await _render_and_queue(
            ctx, spec, recipient, record.period, record.key, record.attempts
        )
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report
