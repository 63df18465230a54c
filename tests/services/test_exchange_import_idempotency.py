"""Import by external id: the same file twice changes nothing; changed rows update records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from models import ContactInfo, ContactPerson, Counterparty, Partner, Segment
from models.base import LegalForm
from services import partners
from services.exchange import import_master_data
from tests.factories import make_employee, make_partner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def _counts(report) -> tuple[int, int, int]:
    return report.created, report.updated, report.unchanged


async def _import_all_fixtures() -> list:
    await make_employee(full_name="Олена Коваль", email="o.koval@firm.ua")
    reports = []
    for kind, name in (
        ("partners", "partners_1c_cp1251.csv"),
        ("counterparties", "counterparties.csv"),
        ("contacts", "contacts.csv"),
    ):
        reports.append(await import_master_data(kind, (FIXTURES / name).read_bytes()))
    return reports


async def _snapshot() -> list:
    return [
        await Partner.all().order_by("id").values(),
        await Counterparty.all().order_by("id").values(),
        await ContactPerson.all().order_by("id").values(),
        await ContactInfo.all().order_by("id").values(),
        await Segment.all().order_by("id").values(),
    ]


async def test_importing_the_same_files_twice_changes_nothing_the_second_time(db):
    first = await _import_all_fixtures()
    assert [_counts(r) for r in first] == [(3, 0, 0), (2, 0, 0), (2, 0, 0)]
    before = await _snapshot()

    again = [
        await import_master_data("partners", (FIXTURES / "partners_1c_cp1251.csv").read_bytes()),
        await import_master_data("counterparties", (FIXTURES / "counterparties.csv").read_bytes()),
        await import_master_data("contacts", (FIXTURES / "contacts.csv").read_bytes()),
    ]

    assert [_counts(r) for r in again] == [(0, 0, 3), (0, 0, 2), (0, 0, 2)]
    assert await _snapshot() == before  # not even updated_at moved


async def test_the_imported_requisites_and_contacts_are_complete(db):
    await _import_all_fixtures()

    south = await Counterparty.get(external_id="К-0042")
    assert south.partner_id == (await Partner.get(external_id="П-0042")).id
    assert south.legal_form == LegalForm.LEGAL_ENTITY
    assert (south.edrpou, south.rnokpp, south.vat_number) == ("00032129", None, "000321226551")
    assert south.iban == "UA213223130000026007233566001"
    assert south.full_name.startswith("Товариство з обмеженою")
    fop = await Counterparty.get(external_id="К-0043")
    assert (fop.legal_form, fop.rnokpp, fop.edrpou) == (LegalForm.ENTREPRENEUR, "3184710691", None)
    maria = await ContactPerson.get(external_id="КО-1")
    assert maria.telegram_username == "m_ivanenko"
    assert maria.birthday == dt.date(1985, 3, 12)
    assert maria.roles == ["бухгалтер"]
    assert maria.position == "Головний бухгалтер"


async def test_changed_rows_are_updated_and_absent_columns_are_left_alone(db):
    await _import_all_fixtures()
    data = "Код;Телефони;Найменування\nП-0042;050 111 22 33, 067 123 45 67;ТОВ «Агросвіт-Південь»\n"

    report = await import_master_data("partners", data.encode())

    assert _counts(report) == (0, 1, 0)
    south = await Partner.get(external_id="П-0042")
    phones = await ContactInfo.filter(partner=south, kind="phone").order_by("-is_primary", "id")
    assert [p.normalized for p in phones] == ["+380501112233", "+380671234567"]
    assert south.is_supplier and south.parent_id is not None  # columns not in the file: kept
    assert {s.name for s in await Segment.filter(partners__id=south.id)} == {"Опт"}


async def test_an_empty_cell_clears_the_value(db):
    await _import_all_fixtures()
    data = (
        "Код;Найменування;Код групи;Основний менеджер;Сегменти\nП-0042;ТОВ «Агросвіт-Південь»;;;\n"
    )

    report = await import_master_data("partners", data.encode())

    assert _counts(report) == (0, 1, 0)
    south = await Partner.get(external_id="П-0042")
    assert (south.parent_id, south.main_manager_id) == (None, None)
    assert await Segment.filter(partners__id=south.id).count() == 0


async def test_parents_can_be_swapped_in_one_file(db):
    """B is A's child in the CRM; the file makes A B's child. Written naively (A first) the
    service would see a circle; the import clears B's parent before it sets A's."""
    a = await make_partner(external_id="A", name="Альфа")
    await make_partner(external_id="B", name="Бета", parent=a)

    report = await import_master_data(
        "partners", "Код;Найменування;Код групи\nA;Альфа;B\nB;Бета;\n".encode()
    )

    assert _counts(report) == (0, 2, 0)
    assert (await Partner.get(external_id="A")).parent_id == (await Partner.get(external_id="B")).id
    assert (await Partner.get(external_id="B")).parent_id is None


async def test_children_may_come_before_their_parent_in_the_file(db):
    data = "Код;Найменування;Код групи\nC;Онук;B\nB;Син;A\nA;Батько;\n"

    report = await import_master_data("partners", data.encode())

    assert report.created == 3
    c = await Partner.get(external_id="C").prefetch_related("parent__parent")
    assert (c.parent.external_id, c.parent.parent.external_id) == ("B", "A")


async def test_records_created_in_the_crm_are_matched_by_their_crm_reference(db):
    alfa = await partners.create_partner(name="ТОВ Альфа", is_client=True)

    report = await import_master_data(
        "partners", f"Код;Найменування;Ролі\ncrm:{alfa.id};ТОВ Альфа;клієнт, конкурент\n".encode()
    )

    assert _counts(report) == (0, 1, 0)
    assert await Partner.all().count() == 1
    alfa = await Partner.get(id=alfa.id)
    assert alfa.is_competitor and alfa.external_id is None


async def test_dry_run_counts_but_writes_nothing(db):
    await make_employee(full_name="Олена Коваль", email="o.koval@firm.ua")
    data = (FIXTURES / "partners_1c_cp1251.csv").read_bytes()

    report = await import_master_data("partners", data, dry_run=True)

    assert (report.dry_run, *_counts(report)) == (True, 3, 0, 0)
    assert await Partner.all().count() == 0
    assert await Segment.all().count() == 0


async def test_one_tax_id_column_fills_edrpou_or_rnokpp_and_the_legal_form(db):
    await make_partner(external_id="П-1", name="ТОВ Альфа")
    data = (
        "Код;Код партнера;Найменування;Код ЄДРПОУ/РНОКПП\n"
        "К-1;П-1;ТОВ Альфа;00032129\n"
        "К-2;П-1;ФОП Альфа;3184710691\n"
    )

    await import_master_data("counterparties", data.encode())

    first, second = await Counterparty.all().order_by("id")
    assert (first.edrpou, first.rnokpp, first.legal_form) == (
        "00032129", None, LegalForm.LEGAL_ENTITY,
    )  # fmt: skip
    assert (second.edrpou, second.rnokpp, second.legal_form) == (
        None, "3184710691", LegalForm.ENTREPRENEUR,
    )  # fmt: skip


async def test_progress_is_reported_for_checking_and_writing(db):
    rows = "".join(f"P{n};Партнер {n}\n" for n in range(1, 6))
    seen: list[tuple[str, int, int]] = []

    await import_master_data(
        "partners", f"Код;Найменування\n{rows}".encode(), progress=lambda *a: seen.append(a)
    )

    assert [s for s in seen if s[0] == "check"][-1] == ("check", 5, 5)
    assert [s for s in seen if s[0] == "write"][-1] == ("write", 5, 5)
