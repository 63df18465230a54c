"""What services hand back to adapters: frozen dataclasses of plain values (ids, strings, dates).

Adapters render these; they never receive model instances they could write through.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# --- references ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnerRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class EmployeeRef:
    id: int
    full_name: str


# --- partners -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactInfoRow:
    """One phone / e-mail / site / address: `value` to show, `normalized` to dial or compare
    (E.164 for phones, lower-case for e-mails)."""

    id: int
    kind: str
    value: str
    normalized: str
    is_primary: bool


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    """An existing partner that looks like the one being created; `matched` says why:
    any of "name", "tax_id", "phone", "email"."""

    partner_id: int
    name: str
    matched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PartnerRow:
    """A line of a partner list: enough to pick the right one."""

    id: int
    name: str
    is_client: bool
    is_supplier: bool
    is_competitor: bool
    is_other: bool
    is_group: bool
    is_person: bool
    relationship_stage: str
    main_manager_id: int | None
    main_manager_name: str | None
    tax_id: str | None = None
    phone: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class CounterpartyRow:
    id: int
    partner_id: int
    name: str
    legal_form: str
    full_name: str
    edrpou: str | None
    rnokpp: str | None
    vat_number: str | None
    iban: str | None
    bank_name: str
    legal_address: str
    external_id: str | None
    active: bool

    @property
    def tax_id(self) -> str | None:
        return self.edrpou or self.rnokpp


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    partner_id: int
    partner_name: str
    full_name: str
    position: str
    phones: tuple[ContactInfoRow, ...]
    emails: tuple[ContactInfoRow, ...]
    telegram_username: str | None
    birthday: dt.date | None
    roles: tuple[str, ...]
    comment: str
    external_id: str | None


@dataclass(frozen=True, slots=True)
class LinkKindRow:
    id: int
    name: str
    reverse_name: str


@dataclass(frozen=True, slots=True)
class LinkRow:
    """A link as seen from one side: `name` is the kind's name when this side is the link's
    source, its reverse name when this side is the target (`outgoing` tells which)."""

    id: int
    kind_id: int
    name: str
    other_id: int
    other_name: str
    outgoing: bool
    comment: str
    # For links between contact persons: whose contact the other person is.
    other_partner_id: int | None = None
    other_partner_name: str | None = None


@dataclass(frozen=True, slots=True)
class PartnerCard:
    """Everything the partner card (1C's dossier "Contacts" block) shows, in a few queries."""

    id: int
    name: str
    is_client: bool
    is_supplier: bool
    is_competitor: bool
    is_other: bool
    is_group: bool
    is_division: bool
    is_person: bool
    active: bool
    relationship_stage: str
    main_manager: EmployeeRef | None
    parent: PartnerRef | None
    children: tuple[PartnerRef, ...]
    segments: tuple[str, ...]
    phones: tuple[ContactInfoRow, ...]
    emails: tuple[ContactInfoRow, ...]
    website: ContactInfoRow | None
    address: ContactInfoRow | None
    counterparties: tuple[CounterpartyRow, ...]
    contacts: tuple[ContactRow, ...]
    links: tuple[LinkRow, ...]
    open_deals_count: int
    comment: str
    business_region: str
    strategy: str
    contact_cadence_days: int | None
    external_id: str | None
    registered_on: dt.date | None = None


# --- employees ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmployeeRow:
    id: int
    full_name: str
    role: str
    team_id: int | None
    team_name: str | None
    telegram_id: int | None
    telegram_username: str | None
    email: str | None
    locale: str
    active: bool
