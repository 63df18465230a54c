"""The deal's environment to a chosen depth: participants, their links (read from the right
side), their companies and contacts, their other deals; a fixed number of queries per level."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise import connections

from core.errors import NotFound, ValidationFailed
from models import (
    ContactLink,
    ContactPerson,
    Deal,
    DealKind,
    DealParticipant,
    Employee,
    Partner,
    PartnerLink,
    PartnerLinkKind,
)
from services.environment import deal_environment

T0 = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def world(db):
    """D-1 of ТОВ Альфа: participants the client, Петренко Ігор (Альфа's director, decision
    maker, supporter, influence 5) and ТОВ Бета (competitor, opponent). ТОВ Гамма supplies
    Альфа; Коваль Олена (of Гамма) influences Петренко. Бета competes in D-2 (won); Альфа is the
    client of D-3 without a participant row (imported history)."""
    owner = await Employee.create(full_name="Андрій Коваль")
    kind = await DealKind.create(code="sale", name_uk="Продаж", name_en="Sale")
    alpha = await Partner.create(name="ТОВ Альфа", search_key="альфа")
    beta = await Partner.create(name="ТОВ Бета", search_key="бета")
    gamma = await Partner.create(name="ТОВ Гамма", search_key="гамма")
    director = await ContactPerson.create(
        partner=alpha, full_name="Петренко Ігор", search_key="петренко", position="Директор"
    )
    kovalj = await ContactPerson.create(
        partner=gamma, full_name="Коваль Олена", search_key="коваль", position="Власниця"
    )
    supplies = await PartnerLinkKind.create(name="Постачає", reverse_name="Отримує від")
    influences = await PartnerLinkKind.create(name="Впливає на", reverse_name="Під впливом")
    await PartnerLink.create(from_partner=gamma, to_partner=alpha, kind=supplies)
    await ContactLink.create(from_contact=kovalj, to_contact=director, kind=influences)

    def new_deal(number: str, title: str, partner: Partner | None, status: str = "open") -> Deal:
        return Deal.create(
            number=number,
            title=title,
            kind=kind,
            owner=owner,
            partner=partner,
            status=status,
            started_at=T0,
        )

    d1 = await new_deal("D-1", "Поставка кави", alpha)
    await DealParticipant.create(deal=d1, partner=alpha, role="client")
    await DealParticipant.create(
        deal=d1, contact=director, role="decision_maker", influence=5, attitude="supporter"
    )
    await DealParticipant.create(
        deal=d1, partner=beta, role="competitor", influence=2, attitude="opponent"
    )
    d2 = await new_deal("D-2", "Кавомашини", None, status="won")
    await DealParticipant.create(deal=d2, partner=beta, role="competitor")
    await new_deal("D-3", "Чай", alpha, status="lost")
    return {"d1": d1, "alpha": alpha, "beta": beta, "gamma": gamma, "director": director}


def labels(env, depth: int) -> set[str]:
    return {node.label for node in env.at_depth(depth)}


async def test_depth_1_holds_the_deal_and_its_participants_only(world):
    env = await deal_environment(world["d1"].id, depth=1)

    assert env.root.label == "D-1" and env.root.detail == "Поставка кави"
    assert labels(env, 1) == {"ТОВ Альфа", "Петренко Ігор", "ТОВ Бета"}
    assert len(env.nodes) == 4
    director = env.node(f"contact:{world['director'].id}")
    assert (director.role, director.influence, director.attitude, director.detail) == (
        "decision_maker",
        5,
        "supporter",
        "Директор",
    )
    assert env.node(f"partner:{world['beta'].id}").attitude == "opponent"
    assert {(e.kind, e.role) for e in env.edges} == {
        ("participant", "client"),
        ("participant", "decision_maker"),
        ("participant", "competitor"),
    }


async def test_depth_2_adds_links_read_from_the_right_side_companies_and_other_deals(world):
    env = await deal_environment(world["d1"].id, depth=2)

    assert labels(env, 1) == {"ТОВ Альфа", "Петренко Ігор", "ТОВ Бета"}
    assert labels(env, 2) == {"ТОВ Гамма", "Коваль Олена", "D-2", "D-3"}
    alpha, gamma = f"partner:{world['alpha'].id}", f"partner:{world['gamma'].id}"
    director = f"contact:{world['director'].id}"
    by_kind = {(e.kind, e.source, e.target): e for e in env.edges}
    # Гамма supplies Альфа; seen from Альфа (the second partner) it reads "Отримує від"
    assert by_kind[("partner_link", alpha, gamma)].label == "Отримує від"
    # Коваль influences Петренко; seen from Петренко: "Під впливом"
    (contact_link,) = [e for e in env.edges if e.kind == "contact_link"]
    assert (contact_link.source, contact_link.label) == (director, "Під впливом")
    assert ("works_at", director, alpha) in by_kind
    d2 = env.node(next(n.key for n in env.nodes if n.label == "D-2"))
    d3 = env.node(next(n.key for n in env.nodes if n.label == "D-3"))
    assert (d2.detail, d2.status, d3.status) == ("Кавомашини", "won", "lost")
    assert by_kind[("participant", d2.key, f"partner:{world['beta'].id}")].role == "competitor"
    assert by_kind[("participant", d3.key, alpha)].role == "client"
    # nodes found beyond the deal's own participants carry no participant role
    assert env.node(gamma).role is None


async def test_depth_3_reaches_the_company_of_a_linked_person(world):
    gamma_contact = await ContactPerson.create(
        partner=world["gamma"], full_name="Савчук Петро", search_key="савчук"
    )

    env = await deal_environment(world["d1"].id, depth=3)

    assert env.node(f"contact:{gamma_contact.id}").depth == 3  # Гамма's other contact person
    seen_from_gamma = {
        (e.kind, e.label)
        for e in env.edges_of(f"partner:{world['gamma'].id}")
        if e.kind == "partner_link"
    }
    assert seen_from_gamma == {("partner_link", "Отримує від")}  # one edge, read once


async def test_queries_per_level_do_not_grow_with_the_number_of_participants(world, monkeypatch):
    client_class = type(connections.get("default"))
    calls = {"n": 0}
    original = client_class.execute_query_dict

    async def counting(self, *args, **kwargs):
        calls["n"] += 1
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(client_class, "execute_query_dict", counting)
    await deal_environment(world["d1"].id, depth=2)
    few = calls["n"]

    kind = await PartnerLinkKind.get(name="Постачає")
    for i in range(12):
        extra = await Partner.create(name=f"ТОВ Субпідрядник {i}", search_key=f"суб {i}")
        await DealParticipant.create(
            deal=world["d1"], partner=extra, role="subcontractor", influence=1
        )
        await PartnerLink.create(from_partner=extra, to_partner=world["gamma"], kind=kind)
    calls["n"] = 0
    env = await deal_environment(world["d1"].id, depth=2)

    assert len(env.at_depth(1)) == 15
    assert 0 < calls["n"] == few <= 14  # one root read + a fixed handful per level


async def test_bad_depth_and_unknown_deal(world):
    with pytest.raises(ValidationFailed) as caught:
        await deal_environment(world["d1"].id, depth=0)
    assert (caught.value.params["field"], caught.value.params["reason"]) == (
        "depth",
        "out_of_range",
    )
    with pytest.raises(NotFound):
        await deal_environment(404)
