"""Importing a sales history from 1C: deals, their stage log and interactions, written whole,
idempotent, and always leaving a stage log with its invariants."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from core.errors import ImportFailed
from models import Deal, DealEvent, DealParticipant, DealStageLog, Interaction, Stage
from models.base import DealStatus, StageResult
from services.exchange_deals import import_deal_history
from services.pipeline import stages_in_order
from tests.factories import (
    load_default_kinds,
    make_competitor,
    make_counterparty,
    make_employee,
    make_partner,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def master_data() -> None:
    await load_default_kinds()
    await make_employee(full_name="Олена Коваль", email="o.koval@firm.ua")
    await make_employee(full_name="Петро Сидоренко", email="p.sydorenko@firm.ua", active=False)
    client = await make_partner(name="ТОВ «Агросвіт-Південь»", external_id="П-0042")
    await make_partner(name="ФОП Петренко", external_id="П-0043")
    await make_competitor(name="ТОВ «Конкурент»", external_id="К-001")
    await make_counterparty(client, external_id="К-0042")


async def import_history() -> None:
    await import_deal_history("deals", fixture("deals_1c_cp1251.csv"))
    await import_deal_history("stage-log", fixture("deals_stage_log_cp1251.csv"))
    await import_deal_history("interactions", fixture("deals_interactions_cp1251.csv"))


async def assert_log_consistent(deal: Deal) -> None:
    """The invariants of services.pipeline (see test_pipeline_stage_log_property)."""
    stages = await stages_in_order(deal.kind_id)
    position = {stage.id: index for index, stage in enumerate(stages)}
    rows = sorted(await DealStageLog.filter(deal_id=deal.id), key=lambda r: position[r.stage_id])
    assert len({row.stage_id for row in rows}) == len(rows)
    assert rows and rows[-1].stage_id == deal.stage_id
    current = [row for row in rows if row.result == StageResult.CURRENT]
    assert len(current) == (1 if deal.status == DealStatus.OPEN else 0)
    for row in rows:
        assert (row.left_at is None) == (row.result == StageResult.CURRENT)
        assert row.left_at is None or row.entered_at <= row.left_at
        assert row.potential_minor == deal.potential_minor
    for earlier, later in itertools.pairwise(rows):
        assert earlier.left_at is not None and earlier.left_at <= later.entered_at
        assert earlier.result == StageResult.PASSED
    final = {DealStatus.OPEN: "current", DealStatus.WON: "passed", DealStatus.LOST: "lost"}
    assert rows[-1].result.value == final[deal.status]


async def test_a_1c_history_is_imported_whole_and_a_second_run_changes_nothing(db, frozen_clock):
    await master_data()

    deals = await import_deal_history("deals", fixture("deals_1c_cp1251.csv"))
    log = await import_deal_history("stage-log", fixture("deals_stage_log_cp1251.csv"))
    talks = await import_deal_history("interactions", fixture("deals_interactions_cp1251.csv"))

    assert (deals.rows, deals.created, deals.updated) == (3, 3, 0)
    # the deals file logged each deal at its stage, the stages before it as skipped (as a jump
    # does); the log file brought the real dates of every one of them
    assert (log.rows, log.created, log.updated, log.unchanged, log.removed) == (12, 0, 12, 0, 0)
    assert (talks.rows, talks.created) == (5, 5)
    won, lost, open_ = await Deal.all().order_by("id")
    assert (won.number, won.status, won.potential_minor) == ("00000101", DealStatus.WON, 125_000_00)
    assert won.counterparty_id is not None and won.source == "сайт"
    assert (lost.status, lost.potential_minor, lost.closed) == (DealStatus.LOST, 48_500_50, True)
    assert lost.loss_comment == "Конкурент дав знижку 7 %"
    assert open_.title == "Засоби захисту рослин; весна" and open_.ended_at is None
    assert (await Stage.get(id=open_.stage_id)).code == "negotiation"
    winner = await DealParticipant.get(deal_id=lost.id, won_the_deal=True).prefetch_related(
        "partner"
    )
    assert winner.partner.external_id == "К-001"
    for deal in (won, lost, open_):
        await assert_log_consistent(deal)
    skipped = await DealStageLog.get(deal_id=won.id, skipped=True).prefetch_related("stage")
    assert skipped.stage.code == "negotiation"
    # the done interactions moved the deals' last activity; the planned one did not
    assert (await Deal.get(id=won.id)).last_activity_at.isoformat().startswith("2026-03-06T13")
    assert await Interaction.filter(done=False).count() == 1

    events = await DealEvent.all().count()
    again = [
        await import_deal_history("deals", fixture("deals_1c_cp1251.csv")),
        await import_deal_history("stage-log", fixture("deals_stage_log_cp1251.csv")),
        await import_deal_history("interactions", fixture("deals_interactions_cp1251.csv")),
    ]

    assert [(r.created, r.updated, r.unchanged) for r in again] == [
        (0, 0, 3),
        (0, 0, 12),
        (0, 0, 5),
    ]
    assert await DealEvent.all().count() == events  # nothing was written at all
    assert await Interaction.all().count() == 5

    # the file is each named deal's whole log: a row it no longer has is removed
    lines = fixture("deals_stage_log_cp1251.csv").decode("cp1251").splitlines(keepends=True)
    without_skip = "".join(line for line in lines if "00000101;negotiation" not in line)
    fewer = await import_deal_history("stage-log", without_skip.encode("cp1251"))

    assert (fewer.rows, fewer.updated, fewer.unchanged, fewer.removed) == (11, 0, 11, 1)
    assert not await DealStageLog.filter(deal_id=won.id, skipped=True).exists()
    await assert_log_consistent(won)


async def test_a_later_file_moves_and_closes_deals_keeping_the_log_consistent(db, frozen_clock):
    await master_data()
    await import_history()
    text = fixture("deals_1c_cp1251.csv").decode("cp1251")
    # 1C a week later: the open deal is won at "payment", the won one went back to "contact"
    # (reopened), the lost one is lost one stage earlier.
    text = text.replace(
        "00000103;simple_deal;negotiation;", "00000103;simple_deal;payment;"
    ).replace(";відкрита;o.koval@firm.ua;П-0042;;310000,00;UAH;01.11.2026 11:00:00;;",
              ";виграна;o.koval@firm.ua;П-0042;;310000,00;UAH;01.11.2026 11:00:00;"
              "26.11.2026 18:00:00;")  # fmt: skip
    text = text.replace("00000101;simple_deal;payment;Поставка добрив;виграна;", "00000101;"
                        "simple_deal;contact;Поставка добрив;відкрита;")  # fmt: skip
    text = text.replace(";20.03.2026 16:30:00;;;;;сайт", ";;;;;;сайт")
    text = text.replace("00000102;simple_deal;proposal;", "00000102;simple_deal;contact;")

    report = await import_deal_history("deals", text.encode("cp1251"))

    assert (report.created, report.updated, report.unchanged) == (0, 3, 0)
    won, lost, open_ = await Deal.all().order_by("id").prefetch_related("stage")
    assert (won.status, won.stage.code, won.ended_at) == (DealStatus.OPEN, "contact", None)
    assert (lost.status, lost.stage.code) == (DealStatus.LOST, "contact")
    assert (open_.status, open_.stage.code) == (DealStatus.WON, "payment")
    for deal in (won, lost, open_):
        await assert_log_consistent(deal)
    row = await DealStageLog.get(deal_id=open_.id, stage__code="payment")
    assert row.left_at == open_.ended_at
    assert await DealStageLog.filter(deal_id=won.id).count() == 2  # later rows went, as 1C does
    assert await DealParticipant.filter(deal_id=lost.id, won_the_deal=True).count() == 1
    assert {e.action for e in await DealEvent.filter(deal_id=open_.id)} >= {"import_updated"}


async def test_bad_deals_are_all_reported_by_line_and_field_and_nothing_is_written(
    db, frozen_clock
):
    await master_data()
    bad = (
        "Номер;Вид угоди;Етап;Назва;Стан;Відповідальний;Код партнера;Початок;Завершення;"
        "Причина програшу\n"
        "D1;no_such_kind;;Угода;відкрита;o.koval@firm.ua;П-0042;01.11.2026;;\n"
        "D2;simple_deal;closing;Угода;відкрита;o.koval@firm.ua;П-0042;01.11.2026;;\n"
        "D3;simple_deal;new;Угода;відкрита;nobody@firm.ua;П-0042;01.11.2026;;\n"
        "D4;simple_deal;new;Угода;виграна;o.koval@firm.ua;П-0042;10.11.2026;01.11.2026;\n"
        "D5;simple_deal;new;Угода;програна;o.koval@firm.ua;П-0042;01.11.2026;02.11.2026;\n"
        "D1;simple_deal;new;Дубль;відкрита;o.koval@firm.ua;П-0042;01.11.2026;;\n"
        "D7;simple_deal;new;Угода;відкрита;p.sydorenko@firm.ua;П-0042;01.11.2026;;\n"
        "D8;simple_deal;new;Угода;відкрита;o.koval@firm.ua;П-9999;01.11.2036;;\n"
    ).encode("cp1251")

    with pytest.raises(ImportFailed) as caught:
        await import_deal_history("deals", bad)

    found = {
        (p.line, p.field, p.error.params.get("reason")) for p in caught.value.params["problems"]
    }
    assert found == {
        (2, "kind", "unknown_reference"),
        (3, "stage", "unknown_reference"),
        (4, "owner", "unknown_reference"),
        (5, "ended_at", "before_start"),
        (6, "loss_reason", "required_when_lost"),
        (7, "number", "duplicate_in_file"),
        (8, "owner", "inactive"),
        (9, "partner", "unknown_reference"),
        (9, "started_at", "too_far_future"),
    }
    assert await Deal.all().count() == 0


async def test_an_inconsistent_stage_log_is_reported_per_line_and_nothing_is_written(
    db, frozen_clock
):
    await master_data()
    await import_deal_history("deals", fixture("deals_1c_cp1251.csv"))
    before = sorted(
        await DealStageLog.all().values_list("deal_id", "stage_id", "entered_at", "left_at")
    )
    bad = (
        "Угода;Етап;Початок етапу;Завершення етапу;Результат\n"
        # the won deal: a second current row, and a row left before it was entered
        "00000101;new;02.03.2026 10:00;03.03.2026 09:00;поточний\n"
        "00000101;contact;03.03.2026 09:00;02.03.2026 09:00;пройдено\n"
        "00000101;payment;10.03.2026 12:00;20.03.2026 16:30;пройдено\n"
        # the lost deal: its stage is "proposal", the log goes beyond it
        "00000102;proposal;16.03.2026 11:00;25.03.2026 12:00;програно\n"
        "00000102;payment;25.03.2026 12:00;25.03.2026 12:00;пройдено\n"
        # the open deal: current row at another stage than the deal's, rows out of order
        "00000103;new;01.11.2026 11:00;15.11.2026 10:00;пройдено\n"
        "00000103;contact;05.11.2026 10:00;;поточний\n"
        "00000103;negotiation;20.11.2026 14:00;;поточний\n"
        "00000103;contact;05.11.2026 10:00;06.11.2026 10:00;пройдено\n"
        "00000999;new;05.11.2026 10:00;06.11.2026 10:00;пройдено\n"
        "00000101;closing;05.11.2026 10:00;06.11.2026 10:00;пройдено\n"
    ).encode("cp1251")

    with pytest.raises(ImportFailed) as caught:
        await import_deal_history("stage-log", bad)

    found = {
        (p.line, p.field, p.error.params.get("reason")) for p in caught.value.params["problems"]
    }
    assert {
        (2, "result", "must_be_passed"),
        (3, "left_at", "before_entered"),
        (6, "stage", "after_deal_stage"),
        (10, "stage", "duplicate_in_file"),
        (11, "deal", "unknown_reference"),
        (12, "stage", "unknown_reference"),
    } <= found
    after = sorted(
        await DealStageLog.all().values_list("deal_id", "stage_id", "entered_at", "left_at")
    )
    assert after == before


async def test_an_open_deals_log_needs_its_current_row_at_the_deals_stage(db, frozen_clock):
    await master_data()
    await import_deal_history("deals", fixture("deals_1c_cp1251.csv"))
    bad = (
        "Угода;Етап;Початок етапу;Завершення етапу\n"
        "00000103;new;01.11.2026 11:00;15.11.2026 10:00\n"
        "00000103;contact;05.11.2026 10:00;\n"
    ).encode()

    with pytest.raises(ImportFailed) as caught:
        await import_deal_history("stage-log", bad)

    found = {
        (p.line, p.field, p.error.params.get("reason")) for p in caught.value.params["problems"]
    }
    assert found == {
        (3, "entered_at", "before_previous_left"),
        (3, "result", "must_be_passed"),
        (2, "stage", "no_deal_stage_row"),
    }
