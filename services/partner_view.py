"""The partners of one employee, as the bot's Partners and New deal screens show them.

Everything here is called with the acting employee and limited by `services.access`: a manager
finds, opens and adds contacts only to the partners they work with; a head, the team's; an
administrator, every partner. The tolerant search itself is `services.partners.search_partners`;
the partner's card is `get_partner_card` plus the open deals the employee may open and the
latest interactions with the partner.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery

from core.errors import AccessDenied
from models import ContactPerson, Deal, Employee, Interaction, Partner
from models.base import DealStatus
from services import partners as partner_service
from services import validation as v
from services.access import deal_scope, get_partner_for, partner_scope, people_seen_by
from services.dto import PartnerCard, PartnerRef, PartnerRow

SEARCH_BATCH = 200  # matches looked at per query while filtering a scoped search
OPEN_DEALS_SHOWN = 50
INTERACTIONS_SHOWN = 5
POSITION_MAX = 200  # ContactPerson.position


@dataclass(frozen=True, slots=True)
class DealLine:
    """An open deal of the partner, for a button that opens its card."""

    id: int
    number: str
    title: str
    potential_minor: int
    currency: str
    expected_close_on: dt.date | None
    owner_name: str


@dataclass(frozen=True, slots=True)
class InteractionLine:
    """A past call, meeting, e-mail or note with the partner."""

    id: int
    kind: str
    direction: str
    starts_at: dt.datetime
    subject: str
    result: str
    owner_name: str
    deal_number: str | None


@dataclass(frozen=True, slots=True)
class PartnerView:
    card: PartnerCard
    open_deals: tuple[DealLine, ...]  # the ones the employee may open
    other_open_deals: int  # open deals of colleagues the employee does not see
    interactions: tuple[InteractionLine, ...]


# --- finding partners ---------------------------------------------------------------------------


async def search_partners_for(
    employee: Employee | None, query: str, *, limit: int = 20, offset: int = 0
) -> list[PartnerRow]:
    """`search_partners` (name, ЄДРПОУ / РНОКПП, phone, e-mail; tolerant) limited to the
    partners `employee` may see, in the same order, `limit` of them from `offset`.

    A manager who works with no partner through deals alone is one `search_partners` query by
    main manager. Otherwise (heads; a manager with a deal with somebody else's partner), as
    `search_partners` takes no visibility condition, its matches are read in batches and
    filtered with one query per batch until the page is full: ~10 ms for the queries people
    type (a name, a code, a phone), ~0.6 s for "тов" over 5,000 other people's partners
    (SQLite). A `scope` parameter of `search_partners` would make it one query always."""
    scope = await partner_scope(employee)
    if scope is None:
        return await partner_service.search_partners(query, limit=limit, offset=offset)
    people = await people_seen_by(employee)
    if people is not None and len(people) == 1:
        [manager_id] = people
        if not await _works_through_deals_only(manager_id):  # the usual manager: one query
            return await partner_service.search_partners(
                query, limit=limit, offset=offset, main_manager_id=manager_id
            )
    wanted = max(offset, 0) + max(limit, 0)
    found: list[PartnerRow] = []
    start = 0
    while len(found) < wanted:
        batch = await partner_service.search_partners(query, limit=SEARCH_BATCH, offset=start)
        if not batch:
            break
        ids = [row.id for row in batch]
        visible = set(await Partner.filter(scope, id__in=ids).values_list("id", flat=True))
        found.extend(row for row in batch if row.id in visible)
        if len(batch) < SEARCH_BATCH:
            break
        start += SEARCH_BATCH
    return found[max(offset, 0) : wanted]


async def _works_through_deals_only(employee_id: int) -> bool:
    """Whether the employee owns a deal with a partner whose main manager is someone else."""
    partner_ids = Deal.filter(owner_id=employee_id, partner_id__isnull=False).values("partner_id")
    return (
        await Partner.filter(id__in=Subquery(partner_ids))
        .filter(Q(main_manager_id__isnull=True) | Q(main_manager_id__not=employee_id))
        .exists()
    )


async def visible_partner_ids(employee: Employee | None, ids: list[int]) -> set[int]:
    """Which of these partners `employee` may see (one query)."""
    scope = await partner_scope(employee)
    partners = Partner.filter(id__in=list(ids))
    if scope is not None:
        partners = partners.filter(scope)
    return set(await partners.values_list("id", flat=True))


async def list_partners_for(
    employee: Employee | None, *, limit: int = 20, offset: int = 0
) -> list[PartnerRef]:
    """The active partners `employee` may see, by name."""
    scope = await partner_scope(employee)
    partners = Partner.filter(active=True)
    if scope is not None:
        partners = partners.filter(scope)
    rows = (
        await partners.order_by("name", "id")
        .offset(max(offset, 0))
        .limit(max(1, min(limit, 200)))
        .values_list("id", "name")
    )
    return [PartnerRef(pk, name) for pk, name in rows]


# --- the card -----------------------------------------------------------------------------------


async def get_partner_view(
    employee: Employee | None, partner_id: object, *, interactions: int = INTERACTIONS_SHOWN
) -> PartnerView:
    """The partner's card (requisites, contacts, links...), its open deals `employee` may open
    and the latest done interactions with it; AccessDenied for another manager's partner."""
    partner = await get_partner_for(employee, partner_id)
    card = await partner_service.get_partner_card(partner.id)
    scope = await deal_scope(employee)
    deals = Deal.filter(partner_id=partner.id, status=DealStatus.OPEN)
    if scope is not None:
        deals = deals.filter(scope)
    deal_rows = (
        await deals.order_by("-started_at", "-id")
        .limit(OPEN_DEALS_SHOWN)
        .values(
            "id", "number", "title", "potential_minor", "currency", "expected_close_on",
            owner_name="owner__full_name",
        )
    )  # fmt: skip
    visible_total = len(deal_rows) if len(deal_rows) < OPEN_DEALS_SHOWN else await deals.count()
    history = (
        await Interaction.filter(
            Q(partner_id=partner.id) | Q(deal__partner_id=partner.id), done=True
        )
        .order_by("-starts_at", "-id")
        .limit(max(0, interactions))
        .values(
            "id", "kind", "direction", "starts_at", "subject", "result",
            owner_name="owner__full_name", deal_number="deal__number",
        )
    )  # fmt: skip
    return PartnerView(
        card=card,
        open_deals=tuple(DealLine(**row) for row in deal_rows),
        other_open_deals=max(0, card.open_deals_count - visible_total),
        interactions=tuple(
            InteractionLine(**{**row, "kind": str(row["kind"]), "direction": str(row["direction"])})
            for row in history
        ),
    )


async def get_open_deal_for(employee: Employee | None, partner_id: object, deal_id: object) -> int:
    """The id of an open deal of the partner that `employee` may open from the partner's card
    (their own; a head: the team's; an administrator: any); AccessDenied otherwise."""
    partner = await get_partner_for(employee, partner_id)
    if not isinstance(deal_id, int) or isinstance(deal_id, bool):
        raise AccessDenied("access_denied")
    deals = Deal.filter(id=deal_id, partner_id=partner.id, status=DealStatus.OPEN)
    scope = await deal_scope(employee)
    if scope is not None:
        deals = deals.filter(scope)
    if not await deals.exists():
        raise AccessDenied("access_denied")
    return deal_id


# --- contact persons ----------------------------------------------------------------------------

CONTACT_FIELDS = ("full_name", "position", "phone", "email")


def check_contact_field(field: str, value: str) -> str:
    """One typed value of the new-contact wizard, checked by the rules `create_contact`
    applies (services.validation): the clean value, or ValidationFailed naming the field.
    Phones come back in E.164 (show them with `format_phone`)."""
    if field == "full_name":
        return v.check_name(value, "full_name", partner_service.CONTACT_NAME_MAX)
    if field == "position":
        return v.check_name(value, "position", POSITION_MAX)
    if field == "phone":
        return v.normalize_phone(value)
    if field == "email":
        return v.normalize_email(value)
    raise ValueError(f"unknown contact field {field!r}")


def format_phone(e164: str) -> str:
    return v.format_phone(e164)


async def add_contact(
    employee: Employee | None,
    partner_id: object,
    *,
    full_name: str,
    position: str = "",
    phone: str | None = None,
    email: str | None = None,
) -> ContactPerson:
    """A new contact person of a partner `employee` may see (AccessDenied otherwise)."""
    partner = await get_partner_for(employee, partner_id)
    return await partner_service.create_contact(
        partner_id=partner.id,
        full_name=full_name,
        position=position,
        phones=[phone] if phone else [],
        emails=[email] if email else [],
    )
