"""Reading the files 1C and spreadsheets produce: encodings, delimiters, headers, XLSX."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.errors import ImportFailed
from core.i18n import translate_error
from models import ContactInfo, ContactPerson, Partner, Segment
from services.exchange import import_master_data
from tests.factories import make_employee, make_partner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


async def _phones(partner: Partner) -> list[str]:
    return list(
        await ContactInfo.filter(partner=partner, kind="phone")
        .order_by("-is_primary", "id")
        .values_list("normalized", flat=True)
    )


async def _segments(partner: Partner) -> set[str]:
    return set(await Segment.filter(partners__id=partner.id).values_list("name", flat=True))


def _problems(error: pytest.ExceptionInfo[ImportFailed]) -> list[tuple[int | None, str | None]]:
    return [(p.line, p.field) for p in error.value.params["problems"]]


async def test_1c_file_in_windows_1251_with_ukrainian_headers_is_imported(db):
    manager = await make_employee(full_name="Олена Коваль", email="O.Koval@firm.ua")
    data = (FIXTURES / "partners_1c_cp1251.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really windows-1251

    report = await import_master_data("partners", data, filename="partners.csv")

    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    group = await Partner.get(external_id="Г-001")
    south = await Partner.get(external_id="П-0042")
    person = await Partner.get(external_id="П-0043")
    assert group.name == "Група «Агросвіт»" and group.is_group and group.is_client
    assert south.name == "ТОВ «Агросвіт-Південь»"
    assert (south.is_client, south.is_supplier, south.is_competitor) == (True, True, False)
    assert south.parent_id == group.id
    assert south.main_manager_id == manager.id  # by e-mail, whatever its case
    assert person.main_manager_id == manager.id  # by full name
    assert await _phones(south) == ["+380671234567"]
    assert await _phones(person) == ["+380442345678"]
    assert await _segments(south) == {"Опт"}
    assert person.is_person and not person.is_group
    assert person.comment == "Оплата після відвантаження; знижка 5%"


async def test_utf8_with_bom_comma_delimiter_and_english_headers(db):
    data = (FIXTURES / "partners_utf8_bom_comma.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")

    report = await import_master_data("partners", data)

    assert report.created == 3
    alfa = await Partner.get(external_id="A-1")
    assert alfa.name == "Alfa Trade, LLC"
    assert alfa.is_client and alfa.is_supplier
    assert alfa.parent_id == (await Partner.get(external_id="G-1")).id
    assert await _phones(alfa) == ["+380671234567", "+380442345678"]
    assert await _segments(alfa) == {"Опт", "VIP"}
    assert alfa.comment == "Line one\nline two"
    assert (await Partner.get(external_id="B-2")).is_competitor


async def test_excel_sep_hint_line_sets_the_delimiter_and_keeps_line_numbers(db):
    data = 'sep=,\r\nКод,Найменування\r\nA,"Альфа; Бета"\r\nB,\r\n'.encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    assert _problems(error) == [(4, "name")]
    await import_master_data("partners", data.replace(b"B,", b"B,Bravo"))
    assert (await Partner.get(external_id="A")).name == "Альфа; Бета"


async def test_xlsx_cells_with_numbers_and_dates_are_read_as_text(db):
    await make_partner(external_id="П-1", name="ТОВ Альфа")
    book = Workbook()
    sheet = book.active
    sheet.append(["Код", "Код партнера", "ПІБ", "Телефони", "Дата народження"])
    sheet.append([101, "П-1", "Іваненко Марія", 380501112233, dt.datetime(1985, 3, 12)])
    buffer = io.BytesIO()
    book.save(buffer)

    report = await import_master_data("contacts", buffer.getvalue(), filename="contacts.xlsx")

    assert report.created == 1
    contact = await ContactPerson.get(external_id="101")
    assert contact.full_name == "Іваненко Марія"
    assert contact.birthday == dt.date(1985, 3, 12)
    phones = await ContactInfo.filter(contact=contact).values_list("normalized", flat=True)
    assert list(phones) == ["+380501112233"]


async def test_a_file_in_another_encoding_is_refused_with_one_clear_problem(db):
    data = "Код;Найменування\nA;Альфа\n".encode("utf-16")

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    (problem,) = error.value.params["problems"]
    assert problem.field == "file"
    assert "neither UTF-8 nor windows-1251" in translate_error(problem.error, "en")
    assert await Partner.all().count() == 0


async def test_an_old_binary_xls_is_refused(db):
    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)

    assert error.value.params["problems"][0].error.params["reason"] == "old_xls"


async def test_missing_required_columns_are_named_in_one_message(db):
    data = "Телефони;Коментар\n067 123 45 67;x\n".encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    (problem,) = error.value.params["problems"]
    assert problem.line == 1
    from services.exchange_i18n import merge_into_core

    merge_into_core()
    message = translate_error(problem.error, "en")
    assert "external_id / Код" in message and "name / Найменування" in message


async def test_unknown_columns_are_ignored_and_named(db):
    data = "Код;Найменування;Вага, кг;\nA;Альфа;12;\n".encode()

    report = await import_master_data("partners", data)

    assert report.created == 1
    assert report.ignored_columns == ("Вага, кг",)


async def test_a_row_with_more_cells_than_the_header_is_reported(db):
    data = "Код;Найменування\nA;ТОВ; Альфа\nB;Бета\n".encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    assert _problems(error) == [(2, "file")]
    assert await Partner.all().count() == 0


async def test_two_columns_for_the_same_field_are_reported(db):
    data = "Код;Найменування;Назва\nA;Альфа;Альфа\n".encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    assert _problems(error) == [(1, "column")]


async def test_an_empty_file_is_refused(db):
    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", b"\xef\xbb\xbf\r\n;;\r\n")

    assert error.value.params["problems"][0].error.params["reason"] == "empty_file"
