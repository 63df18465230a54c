"""Import and export of master data: partners, counterparties and contact persons (1C files).

`import_master_data(kind, data)` reads a CSV (UTF-8 or windows-1251, `;` or `,`) or XLSX file
whose columns are described in docs/import.md, and makes the database match it:

1. check: every row is parsed with `services.validation`, external ids must be unique in the
   file, references (parent, partner, main manager) must resolve, and each row is compared with
   the record that has its external id, all in a few queries (no query per row);
2. write: in ONE transaction, new records are created and changed ones updated through the
   bulk commands of `services.partners` (the only place that knows how a partner is checked
   and written; a few queries and bulk inserts for the whole file); rows that did not change
   are not touched, so importing the same file twice changes nothing.

Every problem is collected with its line and field; if there is any, the transaction is rolled
back and `ImportFailed(count=..., problems=[ImportProblem, ...])` is raised: a file is imported
whole or not at all. Rows that passed the check are still tried (and rolled back) so that one
run reports the problems the partners service finds too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tortoise.transactions import in_transaction

from core.errors import DomainError, ImportFailed, ValidationFailed
from models import ContactInfo, ContactPerson, Counterparty, Employee, Partner, Segment
from models.base import ContactKind, LegalForm
from services import partners
from services import validation as v
from services.exchange_columns import (
    COLUMNS,
    CONTACTS,
    COUNTERPARTIES,
    KINDS,
    LEGAL_FORM_ALIASES,
    PARTNER_ROLES,
    PARTNER_TYPES,
    PARTNERS,
    ROLE_ALIASES,
    TYPE_ALIASES,
    Column,
    column_index,
    internal_id,
    split_list,
)
from services.exchange_export import (
    EXPORT_FORMATS,
    ExportFile,
    export_master_data,
    list_export_records,
)
from services.exchange_files import Table, normalise_header, read_table

__all__ = [
    "EXPORT_FORMATS",
    "KINDS",
    "ExportFile",
    "ImportProblem",
    "ImportReport",
    "ProgressCallback",
    "export_master_data",
    "import_contacts",
    "import_counterparties",
    "import_master_data",
    "import_partners",
    "list_export_records",
]

# (phase, done, total); phase is "check" (reading and comparing) or "write".
ProgressCallback = Callable[[str, int, int], None]

IN_CHUNK = 5000  # ids per `IN (...)` query: far below SQLite's and PostgreSQL's parameter limits
VALUE_SHOWN = 60  # characters of a bad value quoted back in a problem


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file: where (`line`, 1-based, None for the whole file), which
    field (a code of core.i18n FIELD_NAMES), what (`error`, translated by the adapter) and the
    offending value, shortened."""

    line: int | None
    field: str | None
    error: DomainError
    value: str | None = None


@dataclass(frozen=True)
class ImportReport:
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    ignored_columns: tuple[str, ...] = ()
    dry_run: bool = False


class _Rollback(Exception):
    """Leaves the import transaction without committing (problems found, or a dry run)."""


class _Problems:
    def __init__(self) -> None:
        self.items: list[ImportProblem] = []

    def add(
        self,
        line: int | None,
        error: DomainError,
        value: str | None = None,
        field_name: str | None = None,
    ) -> None:
        name = field_name or error.params.get("field")
        if value is not None and len(value) > VALUE_SHOWN:
            value = value[: VALUE_SHOWN - 1] + "…"
        self.items.append(ImportProblem(line, name, error, value or None))

    def invalid(
        self, at: int, field_name: str, reason: str, shown: str | None = None, **params: Any
    ) -> None:
        """A `ValidationFailed` at line `at`; `params` go into the message (e.g. `line`)."""
        error = ValidationFailed("invalid", field=field_name, reason=reason, **params)
        self.add(at, error, shown)

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted(self) -> list[ImportProblem]:
        return sorted(self.items, key=lambda p: p.line or 0)


@dataclass
class _Record:
    line: int
    values: dict[str, Any]
    ref: str | None = None
    ok: bool = True
    current: dict[str, Any] | None = None  # the existing record (and its phones, e-mails...)
    changes: dict[str, Any] = field(default_factory=dict)
    depth: int = 0
    # Partners: the parent as ("db", id) or ("file", ref); the main manager's id.
    parent: tuple[str, Any] | None = None
    manager_id: int | None = None
    partner_id: int | None = None  # counterparties and contacts

    @property
    def existing_id(self) -> int | None:
        return self.current["id"] if self.current else None


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _by_reference(model: Any, refs: Iterable[str], fields: Sequence[str]) -> dict[str, dict]:
    """Records of `model` by the references used in a file: external ids, or `crm:<id>` for
    records exported without one. Two queries per 5000 references at most."""
    refs = list(dict.fromkeys(refs))
    external = [ref for ref in refs if internal_id(ref) is None]
    by_id: dict[int, list[str]] = defaultdict(list)
    for ref in refs:
        pk = internal_id(ref)
        if pk is not None:
            by_id[pk].append(ref)
    columns = list(dict.fromkeys(["id", "external_id", *fields]))
    found: dict[str, dict] = {}
    for chunk in _chunks(external):
        for row in await model.filter(external_id__in=list(chunk)).values(*columns):
            found[row["external_id"]] = row
    for chunk in _chunks(list(by_id)):
        for row in await model.filter(id__in=list(chunk)).values(*columns):
            for ref in by_id[row["id"]]:
                found[ref] = row
    return found


async def _infos(owner: str, ids: Sequence[int]) -> dict[int, dict[str, list[str]]]:
    """Phones (E.164) and e-mail keys (lower case) of partners or contacts, in their order."""
    result: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"phone": [], "email": []})
    for chunk in _chunks(list(ids)):
        rows = (
            await ContactInfo.filter(
                **{f"{owner}_id__in": list(chunk)},
                kind__in=[ContactKind.PHONE, ContactKind.EMAIL],
            )
            .order_by("-is_primary", "id")
            .values(f"{owner}_id", "kind", "normalized")
        )
        for row in rows:
            result[row[f"{owner}_id"]][str(row["kind"])].append(row["normalized"])
    return result


def _with_infos(row: dict[str, Any], infos: dict[int, dict[str, list[str]]]) -> dict[str, Any]:
    """An existing record's row with its phones and e-mails (none when they were not read)."""
    info = infos.get(row["id"], {"phone": [], "email": []})
    return {**row, "phones": info["phone"], "emails": info["email"]}


def _email_keys(emails: Iterable[str]) -> list[str]:
    return [email.lower() for email in emails]


def _dedupe(values: Iterable[Any], key: Callable[[Any], Any] = lambda x: x) -> list[Any]:
    seen: set[Any] = set()
    result = []
    for value in values:
        marker = key(value)
        if marker not in seen:
            seen.add(marker)
            result.append(value)
    return result


def _aliased(aliases: dict[str, str], choices: Sequence[str], field_name: str) -> Callable:
    """English codes and their Ukrainian words; "" for a word that means "none of them"."""

    def parse(cell: str) -> str:
        key = normalise_header(cell)
        return aliases[key] if key in aliases else v.check_choice(cell, choices, field_name)

    return parse


def _optional(parse: Callable[[str], Any], empty: Any = None) -> Callable[[str], Any]:
    return lambda cell: parse(cell) if cell else empty


_WHITESPACE = re.compile(r"\s+")


def _person_key(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip().casefold()


# --- the importers ------------------------------------------------------------------------------


class _Importer:
    """What differs between partners, counterparties and contacts."""

    kind: ClassVar[str]
    db_fields: ClassVar[tuple[str, ...]]
    # column key -> parser of one cell (of one item, for multi-value columns)
    parsers: ClassVar[dict[str, Callable[[str], Any]]]
    list_keys: ClassVar[dict[str, Callable[[Any], Any]]] = {}  # multi column -> dedupe key

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self.columns: tuple[Column, ...] = COLUMNS[self.kind]
        self.present: set[str] = set()  # the keys of the columns the file has

    def after_parse(self, record: _Record) -> None:
        """Combine parsed cells (e.g. the tax id column into ЄДРПОУ / РНОКПП)."""

    async def resolve(self, records: list[_Record]) -> None:
        """Look up references and the existing records; compute the changes."""

    async def write(self, records: list[_Record], progress: Callable[[], None]) -> None:
        raise NotImplementedError

    def _existing_row(
        self, record: _Record, found: dict[str, dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The CRM's row for the record's reference, or None for a new record; a `crm:<id>`
        reference to a record that is not there is a problem."""
        row = found.get(record.ref) if record.ref else None
        if row is None and record.ref and internal_id(record.ref) is not None:
            self.problems.invalid(
                record.line, "external_id", "unknown_reference", record.ref, value=record.ref
            )
            record.ok = False
        return row

    async def _bulk(
        self,
        records: list[_Record],
        command: Callable[[list[Any]], Awaitable[Any]],
        items: list[Any],
    ) -> Any | None:
        """Run a bulk command of the partners service on `items`, one per record of `records`,
        in the same order. It writes all or nothing: when it refuses, every refused record is
        reported at its line, and None is returned."""
        if not records:
            return None
        try:
            return await command(items)
        except DomainError as error:
            for row, refused in error.params["errors"]:
                self.problems.add(records[row].line, refused)
                records[row].ok = False
            return None


async def _resolve_partner_refs(records: list[_Record], problems: _Problems) -> None:
    """Counterparties and contacts: `partner_external_id` -> the partner's id (must exist)."""
    refs = [r.values["partner_external_id"] for r in records if "partner_external_id" in r.values]
    found = await _by_reference(Partner, refs, ("id",))
    for record in records:
        ref = record.values.get("partner_external_id")
        if ref is None:
            continue
        row = found.get(ref)
        if row is None:
            problems.invalid(record.line, "partner", "unknown_reference", ref, value=ref)
            record.ok = False
        else:
            record.partner_id = row["id"]


def _check_same_partner(record: _Record, problems: _Problems) -> None:
    """Moving a counterparty or a contact to another partner is not something an import does."""
    if (
        record.current
        and record.partner_id is not None
        and record.current["partner_id"] != record.partner_id
    ):
        ref = record.values["partner_external_id"]
        problems.invalid(record.line, "partner", "other_partner", ref, value=ref)
        record.ok = False


class _PartnerImporter(_Importer):
    kind = PARTNERS
    db_fields = (
        "name", "is_client", "is_supplier", "is_competitor", "is_other", "is_group",
        "is_division", "is_person", "parent_id", "main_manager_id", "comment",
    )  # fmt: skip
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "external_id": lambda c: v.check_name(c, "external_id", partners.EXTERNAL_ID_MAX),
        "name": lambda c: v.check_name(c, "name", partners.NAME_MAX),
        "type": _aliased(TYPE_ALIASES, PARTNER_TYPES, "type"),
        "roles": _aliased(ROLE_ALIASES, PARTNER_ROLES, "role"),
        "parent_external_id": _optional(
            lambda c: v.check_name(c, "parent", partners.EXTERNAL_ID_MAX)
        ),
        "main_manager": _optional(lambda c: v.check_name(c, "main_manager", 254)),
        "phones": v.normalize_phone,
        "emails": v.normalize_email,
        "segments": lambda c: v.check_name(c, "segment", 200),
        "comment": lambda c: v.check_text(c, "comment", partners.COMMENT_MAX),
    }
    list_keys: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "emails": str.lower,
        "segments": str.casefold,
    }

    async def resolve(self, records: list[_Record]) -> None:
        await self._existing(records)
        await self._parents(records)
        await self._managers(records)
        self._segments_wanted = {
            name.casefold(): name for r in records for name in r.values.get("segments", ())
        }
        self._segments = {
            name.casefold(): pk
            for pk, name in await Segment.all().order_by("id").values_list("id", "name")
            if name.casefold() in self._segments_wanted
        }
        for record in records:
            if record.ok and record.current is not None:
                record.changes = self._changes(record)

    async def _existing(self, records: list[_Record]) -> None:
        found = await _by_reference(Partner, [r.ref for r in records if r.ref], self.db_fields)
        ids = [row["id"] for row in found.values()]
        infos = await _infos("partner", ids) if {"phones", "emails"} & self.present else {}
        segments: dict[int, list[str]] = defaultdict(list)
        if "segments" in self.present:
            for chunk in _chunks(ids):
                rows = await Segment.filter(partners__id__in=list(chunk)).values_list(
                    "partners__id", "name"
                )
                for pid, name in rows:
                    segments[pid].append(name)
        for record in records:
            row = self._existing_row(record, found)
            if row is None:
                continue
            record.current = {**_with_infos(row, infos), "segments": segments.get(row["id"], [])}

    async def _parents(self, records: list[_Record]) -> None:
        by_ref = {r.ref: r for r in records if r.ref}
        wanted = {
            r.values["parent_external_id"] for r in records if r.values.get("parent_external_id")
        }
        found = await _by_reference(Partner, [ref for ref in wanted if ref not in by_ref], ())
        for record in records:
            ref = record.values.get("parent_external_id")
            if not ref:
                continue
            if ref == record.ref:
                self.problems.invalid(record.line, "parent", "parent_cycle", ref)
                record.ok = False
            elif ref in by_ref:
                row = by_ref[ref]
                record.parent = ("db", row.existing_id) if row.current else ("file", ref)
            elif ref in found:
                record.parent = ("db", found[ref]["id"])
            else:
                self.problems.invalid(record.line, "parent", "unknown_reference", ref, value=ref)
                record.ok = False
        if not any(r.parent for r in records):
            return
        db_parents = dict(
            await Partner.filter(parent_id__isnull=False).values_list("id", "parent_id")
        )
        self._check_cycles(records, by_ref, db_parents)

    def _check_cycles(
        self, records: list[_Record], by_ref: dict[str, _Record], db_parents: dict[int, int]
    ) -> None:
        """Walk up the parents each row asks for (the file's wish first, the database else):
        a walk that comes back to the row is a circle; its length orders the writes."""

        def node(record: _Record) -> tuple[str, Any]:
            return ("db", record.existing_id) if record.current else ("file", record.ref)

        by_node = {node(r): r for r in records if r.ref}

        def resolve(parent: tuple[str, Any]) -> tuple[str, Any]:
            # A parent given as a file row that already exists is that database record.
            if parent[0] == "file":
                return node(by_ref[parent[1]])
            return parent

        def parent_of(current: tuple[str, Any]) -> tuple[str, Any] | None:
            record = by_node.get(current)
            if record is not None and "parent_external_id" in record.values:
                return resolve(record.parent) if record.parent else None
            if current[0] == "db" and current[1] in db_parents:
                return ("db", db_parents[current[1]])
            return None

        for record in records:
            if not record.parent:
                continue
            start = node(record)
            current: tuple[str, Any] | None = resolve(record.parent)
            seen: set[tuple[str, Any]] = set()
            depth = 0
            while current is not None and current not in seen:
                depth += 1
                if current == start:
                    self.problems.invalid(
                        record.line, "parent", "parent_cycle", record.values["parent_external_id"]
                    )
                    record.ok = False
                    break
                seen.add(current)
                current = parent_of(current)
            record.depth = depth

    async def _managers(self, records: list[_Record]) -> None:
        wanted = [r for r in records if r.values.get("main_manager")]
        if not wanted:
            return
        by_email: dict[str, list[dict]] = defaultdict(list)
        by_name: dict[str, list[dict]] = defaultdict(list)
        for employee in await Employee.all().values("id", "email", "full_name", "active"):
            if employee["email"]:
                by_email[employee["email"].strip().lower()].append(employee)
            by_name[_person_key(employee["full_name"])].append(employee)
        for record in wanted:
            text = record.values["main_manager"]
            matches = by_email.get(text.lower()) if "@" in text else by_name.get(_person_key(text))
            matches = matches or []
            if len(matches) > 1:
                matches = [m for m in matches if m["active"]] or matches
            if len(matches) == 1:
                record.manager_id = matches[0]["id"]
            elif not matches:
                self.problems.invalid(
                    record.line, "main_manager", "unknown_reference", text, value=text
                )
                record.ok = False
            else:
                self.problems.invalid(
                    record.line, "main_manager", "ambiguous_reference", text, value=text
                )
                record.ok = False

    def _changes(self, record: _Record) -> dict[str, Any]:
        values, current = record.values, record.current or {}
        changes: dict[str, Any] = {}
        for key in ("name", "comment"):
            if key in values and values[key] != current[key]:
                changes[key] = values[key]
        for key, options in (("roles", PARTNER_ROLES), ("type", PARTNER_TYPES)):
            if key in values:
                for option in options:
                    flag = f"is_{option}"
                    if (option in values[key]) != current[flag]:
                        changes[flag] = option in values[key]
        if "main_manager" in values and record.manager_id != current["main_manager_id"]:
            changes["main_manager_id"] = record.manager_id
        if "phones" in values and list(values["phones"]) != current["phones"]:
            changes["phones"] = list(values["phones"])
        if "emails" in values and _email_keys(values["emails"]) != current["emails"]:
            changes["emails"] = list(values["emails"])
        if "segments" in values:
            wanted = {name.casefold() for name in values["segments"]}
            if wanted != {name.casefold() for name in current["segments"]}:
                changes["segments"] = list(values["segments"])
        if "parent_external_id" in values:
            parent = record.parent
            if parent is None:
                if current["parent_id"] is not None:
                    changes["parent_id"] = None
            elif parent[0] == "file" or parent[1] != current["parent_id"]:
                changes["parent_id"] = parent
        return changes

    async def _segment_ids(self, names: Iterable[str]) -> list[int]:
        ids = []
        for name in names:
            key = name.casefold()
            if key not in self._segments:
                segment = await partners.create_segment(name)
                self._segments[key] = segment.id
            ids.append(self._segments[key])
        return ids

    async def write(self, records: list[_Record], progress: Callable[[], None]) -> None:
        """New partners first, in one bulk command (which writes parents before children),
        then changed ones in another, in the order of the depth `_check_cycles` found: when an
        existing partner gets another parent, every partner above that parent already has its
        final parent, so the service's circle check never sees a circle that the finished file
        would not have."""
        self._ids = {r.ref: r.existing_id for r in records if r.ref and r.current}
        ordered = sorted(records, key=lambda r: r.depth)
        await self._create([r for r in ordered if r.ok and r.current is None])
        await self._update([r for r in ordered if r.ok and r.current is not None and r.changes])
        for _ in records:
            progress()

    @staticmethod
    def _below_written(records: list[_Record]) -> list[_Record]:
        """The new rows whose parent row, if any, is written too (parents come first): a row
        under a refused one is left out, its parent's problem is reported."""
        kept: list[_Record] = []
        refs: set[str] = set()
        for record in records:
            parent = record.parent
            if record.ok and not (parent and parent[0] == "file" and parent[1] not in refs):
                kept.append(record)
                refs.add(record.ref or "")
        return kept

    async def _create(self, records: list[_Record]) -> None:
        inputs: dict[int, partners.PartnerInput] = {}
        for record in records:
            parent = record.parent or ("db", None)
            inputs[id(record)] = partners.PartnerInput(
                name=record.values["name"],
                **{f"is_{role}": role in record.values.get("roles", ()) for role in PARTNER_ROLES},
                **{f"is_{kind}": kind in record.values.get("type", ()) for kind in PARTNER_TYPES},
                parent_id=parent[1] if parent[0] == "db" else None,
                parent_external_id=parent[1] if parent[0] == "file" else None,
                main_manager_id=record.manager_id,
                segments=await self._segment_ids(record.values.get("segments", ())),
                phones=record.values.get("phones", ()),
                emails=record.values.get("emails", ()),
                comment=record.values.get("comment", ""),
                external_id=record.ref,
            )
        # Refused rows are reported and the rest tried again (and rolled back with the file),
        # so that the changes of existing partners below new ones are checked too.
        batch = self._below_written(records)
        while batch:
            ids = await self._bulk(
                batch, partners.bulk_create_partners, [inputs[id(r)] for r in batch]
            )
            if ids is not None:
                self._ids.update((r.ref, pk) for r, pk in zip(batch, ids, strict=True))
                return
            batch = self._below_written(batch)

    async def _update(self, records: list[_Record]) -> None:
        batch: list[_Record] = []
        changes: list[tuple[int, dict[str, Any]]] = []
        for record in records:
            wanted = dict(record.changes)
            parent = wanted.get("parent_id")
            if parent is not None:
                wanted["parent_id"] = parent[1] if parent[0] == "db" else self._ids.get(parent[1])
                if wanted["parent_id"] is None:
                    continue  # the parent's row failed, and its problem is reported
            if "segments" in wanted:
                wanted["segments"] = await self._segment_ids(wanted["segments"])
            batch.append(record)
            changes.append((record.existing_id, wanted))
        await self._bulk(batch, partners.bulk_update_partners, changes)


class _CounterpartyImporter(_Importer):
    kind = COUNTERPARTIES
    db_fields = (
        "partner_id", "legal_form", "name", "full_name", "edrpou", "rnokpp", "vat_number", "iban",
        "bank_name", "legal_address",
    )  # fmt: skip
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "external_id": lambda c: v.check_name(c, "external_id", partners.EXTERNAL_ID_MAX),
        "partner_external_id": lambda c: v.check_name(c, "partner", partners.EXTERNAL_ID_MAX),
        "legal_form": _optional(
            _aliased(LEGAL_FORM_ALIASES, [form.value for form in LegalForm], "legal_form")
        ),
        "name": lambda c: v.check_name(c, "name", partners.NAME_MAX),
        "full_name": _optional(lambda c: v.check_name(c, "legal_name", 500), ""),
        "edrpou": _optional(v.check_edrpou),
        "rnokpp": _optional(v.check_rnokpp),
        "tax_id": _optional(v.check_tax_id),
        "vat_number": _optional(v.check_vat_number),
        "iban": _optional(v.check_iban),
        "bank_name": _optional(lambda c: v.check_name(c, "bank_name", 300), ""),
        "legal_address": lambda c: v.check_text(c, "legal_address", 2000),
    }
    _plain = ("name", "full_name", "edrpou", "rnokpp", "vat_number", "iban", "bank_name",
              "legal_address")  # fmt: skip

    def after_parse(self, record: _Record) -> None:
        """The combined "ЄДРПОУ/РНОКПП" column fills whichever of the two it is."""
        values = record.values
        if "tax_id" not in values:
            return
        tax = values.pop("tax_id")
        for key in ("edrpou", "rnokpp"):
            from_tax = tax[1] if tax and tax[0] == key else None
            own = values.get(key)
            if own and from_tax and own != from_tax:
                self.problems.invalid(record.line, "tax_id", "conflicting_tax_id", from_tax)
                record.ok = False
            elif not own:
                values[key] = from_tax

    async def resolve(self, records: list[_Record]) -> None:
        await _resolve_partner_refs(records, self.problems)
        found = await _by_reference(Counterparty, [r.ref for r in records if r.ref], self.db_fields)
        for record in records:
            record.current = self._existing_row(record, found)
            _check_same_partner(record, self.problems)
            self._infer_legal_form(record)
            if record.ok and record.current is not None:
                record.changes = {
                    key: record.values[key]
                    for key in (*self._plain, "legal_form")
                    if key in record.values and record.values[key] != record.current[key]
                }

    @staticmethod
    def _infer_legal_form(record: _Record) -> None:
        """No legal form given: ЄДРПОУ means a legal entity, a РНОКПП alone a ФОП (unless the
        record already is a person); otherwise what the record has (a legal entity if new)."""
        values, current = record.values, record.current
        if values.get("legal_form"):
            return
        current_form = str(current["legal_form"]) if current else None
        if values.get("edrpou"):
            values["legal_form"] = LegalForm.LEGAL_ENTITY.value
        elif values.get("rnokpp"):
            person_forms = (LegalForm.INDIVIDUAL.value, LegalForm.ENTREPRENEUR.value)
            keep = current_form if current_form in person_forms else None
            values["legal_form"] = keep or LegalForm.ENTREPRENEUR.value
        else:
            values["legal_form"] = current_form or LegalForm.LEGAL_ENTITY.value

    async def write(self, records: list[_Record], progress: Callable[[], None]) -> None:
        new = [r for r in records if r.ok and r.current is None]
        await self._bulk(
            new,
            partners.bulk_create_counterparties,
            [
                partners.CounterpartyInput(
                    partner_id=r.partner_id,
                    legal_form=r.values["legal_form"],
                    external_id=r.ref,
                    **{key: r.values[key] for key in self._plain if key in r.values},
                )
                for r in new
            ],
        )
        changed = [r for r in records if r.ok and r.current is not None and r.changes]
        await self._bulk(
            changed,
            partners.bulk_update_counterparties,
            [(r.existing_id, r.changes) for r in changed],
        )
        for _ in records:
            progress()


class _ContactImporter(_Importer):
    kind = CONTACTS
    db_fields = ("partner_id", "full_name", "position", "telegram_username", "birthday", "roles",
                 "comment")  # fmt: skip
    parsers: ClassVar[dict[str, Callable[[str], Any]]] = {
        "external_id": lambda c: v.check_name(c, "external_id", partners.EXTERNAL_ID_MAX),
        "partner_external_id": lambda c: v.check_name(c, "partner", partners.EXTERNAL_ID_MAX),
        "full_name": lambda c: v.check_name(c, "full_name", partners.CONTACT_NAME_MAX),
        "position": _optional(lambda c: v.check_name(c, "position", 200), ""),
        "phones": v.normalize_phone,
        "emails": v.normalize_email,
        "telegram": _optional(v.check_telegram_username),
        "birthday": _optional(lambda c: v.parse_date(c, "birthday")),
        "roles": lambda c: v.check_name(c, "roles", 100),
        "comment": lambda c: v.check_text(c, "comment", partners.COMMENT_MAX),
    }
    list_keys: ClassVar[dict[str, Callable[[Any], Any]]] = {"emails": str.lower}
    # file column -> create_contact / update_contact argument
    _arguments = {
        "full_name": "full_name", "position": "position", "telegram": "telegram_username",
        "birthday": "birthday", "roles": "roles", "comment": "comment", "phones": "phones",
        "emails": "emails",
    }  # fmt: skip

    async def resolve(self, records: list[_Record]) -> None:
        await _resolve_partner_refs(records, self.problems)
        found = await _by_reference(
            ContactPerson, [r.ref for r in records if r.ref], self.db_fields
        )
        ids = [row["id"] for row in found.values()]
        infos = await _infos("contact", ids) if {"phones", "emails"} & self.present else {}
        for record in records:
            row = self._existing_row(record, found)
            if row is None:
                continue
            record.current = {
                **_with_infos(row, infos),
                "telegram": row["telegram_username"],
                "roles": list(row["roles"] or []),
            }
            _check_same_partner(record, self.problems)
            if record.ok:
                record.changes = self._changes(record)

    def _changes(self, record: _Record) -> dict[str, Any]:
        values, current = record.values, record.current or {}
        changes: dict[str, Any] = {}
        for key, argument in self._arguments.items():
            if key not in values:
                continue
            wanted, have = values[key], current[key]
            if key == "emails":
                differs = _email_keys(wanted) != have
            else:
                differs = (list(wanted) if isinstance(wanted, list | tuple) else wanted) != have
            if differs:
                changes[argument] = wanted
        return changes

    async def write(self, records: list[_Record], progress: Callable[[], None]) -> None:
        new = [r for r in records if r.ok and r.current is None]
        await self._bulk(
            new,
            partners.bulk_create_contacts,
            [
                partners.ContactInput(
                    partner_id=r.partner_id,
                    external_id=r.ref,
                    **{
                        argument: r.values[key]
                        for key, argument in self._arguments.items()
                        if key in r.values
                    },
                )
                for r in new
            ],
        )
        changed = [r for r in records if r.ok and r.current is not None and r.changes]
        await self._bulk(
            changed, partners.bulk_update_contacts, [(r.existing_id, r.changes) for r in changed]
        )
        for _ in records:
            progress()


IMPORTERS: dict[str, type[_Importer]] = {
    PARTNERS: _PartnerImporter,
    COUNTERPARTIES: _CounterpartyImporter,
    CONTACTS: _ContactImporter,
}


# --- reading the file ---------------------------------------------------------------------------


def _map_columns(
    table: Table, columns: Sequence[Column], problems: _Problems
) -> tuple[dict[str, int], tuple[str, ...]]:
    """column key -> cell index; the headers nobody knows (ignored)."""
    index = column_index(columns)
    positions: dict[str, int] = {}
    ignored: list[str] = []
    seen: dict[str, list[str]] = defaultdict(list)
    for position, header in enumerate(table.headers):
        if not header:
            continue
        column = index.get(normalise_header(header))
        if column is None:
            ignored.append(header)
            continue
        seen[column.key].append(header)
        positions.setdefault(column.key, position)
    for key, headers in seen.items():
        if len(headers) > 1:
            problems.invalid(
                table.header_line, "column", "duplicate_column", key, columns=", ".join(headers)
            )
    missing = [c for c in columns if c.required and c.key not in positions]
    if missing:
        names = ", ".join(f"{c.key} / {c.uk}" for c in missing)
        problems.add(table.header_line, ValidationFailed("missing_columns", columns=names))
    return positions, tuple(ignored)


def _parse_rows(
    table: Table,
    importer: _Importer,
    positions: dict[str, int],
    progress: Callable[[int], None],
) -> list[_Record]:
    problems = importer.problems
    multi = {c.key for c in importer.columns if c.multi}
    width = len(table.headers)
    records: list[_Record] = []
    for number, row in enumerate(table.rows, start=1):
        record = _Record(line=row.line, values={})
        extra = [cell for cell in row.cells[width:] if cell]
        if extra:
            problems.invalid(
                row.line, "file", "extra_cells", None, count=width + len(extra), expected=width
            )
            record.ok = False
        for key, position in positions.items():
            cell = row.cells[position] if position < len(row.cells) else ""
            parse = importer.parsers[key]
            if key in multi:
                items = []
                for item in split_list(cell):
                    try:
                        parsed = parse(item)
                    except ValidationFailed as error:
                        problems.add(row.line, error, item)
                        record.ok = False
                        continue
                    if parsed:
                        items.append(parsed)
                dedupe_key = importer.list_keys.get(key, lambda x: x)
                record.values[key] = _dedupe(items, dedupe_key)
                continue
            try:
                record.values[key] = parse(cell)
            except ValidationFailed as error:
                problems.add(row.line, error, cell)
                record.ok = False
        record.ref = record.values.get("external_id")
        importer.after_parse(record)
        records.append(record)
        progress(number)
    _check_unique_refs(records, problems)
    return records


def _check_unique_refs(records: list[_Record], problems: _Problems) -> None:
    first: dict[str, int] = {}
    for record in records:
        if record.ref is None:
            continue
        if record.ref in first:
            problems.invalid(
                record.line, "external_id", "duplicate_in_file", record.ref, line=first[record.ref]
            )
            record.ok = False
            record.ref = None  # the first row with this id is the one others refer to
        else:
            first[record.ref] = record.line


def _check_unique_targets(records: list[_Record], problems: _Problems) -> None:
    """Two rows that reach the same record (an external id and its `crm:<id>`)."""
    first: dict[int, int] = {}
    for record in records:
        pk = record.existing_id
        if pk is None:
            continue
        if pk in first:
            problems.invalid(
                record.line, "external_id", "duplicate_in_file", record.ref, line=first[pk]
            )
            record.ok = False
        else:
            first[pk] = record.line


def _read(data: bytes, filename: str, columns: Sequence[Column]) -> Table:
    known = set(column_index(columns))
    try:
        return read_table(data, filename, is_known=known.__contains__)
    except ValidationFailed as error:
        raise ImportFailed(count=1, problems=[ImportProblem(None, "file", error)]) from None


async def import_master_data(
    kind: str,
    data: bytes,
    *,
    filename: str = "",
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import partners, counterparties or contacts from the bytes of a CSV or XLSX file.

    Returns how many records were created, updated and left unchanged; raises `ImportFailed`
    (nothing written) with `problems` listing every bad row. `dry_run` checks and counts
    without keeping anything.
    """
    if kind not in IMPORTERS:
        raise ValueError(f"unknown kind {kind!r}, expected one of {', '.join(KINDS)}")
    problems = _Problems()
    importer = IMPORTERS[kind](problems)
    table = _read(data, filename, importer.columns)
    positions, ignored = _map_columns(table, importer.columns, problems)
    if problems:
        _fail(problems)
    importer.present = set(positions)
    total = len(table.rows)
    report = _reporter(progress, total)

    records = _parse_rows(table, importer, positions, report("check"))
    await importer.resolve(records)
    _check_unique_targets(records, problems)

    created = sum(1 for r in records if r.ok and r.current is None)
    updated = sum(1 for r in records if r.ok and r.current is not None and r.changes)
    unchanged = sum(1 for r in records if r.ok and r.current is not None and not r.changes)

    await _write_all(
        lambda step: importer.write(records, step), report("write"), problems, dry_run=dry_run
    )
    return ImportReport(
        kind=kind,
        rows=total,
        created=created,
        updated=updated,
        unchanged=unchanged,
        ignored_columns=ignored,
        dry_run=dry_run,
    )


def _reporter(
    progress: ProgressCallback | None, total: int
) -> Callable[[str], Callable[[int], None]]:
    """`report(phase)`: the callback that tells `progress` how many of the `total` rows that
    phase ("check", "write") has done."""

    def report(phase: str) -> Callable[[int], None]:
        return (lambda done: progress(phase, done, total)) if progress else (lambda done: None)

    return report


async def _write_all(
    write: Callable[[Callable[[], None]], Awaitable[None]],
    on_write: Callable[[int], None],
    problems: _Problems,
    *,
    dry_run: bool,
) -> None:
    """Run `write(step)` in one transaction (`step()` after each row, counted to `on_write`)
    and commit it unless it is a dry run or writing found problems, which are then raised."""
    written = 0

    def step() -> None:
        nonlocal written
        written += 1
        on_write(written)

    try:
        async with in_transaction():
            await write(step)
            if problems or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if problems:
        _fail(problems)


def _fail(problems: _Problems) -> None:
    items = problems.sorted()
    raise ImportFailed(count=len(items), problems=items)


async def import_partners(data: bytes, **options: Any) -> ImportReport:
    return await import_master_data(PARTNERS, data, **options)


async def import_counterparties(data: bytes, **options: Any) -> ImportReport:
    return await import_master_data(COUNTERPARTIES, data, **options)


async def import_contacts(data: bytes, **options: Any) -> ImportReport:
    return await import_master_data(CONTACTS, data, **options)
