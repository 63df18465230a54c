"""Translations (gettext catalogues under locales/, read with Babel) and formatting at the edge.

Catalogues are `.po` files compiled in memory on first use, so a fresh clone needs no build
step. Services raise `DomainError`s with codes; `translate_error` turns them into a sentence in
the user's language. Ukrainian has three plural forms: always use `ngettext` for counts.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

if TYPE_CHECKING:
    from core.errors import DomainError

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "crm"
DEFAULT_LOCALE = "uk"
LOCALES = ("uk", "en")


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


@lru_cache(maxsize=8)
def translations(locale: str) -> _gettext.NullTranslations:
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(message: str, locale: str = DEFAULT_LOCALE) -> str:
    return translations(locale).gettext(message)


def ngettext(singular: str, plural: str, n: int, locale: str = DEFAULT_LOCALE) -> str:
    return translations(locale).ngettext(singular, plural, n)


def normalise_locale(code: str | None) -> str:
    """Telegram's language_code (e.g. 'uk', 'en-US', 'ru') to one of ours."""
    if not code:
        return DEFAULT_LOCALE
    base = code.split("-")[0].split("_")[0].lower()
    return base if base in LOCALES else ("en" if base not in ("uk", "ru") else DEFAULT_LOCALE)


# --- errors -----------------------------------------------------------------------------------

ERROR_MESSAGES: dict[str, str] = {
    "domain_error": N_("Something went wrong."),
    "invalid": N_("%(field)s: %(reason)s"),
    "not_found": N_("%(what)s not found."),
    "demo_exists": N_("The database already holds the demo company: seed an empty database."),
    "access_denied": N_("You do not have access to this."),
    "duplicate": N_("A similar record already exists: %(existing)s."),
    "concurrent_update": N_("Someone changed this record meanwhile; open it again."),
    "invitation_invalid": N_("This invitation is unknown, expired or already used."),
    "import_failed": N_("The file was not imported: %(count)s problem(s) found."),
}

FIELD_NAMES: dict[str, str] = {
    "name": N_("Name"),
    "full_name": N_("Full name"),
    "legal_name": N_("Full legal name"),
    "edrpou": N_("EDRPOU code"),
    "rnokpp": N_("Taxpayer number (RNOKPP)"),
    "tax_id": N_("Tax id"),
    "iban": N_("IBAN"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "telegram": N_("Telegram username"),
    "birthday": N_("Birthday"),
    "role": N_("Role"),
    "external_id": N_("External id"),
    "partner": N_("Partner"),
    "counterparty": N_("Counterparty"),
    "contact": N_("Contact person"),
    "legal_form": N_("Legal form"),
    "position": N_("Position"),
    "file": N_("File"),
    "amount": N_("Amount"),
    "date": N_("Date"),
}

REASONS: dict[str, str] = {
    "required": N_("is required"),
    "too_long": N_("is too long (at most %(max)s characters)"),
    "bad_checksum": N_("has a wrong check digit"),
    "bad_length": N_("must have %(length)s digits"),
    "not_digits": N_("must contain digits only"),
    "bad_phone": N_("is not a phone number"),
    "bad_email": N_("is not an e-mail address"),
    "bad_iban": N_("is not a valid Ukrainian IBAN"),
    "bad_date": N_("is not a date (use DD.MM.YYYY)"),
    "bad_choice": N_("must be one of: %(choices)s"),
    "bad_username": N_("is not a Telegram username"),
    "duplicate_in_file": N_("repeats line %(line)s"),
    "missing_column": N_("column is missing"),
    "bad_number": N_("is not a number"),
    "unknown_reference": N_("refers to an unknown record %(value)s"),
    "bad_encoding": N_("the file is neither UTF-8 nor windows-1251"),
    "out_of_range": N_("must be from %(min)s to %(max)s"),
    "bad_time": N_("is not a time (use HH:MM, e.g. 14:30)"),
}


# Lists of codes inside an error's params (e.g. the exit checks `missing`), by param name.
VALUE_MESSAGES: dict[str, dict[str, str]] = {}


def register_messages(
    *,
    fields: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    reasons: dict[str, str] | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> None:
    """A services module declares the texts of the codes it raises, next to where it raises
    them. One code means one thing everywhere: a second, different text for a code already
    known is a programming error, caught at import (and by the test suite)."""
    for target, extra in ((FIELD_NAMES, fields), (ERROR_MESSAGES, errors), (REASONS, reasons)):
        for code, text in (extra or {}).items():
            if target.setdefault(code, text) != text:
                raise ValueError(f"message code {code!r} already means {target[code]!r}")
    for param, table in (values or {}).items():
        known = VALUE_MESSAGES.setdefault(param, {})
        for code, text in table.items():
            known.setdefault(code, text)


def translate_error(error: DomainError, locale: str = DEFAULT_LOCALE) -> str:
    params = dict(error.params)
    for key in ("field", "what"):
        if key in params and isinstance(params[key], str):
            name = FIELD_NAMES.get(params[key])
            params[key] = gettext(name, locale) if name else params[key]
    for key, table in VALUE_MESSAGES.items():
        if isinstance(params.get(key), list | tuple):
            params[key] = "; ".join(gettext(table.get(c, c), locale) for c in params[key])
    if "reason" in params:
        reason_code = params["reason"]
        reason = gettext(REASONS.get(reason_code, reason_code), locale)
        params["reason"] = _safe_format(reason, params)
    template = gettext(ERROR_MESSAGES.get(error.code, ERROR_MESSAGES["domain_error"]), locale)
    return _safe_format(template, params)


def _safe_format(template: str, params: dict[str, object]) -> str:
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template


# --- formatting ---------------------------------------------------------------------------------

CURRENCY_SIGNS = {"UAH": {"uk": "грн", "en": "UAH"}}


def format_money(minor: int, currency: str = "UAH", locale: str = DEFAULT_LOCALE) -> str:
    """1234567.89 UAH -> '1 234 567,89 грн' (uk) or '1,234,567.89 UAH' (en)."""
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(int(minor)), 100)
    label = CURRENCY_SIGNS.get(currency, {}).get(locale, currency)
    if locale == "en":
        return f"{sign}{units:,}.{cents:02d} {label}"
    grouped = f"{units:,}".replace(",", "\u00a0")
    return f"{sign}{grouped},{cents:02d}\u00a0{label}"


def format_date(value: dt.date, locale: str = DEFAULT_LOCALE) -> str:
    """27.11.2026 in both languages: the form Ukrainian companies use in English documents too."""
    return value.strftime("%d.%m.%Y")


def format_datetime(
    value: dt.datetime, tz: str = "Europe/Kyiv", locale: str = DEFAULT_LOCALE
) -> str:
    from core.clock import to_local

    return to_local(value, tz).strftime("%d.%m.%Y %H:%M")


def format_days(n: int, locale: str = DEFAULT_LOCALE) -> str:
    """'1 день', '3 дні', '5 днів' — Ukrainian's three plural forms."""
    return ngettext("%(n)s day", "%(n)s days", n, locale) % {"n": n}
