"""Bad files: every problem is reported with its line and field, and nothing is written."""

from __future__ import annotations

import pytest

from core.errors import ImportFailed
from core.i18n import translate_error
from models import ContactPerson, Counterparty, Partner
from services.exchange import import_master_data
from services.exchange_i18n import merge_into_core
from tests.factories import make_employee, make_partner


def _problems(error: pytest.ExceptionInfo[ImportFailed]) -> list[tuple[int | None, str | None]]:
    return [(p.line, p.field) for p in error.value.params["problems"]]


def _messages(error: pytest.ExceptionInfo[ImportFailed]) -> dict[int | None, list[str]]:
    merge_into_core()
    messages: dict[int | None, list[str]] = {}
    for problem in error.value.params["problems"]:
        messages.setdefault(problem.line, []).append(translate_error(problem.error, "en"))
    return messages


async def test_every_bad_partner_row_is_reported_and_nothing_is_written(db):
    long_name = "Я" * 10_000
    data = (
        "Код;Найменування;Код групи;Телефони;Електронна пошта\n"
        "A;ТОВ Альфа;;067 123 45 67;a@alfa.ua\n"  # 2: fine
        "B;;;;\n"  # 3: empty name
        f"C;{long_name};;;\n"  # 4: 10 000 characters
        "A;Дубль;;;\n"  # 5: A again
        "D;Дельта;NOPE;;\n"  # 6: unknown parent
        "E;Епсилон;;12-34, 067 000 00 00;\n"  # 7: a bad phone
        "F;Фі;;;not-an-email\n"  # 8: a bad e-mail
    ).encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    assert _problems(error) == [
        (3, "name"),
        (4, "name"),
        (5, "external_id"),
        (6, "parent"),
        (7, "phone"),
        (8, "email"),
    ]
    assert error.value.params["count"] == 6
    messages = _messages(error)
    assert messages[3] == ["Name: is required"]
    assert messages[4] == ["Name: is too long (at most 300 characters)"]
    assert messages[5] == ["External id: repeats line 2"]
    assert messages[6] == ["Parent partner: refers to an unknown record NOPE"]
    bad_phone = error.value.params["problems"][4]
    assert bad_phone.value == "12-34"  # the offending item of the list, not the whole cell
    assert len(error.value.params["problems"][1].value) <= 60
    assert await Partner.all().count() == 0


async def test_a_circle_of_parents_is_refused(db):
    data = "Код;Найменування;Код групи\nA;Альфа;B\nB;Бета;C\nC;Гама;A\nD;Дельта;D\n".encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    assert _problems(error) == [(2, "parent"), (3, "parent"), (4, "parent"), (5, "parent")]
    assert await Partner.all().count() == 0


async def test_a_circle_through_partners_already_in_the_crm_is_refused(db):
    top = await make_partner(external_id="TOP", name="Верх")
    await make_partner(external_id="MID", name="Середина", parent=top)

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", "Код;Найменування;Код групи\nTOP;Верх;MID\n".encode())

    assert _problems(error) == [(2, "parent")]
    assert (await Partner.get(external_id="TOP")).parent_id is None


async def test_unknown_or_ambiguous_main_manager_is_reported(db):
    await make_employee(full_name="Олена Коваль")
    await make_employee(full_name="Олена  коваль")
    data = (
        "Код;Найменування;Основний менеджер\nA;Альфа;Олена Коваль\nB;Бета;nobody@firm.ua\n"
    ).encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    assert _problems(error) == [(2, "main_manager"), (3, "main_manager")]
    reasons = [p.error.params["reason"] for p in error.value.params["problems"]]
    assert reasons == ["ambiguous_reference", "unknown_reference"]


async def test_bad_counterparty_rows_are_all_reported(db):
    await make_partner(external_id="П-1", name="ТОВ Альфа")
    data = (
        "Код;Код партнера;Найменування;ЄДРПОУ;РНОКПП;IBAN\n"
        "К-1;П-1;ТОВ Альфа;00032129;;UA213223130000026007233566001\n"  # 2: fine
        "К-2;П-1;ТОВ Бета;00032128;;\n"  # 3: wrong check digit
        "К-3;П-404;ТОВ Гама;;;\n"  # 4: unknown partner
        "К-4;П-1;ФОП Дельта;;318471069;\n"  # 5: nine digits
        "К-5;П-1;ТОВ Епсилон;;;UA213223130000026007233566000\n"  # 6: bad IBAN
        "К-6;;ТОВ Зета;;;\n"  # 7: no partner
    ).encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("counterparties", data)

    assert _problems(error) == [
        (3, "edrpou"),
        (4, "partner"),
        (5, "rnokpp"),
        (6, "iban"),
        (7, "partner"),
    ]
    assert _messages(error)[3] == ["EDRPOU code: has a wrong check digit"]
    assert await Counterparty.all().count() == 0


async def test_a_rule_of_the_partners_service_fails_the_whole_file(db):
    """Row 2 is written first; row 3 breaks a rule only the partners service knows (a legal
    entity with a РНОКПП): the row is reported and row 2 is rolled back."""
    await make_partner(external_id="П-1", name="ТОВ Альфа")
    data = (
        "Код;Код партнера;Вид;Найменування;РНОКПП\n"
        "К-1;П-1;ФОП;ФОП Альфа;3184710691\n"
        "К-2;П-1;юридична особа;ТОВ Бета;3184710691\n"
    ).encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("counterparties", data)

    assert _problems(error) == [(3, "rnokpp")]
    assert await Counterparty.all().count() == 0


async def test_bad_contact_rows_are_all_reported(db):
    await make_partner(external_id="П-1", name="ТОВ Альфа")
    data = (
        "Код;Код партнера;ПІБ;Telegram;Дата народження\n"
        "КО-1;П-1;Іваненко Марія;@m_ivanenko;12.03.1985\n"
        "КО-2;П-1;Петренко Іван;@1x;\n"
        "КО-3;П-1;Сидоренко Олег;;31.02.1990\n"
        "КО-4;П-2;Коваль Ганна;;\n"
        "КО-1;П-1;Іваненко Марія;;\n"
    ).encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("contacts", data)

    assert _problems(error) == [
        (3, "telegram"),
        (4, "birthday"),
        (5, "partner"),
        (6, "external_id"),
    ]
    assert await ContactPerson.all().count() == 0


async def test_line_numbers_count_the_lines_of_multi_line_cells(db):
    data = 'Код;Найменування;Коментар\nA;Альфа;"раз\nдва\nтри"\nB;;\n'.encode()

    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", data)

    assert _problems(error) == [(5, "name")]


async def test_a_crm_reference_to_a_record_that_does_not_exist_is_reported(db):
    with pytest.raises(ImportFailed) as error:
        await import_master_data("partners", "Код;Найменування\ncrm:999;Альфа\n".encode())

    assert _problems(error) == [(2, "external_id")]


async def test_a_counterparty_is_not_moved_to_another_partner(db):
    alfa = await make_partner(external_id="П-1", name="ТОВ Альфа")
    await make_partner(external_id="П-2", name="ТОВ Бета")
    await Counterparty.create(
        external_id="К-1", partner=alfa, name="ТОВ Альфа", search_key="тов альфа"
    )

    with pytest.raises(ImportFailed) as error:
        await import_master_data(
            "counterparties", "Код;Код партнера;Найменування\nК-1;П-2;ТОВ Альфа\n".encode()
        )

    assert _problems(error) == [(2, "partner")]
    assert (await Counterparty.get(external_id="К-1")).partner_id == alfa.id
