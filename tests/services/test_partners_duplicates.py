"""Creating a partner warns about look-alikes; the user can confirm and create anyway."""

from __future__ import annotations

import pytest

from core.errors import DuplicateFound, ValidationFailed
from core.i18n import translate_error
from models import ContactInfo, Partner
from services import partners


async def test_partner_is_created_with_normalised_contacts(db) -> None:
    partner = await partners.create_partner(
        name="  ТОВ «Альфа   Трейд» ",
        is_client=True,
        phones=["067-123-45-67", "+380 67 123 45 67", "044 234 56 78"],
        emails=["Sales@Alfa-Trade.UA"],
        website="alfa-trade.ua",
        address="м. Київ, вул. Хрещатик, 1",
        segments=["Опт", "Київ"],
    )
    assert partner.name == "ТОВ «Альфа Трейд»"
    assert partner.search_key == "тов альфа трейд"
    card = await partners.get_partner_card(partner.id)
    # The same number typed twice is kept once; the first is the primary one.
    assert [p.normalized for p in card.phones] == ["+380671234567", "+380442345678"]
    assert card.phones[0].is_primary and card.phones[0].value == "+380 67 123 4567"
    assert [e.value for e in card.emails] == ["Sales@alfa-trade.ua"]
    assert card.emails[0].normalized == "sales@alfa-trade.ua"
    assert card.website is not None and card.website.value == "https://alfa-trade.ua"
    assert card.address is not None and card.address.value.startswith("м. Київ")
    assert card.segments == ("Київ", "Опт")
    assert card.is_client and not card.is_supplier


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("тов альфа трейд", "name"),
        ("TOB «Альфа Трейд»", "name"),  # Latin T, O, B
        ("Альфа Трейд", "name"),  # without the legal form
        ("Альфа Трейд ТОВ", "name"),
    ],
)
async def test_same_name_spelled_differently_is_a_duplicate(db, name: str, why: str) -> None:
    existing = await partners.create_partner(name="ТОВ «Альфа Трейд»")
    with pytest.raises(DuplicateFound) as error:
        await partners.create_partner(name=name)
    assert error.value.params["candidates"] == [existing.id]
    assert error.value.params["duplicates"][0].matched == (why,)
    message = translate_error(error.value, "en")
    assert message == "A similar record already exists: ТОВ «Альфа Трейд»."
    assert await Partner.all().count() == 1


async def test_different_name_is_not_a_duplicate(db) -> None:
    await partners.create_partner(name="ТОВ «Альфа Трейд»")
    other = await partners.create_partner(name="ТОВ «Альфа Трейд Плюс»")
    assert other.id


async def test_same_phone_of_a_contact_person_is_a_duplicate(db) -> None:
    existing = await partners.create_partner(name="Бета")
    await partners.create_contact(
        partner_id=existing.id, full_name="Олена Коваль", phones=["0671234567"]
    )
    with pytest.raises(DuplicateFound) as error:
        await partners.create_partner(name="Гамма", phones=["+38 (067) 123-45-67"])
    assert error.value.params["candidates"] == [existing.id]
    assert error.value.params["duplicates"][0].matched == ("phone",)


async def test_same_email_in_another_case_is_a_duplicate(db) -> None:
    existing = await partners.create_partner(name="Бета", emails=["Info@Beta.ua"])
    with pytest.raises(DuplicateFound) as error:
        await partners.create_partner(name="Гамма", emails=["info@beta.UA"])
    assert error.value.params["candidates"] == [existing.id]


async def test_confirming_creates_the_duplicate(db) -> None:
    await partners.create_partner(name="Бета", phones=["0671234567"])
    second = await partners.create_partner(
        name="Бета", phones=["0671234567"], confirm_duplicates=True
    )
    assert await Partner.all().count() == 2
    assert await ContactInfo.filter(partner_id=second.id, normalized="+380671234567").exists()


async def test_find_duplicates_reports_every_reason_strongest_first(db) -> None:
    by_name = await partners.create_partner(name="Дельта")
    by_code = await partners.create_partner(name="Зовсім інша назва", phones=["0501112233"])
    await partners.create_counterparty(partner_id=by_code.id, name="ТОВ Омега", edrpou="14360570")
    found = await partners.find_partner_duplicates(
        name="Дельта", tax_id="14360570", phones=["050 111 22 33"]
    )
    assert [(c.partner_id, c.matched) for c in found] == [
        (by_code.id, ("tax_id", "phone")),
        (by_name.id, ("name",)),
    ]
    assert await partners.find_partner_duplicates(name="Дельта", exclude_id=by_name.id) == []


async def test_counterparty_name_counts_for_duplicates(db) -> None:
    holding = await partners.create_partner(name="Омега Груп")
    await partners.create_counterparty(partner_id=holding.id, name="ТОВ «Омега Дистрибуція»")
    found = await partners.find_partner_duplicates(name="Омега Дистрибуція")
    assert [c.partner_id for c in found] == [holding.id]


async def test_bad_phone_fails_before_anything_is_written(db) -> None:
    with pytest.raises(ValidationFailed) as error:
        await partners.create_partner(name="Епсилон", phones=["0671234567", "12345"])
    assert error.value.params == {"field": "phone", "reason": "bad_phone"}
    assert await Partner.all().count() == 0
    assert await ContactInfo.all().count() == 0


async def test_too_long_name_is_a_validation_error(db) -> None:
    with pytest.raises(ValidationFailed) as error:
        await partners.create_partner(name="Я" * 10_000)
    assert error.value.params["reason"] == "too_long"
    assert await Partner.all().count() == 0


async def test_external_id_must_be_unique(db) -> None:
    await partners.create_partner(name="Бета", external_id="1C-0001")
    assert (await partners.find_partner_by_external_id("1C-0001")).name == "Бета"
    with pytest.raises(ValidationFailed) as error:
        await partners.create_partner(name="Гамма", external_id="1C-0001")
    assert error.value.params == {"field": "external_id", "reason": "already_used"}
    assert await partners.find_partner_by_external_id("1C-0002") is None
