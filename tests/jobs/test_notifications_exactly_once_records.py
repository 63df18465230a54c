"""The exactly-once records: recorded before sending, one attempt at a time, failures retried with
back-off, given up after a while, and an attempt that may have reached Telegram never repeated."""

from __future__ import annotations

import datetime as dt

from models import SentNotification
from services import notifications
from services.notifications import MAX_ATTEMPTS, Reservation, backoff
from tests.factories import make_employee

T0 = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)


async def test_a_key_is_recorded_once_even_when_reserved_again(db, clock_at):
    clock_at(T0)
    who = await make_employee()
    first = await notifications.reserve(
        [Reservation("funnel_daily", who.id, "2026-11-27"), Reservation("my_day", who.id, "x")]
    )
    again = await notifications.reserve([Reservation("funnel_daily", who.id, "2026-11-27")])
    assert first == {f"funnel_daily:{who.id}:2026-11-27", f"my_day:{who.id}:x"}
    assert again == set()
    assert await SentNotification.filter(kind="funnel_daily").count() == 1


async def test_only_one_claim_of_an_attempt_wins(db, clock_at):
    clock_at(T0)
    who = await make_employee()
    (key,) = await notifications.reserve([Reservation("my_day", who.id, "2026-11-27")])
    assert await notifications.claim_attempt(key, 0)
    assert not await notifications.claim_attempt(key, 0)  # a second process: too late
    await notifications.mark_sent(key)
    assert not await notifications.claim_attempt(key, 1)  # sent: never again
    record = await notifications.find_notification(key)
    assert record.sent_at == T0 and record.attempts == 1


async def test_failed_ones_come_back_after_their_back_off_then_are_given_up(db, clock_at):
    clock_at(T0)
    who = await make_employee()
    (key,) = await notifications.reserve([Reservation("my_day", who.id, "2026-11-27")])
    assert await notifications.list_unsent(T0) == []  # just recorded: its job is on it
    later = T0 + notifications.PENDING_AGE
    assert [p.key for p in await notifications.list_unsent(later)] == [key]  # left behind
    assert await notifications.claim_attempt(key, 0)
    assert await notifications.list_unsent(T0) == []  # in flight
    await notifications.mark_failed(key, "network: timeout")
    assert await notifications.list_unsent(T0 + backoff(1) - dt.timedelta(seconds=1)) == []
    (pending,) = await notifications.list_unsent(T0 + backoff(1))
    assert (pending.attempts, pending.error) == (1, "network: timeout")

    attempts = 1
    moment = T0
    while attempts < MAX_ATTEMPTS:
        moment += backoff(attempts)
        clock_at(moment)
        assert [p.key for p in await notifications.list_unsent(moment)] == [key]
        assert await notifications.claim_attempt(key, attempts)
        attempts += 1
        await notifications.mark_failed(key, "network: timeout")
    assert await notifications.list_unsent(moment + dt.timedelta(days=1)) == []  # given up
    assert backoff(20) == dt.timedelta(hours=1)


async def test_an_attempt_interrupted_mid_flight_is_never_resent(db, clock_at):
    """The process died after claiming an attempt: Telegram may have delivered it, so the record
    stays as it is (at most once) instead of being sent again."""
    clock_at(T0)
    who = await make_employee()
    (key,) = await notifications.reserve([Reservation("my_day", who.id, "2026-11-27")])
    assert await notifications.claim_attempt(key, 0)
    later = T0 + dt.timedelta(hours=3)
    assert await notifications.list_unsent(later) == []


async def test_permanent_failures_and_skips_end_the_record(db, clock_at):
    clock_at(T0)
    who = await make_employee()
    keys = sorted(await notifications.reserve(
        [Reservation("my_day", who.id, "a"), Reservation("my_day", who.id, "b")]
    ))  # fmt: skip
    await notifications.mark_failed(keys[0], "blocked: Forbidden", permanent=True)
    await notifications.mark_skipped(keys[1], "nothing to send")
    assert await notifications.list_unsent(T0 + dt.timedelta(days=1)) == []
    skipped = await notifications.find_notification(keys[1])
    assert skipped.error.startswith("skipped") and skipped.sent_at is None


async def test_snoozed_deal_reminders(db, clock_at):
    clock_at(T0)
    who = await make_employee()
    until = await notifications.snooze_deal_reminders(who.id, 42, days=3)
    assert until == T0 + dt.timedelta(days=3)
    assert await notifications.list_snoozed_deals(T0) == {(who.id, 42)}
    assert await notifications.list_snoozed_deals(until) == set()
    await notifications.snooze_deal_reminders(who.id, 42, days=5)  # snoozing again extends it
    assert await notifications.list_snoozed_deals(until) == {(who.id, 42)}
    assert await notifications.list_unsent(T0 + dt.timedelta(days=10)) == []
