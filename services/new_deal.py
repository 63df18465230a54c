"""Starting a deal from the bot's New deal wizard: each typed value checked as it is typed (by
the rules `create_deal` and `quick_create_partner` apply), then one command that creates the
partner when it is new and the deal, in one transaction, for the acting employee.

A new deal's expected closing date cannot be in the past (in the employee's time zone); an
import may bring older ones, so `create_deal` itself is more lenient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.transactions import in_transaction

import services.i18n_extra_new_deal  # noqa: F401  (the texts of the codes raised here)
from core import clock
from core.errors import ValidationFailed
from models import Counterparty, Deal, DealKind, Employee
from services import partners as partner_service
from services import validation as v
from services.access import acting_employee, get_partner_for
from services.checks import check_text
from services.deals import CLOSE_DATE_FUTURE_DAYS, create_deal
from services.dto import DuplicateCandidate
from services.exchange_deals import parse_amount
from services.pipeline import list_kinds

TITLE_MAX = 300  # Deal.title, as create_deal checks it


@dataclass(frozen=True, slots=True)
class NewPartner:
    """A partner to create together with the deal (1C's quick new-partner form)."""

    name: str
    tax_id: str | None = None  # ЄДРПОУ (8 digits) or РНОКПП (10 digits)
    contact_name: str | None = None
    phone: str | None = None


# --- one typed value at a time ------------------------------------------------------------------


def check_title(text: str) -> str:
    return check_text(text, "title", max_len=TITLE_MAX, required=True)


def parse_potential(text: str) -> int:
    """'125000', '125 000,50', '125000.5 грн' -> minor units; negative, unparsable and absurd
    amounts are refused (`ValidationFailed` on the field `potential`)."""
    return parse_amount(text, "potential")


def local_today(employee: Employee) -> dt.date:
    return clock.today(employee.timezone or "Europe/Kyiv")


def check_close_date(day: dt.date, employee: Employee) -> dt.date:
    """Today or later in the employee's time zone, and not absurdly far ahead."""
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise ValidationFailed("invalid", field="expected_close_on", reason="bad_date")
    if day < local_today(employee):
        raise ValidationFailed("invalid", field="expected_close_on", reason="in_past")
    if day > latest_close_date(employee):
        raise ValidationFailed("invalid", field="expected_close_on", reason="too_far_future")
    return day


def latest_close_date(employee: Employee) -> dt.date:
    return local_today(employee) + dt.timedelta(days=CLOSE_DATE_FUTURE_DAYS)


def check_partner_field(field: str, value: str) -> str:
    """One typed value of the quick new-partner form, by the rules `quick_create_partner`
    applies: the name, the tax id (ЄДРПОУ or РНОКПП with its check digit; the clean digits
    come back), the contact person's name, the phone (E.164 comes back)."""
    if field == "name":
        return v.check_name(value, "name", partner_service.NAME_MAX)
    if field == "tax_id":
        return v.check_tax_id(value)[1]
    if field == "contact_name":
        return v.check_name(value, "full_name", partner_service.CONTACT_NAME_MAX)
    if field == "phone":
        return v.normalize_phone(value)
    raise ValueError(f"unknown partner field {field!r}")


async def list_new_deal_kinds() -> list[DealKind]:
    """The process kinds a new deal may have: the newest version of each allowed kind."""
    latest: dict[str, DealKind] = {}
    for kind in await list_kinds(allowed_only=True):  # by code, newest version first
        latest.setdefault(kind.code, kind)
    return list(latest.values())


async def find_duplicates(new: NewPartner) -> list[DuplicateCandidate]:
    """The partners `quick_create_partner` would warn about (DuplicateFound) for `new`."""
    return await partner_service.find_partner_duplicates(
        name=new.name, tax_id=new.tax_id, phones=[new.phone] if new.phone else []
    )


# --- the command --------------------------------------------------------------------------------


async def start_deal(
    employee: Employee | None,
    *,
    kind_id: int,
    title: str,
    partner_id: int | None = None,
    new_partner: NewPartner | None = None,
    confirm_duplicates: bool = False,
    potential_minor: int = 0,
    expected_close_on: dt.date | None = None,
) -> Deal:
    """A new deal owned by `employee` with an existing partner they may see, or with a new
    partner (its counterparty and contact person) created in the same transaction — after the
    duplicate warning (`DuplicateFound`) unless `confirm_duplicates`. A partner with exactly
    one active counterparty gives the deal that counterparty."""
    employee = acting_employee(employee)
    if (partner_id is None) == (new_partner is None):
        raise ValidationFailed("invalid", field="partner", reason="required")
    title = check_title(title)
    if expected_close_on is not None:
        check_close_date(expected_close_on, employee)
    async with in_transaction():
        if new_partner is not None:
            partner = await partner_service.quick_create_partner(
                name=new_partner.name,
                tax_id=new_partner.tax_id,
                contact_name=new_partner.contact_name,
                phone=new_partner.phone,
                main_manager_id=employee.id,
                confirm_duplicates=confirm_duplicates,
            )
        else:
            partner = await get_partner_for(employee, partner_id)
        counterparties = (
            await Counterparty.filter(partner_id=partner.id, active=True)
            .limit(2)
            .values_list("id", flat=True)
        )
        return await create_deal(
            owner_id=employee.id,
            actor_id=employee.id,
            kind_id=kind_id,
            title=title,
            partner_id=partner.id,
            counterparty_id=counterparties[0] if len(counterparties) == 1 else None,
            potential_minor=potential_minor,
            expected_close_on=expected_close_on,
        )
