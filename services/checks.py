"""Checks as data: the exit checks that gate a stage of a guided route, and input checks.

An exit check is a code (stored in `Stage.exit_checks`), an async predicate over the deal and a
message id (`services.i18n_extra_pipeline.CHECK_MESSAGES`) that says what is missing. The
registry below is the one list of codes; process files may only name these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tortoise.functions import Sum

from core import clock
from core.errors import DomainError, NotFound, ValidationFailed
from models import (
    Deal,
    DealParticipant,
    Interaction,
    Invoice,
    Order,
    Payment,
    Shipment,
    Stage,
)
from models.base import DocStatus, InteractionKind, ParticipantRole
from services.i18n_extra_pipeline import CHECK_MESSAGES

MAX_POTENTIAL_MINOR = 10**13  # 100 billion hryvnias: anything above is a typing slip
MAX_TEXT = 4000


class ExitChecksNotMet(DomainError):
    """The stage cannot be left yet; `missing` lists the check codes that do not hold."""

    code = "exit_checks_not_met"


@dataclass(frozen=True)
class CheckResult:
    code: str
    ok: bool
    message: str  # a gettext msgid: what must be there for the check to hold


Predicate = Callable[[Deal], Awaitable[bool]]


async def _done_interaction(deal: Deal) -> bool:
    return (
        await Interaction.filter(deal_id=deal.id, done=True)
        .exclude(kind=InteractionKind.PLANNED)
        .exists()
    )


async def _counterparty_set(deal: Deal) -> bool:
    return deal.counterparty_id is not None


async def _agreement_set(deal: Deal) -> bool:
    return deal.agreement_id is not None


async def _order_exists(deal: Deal) -> bool:
    return await Order.filter(deal_id=deal.id, status=DocStatus.POSTED).exists()


async def _invoice_or_shipment_exists(deal: Deal) -> bool:
    for model in (Invoice, Shipment, Payment):
        if await model.filter(deal_id=deal.id, status=DocStatus.POSTED).exists():
            return True
    return False


async def _posted_sum(model: type, deal_id: int) -> int:
    rows = (
        await model.filter(deal_id=deal_id, status=DocStatus.POSTED)
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    return int(rows[0]["total"] or 0) if rows else 0


async def _paid_and_shipped(deal: Deal) -> bool:
    """1C's rule: the deal's receivable balance and its unshipped order balance are both zero."""
    invoiced = await _posted_sum(Invoice, deal.id)
    paid = await _posted_sum(Payment, deal.id)
    ordered = await _posted_sum(Order, deal.id)
    shipped = await _posted_sum(Shipment, deal.id)
    return paid >= invoiced and shipped >= ordered


async def _decision_maker_present(deal: Deal) -> bool:
    return await DealParticipant.filter(
        deal_id=deal.id, role=ParticipantRole.DECISION_MAKER
    ).exists()


async def _potential_set(deal: Deal) -> bool:
    return deal.potential_minor > 0


async def _checklist_confirmed(deal: Deal) -> bool:
    return bool(deal.checklist_confirmed)


EXIT_CHECKS: dict[str, Predicate] = {
    "done_interaction": _done_interaction,
    "counterparty_set": _counterparty_set,
    "agreement_set": _agreement_set,
    "order_exists": _order_exists,
    "invoice_or_shipment_exists": _invoice_or_shipment_exists,
    "paid_and_shipped": _paid_and_shipped,
    "decision_maker_present": _decision_maker_present,
    "potential_set": _potential_set,
    "checklist_confirmed": _checklist_confirmed,
}


async def run_exit_checks(deal: Deal, stage: Stage) -> list[CheckResult]:
    """The stage's exit checks on this deal, in the stage's order."""
    results = []
    for code in stage.exit_checks or []:
        if code == "checklist_confirmed" and not stage.checklist:
            ok = True  # nothing to confirm
        else:
            ok = await EXIT_CHECKS[code](deal)
        results.append(CheckResult(code=code, ok=ok, message=CHECK_MESSAGES[code]))
    return results


async def evaluate_exit_checks(deal_id: int, stage_id: int | None = None) -> list[CheckResult]:
    """Exit checks of the deal's current stage (or of `stage_id`) and whether each holds."""
    deal = await Deal.get_or_none(id=deal_id)
    if deal is None:
        raise NotFound("not_found", what="deal")
    stage_id = stage_id or deal.stage_id
    if stage_id is None:
        return []
    stage = await Stage.get_or_none(id=stage_id)
    if stage is None:
        raise NotFound("not_found", what="stage")
    return await run_exit_checks(deal, stage)


def require_exit_checks(results: list[CheckResult]) -> None:
    missing = [result.code for result in results if not result.ok]
    if missing:
        raise ExitChecksNotMet(missing=tuple(missing))


# --- input checks ----------------------------------------------------------------------------


def check_potential(value: object, field: str = "potential") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("invalid", field=field, reason="bad_number")
    if value < 0:
        raise ValidationFailed("invalid", field=field, reason="negative")
    if value > MAX_POTENTIAL_MINOR:
        raise ValidationFailed("invalid", field=field, reason="too_large", max=MAX_POTENTIAL_MINOR)
    return value


def check_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or not code.isascii():
        raise ValidationFailed("invalid", field="currency", reason="bad_currency")
    return code


def check_percent(value: object, field: str = "probability") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationFailed("invalid", field=field, reason="not_a_percent")
    return value


def check_text(value: str | None, field: str, *, max_len: int, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed("invalid", field=field, reason="required")
    if len(text) > max_len:
        raise ValidationFailed("invalid", field=field, reason="too_long", max=max_len)
    return text


def check_date(value: dt.date, field: str, *, past_days: int, future_days: int) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationFailed("invalid", field=field, reason="bad_date")
    today = clock.today()
    if value < today - dt.timedelta(days=past_days):
        raise ValidationFailed("invalid", field=field, reason="too_far_past")
    if value > today + dt.timedelta(days=future_days):
        raise ValidationFailed("invalid", field=field, reason="too_far_future")
    return value


def check_moment(
    value: dt.datetime, field: str, *, past_days: int, future_days: int
) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ValidationFailed("invalid", field=field, reason="bad_date")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed("invalid", field=field, reason="naive_datetime")
    now = clock.now()
    if value < now - dt.timedelta(days=past_days):
        raise ValidationFailed("invalid", field=field, reason="too_far_past")
    if value > now + dt.timedelta(days=future_days):
        raise ValidationFailed("invalid", field=field, reason="too_far_future")
    return value.astimezone(dt.UTC)
