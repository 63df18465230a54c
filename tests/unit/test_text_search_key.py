"""Tolerant search keys: spellings a user would consider the same give the same key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.text import digits_only, search_key, sort_key


@pytest.mark.parametrize(
    "spelling",
    ["Кам'янець", "Камʼянець", "Кам’янець", "Кам‘янець", "Кам`янець", "Кам´янець", "КАМ'ЯНЕЦЬ"],
)
def test_every_apostrophe_gives_the_same_key(spelling: str) -> None:
    assert search_key(spelling) == search_key("Кам'янець")


def test_latin_lookalikes_match_cyrillic() -> None:
    latin_tob = "TOB Альфа"  # T, O, B typed on the English layout
    assert latin_tob[0] == "T"
    assert search_key(latin_tob) == search_key("ТОВ Альфа")
    # Mixed inside one word: Latin 'a', 'o', 'c', 'p', 'e', 'x', 'y', 'i' in a Cyrillic word.
    assert search_key("Мoлoкoзавoд") == search_key("Молокозавод")
    assert search_key("Cвітaнoк") == search_key("Світанок")
    assert search_key("Укрпoштa Expres") == search_key("Укрпошта Ехрrеs")


def test_quotes_and_spacing_do_not_matter() -> None:
    expected = search_key("ТОВ Альфа Трейд")
    for spelling in [
        "ТОВ «Альфа Трейд»",
        'ТОВ "Альфа  Трейд"',
        "ТОВ 'Альфа Трейд'",
        "  тов „Альфа“ трейд ",
    ]:
        assert search_key(spelling) == expected


def test_apostrophe_inside_a_word_survives_quote_stripping() -> None:
    assert search_key("«Кам’янець-Подільський»") == "кам'янець-подільський"


def test_ukrainian_letters_stay_distinct_from_russian_ones() -> None:
    assert search_key("Київ") != search_key("Киев")
    assert search_key("Кривий Ріг") != search_key("Кривий Рог")
    # ґ and г are one for search, because many keyboards and old data lack ґ.
    assert search_key("Ґудзик") == search_key("Гудзик")


def test_key_is_a_substring_of_the_stored_key_for_partial_queries() -> None:
    stored = search_key("ТОВ «Кам’янець-Подільський молокозавод»")
    assert search_key("камʼянець") in stored
    assert search_key("MOЛOKO") in stored


def test_empty_input_gives_empty_key() -> None:
    assert search_key("") == ""
    assert search_key(None) == ""
    assert search_key(" «» ") == ""


def test_digits_only() -> None:
    assert digits_only("+38 (067) 123-45-67") == "380671234567"
    assert digits_only(None) == ""


@given(st.text(max_size=60))
def test_key_is_stable(text: str) -> None:
    key = search_key(text)
    assert search_key(key) == key
    assert key == key.strip()
    assert "  " not in key


def test_sort_key_follows_the_ukrainian_alphabet() -> None:
    names = ["Ірина", "Євген", "Андрій", "Ґанна", "Гліб", "Юлія", "Иван", "Їжак", "богдан", "2Б"]
    assert sorted(names, key=sort_key) == [
        "2Б", "Андрій", "богдан", "Гліб", "Ґанна", "Євген", "Иван", "Ірина", "Їжак", "Юлія",
    ]  # fmt: skip
