"""Quick test data: employees, partners, counterparties, contacts, agreements, deals.

Test setup only (rows are written with the models directly, except deals, which go through
`services.deals.create_deal` so that their stage log is right). Every helper takes keyword
overrides for the model's fields and fills the rest with unique, plausible values.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from models import (
    Agreement,
    ContactPerson,
    Counterparty,
    Deal,
    Employee,
    Invoice,
    LossReason,
    Order,
    Partner,
    Payment,
    Shipment,
)
from models.base import AgreementStatus, Role

_seq = itertools.count(1)


def _next() -> int:
    return next(_seq)


async def make_employee(**fields: Any) -> Employee:
    n = _next()
    values: dict[str, Any] = {
        "full_name": f"Менеджер {n}",
        "telegram_id": 700_000_000 + n,
        "telegram_username": f"manager{n}",
        "role": Role.MANAGER,
        "locale": "uk",
        "timezone": "Europe/Kyiv",
    }
    values.update(fields)
    return await Employee.create(**values)


async def make_partner(**fields: Any) -> Partner:
    n = _next()
    name = fields.pop("name", f"ТОВ Клієнт {n}")
    values: dict[str, Any] = {"name": name, "search_key": name.lower(), "is_client": True}
    values.update(fields)
    return await Partner.create(**values)


async def make_competitor(**fields: Any) -> Partner:
    fields.setdefault("name", f"ТОВ Конкурент {_next()}")
    fields.setdefault("is_client", False)
    fields.setdefault("is_competitor", True)
    return await make_partner(**fields)


async def make_counterparty(partner: Partner, **fields: Any) -> Counterparty:
    n = _next()
    name = fields.pop("name", f"ТОВ «Юрособа {n}»")
    values: dict[str, Any] = {"partner": partner, "name": name, "search_key": name.lower()}
    values.update(fields)
    return await Counterparty.create(**values)


async def make_contact(partner: Partner, **fields: Any) -> ContactPerson:
    n = _next()
    name = fields.pop("full_name", f"Контакт {n}")
    values: dict[str, Any] = {"partner": partner, "full_name": name, "search_key": name.lower()}
    values.update(fields)
    return await ContactPerson.create(**values)


async def make_agreement(partner: Partner | None = None, **fields: Any) -> Agreement:
    n = _next()
    values: dict[str, Any] = {
        "number": f"A-{n}",
        "name": f"Умови продажу {n}",
        "partner": partner,
        "status": AgreementStatus.ACTIVE,
    }
    values.update(fields)
    return await Agreement.create(**values)


async def make_loss_reason(*, needs_competitor: bool = False, **fields: Any) -> LossReason:
    n = _next()
    values: dict[str, Any] = {
        "code": f"reason_{n}",
        "name_uk": f"Причина {n}",
        "name_en": f"Reason {n}",
        "needs_competitor": needs_competitor,
    }
    values.update(fields)
    return await LossReason.create(**values)


async def load_default_kinds() -> None:
    """The shipped process kinds (typical_sale, simple_deal) and the default loss reasons."""
    from services.deals import ensure_default_loss_reasons
    from services.pipeline import load_default_pipelines

    await load_default_pipelines()
    await ensure_default_loss_reasons()


async def make_deal(
    *,
    kind_code: str = "simple_deal",
    owner: Employee | None = None,
    partner: Partner | None = None,
    **fields: Any,
) -> Deal:
    """A deal made by the service (the kind must be loaded: see `load_default_kinds`); an owner
    and a client are created when not given."""
    from services.deals import create_deal

    owner = owner or await make_employee()
    partner = partner or await make_partner()
    fields.setdefault("title", f"Поставка {_next()}")
    return await create_deal(
        kind_code=kind_code, owner_id=owner.id, partner_id=partner.id, actor_id=owner.id, **fields
    )


async def _document(model: type, prefix: str, deal: Deal, amount_minor: int, **fields: Any) -> Any:
    values: dict[str, Any] = {
        "number": f"{prefix}-{_next()}",
        "date": fields.pop("date", dt.date(2026, 11, 20)),
        "amount_minor": amount_minor,
        "deal_id": deal.id,
        "partner_id": deal.partner_id,
        "counterparty_id": deal.counterparty_id,
    }
    values.update(fields)
    return await model.create(**values)


async def make_order(deal: Deal, amount_minor: int = 100_000, **fields: Any) -> Order:
    """A posted customer order of the deal (its partner and counterparty)."""
    return await _document(Order, "ЗК", deal, amount_minor, **fields)


async def make_invoice(deal: Deal, amount_minor: int = 100_000, **fields: Any) -> Invoice:
    return await _document(Invoice, "РФ", deal, amount_minor, **fields)


async def make_shipment(deal: Deal, amount_minor: int = 100_000, **fields: Any) -> Shipment:
    return await _document(Shipment, "ВН", deal, amount_minor, **fields)


async def make_payment(deal: Deal, amount_minor: int = 100_000, **fields: Any) -> Payment:
    return await _document(Payment, "ПП", deal, amount_minor, **fields)
