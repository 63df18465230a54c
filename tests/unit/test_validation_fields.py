"""Names, dates, choices and numbers: what a form or an import file can throw at us."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import ValidationFailed
from core.i18n import translate_error
from models.base import Role
from services.validation import check_choice, check_name, check_positive_int, parse_date


def test_name_is_stripped_and_inner_whitespace_collapsed() -> None:
    assert check_name("  ТОВ   «Альфа\tТрейд»\n") == "ТОВ «Альфа Трейд»"


@pytest.mark.parametrize("typed", ["", "   ", "\n\t", None])
def test_empty_name_is_required(typed: str | None) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_name(typed, field="full_name")
    assert error.value.params == {"field": "full_name", "reason": "required"}


def test_ten_thousand_character_name_is_too_long_not_a_database_error() -> None:
    with pytest.raises(ValidationFailed) as error:
        check_name("Я" * 10_000)
    assert error.value.params == {"field": "name", "reason": "too_long", "max": 300}
    assert translate_error(error.value, "en") == "Name: is too long (at most 300 characters)"


def test_name_of_exactly_max_length_passes() -> None:
    assert check_name("a" * 200, max_len=200) == "a" * 200


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("27.11.2026", dt.date(2026, 11, 27)),
        ("1.2.1990", dt.date(1990, 2, 1)),
        ("27/11/2026", dt.date(2026, 11, 27)),
        ("2026-11-27", dt.date(2026, 11, 27)),
        (" 2026-11-27 ", dt.date(2026, 11, 27)),
        (dt.date(1985, 5, 3), dt.date(1985, 5, 3)),
        (dt.datetime(1985, 5, 3, 10, 0), dt.date(1985, 5, 3)),
    ],
)
def test_dates_in_ukrainian_and_iso_form(typed: object, expected: dt.date) -> None:
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    "typed",
    ["31.02.2026", "2026-13-01", "27.11.26", "11/27/2026", "завтра", "01.01.1899", "2101-01-01"],
)
def test_impossible_or_out_of_range_dates_are_refused(typed: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        parse_date(typed, field="birthday")
    assert error.value.params == {"field": "birthday", "reason": "bad_date"}


def test_choice_from_an_enum_or_a_list() -> None:
    assert check_choice("head", Role, "role") == "head"
    assert check_choice(Role.ADMIN, Role, "role") == "admin"
    assert check_choice("en", ("uk", "en"), "locale") == "en"


def test_wrong_choice_lists_the_options() -> None:
    with pytest.raises(ValidationFailed) as error:
        check_choice("boss", Role, "role")
    assert error.value.params == {
        "field": "role",
        "reason": "bad_choice",
        "choices": "manager, head, admin",
    }
    assert translate_error(error.value, "en") == "Role: must be one of: manager, head, admin"


@pytest.mark.parametrize("typed", [0, -3, "0", "abc", "1.5", True])
def test_positive_int_refuses_zero_negatives_and_text(typed: object) -> None:
    with pytest.raises(ValidationFailed):
        check_positive_int(typed, "ttl_hours", 720)


def test_positive_int_accepts_text_digits_within_the_maximum() -> None:
    assert check_positive_int("48", "ttl_hours", 720) == 48
    with pytest.raises(ValidationFailed) as error:
        check_positive_int(721, "ttl_hours", 720)
    assert error.value.params["reason"] == "out_of_range"
