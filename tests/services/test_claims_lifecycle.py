"""A claim's life: registered -> in processing -> satisfied / not satisfied -> reopened, with its
rules (a resolution to close, culprits only for satisfied claims, history kept on reopening), the
work plan through the generic assignment process, notes, files and interactions.

`claims_world()` is shared by the other claim tests (tests/services/test_claims_*.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from core import clock
from core.config import get_settings
from core.errors import ValidationFailed
from models import Claim, ClaimEvent, FileLink, Interaction, Task
from models.base import ClaimStatus, Role, TaskStatus
from services.claims import (
    ClaimStateConflict,
    ClaimTaskPlan,
    NewFile,
    add_claim_note,
    attach_claim_file,
    close_claim,
    ensure_default_causes,
    find_claim_cause,
    get_claim_card,
    list_claim_causes,
    log_claim_interaction,
    plan_claim_tasks,
    register_claim,
    reopen_claim,
    take_into_work,
)
from services.tasks import accept_assignment, assignment_step, complete_task, return_for_rework
from tests.factories import (
    load_default_kinds,
    make_contact,
    make_counterparty,
    make_deal,
    make_employee,
    make_order,
    make_partner,
    make_shipment,
)

HOUR = dt.timedelta(hours=1)


@dataclass
class World:
    admin: int
    head_a: int
    head_b: int
    m1: int  # team A, manages partner p1, owns deal d1
    m2: int  # team A
    m3: int  # team B, manages partner p2, owns deal d2
    p1: int
    p2: int
    d1: int
    d2: int
    order1: int
    ship1: int
    ship2: int
    causes: dict[str, int]


async def claims_world() -> World:
    """Two teams (a head and managers each), an admin, two clients with a deal, an order and a
    shipment each, and the default claim causes."""
    from models import Team

    await load_default_kinds()
    team_a = await Team.create(name="Київ")
    team_b = await Team.create(name="Львів")
    admin = await make_employee(role=Role.ADMIN, full_name="Адмін")
    head_a = await make_employee(role=Role.HEAD, team=team_a, full_name="Ірина Коваленко")
    head_b = await make_employee(role=Role.HEAD, team=team_b, full_name="Андрій Шевчук")
    m1 = await make_employee(team=team_a, full_name="Марина Бондаренко")
    m2 = await make_employee(team=team_a, full_name="Дмитро Ткаченко")
    m3 = await make_employee(team=team_b, full_name="Наталія Мельник")
    p1 = await make_partner(name="ТОВ «Будмайстер»", main_manager=m1)
    p2 = await make_partner(name="ТОВ «Карпати-Буд»", main_manager=m3)
    await make_counterparty(p1)
    d1 = await make_deal(owner=m1, partner=p1)
    d2 = await make_deal(owner=m3, partner=p2)
    order1 = await make_order(d1, 500_000_00)
    ship1 = await make_shipment(d1, 500_000_00, order_id=order1.id)
    ship2 = await make_shipment(d2, 200_000_00)
    causes = {c.code: c.id for c in await ensure_default_causes()}
    return World(admin.id, head_a.id, head_b.id, m1.id, m2.id, m3.id, p1.id, p2.id, d1.id,
                 d2.id, order1.id, ship1.id, ship2.id, causes)


async def register(w: World, **overrides) -> Claim:
    values = {
        "partner_id": w.p1, "cause_id": w.causes["damaged_goods"],
        "description": "Пошкоджено 12 мішків цементу М500 під час розвантаження",
        "claimed_minor": 4_800_00, "shipment_id": w.ship1, "responsible_id": w.m2,
        "author_id": w.m1,
    }  # fmt: skip
    values.update(overrides)
    return await register_claim(**values)


async def actions(claim_id: int) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.action, e.from_status, e.to_status)
        for e in await ClaimEvent.filter(claim_id=claim_id).order_by("id")
    ]


async def test_register_takes_the_basis_and_the_response_time(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)

    assert claim.number == f"C-{claim.id:06d}"
    assert claim.status == ClaimStatus.REGISTERED
    # The shipment names its order and deal; the counterparty comes from the documents.
    assert (claim.shipment_id, claim.order_id, claim.deal_id) == (w.ship1, w.order1, w.d1)
    assert claim.due_at == frozen_clock + 24 * HOUR  # damaged goods: answer within a day
    assert claim.registered_at == frozen_clock and claim.closed_at is None
    assert await actions(claim.id) == [("registered", None, "registered")]
    quality = await register(w, cause_id=w.causes["quality_defect"], shipment_id=None)
    assert quality.due_at == frozen_clock + 72 * HOUR and quality.deal_id is None


async def test_the_catalogue_is_created_once_and_keeps_edits(db):
    rows = await ensure_default_causes()
    assert len(rows) >= 10
    assert {"damaged_goods", "short_delivery", "wrong_goods", "quality_defect", "late_delivery",
            "documents_error", "price_error"} <= {r.code for r in rows}
    assert all(r.name_uk and r.name_en and r.response_hours > 0 for r in rows)
    from models import ClaimCause

    await ClaimCause.filter(code="late_delivery").update(name_uk="Запізнення", response_hours=8)
    await ClaimCause.filter(code="other").update(active=False)
    again = await ensure_default_causes()
    assert len(again) == len(rows) - 1  # the inactive one is not offered
    late = await find_claim_cause("late_delivery")
    assert (late.name_uk, late.response_hours) == ("Запізнення", 8)
    assert len(await list_claim_causes(active_only=False)) == len(rows)


async def test_work_it_to_satisfied_with_the_culprits(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    await take_into_work(claim.id, actor_id=w.m2)
    with pytest.raises(ClaimStateConflict) as twice:
        await take_into_work(claim.id, actor_id=w.m2)
    assert twice.value.code == "claim_in_processing"

    closed = await close_claim(
        claim.id, satisfied=True, resolution="Відшкодовано вартість 12 мішків", actor_id=w.m2,
        settled_minor=4_800_00, guilty_department="Склад", guilty_employee_id=w.m1,
    )  # fmt: skip

    fresh = await Claim.get(id=claim.id)
    assert fresh.status == ClaimStatus.SATISFIED == closed.status
    assert (fresh.settled_minor, fresh.guilty_department, fresh.guilty_employee_id) == (
        4_800_00, "Склад", w.m1)
    assert fresh.closed_at == frozen_clock and fresh.resolution.startswith("Відшкодовано")
    assert await actions(claim.id) == [
        ("registered", None, "registered"),
        ("taken_into_work", "registered", "in_processing"),
        ("closed", "in_processing", "satisfied"),
    ]
    with pytest.raises(ClaimStateConflict) as again:
        await close_claim(claim.id, satisfied=False, resolution="ще раз", actor_id=w.m2)
    assert (again.value.code, again.value.params) == ("claim_closed", {"number": claim.number})


async def test_a_claim_is_closed_straight_from_registered_as_not_satisfied(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    await close_claim(claim.id, satisfied=False, resolution="Пошкодження сталося у клієнта",
                      actor_id=w.m2)
    fresh = await Claim.get(id=claim.id)
    assert fresh.status == ClaimStatus.NOT_SATISFIED
    assert (fresh.settled_minor, fresh.guilty_department, fresh.guilty_employee_id) == (0, "", None)


async def test_closing_needs_a_resolution(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    for text in ("", "   "):
        with pytest.raises(ValidationFailed) as caught:
            await close_claim(claim.id, satisfied=True, resolution=text, actor_id=w.m2)
        assert caught.value.params == {"field": "resolution", "reason": "required"}
    assert (await Claim.get(id=claim.id)).status == ClaimStatus.REGISTERED
    assert await actions(claim.id) == [("registered", None, "registered")]


@pytest.mark.parametrize(
    ("field", "extra"),
    [
        ("guilty_department", {"guilty_department": "Логістика"}),
        ("guilty_employee", {"guilty_employee": True}),
        ("settled", {"settled_minor": 100_00}),
    ],
)
async def test_culprits_and_money_only_for_a_satisfied_claim(db, frozen_clock, field, extra):
    w = await claims_world()
    claim = await register(w)
    if extra.pop("guilty_employee", False):
        extra["guilty_employee_id"] = w.m1
    with pytest.raises(ValidationFailed) as caught:
        await close_claim(claim.id, satisfied=False, resolution="Відмовлено", actor_id=w.m2,
                          **extra)
    assert caught.value.params == {"field": field, "reason": "only_satisfied"}
    assert (await Claim.get(id=claim.id)).status == ClaimStatus.REGISTERED


async def test_reopen_keeps_the_history_and_gives_a_new_response_time(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    await close_claim(claim.id, satisfied=True, resolution="Знижка 5 % на наступну поставку",
                      actor_id=w.m2, guilty_department="Логістика")
    with pytest.raises(ValidationFailed):
        await reopen_claim(claim.id, reason=" ", actor_id=w.m2)

    later = frozen_clock + dt.timedelta(days=10)
    with clock.simulated(later):
        reopened = await reopen_claim(claim.id, reason="Клієнт не погодився зі знижкою",
                                      actor_id=w.m2)
    fresh = await Claim.get(id=claim.id)
    assert fresh.status == ClaimStatus.IN_PROCESSING == reopened.status
    assert fresh.closed_at is None and fresh.resolution == "" and fresh.guilty_department == ""
    assert fresh.due_at == later + 24 * HOUR
    history = await ClaimEvent.filter(claim_id=claim.id).order_by("id")
    assert [e.action for e in history] == ["registered", "closed", "reopened"]
    assert history[1].data["resolution"] == "Знижка 5 % на наступну поставку"
    assert history[1].data["guilty_department"] == "Логістика"
    assert history[2].data["previous_resolution"] == "Знижка 5 % на наступну поставку"
    assert history[2].data["reason"] == "Клієнт не погодився зі знижкою"

    with pytest.raises(ClaimStateConflict) as open_one:
        await reopen_claim(claim.id, reason="ще раз", actor_id=w.m2)
    assert open_one.value.code == "claim_not_closed"
    with clock.simulated(later + HOUR):
        await close_claim(claim.id, satisfied=False, resolution="Залишили знижку", actor_id=w.m2)
    assert [a for a, _, _ in await actions(claim.id)] == [
        "registered", "closed", "reopened", "closed"]


async def test_a_work_plan_runs_through_the_assignment_process(db, frozen_clock):
    w = await claims_world()
    claim = await register(w)
    tasks = await plan_claim_tasks(claim.id, [
        ClaimTaskPlan("Перевірити залишки на складі", w.m1, frozen_clock + 5 * HOUR),
        ClaimTaskPlan("Підготувати акт", w.m1, frozen_clock + 8 * HOUR, checker_id=w.head_a),
    ], actor_id=w.m2)  # fmt: skip

    assert (await Claim.get(id=claim.id)).status == ClaimStatus.IN_PROCESSING
    assert [a for a, _, _ in await actions(claim.id)] == [
        "registered", "taken_into_work", "tasks_planned"]
    assert [(t.claim_id, t.partner_id, t.checker_id) for t in tasks] == [
        (claim.id, w.p1, w.m2), (claim.id, w.p1, w.head_a)]

    await complete_task(tasks[0].id, "залишків немає", actor_id=w.m1)
    check = await Task.get(claim_id=claim.id, performer_id=w.m2, status=TaskStatus.OPEN)
    assert assignment_step(check).step == "check"
    rework = await return_for_rework(check.id, "перевір ще склад №2", actor_id=w.m2)
    assert rework.claim_id == claim.id and rework.performer_id == w.m1
    await complete_task(rework.id, "на складі №2 є 12 мішків", actor_id=w.m1)
    second = await Task.get(claim_id=claim.id, performer_id=w.m2, status=TaskStatus.OPEN)
    await accept_assignment(second.id, actor_id=w.m2)

    card = await get_claim_card(claim.id, viewer_id=w.m2)
    assert [(t.step, t.status) for t in card.tasks] == [
        ("execute", "done"), ("execute", "open"), ("check", "done"), ("execute", "done"),
        ("check", "done")]
    assert sum(1 for i in card.timeline if i.kind == "task_done") == 4

    with pytest.raises(ValidationFailed):
        await plan_claim_tasks(claim.id, [], actor_id=w.m2)
    await close_claim(claim.id, satisfied=False, resolution="Не підтвердилось", actor_id=w.m2)
    with pytest.raises(ClaimStateConflict):
        await plan_claim_tasks(
            claim.id, [ClaimTaskPlan("ще", w.m1, frozen_clock + HOUR)], actor_id=w.m2)


async def test_notes_files_and_interactions_show_on_the_card(
    db, frozen_clock, tmp_path, monkeypatch
):
    monkeypatch.setenv("CRM_FILES_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        w = await claims_world()
        photo = NewFile(b"\x89PNG fake photo", "IMG_2041.jpg", "image/jpeg")
        claim = await register(w, files=[photo])
        await add_claim_note(claim.id, "Клієнт надіслав акт про пошкодження", actor_id=w.m2)
        act = await attach_claim_file(claim.id, data=b"%PDF act", original_name="акт.pdf",
                                      mime_type="application/pdf", actor_id=w.m2)
        again = await attach_claim_file(claim.id, data=b"%PDF act", original_name="акт2.pdf",
                                        actor_id=w.m2)
        assert again.id == act.id  # the same bytes are one attachment
        from models import Partner

        buyer = await make_contact(await Partner.get(id=w.p1), full_name="Олег Гончаренко")
        stranger = await make_contact(await Partner.get(id=w.p2))
        with pytest.raises(ValidationFailed) as foreign:
            await log_claim_interaction(claim.id, actor_id=w.m2, kind="call",
                                        starts_at=frozen_clock, contact_ids=[stranger.id])
        assert foreign.value.params == {"field": "contact", "reason": "not_of_partner"}
        call = await log_claim_interaction(
            claim.id, actor_id=w.m2, kind="call", starts_at=frozen_clock,
            direction="outgoing", result="Домовились про заміну", contact_ids=[buyer.id])
        with pytest.raises(ValidationFailed):
            await add_claim_note(claim.id, "", actor_id=w.m2)
    finally:
        get_settings.cache_clear()

    assert (call.claim_id, call.partner_id, call.subject) == (claim.id, w.p1, claim.number)
    assert await Interaction.filter(claim_id=claim.id).count() == 1
    assert await FileLink.filter(claim_id=claim.id).count() == 2
    from models import StoredFile
    from services.files import file_path

    stored = await StoredFile.get(id=act.file_id)
    assert file_path(stored.sha256, tmp_path).read_bytes() == b"%PDF act"
    card = await get_claim_card(claim.id, viewer_id=w.m2)
    assert [f.name for f in card.files] == ["IMG_2041.jpg", "акт.pdf"]
    assert card.files[0].mime_type == "image/jpeg"
    assert [i.title for i in card.interactions] == [claim.number]
    kinds = [(i.kind, i.title) for i in card.timeline]
    assert ("event", "note") in kinds and ("interaction", claim.number) in kinds
    assert sum(1 for k in kinds if k == ("event", "file_attached")) == 2
    note = next(i for i in card.timeline if i.title == "note")
    assert note.data["text"] == "Клієнт надіслав акт про пошкодження"
    assert note.data["actor_name"] == "Дмитро Ткаченко"
    events = [i.title for i in card.timeline if i.kind == "event"]
    assert events == ["file_attached", "note", "file_attached", "registered"]  # newest first
    assert card.partner.name == "ТОВ «Будмайстер»" and card.shipment.id == w.ship1
    assert card.deal.id == w.d1 and card.order.id == w.order1
    assert card.cause.code == "damaged_goods" and card.claimed_minor == 4_800_00
    assert card.actions == ("take_into_work", "plan_tasks", "close", "note", "file")
