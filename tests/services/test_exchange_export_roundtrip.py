"""Export as CSV / JSON / XLSX, and an exported file imported back changes nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models import ContactPerson, Counterparty, Partner
from services import partners
from services.exchange import export_master_data, import_master_data
from tests.factories import make_employee
from tests.sql_count import count_queries

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
KINDS = ("partners", "counterparties", "contacts")


async def _import_fixtures() -> None:
    await make_employee(full_name="Олена Коваль", email="o.koval@firm.ua")
    await import_master_data("partners", (FIXTURES / "partners_1c_cp1251.csv").read_bytes())
    await import_master_data("counterparties", (FIXTURES / "counterparties.csv").read_bytes())
    await import_master_data("contacts", (FIXTURES / "contacts.csv").read_bytes())


async def _records_made_in_the_crm() -> None:
    """A partner with a counterparty and a contact, all without external ids."""
    group = await Partner.get(external_id="Г-001")
    own = await partners.create_partner(
        name="Власна «Фірма»", is_supplier=True, parent_id=group.id, segments=["Опт", "Нові"],
        phones=["0441112233"], emails=["Office@Own.ua"], comment="рядок 1\nрядок 2",
    )  # fmt: skip
    await partners.create_counterparty(
        partner_id=own.id, name="ФОП Власний", legal_form="individual", rnokpp="2987654320"
    )
    await partners.create_contact(partner_id=own.id, full_name="Бойко Ігор", roles=["ЛПР"])


async def test_csv_is_utf8_with_bom_and_semicolons_with_ukrainian_headers(db):
    await _import_fixtures()

    exported = await export_master_data("partners", "csv", locale="uk")

    assert exported.count == 3
    assert exported.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Код", "Найменування", "Ролі"]
    south = next(row for row in rows if row[0] == "П-0042")
    assert south[1] == "ТОВ «Агросвіт-Південь»"
    assert south[2] == "клієнт, постачальник"
    assert "o.koval@firm.ua" in south


async def test_english_headers_and_codes_for_an_english_crm(db):
    await _import_fixtures()

    exported = await export_master_data("counterparties", "csv", locale="en")

    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert {row["legal_form"] for row in rows} == {"legal_entity", "entrepreneur"}
    assert "tax_id" not in rows[0]  # an import-only column


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("locale", ["uk", "en"])
async def test_an_export_imported_back_reports_everything_unchanged(db, fmt, locale):
    await _import_fixtures()
    await _records_made_in_the_crm()
    counts = {kind: await model.all().count() for kind, model in
              zip(KINDS, (Partner, Counterparty, ContactPerson), strict=True)}  # fmt: skip

    for kind in KINDS:
        exported = await export_master_data(kind, fmt, locale=locale)
        report = await import_master_data(kind, exported.data, filename=exported.filename)

        assert (report.created, report.updated, report.unchanged) == (0, 0, counts[kind]), kind
        assert report.ignored_columns == ()


async def test_xlsx_export_keeps_codes_as_text(db):
    await _import_fixtures()

    exported = await export_master_data("counterparties", "xlsx", locale="uk")

    sheet = load_workbook(io.BytesIO(exported.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Код", "Код партнера")
    edrpou = rows[0].index("ЄДРПОУ")
    assert rows[1][edrpou] == "00032129"  # not the number 32129
    assert exported.filename.endswith(".xlsx")


async def test_records_without_an_external_id_are_exported_as_crm_references(db):
    await _import_fixtures()
    await _records_made_in_the_crm()
    own = await Partner.get(name="Власна «Фірма»")

    exported = await export_master_data("contacts", "json")

    records = json.loads(exported.data)
    boiko = next(r for r in records if r["full_name"] == "Бойко Ігор")
    assert boiko["external_id"].startswith("crm:")
    assert boiko["partner_external_id"] == f"crm:{own.id}"
    maria = next(r for r in records if r["external_id"] == "КО-1")
    assert maria["birthday"] == "1985-03-12"
    assert maria["phones"] == ["+380 50 111 2233"]
    assert maria["roles"] == ["бухгалтер"]


async def _partners_file(n: int) -> bytes:
    rows = "".join(
        f"P{i};Партнер {i};клієнт;G;+38067{i:07d};p{i}@example.com;Опт\n" for i in range(1, n + 1)
    )
    header = "Код;Найменування;Ролі;Код групи;Телефони;Електронна пошта;Сегменти\n"
    return f"{header}G;Група;;;;;\n{rows}".encode()


async def test_export_and_unchanged_import_need_as_many_queries_for_30_rows_as_for_3(
    db, monkeypatch
):
    queries: dict[int, tuple[int, int]] = {}
    for n in (3, 30):
        await Partner.all().delete()
        data = await _partners_file(n)
        await import_master_data("partners", data)
        seen = count_queries(monkeypatch)

        await export_master_data("partners", "xlsx")
        exported = len(seen)
        report = await import_master_data("partners", data)
        queries[n] = (exported, len(seen) - exported)
        monkeypatch.undo()

        assert report.unchanged == n + 1
    assert queries[3] == queries[30]
    assert min(queries[3]) >= 2  # really counted: a few queries each, not none
