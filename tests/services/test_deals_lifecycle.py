"""A deal's life: creation, bad input, won, lost (to a competitor), reopen, switch, potential."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import NotFound, ValidationFailed
from models import Deal, DealEvent, DealKind, DealParticipant, DealStageLog, Task
from models.base import DealStatus, ParticipantRole, StageResult, TaskStatus
from services.deals import (
    create_deal,
    find_loss_reason,
    mark_lost,
    mark_won,
    reopen,
    set_potential,
    switch_to_manual,
    update_deal,
)
from services.i18n_extra_pipeline import translate_pipeline_error
from services.pipeline import DealStateConflict, get_kind, list_stage_log, move_to_stage
from tests.factories import (
    load_default_kinds,
    make_competitor,
    make_counterparty,
    make_deal,
    make_employee,
    make_partner,
)


async def _rows(deal_id: int) -> list[tuple[str, str, bool]]:
    return [(r.stage.code, r.result.value, r.skipped) for r in await list_stage_log(deal_id)]


async def test_a_new_deal_has_a_number_its_first_stage_and_its_client(db, frozen_clock):
    await load_default_kinds()
    owner = await make_employee()
    client = await make_partner()

    deal = await create_deal(
        kind_code="simple_deal", owner_id=owner.id, title="Поставка труб", partner_id=client.id,
        potential_minor=120_000_00, expected_close_on=dt.date(2026, 12, 20), actor_id=owner.id,
    )  # fmt: skip

    assert deal.number == f"D-{deal.id:06d}"
    assert deal.status == DealStatus.OPEN and not deal.guided and deal.version == 1
    assert await _rows(deal.id) == [("new", "current", False)]
    row = await DealStageLog.get(deal_id=deal.id)
    assert row.entered_at == frozen_clock and row.left_at is None
    assert row.potential_minor == 120_000_00 and row.responsible_id == owner.id
    client_rows = await DealParticipant.filter(deal_id=deal.id).values_list("partner_id", "role")
    assert client_rows == [(client.id, ParticipantRole.CLIENT)]
    assert await DealEvent.filter(deal_id=deal.id).values_list("action", flat=True) == ["created"]
    assert await Task.filter(deal_id=deal.id).count() == 0  # manual kinds create no tasks


async def test_a_counterparty_alone_brings_its_partner(db, frozen_clock):
    await load_default_kinds()
    owner = await make_employee()
    client = await make_partner()
    counterparty = await make_counterparty(client)
    deal = await create_deal(
        kind_code="simple_deal", owner_id=owner.id, title="Т", counterparty_id=counterparty.id
    )
    assert deal.partner_id == client.id


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"potential_minor": -1}, "potential", "negative"),
        ({"potential_minor": 10**13 + 1}, "potential", "too_large"),
        ({"potential_minor": 1.5}, "potential", "bad_number"),
        ({"expected_close_on": dt.date(2020, 1, 1)}, "expected_close_on", "too_far_past"),
        ({"expected_close_on": dt.date(2099, 1, 1)}, "expected_close_on", "too_far_future"),
        ({"title": "   "}, "title", "required"),
        ({"currency": "гривня"}, "currency", "bad_currency"),
    ],
)
async def test_bad_input_is_refused_with_a_code(db, frozen_clock, changes, field, reason):
    await load_default_kinds()
    owner = await make_employee()
    values = {"kind_code": "simple_deal", "owner_id": owner.id, "title": "Поставка"} | changes
    with pytest.raises(ValidationFailed) as caught:
        await create_deal(**values)
    assert (caught.value.params["field"], caught.value.params["reason"]) == (field, reason)
    assert await Deal.all().count() == 0


async def test_unknown_or_closed_kinds_and_inactive_owners_are_refused(db, frozen_clock):
    await load_default_kinds()
    owner = await make_employee()
    with pytest.raises(NotFound):
        await create_deal(kind_code="nope", owner_id=owner.id, title="Т")
    await DealKind.filter(code="simple_deal").update(allowed=False)
    with pytest.raises(DealStateConflict) as caught:
        await create_deal(kind_code="simple_deal", owner_id=owner.id, title="Т")
    assert caught.value.code == "kind_not_allowed"
    gone = await make_employee(active=False)
    with pytest.raises(ValidationFailed) as caught:
        await create_deal(kind_code="typical_sale", owner_id=gone.id, title="Т")
    assert caught.value.params == {"field": "owner", "reason": "inactive"}


async def test_a_counterparty_of_another_partner_is_refused(db, frozen_clock):
    await load_default_kinds()
    owner = await make_employee()
    other = await make_counterparty(await make_partner())
    with pytest.raises(ValidationFailed) as caught:
        await create_deal(
            kind_code="simple_deal", owner_id=owner.id, title="Т",
            partner_id=(await make_partner()).id, counterparty_id=other.id,
        )  # fmt: skip
    assert caught.value.params["reason"] == "not_of_partner"


async def test_won_closes_the_current_row_as_passed(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    won = await mark_won(deal.id, actor_id=deal.owner_id)
    assert won.status == DealStatus.WON and won.closed and won.ended_at == frozen_clock
    assert await _rows(deal.id) == [("new", "passed", False)]
    with pytest.raises(DealStateConflict) as caught:
        await mark_won(deal.id, actor_id=deal.owner_id)
    assert caught.value.code == "deal_closed"


async def test_a_loss_needs_a_reason(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    with pytest.raises(ValidationFailed) as caught:
        await mark_lost(deal.id, None, actor_id=deal.owner_id)
    assert caught.value.params == {"field": "loss_reason", "reason": "required"}
    assert (await Deal.get(id=deal.id)).status == DealStatus.OPEN


async def test_lost_to_a_competitor_records_the_winner_the_stage_and_the_potential(
    db, frozen_clock
):
    await load_default_kinds()
    deal = await make_deal(potential_minor=80_000_00)
    kind = await get_kind("simple_deal")
    await move_to_stage(deal.id, kind.stages[2].id, actor_id=deal.owner_id)
    reason = await find_loss_reason("lost_to_competitor")
    competitor = await make_competitor()

    with pytest.raises(ValidationFailed) as caught:
        await mark_lost(deal.id, reason.id, actor_id=deal.owner_id)
    assert caught.value.params == {"field": "competitor", "reason": "required"}
    with pytest.raises(ValidationFailed) as caught:
        await mark_lost(deal.id, reason.id, competitor_partner_id=deal.partner_id, actor_id=None)
    assert caught.value.params["reason"] == "same_as_client"

    lost = await mark_lost(
        deal.id, reason.id, competitor_partner_id=competitor.id, comment="дешевше на 5 %",
        actor_id=deal.owner_id,
    )  # fmt: skip

    assert lost.status == DealStatus.LOST and lost.loss_reason_id == reason.id
    assert lost.loss_comment == "дешевше на 5 %"
    assert await _rows(deal.id) == [
        ("new", "passed", False),
        ("contact", "passed", True),
        ("proposal", "lost", False),
    ]
    lost_row = await DealStageLog.get(deal_id=deal.id, result=StageResult.LOST)
    assert lost_row.potential_minor == 80_000_00 and lost_row.left_at == frozen_clock
    winner = await DealParticipant.get(deal_id=deal.id, partner_id=competitor.id)
    assert winner.won_the_deal and winner.role == ParticipantRole.COMPETITOR
    event = await DealEvent.filter(deal_id=deal.id, action="lost").first()
    assert event.data["stage"] == "proposal" and event.data["potential_minor"] == 80_000_00


async def test_an_ordinary_reason_needs_no_competitor(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    reason = await find_loss_reason("no_budget")
    await mark_lost(deal.id, reason.id, actor_id=deal.owner_id)
    assert await DealParticipant.filter(deal_id=deal.id, won_the_deal=True).count() == 0


async def test_reopen_makes_the_last_row_current_again_and_clears_the_loss(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    reason = await find_loss_reason("lost_to_competitor")
    competitor = await make_competitor()
    await mark_lost(deal.id, reason.id, competitor_partner_id=competitor.id, actor_id=None)
    with pytest.raises(DealStateConflict):
        await set_potential(deal.id, 5, actor_id=None)  # a closed deal keeps its amount

    opened = await reopen(deal.id, actor_id=deal.owner_id)

    assert opened.status == DealStatus.OPEN and not opened.closed and opened.ended_at is None
    assert opened.loss_reason_id is None
    assert await _rows(deal.id) == [("new", "current", False)]
    assert not (await DealParticipant.get(deal_id=deal.id, partner_id=competitor.id)).won_the_deal
    reopened = await DealEvent.get(deal_id=deal.id, action="reopened")
    assert reopened.data["previous"]["status"] == "lost"
    assert reopened.data["winners"] == [competitor.id]
    with pytest.raises(DealStateConflict) as caught:
        await reopen(deal.id, actor_id=None)
    assert caught.value.code == "deal_not_closed"


async def test_reopening_a_lost_guided_deal_gives_the_stage_tasks_again(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal(kind_code="typical_sale")
    reason = await find_loss_reason("no_response")
    await mark_lost(deal.id, reason.id, actor_id=None)
    assert await Task.filter(deal_id=deal.id, status=TaskStatus.OPEN).count() == 0

    await reopen(deal.id, actor_id=None)

    tasks = await Task.filter(deal_id=deal.id).order_by("id")
    assert [(t.template_code, t.status) for t in tasks] == [
        ("record_primary_contact", TaskStatus.CANCELLED),
        ("record_primary_contact", TaskStatus.OPEN),
    ]


async def test_a_switched_deal_reopened_stays_manual_without_tasks(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal(kind_code="typical_sale")
    await switch_to_manual(deal.id, actor_id=None)
    await mark_won(deal.id, actor_id=None)
    await reopen(deal.id, actor_id=None)
    assert await Task.filter(deal_id=deal.id, status=TaskStatus.OPEN).count() == 0


async def test_the_switch_to_manual_is_one_way(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal(kind_code="typical_sale")
    kind = await get_kind("typical_sale")

    switched = await switch_to_manual(deal.id, actor_id=deal.owner_id)

    assert not switched.guided and switched.switched_to_manual
    task = await Task.get(deal_id=deal.id)
    assert task.status == TaskStatus.CANCELLED
    await move_to_stage(deal.id, kind.stages[4].id, actor_id=deal.owner_id)
    assert await Task.filter(deal_id=deal.id).count() == 1  # manual: no new tasks
    with pytest.raises(DealStateConflict) as caught:
        await switch_to_manual(deal.id, actor_id=deal.owner_id)
    assert caught.value.code == "deal_already_manual"
    assert "already under manual control" in translate_pipeline_error(caught.value, "en")
    simple = await make_deal()
    with pytest.raises(DealStateConflict):
        await switch_to_manual(simple.id, actor_id=None)


async def test_a_new_potential_is_written_on_every_log_row(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal(potential_minor=10_000_00)
    kind = await get_kind("simple_deal")
    await move_to_stage(deal.id, kind.stages[3].id, actor_id=None)

    await set_potential(deal.id, 55_000_00, actor_id=None)

    rows = await DealStageLog.filter(deal_id=deal.id).values_list("potential_minor", flat=True)
    assert rows == [55_000_00] * 4
    assert (await Deal.get(id=deal.id)).potential_minor == 55_000_00
    with pytest.raises(ValidationFailed):
        await set_potential(deal.id, -5, actor_id=None)


async def test_changing_the_client_replaces_the_client_participant(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    other = await make_partner()
    updated = await update_deal(deal.id, actor_id=None, partner_id=other.id, title="Нова назва")
    assert updated.title == "Нова назва" and updated.partner_id == other.id
    clients = await DealParticipant.filter(deal_id=deal.id, role=ParticipantRole.CLIENT)
    assert [p.partner_id for p in clients] == [other.id]
    with pytest.raises(ValidationFailed) as caught:
        await update_deal(deal.id, actor_id=None, manual_probability=140)
    assert caught.value.params["reason"] == "not_a_percent"


async def test_a_new_owner_takes_over_the_route_tasks_addressed_to_the_owner(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal(kind_code="typical_sale")
    colleague = await make_employee()
    await update_deal(deal.id, actor_id=None, owner_id=colleague.id)
    task = await Task.get(deal_id=deal.id)
    assert task.performer_id == colleague.id and task.status == TaskStatus.OPEN
