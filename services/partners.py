"""Partners (the management view), counterparties (legal entities), contact persons, their contact
information, segments and links — 1C's `Партнеры` / `Контрагенты` / `КонтактныеЛицаПартнеров`
and `СвязиМеждуПартнерами`.

Every command validates all its input first (through services.validation), then writes in one
transaction, so an error never leaves half a partner behind. Creating a partner warns about
possible duplicates (same tax id, phone, e-mail or name) with `DuplicateFound`; the adapter shows
the candidates and repeats the call with `confirm_duplicates=True` when the user insists.

Imports create and change thousands of records: `bulk_create_partners` / `_counterparties` /
`_contacts` and `bulk_update_*` check every record by the same `_prepare_*` as the single
commands, after looking up what the checks need for all the records in a few queries, and
write with bulk inserts by the same writers. They warn about no duplicates (an import is keyed
by external ids) and write nothing if any record is wrong.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, cast

from pypika_tortoise.queries import Table
from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core import clock
from core.errors import DomainError, DuplicateFound, NotFound, ValidationFailed
from models import (
    ContactInfo,
    ContactLink,
    ContactPerson,
    Counterparty,
    Deal,
    Employee,
    Partner,
    PartnerLink,
    PartnerLinkKind,
    Segment,
)
from models.base import ContactKind, DealStatus, LegalForm, RelationshipStage
from services import validation as v
from services.dto import (
    ContactInfoRow,
    ContactRow,
    CounterpartyRow,
    DuplicateCandidate,
    EmployeeRef,
    LinkKindRow,
    LinkRow,
    PartnerCard,
    PartnerRef,
    PartnerRow,
)
from services.text import digits_only, search_key, sort_key

NAME_MAX = 300
CONTACT_NAME_MAX = 200
COMMENT_MAX = 10_000
ADDRESS_MAX = 500
EXTERNAL_ID_MAX = 100
MAX_CADENCE_DAYS = 3650
BATCH_SIZE = 1000  # rows per bulk insert
IN_CHUNK = 5000  # ids per `IN (...)`: far below SQLite's and PostgreSQL's parameter limits
# Fewer digits than this in a query are not looked up as a phone or a tax id fragment.
MIN_DIGITS_FOR_NUMBER_SEARCH = 5
# Legal-form abbreviations ignored when comparing names for duplicates ("ТОВ Альфа" = "Альфа").
LEGAL_FORM_WORDS = (
    "ТОВ", "ТзОВ", "ПП", "ФОП", "ПАТ", "ПрАТ", "АТ", "ВАТ", "ЗАТ", "ДП", "КП", "СП", "ФГ",
    "LLC", "Ltd",
)  # fmt: skip
_LEGAL_FORM_KEYS = tuple(search_key(word) for word in LEGAL_FORM_WORDS)

_M = TypeVar("_M", bound=Model)


# --- small helpers ------------------------------------------------------------------------------


def _invalid(field_name: str, reason: str, **extra: Any) -> ValidationFailed:
    return ValidationFailed("invalid", field=field_name, reason=reason, **extra)


async def _get_one(model: type[_M], record_id: int, what: str, **extra: Any) -> _M:
    """The record with this id, or `NotFound` naming `what` it is."""
    record = await model.get_or_none(id=record_id)
    if record is None:
        raise NotFound("not_found", what=what, id=record_id, **extra)
    return record


async def get_partner(partner_id: int) -> Partner:
    return await _get_one(Partner, partner_id, "partner")


async def find_partner_by_external_id(external_id: str) -> Partner | None:
    if not external_id:
        return None
    return await Partner.get_or_none(external_id=external_id.strip())


def _key(text: str, max_len: int) -> str:
    return search_key(text)[:max_len]


def _as_list(values: Iterable[str] | str | None) -> list[str]:
    """Accept one value or many; drop empty ones."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [value for value in values if value is not None and str(value).strip()]


def _phones(values: Iterable[str] | str | None) -> list[str]:
    """E.164 numbers, duplicates dropped, order kept."""
    result: list[str] = []
    for value in _as_list(values):
        phone = v.normalize_phone(value)
        if phone not in result:
            result.append(phone)
    return result


def _emails(values: Iterable[str] | str | None) -> list[tuple[str, str]]:
    """(display, key) pairs, duplicates (case-insensitive) dropped, order kept."""
    result: list[tuple[str, str]] = []
    for value in _as_list(values):
        email = v.normalize_email(value)
        if email.lower() not in (key for _, key in result):
            result.append((email, email.lower()))
    return result


def _external_id(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    return v.check_name(value, "external_id", EXTERNAL_ID_MAX)


def _cadence(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return v.check_positive_int(value, "contact_cadence_days", MAX_CADENCE_DAYS)


# --- what the checks need from the database, looked up for many records at once -----------------


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ref_or_none(value: Any, clean: Callable[[Any], str | None]) -> str | None:
    """A reference the checks will see, for looking it up; a bad one is reported by the check."""
    try:
        return clean(value)
    except (ValidationFailed, TypeError):
        return None


def _parent_ref(value: Any) -> str | None:
    """A parent partner named by its external id."""
    if value is None or not str(value).strip():
        return None
    return v.check_name(value, "parent", EXTERNAL_ID_MAX)


@dataclass
class _Facts:
    """What the checks of `_prepare_*` read from the database, looked up once for all the
    records of one command: a single record and ten thousand cost the same few queries, and the
    checks themselves run no query, so single and bulk commands apply the very same rules."""

    # Partners that exist -> their parent id (with `walk`: every ancestor too).
    partners: dict[int, int | None] = field(default_factory=dict)
    partner_ids_by_ref: dict[str, int] = field(default_factory=dict)  # by external id
    employees: set[int] = field(default_factory=set)
    segments: set[int] = field(default_factory=set)
    # Model -> external id -> the id of the record that has it (negative: claimed in this batch).
    external_ids: dict[type[Model], dict[str, int]] = field(default_factory=dict)
    batch_refs: frozenset[str] = frozenset()  # external ids of partners created by the command
    _claims: int = 0

    def check_external_id(
        self, model: type[Model], external_id: str | None, own_id: int | None
    ) -> None:
        if external_id is None:
            return
        owner = self.external_ids.get(model, {}).get(external_id)
        if owner is not None and owner != own_id:
            raise _invalid("external_id", "already_used")

    def claim_external_id(
        self, model: type[Model], external_id: str | None, own_id: int | None
    ) -> None:
        """A record of the batch took `external_id`: later records of the batch see it used."""
        if external_id is None:
            return
        used = self.external_ids.setdefault(model, {})
        if own_id is None:
            self._claims += 1
            own_id = -self._claims
        else:
            for taken in [key for key, owner in used.items() if owner == own_id]:
                del used[taken]
        used[external_id] = own_id

    def check_partner(self, partner_id: Any) -> None:
        if partner_id not in self.partners:
            raise NotFound("not_found", what="partner", id=partner_id)


async def _look_up(
    *,
    partner_ids: Iterable[Any] = (),
    partner_refs: Iterable[str] = (),
    walk: bool = False,
    employee_ids: Iterable[Any] = (),
    segment_ids: Iterable[Any] = (),
    external_ids: dict[type[Model], Iterable[str | None]] | None = None,
    batch_refs: Iterable[str] = (),
) -> _Facts:
    """The facts about the given ids and references, a query per kind (per 5000 of them); with
    `walk`, the ancestors of the partners found too (a query per level), for circle checks."""
    facts = _Facts(batch_refs=frozenset(batch_refs))
    refs = list(dict.fromkeys(ref for ref in partner_refs if ref not in facts.batch_refs))
    for chunk in _chunks(refs):
        rows = await Partner.filter(external_id__in=chunk).values_list(
            "id", "external_id", "parent_id"
        )
        for pk, ref, parent_id in rows:
            facts.partner_ids_by_ref[ref] = pk
            facts.partners[pk] = parent_id
    wanted = {pk for pk in partner_ids if _is_id(pk)} - set(facts.partners)
    while True:
        for chunk in _chunks(sorted(wanted)):
            rows = await Partner.filter(id__in=chunk).values_list("id", "parent_id")
            facts.partners.update(dict(rows))
        wanted = {parent for parent in facts.partners.values() if parent is not None}
        wanted -= set(facts.partners)
        if not (walk and wanted):
            break
    for ids, model, known in (
        (employee_ids, Employee, facts.employees),
        (segment_ids, Segment, facts.segments),
    ):
        for chunk in _chunks(sorted({pk for pk in ids if _is_id(pk)})):
            known.update(await model.filter(id__in=chunk).values_list("id", flat=True))
    for model, values in (external_ids or {}).items():
        used = facts.external_ids.setdefault(model, {})
        for chunk in _chunks(sorted({value for value in values if value})):
            rows = await model.filter(external_id__in=chunk).values_list("external_id", "id")
            used.update(dict(rows))
    return facts


def _single(results: list[Any]) -> Any:
    """The one result of a `_prepare_*s` call for one record; its error raised."""
    [result] = results
    if isinstance(result, DomainError):
        raise result
    return result


def _errors(results: Sequence[Any]) -> list[tuple[int, DomainError]]:
    return [(row, result) for row, result in enumerate(results) if isinstance(result, DomainError)]


def _bulk_error(errors: list[tuple[int, DomainError]]) -> DomainError:
    """What a bulk command raises when records fail: the first failed record's error (its class,
    code and params) plus `row`, its index, and `errors`, the (index, error) of every failed
    record, each error with its own `row` too."""
    for row, error in errors:
        error.params["row"] = row
    first = errors[0][1]
    return type(first)(first.code, **{**first.params, "errors": errors})


# --- writing many records -----------------------------------------------------------------------

_TEMPORARY_PREFIX = "~bulk:"


async def _insert(model: type[Model], rows: Sequence[dict[str, Any]]) -> list[Any]:
    """Create records from field values, ids set: one with `create`; many with `bulk_create`
    in batches, their ids read back by external id (records without one get a temporary one,
    cleared again in the same transaction)."""
    if not rows:
        return []
    if len(rows) == 1:
        return [await model.create(**rows[0])]
    records = [model(**values) for values in rows]
    temporary = [record for record in records if record.external_id is None]
    token = f"{_TEMPORARY_PREFIX}{uuid.uuid4().hex}:"
    for number, record in enumerate(temporary):
        record.external_id = f"{token}{number}"
    await model.bulk_create(records, batch_size=BATCH_SIZE)
    ids: dict[str, int] = {}
    for chunk in _chunks([record.external_id for record in records]):
        ids.update(await model.filter(external_id__in=chunk).values_list("external_id", "id"))
    for record in records:
        record.id = ids[record.external_id]
        record._saved_in_db = True
    if temporary:
        for chunk in _chunks([record.id for record in temporary]):
            await model.filter(id__in=chunk).update(external_id=None)
        for record in temporary:
            record.external_id = None
    return records


async def _update_values(model: type[Model], items: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Write checked field values, (id, {field: value}), stamping `updated_at`."""
    now = clock.now()
    for record_id, values in items:
        if values:
            await model.filter(id=record_id).update(**values, updated_at=now)


@dataclass
class _Infos:
    """Validated contact information of a partner or a contact person, ready to write."""

    phones: list[str] = field(default_factory=list)
    emails: list[tuple[str, str]] = field(default_factory=list)
    website: str | None = None
    address: str | None = None

    def rows(self) -> list[tuple[ContactKind, str, str, bool]]:
        rows: list[tuple[ContactKind, str, str, bool]] = []
        for index, phone in enumerate(self.phones):
            rows.append((ContactKind.PHONE, v.format_phone(phone), phone, index == 0))
        for index, (email, key) in enumerate(self.emails):
            rows.append((ContactKind.EMAIL, email, key, index == 0))
        if self.website:
            rows.append((ContactKind.WEBSITE, self.website, v.website_key(self.website), True))
        if self.address:
            rows.append((ContactKind.ADDRESS, self.address, _key(self.address, ADDRESS_MAX), True))
        return rows


async def _write_infos(
    owner: str, entries: Iterable[tuple[int, _Infos, Sequence[ContactKind] | None]]
) -> None:
    """Write the contact information of many partners or contacts (`owner`); an entry with
    `kinds` replaces the owner's existing rows of those kinds, and writes only those kinds."""
    entries = list(entries)
    replaced: dict[tuple[ContactKind, ...], list[int]] = defaultdict(list)
    for owner_id, _, kinds in entries:
        if kinds:
            replaced[tuple(dict.fromkeys(kinds))].append(owner_id)
    for kinds, owner_ids in replaced.items():
        for chunk in _chunks(owner_ids):
            await ContactInfo.filter(**{f"{owner}_id__in": chunk}, kind__in=kinds).delete()
    rows = [
        ContactInfo(
            **{f"{owner}_id": owner_id},
            kind=kind,
            value=value,
            normalized=normalized,
            is_primary=primary,
        )
        for owner_id, infos, kinds in entries
        for kind, value, normalized, primary in infos.rows()
        if kinds is None or kind in kinds
    ]
    if rows:
        await ContactInfo.bulk_create(rows, batch_size=BATCH_SIZE)


def _info_row(info: dict[str, Any]) -> ContactInfoRow:
    return ContactInfoRow(
        id=info["id"],
        kind=str(info["kind"]),
        value=info["value"],
        normalized=info["normalized"],
        is_primary=info["is_primary"],
    )


# --- segments and link kinds --------------------------------------------------------------------


async def create_segment(name: str, description: str = "", stop_shipments: bool = False) -> Segment:
    name = v.check_name(name, "segment", 200)
    description = v.check_text(description, "description")
    if await Segment.filter(name=name).exists():
        raise _invalid("segment", "already_used")
    return await Segment.create(name=name, description=description, stop_shipments=stop_shipments)


async def list_segments() -> list[Segment]:
    return await Segment.all().order_by("name")


def _segment_id(value: Any) -> Any:
    return value.id if isinstance(value, Segment) else value


def _resolve_segments(values: Iterable[Any], facts: _Facts) -> tuple[list[int], list[str]]:
    """Ids must exist; names are found or created when the partner is written."""
    ids: list[int] = []
    names: list[str] = []
    for value in values:
        if isinstance(value, Segment) or _is_id(value):
            ids.append(_segment_id(value))
        else:
            name = v.check_name(value, "segment", 200)
            if name not in names:
                names.append(name)
    ids = list(dict.fromkeys(ids))
    missing = [pk for pk in ids if pk not in facts.segments]
    if missing:
        raise NotFound("not_found", what="segment", id=missing[0])
    return ids, names


async def _write_segments(
    entries: Iterable[tuple[int, list[int], list[str]]], *, replace: bool
) -> None:
    """Put partners into segments (by id, or by name: found, or created when missing); with
    `replace`, out of the segments they were in before."""
    entries = list(entries)
    names = list(dict.fromkeys(name for _, _, entry_names in entries for name in entry_names))
    by_name: dict[str, int] = {}
    for chunk in _chunks(names):
        by_name.update(await Segment.filter(name__in=chunk).values_list("name", "id"))
    for name in names:
        if name not in by_name:
            by_name[name] = (await Segment.create(name=name)).id
    through = Partner._meta.fields_map["segments"]
    table = Table(through.through)
    db = Partner._meta.db
    if replace:
        for chunk in _chunks([partner_id for partner_id, _, _ in entries]):
            query = db.query_class.from_(table).where(table[through.backward_key].isin(chunk))
            await db.execute_query(*query.delete().get_parameterized_sql())
    pairs = [
        [partner_id, segment_id]
        for partner_id, ids, entry_names in entries
        for segment_id in dict.fromkeys([*ids, *(by_name[name] for name in entry_names)])
    ]
    if pairs:
        insert = (
            db.query_class.into(table)
            .columns(through.backward_key, through.forward_key)
            .insert(0, 0)
            .get_parameterized_sql()
        )
        for chunk in _chunks(pairs, BATCH_SIZE):
            await db.execute_many(insert[0], chunk)


async def create_link_kind(name: str, reverse_name: str | None = None) -> PartnerLinkKind:
    """A kind of link, named from the source's side ("Постачає") and the target's side
    ("Отримує від"); for a symmetric kind ("Партнер") leave `reverse_name` empty."""
    name = v.check_name(name, "link_kind", 200)
    reverse = v.check_name(reverse_name, "reverse_name", 200) if reverse_name else name
    if await PartnerLinkKind.filter(name=name).exists():
        raise _invalid("link_kind", "already_used")
    return await PartnerLinkKind.create(name=name, reverse_name=reverse)


async def list_link_kinds() -> list[LinkKindRow]:
    rows = await PartnerLinkKind.all().order_by("name").values("id", "name", "reverse_name")
    return [LinkKindRow(**row) for row in rows]


# --- duplicates ---------------------------------------------------------------------------------


def _name_variants(name: str) -> list[str]:
    """The name's key with and without a legal-form word in front or behind."""
    key = _key(name, NAME_MAX)
    words = key.split(" ")
    core = key
    if len(words) > 1 and words[0] in _LEGAL_FORM_KEYS:
        core = " ".join(words[1:])
    elif len(words) > 1 and words[-1] in _LEGAL_FORM_KEYS:
        core = " ".join(words[:-1])
    variants = {key, core}
    for form in _LEGAL_FORM_KEYS:
        variants.add(f"{form} {core}")
        variants.add(f"{core} {form}")
    return sorted(variant for variant in variants if variant)


async def _duplicates(
    *,
    name: str | None,
    tax: tuple[str, str] | None,
    phones: Sequence[str],
    email_keys: Sequence[str],
    exclude_id: int | None,
) -> list[DuplicateCandidate]:
    matched: dict[int, list[str]] = defaultdict(list)

    def note(ids: Iterable[int | None], what: str) -> None:
        for partner_id in ids:
            if (
                partner_id is not None
                and partner_id != exclude_id
                and what not in matched[partner_id]
            ):
                matched[partner_id].append(what)

    if tax is not None:
        kind, code = tax
        note(
            await Counterparty.filter(**{kind: code}).values_list("partner_id", flat=True), "tax_id"
        )
    for kind, values, label in (
        (ContactKind.PHONE, list(phones), "phone"),
        (ContactKind.EMAIL, list(email_keys), "email"),
    ):
        if not values:
            continue
        owners = ContactInfo.filter(kind=kind, normalized__in=values)
        note(
            await owners.filter(partner_id__isnull=False).values_list("partner_id", flat=True),
            label,
        )
        contact_ids = owners.filter(contact_id__isnull=False).values("contact_id")
        note(
            await ContactPerson.filter(id__in=Subquery(contact_ids)).values_list(
                "partner_id", flat=True
            ),
            label,
        )
    if name:
        variants = _name_variants(name)
        note(await Partner.filter(search_key__in=variants).values_list("id", flat=True), "name")
        note(
            await Counterparty.filter(search_key__in=variants).values_list("partner_id", flat=True),
            "name",
        )
    if not matched:
        return []
    names = dict(await Partner.filter(id__in=list(matched)).values_list("id", "name"))
    candidates = [
        DuplicateCandidate(partner_id=pid, name=names[pid], matched=tuple(what))
        for pid, what in matched.items()
        if pid in names
    ]
    # The strongest evidence first: a shared tax id, then more matches, then by name.
    candidates.sort(
        key=lambda c: ("tax_id" not in c.matched, -len(c.matched), c.name, c.partner_id)
    )
    return candidates


async def find_partner_duplicates(
    *,
    name: str | None = None,
    tax_id: str | None = None,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    exclude_id: int | None = None,
) -> list[DuplicateCandidate]:
    """Partners that look like the described one: same tax id of a counterparty, same phone or
    e-mail (of the partner or its contacts), or the same name up to case, look-alike letters,
    quotes and a legal-form word ("ТОВ")."""
    return await _duplicates(
        name=v.check_name(name, "name", NAME_MAX) if name else None,
        tax=v.check_tax_id(tax_id) if tax_id else None,
        phones=_phones(phones),
        email_keys=[key for _, key in _emails(emails)],
        exclude_id=exclude_id,
    )


def _duplicate_error(candidates: list[DuplicateCandidate]) -> DuplicateFound:
    shown = ", ".join(c.name for c in candidates[:5])
    if len(candidates) > 5:
        shown += ", …"
    return DuplicateFound(
        "duplicate",
        existing=shown,
        candidates=[c.partner_id for c in candidates],
        duplicates=candidates,
    )


# --- partners -----------------------------------------------------------------------------------

_PARTNER_FLAGS = (
    "is_client", "is_supplier", "is_competitor", "is_other", "is_group", "is_division", "is_person",
    "active",
)  # fmt: skip
_PARTNER_FIELDS = frozenset(
    (
        *_PARTNER_FLAGS, "name", "parent_id", "parent_external_id", "main_manager_id", "segments",
        "phones", "emails", "website", "address", "comment", "external_id",
        "contact_cadence_days", "relationship_stage", "business_region", "strategy",
        "registered_on",
    )
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class PartnerInput:
    """One new partner for `bulk_create_partners`: the arguments of `create_partner`; the parent
    may instead be named by its external id (`parent_external_id`): a partner of the same batch
    (written before its children) or one already in the CRM."""

    name: str
    is_client: bool = False
    is_supplier: bool = False
    is_competitor: bool = False
    is_other: bool = False
    parent_id: int | None = None
    parent_external_id: str | None = None
    is_group: bool = False
    is_division: bool = False
    is_person: bool = False
    main_manager_id: int | None = None
    segments: Sequence[int | str] = ()
    phones: Sequence[str] = ()
    emails: Sequence[str] = ()
    website: str | None = None
    address: str | None = None
    comment: str = ""
    external_id: str | None = None
    contact_cadence_days: int | None = None
    relationship_stage: str | None = None

    def __post_init__(self) -> None:
        if self.parent_id is not None and self.parent_external_id is not None:
            raise TypeError("give parent_id or parent_external_id, not both")

    def changes(self) -> dict[str, Any]:
        """The fields in the order they are checked (the first bad one is reported)."""
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        del values["parent_id" if self.parent_external_id is not None else "parent_external_id"]
        return values


@dataclass
class _PartnerInput:
    values: dict[str, Any]
    infos: _Infos
    info_kinds: list[ContactKind]
    segment_ids: list[int] | None = None
    segment_names: list[str] | None = None
    parent_ref: str | None = None  # a parent created by the same command, by its external id


def _check_parent(parent_id: Any, own_id: int | None, facts: _Facts) -> None:
    """The parent must exist and, for an existing partner, not be the partner or below it."""
    if parent_id is None:
        return
    facts.check_partner(parent_id)
    current: int | None = parent_id
    seen: set[int] = set()
    while own_id is not None and current is not None and current not in seen:
        if current == own_id:
            raise _invalid("parent", "parent_cycle")
        seen.add(current)
        current = facts.partners.get(current)


def _prepare_partner(changes: dict[str, Any], own_id: int | None, facts: _Facts) -> _PartnerInput:
    """Validate partner fields (all of them for a new partner, the given ones for an update)."""
    unknown = set(changes) - _PARTNER_FIELDS
    if unknown:
        raise TypeError(f"unknown partner field(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    infos = _Infos()
    kinds: list[ContactKind] = []
    result = _PartnerInput(values=values, infos=infos, info_kinds=kinds)
    for key, value in changes.items():
        if key == "name":
            values["name"] = v.check_name(value, "name", NAME_MAX)
            values["search_key"] = _key(values["name"], NAME_MAX)
        elif key in _PARTNER_FLAGS:
            values[key] = bool(value)
        elif key == "parent_id":
            _check_parent(value, own_id, facts)
            values["parent_id"] = value
        elif key == "parent_external_id":
            ref = _parent_ref(value)
            if ref is not None and own_id is None and ref in facts.batch_refs:
                result.parent_ref = ref
            elif ref is not None and ref not in facts.partner_ids_by_ref:
                raise _invalid("parent", "unknown_reference", value=ref)
            else:
                parent_id = facts.partner_ids_by_ref[ref] if ref is not None else None
                _check_parent(parent_id, own_id, facts)
                values["parent_id"] = parent_id
        elif key == "main_manager_id":
            if value is not None and value not in facts.employees:
                raise NotFound("not_found", what="employee", id=value, field="main_manager")
            values["main_manager_id"] = value
        elif key == "segments":
            result.segment_ids, result.segment_names = _resolve_segments(value or (), facts)
        elif key == "phones":
            infos.phones = _phones(value)
            kinds.append(ContactKind.PHONE)
        elif key == "emails":
            infos.emails = _emails(value)
            kinds.append(ContactKind.EMAIL)
        elif key == "website":
            infos.website = v.check_website(value) if value else None
            kinds.append(ContactKind.WEBSITE)
        elif key == "address":
            infos.address = v.check_name(value, "address", ADDRESS_MAX) if value else None
            kinds.append(ContactKind.ADDRESS)
        elif key in ("comment", "strategy"):
            values[key] = v.check_text(value or "", key, COMMENT_MAX)
        elif key == "business_region":
            values[key] = v.check_text(value or "", key, 200)
        elif key == "external_id":
            values[key] = _external_id(value)
            facts.check_external_id(Partner, values[key], own_id)
        elif key == "contact_cadence_days":
            values[key] = _cadence(value)
        elif key == "relationship_stage":
            stage = value if value is not None else RelationshipStage.POTENTIAL
            values[key] = RelationshipStage(
                v.check_choice(stage, RelationshipStage, "relationship_stage")
            )
        elif key == "registered_on":
            values[key] = v.parse_date(value, "date") if value else None
    return result


async def _prepare_partners(
    items: Sequence[tuple[dict[str, Any], int | None]], batch_refs: Iterable[str] = ()
) -> list[_PartnerInput | DomainError]:
    """Check (changes, own id or None for a new partner) pairs in order, as if each were written
    before the next is checked: an external id taken by one is used for the later ones, and a
    parent set on one counts in the circle checks of the later ones."""
    # Segments may come as a generator: they are looked up, then checked, so read them once.
    items = [
        ({**changes, "segments": list(changes["segments"] or ())}, own_id)
        if "segments" in changes
        else (changes, own_id)
        for changes, own_id in items
    ]
    facts = await _look_up(
        partner_ids=[pk for changes, own_id in items for pk in (changes.get("parent_id"), own_id)],
        partner_refs=[
            ref
            for changes, _ in items
            if (ref := _ref_or_none(changes.get("parent_external_id"), _parent_ref))
        ],
        walk=any(own_id is not None for _, own_id in items),
        employee_ids=[changes.get("main_manager_id") for changes, _ in items],
        segment_ids=[
            _segment_id(segment)
            for changes, _ in items
            for segment in changes.get("segments") or ()
        ],
        external_ids={
            Partner: [
                _ref_or_none(changes.get("external_id"), _external_id) for changes, _ in items
            ]
        },
        batch_refs=batch_refs,
    )
    results: list[_PartnerInput | DomainError] = []
    for changes, own_id in items:
        try:
            if own_id is not None:
                facts.check_partner(own_id)
            data = _prepare_partner(changes, own_id, facts)
        except DomainError as error:
            results.append(error)
            continue
        facts.claim_external_id(Partner, data.values.get("external_id"), own_id)
        if own_id is not None and "parent_id" in data.values:
            facts.partners[own_id] = data.values["parent_id"]
        results.append(data)
    return results


async def _write_partners(items: Sequence[_PartnerInput]) -> list[Partner]:
    """Insert new partners with their contact information and segments."""
    partners = await _insert(Partner, [data.values for data in items])
    await _write_infos(
        "partner", [(p.id, data.infos, None) for p, data in zip(partners, items, strict=True)]
    )
    await _write_segments(
        [
            (partner.id, data.segment_ids or [], data.segment_names or [])
            for partner, data in zip(partners, items, strict=True)
            if data.segment_ids or data.segment_names
        ],
        replace=False,
    )
    return partners


async def _update_partners(items: Sequence[tuple[int, _PartnerInput]]) -> None:
    """Write checked changes; contact information of the given kinds and segments replaced."""
    await _update_values(Partner, [(pk, data.values) for pk, data in items])
    await _write_infos(
        "partner", [(pk, data.infos, data.info_kinds) for pk, data in items if data.info_kinds]
    )
    await _write_segments(
        [
            (pk, data.segment_ids, data.segment_names or [])
            for pk, data in items
            if data.segment_ids is not None
        ],
        replace=True,
    )


async def create_partner(
    *,
    name: str,
    is_client: bool = False,
    is_supplier: bool = False,
    is_competitor: bool = False,
    is_other: bool = False,
    parent_id: int | None = None,
    is_group: bool = False,
    is_division: bool = False,
    is_person: bool = False,
    main_manager_id: int | None = None,
    segments: Iterable[int | str] = (),
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    website: str | None = None,
    address: str | None = None,
    comment: str = "",
    external_id: str | None = None,
    contact_cadence_days: int | None = None,
    relationship_stage: str | None = None,
    confirm_duplicates: bool = False,
) -> Partner:
    """A new partner with its phones, e-mails, site, address and segments (ids, or names that
    are created when missing). Raises `DuplicateFound` listing look-alike partners unless
    `confirm_duplicates`."""
    row = PartnerInput(
        name=name,
        is_client=is_client,
        is_supplier=is_supplier,
        is_competitor=is_competitor,
        is_other=is_other,
        parent_id=parent_id,
        is_group=is_group,
        is_division=is_division,
        is_person=is_person,
        main_manager_id=main_manager_id,
        segments=segments,
        phones=phones,
        emails=emails,
        website=website,
        address=address,
        comment=comment,
        external_id=external_id,
        contact_cadence_days=contact_cadence_days,
        relationship_stage=relationship_stage,
    )
    data = _single(await _prepare_partners([(row.changes(), None)]))
    if not confirm_duplicates:
        candidates = await _duplicates(
            name=data.values["name"],
            tax=None,
            phones=data.infos.phones,
            email_keys=[key for _, key in data.infos.emails],
            exclude_id=None,
        )
        if candidates:
            raise _duplicate_error(candidates)
    async with in_transaction():
        [partner] = await _write_partners([data])
    return partner


async def update_partner(partner_id: int, **changes: Any) -> Partner:
    """Change the given fields; `phones`, `emails`, `website`, `address` and `segments` replace
    what the partner had."""
    partner = await get_partner(partner_id)
    data = _single(await _prepare_partners([(changes, partner.id)]))
    async with in_transaction():
        await _update_partners([(partner.id, data)])
    return await get_partner(partner.id)


def _partner_levels(items: Sequence[_PartnerInput]) -> tuple[list[list[int]], list[int]]:
    """The indexes of `items` in writing order, level by level (the parents of a level's
    partners are in the earlier levels or already in the CRM), and the indexes of the partners
    in a circle of parents (they, and those below them, are in no level)."""
    by_ref = {
        ref: index for index, data in enumerate(items) if (ref := data.values.get("external_id"))
    }
    level: dict[int, int | None] = {}  # None: in or below a circle
    circled: set[int] = set()
    for start in range(len(items)):
        path: list[int] = []
        on_path: set[int] = set()
        current: int | None = start
        while current is not None and current not in level and current not in on_path:
            path.append(current)
            on_path.add(current)
            ref = items[current].parent_ref
            current = by_ref[ref] if ref is not None else None
        above: int | None
        if current is None:
            above = -1
        elif current in on_path:
            circled.update(path[path.index(current) :])
            above = None
        else:
            above = level[current]
        for index in reversed(path):
            above = None if above is None else above + 1
            level[index] = above
    levels: list[list[int]] = []
    for index in range(len(items)):
        depth = level[index]
        if depth is not None:
            while len(levels) <= depth:
                levels.append([])
            levels[depth].append(index)
    return levels, sorted(circled)


async def bulk_create_partners(rows: Sequence[PartnerInput]) -> list[int]:
    """Create many partners at once, checked by the rules of `create_partner` (the same errors)
    and written with bulk inserts in the caller's transaction; returns their ids in the order
    of `rows`. No duplicate warning: the caller (an import keyed by external ids) decides what
    is new. A parent named by `parent_external_id` may be a row of the same batch, in any order.

    All or nothing: if any row is wrong, nothing is written and the first bad row's error is
    raised with `row` (its index) and `errors`, the (index, error) of every bad row. A circle of
    parents inside the batch is `ValidationFailed(field="parent", reason="parent_cycle")`.
    """
    rows = list(rows)
    if not rows:
        return []
    batch_refs = [ref for row in rows if (ref := _ref_or_none(row.external_id, _external_id))]
    results = await _prepare_partners([(row.changes(), None) for row in rows], batch_refs)
    if errors := _errors(results):
        raise _bulk_error(errors)
    items = cast(list[_PartnerInput], results)
    levels, circled = _partner_levels(items)
    if circled:
        raise _bulk_error([(index, _invalid("parent", "parent_cycle")) for index in circled])
    ids: list[int] = [0] * len(rows)
    by_ref: dict[str, int] = {}
    async with in_transaction():
        for level in levels:
            for index in level:
                if items[index].parent_ref is not None:
                    items[index].values["parent_id"] = by_ref[items[index].parent_ref]
            written = await _write_partners([items[index] for index in level])
            for index, partner in zip(level, written, strict=True):
                ids[index] = partner.id
                if partner.external_id:
                    by_ref[partner.external_id] = partner.id
    return ids


async def bulk_update_partners(changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Apply many `update_partner` changes, (partner id, {field: value}), checked in order by
    its rules as if each were written before the next (so a file can swap two parents) and
    written in the caller's transaction. All or nothing, errors as in `bulk_create_partners`."""
    changes = list(changes)
    if not changes:
        return
    results = await _prepare_partners([(dict(values), pk) for pk, values in changes])
    if errors := _errors(results):
        raise _bulk_error(errors)
    items = cast(list[_PartnerInput], results)
    async with in_transaction():
        await _update_partners([(pk, data) for (pk, _), data in zip(changes, items, strict=True)])


def _phone_like(query: str) -> bool:
    return all(ch.isdigit() or ch in " +-()." for ch in query)


def _email_like(query: str) -> bool:
    return "@" in query or ("." in query and " " not in query.strip())


async def search_partners(
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    main_manager_id: int | None = None,
    include_inactive: bool = False,
) -> list[PartnerRow]:
    """Partners whose name (or a counterparty's name) contains the query, tolerant to case,
    apostrophes, quotes and Latin look-alike letters; or whose counterparty has the ЄДРПОУ /
    РНОКПП, or who (or whose contact) has the phone (any part of it, 5+ digits) or e-mail."""
    text = (query or "").strip()
    key = _key(text, NAME_MAX)
    if not key:
        return []
    condition = Q(search_key__contains=key) | Q(
        id__in=Subquery(Counterparty.filter(search_key__contains=key).values("partner_id"))
    )
    digits = digits_only(text)
    if _phone_like(text) and len(digits) >= MIN_DIGITS_FOR_NUMBER_SEARCH:
        codes = Counterparty.filter(Q(edrpou__contains=digits) | Q(rnokpp__contains=digits))
        condition |= Q(id__in=Subquery(codes.values("partner_id")))
        condition |= _info_condition(ContactKind.PHONE, digits)
    if _email_like(text):
        condition |= _info_condition(ContactKind.EMAIL, text.lower())
        condition |= _info_condition(ContactKind.WEBSITE, text.lower().removeprefix("www."))
    partners = Partner.filter(condition)
    if not include_inactive:
        partners = partners.filter(active=True)
    if main_manager_id is not None:
        partners = partners.filter(main_manager_id=main_manager_id)
    rows = (
        await partners.order_by("name", "id")
        .offset(max(offset, 0))
        .limit(max(1, min(limit, 200)))
        .values(
            "id", "name", "is_client", "is_supplier", "is_competitor", "is_other", "is_group",
            "is_person", "relationship_stage", "main_manager_id", "active",
            manager_name="main_manager__full_name",
        )
    )  # fmt: skip
    return await _partner_rows(rows)


def _info_condition(kind: ContactKind, fragment: str) -> Q:
    """Partners that have, or whose contact persons have, contact info containing `fragment`."""
    infos = ContactInfo.filter(kind=kind, normalized__contains=fragment)
    own = infos.filter(partner_id__isnull=False).values("partner_id")
    of_contacts = ContactPerson.filter(
        id__in=Subquery(infos.filter(contact_id__isnull=False).values("contact_id"))
    ).values("partner_id")
    return Q(id__in=Subquery(own)) | Q(id__in=Subquery(of_contacts))


async def _partner_rows(rows: list[dict[str, Any]]) -> list[PartnerRow]:
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    phones: dict[int, str] = {}
    for info in (
        await ContactInfo.filter(partner_id__in=ids, kind=ContactKind.PHONE)
        .order_by("-is_primary", "id")
        .values("partner_id", "value")
    ):
        phones.setdefault(info["partner_id"], info["value"])
    codes: dict[int, str] = {}
    for cp in (
        await Counterparty.filter(partner_id__in=ids, active=True)
        .order_by("id")
        .values("partner_id", "edrpou", "rnokpp")
    ):
        code = cp["edrpou"] or cp["rnokpp"]
        if code:
            codes.setdefault(cp["partner_id"], code)
    return [
        PartnerRow(
            id=row["id"],
            name=row["name"],
            is_client=row["is_client"],
            is_supplier=row["is_supplier"],
            is_competitor=row["is_competitor"],
            is_other=row["is_other"],
            is_group=row["is_group"],
            is_person=row["is_person"],
            relationship_stage=str(row["relationship_stage"]),
            main_manager_id=row["main_manager_id"],
            main_manager_name=row["manager_name"],
            tax_id=codes.get(row["id"]),
            phone=phones.get(row["id"]),
            active=row["active"],
        )
        for row in rows
    ]


async def get_partner_card(partner_id: int) -> PartnerCard:
    """The partner with its requisites, contacts (with phones and e-mails), links named from
    this partner's side, parent, children, segments and the number of open deals."""
    partner = await Partner.get_or_none(id=partner_id).select_related("main_manager", "parent")
    if partner is None:
        raise NotFound("not_found", what="partner", id=partner_id)
    children = sorted(
        await Partner.filter(parent_id=partner.id).values_list("id", "name"),
        key=lambda child: sort_key(child[1]),
    )
    segments = (
        await Segment.filter(partners__id=partner.id)
        .order_by("name")
        .values_list("name", flat=True)
    )
    infos = (
        await ContactInfo.filter(partner_id=partner.id)
        .order_by("-is_primary", "id")
        .values("id", "kind", "value", "normalized", "is_primary")
    )
    by_kind: dict[str, list[ContactInfoRow]] = defaultdict(list)
    for info in infos:
        row = _info_row(info)
        by_kind[row.kind].append(row)
    open_deals = await Deal.filter(partner_id=partner.id, status=DealStatus.OPEN).count()
    manager = partner.main_manager
    parent = partner.parent
    return PartnerCard(
        id=partner.id,
        name=partner.name,
        is_client=partner.is_client,
        is_supplier=partner.is_supplier,
        is_competitor=partner.is_competitor,
        is_other=partner.is_other,
        is_group=partner.is_group,
        is_division=partner.is_division,
        is_person=partner.is_person,
        active=partner.active,
        relationship_stage=str(partner.relationship_stage),
        main_manager=EmployeeRef(manager.id, manager.full_name) if manager else None,
        parent=PartnerRef(parent.id, parent.name) if parent else None,
        children=tuple(PartnerRef(cid, cname) for cid, cname in children),
        segments=tuple(segments),
        phones=tuple(by_kind[ContactKind.PHONE]),
        emails=tuple(by_kind[ContactKind.EMAIL]),
        website=next(iter(by_kind[ContactKind.WEBSITE]), None),
        address=next(iter(by_kind[ContactKind.ADDRESS]), None),
        counterparties=tuple(await list_counterparties(partner.id)),
        contacts=tuple(await list_contacts(partner.id)),
        links=tuple(await list_partner_links(partner.id)),
        open_deals_count=open_deals,
        comment=partner.comment,
        business_region=partner.business_region,
        strategy=partner.strategy,
        contact_cadence_days=partner.contact_cadence_days,
        external_id=partner.external_id,
        registered_on=partner.registered_on,
    )


async def find_partners_by_email(email: str) -> list[PartnerRef]:
    """Partners that have this e-mail themselves or through a contact person (for ingest)."""
    try:
        key = v.email_key(email)
    except ValidationFailed:
        return []
    rows = (
        await Partner.filter(_exact_info_condition(ContactKind.EMAIL, key))
        .order_by("name", "id")
        .values_list("id", "name")
    )
    return [PartnerRef(pid, name) for pid, name in rows]


def _exact_info_condition(kind: ContactKind, normalized: str) -> Q:
    infos = ContactInfo.filter(kind=kind, normalized=normalized)
    own = infos.filter(partner_id__isnull=False).values("partner_id")
    of_contacts = ContactPerson.filter(
        id__in=Subquery(infos.filter(contact_id__isnull=False).values("contact_id"))
    ).values("partner_id")
    return Q(id__in=Subquery(own)) | Q(id__in=Subquery(of_contacts))


# --- counterparties -----------------------------------------------------------------------------

_COUNTERPARTY_FIELDS = frozenset(
    (
        "name", "legal_form", "full_name", "edrpou", "rnokpp", "vat_number", "iban", "bank_name",
        "legal_address", "external_id", "active",
    )
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class CounterpartyInput:
    """One new counterparty for `bulk_create_counterparties`: the arguments of
    `create_counterparty`."""

    partner_id: int
    name: str
    legal_form: str = LegalForm.LEGAL_ENTITY
    full_name: str = ""
    edrpou: str | None = None
    rnokpp: str | None = None
    vat_number: str | None = None
    iban: str | None = None
    bank_name: str = ""
    legal_address: str = ""
    external_id: str | None = None

    def changes(self) -> dict[str, Any]:
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        del values["partner_id"]
        return values


def _prepare_counterparty(
    changes: dict[str, Any], current: Counterparty | None, facts: _Facts
) -> dict[str, Any]:
    unknown = set(changes) - _COUNTERPARTY_FIELDS
    if unknown:
        raise TypeError(f"unknown counterparty field(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            values["name"] = v.check_name(value, "name", NAME_MAX)
            values["search_key"] = _key(values["name"], NAME_MAX)
        elif key == "legal_form":
            form = value if value is not None else LegalForm.LEGAL_ENTITY
            values[key] = LegalForm(v.check_choice(form, LegalForm, "legal_form"))
        elif key == "full_name":
            values[key] = v.check_name(value, "legal_name", 500) if value else ""
        elif key == "edrpou":
            values[key] = v.check_edrpou(value) if value else None
        elif key == "rnokpp":
            values[key] = v.check_rnokpp(value) if value else None
        elif key == "vat_number":
            values[key] = v.check_vat_number(value) if value else None
        elif key == "iban":
            values[key] = v.check_iban(value) if value else None
        elif key == "bank_name":
            values[key] = v.check_name(value, "bank_name", 300) if value else ""
        elif key == "legal_address":
            values[key] = v.check_text(value or "", "legal_address", 2000)
        elif key == "external_id":
            values[key] = _external_id(value)
            facts.check_external_id(Counterparty, values[key], current.id if current else None)
        elif key == "active":
            values[key] = bool(value)
    # A legal entity has an ЄДРПОУ; a person or ФОП a РНОКПП.
    form = values.get("legal_form", current.legal_form if current else LegalForm.LEGAL_ENTITY)
    edrpou = values.get("edrpou", current.edrpou if current else None)
    rnokpp = values.get("rnokpp", current.rnokpp if current else None)
    if form == LegalForm.LEGAL_ENTITY and rnokpp:
        raise _invalid("rnokpp", "wrong_legal_form")
    if form != LegalForm.LEGAL_ENTITY and edrpou:
        raise _invalid("edrpou", "wrong_legal_form")
    return values


async def _prepare_counterparties(
    items: Sequence[tuple[int | None, dict[str, Any], Counterparty | None]],
) -> list[dict[str, Any] | DomainError]:
    """Check (partner id of a new one, changes, the current record of a changed one) in order,
    as if each were written before the next is checked."""
    facts = await _look_up(
        partner_ids=[partner_id for partner_id, _, _ in items],
        external_ids={
            Counterparty: [
                _ref_or_none(changes.get("external_id"), _external_id) for _, changes, _ in items
            ]
        },
    )
    results: list[dict[str, Any] | DomainError] = []
    for partner_id, changes, current in items:
        try:
            if current is None:
                facts.check_partner(partner_id)
            values = _prepare_counterparty(changes, current, facts)
        except DomainError as error:
            results.append(error)
            continue
        if current is None:
            values["partner_id"] = partner_id
        else:  # a later change of the same record is checked against this one
            for key, value in values.items():
                setattr(current, key, value)
        own_id = current.id if current else None
        facts.claim_external_id(Counterparty, values.get("external_id"), own_id)
        results.append(values)
    return results


async def _counterparty_duplicates(values: dict[str, Any], own_id: int | None) -> None:
    for kind in ("edrpou", "rnokpp"):
        code = values.get(kind)
        if not code:
            continue
        query = Counterparty.filter(**{kind: code})
        if own_id is not None:
            query = query.exclude(id=own_id)
        partner_ids = await query.values_list("partner_id", flat=True)
        if partner_ids:
            candidates = await _duplicates(
                name=None, tax=(kind, code), phones=(), email_keys=(), exclude_id=None
            )
            raise _duplicate_error(candidates)


async def _write_counterparties(items: Sequence[dict[str, Any]]) -> list[Counterparty]:
    return await _insert(Counterparty, items)


async def create_counterparty(
    *,
    partner_id: int,
    name: str,
    legal_form: str = LegalForm.LEGAL_ENTITY,
    full_name: str = "",
    edrpou: str | None = None,
    rnokpp: str | None = None,
    vat_number: str | None = None,
    iban: str | None = None,
    bank_name: str = "",
    legal_address: str = "",
    external_id: str | None = None,
    confirm_duplicates: bool = False,
) -> Counterparty:
    """A legal entity (ЄДРПОУ), ФОП or individual (РНОКПП) of a partner. Another counterparty
    with the same code raises `DuplicateFound` unless `confirm_duplicates`."""
    row = CounterpartyInput(
        partner_id=partner_id,
        name=name,
        legal_form=legal_form,
        full_name=full_name,
        edrpou=edrpou,
        rnokpp=rnokpp,
        vat_number=vat_number,
        iban=iban,
        bank_name=bank_name,
        legal_address=legal_address,
        external_id=external_id,
    )
    values = _single(await _prepare_counterparties([(partner_id, row.changes(), None)]))
    if not confirm_duplicates:
        await _counterparty_duplicates(values, None)
    async with in_transaction():
        [counterparty] = await _write_counterparties([values])
    return counterparty


async def update_counterparty(counterparty_id: int, **changes: Any) -> Counterparty:
    counterparty = await _get_one(Counterparty, counterparty_id, "counterparty")
    confirm = bool(changes.pop("confirm_duplicates", False))
    values = _single(await _prepare_counterparties([(None, changes, counterparty)]))
    if not confirm:
        await _counterparty_duplicates(values, counterparty.id)
    if values:
        async with in_transaction():
            await _update_values(Counterparty, [(counterparty.id, values)])
    return await _get_one(Counterparty, counterparty.id, "counterparty")


async def bulk_create_counterparties(rows: Sequence[CounterpartyInput]) -> list[int]:
    """Create many counterparties at once, checked by the rules of `create_counterparty` and
    written with bulk inserts in the caller's transaction; their ids in the order of `rows`.
    No duplicate warning (see `bulk_create_partners`); all or nothing, errors as there."""
    rows = list(rows)
    if not rows:
        return []
    results = await _prepare_counterparties([(row.partner_id, row.changes(), None) for row in rows])
    if errors := _errors(results):
        raise _bulk_error(errors)
    async with in_transaction():
        written = await _write_counterparties(cast(list[dict[str, Any]], results))
    return [counterparty.id for counterparty in written]


async def _current_records(model: type[Model], ids: Iterable[int]) -> dict[int, Any]:
    """The records with these ids, by id (the missing ones left out)."""
    found: dict[int, Any] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        found.update((record.id, record) for record in await model.filter(id__in=chunk))
    return found


async def _existing_ids(model: type[Model], ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(list(dict.fromkeys(ids))):
        found.update(await model.filter(id__in=chunk).values_list("id", flat=True))
    return found


def _in_order_of(
    changes: Sequence[tuple[int, Any]], rows: Sequence[int], prepared: Sequence[Any], what: str
) -> list[Any]:
    """The checked changes of the found records (at `rows` of `changes`) in the order of
    `changes`, `NotFound` for the records that do not exist."""
    results: list[Any] = [NotFound("not_found", what=what, id=pk) for pk, _ in changes]
    for row, result in zip(rows, prepared, strict=True):
        results[row] = result
    return results


async def bulk_update_counterparties(changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Apply many `update_counterparty` changes, (counterparty id, {field: value}), checked in
    order against the current values, in the caller's transaction; no duplicate warning. All
    or nothing, errors as in `bulk_create_partners`."""
    changes = list(changes)
    if not changes:
        return
    current = await _current_records(Counterparty, [pk for pk, _ in changes])
    found = [(row, pk, values) for row, (pk, values) in enumerate(changes) if pk in current]
    prepared = await _prepare_counterparties(
        [(None, dict(values), current[pk]) for _, pk, values in found]
    )
    results = _in_order_of(changes, [row for row, _, _ in found], prepared, "counterparty")
    if errors := _errors(results):
        raise _bulk_error(errors)
    async with in_transaction():
        await _update_values(
            Counterparty, [(pk, values) for (pk, _), values in zip(changes, results, strict=True)]
        )


async def list_counterparties(partner_id: int) -> list[CounterpartyRow]:
    query = Counterparty.filter(partner_id=partner_id).order_by("-active", "name", "id")
    rows = await query.values(
        "id", "partner_id", "name", "legal_form", "full_name", "edrpou", "rnokpp", "vat_number",
        "iban", "bank_name", "legal_address", "external_id", "active",
    )  # fmt: skip
    return [CounterpartyRow(**{**row, "legal_form": str(row["legal_form"])}) for row in rows]


# --- contact persons ----------------------------------------------------------------------------

_CONTACT_FIELDS = frozenset(
    (
        "full_name", "position", "phones", "emails", "telegram_username", "birthday", "roles",
        "comment", "external_id", "active_from", "active_to",
    )
)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ContactInput:
    """One new contact person for `bulk_create_contacts`: the arguments of `create_contact`."""

    partner_id: int
    full_name: str
    position: str = ""
    phones: Sequence[str] = ()
    emails: Sequence[str] = ()
    telegram_username: str | None = None
    birthday: dt.date | str | None = None
    roles: Sequence[str] = ()
    comment: str = ""
    external_id: str | None = None

    def changes(self) -> dict[str, Any]:
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        del values["partner_id"]
        return values


def _roles(values: Iterable[str] | str | None) -> list[str]:
    roles: list[str] = []
    for value in _as_list(values):
        role = v.check_name(value, "roles", 100)
        if role not in roles:
            roles.append(role)
    return roles


@dataclass
class _ContactInput:
    values: dict[str, Any]
    infos: _Infos
    info_kinds: list[ContactKind]


def _prepare_contact(changes: dict[str, Any], own_id: int | None, facts: _Facts) -> _ContactInput:
    unknown = set(changes) - _CONTACT_FIELDS
    if unknown:
        raise TypeError(f"unknown contact field(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    infos = _Infos()
    kinds: list[ContactKind] = []
    for key, value in changes.items():
        if key == "full_name":
            values[key] = v.check_name(value, "full_name", CONTACT_NAME_MAX)
            values["search_key"] = _key(values[key], CONTACT_NAME_MAX)
        elif key == "position":
            values[key] = v.check_name(value, "position", 200) if value else ""
        elif key == "phones":
            infos.phones = _phones(value)
            kinds.append(ContactKind.PHONE)
        elif key == "emails":
            infos.emails = _emails(value)
            kinds.append(ContactKind.EMAIL)
        elif key == "telegram_username":
            values[key] = v.check_telegram_username(value) if value else None
        elif key == "birthday":
            values[key] = v.parse_date(value, "birthday") if value else None
        elif key in ("active_from", "active_to"):
            values[key] = v.parse_date(value, "date") if value else None
        elif key == "roles":
            values[key] = _roles(value)
        elif key == "comment":
            values[key] = v.check_text(value or "", "comment", COMMENT_MAX)
        elif key == "external_id":
            values[key] = _external_id(value)
            facts.check_external_id(ContactPerson, values[key], own_id)
    return _ContactInput(values, infos, kinds)


async def _prepare_contacts(
    items: Sequence[tuple[int | None, dict[str, Any], int | None]],
) -> list[_ContactInput | DomainError]:
    """Check (partner id of a new one, changes, own id of a changed one) in order, as if each
    were written before the next is checked."""
    facts = await _look_up(
        partner_ids=[partner_id for partner_id, _, own_id in items if own_id is None],
        external_ids={
            ContactPerson: [
                _ref_or_none(changes.get("external_id"), _external_id) for _, changes, _ in items
            ]
        },
    )
    results: list[_ContactInput | DomainError] = []
    for partner_id, changes, own_id in items:
        try:
            if own_id is None:
                facts.check_partner(partner_id)
            data = _prepare_contact(changes, own_id, facts)
        except DomainError as error:
            results.append(error)
            continue
        if own_id is None:
            data.values["partner_id"] = partner_id
        facts.claim_external_id(ContactPerson, data.values.get("external_id"), own_id)
        results.append(data)
    return results


async def _write_contacts(items: Sequence[_ContactInput]) -> list[ContactPerson]:
    contacts = await _insert(ContactPerson, [data.values for data in items])
    await _write_infos(
        "contact", [(c.id, data.infos, None) for c, data in zip(contacts, items, strict=True)]
    )
    return contacts


async def _update_contacts(items: Sequence[tuple[int, _ContactInput]]) -> None:
    await _update_values(ContactPerson, [(pk, data.values) for pk, data in items])
    await _write_infos(
        "contact", [(pk, data.infos, data.info_kinds) for pk, data in items if data.info_kinds]
    )


async def create_contact(
    *,
    partner_id: int,
    full_name: str,
    position: str = "",
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    telegram_username: str | None = None,
    birthday: dt.date | str | None = None,
    roles: Iterable[str] = (),
    comment: str = "",
    external_id: str | None = None,
) -> ContactPerson:
    """A contact person of a partner, with phones and e-mails; `birthday` as a date or text."""
    row = ContactInput(
        partner_id=partner_id,
        full_name=full_name,
        position=position,
        phones=phones,
        emails=emails,
        telegram_username=telegram_username,
        birthday=birthday,
        roles=roles,
        comment=comment,
        external_id=external_id,
    )
    data = _single(await _prepare_contacts([(partner_id, row.changes(), None)]))
    async with in_transaction():
        [contact] = await _write_contacts([data])
    return contact


async def update_contact(contact_id: int, **changes: Any) -> ContactPerson:
    """Change the given fields; `phones` and `emails` replace the contact's ones."""
    contact = await _get_one(ContactPerson, contact_id, "contact")
    data = _single(await _prepare_contacts([(None, changes, contact.id)]))
    async with in_transaction():
        await _update_contacts([(contact.id, data)])
    return await _get_one(ContactPerson, contact.id, "contact")


async def bulk_create_contacts(rows: Sequence[ContactInput]) -> list[int]:
    """Create many contact persons at once, checked by the rules of `create_contact` and
    written with bulk inserts in the caller's transaction; their ids in the order of `rows`.
    All or nothing, errors as in `bulk_create_partners`."""
    rows = list(rows)
    if not rows:
        return []
    results = await _prepare_contacts([(row.partner_id, row.changes(), None) for row in rows])
    if errors := _errors(results):
        raise _bulk_error(errors)
    async with in_transaction():
        written = await _write_contacts(cast(list[_ContactInput], results))
    return [contact.id for contact in written]


async def bulk_update_contacts(changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Apply many `update_contact` changes, (contact id, {field: value}), checked in order, in
    the caller's transaction. All or nothing, errors as in `bulk_create_partners`."""
    changes = list(changes)
    if not changes:
        return
    existing = await _existing_ids(ContactPerson, [pk for pk, _ in changes])
    found = [(row, pk, values) for row, (pk, values) in enumerate(changes) if pk in existing]
    prepared = await _prepare_contacts([(None, dict(values), pk) for _, pk, values in found])
    results = _in_order_of(changes, [row for row, _, _ in found], prepared, "contact")
    if errors := _errors(results):
        raise _bulk_error(errors)
    async with in_transaction():
        await _update_contacts([(pk, data) for (pk, _), data in zip(changes, results, strict=True)])


async def _contact_rows(contacts: Q) -> list[ContactRow]:
    rows = await ContactPerson.filter(contacts).order_by("id").values(
        "id", "partner_id", "full_name", "position", "telegram_username", "birthday", "roles",
        "comment", "external_id", partner_name="partner__name",
    )  # fmt: skip
    if not rows:
        return []
    rows.sort(key=lambda row: sort_key(row["full_name"]))  # one partner's contacts: a few
    infos: dict[int, dict[str, list[ContactInfoRow]]] = defaultdict(lambda: defaultdict(list))
    for info in (
        await ContactInfo.filter(contact_id__in=[row["id"] for row in rows])
        .order_by("-is_primary", "id")
        .values("id", "contact_id", "kind", "value", "normalized", "is_primary")
    ):
        infos[info["contact_id"]][str(info["kind"])].append(_info_row(info))
    return [
        ContactRow(
            id=row["id"],
            partner_id=row["partner_id"],
            partner_name=row["partner_name"],
            full_name=row["full_name"],
            position=row["position"],
            phones=tuple(infos[row["id"]][ContactKind.PHONE]),
            emails=tuple(infos[row["id"]][ContactKind.EMAIL]),
            telegram_username=row["telegram_username"],
            birthday=row["birthday"],
            roles=tuple(row["roles"] or ()),
            comment=row["comment"],
            external_id=row["external_id"],
        )
        for row in rows
    ]


async def list_contacts(partner_id: int) -> list[ContactRow]:
    return await _contact_rows(Q(partner_id=partner_id))


async def get_contact(contact_id: int) -> ContactRow:
    rows = await _contact_rows(Q(id=contact_id))
    if not rows:
        raise NotFound("not_found", what="contact", id=contact_id)
    return rows[0]


async def find_contacts_by_email(email: str) -> list[ContactRow]:
    """Contact persons with this e-mail (case-insensitive); [] for an unparsable address."""
    try:
        key = v.email_key(email)
    except ValidationFailed:
        return []
    infos = ContactInfo.filter(kind=ContactKind.EMAIL, normalized=key, contact_id__isnull=False)
    return await _contact_rows(Q(id__in=Subquery(infos.values("contact_id"))))


# --- links --------------------------------------------------------------------------------------


async def _create_link(
    model: type[_M], ends: dict[str, Model], kind: PartnerLinkKind, target_name: str, **values: Any
) -> _M:
    """A link of `kind` between `ends` ({"from_…": source, "to_…": target}), or
    `DuplicateFound` when the same link is there already."""
    existing = await model.get_or_none(**ends, kind=kind)
    if existing is not None:
        raise DuplicateFound(
            "duplicate", existing=f"{kind.name}: {target_name}", candidates=[existing.id]
        )
    async with in_transaction():
        return await model.create(**ends, kind=kind, **values)


async def _remove_link(model: type[Model], link_id: int) -> None:
    async with in_transaction():
        deleted = await model.filter(id=link_id).delete()
    if not deleted:
        raise NotFound("not_found", what="link", id=link_id)


def _link_row(row: dict[str, Any], outgoing: bool, other_id: int, **other: Any) -> LinkRow:
    """A link read from one end: `kind.name` going out, `kind.reverse_name` coming in."""
    return LinkRow(
        id=row["id"],
        kind_id=row["kind_id"],
        name=row["kind_name"] if outgoing else row["kind_reverse"],
        other_id=other_id,
        other_name=row["to_name"] if outgoing else row["from_name"],
        outgoing=outgoing,
        comment=row["comment"],
        **other,
    )


def _sorted_links(links: list[LinkRow]) -> list[LinkRow]:
    return sorted(links, key=lambda link: (sort_key(link.name), sort_key(link.other_name), link.id))


async def link_partners(
    from_partner_id: int,
    to_partner_id: int,
    kind_id: int,
    comment: str = "",
    author_id: int | None = None,
) -> PartnerLink:
    """Link two partners: on the source's card the link reads `kind.name` + target, on the
    target's card `kind.reverse_name` + source."""
    if from_partner_id == to_partner_id:
        raise _invalid("partner", "self_link")
    source = await get_partner(from_partner_id)
    target = await get_partner(to_partner_id)
    kind = await _get_one(PartnerLinkKind, kind_id, "link_kind")
    comment = v.check_text(comment, "comment", COMMENT_MAX)
    if author_id is not None:
        await _get_one(Employee, author_id, "employee", field="employee")
    ends = {"from_partner": source, "to_partner": target}
    return await _create_link(
        PartnerLink, ends, kind, target.name, comment=comment, author_id=author_id
    )


async def remove_partner_link(link_id: int) -> None:
    await _remove_link(PartnerLink, link_id)


async def list_partner_links(partner_id: int) -> list[LinkRow]:
    """The partner's links in both directions, each named as seen from this partner."""
    rows = await PartnerLink.filter(
        Q(from_partner_id=partner_id) | Q(to_partner_id=partner_id)
    ).values(
        "id", "kind_id", "comment", "from_partner_id", "to_partner_id",
        kind_name="kind__name", kind_reverse="kind__reverse_name",
        from_name="from_partner__name", to_name="to_partner__name",
    )  # fmt: skip
    return _sorted_links(
        [
            _link_row(row, outgoing, row["to_partner_id"] if outgoing else row["from_partner_id"])
            for row in rows
            for outgoing in [row["from_partner_id"] == partner_id]
        ]
    )


async def link_contacts(
    from_contact_id: int, to_contact_id: int, kind_id: int, comment: str = ""
) -> ContactLink:
    """Link two contact persons (influences, reports to, relative of...), named like partner
    links: `kind.name` from the source, `kind.reverse_name` from the target."""
    if from_contact_id == to_contact_id:
        raise _invalid("contact", "self_link")
    source = await _get_one(ContactPerson, from_contact_id, "contact")
    target = await _get_one(ContactPerson, to_contact_id, "contact")
    kind = await _get_one(PartnerLinkKind, kind_id, "link_kind")
    comment = v.check_text(comment, "comment", COMMENT_MAX)
    ends = {"from_contact": source, "to_contact": target}
    return await _create_link(ContactLink, ends, kind, target.full_name, comment=comment)


async def remove_contact_link(link_id: int) -> None:
    await _remove_link(ContactLink, link_id)


async def list_contact_links(contact_id: int) -> list[LinkRow]:
    rows = await ContactLink.filter(
        Q(from_contact_id=contact_id) | Q(to_contact_id=contact_id)
    ).values(
        "id", "kind_id", "comment", "from_contact_id", "to_contact_id",
        kind_name="kind__name", kind_reverse="kind__reverse_name",
        from_name="from_contact__full_name", to_name="to_contact__full_name",
        from_partner_id="from_contact__partner_id", to_partner_id="to_contact__partner_id",
    )  # fmt: skip
    partner_ids = {row["from_partner_id"] for row in rows} | {row["to_partner_id"] for row in rows}
    partner_names = dict(await Partner.filter(id__in=partner_ids).values_list("id", "name"))
    links = []
    for row in rows:
        outgoing = row["from_contact_id"] == contact_id
        other_partner = row["to_partner_id"] if outgoing else row["from_partner_id"]
        links.append(
            _link_row(
                row,
                outgoing,
                row["to_contact_id"] if outgoing else row["from_contact_id"],
                other_partner_id=other_partner,
                other_partner_name=partner_names.get(other_partner),
            )
        )
    return _sorted_links(links)


# --- the new-partner wizard ---------------------------------------------------------------------


async def quick_create_partner(
    *,
    name: str,
    tax_id: str | None = None,
    legal_form: str | None = None,
    contact_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    main_manager_id: int | None = None,
    is_client: bool = True,
    confirm_duplicates: bool = False,
) -> Partner:
    """1C's new-partner wizard: the partner, its counterparty (named like the partner; the
    legal form follows the tax id: 8 digits a legal entity, 10 digits a ФОП) and, when
    `contact_name` is given, a contact person who gets the phone and e-mail (otherwise the
    partner gets them) — all or nothing, after the duplicate warning."""
    name = v.check_name(name, "name", NAME_MAX)
    tax = v.check_tax_id(tax_id) if tax_id else None
    if legal_form:
        form = LegalForm(v.check_choice(legal_form, LegalForm, "legal_form"))
    else:
        form = LegalForm.ENTREPRENEUR if tax and tax[0] == "rnokpp" else LegalForm.LEGAL_ENTITY
    if tax is not None and (tax[0] == "edrpou") != (form == LegalForm.LEGAL_ENTITY):
        raise _invalid("tax_id", "wrong_legal_form")
    phones = _phones(phone)
    emails = [email] if email else []
    partner_data = _single(
        await _prepare_partners(
            [
                (
                    {
                        "name": name,
                        "is_client": is_client,
                        "is_person": form == LegalForm.INDIVIDUAL,
                        "main_manager_id": main_manager_id,
                        **({} if contact_name else {"phones": phones, "emails": emails}),
                    },
                    None,
                )
            ]
        )
    )
    # Neither has an external id: nothing to look up.
    counterparty_values = _prepare_counterparty(
        {
            "name": name,
            "legal_form": form,
            **({tax[0]: tax[1]} if tax else {}),
        },
        None,
        _Facts(),
    )
    contact_data: _ContactInput | None = None
    if contact_name:
        contact_data = _prepare_contact(
            {"full_name": contact_name, "phones": phones, "emails": emails}, None, _Facts()
        )
    if not confirm_duplicates:
        candidates = await _duplicates(
            name=name,
            tax=tax,
            phones=phones,
            email_keys=[key for _, key in _emails(emails)],
            exclude_id=None,
        )
        if candidates:
            raise _duplicate_error(candidates)
    async with in_transaction():
        [partner] = await _write_partners([partner_data])
        await _write_counterparties([{**counterparty_values, "partner_id": partner.id}])
        if contact_data is not None:
            contact_data.values["partner_id"] = partner.id
            await _write_contacts([contact_data])
    return partner
