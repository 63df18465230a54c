"""`crm import deals|stage-log|interactions` and `crm export deals|stage-log|interactions|tasks`:
a 1C history in windows-1251 comes back out row for row, an export (CSV or XLSX) imported back
changes nothing, and a bad file writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from core import clock
from core.config import get_settings
from models import Deal, DealStageLog, Interaction, LossReason, Stage, Task
from models.base import TaskStatus
from services.deals import mark_lost, mark_won, switch_to_manual
from services.exchange_files import read_table
from services.interactions import log_interaction
from services.pipeline import move_to_stage
from services.tasks import complete_task, create_assignment
from tests.cli.conftest import crm_run, run_in_db
from tests.factories import (
    load_default_kinds,
    make_competitor,
    make_counterparty,
    make_deal,
    make_employee,
    make_partner,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
HISTORY = (
    ("deals", "deals_1c_cp1251.csv"),
    ("stage-log", "deals_stage_log_cp1251.csv"),
    ("interactions", "deals_interactions_cp1251.csv"),
)


@pytest.fixture
def frozen():
    clock.freeze(NOW)
    yield NOW
    clock.unfreeze()


@pytest.fixture
def ukrainian(monkeypatch):
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "uk")
    get_settings.cache_clear()


async def master_data() -> None:
    await load_default_kinds()
    await make_employee(full_name="Олена Коваль", email="o.koval@firm.ua")
    await make_employee(full_name="Петро Сидоренко", email="p.sydorenko@firm.ua", active=False)
    client = await make_partner(name="ТОВ «Агросвіт-Південь»", external_id="П-0042")
    await make_partner(name="ФОП Петренко", external_id="П-0043")
    await make_competitor(name="ТОВ «Конкурент»", external_id="К-001")
    await make_counterparty(client, external_id="К-0042")


def rows_of(data: bytes, skip_first_column: bool = False) -> list[tuple[str, ...]]:
    table = read_table(data)
    cut = 1 if skip_first_column else 0
    return [table.headers[cut:], *(row.cells[cut:] for row in table.rows)]


def test_a_1c_history_in_windows_1251_is_exported_back_row_for_row(
    database_url, frozen, ukrainian, tmp_path, monkeypatch
):
    run_in_db(database_url, master_data)

    for kind, name in HISTORY:
        result = crm_run("import", kind, str(FIXTURES / name))
        assert result.exit_code == 0, result.output

    assert run_in_db(database_url, lambda: Deal.all().count()) == 3
    assert run_in_db(database_url, lambda: DealStageLog.all().count()) == 12
    for kind, name in HISTORY:
        out = tmp_path / f"{kind}.csv"
        exported = crm_run("export", kind, "--format", "csv", "--out", str(out))
        assert exported.exit_code == 0, exported.output
        source = (FIXTURES / name).read_bytes()
        # interactions have no external id in the CRM: the export names them crm:<id>
        skip = kind == "interactions"
        assert rows_of(out.read_bytes(), skip) == rows_of(source, skip), kind
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    again = [crm_run("import", kind, str(FIXTURES / name)) for kind, name in HISTORY]
    assert [r.stdout.splitlines()[1] for r in again] == [
        "Created: 0, updated: 0, unchanged: 3.",
        "Created: 0, updated: 0, unchanged: 12.",
        "Created: 0, updated: 0, unchanged: 5.",
    ]


async def services_history() -> None:
    """A history made in the CRM itself: a guided deal on its route with tasks and an
    assignment, a won and a lost manual deal, interactions."""
    await master_data()
    manager = await make_employee(full_name="Ірина Мельник", email="i.melnyk@firm.ua")
    checker = await make_employee(full_name="Ігор Бондар")
    client = await make_partner(name="ТОВ «Зерно»")
    with clock.simulated(NOW - dt.timedelta(days=10, hours=3, seconds=7, microseconds=1234)):
        guided = await make_deal(kind_code="typical_sale", owner=manager, partner=client)
        await log_interaction(
            kind="call", owner_id=manager.id, deal_id=guided.id, subject="Дзвінок",
            starts_at=clock.now(), direction="outgoing",
        )  # fmt: skip
    with clock.simulated(NOW - dt.timedelta(days=9, minutes=13)):
        task = await Task.get(deal_id=guided.id, status=TaskStatus.OPEN)
        await complete_task(task.id, "поговорили", actor_id=manager.id)
        first = await create_assignment(
            title="Звірка", performer_id=manager.id, checker_id=checker.id,
            due_at=NOW, deal_id=guided.id,
        )  # fmt: skip
        await complete_task(first.id, "", actor_id=manager.id)
    with clock.simulated(NOW - dt.timedelta(days=30)):
        won = await make_deal(kind_code="simple_deal", owner=manager, partner=client)
        lost = await make_deal(kind_code="typical_sale", owner=manager, partner=client)
        await switch_to_manual(lost.id, actor_id=manager.id)
        await move_to_stage(lost.id, (await Stage.get(code="offer")).id, actor_id=manager.id)
        await move_to_stage(won.id, (await Stage.get(code="proposal")).id, actor_id=manager.id)
    with clock.simulated(NOW - dt.timedelta(days=20, seconds=1)):
        await mark_won(won.id, actor_id=manager.id)
        rival = await make_competitor(name="ТОВ «Суперник»")
        reason = await LossReason.get(code="lost_to_competitor")
        await mark_lost(lost.id, reason.id, actor_id=manager.id, competitor_partner_id=rival.id)
    await log_interaction(
        kind="planned", owner_id=manager.id, partner_id=client.id, done=False,
        starts_at=NOW + dt.timedelta(days=3), subject="Планова зустріч",
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imported_back_reports_every_row_unchanged(database_url, frozen, tmp_path, fmt):
    run_in_db(database_url, services_history)
    counts = {
        "deals": run_in_db(database_url, lambda: Deal.all().count()),
        "stage-log": run_in_db(database_url, lambda: DealStageLog.all().count()),
        "interactions": run_in_db(database_url, lambda: Interaction.all().count()),
    }

    for kind in ("deals", "stage-log", "interactions"):
        out = tmp_path / f"{kind}.{fmt}"
        exported = crm_run("export", kind, "--format", fmt, "--out", str(out))
        assert exported.exit_code == 0, exported.output
        result = crm_run("import", kind, str(out))
        assert result.exit_code == 0, result.output
        assert f"Created: 0, updated: 0, unchanged: {counts[kind]}." in result.stdout, result.stdout


def test_json_and_tasks_exports(database_url, frozen, tmp_path):
    run_in_db(database_url, services_history)

    deals = crm_run("export", "deals", "--format", "json")
    tasks = crm_run("export", "tasks", "--format", "json")
    log = crm_run("export", "stage-log", "--format", "json")

    assert deals.exit_code == tasks.exit_code == log.exit_code == 0
    by_status = {d["status"]: d for d in json.loads(deals.stdout)}
    assert by_status["lost"]["loss_reason"] == "lost_to_competitor"
    assert by_status["lost"]["competitor"].startswith("crm:")
    assert by_status["won"]["ended_at"] == "2026-11-07T08:59:59+00:00"
    assert by_status["open"]["potential"] == "0.00"
    steps = [(t["step"], t["status"], t["checker"]) for t in json.loads(tasks.stdout) if t["step"]]
    assert steps == [("execute", "done", "Ігор Бондар"), ("check", "open", "Ігор Бондар")]
    rows = json.loads(log.stdout)
    assert {"deal", "stage", "entered_at", "left_at", "result", "skipped"} == set(rows[0])


def test_a_bad_history_file_exits_non_zero_lists_every_problem_and_writes_nothing(
    database_url, frozen, tmp_path
):
    run_in_db(database_url, master_data)
    crm_run("import", "deals", str(FIXTURES / "deals_1c_cp1251.csv"))
    bad = tmp_path / "log.csv"
    bad.write_text(
        "Угода;Етап;Початок етапу;Завершення етапу;Результат\n"
        "00000103;new;01.11.2026 11:00;05.11.2026 10:00;пройдено\n"
        "00000103;negotiation;04.11.2026 10:00;;поточний\n"
        "00000101;payment;10.03.2026 12:00;09.03.2026 16:30;пройдено\n"
        "00000102;proposal;16.03.2026 11:00;25.03.2026 12:00;поточний\n",
        encoding="cp1251",
    )
    before = run_in_db(database_url, lambda: DealStageLog.all().values_list("id", "entered_at"))

    result = crm_run("import", "stage-log", str(bad))

    assert result.exit_code == 1
    assert "nothing was changed: 4 problems found." in result.stderr
    assert (
        "Line 3: Entered the stage: is earlier than the previous stage new was left "
        "(05.11.2026 10:00:00)" in result.stderr
    )
    assert "Line 4: Left the stage: is earlier than the stage was entered" in result.stderr
    assert (
        'Line 5: Left the stage: must be empty for the current stage ("25.03.2026 12:00:00")'
        in result.stderr
    )
    assert "Line 5: Result: must be lost: the deal is lost at this stage" in result.stderr
    after = run_in_db(database_url, lambda: DealStageLog.all().values_list("id", "entered_at"))
    assert sorted(after) == sorted(before)
