"""Demo claims: realistic, worked through the service, deterministic from the seed."""

from __future__ import annotations

from collections import Counter

from tortoise.context import tortoise_test_context

from core import clock
from core.db import APP_LABEL, MODELS_MODULE
from models import Claim, ClaimEvent, Deal, Interaction, SentNotification, Shipment, Task
from models.base import ClaimStatus, DealStatus
from services.claims import due_claim_notifications, list_claims
from services.demo import seed_demo
from tests.conftest import PG_URL


async def _demo(seed: int, deals: int = 40):
    """`crm demo seed` registers its claims through `seed_demo_claims` itself."""
    report = await seed_demo(seed, deals_count=deals)
    return report, report.claims


async def _fingerprint() -> list[tuple]:
    return [
        tuple(await Claim.all().order_by("number").values_list(
            "number", "status", "claimed_minor", "settled_minor", "guilty_department",
            "description", "cause__code")),
        tuple(await ClaimEvent.all().order_by("id").values_list("action", "to_status")),
    ]  # fmt: skip


async def test_demo_claims_are_realistic(db):
    report, made = await _demo(3)
    assert made == report.claims == await Claim.all().count() >= 12
    statuses = Counter(c.status for c in await Claim.all())
    assert statuses[ClaimStatus.SATISFIED] and statuses[ClaimStatus.NOT_SATISFIED]
    assert statuses[ClaimStatus.REGISTERED] + statuses[ClaimStatus.IN_PROCESSING] >= 2
    now = clock.now()
    overdue = await list_claims(viewer_id=None, overdue=True, limit=100)
    assert overdue and all(r.due_at < now for r in overdue)

    won = set(await Deal.filter(status=DealStatus.WON).values_list("id", flat=True))
    for claim in await Claim.all():
        shipment = await Shipment.get(id=claim.shipment_id)
        assert claim.deal_id in won and shipment.partner_id == claim.partner_id
        assert claim.registered_at < now
        if claim.status == ClaimStatus.SATISFIED:
            assert claim.resolution and claim.closed_at > claim.registered_at
        elif claim.status == ClaimStatus.NOT_SATISFIED:
            assert claim.resolution and not claim.guilty_department
            assert claim.guilty_employee_id is None and claim.settled_minor == 0
        else:
            assert claim.closed_at is None
        assert "{" not in claim.description
    actions = Counter(await ClaimEvent.all().values_list("action", flat=True))
    assert actions["registered"] == made and actions["closed"] >= 5
    assert actions["tasks_planned"] >= 1 and actions["reopened"] >= 1
    assert await Task.filter(claim_id__isnull=False, template_code="assignment.check").exists()
    assert await Interaction.filter(claim_id__isnull=False).exists()
    # Old news is not pushed again; the overdue claims are.
    notes = await due_claim_notifications()
    assert {n.kind for n in notes} == {"claim_overdue"}
    assert {n.claim_id for n in notes} == {r.id for r in overdue}
    assert await SentNotification.all().count() == 0


async def test_the_same_seed_gives_the_same_claims(db):
    await _demo(5, deals=18)
    first = await _fingerprint()
    assert first[0]
    if PG_URL:
        return  # the second database below is SQLite only
    async with tortoise_test_context([MODELS_MODULE], db_url="sqlite://:memory:",
                                     app_label=APP_LABEL):
        await _demo(5, deals=18)
        assert await _fingerprint() == first
