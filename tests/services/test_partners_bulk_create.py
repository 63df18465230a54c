"""Creating many partners at once: the rules of `create_partner`, a few queries, all or nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from core.errors import NotFound, ValidationFailed
from models import ContactInfo, Partner, Segment
from services import partners
from services.partners import PartnerInput
from tests.bulk_refusals import refused_alike
from tests.factories import make_employee
from tests.sql_count import count_queries


async def _written() -> tuple[int, int, int]:
    segments = await Segment.filter(partners__id__isnull=False).count()
    return await Partner.all().count(), await ContactInfo.all().count(), segments


async def _card(partner_id: int) -> dict[str, Any]:
    card = dataclasses.asdict(await partners.get_partner_card(partner_id))
    for key in ("id", "name", "external_id", "children", "parent"):
        card.pop(key)
    for kind in ("phones", "emails"):
        card[kind] = [{**info, "id": None} for info in card[kind]]
    for kind in ("website", "address"):
        card[kind] = {**card[kind], "id": None} if card[kind] else None
    return card


async def test_a_bulk_partner_is_the_same_as_one_made_by_create_partner(db) -> None:
    manager = await make_employee(full_name="Ірина Бондар")
    vip = await partners.create_segment("VIP")
    fields: dict[str, Any] = {
        "is_client": True, "is_supplier": True, "main_manager_id": manager.id,
        "segments": [vip.id, "Опт", "Опт"], "phones": ["067-123-45-67", "+380 67 123 45 67",
        "044 234 56 78"], "emails": ["Sales@Alfa-Trade.UA"], "website": "alfa-trade.ua",
        "address": "м. Київ, вул. Хрещатик, 1", "comment": "  ", "contact_cadence_days": "14",
        "relationship_stage": "regular",
    }  # fmt: skip
    single = await partners.create_partner(name="ТОВ «Альфа»", **fields)

    [bulk_id] = await partners.bulk_create_partners(
        [PartnerInput(name="  ТОВ   «Бета» ", external_id=" 1C-7 ", **fields)]
    )

    bulk = await Partner.get(id=bulk_id)
    assert (bulk.name, bulk.search_key, bulk.external_id) == ("ТОВ «Бета»", "тов бета", "1C-7")
    assert await _card(bulk_id) == await _card(single.id)
    assert (await _card(bulk_id))["segments"] == ("VIP", "Опт")
    assert await Segment.filter(name="Опт").count() == 1  # created once, then found


async def test_parents_are_written_first_whatever_the_order_of_the_rows(db) -> None:
    holding = await partners.create_partner(name="Холдинг", external_id="H")

    ids = await partners.bulk_create_partners(
        [
            PartnerInput(name="Онук", external_id="C", parent_external_id="B"),
            PartnerInput(name="Син", external_id="B", parent_external_id="A"),
            PartnerInput(name="Батько", external_id="A", parent_external_id="H"),
            PartnerInput(name="Сусід", parent_id=holding.id),
            PartnerInput(name="Сам по собі"),
        ]
    )

    names = dict(await Partner.filter(id__in=ids).values_list("id", "name"))
    assert [names[pk] for pk in ids] == ["Онук", "Син", "Батько", "Сусід", "Сам по собі"]
    parents = dict(await Partner.all().values_list("id", "parent_id"))
    assert [parents[pk] for pk in ids] == [ids[1], ids[2], holding.id, holding.id, None]


async def test_records_without_an_external_id_keep_none(db) -> None:
    ids = await partners.bulk_create_partners(
        [PartnerInput(name=f"Партнер {n}", phones=[f"06712300{n:02d}"]) for n in range(12)]
    )

    rows = await Partner.filter(id__in=ids).order_by("id").values_list("id", "name", "external_id")
    assert [(pk, name) for pk, name, _ in rows] == [
        (pk, f"Партнер {n}") for n, pk in enumerate(ids)
    ]
    assert {external_id for _, _, external_id in rows} == {None}
    phones = dict(await ContactInfo.filter(partner_id__in=ids).values_list("partner_id", "value"))
    assert phones[ids[11]] == "+380 67 123 0011"


async def test_no_duplicate_warning_the_import_decides_what_is_new(db) -> None:
    await partners.create_partner(name="ТОВ Альфа", phones=["0671234567"])

    [pk] = await partners.bulk_create_partners(
        [PartnerInput(name="Альфа", phones=["067 123 45 67"])]
    )

    assert await Partner.filter(search_key="альфа").values_list("id", flat=True) == [pk]


@pytest.mark.parametrize(
    "bad",
    [
        {"name": " "},
        {"name": "Я" * 301},
        {"phones": ["0671234567", "12-34"]},
        {"emails": ["not-an-email"]},
        {"website": "not a site"},
        {"segments": ["Опт", " "]},
        {"segments": [999_999]},
        {"main_manager_id": 999_999},
        {"parent_id": 999_999},
        {"contact_cadence_days": 0},
        {"relationship_stage": "friend"},
        {"external_id": "X" * 101},
        {"external_id": "TAKEN"},
    ],
    ids=lambda bad: ",".join(bad),
)
async def test_the_same_errors_as_create_partner_and_nothing_written(db, bad) -> None:
    await partners.create_partner(name="Вже є", external_id="TAKEN")
    before = await _written()
    arguments = {"name": "Новий", **bad}
    bulk = await refused_alike(
        partners.create_partner(**arguments, confirm_duplicates=True),
        partners.bulk_create_partners(
            [PartnerInput(name="Добрий", phones=["0501112233"], segments=["Опт"]),
             PartnerInput(**arguments)]
        ),
    )  # fmt: skip

    assert bulk.params["row"] == 1
    assert await _written() == before
    assert not await Segment.filter(name="Опт").exists()


async def test_every_bad_row_is_listed_with_its_index(db) -> None:
    rows = [
        PartnerInput(name="Альфа", external_id="A"),
        PartnerInput(name="", external_id="B"),
        PartnerInput(name="Гама", external_id="C", phones=["123"]),
        PartnerInput(name="Дельта", external_id="A"),  # taken by the first row
        PartnerInput(name="Епсилон", external_id="E", parent_external_id="NOPE"),
    ]

    with pytest.raises(ValidationFailed) as error:
        await partners.bulk_create_partners(rows)

    assert error.value.params["row"] == 1
    assert [
        (row, each.params["field"], each.params["reason"])
        for row, each in error.value.params["errors"]
    ] == [
        (1, "name", "required"),
        (2, "phone", "bad_phone"),
        (3, "external_id", "already_used"),
        (4, "parent", "unknown_reference"),
    ]
    assert await Partner.all().count() == 0


async def test_a_circle_of_parents_in_the_batch_is_refused(db) -> None:
    rows = [
        PartnerInput(name="Альфа", external_id="A", parent_external_id="B"),
        PartnerInput(name="Бета", external_id="B", parent_external_id="A"),
        PartnerInput(name="Гама", external_id="C", parent_external_id="A"),  # under the circle
        PartnerInput(name="Сам", external_id="S", parent_external_id="S"),
        PartnerInput(name="Добрий", external_id="D"),
    ]

    with pytest.raises(ValidationFailed) as error:
        await partners.bulk_create_partners(rows)

    assert [(row, each.params["reason"]) for row, each in error.value.params["errors"]] == [
        (0, "parent_cycle"),
        (1, "parent_cycle"),
        (3, "parent_cycle"),
    ]
    assert await Partner.all().count() == 0


async def test_a_failure_while_writing_leaves_nothing_behind(db, monkeypatch) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ContactInfo, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        await partners.bulk_create_partners(
            [PartnerInput(name=f"П{n}", segments=["Опт"], phones=["0671234567"]) for n in (1, 2)]
        )
    monkeypatch.undo()

    assert await _written() == (0, 0, 0)
    assert await Segment.all().count() == 0


async def test_it_writes_in_the_callers_transaction(db) -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await partners.bulk_create_partners(
                [PartnerInput(name="Альфа", external_id="A", segments=["Опт"]),
                 PartnerInput(name="Бета", parent_external_id="A", emails=["b@beta.ua"])]
            )  # fmt: skip
            assert await Partner.all().count() == 2
            raise RuntimeError("the caller changes its mind")

    assert await _written() == (0, 0, 0)


async def test_ten_times_more_partners_need_no_more_queries(db, monkeypatch) -> None:
    manager = await make_employee()
    await partners.create_segment("VIP")
    counts = []
    for n in (3, 30):

        def row(i: int, n: int = n) -> PartnerInput:
            return PartnerInput(
                name=f"Партнер {n}-{i}", external_id=f"{n}-{i}", is_client=True,
                parent_external_id=f"{n}-0" if i else None, main_manager_id=manager.id,
                segments=["VIP", f"Нові {n}"], phones=[f"+38067{n:03d}{i:04d}"],
                emails=[f"p{i}@n{n}.ua"],
            )  # fmt: skip

        seen = count_queries(monkeypatch)
        ids = await partners.bulk_create_partners([row(i) for i in range(n)])
        counts.append(len(seen))
        monkeypatch.undo()

        assert len(ids) == n
        assert await ContactInfo.filter(partner_id__in=ids).count() == 2 * n
    assert counts[0] == counts[1]
    assert counts[0] >= 6  # really counted: lookups, two levels of inserts


async def test_an_empty_batch_does_nothing(db) -> None:
    assert await partners.bulk_create_partners([]) == []


def test_a_parent_is_given_once() -> None:
    with pytest.raises(TypeError):
        PartnerInput(name="Альфа", parent_id=1, parent_external_id="A")


async def test_an_unknown_partner_id_in_the_error_is_not_found(db) -> None:
    with pytest.raises(NotFound) as error:
        await partners.bulk_create_partners([PartnerInput(name="Альфа", parent_id=404)])
    assert (error.value.params["what"], error.value.params["id"]) == ("partner", 404)
