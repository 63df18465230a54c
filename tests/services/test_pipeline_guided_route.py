"""The guided "Типовий продаж" route end to end: tasks per stage, exit checks, the finish."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from models import Deal, DealParticipant, DealStageLog, Task
from models.base import DealStatus, ParticipantRole, Role, StageResult, TaskStatus
from services.checks import ExitChecksNotMet, evaluate_exit_checks
from services.deals import confirm_checklist, mark_lost, set_potential, update_deal
from services.i18n_extra_pipeline import translate_pipeline_error
from services.interactions import log_interaction
from services.pipeline import DealStateConflict, move_to_stage
from services.tasks import (
    TaskStateConflict,
    cancel_task,
    complete_task,
    list_deal_tasks,
    list_my_tasks,
)
from tests.factories import (
    load_default_kinds,
    make_agreement,
    make_competitor,
    make_contact,
    make_counterparty,
    make_deal,
    make_employee,
    make_invoice,
    make_order,
    make_partner,
    make_payment,
    make_shipment,
)


async def _open_tasks(deal_id: int) -> list[Task]:
    return await Task.filter(deal_id=deal_id, status=TaskStatus.OPEN).order_by("id")


async def _stage_code(deal_id: int) -> str:
    deal = await Deal.get(id=deal_id).prefetch_related("stage")
    return deal.stage.code


async def _complete_all(deal_id: int, actor_id: int) -> None:
    for task in await _open_tasks(deal_id):
        await complete_task(task.id, "зроблено", actor_id=actor_id)


async def test_entering_the_first_stage_creates_its_task_for_the_owner(db, frozen_clock):
    await load_default_kinds()
    owner = await make_employee(locale="en")
    deal = await make_deal(kind_code="typical_sale", owner=owner)

    tasks = await _open_tasks(deal.id)
    assert deal.guided
    assert [t.template_code for t in tasks] == ["record_primary_contact"]
    task = tasks[0]
    assert task.performer_id == owner.id and task.author_id == owner.id
    assert task.title == "Record the primary contact"  # the performer's language
    assert task.due_at == frozen_clock + dt.timedelta(days=2)
    assert task.checklist[0]["text"].startswith("Find out which product")
    listed = await list_my_tasks(owner.id, scope="upcoming")
    assert [(t.id, t.deal.number) for t in listed] == [(task.id, deal.number)]


async def test_a_task_cannot_finish_the_stage_until_its_exit_checks_hold(db, frozen_clock):
    await load_default_kinds()
    owner = await make_employee()
    deal = await make_deal(kind_code="typical_sale", owner=owner)
    task = (await _open_tasks(deal.id))[0]
    # a planned call is not a contact that took place
    await log_interaction(
        kind="call", owner_id=owner.id, deal_id=deal.id, done=False,
        starts_at=frozen_clock + dt.timedelta(days=1), subject="Передзвонити",
    )  # fmt: skip

    with pytest.raises(ExitChecksNotMet) as caught:
        await complete_task(task.id, "поговорили", actor_id=owner.id)

    assert caught.value.params["missing"] == ("done_interaction",)
    text = translate_pipeline_error(caught.value, "en")
    assert "a completed (not planned) interaction with the client" in text
    assert (await Task.get(id=task.id)).status == TaskStatus.OPEN  # nothing was written
    assert await _stage_code(deal.id) == "primary_contact"

    await log_interaction(
        kind="call", owner_id=owner.id, deal_id=deal.id, starts_at=frozen_clock, subject="Дзвінок"
    )
    await complete_task(task.id, "поговорили", actor_id=owner.id)
    assert await _stage_code(deal.id) == "qualification"
    assert [t.template_code for t in await _open_tasks(deal.id)] == ["qualify_client"]


async def test_the_whole_route_to_a_won_deal(db, frozen_clock):
    await load_default_kinds()
    head = await make_employee(role=Role.HEAD, full_name="Керівник")
    owner = await make_employee()
    client = await make_partner()
    deal = await make_deal(kind_code="typical_sale", owner=owner, partner=client)

    # 1. primary contact
    await log_interaction(
        kind="meeting", owner_id=owner.id, deal_id=deal.id, starts_at=frozen_clock
    )
    await _complete_all(deal.id, owner.id)
    # 2. qualification: the agreement must be set
    with pytest.raises(ExitChecksNotMet) as caught:
        await _complete_all(deal.id, owner.id)
    assert caught.value.params["missing"] == ("agreement_set",)
    agreement = await make_agreement(client)
    await update_deal(deal.id, actor_id=owner.id, agreement_id=agreement.id)
    await _complete_all(deal.id, owner.id)
    # 3. offer: the potential
    assert await _stage_code(deal.id) == "offer"
    await set_potential(deal.id, 250_000_00, actor_id=owner.id)
    await _complete_all(deal.id, owner.id)
    # 4. presentation: the checklist
    with pytest.raises(ExitChecksNotMet):
        await _complete_all(deal.id, owner.id)
    await confirm_checklist(deal.id, actor_id=owner.id)
    await _complete_all(deal.id, owner.id)
    # 5. negotiation: two tasks, one for the head of sales; a decision maker is needed
    assert await _stage_code(deal.id) == "negotiation"
    tasks = await _open_tasks(deal.id)
    assert {(t.template_code, t.performer_id) for t in tasks} == {
        ("negotiate_terms", owner.id),
        ("approve_discount", head.id),
    }
    await complete_task(tasks[0].id, "умови погоджено", actor_id=owner.id)
    assert await _stage_code(deal.id) == "negotiation"  # one task is still open
    contact = await make_contact(client)
    await DealParticipant.create(
        deal_id=deal.id, contact=contact, role=ParticipantRole.DECISION_MAKER
    )
    await complete_task(tasks[1].id, "знижку 3 % погоджено", actor_id=head.id)
    # 6. order: a counterparty and an order
    assert await _stage_code(deal.id) == "order"
    with pytest.raises(ExitChecksNotMet) as caught:
        await _complete_all(deal.id, owner.id)
    assert caught.value.params["missing"] == ("counterparty_set", "order_exists")
    counterparty = await make_counterparty(client)
    deal = await update_deal(deal.id, actor_id=owner.id, counterparty_id=counterparty.id)
    await make_order(deal, 250_000_00)
    await _complete_all(deal.id, owner.id)
    # 7. obligations: an invoice, a prepayment or a shipment
    await make_invoice(deal, 250_000_00)
    await _complete_all(deal.id, owner.id)
    # 8. fulfilment: everything invoiced paid, everything ordered shipped
    assert await _stage_code(deal.id) == "fulfilment"
    await make_payment(deal, 100_000_00)
    await make_shipment(deal, 250_000_00)
    with pytest.raises(ExitChecksNotMet) as caught:
        await _complete_all(deal.id, owner.id)
    assert caught.value.params["missing"] == ("paid_and_shipped",)
    await make_payment(deal, 150_000_00)
    await _complete_all(deal.id, owner.id)
    # 9. the result: its task closes the deal as won
    assert await _stage_code(deal.id) == "result"
    await _complete_all(deal.id, owner.id)

    deal = await Deal.get(id=deal.id)
    assert deal.status == DealStatus.WON and deal.closed and deal.ended_at == frozen_clock
    rows = await DealStageLog.filter(deal_id=deal.id).prefetch_related("stage")
    assert len(rows) == 9
    assert all(r.result == StageResult.PASSED and not r.skipped for r in rows)
    assert await _open_tasks(deal.id) == []
    assert len(await list_deal_tasks(deal.id)) == 10


async def test_a_guided_deal_is_not_moved_by_hand_and_its_route_tasks_are_not_cancelled(
    db, frozen_clock
):
    await load_default_kinds()
    owner = await make_employee()
    deal = await make_deal(kind_code="typical_sale", owner=owner)
    stages = await Deal.get(id=deal.id).prefetch_related("kind__stages")
    third = next(s for s in stages.kind.stages if s.code == "offer")

    with pytest.raises(DealStateConflict) as caught:
        await move_to_stage(deal.id, third.id, actor_id=owner.id)
    assert caught.value.code == "deal_guided"
    task = (await _open_tasks(deal.id))[0]
    with pytest.raises(TaskStateConflict) as cancelled:
        await cancel_task(task.id, actor_id=owner.id)
    assert cancelled.value.code == "task_route_required"


async def test_losing_a_guided_deal_cancels_its_route_tasks(db, frozen_clock):
    await load_default_kinds()
    from services.deals import find_loss_reason

    owner = await make_employee()
    deal = await make_deal(kind_code="typical_sale", owner=owner)
    competitor = await make_competitor()
    reason = await find_loss_reason("lost_to_competitor")

    await mark_lost(deal.id, reason.id, competitor_partner_id=competitor.id, actor_id=owner.id)

    assert await _open_tasks(deal.id) == []
    task = (await list_deal_tasks(deal.id))[0]
    assert task.status == TaskStatus.CANCELLED


async def test_exit_checks_are_reported_for_the_current_stage(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal(kind_code="typical_sale")
    results = await evaluate_exit_checks(deal.id)
    assert [(r.code, r.ok) for r in results] == [("done_interaction", False)]
    clock.freeze(frozen_clock + dt.timedelta(hours=1))
    await log_interaction(kind="telegram", owner_id=deal.owner_id, deal_id=deal.id,
                          starts_at=frozen_clock)  # fmt: skip
    assert [(r.code, r.ok) for r in await evaluate_exit_checks(deal.id)] == [
        ("done_interaction", True)
    ]
