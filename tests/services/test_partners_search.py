"""Finding a partner by what a manager remembers: part of the name, a code, a phone, an e-mail."""

from __future__ import annotations

import pytest

from services import employees, partners


@pytest.fixture
async def book(db):
    """A small client base."""
    alfa = await partners.create_partner(
        name="ТОВ «Кам’янець-Подільський молокозавод»", is_client=True, phones=["0671234567"]
    )
    await partners.create_counterparty(
        partner_id=alfa.id, name="ТОВ «КП Молокозавод»", edrpou="14360570"
    )
    beta = await partners.create_partner(name="ФОП Коваль Олена", is_client=True)
    await partners.create_counterparty(
        partner_id=beta.id, name="ФОП Коваль О. І.", legal_form="entrepreneur", rnokpp="1759013776"
    )
    await partners.create_contact(
        partner_id=beta.id, full_name="Олена Коваль", emails=["Olena.Koval@ukr.net"],
        phones=["+380 50 765 43 21"],
    )  # fmt: skip
    gamma = await partners.create_partner(name="Гамма Трейд", emails=["office@gamma.ua"])
    return {"alfa": alfa.id, "beta": beta.id, "gamma": gamma.id}


async def ids(query: str, **kwargs) -> list[int]:
    return [row.id for row in await partners.search_partners(query, **kwargs)]


async def test_name_substring_any_case_and_apostrophe(book) -> None:
    assert await ids("камʼянець") == [book["alfa"]]
    assert await ids("МОЛОКОЗАВОД") == [book["alfa"]]
    assert await ids("Кам'янець-Под") == [book["alfa"]]


async def test_latin_lookalikes_in_the_query(book) -> None:
    assert await ids("TOB") == [book["alfa"]]  # Latin T, O, B
    assert await ids("Moлoкo") == [book["alfa"]]


async def test_counterparty_name_finds_the_partner(book) -> None:
    assert await ids("КП Молокозавод") == [book["alfa"]]


async def test_by_edrpou_and_rnokpp(book) -> None:
    assert await ids("14360570") == [book["alfa"]]
    assert await ids("1759013776") == [book["beta"]]
    assert await ids("1436 0570") == [book["alfa"]]


async def test_by_phone_in_any_format_and_by_part_of_it(book) -> None:
    assert await ids("067 123 45 67") == [book["alfa"]]
    assert await ids("+380671234567") == [book["alfa"]]
    assert await ids("1234567") == [book["alfa"]]
    # A contact person's phone finds the partner.
    assert await ids("050-765-43-21") == [book["beta"]]
    # Too few digits is not a phone search.
    assert await ids("4567") == []


async def test_by_email_of_partner_or_contact(book) -> None:
    assert await ids("olena.koval@UKR.NET") == [book["beta"]]
    assert await ids("office@gamma") == [book["gamma"]]
    assert await ids("gamma.ua") == [book["gamma"]]


async def test_nothing_found_and_empty_query(book) -> None:
    assert await ids("Омега") == []
    assert await ids("   ") == []
    assert await ids("«»") == []


async def test_percent_and_underscore_are_not_wildcards(book) -> None:
    assert await ids("%") == []
    assert await ids("_") == []


async def test_paging_and_manager_filter(db) -> None:
    manager = await employees.create_employee(full_name="Ірина Бондар", role="manager")
    for number in range(5):
        await partners.create_partner(
            name=f"Магазин {number}",
            main_manager_id=manager.id if number % 2 == 0 else None,
            confirm_duplicates=True,
        )
    first = await partners.search_partners("магазин", limit=2)
    second = await partners.search_partners("магазин", limit=2, offset=2)
    assert [r.name for r in first] == ["Магазин 0", "Магазин 1"]
    assert [r.name for r in second] == ["Магазин 2", "Магазин 3"]
    mine = await partners.search_partners("магазин", main_manager_id=manager.id)
    assert [r.name for r in mine] == ["Магазин 0", "Магазин 2", "Магазин 4"]
    assert {r.main_manager_name for r in mine} == {"Ірина Бондар"}


async def test_rows_carry_code_and_phone_and_hide_inactive(book) -> None:
    [row] = await partners.search_partners("молокозавод")
    assert row.tax_id == "14360570"
    assert row.phone == "+380 67 123 4567"
    assert row.is_client
    await partners.update_partner(book["alfa"], active=False)
    assert await ids("молокозавод") == []
    assert await ids("молокозавод", include_inactive=True) == [book["alfa"]]
