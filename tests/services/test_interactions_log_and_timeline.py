"""Logging interactions (activity, next steps, bad input) and the deal's merged timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import NotFound, ValidationFailed
from models import Deal, Interaction, InteractionParticipant, Task
from services.interactions import (
    NextStep,
    list_deal_timeline,
    log_interaction,
    mark_interaction_done,
)
from services.pipeline import get_kind, move_to_stage
from tests.factories import (
    load_default_kinds,
    make_contact,
    make_deal,
    make_employee,
    make_invoice,
    make_order,
)


async def test_a_done_call_moves_the_deals_last_activity_and_a_planned_one_does_not(
    db, frozen_clock
):
    await load_default_kinds()
    deal = await make_deal()
    earlier = frozen_clock - dt.timedelta(hours=3)
    contact = await make_contact(await deal.partner)

    call = await log_interaction(
        kind="call", direction="outgoing", owner_id=deal.owner_id, deal_id=deal.id,
        starts_at=earlier, ends_at=earlier + dt.timedelta(minutes=10), subject="Знайомство",
        result="цікавляться трубами", contact_ids=[contact.id],
    )  # fmt: skip

    assert call.partner_id == deal.partner_id and call.done
    assert (await Deal.get(id=deal.id)).last_activity_at == earlier + dt.timedelta(minutes=10)
    assert await InteractionParticipant.filter(
        interaction_id=call.id, contact_id=contact.id
    ).exists()
    await log_interaction(
        kind="meeting", owner_id=deal.owner_id, deal_id=deal.id, done=False,
        starts_at=frozen_clock + dt.timedelta(days=2),
    )  # fmt: skip
    assert (await Deal.get(id=deal.id)).last_activity_at == earlier + dt.timedelta(minutes=10)
    # an older call logged later does not move the activity back
    await log_interaction(kind="call", owner_id=deal.owner_id, deal_id=deal.id,
                          starts_at=earlier - dt.timedelta(days=5))  # fmt: skip
    assert (await Deal.get(id=deal.id)).last_activity_at == earlier + dt.timedelta(minutes=10)


async def test_the_next_step_becomes_a_planned_interaction_or_a_task(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()
    at = frozen_clock + dt.timedelta(days=1)

    call = await log_interaction(
        kind="call", owner_id=deal.owner_id, deal_id=deal.id, starts_at=frozen_clock,
        subject="Дзвінок", next_step=NextStep(at=at, subject="Надіслати КП", kind="email"),
    )  # fmt: skip
    planned = await Interaction.get(previous_id=call.id)
    assert (planned.done, planned.kind.value, planned.starts_at) == (False, "email", at)
    assert planned.deal_id == deal.id and planned.subject == "Надіслати КП"

    await log_interaction(
        kind="meeting", owner_id=deal.owner_id, deal_id=deal.id, starts_at=frozen_clock,
        next_step={"at": at, "subject": "Підготувати договір", "as_task": True},
    )  # fmt: skip
    task = await Task.get(deal_id=deal.id)
    assert (task.title, task.due_at, task.performer_id) == (
        "Підготувати договір",
        at,
        deal.owner_id,
    )

    clock.freeze(at + dt.timedelta(hours=1))
    await mark_interaction_done(planned.id, actor_id=deal.owner_id, result="надіслано")
    assert (await Interaction.get(id=planned.id)).done
    assert (await Deal.get(id=deal.id)).last_activity_at == at


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"kind": "pigeon"}, "interaction_kind", "bad_choice"),
        ({"direction": "sideways"}, "direction", "bad_choice"),
        ({"starts_at": dt.datetime(1990, 1, 1, tzinfo=dt.UTC)}, "starts_at", "too_far_past"),
        ({"starts_at": dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)}, "starts_at",
         "too_far_future"),  # a done call cannot be in three days
        ({"starts_at": dt.datetime(2026, 11, 27, 9, 0)}, "starts_at", "naive_datetime"),
        ({"ends_at": dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)}, "ends_at", "before_start"),
        ({"next_step": NextStep(at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC))}, "next_step",
         "too_far_past"),
    ],
)  # fmt: skip
async def test_bad_input_is_refused(db, frozen_clock, changes, field, reason):
    owner = await make_employee()
    values = {"kind": "call", "owner_id": owner.id, "starts_at": frozen_clock} | changes
    with pytest.raises(ValidationFailed) as caught:
        await log_interaction(**values)
    assert (caught.value.params["field"], caught.value.params["reason"]) == (field, reason)
    assert await Interaction.all().count() == 0


async def test_unknown_references_are_refused(db, frozen_clock):
    owner = await make_employee()
    with pytest.raises(NotFound):
        await log_interaction(kind="call", owner_id=owner.id, starts_at=frozen_clock, deal_id=404)
    with pytest.raises(NotFound):
        await log_interaction(
            kind="call", owner_id=owner.id, starts_at=frozen_clock, contact_ids=[404]
        )


async def test_the_timeline_merges_everything_newest_first_and_pages(db, frozen_clock):
    await load_default_kinds()
    deal = await make_deal()  # event "created" at 09:00 on 27.11
    kind = await get_kind("simple_deal")
    await make_order(deal, date=dt.date(2026, 11, 20))
    await make_invoice(deal, date=dt.date(2026, 11, 21))
    clock.freeze(frozen_clock + dt.timedelta(hours=1))
    await log_interaction(
        kind="call",
        owner_id=deal.owner_id,
        deal_id=deal.id,
        starts_at=frozen_clock + dt.timedelta(minutes=30),
        subject="Дзвінок",
    )
    clock.freeze(frozen_clock + dt.timedelta(hours=2))
    await move_to_stage(deal.id, kind.stages[1].id, actor_id=deal.owner_id)  # fmt: skip

    items = await list_deal_timeline(deal.id, limit=10)

    assert [(i.kind, i.title) for i in items] == [
        ("event", "stage_moved"),
        ("interaction", "Дзвінок"),
        ("event", "created"),
        ("invoice", items[3].title),
        ("order", items[4].title),
    ]
    assert items[0].data["to"] == "contact"
    assert [i.kind for i in await list_deal_timeline(deal.id, limit=2, offset=2)] == [
        "event",
        "invoice",
    ]
    with pytest.raises(NotFound):
        await list_deal_timeline(404)
