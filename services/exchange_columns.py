"""The columns of the import/export files (documented in docs/import.md).

Each column has a canonical English key (the JSON key and the English header), the Ukrainian
header written on export in Ukrainian, and other headers accepted on import (1C spells them in
several ways). Headers are compared after `normalise_header` (case, `_`/`-`/`.` and `*` ignored).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.exchange_files import normalise_header

PARTNERS = "partners"
COUNTERPARTIES = "counterparties"
CONTACTS = "contacts"
KINDS = (PARTNERS, COUNTERPARTIES, CONTACTS)

# Records that have no external id are exported as "crm:<id>" so the file can be read back.
INTERNAL_ID_PREFIX = "crm:"
_INTERNAL_ID = re.compile(r"crm:(\d{1,18})", re.IGNORECASE)
LIST_SEPARATORS = re.compile(r"\s*[,;|\n]\s*")
LIST_JOINER = ", "


@dataclass(frozen=True)
class Column:
    key: str
    uk: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    multi: bool = False  # several values in one cell, separated by `,` `;` `|` or a line break
    export: bool = True  # False: accepted on import only

    def header(self, locale: str) -> str:
        return self.uk if locale == "uk" else self.key

    def names(self) -> set[str]:
        return {normalise_header(name) for name in (self.key, self.uk, *self.aliases)}


_EXTERNAL_ID_ALIASES = ("id", "external id", "зовнішній код", "ідентифікатор", "код 1с")
_PARTNER_REF_ALIASES = (
    "partner",
    "partner id",
    "partner external id",
    "партнер",
    "код партнера (зовнішній)",
)
_PHONES = ("phone", "телефон", "тел", "номер телефону")
_EMAILS = ("email", "e-mail", "emails", "е-mail", "ел. пошта", "електронні адреси", "пошта")
_COMMENT = ("comments", "коментарі", "примітка", "примітки")

PARTNER_COLUMNS: tuple[Column, ...] = (
    Column("external_id", "Код", (*_EXTERNAL_ID_ALIASES, "код партнера"), required=True),
    Column(
        "name",
        "Найменування",
        ("назва", "найменування партнера", "робоче найменування"),
        required=True,
    ),
    Column("roles", "Ролі", ("role", "роль"), multi=True),
    Column("type", "Тип", ("kind", "partner type", "тип партнера", "вид партнера"), multi=True),
    Column(
        "parent_external_id",
        "Код групи",
        (
            "parent",
            "parent id",
            "група",
            "батьківський партнер",
            "код батьківського партнера",
            "входить до групи",
        ),
    ),
    Column(
        "main_manager",
        "Основний менеджер",
        ("manager", "менеджер", "відповідальний", "відповідальний менеджер"),
    ),
    Column("phones", "Телефони", _PHONES, multi=True),
    Column("emails", "Електронна пошта", _EMAILS, multi=True),
    Column("segments", "Сегменти", ("segment", "сегмент"), multi=True),
    Column("comment", "Коментар", _COMMENT),
)

COUNTERPARTY_COLUMNS: tuple[Column, ...] = (
    Column("external_id", "Код", (*_EXTERNAL_ID_ALIASES, "код контрагента"), required=True),
    Column("partner_external_id", "Код партнера", _PARTNER_REF_ALIASES, required=True),
    Column(
        "legal_form",
        "Вид",
        (
            "legal form",
            "правова форма",
            "юридична форма",
            "вид контрагента",
            "юридична фізична особа",
        ),
    ),
    Column("name", "Найменування", ("назва", "найменування контрагента"), required=True),
    Column("full_name", "Повне найменування", ("full name", "повна назва", "найменування повне")),
    Column("edrpou", "ЄДРПОУ", ("код єдрпоу", "код за єдрпоу", "єдрпоу код")),
    Column(
        "rnokpp",
        "РНОКПП",
        ("ідентифікаційний код", "код за дрфо", "дрфо", "ідентифікаційний номер"),
    ),
    Column(
        "tax_id",
        "ЄДРПОУ/РНОКПП",
        ("код єдрпоу/рнокпп", "податковий код", "код за єдрпоу/дрфо", "tax code"),
        export=False,
    ),
    Column(
        "vat_number",
        "ІПН",
        (
            "vat",
            "vat number",
            "номер платника пдв",
            "індивідуальний податковий номер",
            "іпн платника пдв",
        ),
    ),
    Column(
        "iban", "IBAN", ("рахунок", "рахунок iban", "розрахунковий рахунок", "р/р", "номер рахунку")
    ),
    Column("bank_name", "Банк", ("bank", "назва банку")),
    Column(
        "legal_address",
        "Юридична адреса",
        ("address", "адреса", "legal address", "юр. адреса", "юридична адреса контрагента"),
    ),
)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("external_id", "Код", (*_EXTERNAL_ID_ALIASES, "код контактної особи"), required=True),
    Column("partner_external_id", "Код партнера", _PARTNER_REF_ALIASES, required=True),
    Column(
        "full_name",
        "ПІБ",
        (
            "full name",
            "name",
            "прізвище ім'я по батькові",
            "контактна особа",
            "найменування",
            "ім'я",
        ),
        required=True,
    ),
    Column("position", "Посада", ("job title", "посада контактної особи")),
    Column("phones", "Телефони", _PHONES, multi=True),
    Column("emails", "Електронна пошта", _EMAILS, multi=True),
    Column("telegram", "Telegram", ("telegram username", "телеграм", "телеграм нік")),
    Column("birthday", "Дата народження", ("birth date", "date of birth", "день народження")),
    Column("roles", "Ролі", ("role", "роль"), multi=True),
    Column("comment", "Коментар", _COMMENT),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    PARTNERS: PARTNER_COLUMNS,
    COUNTERPARTIES: COUNTERPARTY_COLUMNS,
    CONTACTS: CONTACT_COLUMNS,
}

# Values people and 1C write for the partner's roles and the counterparty's legal form.
ROLE_ALIASES: dict[str, str] = {
    "client": "client",
    "клієнт": "client",
    "покупець": "client",
    "customer": "client",
    "supplier": "supplier",
    "постачальник": "supplier",
    "vendor": "supplier",
    "competitor": "competitor",
    "конкурент": "competitor",
    "other": "other",
    "інше": "other",
    "інший": "other",
    "інші": "other",
}
PARTNER_ROLES = ("client", "supplier", "competitor", "other")

# The partner's type flags (is_group, is_division, is_person); "company" means none of them.
TYPE_ALIASES: dict[str, str] = {
    "group": "group",
    "група": "group",
    "група компаній": "group",
    "холдинг": "group",
    "division": "division",
    "підрозділ": "division",
    "філія": "division",
    "person": "person",
    "фізична особа": "person",
    "приватна особа": "person",
    "company": "",
    "компанія": "",
    "організація": "",
}
PARTNER_TYPES = ("group", "division", "person")

LEGAL_FORM_ALIASES: dict[str, str] = {
    "legal entity": "legal_entity",
    "юридична особа": "legal_entity",
    "юо": "legal_entity",
    "юр особа": "legal_entity",
    "юрособа": "legal_entity",
    "organization": "legal_entity",
    "individual": "individual",
    "фізична особа": "individual",
    "фо": "individual",
    "фіз особа": "individual",
    "person": "individual",
    "entrepreneur": "entrepreneur",
    "фоп": "entrepreneur",
    "спд": "entrepreneur",
    "фізична особа підприємець": "entrepreneur",
    "фізична особа підприємиць": "entrepreneur",
}


# What the export writes in Ukrainian (the import reads these back through the aliases above).
ROLE_UK = {
    "client": "клієнт",
    "supplier": "постачальник",
    "competitor": "конкурент",
    "other": "інше",
}
TYPE_UK = {"group": "група", "division": "підрозділ", "person": "фізична особа"}
LEGAL_FORM_UK = {
    "legal_entity": "юридична особа",
    "individual": "фізична особа",
    "entrepreneur": "ФОП",
}


def column_index(columns: Sequence[Column]) -> dict[str, Column]:
    """Every accepted normalised header -> its column."""
    index: dict[str, Column] = {}
    for column in columns:
        for name in column.names():
            index.setdefault(name, column)
    return index


def split_list(cell: str) -> list[str]:
    """'a, b;c | d' -> ['a', 'b', 'c', 'd'] (empty parts dropped)."""
    return [part.strip() for part in LIST_SEPARATORS.split(cell) if part.strip()]


def internal_id(reference: str) -> int | None:
    """'crm:42' -> 42 (a record exported without an external id); anything else -> None."""
    match = _INTERNAL_ID.fullmatch(reference.strip())
    return int(match.group(1)) if match else None


def export_reference(pk: int, external_id: str | None) -> str:
    return external_id if external_id else f"{INTERNAL_ID_PREFIX}{pk}"
