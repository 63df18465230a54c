"""The new-partner wizard: partner, counterparty and contact person at once, or nothing."""

from __future__ import annotations

import pytest

from core.errors import DuplicateFound, NotFound, ValidationFailed
from models import ContactInfo, ContactPerson, Counterparty, Partner
from services import employees, partners


async def counts() -> tuple[int, int, int, int]:
    return (
        await Partner.all().count(),
        await Counterparty.all().count(),
        await ContactPerson.all().count(),
        await ContactInfo.all().count(),
    )


async def test_wizard_creates_partner_counterparty_and_contact(db) -> None:
    manager = await employees.create_employee(full_name="Ірина Бондар", role="manager")
    partner = await partners.quick_create_partner(
        name="ТОВ «Світанок»", tax_id="14360570", contact_name="Петро Шевчук",
        phone="067 123 45 67", email="P.Shevchuk@Svitanok.ua", main_manager_id=manager.id,
    )  # fmt: skip
    card = await partners.get_partner_card(partner.id)
    assert card.is_client and card.main_manager.id == manager.id
    [cp] = card.counterparties
    assert (cp.name, cp.legal_form, cp.edrpou) == ("ТОВ «Світанок»", "legal_entity", "14360570")
    [contact] = card.contacts
    assert contact.full_name == "Петро Шевчук"
    assert [p.normalized for p in contact.phones] == ["+380671234567"]
    assert [e.normalized for e in contact.emails] == ["p.shevchuk@svitanok.ua"]
    assert card.phones == () and card.emails == ()


async def test_rnokpp_makes_a_fop_and_without_contact_the_phone_goes_to_the_partner(db) -> None:
    partner = await partners.quick_create_partner(
        name="ФОП Коваль", tax_id="1759013776", phone="0501112233"
    )
    card = await partners.get_partner_card(partner.id)
    assert [(c.legal_form, c.rnokpp) for c in card.counterparties] == [
        ("entrepreneur", "1759013776")
    ]
    assert card.contacts == ()
    assert [p.normalized for p in card.phones] == ["+380501112233"]


async def test_legal_form_that_contradicts_the_code_is_refused(db) -> None:
    with pytest.raises(ValidationFailed) as error:
        await partners.quick_create_partner(name="Х", tax_id="14360570", legal_form="individual")
    assert error.value.params == {"field": "tax_id", "reason": "wrong_legal_form"}
    assert await counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"phone": "067-123"}, "phone"),
        ({"email": "petro@"}, "email"),
        ({"tax_id": "14360571"}, "edrpou"),
        ({"contact_name": "П" * 201}, "full_name"),
    ],
)
async def test_one_bad_value_leaves_nothing_written(db, kwargs, field) -> None:
    arguments = {"name": "Світанок", "contact_name": "Петро Шевчук", **kwargs}
    with pytest.raises(ValidationFailed) as error:
        await partners.quick_create_partner(**arguments)
    assert error.value.params["field"] == field
    assert await counts() == (0, 0, 0, 0)


async def test_unknown_manager_leaves_nothing_written(db) -> None:
    with pytest.raises(NotFound):
        await partners.quick_create_partner(name="Світанок", main_manager_id=9_999)
    assert await counts() == (0, 0, 0, 0)


async def test_failure_in_the_middle_rolls_everything_back(db, monkeypatch) -> None:
    """A database error after the partner row is written must not leave the partner behind."""
    real = ContactPerson.create

    async def broken(*args, **kwargs):
        await real(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(ContactPerson, "create", broken)
    with pytest.raises(RuntimeError):
        await partners.quick_create_partner(
            name="Світанок", tax_id="14360570", contact_name="Петро Шевчук", phone="0671234567"
        )
    monkeypatch.undo()
    assert await counts() == (0, 0, 0, 0)


async def test_wizard_warns_about_the_same_code_and_then_obeys(db) -> None:
    first = await partners.quick_create_partner(name="Світанок", tax_id="14360570")
    with pytest.raises(DuplicateFound) as error:
        await partners.quick_create_partner(name="Світанок-2", tax_id="14360570")
    assert error.value.params["candidates"] == [first.id]
    assert error.value.params["duplicates"][0].matched == ("tax_id",)
    assert await counts() == (1, 1, 0, 0)
    await partners.quick_create_partner(
        name="Світанок-2", tax_id="14360570", confirm_duplicates=True
    )
    assert await Partner.all().count() == 2
