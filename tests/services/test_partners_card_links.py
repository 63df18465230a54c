"""The partner card: requisites, contacts, hierarchy, open deals and links named from each side."""

from __future__ import annotations

import pytest

from core import clock
from core.errors import DuplicateFound, NotFound, ValidationFailed
from models import Deal, DealKind
from models.base import DealStatus
from services import employees, partners


async def test_link_reads_by_name_from_one_side_and_by_reverse_name_from_the_other(db) -> None:
    mill = await partners.create_partner(name="Млин Зерно", is_supplier=True)
    bakery = await partners.create_partner(name="Пекарня Хліб", is_client=True)
    supplies = await partners.create_link_kind("Постачає", "Отримує від")
    link = await partners.link_partners(mill.id, bakery.id, supplies.id, comment="борошно")

    [from_mill] = await partners.list_partner_links(mill.id)
    assert (from_mill.name, from_mill.other_name, from_mill.outgoing) == (
        "Постачає", "Пекарня Хліб", True,
    )  # fmt: skip
    [from_bakery] = (await partners.get_partner_card(bakery.id)).links
    assert (from_bakery.name, from_bakery.other_id, from_bakery.outgoing) == (
        "Отримує від", mill.id, False,
    )  # fmt: skip
    assert from_bakery.id == link.id and from_bakery.comment == "борошно"


async def test_symmetric_kind_uses_the_name_both_ways(db) -> None:
    a = await partners.create_partner(name="Альфа")
    b = await partners.create_partner(name="Бета")
    kind = await partners.create_link_kind("Партнер по спільному проєкту")
    await partners.link_partners(a.id, b.id, kind.id)
    assert [link.name for link in await partners.list_partner_links(b.id)] == [
        "Партнер по спільному проєкту"
    ]


async def test_self_link_and_repeated_link_are_refused(db) -> None:
    a = await partners.create_partner(name="Альфа")
    b = await partners.create_partner(name="Бета")
    kind = await partners.create_link_kind("Конкурує з", "Конкурує з")
    with pytest.raises(ValidationFailed) as error:
        await partners.link_partners(a.id, a.id, kind.id)
    assert error.value.params == {"field": "partner", "reason": "self_link"}
    await partners.link_partners(a.id, b.id, kind.id)
    with pytest.raises(DuplicateFound):
        await partners.link_partners(a.id, b.id, kind.id)
    with pytest.raises(ValidationFailed):
        await partners.create_link_kind("Конкурує з", "x")


async def test_removed_link_disappears_from_both_cards(db) -> None:
    a = await partners.create_partner(name="Альфа")
    b = await partners.create_partner(name="Бета")
    kind = await partners.create_link_kind("Постачає", "Отримує від")
    link = await partners.link_partners(a.id, b.id, kind.id)
    await partners.remove_partner_link(link.id)
    assert await partners.list_partner_links(a.id) == []
    assert await partners.list_partner_links(b.id) == []
    with pytest.raises(NotFound):
        await partners.remove_partner_link(link.id)


async def test_contact_links_show_the_other_persons_company(db) -> None:
    a = await partners.create_partner(name="Альфа")
    b = await partners.create_partner(name="Бета")
    director = await partners.create_contact(partner_id=a.id, full_name="Петро Шевчук")
    buyer = await partners.create_contact(partner_id=b.id, full_name="Олена Коваль")
    influences = await partners.create_link_kind("Впливає на", "Під впливом")
    await partners.link_contacts(director.id, buyer.id, influences.id)
    [seen_by_buyer] = await partners.list_contact_links(buyer.id)
    assert seen_by_buyer.name == "Під впливом"
    assert (seen_by_buyer.other_name, seen_by_buyer.other_partner_name) == ("Петро Шевчук", "Альфа")
    [seen_by_director] = await partners.list_contact_links(director.id)
    assert seen_by_director.name == "Впливає на"
    with pytest.raises(ValidationFailed):
        await partners.link_contacts(buyer.id, buyer.id, influences.id)


async def test_card_collects_requisites_contacts_hierarchy_and_open_deals(db, frozen_clock) -> None:
    manager = await employees.create_employee(full_name="Ірина Бондар", role="manager")
    holding = await partners.create_partner(name="Епіцентр Груп", is_group=True)
    shop = await partners.create_partner(
        name="Епіцентр Житомир", parent_id=holding.id, is_division=True, is_client=True,
        main_manager_id=manager.id, contact_cadence_days=14, relationship_stage="regular",
    )  # fmt: skip
    await partners.create_counterparty(
        partner_id=shop.id, name="ТОВ «Епіцентр К»", edrpou="32490244",
        iban="UA21 3223 1300 0002 6007 2335 6600 1", bank_name="АТ «Укрексімбанк»",
    )  # fmt: skip
    await partners.create_contact(
        partner_id=shop.id, full_name="Олена Коваль", position="Закупівельниця",
        phones=["0671234567"], emails=["o.koval@epicentr.ua"], roles=["decision_maker"],
        birthday="03.05.1985", telegram_username="@olena_koval",
    )  # fmt: skip
    kind = await DealKind.create(code="typical", name_uk="Типовий продаж", name_en="Typical sale")
    for number, status in enumerate([DealStatus.OPEN, DealStatus.OPEN, DealStatus.WON]):
        await Deal.create(
            number=f"D-{number}", title="Поставка", partner=shop, kind=kind, owner=manager,
            status=status, started_at=clock.now(),
        )  # fmt: skip

    card = await partners.get_partner_card(shop.id)
    assert card.parent is not None and card.parent.name == "Епіцентр Груп"
    assert card.main_manager is not None and card.main_manager.full_name == "Ірина Бондар"
    assert card.relationship_stage == "regular" and card.contact_cadence_days == 14
    assert card.open_deals_count == 2
    [requisites] = card.counterparties
    assert (requisites.tax_id, requisites.iban) == ("32490244", "UA213223130000026007233566001")
    [contact] = card.contacts
    assert contact.full_name == "Олена Коваль" and contact.roles == ("decision_maker",)
    assert [p.normalized for p in contact.phones] == ["+380671234567"]
    assert [e.value for e in contact.emails] == ["o.koval@epicentr.ua"]
    assert contact.telegram_username == "olena_koval"
    assert contact.birthday.isoformat() == "1985-05-03"

    group = await partners.get_partner_card(holding.id)
    assert [child.name for child in group.children] == ["Епіцентр Житомир"]
    assert group.open_deals_count == 0


async def test_card_of_unknown_partner_is_not_found(db) -> None:
    with pytest.raises(NotFound) as error:
        await partners.get_partner_card(424242)
    assert error.value.params["what"] == "partner"


async def test_partner_cannot_become_its_own_ancestor(db) -> None:
    top = await partners.create_partner(name="Холдинг")
    middle = await partners.create_partner(name="Філія", parent_id=top.id)
    bottom = await partners.create_partner(name="Магазин", parent_id=middle.id)
    with pytest.raises(ValidationFailed) as error:
        await partners.update_partner(top.id, parent_id=bottom.id)
    assert error.value.params == {"field": "parent", "reason": "parent_cycle"}
    with pytest.raises(ValidationFailed):
        await partners.update_partner(top.id, parent_id=top.id)
    assert (await partners.get_partner(top.id)).parent_id is None
