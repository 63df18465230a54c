"""Pure validators: each returns the normalised value or raises `ValidationFailed`.

Every failure is `ValidationFailed("invalid", field=..., reason=..., **extra)` with a reason code
from `core.i18n.REASONS`, so adapters can say in one sentence what is wrong with which field.
No database, no clock: safe to call anywhere, including import parsers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from enum import Enum
from typing import Any

import phonenumbers

import services.i18n_extra_partners  # noqa: F401  (the texts of the codes raised here)
from core.errors import ValidationFailed

EDRPOU_LENGTH = 8
RNOKPP_LENGTH = 10
VAT_NUMBER_LENGTH = 12
UA_IBAN_LENGTH = 29
MIN_YEAR = 1900
MAX_YEAR = 2100

_SPACES = re.compile(r"\s+")
# Separators people type inside codes, phone numbers and IBANs; never letters.
_CODE_SEPARATORS = re.compile(r"[\s\-.]+")


def _fail(field: str, reason: str, **extra: Any) -> ValidationFailed:
    return ValidationFailed("invalid", field=field, reason=reason, **extra)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    return value


def _digits(value: object, field: str, length: int) -> str:
    """Strip spaces, dashes and dots; demand exactly `length` digits."""
    text = _CODE_SEPARATORS.sub("", _text(value))
    if not text:
        raise _fail(field, "required")
    if not (text.isascii() and text.isdigit()):
        raise _fail(field, "not_digits")
    if len(text) != length:
        raise _fail(field, "bad_length", length=length)
    return text


# --- tax ids ------------------------------------------------------------------------------------


def edrpou_check_digit(first_seven: str) -> int:
    """The check digit of an ЄДРПОУ code from its first seven digits (the official algorithm).

    Weights 1..7 for codes below 30000000 or above 60000000, 7,1,2..6 in between; when the
    sum mod 11 is 10, a second pass with every weight increased by 2, and a second 10 gives 0.
    "In between" is the same as "starts with 3, 4 or 5" for every code that can be valid
    (60000000 itself fails under both weight sets), so the first digit decides.
    """
    digits = [int(ch) for ch in first_seven]
    weights = (7, 1, 2, 3, 4, 5, 6) if first_seven[0] in "345" else (1, 2, 3, 4, 5, 6, 7)
    remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    if remainder == 10:
        remainder = sum(d * (w + 2) for d, w in zip(digits, weights, strict=True)) % 11 % 10
    return remainder


def check_edrpou(value: object) -> str:
    """ЄДРПОУ of a legal entity: 8 digits with a valid check digit."""
    code = _digits(value, "edrpou", EDRPOU_LENGTH)
    if edrpou_check_digit(code[:7]) != int(code[7]):
        raise _fail("edrpou", "bad_checksum")
    return code


RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)


def rnokpp_check_digit(first_nine: str) -> int:
    total = sum(int(ch) * w for ch, w in zip(first_nine, RNOKPP_WEIGHTS, strict=True))
    return total % 11 % 10


def check_rnokpp(value: object) -> str:
    """РНОКПП (ІПН) of a person or ФОП: 10 digits with a valid check digit."""
    code = _digits(value, "rnokpp", RNOKPP_LENGTH)
    if rnokpp_check_digit(code[:9]) != int(code[9]):
        raise _fail("rnokpp", "bad_checksum")
    return code


def check_tax_id(value: object) -> tuple[str, str]:
    """("edrpou", code) for 8 digits, ("rnokpp", code) for 10; anything else is refused."""
    text = _CODE_SEPARATORS.sub("", _text(value))
    if not text:
        raise _fail("tax_id", "required")
    if not (text.isascii() and text.isdigit()):
        raise _fail("tax_id", "not_digits")
    if len(text) == EDRPOU_LENGTH:
        return "edrpou", check_edrpou(text)
    if len(text) == RNOKPP_LENGTH:
        return "rnokpp", check_rnokpp(text)
    raise _fail("tax_id", "bad_length", length=f"{EDRPOU_LENGTH} / {RNOKPP_LENGTH}")


def check_vat_number(value: object) -> str:
    """ІПН платника ПДВ: 12 digits (no public check digit)."""
    return _digits(value, "vat_number", VAT_NUMBER_LENGTH)


# --- bank ---------------------------------------------------------------------------------------

_UA_IBAN = re.compile(r"UA\d{2}\d{6}[0-9A-Z]{19}")


def iban_mod97(iban: str) -> int:
    """ISO 13616: move the first four characters to the end, letters to 10..35, mod 97."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97


def check_iban(value: object) -> str:
    """A Ukrainian IBAN: UA, 2 check digits, 6-digit bank code (МФО), 19-character account."""
    text = _CODE_SEPARATORS.sub("", _text(value)).upper()
    if not text:
        raise _fail("iban", "required")
    if len(text) != UA_IBAN_LENGTH or not _UA_IBAN.fullmatch(text) or iban_mod97(text) != 1:
        raise _fail("iban", "bad_iban")
    return text


# --- contacts -----------------------------------------------------------------------------------


def normalize_phone(value: object, region: str = "UA") -> str:
    """A phone number in E.164 (+380671234567); national formats of `region` are accepted."""
    text = _text(value).strip()
    if not text:
        raise _fail("phone", "required")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise _fail("phone", "bad_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise _fail("phone", "bad_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """+380671234567 -> '+380 67 123 4567' for display."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"(xn--[a-z0-9-]{2,59}|[a-z]{2,63})")


def normalize_email(value: object) -> str:
    """`local@domain` with the domain lower-cased (IDN domains in punycode); strict syntax.

    The local part keeps its case; compare addresses with `email_key()`.
    """
    text = _text(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if not text:
        raise _fail("email", "required")
    if len(text) > 254 or text.count("@") != 1:
        raise _fail("email", "bad_email")
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        raise _fail("email", "bad_email")
    domain = domain.rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise _fail("email", "bad_email") from None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise _fail("email", "bad_email")
    if not _TLD.fullmatch(labels[-1]):
        raise _fail("email", "bad_email")
    return f"{local}@{domain}"


def email_key(value: object) -> str:
    """The form e-mail addresses are compared and stored for lookup in: all lower case."""
    return normalize_email(value).lower()


_TELEGRAM_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_TELEGRAM_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/", re.IGNORECASE)


def check_telegram_username(value: object) -> str:
    """A Telegram username without '@': 5..32 of [A-Za-z0-9_], starting with a letter.

    '@name' and 't.me/name' links are accepted.
    """
    text = _TELEGRAM_LINK.sub("", _text(value).strip()).removeprefix("@").rstrip("/")
    if not text:
        raise _fail("telegram", "required")
    if not _TELEGRAM_USERNAME.fullmatch(text):
        raise _fail("telegram", "bad_username")
    return text


_URL_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:xn--[a-z0-9-]{2,59}|[a-z]{2,63})(?::\d{1,5})?"
)


def check_website(value: object, field: str = "website") -> str:
    """A web address; 'https://' is added when no scheme is given. Spaces are refused."""
    text = _text(value).strip()
    if not text:
        raise _fail(field, "required")
    if len(text) > 500:
        raise _fail(field, "too_long", max=500)
    if any(ch.isspace() for ch in text):
        raise _fail(field, "bad_url")
    lowered = text.lower()
    if not lowered.startswith(("http://", "https://")):
        text = "https://" + text
    scheme, _, rest = text.partition("://")
    host, sep, path = rest.partition("/")
    try:
        host = host.lower().encode("idna").decode("ascii")
    except UnicodeError:
        raise _fail(field, "bad_url") from None
    if not _URL_HOST.fullmatch(host):
        raise _fail(field, "bad_url")
    return f"{scheme.lower()}://{host}{sep}{path}"


def website_key(url: str) -> str:
    """What two addresses of the same site share: host without www, path, no trailing slash."""
    rest = url.split("://", 1)[-1].lower().removeprefix("www.")
    return rest.rstrip("/")


# --- text, dates, choices -----------------------------------------------------------------------


def check_name(value: object, field: str = "name", max_len: int = 300) -> str:
    """Strip, collapse inner whitespace; required and at most `max_len` characters."""
    text = _SPACES.sub(" ", _text(value)).strip()
    if not text:
        raise _fail(field, "required")
    if len(text) > max_len:
        raise _fail(field, "too_long", max=max_len)
    return text


def check_text(value: object, field: str, max_len: int = 10_000) -> str:
    """Free text (a comment, an address): stripped, may be empty, at most `max_len`."""
    text = _text(value).strip()
    if len(text) > max_len:
        raise _fail(field, "too_long", max=max_len)
    return text


_DOTTED_DATE = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_date(value: object, field: str = "date") -> dt.date:
    """DD.MM.YYYY (also D.M.YYYY and DD/MM/YYYY) or ISO YYYY-MM-DD; years 1900..2100."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        result = value
    else:
        text = _text(value).strip()
        if not text:
            raise _fail(field, "required")
        if match := _DOTTED_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
        elif match := _ISO_DATE.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
        else:
            raise _fail(field, "bad_date")
        try:
            result = dt.date(year, month, day)
        except ValueError:
            raise _fail(field, "bad_date") from None
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise _fail(field, "bad_date")
    return result


def check_choice(value: object, choices: Iterable[Any], field: str) -> str:
    """`value` must be one of `choices` (strings or an Enum class); returns the plain string."""
    options = [c.value if isinstance(c, Enum) else str(c) for c in choices]
    text = (value.value if isinstance(value, Enum) else _text(value)).strip()
    if not text:
        raise _fail(field, "required")
    if text not in options:
        raise _fail(field, "bad_choice", choices=", ".join(options))
    return text


def check_positive_int(value: object, field: str, maximum: int | None = None) -> int:
    """A whole number >= 1 (and <= maximum)."""
    if isinstance(value, bool):
        raise _fail(field, "bad_number")
    if isinstance(value, int):
        number = value
    else:
        text = _text(value).strip()
        if not text:
            raise _fail(field, "required")
        if not (text.isascii() and text.isdigit()):
            raise _fail(field, "bad_number")
        number = int(text)
    if number < 1 or (maximum is not None and number > maximum):
        raise _fail(field, "out_of_range", min=1, max=maximum if maximum is not None else "∞")
    return number
