"""Who must be told about a claim, and that each message is computed and recorded only once."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from core import clock
from core.errors import ValidationFailed
from models import Employee, SentNotification
from services.claims import (
    NOTIFICATION_MESSAGES,
    close_claim,
    due_claim_notifications,
    mark_claim_notification_sent,
    reassign_claim,
    reopen_claim,
)
from tests.services.test_claims_lifecycle import claims_world, register

HOUR = dt.timedelta(hours=1)


def who(notes) -> set[tuple[str, int]]:
    return {(n.kind, n.recipient_id) for n in notes}


async def test_registration_tells_the_responsible_and_the_clients_people(db, frozen_clock):
    w = await claims_world()
    from models import Partner

    await Partner.filter(id=w.p1).update(main_manager_id=w.m3)  # someone other than the owner
    claim = await register(w, author_id=w.head_a)  # responsible m2, deal d1 owned by m1

    notes = await due_claim_notifications()
    assert who(notes) == {("claim_assigned", w.m2), ("claim_registered", w.m1),
                          ("claim_registered", w.m3)}
    assigned = next(n for n in notes if n.kind == "claim_assigned")
    assert (assigned.claim_id, assigned.number, assigned.partner_name) == (
        claim.id, claim.number, "ТОВ «Будмайстер»")
    assert assigned.due_at == frozen_clock + 24 * HOUR and assigned.actor_id == w.head_a
    assert assigned.actor_name == "Ірина Коваленко"
    assert assigned.cause_name_uk.startswith("Пошкодження")
    assert set(NOTIFICATION_MESSAGES) >= {n.kind for n in notes}
    assert len({n.key for n in notes}) == 3


async def test_nobody_is_told_what_they_did_themselves(db, frozen_clock):
    w = await claims_world()
    # m1 registers a claim on their own client and deal and takes it themselves.
    claim = await register(w, responsible_id=w.m1, author_id=w.m1)
    assert await due_claim_notifications(claim_id=claim.id) == []
    # The responsible is the partner's manager and the deal's owner: one message, not three.
    await register(w, responsible_id=w.m1, author_id=w.m2)
    assert who(await due_claim_notifications()) == {("claim_assigned", w.m1)}


async def test_each_notification_is_sent_once(db, frozen_clock):
    w = await claims_world()
    await register(w, author_id=w.head_a)
    first = await due_claim_notifications()
    # The responsible m2; m1 owns the deal and manages the client: told once.
    assert who(first) == {("claim_assigned", w.m2), ("claim_registered", w.m1)}
    assert len(first) == 2

    assert await mark_claim_notification_sent(first[0].key) is True
    assert await mark_claim_notification_sent(first[0].key) is False
    assert [n.key for n in await due_claim_notifications()] == [first[1].key]
    racers = await asyncio.gather(*(mark_claim_notification_sent(first[1].key) for _ in range(5)))
    assert sorted(racers) == [False, False, False, False, True]
    assert await due_claim_notifications() == []
    row = await SentNotification.get(key=first[0].key)
    assert row.recipient_id == first[0].recipient_id and row.kind == first[0].kind
    assert row.sent_at == frozen_clock

    with pytest.raises(ValidationFailed):
        await mark_claim_notification_sent("digest:1:2:3")


async def test_the_response_time_running_out(db, frozen_clock):
    w = await claims_world()
    claim = await register(w, responsible_id=w.m1, author_id=w.m1)  # nothing on registration
    due = claim.due_at
    assert await due_claim_notifications(due - dt.timedelta(seconds=1)) == []

    notes = await due_claim_notifications(due)
    assert [(n.kind, n.recipient_id, n.at) for n in notes] == [("claim_overdue", w.m1, due)]
    for n in notes:
        assert await mark_claim_notification_sent(n.key)
    assert await due_claim_notifications(due + 5 * HOUR) == []

    # Reassigned after it ran out: the new responsible hears about both.
    with clock.simulated(due + 6 * HOUR):
        await reassign_claim(claim.id, w.m2, actor_id=w.head_a)
        assert who(await due_claim_notifications()) == {("claim_assigned", w.m2),
                                                        ("claim_overdue", w.m2)}
        await close_claim(claim.id, satisfied=False, resolution="Відмовлено", actor_id=w.m2)
        # A closed claim is not overdue; the assignment notice is still owed.
        assert who(await due_claim_notifications()) == {("claim_assigned", w.m2)}
        for n in await due_claim_notifications():
            await mark_claim_notification_sent(n.key)
        reopened = await reopen_claim(claim.id, reason="Нові обставини", actor_id=w.m2)
    # A reopened claim has a new due date, and its own message when that passes too.
    notes = await due_claim_notifications(reopened.due_at + HOUR)
    assert [(n.kind, n.recipient_id, n.due_at) for n in notes] == [
        ("claim_overdue", w.m2, reopened.due_at)]


async def test_old_news_and_inactive_people_are_skipped(db, frozen_clock):
    w = await claims_world()
    await register(w, claimed_minor=0)
    tomorrow = frozen_clock + 25 * HOUR  # past the 24-hour window, and past the due date
    assert who(await due_claim_notifications(tomorrow)) == {("claim_overdue", w.m2)}
    await Employee.filter(id=w.m2).update(active=False)
    assert await due_claim_notifications(tomorrow) == []
    # Only m2 was to hear of it (the author m1 manages the client and owns the deal).
    assert await due_claim_notifications() == []


async def test_a_backlog_is_paged_past_what_was_sent(db, frozen_clock):
    w = await claims_world()
    with clock.simulated(frozen_clock - dt.timedelta(days=3)):
        made = [await register(w, responsible_id=w.m1, author_id=w.m1) for _ in range(5)]
    told: list[int] = []
    for _ in range(3):
        page = await due_claim_notifications(limit=2)
        assert len(page) <= 2 and {n.kind for n in page} <= {"claim_overdue"}
        for n in page:
            assert await mark_claim_notification_sent(n.key)
            told.append(n.claim_id)
    assert sorted(told) == [c.id for c in made]
    assert await due_claim_notifications(limit=2) == []


async def test_a_key_reserved_by_the_jobs_sender_is_not_computed_again(db, frozen_clock):
    w = await claims_world()
    await register(w, author_id=w.head_a)
    notes = await due_claim_notifications()
    # services.notifications.reserve records `kind:recipient:period` unsent, before sending.
    first = notes[0]
    assert first.key == f"{first.kind}:{first.recipient_id}:{first.period}"
    await SentNotification.create(key=first.key, kind=first.kind, recipient_id=first.recipient_id,
                                  period=first.period, attempts=0)
    assert [n.key for n in await due_claim_notifications()] == [n.key for n in notes[1:]]
