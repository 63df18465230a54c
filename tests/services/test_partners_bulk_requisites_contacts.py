"""Many counterparties and contact persons at once, by the rules of the single commands."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import NotFound, ValidationFailed
from models import ContactInfo, ContactPerson, Counterparty
from models.base import LegalForm
from services import partners
from services.partners import ContactInput, CounterpartyInput
from tests.bulk_refusals import refused_alike


@pytest.fixture
async def partner(db):
    return await partners.create_partner(name="Альфа")


async def test_counterparties_are_created_with_their_codes(partner) -> None:
    ids = await partners.bulk_create_counterparties(
        [
            CounterpartyInput(partner_id=partner.id, name="ТОВ «Альфа»", edrpou="1436 0570",
                              iban="ua21 3223 1300 0002 6007 2335 6600 1", external_id="К-1"),
            CounterpartyInput(partner_id=partner.id, name="ФОП Коваль", legal_form="entrepreneur",
                              rnokpp="1759013776"),
        ]
    )  # fmt: skip

    first, second = [await Counterparty.get(id=pk) for pk in ids]
    assert (first.edrpou, first.iban, first.search_key, first.external_id) == (
        "14360570", "UA213223130000026007233566001", "тов альфа", "К-1",
    )  # fmt: skip
    assert (second.legal_form, second.rnokpp, second.external_id) == (
        LegalForm.ENTREPRENEUR, "1759013776", None,
    )  # fmt: skip


async def test_the_same_code_twice_is_no_warning_for_a_bulk_command(partner) -> None:
    await partners.create_counterparty(partner_id=partner.id, name="ТОВ Альфа", edrpou="14360570")

    await partners.bulk_create_counterparties(
        [CounterpartyInput(partner_id=partner.id, name="ТОВ Альфа 2", edrpou="14360570")]
    )

    assert await Counterparty.filter(edrpou="14360570").count() == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"edrpou": "14360571"},
        {"rnokpp": "1759013776"},  # a legal entity with a РНОКПП
        {"legal_form": "entrepreneur", "edrpou": "14360570"},
        {"legal_form": "company"},
        {"iban": "UA223223130000026007233566001"},
        {"name": " "},
        {"external_id": "TAKEN"},
        {"partner_id": 404},
    ],
    ids=lambda bad: ",".join(bad),
)
async def test_counterparty_errors_are_those_of_create_counterparty(partner, bad) -> None:
    await partners.create_counterparty(partner_id=partner.id, name="Є", external_id="TAKEN")
    arguments = {"partner_id": partner.id, "name": "ТОВ «Бета»", **bad}
    bulk = await refused_alike(
        partners.create_counterparty(**arguments),
        partners.bulk_create_counterparties(
            [CounterpartyInput(partner_id=partner.id, name="Добрий", edrpou="00032129"),
             CounterpartyInput(**arguments)]
        ),
    )  # fmt: skip

    assert bulk.params["row"] == 1
    assert await Counterparty.all().count() == 1


async def test_counterparty_changes_are_checked_against_the_current_values(partner) -> None:
    cp = await partners.create_counterparty(
        partner_id=partner.id, name="ТОВ Альфа", edrpou="14360570"
    )
    other = await partners.create_counterparty(partner_id=partner.id, name="ТОВ Бета")

    with pytest.raises(ValidationFailed) as error:
        await partners.bulk_update_counterparties(
            [(other.id, {"name": "ТОВ Бета Плюс"}), (cp.id, {"legal_form": "entrepreneur"})]
        )
    assert (error.value.params["field"], error.value.params["row"]) == ("edrpou", 1)
    assert (await Counterparty.get(id=other.id)).name == "ТОВ Бета"

    await partners.bulk_update_counterparties(
        [
            (cp.id, {"legal_form": "entrepreneur", "edrpou": None}),
            (cp.id, {"rnokpp": "1759013776", "name": "ФОП Альфа"}),  # sees the change above
            (other.id, {"name": "ТОВ Бета Плюс"}),
        ]
    )
    updated = await Counterparty.get(id=cp.id)
    assert (updated.legal_form, updated.edrpou, updated.rnokpp, updated.search_key) == (
        LegalForm.ENTREPRENEUR, None, "1759013776", "фоп альфа",
    )  # fmt: skip
    assert (await Counterparty.get(id=other.id)).name == "ТОВ Бета Плюс"
    with pytest.raises(NotFound):
        await partners.bulk_update_counterparties([(999_999, {"name": "x"})])


async def test_contacts_are_created_with_phones_emails_and_roles(partner) -> None:
    ids = await partners.bulk_create_contacts(
        [
            ContactInput(partner_id=partner.id, full_name="  Олена   Коваль ", phones=[
                "0671234567", "(044) 234-56-78"], emails=["O.Koval@Alfa.UA"],
                roles=["accountant", "accountant"], birthday="1985-05-03", external_id="КО-1"),
            ContactInput(partner_id=partner.id, full_name="Петро Шевчук", position="Директор",
                         birthday=dt.date(1970, 1, 2)),
        ]
    )  # fmt: skip

    olena, petro = [await partners.get_contact(pk) for pk in ids]
    assert (olena.full_name, olena.roles, olena.birthday) == (
        "Олена Коваль", ("accountant",), dt.date(1985, 5, 3),
    )  # fmt: skip
    assert [p.normalized for p in olena.phones] == ["+380671234567", "+380442345678"]
    assert [(e.value, e.is_primary) for e in olena.emails] == [("O.Koval@alfa.ua", True)]
    assert (petro.position, petro.phones, petro.external_id) == ("Директор", (), None)


@pytest.mark.parametrize(
    "bad",
    [
        {"full_name": ""},
        {"emails": ["o.koval@"]},
        {"birthday": "31.02.1985"},
        {"telegram_username": "@1x"},
        {"external_id": "TAKEN"},
        {"partner_id": 404},
    ],
    ids=lambda bad: ",".join(bad),
)
async def test_contact_errors_are_those_of_create_contact(partner, bad) -> None:
    await partners.create_contact(partner_id=partner.id, full_name="Є", external_id="TAKEN")
    arguments = {"partner_id": partner.id, "full_name": "Олена", **bad}
    await refused_alike(
        partners.create_contact(**arguments),
        partners.bulk_create_contacts(
            [ContactInput(partner_id=partner.id, full_name="Добра", phones=["0501112233"]),
             ContactInput(**arguments)]
        ),
    )  # fmt: skip

    assert await ContactPerson.all().count() == 1
    assert await ContactInfo.all().count() == 0


async def test_contact_changes_replace_only_the_given_kinds(partner) -> None:
    olena = await partners.create_contact(
        partner_id=partner.id, full_name="Олена", phones=["0671234567"], emails=["o@alfa.ua"]
    )
    petro = await partners.create_contact(partner_id=partner.id, full_name="Петро")

    with pytest.raises(ValidationFailed):
        await partners.bulk_update_contacts(
            [(olena.id, {"phones": ["0509876543"]}), (petro.id, {"birthday": "вчора"})]
        )
    assert [p.normalized for p in (await partners.get_contact(olena.id)).phones] == [
        "+380671234567"
    ]

    await partners.bulk_update_contacts(
        [(olena.id, {"phones": ["0509876543"]}), (petro.id, {"position": "Директор"})]
    )
    row = await partners.get_contact(olena.id)
    assert [p.normalized for p in row.phones] == ["+380509876543"]
    assert [e.value for e in row.emails] == ["o@alfa.ua"]
    assert (await partners.get_contact(petro.id)).position == "Директор"
    with pytest.raises(NotFound):
        await partners.bulk_update_contacts([(999_999, {"position": "x"})])
