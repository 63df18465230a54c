"""Sales agreements (1C: Соглашение с клиентом; BAS: Оферта): terms per partner or segment."""

from __future__ import annotations

import datetime as dt

from core.errors import NotFound, ValidationFailed
from models import Agreement, Partner, Segment
from models.base import AgreementStatus
from services import validation as v


async def create_agreement(
    *,
    name: str,
    partner_id: int | None = None,
    segment_id: int | None = None,
    status: str = AgreementStatus.ACTIVE,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    payment_days: int = 0,
    discount_percent: int = 0,
    manager_id: int | None = None,
    number: str | None = None,
) -> Agreement:
    """Terms for one partner or for a segment (exactly one of them)."""
    name = v.check_name(name, "name", 300)
    if (partner_id is None) == (segment_id is None):
        raise ValidationFailed("invalid", field="partner", reason="required")
    if partner_id is not None and not await Partner.exists(id=partner_id):
        raise NotFound("not_found", what="partner", id=partner_id)
    if segment_id is not None and not await Segment.exists(id=segment_id):
        raise NotFound("not_found", what="segment", id=segment_id)
    status = v.check_choice(status, [s.value for s in AgreementStatus], "status")
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationFailed("invalid", field="date", reason="bad_date")
    payment_days = v.check_positive_int(payment_days, "payment_days", 365) if payment_days else 0
    if not 0 <= discount_percent <= 100:
        raise ValidationFailed("invalid", field="discount", reason="bad_choice", choices="0..100")
    agreement = await Agreement.create(
        number=number or "",
        name=name,
        partner_id=partner_id,
        segment_id=segment_id,
        status=status,
        valid_from=valid_from,
        valid_to=valid_to,
        payment_days=payment_days,
        discount_percent=discount_percent,
        manager_id=manager_id,
    )
    if not number:
        agreement.number = f"УГ-{agreement.id:05d}"
        await agreement.save(update_fields=["number"])
    return agreement


async def list_partner_agreements(partner_id: int, *, active_only: bool = True) -> list[Agreement]:
    query = Agreement.filter(partner_id=partner_id)
    if active_only:
        query = query.filter(status=AgreementStatus.ACTIVE)
    return await query.order_by("-id")
