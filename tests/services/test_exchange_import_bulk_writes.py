"""The import writes through the bulk commands: problems still found per line, few queries."""

from __future__ import annotations

import pytest

from core.errors import ImportFailed, ValidationFailed
from models import ContactInfo, ContactPerson, Counterparty, Partner, Segment
from services import partners
from services.exchange import import_master_data
from tests.factories import make_employee, make_partner
from tests.sql_count import count_queries


def _problems(error: pytest.ExceptionInfo[ImportFailed]) -> list[tuple[int | None, str | None]]:
    return [(p.line, p.field) for p in error.value.params["problems"]]


async def test_every_row_refused_by_the_partners_service_is_reported(db) -> None:
    await make_partner(external_id="П-1", name="ТОВ Альфа")
    data = (
        "Код;Код партнера;Вид;Найменування;РНОКПП\n"
        "К-1;П-1;юридична особа;ТОВ Бета;3184710691\n"
        "К-2;П-1;ФОП;ФОП Альфа;3184710691\n"
        "К-3;П-1;юридична особа;ТОВ Гама;3184710691\n"
    ).encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("counterparties", data)

    assert _problems(error) == [(2, "rnokpp"), (4, "rnokpp")]
    assert await Counterparty.all().count() == 0


async def test_an_existing_partner_can_move_under_a_new_one(db) -> None:
    await make_partner(external_id="OLD", name="Давній")

    report = await import_master_data(
        "partners", "Код;Найменування;Код групи\nOLD;Давній;NEW\nNEW;Новий;\n".encode()
    )

    assert (report.created, report.updated) == (1, 1)
    old = await Partner.get(external_id="OLD").prefetch_related("parent")
    assert old.parent.external_id == "NEW"


async def test_rows_below_a_refused_new_partner_wait_and_the_rest_is_still_checked(
    db, monkeypatch
) -> None:
    """A rule only the service knows refuses line 2: line 3 (its child) is not reported again,
    and line 5, an existing partner moved under the good new partner of line 4, is still
    checked (and refused by the same rule)."""
    await make_partner(external_id="E", name="Давній")
    prepare = partners._prepare_partner

    def strict(changes, own_id, facts):
        if str(changes.get("name", "")).startswith("Заборонений"):
            raise ValidationFailed("invalid", field="name", reason="too_long", max=5)
        return prepare(changes, own_id, facts)

    monkeypatch.setattr(partners, "_prepare_partner", strict)
    data = (
        "Код;Найменування;Код групи\n"
        "N1;Заборонений;\n"
        "N2;Дитина;N1\n"
        "N3;Добрий;\n"
        "E;Заборонений теж;N3\n"
    ).encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    assert _problems(error) == [(2, "name"), (5, "name")]
    assert await Partner.all().count() == 1


def _files(n: int) -> dict[str, bytes]:
    rows = range(1, n + 1)
    partners_file = "Код;Найменування;Ролі;Код групи;Телефони;Електронна пошта;Сегменти;Менеджер\n"
    partners_file += "G;Група;;;;;;\n" + "".join(
        f"P{i};Партнер {i};клієнт;G;+38067{i:07d};p{i}@example.com;Опт, Нові;Олена Коваль\n"
        for i in rows
    )
    counterparties = "Код;Код партнера;Найменування;ЄДРПОУ;РНОКПП\n" + "".join(
        f"K{i};P{i};ТОВ Партнер {i};{'00032129' if i % 2 else ''};{'' if i % 2 else '3184710691'}\n"
        for i in rows
    )
    contacts = "Код;Код партнера;ПІБ;Телефони;Ролі\n" + "".join(
        f"C{i};P{i};Особа {i};+38050{i:07d};бухгалтер\n" for i in rows
    )
    return {"partners": partners_file.encode(), "counterparties": counterparties.encode(),
            "contacts": contacts.encode()}  # fmt: skip


async def test_new_records_need_as_many_queries_for_30_rows_as_for_3(db, monkeypatch) -> None:
    await make_employee(full_name="Олена Коваль")
    queries: dict[int, list[int]] = {}
    for n in (3, 30):
        for model in (ContactInfo, ContactPerson, Counterparty, Partner, Segment):
            await model.all().delete()
        queries[n] = []
        for kind, data in _files(n).items():
            seen = count_queries(monkeypatch)
            report = await import_master_data(kind, data)
            queries[n].append(len(seen))
            monkeypatch.undo()

            assert report.created == n + (kind == "partners")
        assert await ContactInfo.filter(contact_id__isnull=False).count() == n
    assert queries[3] == queries[30]
    assert min(queries[3]) >= 3  # really counted
