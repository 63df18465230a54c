"""Counterparties (legal entities, ФОП, individuals) and contact persons of a partner."""

from __future__ import annotations

import pytest

from core.errors import DuplicateFound, NotFound, ValidationFailed
from models import ContactInfo, ContactPerson, Counterparty
from services import partners


@pytest.fixture
async def partner(db):
    return await partners.create_partner(name="Альфа")


async def test_legal_entity_with_edrpou_iban_and_vat(partner) -> None:
    cp = await partners.create_counterparty(
        partner_id=partner.id, name="ТОВ «Альфа»", full_name="Товариство з обмеженою "
        "відповідальністю «Альфа»", edrpou="1436 0570", vat_number="143605702659",
        iban="ua21 3223 1300 0002 6007 2335 6600 1",
    )  # fmt: skip
    assert (cp.edrpou, cp.iban, cp.vat_number) == (
        "14360570", "UA213223130000026007233566001", "143605702659",
    )  # fmt: skip
    assert cp.search_key == "тов альфа"
    [row] = await partners.list_counterparties(partner.id)
    assert row.legal_form == "legal_entity" and row.tax_id == "14360570"


async def test_fop_uses_rnokpp(partner) -> None:
    cp = await partners.create_counterparty(
        partner_id=partner.id, name="ФОП Коваль О. І.", legal_form="entrepreneur",
        rnokpp="1759013776",
    )  # fmt: skip
    assert cp.rnokpp == "1759013776" and cp.edrpou is None


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"edrpou": "14360571"}, "edrpou", "bad_checksum"),
        ({"rnokpp": "1759013776"}, "rnokpp", "wrong_legal_form"),
        ({"legal_form": "entrepreneur", "edrpou": "14360570"}, "edrpou", "wrong_legal_form"),
        ({"legal_form": "company"}, "legal_form", "bad_choice"),
        ({"iban": "UA223223130000026007233566001"}, "iban", "bad_iban"),
        ({"vat_number": "123"}, "vat_number", "bad_length"),
        ({"name": " "}, "name", "required"),
    ],
)
async def test_bad_requisites_are_refused(partner, kwargs, field, reason) -> None:
    arguments = {"partner_id": partner.id, "name": "ТОВ «Альфа»", **kwargs}
    with pytest.raises(ValidationFailed) as error:
        await partners.create_counterparty(**arguments)
    assert (error.value.params["field"], error.value.params["reason"]) == (field, reason)
    assert await Counterparty.all().count() == 0


async def test_same_code_on_another_partner_warns(partner) -> None:
    await partners.create_counterparty(partner_id=partner.id, name="ТОВ Альфа", edrpou="14360570")
    other = await partners.create_partner(name="Бета")
    with pytest.raises(DuplicateFound) as error:
        await partners.create_counterparty(partner_id=other.id, name="ТОВ Бета", edrpou="14360570")
    assert error.value.params["candidates"] == [partner.id]
    await partners.create_counterparty(
        partner_id=other.id, name="ТОВ Бета", edrpou="14360570", confirm_duplicates=True
    )
    assert await Counterparty.filter(edrpou="14360570").count() == 2


async def test_update_counterparty_revalidates_against_current_values(partner) -> None:
    cp = await partners.create_counterparty(
        partner_id=partner.id, name="ТОВ Альфа", edrpou="14360570"
    )
    # Switching to ФОП while the ЄДРПОУ stays is inconsistent.
    with pytest.raises(ValidationFailed):
        await partners.update_counterparty(cp.id, legal_form="entrepreneur")
    updated = await partners.update_counterparty(
        cp.id, legal_form="entrepreneur", edrpou=None, rnokpp="1759013776", name="ФОП Альфа"
    )
    assert (updated.legal_form, updated.edrpou, updated.rnokpp) == (
        "entrepreneur", None, "1759013776",
    )  # fmt: skip
    assert updated.search_key == "фоп альфа"
    with pytest.raises(NotFound):
        await partners.update_counterparty(999_999, name="x")


async def test_contact_with_phones_emails_and_roles(partner) -> None:
    contact = await partners.create_contact(
        partner_id=partner.id, full_name="  Олена   Коваль ", position="Бухгалтерка",
        phones=["0671234567", "(044) 234-56-78"], emails=["O.Koval@Alfa.UA"],
        roles=["accountant", "accountant", "decision_maker"], birthday="1985-05-03",
    )  # fmt: skip
    assert contact.full_name == "Олена Коваль"
    assert contact.roles == ["accountant", "decision_maker"]
    [row] = await partners.list_contacts(partner.id)
    assert [p.normalized for p in row.phones] == ["+380671234567", "+380442345678"]
    assert row.partner_name == "Альфа"


async def test_bad_contact_field_writes_nothing(partner) -> None:
    with pytest.raises(ValidationFailed) as error:
        await partners.create_contact(
            partner_id=partner.id, full_name="Олена Коваль", emails=["o.koval@"]
        )
    assert error.value.params["field"] == "email"
    assert await ContactPerson.all().count() == 0
    with pytest.raises(ValidationFailed) as error:
        await partners.create_contact(
            partner_id=partner.id, full_name="Олена", birthday="31.02.1985"
        )
    assert error.value.params == {"field": "birthday", "reason": "bad_date"}


async def test_update_contact_replaces_phones_only_when_given(partner) -> None:
    contact = await partners.create_contact(
        partner_id=partner.id, full_name="Олена Коваль", phones=["0671234567"],
        emails=["o.koval@alfa.ua"],
    )  # fmt: skip
    await partners.update_contact(contact.id, phones=["0509876543"], position="Директорка")
    row = await partners.get_contact(contact.id)
    assert [p.normalized for p in row.phones] == ["+380509876543"]
    assert [e.value for e in row.emails] == ["o.koval@alfa.ua"]
    assert row.position == "Директорка"
    assert await ContactInfo.filter(normalized="+380671234567").count() == 0


async def test_find_contacts_by_email_for_the_mail_ingest(partner) -> None:
    contact = await partners.create_contact(
        partner_id=partner.id, full_name="Олена Коваль", emails=["O.Koval@Alfa.UA"]
    )
    other = await partners.create_partner(
        name="Бета", emails=["o.koval@alfa.ua"], confirm_duplicates=True
    )
    [found] = await partners.find_contacts_by_email("o.koval@ALFA.ua")
    assert (found.id, found.partner_id) == (contact.id, partner.id)
    assert await partners.find_contacts_by_email("nobody@alfa.ua") == []
    assert await partners.find_contacts_by_email("not an address") == []
    found_partners = await partners.find_partners_by_email("O.KOVAL@alfa.ua")
    assert {p.id for p in found_partners} == {partner.id, other.id}


async def test_update_partner_changes_fields_and_replaces_contacts(partner) -> None:
    await partners.update_partner(partner.id, phones=["0671234567"], segments=["Опт"])
    updated = await partners.update_partner(
        partner.id, name="Альфа Плюс", is_supplier=True, phones=["0501112233"], segments=[],
        comment="VIP",
    )  # fmt: skip
    assert (updated.name, updated.search_key, updated.is_supplier) == (
        "Альфа Плюс", "альфа плюс", True,
    )  # fmt: skip
    card = await partners.get_partner_card(partner.id)
    assert [p.normalized for p in card.phones] == ["+380501112233"]
    assert card.segments == ()
    assert card.comment == "VIP"
    with pytest.raises(TypeError):
        await partners.update_partner(partner.id, colour="red")
