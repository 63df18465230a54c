"""The deal's life cycle: create, edit, potential, checklist, won, lost, reopen, one-way switch.

Every command runs in one transaction, claims the deal first (`services.audit.claim_deal`:
optimistic concurrency on `Deal.version`, pass the version the user saw as `expected_version`)
and appends a `DealEvent`. Moves between stages live in `services.pipeline`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tortoise.transactions import in_transaction

from core import clock
from core.errors import NotFound, ValidationFailed
from models import (
    Agreement,
    Counterparty,
    Deal,
    DealKind,
    DealParticipant,
    DealStageLog,
    Employee,
    LossReason,
    Partner,
    Stage,
    Task,
)
from models.base import ControlType, DealStatus, ParticipantRole, StageResult, TaskStatus
from services.audit import claim_deal, record_event
from services.checks import (
    check_currency,
    check_date,
    check_percent,
    check_potential,
    check_text,
)
from services.pipeline import (
    DealStateConflict,
    cancel_route_tasks,
    close_stage_row,
    create_stage_tasks,
    finish_won,
    open_stage_row,
    reopen_stage_row,
    stages_in_order,
)

CLOSE_DATE_PAST_DAYS = 366
CLOSE_DATE_FUTURE_DAYS = 3650

DEFAULT_LOSS_REASONS: tuple[tuple[str, str, str, bool], ...] = (
    ("lost_to_competitor", "Програш конкуренту", "Lost to a competitor", True),
    ("price_too_high", "Висока ціна", "The price is too high", False),
    ("no_budget", "Немає бюджету", "No budget", False),
    ("no_response", "Клієнт перестав відповідати", "The client stopped responding", False),
    ("need_gone", "Потреба зникла", "The need is gone", False),
    ("postponed", "Закупівлю відкладено", "The purchase was postponed", False),
    ("terms_not_agreed", "Не погодили умови", "The terms were not agreed", False),
    ("our_refusal", "Відмова з нашого боку", "We declined the deal", False),
    ("other", "Інша причина", "Another reason", False),
)

_UNSET: Any = object()


# --- queries ----------------------------------------------------------------------------------


async def get_deal(deal_id: int) -> Deal:
    deal = await Deal.get_or_none(id=deal_id)
    if deal is None:
        raise NotFound("not_found", what="deal")
    return deal


async def find_deal_by_number(number: str) -> Deal | None:
    return await Deal.get_or_none(number=number.strip().upper())


async def list_deals(
    *,
    owner_id: int | None = None,
    status: DealStatus | str | None = DealStatus.OPEN,
    kind_id: int | None = None,
    partner_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Deal]:
    query = Deal.all()
    if owner_id is not None:
        query = query.filter(owner_id=owner_id)
    if status is not None:
        query = query.filter(status=DealStatus(status))
    if kind_id is not None:
        query = query.filter(kind_id=kind_id)
    if partner_id is not None:
        query = query.filter(partner_id=partner_id)
    return await query.order_by("-started_at", "-id").offset(offset).limit(limit)


# --- loss reasons -----------------------------------------------------------------------------


async def ensure_default_loss_reasons() -> list[LossReason]:
    """Create the default reasons that are missing (names edited by users are kept)."""
    async with in_transaction():
        for code, name_uk, name_en, needs_competitor in DEFAULT_LOSS_REASONS:
            if not await LossReason.filter(code=code).exists():
                await LossReason.create(
                    code=code, name_uk=name_uk, name_en=name_en, needs_competitor=needs_competitor
                )
    return await list_loss_reasons()


async def list_loss_reasons(*, active_only: bool = True) -> list[LossReason]:
    query = LossReason.all()
    if active_only:
        query = query.filter(active=True)
    return await query.order_by("id")


async def find_loss_reason(code: str) -> LossReason | None:
    return await LossReason.get_or_none(code=code)


# --- helpers ----------------------------------------------------------------------------------


async def _active_employee(employee_id: int, field: str) -> Employee:
    employee = await Employee.get_or_none(id=employee_id)
    if employee is None:
        raise NotFound("not_found", what="employee")
    if not employee.active:
        raise ValidationFailed("invalid", field=field, reason="inactive")
    return employee


async def _resolve_parties(
    partner_id: int | None, counterparty_id: int | None, agreement_id: int | None
) -> int | None:
    """Check the references; returns the partner id (taken from the counterparty if unset)."""
    if partner_id is not None and not await Partner.filter(id=partner_id).exists():
        raise NotFound("not_found", what="partner")
    if counterparty_id is not None:
        counterparty = await Counterparty.get_or_none(id=counterparty_id)
        if counterparty is None:
            raise NotFound("not_found", what="counterparty")
        if partner_id is None:
            partner_id = counterparty.partner_id
        elif counterparty.partner_id != partner_id:
            raise ValidationFailed("invalid", field="counterparty", reason="not_of_partner")
    if agreement_id is not None:
        agreement = await Agreement.get_or_none(id=agreement_id)
        if agreement is None:
            raise NotFound("not_found", what="agreement")
        if agreement.partner_id is not None and agreement.partner_id != partner_id:
            raise ValidationFailed("invalid", field="agreement", reason="not_of_partner")
    return partner_id


async def _set_client_participant(deal_id: int, partner_id: int | None) -> None:
    """The deal's client is a participant with the role `client`; nobody else has that role."""
    await (
        DealParticipant.filter(deal_id=deal_id, role=ParticipantRole.CLIENT)
        .exclude(partner_id=partner_id)
        .delete()
    )
    if (
        partner_id is not None
        and not await DealParticipant.filter(
            deal_id=deal_id, role=ParticipantRole.CLIENT, partner_id=partner_id
        ).exists()
    ):
        await DealParticipant.create(
            deal_id=deal_id, partner_id=partner_id, role=ParticipantRole.CLIENT
        )


def _require_open(deal: Deal) -> None:
    if deal.status != DealStatus.OPEN:
        raise DealStateConflict("deal_closed", number=deal.number)


async def _stage_code(stage_id: int | None) -> str | None:
    if stage_id is None:
        return None
    stage = await Stage.get_or_none(id=stage_id)
    return stage.code if stage else None


# --- commands ---------------------------------------------------------------------------------


async def create_deal(
    *,
    owner_id: int,
    title: str,
    kind_code: str | None = None,
    kind_id: int | None = None,
    partner_id: int | None = None,
    counterparty_id: int | None = None,
    agreement_id: int | None = None,
    potential_minor: int = 0,
    currency: str = "UAH",
    expected_close_on: dt.date | None = None,
    source: str = "",
    channel: str = "",
    comment: str = "",
    actor_id: int | None = None,
) -> Deal:
    """A new deal in the first active stage of its kind (guided kinds: with the stage's tasks).

    The number is `D-` and the id padded to six digits, e.g. `D-000123`.
    """
    title = check_text(title, "title", max_len=300, required=True)
    potential_minor = check_potential(potential_minor)
    currency = check_currency(currency)
    source = check_text(source, "source", max_len=100)
    channel = check_text(channel, "channel", max_len=100)
    comment = check_text(comment, "comment", max_len=4000)
    if expected_close_on is not None:
        check_date(
            expected_close_on,
            "expected_close_on",
            past_days=CLOSE_DATE_PAST_DAYS,
            future_days=CLOSE_DATE_FUTURE_DAYS,
        )
    if kind_id is not None:
        kind = await DealKind.get_or_none(id=kind_id)
    elif kind_code:
        kind = await DealKind.filter(code=kind_code).order_by("-version").first()
    else:
        raise ValidationFailed("invalid", field="kind", reason="required")
    if kind is None:
        raise NotFound("not_found", what="kind")
    if not kind.allowed:
        raise DealStateConflict("kind_not_allowed", kind=kind.code)
    await _active_employee(owner_id, "owner")
    partner_id = await _resolve_parties(partner_id, counterparty_id, agreement_id)
    stages = await stages_in_order(kind.id, include_retired=False)
    if kind.control_type != ControlType.NONE and not stages:
        raise DealStateConflict("deal_without_stages", number=kind.code)
    first = stages[0] if stages and kind.control_type != ControlType.NONE else None

    now = clock.now()
    async with in_transaction():
        deal = await Deal.create(
            number=f"tmp-{uuid.uuid4().hex[:16]}",
            title=title,
            partner_id=partner_id,
            counterparty_id=counterparty_id,
            agreement_id=agreement_id,
            kind_id=kind.id,
            stage_id=first.id if first else None,
            guided=kind.control_type == ControlType.GUIDED,
            potential_minor=potential_minor,
            currency=currency,
            owner_id=owner_id,
            started_at=now,
            expected_close_on=expected_close_on,
            source=source,
            channel=channel,
            comment=comment,
            created_at=now,
        )
        number = f"D-{deal.id:06d}"
        suffix = 1
        while await Deal.filter(number=number).exists():  # a number brought in by an import
            suffix += 1
            number = f"D-{deal.id:06d}-{suffix}"
        deal.number = number
        await Deal.filter(id=deal.id).update(number=number)
        await _set_client_participant(deal.id, partner_id)
        if first is not None:
            await open_stage_row(deal, first, now)
        await record_event(
            deal.id,
            "created",
            actor_id=actor_id,
            at=now,
            data={
                "kind": kind.code,
                "stage": first.code if first else None,
                "owner_id": owner_id,
                "potential_minor": potential_minor,
                "currency": currency,
            },
        )
        if first is not None and deal.guided:
            await create_stage_tasks(deal, first, now)
    return deal


async def update_deal(
    deal_id: int,
    *,
    actor_id: int | None,
    expected_version: int | None = None,
    title: str = _UNSET,
    partner_id: int | None = _UNSET,
    counterparty_id: int | None = _UNSET,
    agreement_id: int | None = _UNSET,
    owner_id: int = _UNSET,
    expected_close_on: dt.date | None = _UNSET,
    manual_probability: int | None = _UNSET,
    source: str = _UNSET,
    channel: str = _UNSET,
    comment: str = _UNSET,
) -> Deal:
    """Change the given fields (the others stay); the kind of a deal never changes."""
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        changes: dict[str, Any] = {}
        if title is not _UNSET:
            changes["title"] = check_text(title, "title", max_len=300, required=True)
        for name, value, max_len in (
            ("source", source, 100),
            ("channel", channel, 100),
            ("comment", comment, 4000),
        ):
            if value is not _UNSET:
                changes[name] = check_text(value, name, max_len=max_len)
        if expected_close_on is not _UNSET:
            if expected_close_on is not None:
                check_date(
                    expected_close_on,
                    "expected_close_on",
                    past_days=CLOSE_DATE_PAST_DAYS,
                    future_days=CLOSE_DATE_FUTURE_DAYS,
                )
            changes["expected_close_on"] = expected_close_on
        if manual_probability is not _UNSET:
            changes["manual_probability"] = (
                None if manual_probability is None else check_percent(manual_probability)
            )
        if owner_id is not _UNSET:
            await _active_employee(owner_id, "owner")
            changes["owner_id"] = owner_id
        parties_given = (partner_id, counterparty_id, agreement_id) != (_UNSET,) * 3
        if parties_given:
            new_partner = deal.partner_id if partner_id is _UNSET else partner_id
            new_counterparty = (
                deal.counterparty_id if counterparty_id is _UNSET else counterparty_id
            )
            new_agreement = deal.agreement_id if agreement_id is _UNSET else agreement_id
            if partner_id is not _UNSET and partner_id != deal.partner_id:
                if counterparty_id is _UNSET:
                    new_counterparty = None  # the old one belongs to the old partner
                if agreement_id is _UNSET:
                    new_agreement = None
            new_partner = await _resolve_parties(new_partner, new_counterparty, new_agreement)
            changes.update(
                partner_id=new_partner,
                counterparty_id=new_counterparty,
                agreement_id=new_agreement,
            )
        changes = {key: value for key, value in changes.items() if getattr(deal, key) != value}
        if changes:
            old = {key: getattr(deal, key) for key in changes}
            await Deal.filter(id=deal.id).update(**changes)
            for key, value in changes.items():
                setattr(deal, key, value)
            if "partner_id" in changes:
                await _set_client_participant(deal.id, deal.partner_id)
            if "owner_id" in changes:
                # route tasks addressed to the deal's owner follow the deal to the new owner
                await Task.filter(
                    deal_id=deal.id,
                    status=TaskStatus.OPEN,
                    stage_id__isnull=False,
                    performer_id=old["owner_id"],
                ).update(performer_id=deal.owner_id, reminded_at=None)
            await record_event(
                deal.id, "updated", actor_id=actor_id, data={"old": old, "new": changes}
            )
    return deal


async def set_potential(
    deal_id: int,
    potential_minor: int,
    *,
    actor_id: int | None,
    currency: str | None = None,
    expected_version: int | None = None,
) -> Deal:
    """New potential amount; as in 1C it is rewritten on all of the deal's log rows, so the
    funnel weighs every stage with the current amount. A closed deal keeps its amount."""
    potential_minor = check_potential(potential_minor)
    new_currency = check_currency(currency) if currency is not None else None
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        _require_open(deal)
        old = {"potential_minor": deal.potential_minor, "currency": deal.currency}
        deal.potential_minor = potential_minor
        deal.currency = new_currency or deal.currency
        await Deal.filter(id=deal.id).update(
            potential_minor=potential_minor, currency=deal.currency
        )
        await DealStageLog.filter(deal_id=deal.id).update(potential_minor=potential_minor)
        await record_event(
            deal.id,
            "potential_changed",
            actor_id=actor_id,
            data={
                "old": old,
                "new": {"potential_minor": potential_minor, "currency": deal.currency},
            },
        )
    return deal


async def confirm_checklist(
    deal_id: int, *, actor_id: int | None, expected_version: int | None = None
) -> Deal:
    """The owner confirms the current stage's checklist (reset on entering another stage)."""
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        _require_open(deal)
        deal.checklist_confirmed = True
        await Deal.filter(id=deal.id).update(checklist_confirmed=True)
        await record_event(
            deal.id,
            "checklist_confirmed",
            actor_id=actor_id,
            data={"stage": await _stage_code(deal.stage_id)},
        )
    return deal


async def mark_won(
    deal_id: int, *, actor_id: int | None, expected_version: int | None = None
) -> Deal:
    """Manual deals are won by hand; a guided deal is won by finishing its route."""
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        _require_open(deal)
        if deal.guided:
            raise DealStateConflict("deal_guided", number=deal.number)
        await finish_won(deal, actor_id=actor_id, via="manual")
    return deal


async def mark_lost(
    deal_id: int,
    reason_id: int | None,
    *,
    actor_id: int | None,
    competitor_partner_id: int | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> Deal:
    """Lost, with a reason (required). A reason that needs a competitor requires one, who is
    then flagged among the participants as the one who won the deal. The current log row gets
    result `lost`, so the stage where it was lost and the potential lost stay recorded."""
    if reason_id is None:
        raise ValidationFailed("invalid", field="loss_reason", reason="required")
    comment = check_text(comment, "comment", max_len=4000)
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        _require_open(deal)
        reason = await LossReason.get_or_none(id=reason_id)
        if reason is None:
            raise NotFound("not_found", what="loss_reason")
        if not reason.active:
            raise ValidationFailed("invalid", field="loss_reason", reason="inactive")
        if reason.needs_competitor and competitor_partner_id is None:
            raise ValidationFailed("invalid", field="competitor", reason="required")
        if competitor_partner_id is not None:
            if not await Partner.filter(id=competitor_partner_id).exists():
                raise NotFound("not_found", what="competitor")
            if competitor_partner_id == deal.partner_id:
                raise ValidationFailed("invalid", field="competitor", reason="same_as_client")
        now = clock.now()
        await close_stage_row(deal, StageResult.LOST, now)
        cancelled = await cancel_route_tasks(deal.id, now)
        if competitor_partner_id is not None:
            await DealParticipant.filter(deal_id=deal.id, won_the_deal=True).update(
                won_the_deal=False
            )
            participant = await DealParticipant.filter(
                deal_id=deal.id, partner_id=competitor_partner_id
            ).first()
            if participant is None:
                await DealParticipant.create(
                    deal_id=deal.id,
                    partner_id=competitor_partner_id,
                    role=ParticipantRole.COMPETITOR,
                    won_the_deal=True,
                )
            else:
                await DealParticipant.filter(id=participant.id).update(won_the_deal=True)
        deal.status, deal.closed, deal.ended_at = DealStatus.LOST, True, now
        deal.loss_reason_id, deal.loss_comment = reason.id, comment
        await Deal.filter(id=deal.id).update(
            status=DealStatus.LOST,
            closed=True,
            ended_at=now,
            loss_reason_id=reason.id,
            loss_comment=comment,
        )
        await record_event(
            deal.id,
            "lost",
            actor_id=actor_id,
            at=now,
            data={
                "reason": reason.code,
                "competitor_partner_id": competitor_partner_id,
                "stage": await _stage_code(deal.stage_id),
                "potential_minor": deal.potential_minor,
                "currency": deal.currency,
                "comment": comment,
                "tasks_cancelled": cancelled,
            },
        )
    return deal


async def reopen(
    deal_id: int, *, actor_id: int | None, expected_version: int | None = None
) -> Deal:
    """A won or lost deal is open again at the stage where it ended (that row is current
    again); the loss reason and the winner flag are cleared (the event log keeps them).
    A guided deal gets the stage's tasks anew."""
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        if deal.status == DealStatus.OPEN:
            raise DealStateConflict("deal_not_closed", number=deal.number)
        now = clock.now()
        previous = {
            "status": deal.status.value,
            "loss_reason_id": deal.loss_reason_id,
            "loss_comment": deal.loss_comment,
            "ended_at": deal.ended_at,
        }
        winners = await DealParticipant.filter(deal_id=deal.id, won_the_deal=True).values_list(
            "partner_id", flat=True
        )
        await DealParticipant.filter(deal_id=deal.id, won_the_deal=True).update(won_the_deal=False)
        await reopen_stage_row(deal, now)
        deal.status, deal.closed, deal.ended_at = DealStatus.OPEN, False, None
        deal.loss_reason_id, deal.loss_comment = None, ""
        await Deal.filter(id=deal.id).update(
            status=DealStatus.OPEN,
            closed=False,
            ended_at=None,
            loss_reason_id=None,
            loss_comment="",
        )
        await record_event(
            deal.id,
            "reopened",
            actor_id=actor_id,
            at=now,
            data={"previous": previous, "winners": list(winners)},
        )
        if deal.guided and deal.stage_id is not None:
            stage = await Stage.get(id=deal.stage_id)
            await create_stage_tasks(deal, stage, now)
    return deal


async def switch_to_manual(
    deal_id: int, *, actor_id: int | None, expected_version: int | None = None
) -> Deal:
    """Guided -> manual, one way (as in 1C): the route's open tasks are cancelled, the deal
    keeps its stages and log and is moved by hand from now on."""
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        if not deal.guided:
            raise DealStateConflict("deal_already_manual", number=deal.number)
        now = clock.now()
        cancelled = await cancel_route_tasks(deal.id, now)
        deal.guided, deal.switched_to_manual = False, True
        await Deal.filter(id=deal.id).update(guided=False, switched_to_manual=True)
        await record_event(
            deal.id,
            "switched_to_manual",
            actor_id=actor_id,
            at=now,
            data={"stage": await _stage_code(deal.stage_id), "tasks_cancelled": cancelled},
        )
    return deal
