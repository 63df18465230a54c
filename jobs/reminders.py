"""Reminders to managers: tasks due soon and overdue, planned calls and meetings, deals without
activity past their stage's rot days, contact persons' birthdays, partners not contacted within
their cadence, and the morning "my day".

Event reminders (tasks, calls) go when their moment comes, looking back over a grace window so
that a restart still sends what fell due while the process was down (once: the key holds the
task and its moment, so a snooze or a new due date is a new reminder, a repeat is not). Reminders
of a task's due date that only follow from the default lead time keep quiet at night (21:00 to
08:00 local); the morning "my day" lists them. Timed reminders (idle deals, cadence, birthdays,
my day) go at the subscriber's local time. Idle deals and partners to contact are one message
each, with one-tap buttons (`jobs.callbacks`), at most `DAILY_CAP` a day per person, the longest
idle first; each is reminded once per cycle (the rot days or the cadence), until something
happens.
"""

from __future__ import annotations

import datetime as dt

from core.i18n import N_, gettext
from jobs import texts
from jobs.callbacks import (
    DEAL_SNOOZE_DAYS,
    MEETING_SNOOZE_MINUTES,
    TASK_SNOOZE_MINUTES,
    ClaimAction,
    ClaimNudge,
    DealNudge,
    MeetingNudge,
    NudgeAction,
    PartnerNudge,
    TaskNudge,
)
from jobs.runner import JobContext, JobReport, Render, deliver, kind
from jobs.sender import Buttons, Push
from jobs.texts import esc, tr
from models.base import ClaimStatus
from services import notifications
from services.notifications import Recipient, parse_period_day
from services.reminders import (
    find_open_task,
    find_planned_interaction,
    list_birthdays,
    list_cadence_due,
    list_day_interactions,
    list_interactions_to_remind,
    list_rotting_deals,
    list_tasks_fallen_due,
    list_tasks_to_remind,
)

TASK_LEAD = dt.timedelta(hours=1)
TASK_GRACE = dt.timedelta(hours=1)
OVERDUE_GRACE = dt.timedelta(hours=2)
MEETING_LEAD = dt.timedelta(minutes=15)
MEETING_GRACE = dt.timedelta(minutes=15)
MY_DAY_GRACE = dt.timedelta(hours=3)
TIMED_GRACE = dt.timedelta(hours=6)
QUIET_FROM, QUIET_TO = 21, 8  # local hours without default-lead task reminders
DAILY_CAP = 5
MY_DAY_LINES = 10
EDGE = dt.timedelta(seconds=1)  # "until now" includes a moment of exactly now


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")


def _subject_id(period: str) -> int:
    """'t42@20261127T090000' -> 42."""
    return int(period[1:].split("@", 1)[0])


def quiet(recipient: Recipient, now: dt.datetime) -> bool:
    hour = recipient.local(now).hour
    return hour >= QUIET_FROM or hour < QUIET_TO


def _local_day(recipient: Recipient, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The recipient's local day and its start (aware UTC)."""
    day = recipient.local(now).date()
    start = dt.datetime.combine(day, dt.time(), recipient.zone).astimezone(dt.UTC)
    return day, start


# --- tasks --------------------------------------------------------------------------------------


def _task_buttons(task_id: int, locale: str) -> Buttons:
    return (
        (
            (tr("btn_done", locale), TaskNudge(action=NudgeAction.DONE, task_id=task_id).pack()),
            (
                tr("btn_snooze_hour", locale),
                TaskNudge(
                    action=NudgeAction.SNOOZE, task_id=task_id, minutes=TASK_SNOOZE_MINUTES
                ).pack(),
            ),
        ),
        ((tr("btn_open", locale), TaskNudge(action=NudgeAction.OPEN, task_id=task_id).pack()),),
    )


async def _task_push(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    task = await find_open_task(_subject_id(period))
    if task is None or task.performer_id != recipient.employee_id or task.due_at is None:
        return None
    locale, zone = recipient.locale, recipient.zone
    today = recipient.local(ctx.now).date()
    time = texts.clock_time(task.due_at, zone, today)
    head = "task_overdue" if task.due_at <= ctx.now else "task_soon"
    lines = [tr(head, locale, time=time), esc(task.title)]
    if task.deal_number:
        lines.append(
            tr("deal_line", locale, number=esc(task.deal_number), title=esc(task.deal_title))
        )
    if task.partner_name:
        lines.append(tr("partner_line", locale, name=esc(task.partner_name)))
    return Push(texts.fit(lines, texts.TEXT_LIMIT), buttons=_task_buttons(task.task_id, locale))


@kind("task_due", digest="tasks", horizon=TASK_GRACE)
async def render_task_due(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    return await _task_push(recipient, period, ctx)


@kind("task_overdue", digest="tasks", horizon=OVERDUE_GRACE)
async def render_task_overdue(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    return await _task_push(recipient, period, ctx)


async def remind_tasks(ctx: JobContext) -> JobReport:
    """Tasks whose reminder moment came (their `remind_at`, or an hour before they are due) and
    tasks that just became overdue."""
    report = JobReport("reminders:tasks")
    now = ctx.now
    people = {r.employee_id: r for r in await notifications.list_recipients("tasks")}
    soon = []
    for task in await list_tasks_to_remind(now - TASK_GRACE, now + EDGE, TASK_LEAD):
        recipient = people.get(task.performer_id)
        if recipient is None or (task.due_at is None and task.remind_at is None):
            continue
        if task.remind_at is None and quiet(recipient, now):
            continue
        moment = task.remind_at or task.due_at - TASK_LEAD  # type: ignore[operator]
        soon.append((recipient, f"t{task.task_id}@{stamp(moment)}"))
    await deliver(ctx, "task_due", soon, report)
    overdue = []
    for task in await list_tasks_fallen_due(now - OVERDUE_GRACE, now + EDGE):
        recipient = people.get(task.performer_id)
        if recipient is None or task.due_at is None or quiet(recipient, now):
            continue
        overdue.append((recipient, f"t{task.task_id}@{stamp(task.due_at)}"))
    return await deliver(ctx, "task_overdue", overdue, report)


# --- planned calls and meetings -----------------------------------------------------------------

MEETING_HEADS = {"call": "call_at", "meeting": "meeting_at"}
MEETING_ICONS = {"call": "📞", "meeting": "🤝"}


@kind("meeting", digest="interactions", horizon=MEETING_GRACE + MEETING_LEAD)
async def render_meeting(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    found = await find_planned_interaction(_subject_id(period))
    if found is None or found.owner_id != recipient.employee_id:
        return None
    locale, zone = recipient.locale, recipient.zone
    time = texts.clock_time(found.starts_at, zone, recipient.local(ctx.now).date())
    lines = [tr(MEETING_HEADS.get(found.kind, "contact_at"), locale, time=time)]
    if found.subject:
        lines.append(esc(found.subject))
    if found.partner_name:
        lines.append(tr("partner_line", locale, name=esc(found.partner_name)))
    if found.deal_number:
        lines.append(esc(found.deal_number))
    iid = found.interaction_id
    buttons: Buttons = (
        (
            (
                tr("btn_done", locale),
                MeetingNudge(action=NudgeAction.DONE, interaction_id=iid).pack(),
            ),
            (
                tr("btn_snooze_minutes", locale, minutes=MEETING_SNOOZE_MINUTES),
                MeetingNudge(
                    action=NudgeAction.SNOOZE, interaction_id=iid, minutes=MEETING_SNOOZE_MINUTES
                ).pack(),
            ),
        ),
        (
            (
                tr("btn_open", locale),
                MeetingNudge(action=NudgeAction.OPEN, interaction_id=iid).pack(),
            ),
        ),
    )
    return Push(texts.fit(lines, texts.TEXT_LIMIT), buttons=buttons)


async def remind_interactions(ctx: JobContext) -> JobReport:
    """Planned calls and meetings `MEETING_LEAD` before they start (or when a snooze ends)."""
    report = JobReport("reminders:interactions")
    now = ctx.now
    people = {r.employee_id: r for r in await notifications.list_recipients("interactions")}
    items = []
    for found in await list_interactions_to_remind(now - MEETING_GRACE, now + EDGE, MEETING_LEAD):
        recipient = people.get(found.owner_id)
        if recipient is None:
            continue
        moment = found.snoozed_until or found.starts_at - MEETING_LEAD
        items.append((recipient, f"i{found.interaction_id}@{stamp(moment)}"))
    return await deliver(ctx, "meeting", items, report)


# --- deals without activity ---------------------------------------------------------------------


@kind("rotting", digest="rotting", horizon=TIMED_GRACE)
async def render_rotting(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    deal_id = _subject_id(period)
    found = await list_rotting_deals(ctx.now, deal_id=deal_id)
    if not found or found[0].owner_id != recipient.employee_id:
        return None
    deal, locale = found[0], recipient.locale
    lines = [
        tr("rotting", locale, days=texts.days(int(deal.idle_days), locale)),
        f"<b>{esc(deal.number)}</b> {esc(deal.title)}",
    ]
    if deal.partner_name:
        lines.append(tr("partner_line", locale, name=esc(deal.partner_name)))
    lines.append(
        tr(
            "rotting_stage",
            locale,
            stage=esc(deal.stage.pick(locale)),
            limit=texts.days(deal.rot_days, locale),
        )
    )
    if deal.potential_minor:
        lines.append(
            tr("potential", locale, amount=texts.money(deal.potential_minor, deal.currency, locale))
        )
    buttons: Buttons = (
        (
            (
                tr("btn_log_call", locale),
                DealNudge(action=NudgeAction.CALL, deal_id=deal_id).pack(),
            ),
            (
                tr("btn_snooze_days", locale, days=DEAL_SNOOZE_DAYS),
                DealNudge(action=NudgeAction.SNOOZE, deal_id=deal_id, days=DEAL_SNOOZE_DAYS).pack(),
            ),
        ),
        (
            (tr("btn_lost", locale), DealNudge(action=NudgeAction.LOST, deal_id=deal_id).pack()),
            (tr("btn_open", locale), DealNudge(action=NudgeAction.OPEN, deal_id=deal_id).pack()),
        ),
    )
    return Push(texts.fit(lines, texts.TEXT_LIMIT), buttons=buttons)


async def _capped(
    ctx: JobContext, kind_name: str, recipient: Recipient, candidates: list[tuple[Recipient, str]]
) -> list[tuple[Recipient, str]]:
    """At most `DAILY_CAP` of a kind per person per local day (counting what went earlier)."""
    _, start = _local_day(recipient, ctx.now)
    done = await notifications.count_recorded(kind_name, recipient.employee_id, start)
    return candidates[: max(DAILY_CAP - done, 0)]


async def remind_rotting(ctx: JobContext) -> JobReport:
    report = JobReport("reminders:rotting")
    slots = await notifications.list_due_slots("rotting", ctx.now, TIMED_GRACE, force=ctx.force)
    if not slots:
        return report
    people = {slot.recipient.employee_id: slot.recipient for slot in slots}
    snoozed = await notifications.list_snoozed_deals(ctx.now)
    per_owner: dict[int, list[tuple[Recipient, str]]] = {}
    for deal in await list_rotting_deals(ctx.now, owner_ids=people):
        if (deal.owner_id, deal.deal_id) in snoozed:
            continue
        recipient = people[deal.owner_id]
        period = f"d{deal.deal_id}@{stamp(deal.idle_since)}#{deal.cycle}"
        per_owner.setdefault(deal.owner_id, []).append((recipient, period))
    items = []
    for owner, candidates in per_owner.items():
        items += await _capped(ctx, "rotting", people[owner], await _unsent(candidates, "rotting"))
    return await deliver(ctx, "rotting", items, report)


async def _unsent(
    candidates: list[tuple[Recipient, str]], kind_name: str
) -> list[tuple[Recipient, str]]:
    """Leave out what was recorded before (so the cap counts only new reminders)."""
    from models import SentNotification

    keys = {
        notifications.notification_key(kind_name, r.employee_id, p): (r, p) for r, p in candidates
    }
    if not keys:
        return []
    done = set(await SentNotification.filter(key__in=list(keys)).values_list("key", flat=True))
    return [item for key, item in keys.items() if key not in done]


# --- partners to contact ------------------------------------------------------------------------


@kind("cadence", digest="cadence", horizon=TIMED_GRACE)
async def render_cadence(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    partner_id = _subject_id(period)
    found = await list_cadence_due(ctx.now, partner_id=partner_id)
    if not found or found[0].manager_id != recipient.employee_id:
        return None
    due, locale = found[0], recipient.locale
    lines = [tr("cadence", locale, partner=esc(due.name))]
    cadence = texts.days(due.cadence_days, locale)
    if due.last_contact_at is not None:
        lines.append(
            tr(
                "cadence_last",
                locale,
                date=texts.date(recipient.local(due.last_contact_at).date(), locale),
                days=texts.days(int(due.idle_days), locale),
                cadence=cadence,
            )
        )
    else:
        lines.append(tr("cadence_never", locale, cadence=cadence))
    buttons: Buttons = (
        (
            (
                tr("btn_log_call", locale),
                PartnerNudge(action=NudgeAction.CALL, partner_id=partner_id).pack(),
            ),
            (
                tr("btn_open", locale),
                PartnerNudge(action=NudgeAction.OPEN, partner_id=partner_id).pack(),
            ),
        ),
    )
    return Push(texts.fit(lines, texts.TEXT_LIMIT), buttons=buttons)


async def remind_cadence(ctx: JobContext) -> JobReport:
    report = JobReport("reminders:cadence")
    slots = await notifications.list_due_slots("cadence", ctx.now, TIMED_GRACE, force=ctx.force)
    if not slots:
        return report
    people = {slot.recipient.employee_id: slot.recipient for slot in slots}
    per_manager: dict[int, list[tuple[Recipient, str]]] = {}
    for due in await list_cadence_due(ctx.now, manager_ids=people):
        since = due.last_contact_at
        marker = stamp(since) if since is not None else "never"
        period = f"p{due.partner_id}@{marker}#{due.cycle}"
        per_manager.setdefault(due.manager_id, []).append((people[due.manager_id], period))
    items = []
    for manager, candidates in per_manager.items():
        items += await _capped(
            ctx, "cadence", people[manager], await _unsent(candidates, "cadence")
        )
    return await deliver(ctx, "cadence", items, report)


# --- birthdays ----------------------------------------------------------------------------------


@kind("birthdays", digest="birthdays", horizon=TIMED_GRACE)
async def render_birthdays(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    day = parse_period_day(period)
    found = await list_birthdays([day], manager_ids=[recipient.employee_id])
    if not found:
        return None
    locale = recipient.locale
    lines = [tr("birthdays", locale)]
    for person in found:
        if person.position:
            lines.append(
                tr(
                    "birthday_line",
                    locale,
                    name=esc(person.full_name),
                    position=esc(person.position),
                    partner=esc(person.partner_name),
                )
            )
        else:
            lines.append(
                tr(
                    "birthday_line_short",
                    locale,
                    name=esc(person.full_name),
                    partner=esc(person.partner_name),
                )
            )
    return Push(texts.fit(lines, texts.TEXT_LIMIT))


async def remind_birthdays(ctx: JobContext) -> JobReport:
    report = JobReport("reminders:birthdays")
    slots = await notifications.list_due_slots("birthdays", ctx.now, TIMED_GRACE, force=ctx.force)
    if not slots:
        return report
    found = await list_birthdays(
        {slot.day for slot in slots}, manager_ids=[slot.recipient.employee_id for slot in slots]
    )
    from services.reminders import birthday_on

    items = [
        (slot.recipient, slot.period)
        for slot in slots
        if any(
            b.manager_id == slot.recipient.employee_id and birthday_on(b.birthday, slot.day)
            for b in found
        )
    ]
    return await deliver(ctx, "birthdays", items, report)


# --- my day -------------------------------------------------------------------------------------


@kind("my_day", digest="my_day", horizon=MY_DAY_GRACE)
async def render_my_day(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    from services.tasks import list_my_tasks

    day = parse_period_day(period)
    zone, locale = recipient.zone, recipient.locale
    start = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    today = await list_my_tasks(recipient.employee_id, scope="today", limit=MY_DAY_LINES + 1)
    overdue = await list_my_tasks(recipient.employee_id, scope="overdue", limit=100)
    meetings = await list_day_interactions(recipient.employee_id, start, end)
    idle = await list_rotting_deals(ctx.now, owner_ids=[recipient.employee_id])
    birthdays = await list_birthdays([day], manager_ids=[recipient.employee_id])
    if not (today or overdue or meetings or idle or birthdays):
        return None
    lines = [tr("my_day", locale, date=texts.date(day, locale))]
    if today:
        lines += ["", texts.tasks_today(len(today), locale)]
        for task in today[:MY_DAY_LINES]:
            time = texts.clock_time(task.due_at, zone) if task.due_at else ""
            lines.append(tr("my_day_task", locale, time=time, title=esc(task.title)))
    if overdue:
        lines += ["", texts.tasks_overdue(len(overdue), locale)]
    if meetings:
        lines += ["", tr("my_day_meetings", locale)]
        for meeting in meetings[:MY_DAY_LINES]:
            subject = meeting.subject or meeting.partner_name or ""
            if meeting.subject and meeting.partner_name:
                subject = f"{meeting.subject} · {meeting.partner_name}"
            lines.append(
                tr(
                    "my_day_meeting",
                    locale,
                    time=texts.clock_time(meeting.starts_at, zone),
                    icon=MEETING_ICONS.get(meeting.kind, "📅"),
                    subject=esc(subject),
                )
            )
    if idle:
        lines += ["", texts.deals_idle(len(idle), locale)]
    if birthdays:
        names = ", ".join(f"{esc(b.full_name)} ({esc(b.partner_name)})" for b in birthdays)
        lines += ["", tr("my_day_birthdays", locale, names=names)]
    return Push(texts.fit(lines, texts.TEXT_LIMIT))


async def remind_my_day(ctx: JobContext) -> JobReport:
    slots = await notifications.list_due_slots("my_day", ctx.now, MY_DAY_GRACE, force=ctx.force)
    items = [(slot.recipient, slot.period) for slot in slots]
    return await deliver(ctx, "my_day", items, JobReport("reminders:my_day"))


# --- claims (services.claims.due_claim_notifications) -------------------------------------------

CLAIM_KINDS = ("claim_assigned", "claim_registered", "claim_overdue")
CLAIM_HORIZON = dt.timedelta(hours=24)
BTN_TAKE_INTO_WORK = N_("🛠 Take into work")


def claim_buttons(kind_name: str, claim_id: int, status: str, locale: str) -> Buttons:
    """Open the claim; the responsible person of a registered claim also takes it into work
    (the bot re-checks both against the pressing employee: `bot.handlers.notifications`)."""
    rows: list[tuple[tuple[str, str], ...]] = []
    if kind_name == "claim_assigned" and status == ClaimStatus.REGISTERED.value:
        take = ClaimNudge(action=ClaimAction.TAKE, claim_id=claim_id).pack()
        rows.append(((gettext(BTN_TAKE_INTO_WORK, locale), take),))
    opened = ClaimNudge(action=ClaimAction.OPEN, claim_id=claim_id).pack()
    rows.append(((tr("btn_open", locale), opened),))
    return tuple(rows)


def _claim_renderer(kind_name: str) -> Render:
    async def render(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
        from services.claims import NOTIFICATION_MESSAGES
        from services.reminders import find_claim_event_actor, find_claim_facts

        claim_id, _, occasion = period.partition(".")
        facts = await find_claim_facts(int(claim_id))
        if facts is None or (kind_name == "claim_overdue" and not facts.open):
            return None
        key = notifications.notification_key(kind_name, recipient.employee_id, period)
        notice = ctx.cache.get(("claim_notice", key))
        actor = notice.actor_name if notice is not None else None
        if actor is None and occasion.startswith("e") and occasion[1:].isdigit():
            actor = await find_claim_event_actor(int(occasion[1:]))
        locale = recipient.locale
        due = recipient.local(facts.due_at).strftime("%d.%m.%Y %H:%M") if facts.due_at else "—"
        text = gettext(NOTIFICATION_MESSAGES[kind_name], locale) % {
            "number": f"<b>{esc(facts.number)}</b>",
            "partner": esc(facts.partner_name),
            "cause": esc(facts.cause.pick(locale)),
            "due": due,
            "actor": esc(actor or "—"),
        }
        return Push(text, buttons=claim_buttons(kind_name, facts.claim_id, facts.status, locale))

    return render


for _claim_kind in CLAIM_KINDS:
    kind(_claim_kind, digest="claim_notices", horizon=CLAIM_HORIZON)(_claim_renderer(_claim_kind))


async def remind_claims(ctx: JobContext) -> JobReport:
    """The claim notifications `services.claims` finds due: the responsible person on
    assignment and when the response time runs out; the client's managers on registration."""
    from services.claims import due_claim_notifications

    report = JobReport("reminders:claims")
    people = {r.employee_id: r for r in await notifications.list_recipients("claim_notices")}
    by_kind: dict[str, list[tuple[Recipient, str]]] = {}
    for notice in await due_claim_notifications(ctx.now):
        recipient = people.get(notice.recipient_id)
        if recipient is None or notice.kind not in CLAIM_KINDS:
            continue
        ctx.cache[("claim_notice", notice.key)] = notice
        by_kind.setdefault(notice.kind, []).append((recipient, notice.period))
    for kind_name, items in by_kind.items():
        await deliver(ctx, kind_name, items, report)
    return report
