"""Deal participants: role, influence 1..5 and attitude; the client's role stays the deal's
client's, as in 1C; bad input gets clear errors."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import DuplicateFound, NotFound, ValidationFailed
from models import ContactPerson, Deal, DealEvent, DealKind, DealParticipant, Employee, Partner
from services.environment import (
    add_participant,
    list_participants,
    remove_participant,
    update_participant,
)

T0 = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def deal(db):
    """A deal of ТОВ Альфа with its client participant (as the deal service keeps it)."""
    owner = await Employee.create(full_name="Андрій Коваль")
    kind = await DealKind.create(code="sale", name_uk="Продаж", name_en="Sale")
    client = await Partner.create(name="ТОВ Альфа", search_key="альфа", is_client=True)
    deal = await Deal.create(
        number="D-1", title="Поставка кави", kind=kind, owner=owner, partner=client, started_at=T0
    )
    await DealParticipant.create(deal=deal, partner=client, role="client")
    return deal


async def invalid(call) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        await call
    return caught.value.params


async def test_add_list_update_and_remove_participants(deal):
    director = await ContactPerson.create(
        partner_id=deal.partner_id,
        full_name="Петренко Ігор",
        search_key="петренко ігор",
        position="Директор",
    )
    rival = await Partner.create(name="ТОВ Бета", search_key="бета", is_competitor=True)

    added = await add_participant(
        deal.id, contact_id=director.id, role="decision_maker", influence=5, attitude="supporter"
    )
    competitor = await add_participant(
        deal.id, partner_id=rival.id, role="competitor", attitude="opponent", comment="демпінгує"
    )

    assert (added.name, added.company, added.role, added.influence, added.attitude) == (
        "Петренко Ігор",
        "ТОВ Альфа",
        "decision_maker",
        5,
        "supporter",
    )
    assert (competitor.influence, competitor.comment) == (3, "демпінгує")  # default influence
    listed = await list_participants(deal.id)
    assert [(p.name, p.role) for p in listed] == [
        ("ТОВ Альфа", "client"),
        ("ТОВ Бета", "competitor"),
        ("Петренко Ігор", "decision_maker"),
    ]
    assert listed[0].influence is None  # created by the deal service without an influence

    changed = await update_participant(deal.id, competitor.id, attitude="neutral", influence=2)
    assert (changed.attitude, changed.influence, changed.role) == ("neutral", 2, "competitor")

    await remove_participant(deal.id, competitor.id)
    assert [p.name for p in await list_participants(deal.id)] == ["ТОВ Альфа", "Петренко Ігор"]
    actions = (
        await DealEvent.filter(deal_id=deal.id).order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "participant_added",
        "participant_added",
        "participant_changed",
        "participant_removed",
    ]


@pytest.mark.parametrize(
    ("influence", "reason"), [(0, "out_of_range"), (6, "out_of_range"), ("багато", "bad_number")]
)
async def test_influence_must_be_from_1_to_5(deal, influence, reason):
    rival = await Partner.create(name="ТОВ Бета", search_key="бета")

    params = await invalid(
        add_participant(deal.id, partner_id=rival.id, role="competitor", influence=influence)
    )

    assert (params["field"], params["reason"]) == ("influence", reason)
    assert not await DealParticipant.filter(partner_id=rival.id).exists()


async def test_exactly_one_of_partner_and_contact(deal):
    rival = await Partner.create(name="ТОВ Бета", search_key="бета")
    person = await ContactPerson.create(partner=rival, full_name="Бондар Ганна", search_key="б")

    both = await invalid(
        add_participant(deal.id, partner_id=rival.id, contact_id=person.id, role="influencer")
    )
    neither = await invalid(add_participant(deal.id, role="influencer"))

    assert both["field"] == neither["field"] == "participant"
    assert both["reason"] == neither["reason"] == "partner_or_contact"


async def test_unknown_role_and_attitude_are_refused_with_the_choices(deal):
    rival = await Partner.create(name="ТОВ Бета", search_key="бета")

    role = await invalid(add_participant(deal.id, partner_id=rival.id, role="boss"))
    attitude = await invalid(
        add_participant(deal.id, partner_id=rival.id, role="competitor", attitude="angry")
    )

    assert (role["field"], role["reason"]) == ("role", "bad_choice")
    assert "decision_maker" in role["choices"]
    assert (attitude["field"], attitude["reason"]) == ("attitude", "bad_choice")
    assert attitude["choices"] == "supporter, neutral, opponent"


async def test_the_client_role_belongs_to_the_deals_client_alone(deal):
    other = await Partner.create(name="ТОВ Гамма", search_key="гамма")

    params = await invalid(add_participant(deal.id, partner_id=other.id, role="client"))
    assert (params["field"], params["reason"]) == ("role", "client_role")

    # the client is already there (once)
    with pytest.raises(DuplicateFound):
        await add_participant(deal.id, partner_id=deal.partner_id, role="client")

    client = (await list_participants(deal.id))[0]
    params = await invalid(remove_participant(deal.id, client.id))
    assert params["reason"] == "deal_client_fixed"
    params = await invalid(update_participant(deal.id, client.id, role="influencer"))
    assert params["reason"] == "deal_client_fixed"

    gamma = await add_participant(deal.id, partner_id=other.id, role="subcontractor")
    params = await invalid(update_participant(deal.id, gamma.id, role="client"))
    assert params["reason"] == "client_role"
    # the client may still get an influence and an attitude
    client = await update_participant(deal.id, client.id, influence=4, attitude="supporter")
    assert (client.role, client.influence, client.attitude) == ("client", 4, "supporter")


async def test_the_same_person_is_not_added_twice(deal):
    person = await ContactPerson.create(
        partner_id=deal.partner_id, full_name="Петренко Ігор", search_key="петренко"
    )
    await add_participant(deal.id, contact_id=person.id, role="influencer")

    with pytest.raises(DuplicateFound) as caught:
        await add_participant(deal.id, contact_id=person.id, role="decision_maker")
    assert caught.value.params["existing"] == "Петренко Ігор"


async def test_unknown_deal_partner_contact_and_participant_are_not_found(deal):
    with pytest.raises(NotFound):
        await add_participant(999, partner_id=deal.partner_id, role="other")
    with pytest.raises(NotFound):
        await add_participant(deal.id, partner_id=999, role="other")
    with pytest.raises(NotFound):
        await add_participant(deal.id, contact_id=999, role="other")
    with pytest.raises(NotFound):
        await remove_participant(deal.id, 999)
    with pytest.raises(NotFound):
        await list_participants(999)
    # a participant of another deal is not reachable through this one
    other = await Deal.create(
        number="D-2", title="Інша", kind_id=deal.kind_id, owner_id=deal.owner_id, started_at=T0
    )
    stranger = await Partner.create(name="ТОВ Дельта", search_key="дельта")
    elsewhere = await add_participant(other.id, partner_id=stranger.id, role="other")
    with pytest.raises(NotFound):
        await remove_participant(deal.id, elsewhere.id)
