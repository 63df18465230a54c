"""A user who blocked the bot: Telegram answers 403, the employee is marked inactive, their queued
pushes end (recorded, not retried), everyone else still gets theirs, and later ticks leave them
out."""

from __future__ import annotations

import datetime as dt

from jobs.scheduler import run_job
from models import Employee, SentNotification
from models.base import Role
from services import notifications
from tests.factories import make_employee

MORNING = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)  # 09:00 in Kyiv


async def test_blocked_user_is_marked_inactive_and_not_retried(
    db, clock_at, limited_telegram, make_sender
):
    clock_at(MORNING)
    heads = [await make_employee(role=Role.HEAD) for _ in range(3)]
    blocked = heads[1]
    limited_telegram.block(blocked.telegram_id)
    sender = make_sender(limited_telegram)

    report = await run_job("digests:funnel_daily", sender)
    await run_job("digests:claims_daily", sender)  # nothing to say: no claims
    await sender.join()

    assert report.queued == 3
    assert (await Employee.get(id=blocked.id)).active is False
    record = await SentNotification.get(kind="funnel_daily", recipient_id=blocked.id)
    assert record.sent_at is None and record.error.startswith("blocked")
    for head in (heads[0], heads[2]):
        assert len(limited_telegram.sent_to(head.telegram_id)) == 1
        assert (await Employee.get(id=head.id)).active is True
    assert sender.stats.blocked == 1

    # the retry job does not try them again, and new ticks leave the inactive employee out
    clock_at(MORNING + dt.timedelta(hours=2))
    retry = await run_job("notifications:retry", sender)
    again = await run_job("digests:funnel_daily", sender, force=True)
    await sender.join()
    assert retry.queued == 0
    assert again.due == 2 and again.queued == 0
    assert [r.employee_id for r in await notifications.list_recipients("funnel_daily")] == [
        heads[0].id, heads[2].id
    ]  # fmt: skip
    requests_to_blocked = [
        p for m, p in limited_telegram.requests if p.get("chat_id") == blocked.telegram_id
    ]
    assert len(requests_to_blocked) == 1


async def test_other_pushes_queued_for_the_blocked_chat_end_too(
    db, clock_at, limited_telegram, make_sender
):
    clock_at(MORNING)
    manager = await make_employee(role=Role.MANAGER)
    limited_telegram.block(manager.telegram_id)
    keys = sorted(await notifications.reserve([
        notifications.Reservation("my_day", manager.id, "2026-11-27"),
        notifications.Reservation("rotting", manager.id, "d1@x#1"),
    ]))  # fmt: skip
    sender = make_sender(limited_telegram)
    from jobs.sender import Outgoing, Push

    for key in keys:
        sender.submit(Outgoing(manager.telegram_id, Push(key), key=key,
                               employee_id=manager.id))  # fmt: skip
    await sender.join()
    records = await SentNotification.filter(key__in=keys).values("error", "attempts")
    assert all(r["error"].startswith("blocked") for r in records)
    assert all(r["attempts"] == notifications.MAX_ATTEMPTS for r in records)
    assert (await Employee.get(id=manager.id)).active is False
