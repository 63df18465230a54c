"""Every string marked for translation in the code has a Ukrainian translation, and money,
dates and plurals come out the way a Ukrainian reader expects."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.errors import ValidationFailed
from core.i18n import LOCALES_DIR, format_days, format_money, translate_error

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"N_": None, "gettext": (1,), "ngettext": (1, 2), "_": None}
SOURCE_DIRS = ("core", "services", "bot", "ingest", "jobs", "cli", "charts")


def _code_msgids() -> set[str]:
    found: set[str] = set()
    for folder in SOURCE_DIRS:
        path = ROOT / folder
        if not path.exists():
            continue
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(path), method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalogue(locale: str):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "crm.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def test_every_marked_string_has_a_ukrainian_translation():
    catalogue = _catalogue("uk")
    missing = sorted(
        msgid
        for msgid in _code_msgids()
        if (message := catalogue.get(msgid)) is None
        or not (message.string if isinstance(message.string, str) else all(message.string))
    )
    assert not missing, f"add these to locales/uk (make i18n, then translate): {missing[:30]}"


def test_english_catalogue_exists_for_every_marked_string():
    catalogue = _catalogue("en")
    missing = sorted(msgid for msgid in _code_msgids() if catalogue.get(msgid) is None)
    assert not missing, f"run `make i18n`: {missing[:30]}"


def test_validation_error_reads_naturally_in_both_languages():
    error = ValidationFailed("invalid", field="edrpou", reason="bad_checksum")
    assert translate_error(error, "uk") == "Код ЄДРПОУ: має неправильну контрольну цифру"
    assert translate_error(error, "en") == "EDRPOU code: has a wrong check digit"


def test_money_is_formatted_with_grouping_and_comma_in_ukrainian():
    assert format_money(123456789, "UAH", "uk") == "1\u00a0234\u00a0567,89\u00a0грн"
    assert format_money(-5, "UAH", "en") == "-0.05 UAH"


def test_ukrainian_has_three_plural_forms():
    assert _catalogue("uk").num_plurals == 3
    assert [format_days(n, "uk") for n in (1, 3, 5, 11, 21, 22)] == [
        "1 день", "3 дні", "5 днів", "11 днів", "21 день", "22 дні"
    ]
    assert [format_days(n, "en") for n in (1, 5)] == ["1 day", "5 days"]
