"""What the history import does beyond the rows: route tasks of guided deals, a deal's whole
log replaced through `replace_stage_log`, interactions matched and updated."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import ConcurrentUpdate, ImportFailed, ValidationFailed
from models import Deal, DealEvent, DealStageLog, Interaction, Task
from models.base import DealStatus, TaskStatus
from services.deals import update_deal
from services.exchange_deals import (
    export_deal_history,
    import_deal_history,
    replace_stage_log,
)
from services.exchange_files import read_table, write_csv
from tests.factories import load_default_kinds, make_deal, make_employee, make_partner

KYIV = dt.timezone(dt.timedelta(hours=2))
HEADER = "Номер;Вид угоди;Етап;Назва;Стан;Відповідальний;Код партнера;Початок;Завершення\n"


async def _setup():
    await load_default_kinds()
    owner = await make_employee(full_name="Олена Коваль", email="o.koval@firm.ua")
    await make_partner(name="ТОВ «Агросвіт»", external_id="П-1")
    return owner


def _deals(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode("utf-8")


async def _open_route_tasks(deal_id: int) -> list[str]:
    tasks = await Task.filter(deal_id=deal_id, status=TaskStatus.OPEN).order_by("id")
    return [task.template_code for task in tasks]


async def test_an_open_guided_deal_gets_the_tasks_of_its_stage_and_follows_later_files(
    db, frozen_clock
):
    await _setup()
    row = "Г-1;typical_sale;{stage};Поставка;{status};o.koval@firm.ua;П-1;01.11.2026;{ended}"

    await import_deal_history("deals", _deals(row.format(stage="offer", status="", ended="")))
    deal = await Deal.get(number="Г-1")
    assert deal.guided and await _open_route_tasks(deal.id) == ["prepare_offer"]
    log = (
        await DealStageLog.filter(deal_id=deal.id)
        .order_by("stage__order")
        .values_list("stage__code", "result", "skipped")
    )
    # the stages before it were passed over, as a jump logs them (the funnel counts them)
    assert [tuple(str(x) for x in row) for row in log] == [
        ("primary_contact", "passed", "True"),
        ("qualification", "passed", "True"),
        ("offer", "current", "False"),
    ]

    await import_deal_history("deals", _deals(row.format(stage="offer", status="", ended="")))
    assert await _open_route_tasks(deal.id) == ["prepare_offer"]  # unchanged: no new tasks

    await import_deal_history(
        "deals", _deals(row.format(stage="qualification", status="", ended=""))
    )
    assert await _open_route_tasks(deal.id) == ["qualify_client"]
    assert await Task.filter(deal_id=deal.id, status=TaskStatus.CANCELLED).count() == 1

    await import_deal_history(
        "deals", _deals(row.format(stage="presentation", status="", ended=""))
    )
    assert await _open_route_tasks(deal.id) == ["hold_presentation"]
    # it entered "presentation" at that import (now): it cannot have been won before
    won = row.format(stage="presentation", status="виграна", ended="{ended}")
    with pytest.raises(ImportFailed) as caught:
        await import_deal_history("deals", _deals(won.format(ended="20.11.2026")))
    (problem,) = caught.value.params["problems"]
    assert (problem.field, problem.error.params["reason"]) == ("ended_at", "before_stage_log")
    await import_deal_history("deals", _deals(won.format(ended="27.11.2026 11:30")))
    deal = await Deal.get(id=deal.id)
    assert deal.status == DealStatus.WON and await _open_route_tasks(deal.id) == []


async def test_replace_stage_log_writes_a_consistent_log_or_refuses_it(db, frozen_clock):
    owner = await _setup()
    deal = await make_deal(kind_code="simple_deal", owner=owner)  # open, at "new"
    start = dt.datetime(2026, 11, 20, 10, 0, tzinfo=KYIV)

    with pytest.raises(ValidationFailed) as caught:
        await replace_stage_log(
            deal.id,
            [
                {"stage": "new", "entered_at": start, "left_at": start + dt.timedelta(days=1)},
                {"stage": "contact", "entered_at": start + dt.timedelta(days=1)},
            ],
        )
    # the deal is at "new": that row must be the current one, and nothing lies beyond it
    assert (caught.value.params["reason"], caught.value.params["row"]) == (
        "wrong_final_result",
        "new",
    )
    assert await DealStageLog.filter(deal_id=deal.id).count() == 1  # as it was

    await update_deal(deal.id, actor_id=owner.id, title="Нова назва")  # another version
    changed = await replace_stage_log(deal.id, [{"stage": "new", "entered_at": start}])

    assert changed == ["new"]
    row = await DealStageLog.get(deal_id=deal.id)
    assert row.entered_at == start and row.left_at is None
    event = await DealEvent.filter(deal_id=deal.id, action="stage_log_imported").get()
    assert event.data == {"created": [], "updated": ["new"], "removed": []}
    with pytest.raises(ValidationFailed):
        await replace_stage_log(deal.id, [{"stage": "new", "entered_at": "20.11.2026"}])


async def test_an_import_loses_to_a_concurrent_edit_of_the_same_deal(db, frozen_clock):
    """The import claims each deal it changes, so an editor holding an older version gets
    'the deal has changed' instead of silently overwriting the imported history."""
    await _setup()
    await import_deal_history(
        "deals", _deals("Д-1;simple_deal;new;Угода;;o.koval@firm.ua;П-1;01.11.2026;")
    )
    deal = await Deal.get(number="Д-1")
    seen_version = deal.version

    await import_deal_history(
        "deals", _deals("Д-1;simple_deal;contact;Угода;;o.koval@firm.ua;П-1;01.11.2026;")
    )

    with pytest.raises(ConcurrentUpdate):
        await update_deal(deal.id, actor_id=None, title="Інша", expected_version=seen_version)


async def test_interactions_are_matched_by_crm_id_or_by_their_key_and_updated(db, frozen_clock):
    owner = await _setup()
    deal = await make_deal(kind_code="simple_deal", owner=owner)
    text = (
        "Угода;Вид;Тема;Початок;Відповідальний\n"
        f"{deal.number};дзвінок;Перший дзвінок;20.11.2026 10:00;o.koval@firm.ua\n"
        f"{deal.number};зустріч;Зустріч;21.11.2026 10:00;Олена Коваль\n"
    )
    first = await import_deal_history("interactions", text.encode("utf-8"))
    # the same rows with a corrected subject: recognised by deal, type, start and owner
    second = await import_deal_history(
        "interactions", text.replace("Перший дзвінок", "Дзвінок").encode("utf-8")
    )
    exported = await export_deal_history("interactions", "csv", locale="uk")
    table = read_table(exported.data)
    cells = [list(row.cells) for row in table.rows]
    subject = table.headers.index("Тема")
    cells[1][subject] = "Зустріч в офісі"
    third = await import_deal_history("interactions", write_csv(table.headers, cells))

    assert (first.created, second.created, second.updated) == (2, 0, 1)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert sorted(await Interaction.all().values_list("subject", flat=True)) == [
        "Дзвінок",
        "Зустріч в офісі",
    ]
    assert (await Deal.get(id=deal.id)).last_activity_at == dt.datetime(
        2026, 11, 21, 8, 0, tzinfo=dt.UTC
    )
