"""Changing many partners at once: checked in order by the rules of `update_partner`."""

from __future__ import annotations

import pytest

from core.errors import NotFound, ValidationFailed
from models import ContactInfo, Partner, Segment
from services import partners
from tests.bulk_refusals import refused_alike


async def _parents() -> dict[str, str | None]:
    rows = await Partner.all().values_list("name", "parent__name")
    return dict(rows)


async def test_changes_are_applied_and_contacts_and_segments_replaced(db) -> None:
    alfa = await partners.create_partner(name="Альфа", phones=["0671234567"], segments=["Опт"])
    beta = await partners.create_partner(name="Бета", emails=["b@beta.ua"], segments=["VIP"])

    await partners.bulk_update_partners(
        [
            (alfa.id, {"name": "Альфа Плюс", "phones": ["050 111 22 33"], "segments": ["VIP"]}),
            (beta.id, {"is_supplier": True, "segments": [], "emails": []}),
        ]
    )

    alfa_card = await partners.get_partner_card(alfa.id)
    assert (alfa_card.name, [p.normalized for p in alfa_card.phones]) == (
        "Альфа Плюс", ["+380501112233"],
    )  # fmt: skip
    assert alfa_card.segments == ("VIP",)
    beta_card = await partners.get_partner_card(beta.id)
    assert beta_card.is_supplier and beta_card.segments == () and beta_card.emails == ()
    assert (await Partner.get(id=beta.id)).search_key == "бета"  # untouched fields kept
    assert await ContactInfo.all().count() == 1


async def test_each_change_is_checked_as_if_the_earlier_ones_were_written(db) -> None:
    """B is A's child; the batch makes A B's child: fine once B's parent is cleared first, a
    circle the other way round."""
    a = await partners.create_partner(name="A")
    b = await partners.create_partner(name="B", parent_id=a.id)

    with pytest.raises(ValidationFailed) as error:
        await partners.bulk_update_partners(
            [(a.id, {"parent_id": b.id}), (b.id, {"parent_id": None})]
        )
    assert (error.value.params["reason"], error.value.params["row"]) == ("parent_cycle", 0)
    assert await _parents() == {"A": None, "B": "A"}

    await partners.bulk_update_partners([(b.id, {"parent_id": None}), (a.id, {"parent_id": b.id})])
    assert await _parents() == {"A": "B", "B": None}


async def test_a_circle_made_by_two_changes_of_the_batch_is_refused(db) -> None:
    a, b, c = [await partners.create_partner(name=name) for name in "ABC"]

    with pytest.raises(ValidationFailed) as error:
        await partners.bulk_update_partners(
            [(a.id, {"parent_id": b.id}), (b.id, {"parent_id": c.id}), (c.id, {"parent_id": a.id})]
        )

    assert [(row, e.params["reason"]) for row, e in error.value.params["errors"]] == [
        (2, "parent_cycle")
    ]
    assert await _parents() == {"A": None, "B": None, "C": None}


@pytest.mark.parametrize(
    "bad",
    [
        {"name": ""},
        {"phones": ["12"]},
        {"parent_id": 999_999},
        {"segments": [999_999]},
        {"external_id": "TAKEN"},
        {"registered_on": "31.02.2020"},
    ],
    ids=lambda bad: ",".join(bad),
)
async def test_the_same_errors_as_update_partner_and_nothing_written(db, bad) -> None:
    await partners.create_partner(name="Інший", external_id="TAKEN")
    good = await partners.create_partner(name="Добрий", phones=["0671234567"])
    target = await partners.create_partner(name="Ціль")
    await refused_alike(
        partners.update_partner(target.id, **bad),
        partners.bulk_update_partners(
            [(good.id, {"name": "Змінений", "phones": [], "segments": ["Опт"]}), (target.id, bad)]
        ),
    )

    assert (await Partner.get(id=good.id)).name == "Добрий"
    assert await ContactInfo.filter(partner_id=good.id).count() == 1
    assert not await Segment.exists()


async def test_an_unknown_partner_is_not_found(db) -> None:
    known = await partners.create_partner(name="Альфа")

    with pytest.raises(NotFound) as error:
        await partners.bulk_update_partners([(known.id, {"name": "Бета"}), (404, {"name": "x"})])

    assert (error.value.params["id"], error.value.params["row"]) == (404, 1)
    assert (await Partner.get(id=known.id)).name == "Альфа"


async def test_an_external_id_freed_by_an_earlier_change_can_be_taken(db) -> None:
    a = await partners.create_partner(name="A", external_id="X")
    b = await partners.create_partner(name="B")

    await partners.bulk_update_partners(
        [(a.id, {"external_id": "Y"}), (b.id, {"external_id": "X"})]
    )

    assert dict(await Partner.all().values_list("name", "external_id")) == {"A": "Y", "B": "X"}
