"""Export of partners, counterparties and contact persons as CSV, JSON or XLSX.

A handful of queries per export whatever the number of records (no query per record). The CSV and
XLSX files have exactly the columns the import reads (docs/import.md), so an exported file
imported back changes nothing. Records without an external id get `crm:<id>` in its place.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core import clock
from models import ContactInfo, ContactPerson, Counterparty, Partner, Segment
from models.base import ContactKind
from services.exchange_columns import (
    COLUMNS,
    CONTACTS,
    COUNTERPARTIES,
    LEGAL_FORM_UK,
    LIST_JOINER,
    PARTNER_ROLES,
    PARTNER_TYPES,
    PARTNERS,
    ROLE_UK,
    TYPE_UK,
    Column,
    export_reference,
)
from services.exchange_files import write_csv, write_json, write_xlsx

EXPORT_FORMATS = ("csv", "json", "xlsx")
SHEET_TITLES = {PARTNERS: "Партнери", COUNTERPARTIES: "Контрагенти", CONTACTS: "Контакти"}


async def _infos(owner: str) -> dict[int, dict[str, list[str]]]:
    """Phones and e-mails of every partner (or contact person), primary first: one query."""
    result: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"phone": [], "email": []})
    rows = (
        await ContactInfo.filter(
            **{f"{owner}_id__isnull": False}, kind__in=[ContactKind.PHONE, ContactKind.EMAIL]
        )
        .order_by("-is_primary", "id")
        .values(f"{owner}_id", "kind", "value")
    )
    for row in rows:
        result[row[f"{owner}_id"]][str(row["kind"])].append(row["value"])
    return result


async def _partner_records() -> list[dict[str, Any]]:
    rows = await Partner.all().order_by("id").values(
        "id", "external_id", "name", "is_client", "is_supplier", "is_competitor", "is_other",
        "is_group", "is_division", "is_person", "parent_id", "comment",
        parent_external_id="parent__external_id",
        manager_email="main_manager__email",
        manager_name="main_manager__full_name",
    )  # fmt: skip
    infos = await _infos("partner")
    segments: dict[int, list[str]] = defaultdict(list)
    for partner_id, name in (
        await Segment.filter(partners__id__isnull=False)
        .order_by("name")
        .values_list("partners__id", "name")
    ):
        segments[partner_id].append(name)
    records = []
    for row in rows:
        info = infos.get(row["id"], {"phone": [], "email": []})
        parent = (
            export_reference(row["parent_id"], row["parent_external_id"])
            if row["parent_id"]
            else None
        )
        records.append(
            {
                "external_id": export_reference(row["id"], row["external_id"]),
                "name": row["name"],
                "roles": [role for role in PARTNER_ROLES if row[f"is_{role}"]],
                "type": [kind for kind in PARTNER_TYPES if row[f"is_{kind}"]],
                "parent_external_id": parent,
                "main_manager": row["manager_email"] or row["manager_name"],
                "phones": info["phone"],
                "emails": info["email"],
                "segments": segments.get(row["id"], []),
                "comment": row["comment"],
            }
        )
    return records


_COUNTERPARTY_PLAIN = (
    "name", "full_name", "edrpou", "rnokpp", "vat_number", "iban", "bank_name", "legal_address",
)  # fmt: skip


async def _counterparty_records() -> list[dict[str, Any]]:
    rows = await Counterparty.all().order_by("id").values(
        "id", "external_id", "partner_id", "legal_form", "name", "full_name", "edrpou", "rnokpp",
        "vat_number", "iban", "bank_name", "legal_address",
        partner_external_id="partner__external_id",
    )  # fmt: skip
    return [
        {
            "external_id": export_reference(row["id"], row["external_id"]),
            "partner_external_id": export_reference(row["partner_id"], row["partner_external_id"]),
            "legal_form": str(row["legal_form"]),
            **{key: row[key] for key in _COUNTERPARTY_PLAIN},
        }
        for row in rows
    ]


async def _contact_records() -> list[dict[str, Any]]:
    rows = await ContactPerson.all().order_by("id").values(
        "id", "external_id", "partner_id", "full_name", "position", "telegram_username",
        "birthday", "roles", "comment", partner_external_id="partner__external_id",
    )  # fmt: skip
    infos = await _infos("contact")
    records = []
    for row in rows:
        info = infos.get(row["id"], {"phone": [], "email": []})
        records.append(
            {
                "external_id": export_reference(row["id"], row["external_id"]),
                "partner_external_id": export_reference(
                    row["partner_id"], row["partner_external_id"]
                ),
                "full_name": row["full_name"],
                "position": row["position"],
                "phones": info["phone"],
                "emails": info["email"],
                "telegram": row["telegram_username"],
                "birthday": row["birthday"],
                "roles": list(row["roles"] or []),
                "comment": row["comment"],
            }
        )
    return records


_LOADERS = {
    PARTNERS: _partner_records,
    COUNTERPARTIES: _counterparty_records,
    CONTACTS: _contact_records,
}


async def list_export_records(kind: str) -> list[dict[str, Any]]:
    """Every record of `kind` as a dict keyed by the column keys (lists stay lists, dates dates)."""
    if kind not in _LOADERS:
        raise ValueError(f"unknown kind {kind!r}")
    return await _LOADERS[kind]()


def _cell(column: Column, value: Any, locale: str) -> str:
    words = {"roles": ROLE_UK, "type": TYPE_UK, "legal_form": LEGAL_FORM_UK}.get(column.key)
    if words and locale == "uk":
        value = (
            [words.get(item, item) for item in value]
            if isinstance(value, list)
            else (words.get(value, value))
        )
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_JOINER.join(str(item) for item in value)
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _table(
    kind: str, records: list[dict[str, Any]], locale: str
) -> tuple[list[str], list[list[str]]]:
    columns: Sequence[Column] = [c for c in COLUMNS[kind] if c.export]
    headers = [column.header(locale) for column in columns]
    rows = [[_cell(column, record[column.key], locale) for column in columns] for record in records]
    return headers, rows


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    count: int  # records in the file
    filename: str  # a suggested name, e.g. "partners-2026-11-27.csv"


async def export_master_data(kind: str, fmt: str, *, locale: str = "uk") -> ExportFile:
    """Every record of `kind` as `csv` (UTF-8 with BOM, `;`), `json` or `xlsx`. CSV and XLSX
    headers and role / legal form words are Ukrainian for locale "uk", English otherwise."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}, expected one of {', '.join(EXPORT_FORMATS)}")
    records = await list_export_records(kind)
    filename = f"{kind}-{clock.today().isoformat()}.{fmt}"
    if fmt == "json":
        data = write_json([{k: _json_value(val) for k, val in r.items()} for r in records])
        return ExportFile(data, len(records), filename)
    headers, rows = _table(kind, records, locale)
    if fmt == "csv":
        data = write_csv(headers, rows)
    else:
        data = write_xlsx(headers, rows, SHEET_TITLES[kind] if locale == "uk" else kind.title())
    return ExportFile(data, len(records), filename)
