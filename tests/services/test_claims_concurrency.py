"""Two people change the same claim: the second one is told to reload, nothing is half-written."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import ConcurrentUpdate
from core.i18n import translate_error
from models import Claim, ClaimEvent
from models.base import ClaimStatus
from services.claims import close_claim, reassign_claim, reopen_claim, take_into_work
from tests.services.test_claims_lifecycle import claims_world, register


async def test_a_stale_version_is_refused_and_changes_nothing(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    seen = claim.version
    await take_into_work(claim.id, actor_id=w.m2, expected_version=seen)

    with pytest.raises(ConcurrentUpdate) as caught:
        await close_claim(claim.id, satisfied=True, resolution="Замінили товар", actor_id=w.m2,
                          expected_version=seen)
    assert "changed" in translate_error(caught.value, "en")
    fresh = await Claim.get(id=claim.id)
    assert (fresh.status, fresh.version, fresh.resolution) == (
        ClaimStatus.IN_PROCESSING, seen + 1, "")
    assert await ClaimEvent.filter(claim_id=claim.id, action="closed").count() == 0

    await close_claim(claim.id, satisfied=True, resolution="Замінили товар", actor_id=w.m2,
                      expected_version=fresh.version)
    await reopen_claim(claim.id, reason="Знову брак", actor_id=w.m2)
    await reassign_claim(claim.id, w.m1, actor_id=w.head_a)
    assert (await Claim.get(id=claim.id)).version == seen + 4


async def test_two_closings_at_once_one_wins(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    version = claim.version
    results = await asyncio.gather(
        close_claim(claim.id, satisfied=True, resolution="Задовольнити", actor_id=w.m2,
                    expected_version=version, guilty_department="Склад"),
        close_claim(claim.id, satisfied=False, resolution="Відмовити", actor_id=w.head_a,
                    expected_version=version),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ConcurrentUpdate)
    winner = next(r for r in results if isinstance(r, Claim))
    fresh = await Claim.get(id=claim.id)
    assert (fresh.status, fresh.resolution) == (winner.status, winner.resolution)
    assert fresh.version == version + 1
    closed = await ClaimEvent.filter(claim_id=claim.id, action="closed")
    assert [e.to_status for e in closed] == [winner.status]


async def test_two_reassignments_at_once_leave_one_responsible(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    results = await asyncio.gather(
        reassign_claim(claim.id, w.m1, actor_id=w.head_a),
        reassign_claim(claim.id, w.head_a, actor_id=w.admin),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Claim)]
    assert len(winners) >= 1
    fresh = await Claim.get(id=claim.id)
    events = await ClaimEvent.filter(claim_id=claim.id, action="reassigned").order_by("id")
    assert fresh.version == 1 + len(events) == 1 + len(winners)
    assert events[-1].data["responsible_id"] == fresh.responsible_id
