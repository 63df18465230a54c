"""Who sees and changes a claim: its responsible, author, the partner's manager and the deal's
owner; a head the team's claims (and reassigns them); an admin everything. Forged ids fail."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import AccessDenied, NotFound, ValidationFailed
from models import Claim, ClaimEvent, Employee
from models.base import ClaimStatus
from services.claims import (
    ClaimTaskPlan,
    add_claim_note,
    attach_claim_file,
    close_claim,
    count_claims,
    find_claim_by_number,
    get_claim,
    get_claim_card,
    list_claim_timeline,
    list_claims,
    log_claim_interaction,
    plan_claim_tasks,
    reassign_claim,
    register_claim,
    reopen_claim,
    take_into_work,
)
from tests.factories import make_employee
from tests.services.test_claims_lifecycle import claims_world, register


async def visible(viewer: int | None) -> set[str]:
    return {row.number for row in await list_claims(viewer_id=viewer, limit=1000)}


async def test_who_sees_which_claim(db, frozen_clock):
    w = await claims_world()
    # m2 responsible, m1 author, p1 managed by m1, deal d1 owned by m1 (team A).
    a = await register(w)
    # Team B's client, registered and handled in team B.
    b = await register(w, partner_id=w.p2, shipment_id=w.ship2, responsible_id=w.m3,
                       author_id=w.m3)
    # Team B's client, but m2 of team A is its responsible.
    c = await register(w, partner_id=w.p2, shipment_id=None, responsible_id=w.m2,
                       author_id=w.head_b)
    # The deal's owner sees a claim on the deal even if someone else manages the partner.
    from models import Partner

    await Partner.filter(id=w.p2).update(main_manager_id=w.head_b)
    d = await register(w, partner_id=w.p2, shipment_id=None, deal_id=w.d2, responsible_id=w.head_b,
                       author_id=w.head_b)

    assert await visible(w.m1) == {a.number}
    assert await visible(w.m2) == {a.number, c.number}
    # m3 owns a deal with p2: every claim of that client is theirs to see, c included.
    assert await visible(w.m3) == {b.number, c.number, d.number}
    assert await visible(w.head_a) == {a.number, c.number}
    assert await visible(w.head_b) == {b.number, c.number, d.number}
    assert await visible(w.admin) == {a.number, b.number, c.number, d.number}
    assert await visible(None) == {a.number, b.number, c.number, d.number}  # the system
    assert await count_claims(viewer_id=w.head_b) == 3

    for viewer, claim in ((w.m1, b), (w.m3, a), (w.head_a, b), (w.m1, c)):
        with pytest.raises(AccessDenied):
            await get_claim_card(claim.id, viewer_id=viewer)
        with pytest.raises(AccessDenied):
            await get_claim(claim.id, viewer_id=viewer)
        with pytest.raises(AccessDenied):
            await list_claim_timeline(claim.id, viewer_id=viewer)
        with pytest.raises(AccessDenied):
            await find_claim_by_number(claim.number, viewer_id=viewer)
    assert (await get_claim_card(a.id, viewer_id=w.m1)).number == a.number
    assert (await find_claim_by_number(a.number.lower(), viewer_id=w.m2)).id == a.id
    assert await find_claim_by_number("C-999999", viewer_id=w.m2) is None


async def test_strangers_change_nothing(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    stranger = w.m3
    soon = frozen_clock + dt.timedelta(hours=3)
    attempts = [
        take_into_work(claim.id, actor_id=stranger),
        close_claim(claim.id, satisfied=True, resolution="так", actor_id=stranger),
        add_claim_note(claim.id, "чужа нотатка", actor_id=stranger),
        attach_claim_file(claim.id, data=b"x", original_name="x.txt", actor_id=stranger),
        plan_claim_tasks(claim.id, [ClaimTaskPlan("Т", stranger, soon)], actor_id=stranger),
        log_claim_interaction(claim.id, actor_id=stranger, kind="call", starts_at=frozen_clock),
        reassign_claim(claim.id, stranger, actor_id=w.head_b),
    ]
    for attempt in attempts:
        with pytest.raises(AccessDenied):
            await attempt
    fresh = await Claim.get(id=claim.id)
    assert (fresh.status, fresh.version, fresh.responsible_id) == (
        ClaimStatus.REGISTERED, 1, w.m2)
    assert await ClaimEvent.filter(claim_id=claim.id).count() == 1


async def test_people_of_the_claim_work_it(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    await take_into_work(claim.id, actor_id=w.m2)  # responsible
    await add_claim_note(claim.id, "Уточнив у клієнта", actor_id=w.m1)  # author, manager
    await close_claim(claim.id, satisfied=False, resolution="Не підтвердилось", actor_id=w.head_a)
    await reopen_claim(claim.id, reason="Нові фото", actor_id=w.admin)
    assert [e.actor_id for e in await ClaimEvent.filter(claim_id=claim.id).order_by("id")] == [
        w.m1, w.m2, w.m1, w.head_a, w.admin]


async def test_only_heads_and_admins_reassign(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    for manager in (w.m1, w.m2):
        with pytest.raises(AccessDenied):
            await reassign_claim(claim.id, w.m1, actor_id=manager)
    with pytest.raises(AccessDenied):  # a head of another team
        await reassign_claim(claim.id, w.m3, actor_id=w.head_b)

    await reassign_claim(claim.id, w.m1, actor_id=w.head_a)
    with pytest.raises(ValidationFailed) as same:
        await reassign_claim(claim.id, w.m1, actor_id=w.head_a)
    assert same.value.params["reason"] == "unchanged"
    await reassign_claim(claim.id, w.m3, actor_id=w.admin)  # anyone, even another team's

    fresh = await Claim.get(id=claim.id)
    assert fresh.responsible_id == w.m3 and fresh.version == 3
    events = await ClaimEvent.filter(claim_id=claim.id, action="reassigned").order_by("id")
    assert [(e.actor_id, e.data["from_id"], e.data["responsible_id"]) for e in events] == [
        (w.head_a, w.m2, w.m1), (w.admin, w.m1, w.m3)]
    # m2 handed the claim over and is neither author nor manager: it is gone from their list.
    assert claim.number not in await visible(w.m2)
    card = await get_claim_card(claim.id, viewer_id=w.head_a)  # still the author's team
    assert "reassign" in card.actions
    assert "reassign" not in (await get_claim_card(claim.id, viewer_id=w.m3)).actions

    await close_claim(claim.id, satisfied=False, resolution="Відмовлено", actor_id=w.m3)
    with pytest.raises(Exception) as closed:
        await reassign_claim(claim.id, w.m1, actor_id=w.admin)
    assert getattr(closed.value, "code", "") == "claim_closed"


async def test_forged_ids_are_refused(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    gone = await make_employee(full_name="Звільнений")
    await Employee.filter(id=gone.id).update(active=False)

    with pytest.raises(NotFound):
        await get_claim_card(999_999, viewer_id=w.admin)
    for viewer in (999_999, gone.id):
        with pytest.raises(AccessDenied):
            await get_claim_card(claim.id, viewer_id=viewer)
        with pytest.raises(AccessDenied):
            await list_claims(viewer_id=viewer)
        with pytest.raises(AccessDenied):
            await close_claim(claim.id, satisfied=False, resolution="ні", actor_id=viewer)
        with pytest.raises(AccessDenied):
            await register(w, author_id=viewer)
    with pytest.raises(NotFound):
        await register(w, partner_id=999_999)
    with pytest.raises(NotFound):
        await register(w, cause_id=999_999)
    with pytest.raises(NotFound):
        await register(w, responsible_id=999_999)
    with pytest.raises(ValidationFailed):  # a deactivated employee cannot be made responsible
        await register(w, responsible_id=gone.id)
    with pytest.raises(NotFound):
        await reassign_claim(claim.id, 999_999, actor_id=w.admin)
    with pytest.raises(NotFound):
        await close_claim(claim.id, satisfied=True, resolution="так", actor_id=w.m2,
                          guilty_employee_id=999_999)
    assert await Claim.all().count() == 1
    with pytest.raises(NotFound):
        await register_claim(partner_id=w.p1, cause_id=w.causes["other"], description="x",
                             responsible_id=w.m1, author_id=w.m1, shipment_id=999_999)
