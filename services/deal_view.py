"""One deal as adapters show it (`crm deal show`, the bot's deal card): the deal, its stage log
with exact days, its tasks, participants and interactions, and its win probability with the
explanation. Gathered in a fixed handful of queries whatever the deal's history; rendering (text,
JSON, the user's language) is left to the adapter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core import clock
from core.errors import NotFound
from models import Deal, Employee, Stage
from models.base import TaskStatus
from services.environment import ParticipantView, list_participants
from services.interactions import list_deal_interactions
from services.pipeline import list_stage_log, row_days
from services.probability import ProbabilityExplanation, explain_deal_probability
from services.tasks import assignment_step, list_deal_tasks

DEAL_REF_MAX = 40


@dataclass(frozen=True, slots=True)
class StageLogRowView:
    stage_id: int
    stage_code: str
    stage_name_uk: str
    stage_name_en: str
    entered_at: dt.datetime
    left_at: dt.datetime | None  # None: the deal is in this stage now
    days: float  # exact days in the stage; for the current row, until `DealView.as_of`
    result: str  # current | passed | lost
    skipped: bool  # passed over by a forward jump
    responsible: str  # the employee who owned the deal then ("" if unknown)


@dataclass(frozen=True, slots=True)
class TaskView:
    id: int
    title: str
    status: str  # open | done | cancelled
    performer: str
    checker: str | None  # assignment steps: who checks the work
    due_at: dt.datetime | None
    completed_at: dt.datetime | None
    result: str
    stage_code: str | None  # route tasks: the stage whose entry created them
    step: str | None  # assignment steps: execute | check
    overdue: bool  # open and due before `DealView.as_of`


@dataclass(frozen=True, slots=True)
class InteractionView:
    id: int
    kind: str  # call | meeting | email | telegram | note | planned
    direction: str  # incoming | outgoing | none
    subject: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    done: bool
    result: str
    owner: str


@dataclass(frozen=True, slots=True)
class DealView:
    id: int
    number: str
    title: str
    version: int
    status: str  # open | won | lost
    kind_code: str
    kind_name_uk: str
    kind_name_en: str
    guided: bool
    switched_to_manual: bool
    stage_code: str | None
    stage_name_uk: str | None
    stage_name_en: str | None
    owner: str
    owner_email: str | None
    partner_id: int | None
    partner: str | None
    counterparty: str | None
    potential_minor: int
    currency: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    expected_close_on: dt.date | None
    last_activity_at: dt.datetime | None
    manual_probability: int | None
    loss_reason_code: str | None
    loss_reason_uk: str | None
    loss_reason_en: str | None
    loss_comment: str
    winner: str | None  # lost to a competitor: who won the deal
    source: str
    channel: str
    comment: str
    stage_log: tuple[StageLogRowView, ...]  # route order
    tasks: tuple[TaskView, ...]  # oldest first
    participants: tuple[ParticipantView, ...]  # the client first
    interactions: tuple[InteractionView, ...]  # newest first
    probability: ProbabilityExplanation
    as_of: dt.datetime  # when the view was made (current rows and overdue tasks count to it)


async def find_deal_by_ref(ref: str | int) -> Deal | None:
    """A deal by its number (`D-000123`, or a number brought in by an import, any case) or, for
    digits that are no deal's number, by its id."""
    text = str(ref).strip()
    if not text or len(text) > DEAL_REF_MAX:
        return None
    deal = await Deal.get_or_none(number=text.upper())
    if deal is None and text != text.upper():
        deal = await Deal.get_or_none(number=text)
    if deal is None and text.isdigit() and len(text) < 10:
        deal = await Deal.get_or_none(id=int(text))
    return deal


async def get_deal_view(ref: str | int, *, method: str | None = None) -> DealView:
    """Everything shown about one deal; raises NotFound for an unknown number or id.

    `method` picks the probability method (default: the configured one)."""
    found = await find_deal_by_ref(ref)
    if found is None:
        raise NotFound("not_found", what="deal")
    deal = (
        await Deal.filter(id=found.id)
        .select_related("kind", "stage", "owner", "partner", "counterparty", "loss_reason")
        .get()
    )
    now = clock.now()
    log = await list_stage_log(deal.id)
    tasks = await list_deal_tasks(deal.id)
    interactions = await list_deal_interactions(deal.id)
    participants = await list_participants(deal.id)
    stage_ids = {task.stage_id for task in tasks if task.stage_id is not None}
    stage_codes = dict(
        await Stage.filter(id__in=list(stage_ids)).values_list("id", "code") if stage_ids else []
    )
    employee_ids = {row.responsible_id for row in log if row.responsible_id is not None}
    employee_ids |= {task.performer_id for task in tasks}
    employee_ids |= {task.checker_id for task in tasks if task.checker_id is not None}
    employee_ids |= {item.owner_id for item in interactions}
    names: dict[int, str] = dict(
        await Employee.filter(id__in=list(employee_ids)).values_list("id", "full_name")
        if employee_ids
        else []
    )
    probability = await explain_deal_probability(deal.id, method, deal=deal)

    kind, stage, reason = deal.kind, deal.stage, deal.loss_reason
    winner = next((p.name for p in participants if p.won_the_deal), None)
    return DealView(
        id=deal.id,
        number=deal.number,
        title=deal.title,
        version=deal.version,
        status=deal.status.value,
        kind_code=kind.code,
        kind_name_uk=kind.name_uk,
        kind_name_en=kind.name_en,
        guided=deal.guided,
        switched_to_manual=deal.switched_to_manual,
        stage_code=stage.code if stage else None,
        stage_name_uk=stage.name_uk if stage else None,
        stage_name_en=stage.name_en if stage else None,
        owner=deal.owner.full_name,
        owner_email=deal.owner.email,
        partner_id=deal.partner_id,
        partner=deal.partner.name if deal.partner else None,
        counterparty=deal.counterparty.name if deal.counterparty else None,
        potential_minor=deal.potential_minor,
        currency=deal.currency,
        started_at=deal.started_at,
        ended_at=deal.ended_at,
        expected_close_on=deal.expected_close_on,
        last_activity_at=deal.last_activity_at,
        manual_probability=deal.manual_probability,
        loss_reason_code=reason.code if reason else None,
        loss_reason_uk=reason.name_uk if reason else None,
        loss_reason_en=reason.name_en if reason else None,
        loss_comment=deal.loss_comment,
        winner=winner,
        source=deal.source,
        channel=deal.channel,
        comment=deal.comment,
        stage_log=tuple(
            StageLogRowView(
                stage_id=row.stage_id,
                stage_code=row.stage.code,
                stage_name_uk=row.stage.name_uk,
                stage_name_en=row.stage.name_en,
                entered_at=row.entered_at,
                left_at=row.left_at,
                days=row_days(row, until=now) or 0.0,
                result=row.result.value,
                skipped=row.skipped,
                responsible=names.get(row.responsible_id or 0, ""),
            )
            for row in log
        ),
        tasks=tuple(
            TaskView(
                id=task.id,
                title=task.title,
                status=task.status.value,
                performer=names.get(task.performer_id, ""),
                checker=names.get(task.checker_id) if task.checker_id else None,
                due_at=task.due_at,
                completed_at=task.completed_at,
                result=task.result,
                stage_code=stage_codes.get(task.stage_id) if task.stage_id else None,
                step=step.step if (step := assignment_step(task)) else None,
                overdue=task.status == TaskStatus.OPEN
                and task.due_at is not None
                and task.due_at < now,
            )
            for task in tasks
        ),
        participants=tuple(participants),
        interactions=tuple(
            InteractionView(
                id=item.id,
                kind=item.kind.value,
                direction=item.direction.value,
                subject=item.subject,
                starts_at=item.starts_at,
                ends_at=item.ends_at,
                done=item.done,
                result=item.result,
                owner=names.get(item.owner_id, ""),
            )
            for item in interactions
        ),
        probability=probability,
        as_of=now,
    )
