"""`crm report`: every format from a real database file (or PostgreSQL), the same figures as
the service, the viewer's scope, and errors as one sentence."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli.main import crm
from core.config import get_settings
from core.db import close_orm, init_orm
from tests.analytics_data import generate
from tests.conftest import PG_URL, _drop_pg_database, fresh_db_url


async def _create_pg_database(url: str) -> None:
    import asyncpg

    base, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(base.replace("asyncpg://", "postgresql://") + "/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def run_in_db(url: str, coro_factory):
    async def main():
        await init_orm(db_url=url)
        try:
            return await coro_factory()
        finally:
            await close_orm()

    return asyncio.run(main())


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory):
    """A SQLite file migrated by `crm db migrate` and filled with generated data, once."""
    if PG_URL:
        return None
    path = tmp_path_factory.mktemp("reports") / "crm.sqlite3"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_DATABASE_URL", f"sqlite://{path}")
        get_settings.cache_clear()
        result = CliRunner().invoke(crm, ["db", "migrate"])
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    ds = run_in_db(f"sqlite://{path}", lambda: generate(seed=61, deals=300))
    return path, ds


@pytest.fixture
def database(tmp_path, monkeypatch, seeded_template, frozen_clock):
    """(url, dataset ids): a migrated database with 300 generated deals."""
    if PG_URL:
        url = fresh_db_url()
        asyncio.run(_create_pg_database(url))
        monkeypatch.setenv("CRM_DATABASE_URL", url)
        get_settings.cache_clear()
        CliRunner().invoke(crm, ["db", "migrate"])
        ds = run_in_db(url, lambda: generate(seed=61, deals=300))
    else:
        path, ds = seeded_template
        shutil.copy(path, tmp_path / "crm.sqlite3")
        url = f"sqlite://{tmp_path / 'crm.sqlite3'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    yield url, ds
    get_settings.cache_clear()
    if PG_URL:
        asyncio.run(_drop_pg_database(url))


def invoke(*args: str):
    return CliRunner().invoke(crm, ["report", *args])


def test_list_names_every_report(database):
    result = invoke("--list")
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.output.splitlines()[1:]]
    mine = ["funnel", "forecast", "lost", "managers", "execution"]
    assert [n for n in names if n in mine] == mine
    assert "Sales funnel" in result.output


def test_json_has_the_services_figures(database):
    url, _ = database
    result = invoke("funnel", "--from", "01.01.2026", "--to", "30.09.2026", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["period"] == {"from": "2026-01-01", "to": "2026-09-30"}

    async def direct():
        import datetime as dt

        from services.analytics import ReportParams, run_report

        return (await run_report("funnel", ReportParams(
            date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 9, 30)))).data

    data = run_in_db(url, direct)
    stages = [s for kind in payload["data"]["kinds"] for s in kind["stages"]]
    assert [(s["stage_id"], s["reached"], s["passed"], s["lost_minor"]) for s in stages] == [
        (s.stage_id, s.reached, s.passed, s.lost_minor) for k in data.kinds for s in k.stages]
    assert isinstance(stages[0]["reached_minor"], int)  # money in minor units
    assert payload["tables"][0]["rows"][0]["stage"] == data.kinds[0].stages[0].name.en


def test_text_in_ukrainian_shows_money_and_dates_for_people(database):
    result = invoke("forecast", "--locale", "uk")
    assert result.exit_code == 0, result.output
    assert "грн" in result.output
    assert "27.11.2026" in result.output  # today, as DD.MM.YYYY
    assert "\u00a0" in result.output  # 1 234 567,89 грн keeps together


def test_json_carries_the_derived_figures(database):
    result = invoke("managers", "--from", "01.06.2026", "--to", "31.08.2026", "--format", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)["data"]["rows"][0]
    current = row["current"]
    assert current["deal_efficiency"] == pytest.approx(
        current["won"] / (current["won"] + current["lost"]))
    assert current["profit_minor"] == current["sales_minor"] - current["cost_minor"]


def test_xlsx_file_has_typed_cells(database, tmp_path):
    out = tmp_path / "managers.xlsx"
    result = invoke("managers", "--compare", "year", "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames[:2] == ["Summary", "Managers"]
    sheet = book["Managers"]
    header = [c.value for c in sheet[1]]
    sales = header.index("Sales") + 1
    assert sheet.cell(row=1, column=1).value == "Manager"
    assert isinstance(sheet.cell(row=2, column=sales).value, int | float)
    assert sheet.cell(row=2, column=sales).number_format == "#,##0.00"


def test_csv_is_for_excel(database):
    result = CliRunner().invoke(crm, ["report", "lost", "--from", "01.01.2025", "--format",
                                      "csv"])
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Loss reasons"]
    assert rows[1][:2] == ["Loss reason", "Deals"]


def test_png_chart_to_a_file(database, tmp_path):
    out = tmp_path / "execution.png"
    result = invoke("execution", "--format", "png", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_as_a_manager_sees_own_deals_only(database):
    _, ds = database
    everyone = json.loads(invoke("forecast", "--format", "json", "-o", "deals=1000").output)
    owners = {d["owner_id"] for d in everyone["data"]["deals"]}
    me = next(m for m in ds.managers if m in owners)
    other = next(m for m in ds.managers if m != me)
    result = invoke("forecast", "--as", str(me), "--format", "json", "-o", "deals=1000")
    assert result.exit_code == 0, result.output
    owners = {d["owner_id"] for d in json.loads(result.output)["data"]["deals"]}
    assert owners == {me}
    refused = invoke("forecast", "--as", str(me), "--manager", str(other))
    assert refused.exit_code == 1
    assert refused.output == "You do not have access to this.\n"


def test_bad_input_is_one_sentence(database):
    bad_date = invoke("funnel", "--from", "31.02.2026")
    assert bad_date.exit_code == 1
    assert "Traceback" not in bad_date.output and "DD.MM.YYYY" in bad_date.output
    unknown = invoke("pipeline-health")
    assert (unknown.exit_code, unknown.output) == (1, "pipeline-health not found.\n")
    no_kind = invoke("funnel", "--kind", "nonexistent")
    assert (no_kind.exit_code, no_kind.output) == (1, "nonexistent not found.\n")
    assert invoke("funnel", "-o", "threshold").exit_code == 2
