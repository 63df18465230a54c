"""Phones, e-mails, Telegram usernames and web addresses as people type them."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.i18n import translate_error
from services.validation import (
    check_telegram_username,
    check_website,
    email_key,
    format_phone,
    normalize_email,
    normalize_phone,
)


@pytest.mark.parametrize(
    "typed",
    [
        "+380 67 123 45 67",
        "067-123-45-67",
        "(067)1234567",
        "0671234567",
        "380671234567",
        "+38 (067) 123-45-67",
        "0038 067 123 45 67",
    ],
)
def test_ukrainian_mobile_in_any_usual_format_becomes_e164(typed: str) -> None:
    assert normalize_phone(typed) == "+380671234567"


def test_kyiv_landline_and_foreign_numbers() -> None:
    assert normalize_phone("044 234 56 78") == "+380442345678"
    assert normalize_phone("+48 22 123 45 67") == "+48221234567"


def test_phone_is_shown_grouped() -> None:
    assert format_phone("+380671234567") == "+380 67 123 4567"


@pytest.mark.parametrize("typed", ["12345", "067-123", "+380 67 123 45 67 89 00", "телефон", "+"])
def test_not_a_phone_is_refused(typed: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        normalize_phone(typed)
    assert error.value.params == {"field": "phone", "reason": "bad_phone"}


def test_empty_phone_is_required() -> None:
    with pytest.raises(ValidationFailed) as error:
        normalize_phone("   ")
    assert error.value.params["reason"] == "required"


def test_error_reads_as_one_sentence() -> None:
    with pytest.raises(ValidationFailed) as error:
        normalize_phone("12345")
    assert translate_error(error.value, "en") == "Phone: is not a phone number"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Olena.Koval@UKR.NET", "Olena.Koval@ukr.net"),
        ("  sales@alfa-trade.com.ua ", "sales@alfa-trade.com.ua"),
        ("mailto:info@Example.UA", "info@example.ua"),
        ("<buh+invoices@firma.ua>", "buh+invoices@firma.ua"),
        ("info@пошта.укр", "info@xn--80a1acn3a.xn--j1amh"),
    ],
)
def test_email_domain_is_lower_cased(typed: str, expected: str) -> None:
    assert normalize_email(typed) == expected


def test_email_key_ignores_case_entirely() -> None:
    assert email_key("Olena.Koval@UKR.NET") == email_key("olena.koval@ukr.net")


@pytest.mark.parametrize(
    "typed",
    [
        "olena.koval",
        "olena@",
        "@ukr.net",
        "olena@@ukr.net",
        "olena@ukr",
        "olena koval@ukr.net",
        ".olena@ukr.net",
        "olena..koval@ukr.net",
        "olena@-ukr.net",
        "olena@ukr.n3t",
        "олена@ukr.net",
        "a" * 65 + "@ukr.net",
    ],
)
def test_malformed_email_is_refused(typed: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        normalize_email(typed)
    assert error.value.params == {"field": "email", "reason": "bad_email"}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("@olena_koval", "olena_koval"),
        ("olena_koval", "olena_koval"),
        ("https://t.me/OlenaKoval", "OlenaKoval"),
        ("t.me/olena_koval/", "olena_koval"),
    ],
)
def test_telegram_username_without_at(typed: str, expected: str) -> None:
    assert check_telegram_username(typed) == expected


@pytest.mark.parametrize("typed", ["@olk", "olena koval", "олена", "1olena", "a" * 33, "@"])
def test_bad_telegram_username_is_refused(typed: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_telegram_username(typed)
    assert error.value.params["field"] == "telegram"
    assert error.value.params["reason"] in {"bad_username", "required"}


def test_website_gets_a_scheme_and_a_lower_case_host() -> None:
    assert check_website("Alfa-Trade.com.ua/contacts") == "https://alfa-trade.com.ua/contacts"
    assert check_website("http://www.firma.ua") == "http://www.firma.ua"


@pytest.mark.parametrize("typed", ["alfa trade", "localhost", "http://", "alfa..ua"])
def test_not_a_website_is_refused(typed: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_website(typed)
    assert error.value.params["reason"] == "bad_url"
