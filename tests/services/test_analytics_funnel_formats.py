"""The report registry and the formats every report is rendered in, shown on the funnel:
text for a phone, JSON with minor units, CSV for Excel, XLSX with typed cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from core.errors import NotFound
from services.analytics import (
    ReportParams,
    get_report,
    list_reports,
    register_report,
    render_chart,
    run_report,
)
from services.analytics.export import render
from tests.analytics_data import add_deal, generate

UTC = dt.UTC
D = dt.date


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def test_registry_finds_every_module_without_editing_the_package():
    names = [spec.name for spec in list_reports()]
    mine = ["funnel", "forecast", "lost", "managers", "execution"]
    assert [n for n in names if n in mine] == mine  # in the order
    for name in mine:
        spec = get_report(name)
        assert spec.chart and spec.title and spec.description
    with pytest.raises(NotFound):
        get_report("nope")


def test_registering_checks_names_and_duplicates():
    with pytest.raises(ValueError):
        register_report("Bad Name", title="x")

    async def other(params):  # pragma: no cover - never run
        return None

    with pytest.raises(ValueError):
        register_report("funnel", title="x")(other)


async def one_deal_funnel(db_ready) -> object:
    ds = await generate(seed=1, deals=0)
    await add_deal(ds, started_at=at("2026-06-01", 10), potential_minor=1_234_567_89, rows=[
        (0, at("2026-06-01", 10), at("2026-06-03", 22), "passed"),
        (1, at("2026-06-03", 22), None, "current"),
    ])
    return await run_report("funnel", ReportParams(date_from=D(2026, 6, 1),
                                                   date_to=D(2026, 6, 30)))


async def test_text_for_a_phone(db, frozen_clock):
    result = await one_deal_funnel(db)
    text = render(result, "text", "uk").decode()
    lines = text.splitlines()
    assert lines[0] == "Воронка продажу"
    assert lines[1] == "Період: 01.06.2026 – 30.06.2026"
    assert "1\u00a0234\u00a0567,89\u00a0грн" in text  # 1 234 567,89 грн, kept on one line
    assert "Первинний контакт" in text
    assert max(len(line) for line in lines) < 120
    english = render(result, "text", "en").decode()
    assert "1,234,567.89 UAH" in english and "First contact" in english


async def test_json_money_in_minor_units_and_names_in_both_languages(db, frozen_clock):
    result = await one_deal_funnel(db)
    payload = json.loads(render(result, "json", "en"))
    second = payload["data"]["kinds"][0]["stages"][1]
    assert second["current_minor"] == 1_234_567_89
    assert second["name"] == {"uk": "Кваліфікація клієнта", "en": "Qualification"}
    assert payload["data"]["kinds"][0]["stages"][0]["avg_days"] == 2.5
    row = payload["tables"][0]["rows"][1]
    assert row["stage"] == "Qualification" and row["current_minor"] == 1_234_567_89


async def test_csv_and_xlsx(db, frozen_clock):
    result = await one_deal_funnel(db)
    raw = render(result, "csv", "uk")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = rows[1]
    money = rows[3][header.index("Потенційна сума в роботі")]
    assert money == "1234567,89"

    book = load_workbook(io.BytesIO(render(result, "xlsx", "en")))
    assert book.sheetnames[0] == "Summary"
    sheet = book[book.sheetnames[1]]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=3, column=header.index("Potential in progress") + 1)
    assert float(cell.value) == pytest.approx(1_234_567.89)
    assert cell.number_format == "#,##0.00"
    rate = sheet.cell(row=2, column=header.index("Conversion") + 1)
    assert (rate.value, rate.number_format) == (1.0, "0.0%")


async def test_png_through_the_registry(db, frozen_clock):
    result = await one_deal_funnel(db)
    png = render_chart(get_report("funnel"), result, "uk")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert render(result, "png", "uk") == png
