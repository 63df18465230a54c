"""ЄДРПОУ, РНОКПП, VAT number and IBAN: real codes pass, typos are caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationFailed
from services.validation import (
    check_edrpou,
    check_iban,
    check_rnokpp,
    check_tax_id,
    check_vat_number,
    edrpou_check_digit,
    rnokpp_check_digit,
)

# Codes of well-known Ukrainian companies, from the public register.
REAL_EDRPOU = {
    "00032129": "Ощадбанк",
    "14360570": "ПриватБанк",
    "00032106": "Укрексімбанк",
    "14305909": "Райффайзен Банк",
    "20077720": "Нафтогаз України",
    "21560766": "Укртелеком",
    "31316718": "Нова Пошта",  # 7,1..6 weights (3xxxxxxx)
    "32490244": "Епіцентр К",  # 7,1..6 weights
    "32855961": "(python-stdnum's example)",
}


def reason_of(error: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str]:
    return error.value.params["field"], error.value.params["reason"]


@pytest.mark.parametrize("code", sorted(REAL_EDRPOU))
def test_real_edrpou_codes_pass(code: str) -> None:
    assert check_edrpou(code) == code


def test_edrpou_typed_with_spaces_is_normalised() -> None:
    assert check_edrpou(" 1436 0570 ") == "14360570"
    assert check_edrpou(14360570) == "14360570"


def test_edrpou_second_pass_when_remainder_is_ten() -> None:
    # 0000007: weights 1..7 give 7*7=49 -> 49 % 11 = 5, no second pass; find one that needs it.
    body = next(
        f"{n:07d}"
        for n in range(10_000)
        if sum(int(d) * w for d, w in zip(f"{n:07d}", range(1, 8), strict=True)) % 11 == 10
    )
    second = sum(int(d) * (w + 2) for d, w in zip(body, range(1, 8), strict=True)) % 11 % 10
    assert edrpou_check_digit(body) == second
    assert check_edrpou(body + str(second)) == body + str(second)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("14360571", "bad_checksum"),
        ("00032128", "bad_checksum"),
        ("31316719", "bad_checksum"),
        ("1436057", "bad_length"),
        ("143605700", "bad_length"),
        ("1436O570", "not_digits"),  # a Latin O typed instead of zero
        ("", "required"),
        (None, "required"),
    ],
)
def test_bad_edrpou_is_refused_with_a_reason(value: str | None, reason: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_edrpou(value)
    assert reason_of(error) == ("edrpou", reason)
    if reason == "bad_length":
        assert error.value.params["length"] == 8


def _first_pass(code: str) -> int:
    weights = (7, 1, 2, 3, 4, 5, 6) if code[0] in "345" else (1, 2, 3, 4, 5, 6, 7)
    return sum(int(d) * w for d, w in zip(code, weights, strict=False)) % 11


bodies7 = st.text(alphabet="0123456789", min_size=7, max_size=7)
bodies9 = st.text(alphabet="0123456789", min_size=9, max_size=9)
other_digit = st.integers(min_value=1, max_value=9)


@given(bodies7)
def test_edrpou_with_its_computed_check_digit_passes(body: str) -> None:
    code = body + str(edrpou_check_digit(body))
    assert check_edrpou(code) == code


@given(bodies7, other_digit)
def test_edrpou_with_a_changed_check_digit_is_refused(body: str, shift: int) -> None:
    wrong = (edrpou_check_digit(body) + shift) % 10
    with pytest.raises(ValidationFailed) as error:
        check_edrpou(body + str(wrong))
    assert reason_of(error) == ("edrpou", "bad_checksum")


@given(bodies7, st.integers(min_value=0, max_value=6), other_digit)
def test_edrpou_single_digit_typo_is_refused(body: str, position: int, shift: int) -> None:
    code = body + str(edrpou_check_digit(body))
    typo = code[:position] + str((int(code[position]) + shift) % 10) + code[position + 1 :]
    # Weights 1..7 are coprime with 11, so a changed digit always changes the first-pass sum.
    # The algorithm's own blind spots: a second pass (remainder 10) on either side, or a typo in
    # the first digit that switches the weight set.
    blind_spot = (
        _first_pass(code) == 10
        or _first_pass(typo) == 10
        or (code[0] in "345") != (typo[0] in "345")
    )
    if not blind_spot:
        with pytest.raises(ValidationFailed):
            check_edrpou(typo)


def test_edrpou_catches_almost_every_single_digit_typo() -> None:
    caught = total = 0
    for n in range(0, 10_000_000, 7_919):  # 1263 bodies spread over the whole range
        body = f"{n:07d}"
        code = body + str(edrpou_check_digit(body))
        for position in range(8):
            for digit in "0123456789":
                if digit == code[position]:
                    continue
                total += 1
                try:
                    check_edrpou(code[:position] + digit + code[position + 1 :])
                except ValidationFailed:
                    caught += 1
    assert caught / total > 0.97


# --- РНОКПП ---


@pytest.mark.parametrize("code", ["1759013776", "3652504575", "2245134075"])
def test_real_looking_rnokpp_pass(code: str) -> None:
    assert check_rnokpp(code) == code


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1759013770", "bad_checksum"),
        ("1234567890", "bad_checksum"),
        ("175901377", "bad_length"),
        ("17590137761", "bad_length"),
        ("17590I3776", "not_digits"),
        ("  ", "required"),
    ],
)
def test_bad_rnokpp_is_refused_with_a_reason(value: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_rnokpp(value)
    assert reason_of(error) == ("rnokpp", reason)


WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)


@given(bodies9)
def test_rnokpp_with_its_computed_check_digit_passes(body: str) -> None:
    code = body + str(rnokpp_check_digit(body))
    assert check_rnokpp(code) == code


@given(bodies9, st.integers(min_value=0, max_value=9), other_digit)
def test_rnokpp_single_digit_typo_is_refused(body: str, position: int, shift: int) -> None:
    code = body + str(rnokpp_check_digit(body))
    typo = code[:position] + str((int(code[position]) + shift) % 10) + code[position + 1 :]

    def mod11(value: str) -> int:
        return sum(int(d) * w for d, w in zip(value, WEIGHTS, strict=False)) % 11

    # The only blind spot: sums of 10 and 0 (mod 11) both give check digit 0.
    if position == 9 or {mod11(code), mod11(typo)} != {0, 10}:
        with pytest.raises(ValidationFailed):
            check_rnokpp(typo)


# --- either one ---


def test_tax_id_kind_follows_the_length() -> None:
    assert check_tax_id("14360570") == ("edrpou", "14360570")
    assert check_tax_id("1759 013 776") == ("rnokpp", "1759013776")


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        ("123456789", "tax_id", "bad_length"),
        ("12-34", "tax_id", "bad_length"),
        ("ЄДРПОУ", "tax_id", "not_digits"),
        ("", "tax_id", "required"),
        ("14360571", "edrpou", "bad_checksum"),
        ("1759013770", "rnokpp", "bad_checksum"),
    ],
)
def test_bad_tax_id_names_the_right_field(value: str, field: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_tax_id(value)
    assert reason_of(error) == (field, reason)


def test_vat_number_is_twelve_digits() -> None:
    assert check_vat_number("1436 0570 2659") == "143605702659"
    with pytest.raises(ValidationFailed) as error:
        check_vat_number("14360570")
    assert reason_of(error) == ("vat_number", "bad_length")
    assert error.value.params["length"] == 12


# --- IBAN ---

# The Ukrainian example of the SWIFT IBAN registry.
REGISTRY_EXAMPLE = "UA213223130000026007233566001"


def test_registry_example_iban_passes_with_spaces_and_lower_case() -> None:
    assert check_iban("ua21 3223 1300 0002 6007 2335 6600 1") == REGISTRY_EXAMPLE
    assert check_iban(REGISTRY_EXAMPLE) == REGISTRY_EXAMPLE


@pytest.mark.parametrize(
    "value",
    [
        "UA223223130000026007233566001",  # check digits wrong
        "UA213223130000026007233566002",  # account digit wrong
        "UA21322313000002600723356600",  # 28 characters
        "PL61109010140000071219812874",  # a valid Polish IBAN, not Ukrainian
        "UA21322313000002600723356600!",
        "26007233566001",  # a bare account number
    ],
)
def test_bad_iban_is_refused(value: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_iban(value)
    assert reason_of(error) == ("iban", "bad_iban")


def make_iban(mfo: str, account: str) -> str:
    bban = mfo + account
    numeric = "".join(str(int(ch, 36)) for ch in bban + "UA00")
    return f"UA{98 - int(numeric) % 97:02d}{bban}"


@given(
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet="0123456789", min_size=19, max_size=19),
    st.integers(min_value=2, max_value=28),
    other_digit,
)
def test_iban_single_digit_typo_is_always_refused(
    mfo: str, account: str, position: int, shift: int
) -> None:
    iban = make_iban(mfo, account)
    assert check_iban(iban) == iban
    typo = iban[:position] + str((int(iban[position]) + shift) % 10) + iban[position + 1 :]
    with pytest.raises(ValidationFailed):
        check_iban(typo)
