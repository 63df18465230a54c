"""Subscriptions as the bot's Settings use them: defaults by role, changing the time, the day of a
weekly digest, muting, going back to the default, and who is due when (time zones)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import NotFound, ValidationFailed
from models.base import Role
from services import notifications
from services.notifications import Cadence, due_slot, find_recipient
from tests.factories import make_employee

UTC = dt.UTC


async def test_defaults_depend_on_the_role(db):
    head = await make_employee(role=Role.HEAD)
    manager = await make_employee(role=Role.MANAGER)
    head_subs = {s.digest: s for s in await notifications.list_subscriptions(head.id)}
    manager_subs = {s.digest: s for s in await notifications.list_subscriptions(manager.id)}

    assert not head_subs["funnel_daily"].muted and head_subs["funnel_daily"].local_time == "09:00"
    assert manager_subs["funnel_daily"].muted  # a manager may switch it on for own figures
    assert not manager_subs["my_day"].muted and manager_subs["my_day"].local_time == "08:30"
    assert head_subs["funnel_weekly"].weekday == 0  # Monday
    assert head_subs["tasks"].local_time is None  # event reminders have no time
    assert not any(s.customised for s in head_subs.values())


async def test_admin_cannot_subscribe_to_what_the_role_lacks_and_unknown_digests_fail(db):
    admin = await make_employee(role=Role.ADMIN)
    digests = {s.digest for s in await notifications.list_subscriptions(admin.id)}
    assert "funnel_daily" in digests and "rotting" in digests
    with pytest.raises(ValidationFailed) as caught:
        await notifications.set_subscription(admin.id, "horoscope", muted=False)
    assert caught.value.params["field"] == "digest"
    with pytest.raises(NotFound):
        await notifications.list_subscriptions(999_999)


async def test_set_time_weekday_and_mute_then_reset(db):
    head = await make_employee(role=Role.HEAD)
    row = await notifications.set_subscription(
        head.id, "funnel_weekly", local_time="7:05", weekday=4
    )
    assert (row.local_time, row.weekday, row.muted, row.customised) == ("07:05", 4, False, True)
    row = await notifications.set_subscription(head.id, "funnel_weekly", muted=True)
    assert (row.local_time, row.weekday, row.muted) == ("07:05", 4, True)  # the rest is kept
    listed = {s.digest: s for s in await notifications.list_subscriptions(head.id)}
    assert listed["funnel_weekly"] == row
    assert await notifications.list_recipients("funnel_weekly") == []  # muted: not a recipient

    row = await notifications.reset_subscription(head.id, "funnel_weekly")
    assert (row.local_time, row.weekday, row.muted, row.customised) == ("09:00", 0, False, False)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"local_time": "25:00"}, "local_time"),
        ({"local_time": "nine"}, "local_time"),
        ({"weekday": 7}, "weekday"),
    ],
)
async def test_bad_values_are_refused_with_the_field(db, changes, field):
    head = await make_employee(role=Role.HEAD)
    with pytest.raises(ValidationFailed) as caught:
        await notifications.set_subscription(head.id, "funnel_weekly", **changes)
    assert caught.value.params["field"] == field


async def test_a_daily_digest_has_no_weekday(db):
    head = await make_employee(role=Role.HEAD)
    with pytest.raises(ValidationFailed) as caught:
        await notifications.set_subscription(head.id, "funnel_daily", weekday=1)
    assert caught.value.params["reason"] == "not_weekly"


async def test_inactive_and_unreachable_employees_are_no_recipients(db):
    await make_employee(role=Role.HEAD, active=False)
    await make_employee(role=Role.HEAD, telegram_id=None)
    reachable = await make_employee(role=Role.HEAD)
    ids = [r.employee_id for r in await notifications.list_recipients("funnel_daily")]
    assert ids == [reachable.id]


async def test_the_slot_follows_the_recipient_time_zone_and_grace(db):
    tokyo = await make_employee(role=Role.HEAD, timezone="Asia/Tokyo")
    recipient = await find_recipient(tokyo.id, "funnel_daily")
    assert recipient is not None
    grace = dt.timedelta(hours=4)
    # 09:00 in Tokyo on 27 November is 00:00 UTC
    before = dt.datetime(2026, 11, 26, 23, 59, tzinfo=UTC)
    assert due_slot(recipient, Cadence.DAILY, before, grace) is None
    slot = due_slot(recipient, Cadence.DAILY, dt.datetime(2026, 11, 27, 0, 0, tzinfo=UTC), grace)
    assert slot is not None and slot.period == "2026-11-27"
    late = dt.datetime(2026, 11, 27, 3, 59, tzinfo=UTC)  # still within the grace window
    assert due_slot(recipient, Cadence.DAILY, late, grace).period == "2026-11-27"
    assert due_slot(recipient, Cadence.DAILY, late + dt.timedelta(minutes=1), grace) is None
    forced = due_slot(recipient, Cadence.DAILY, late + dt.timedelta(hours=5), grace, force=True)
    assert forced.period == "2026-11-27"


async def test_weekly_slot_is_on_the_chosen_weekday(db):
    head = await make_employee(role=Role.HEAD)
    await notifications.set_subscription(head.id, "funnel_weekly", weekday=4, local_time="17:00")
    recipient = await find_recipient(head.id, "funnel_weekly")
    grace = dt.timedelta(hours=12)
    friday_17_kyiv = dt.datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    slot = due_slot(recipient, Cadence.WEEKLY, friday_17_kyiv, grace)
    assert slot is not None and slot.period == "2026-W48" and slot.day == dt.date(2026, 11, 27)
    thursday = friday_17_kyiv - dt.timedelta(days=1)
    assert due_slot(recipient, Cadence.WEEKLY, thursday, grace) is None
