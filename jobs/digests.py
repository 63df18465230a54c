"""Digests: the funnel (daily and weekly), claims, lost deals of the week and the changes of the
ABC/XYZ classification, each at its subscriber's local time, in their language.

Whose figures: an admin gets the whole company's, a head of sales their team's, a manager their
own (`services.analytics.resolve_scope`, the same rule as the reports). What period: a daily
digest sent on day D covers D-1 against D-2; a weekly one sent in week W covers the week before W
against the week before that. The funnel chart and the bottleneck look at a longer window (30
days for the daily digest, 13 weeks for the weekly one), where there are enough decided deals.
The digest is one message: the chart as a photo with the text as its caption (1,024 characters),
so a fan-out to N people is N messages, and the chart is uploaded once per scope and language.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import datetime as dt
import hashlib
import logging
import multiprocessing
import pickle

from core.errors import DomainError
from jobs import texts
from jobs.runner import JobContext, JobReport, deliver, kind
from jobs.sender import Push
from jobs.texts import esc, tr
from models.base import Role
from services import notifications
from services.analytics import (
    Name,
    ReportParams,
    ReportResult,
    get_report,
    make_period,
    render_chart,
    resolve_scope,
    run_report,
)
from services.analytics.common import Period
from services.notifications import Recipient, parse_period_day
from services.reminders import ClaimSummary, claim_summary, deal_figures

logger = logging.getLogger(__name__)

DAILY_GRACE = dt.timedelta(hours=4)
WEEKLY_GRACE = dt.timedelta(hours=12)
CLASSIFICATION_FRESH = dt.timedelta(days=7)
FUNNEL_DAILY_WINDOW = 30
FUNNEL_WEEKLY_WINDOW = 91
CLASS_LINES = 15
SCHEDULED_BASIS, SCHEDULED_METHOD = "revenue", "adaptive"


# --- whose figures ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Audience:
    owner_ids: frozenset[int] | None  # None: everyone
    label_key: str  # scope_company / scope_team / scope_own
    team: str = ""

    def label(self, locale: str) -> str:
        return tr(self.label_key, locale, team=esc(self.team))


async def audience(recipient: Recipient, ctx: JobContext | None = None) -> Audience:
    """Whose figures the recipient gets (heads of one team share it: cached per run)."""
    if ctx is not None:
        shared = recipient.role is Role.HEAD and recipient.team_id is not None
        key = ("audience", recipient.role, recipient.team_id if shared else recipient.employee_id)
        return await ctx.cached(key, lambda: audience(recipient))
    params = ReportParams(viewer_id=recipient.employee_id, viewer_role=recipient.role)
    scope = await resolve_scope(params)
    if recipient.role is Role.ADMIN:
        return Audience(None, "scope_company")
    if recipient.role is Role.HEAD and recipient.team_id is not None:
        from models import Team

        team = await Team.get_or_none(id=recipient.team_id).values("name")
        return Audience(scope.owner_ids, "scope_team", team["name"] if team else "")
    return Audience(scope.owner_ids, "scope_own")


def _params(recipient: Recipient, period: Period | None = None, **extra: object) -> ReportParams:
    return ReportParams(
        viewer_id=recipient.employee_id,
        viewer_role=recipient.role,
        date_from=period.date_from if period else None,
        date_to=period.date_to if period else None,
        tz=recipient.timezone,
        **extra,  # type: ignore[arg-type]
    )


def _photo_key(*parts: object) -> str:
    return "d" + hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


_chart_pool: concurrent.futures.ProcessPoolExecutor | None = None


def _pool() -> concurrent.futures.ProcessPoolExecutor:
    """One process drawing the charts: matplotlib holds the GIL for hundreds of milliseconds a
    chart, which in a thread would stall the event loop and bunch up the paced sends."""
    global _chart_pool
    if _chart_pool is None:
        _chart_pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
    return _chart_pool


async def _chart(report: str, result: ReportResult, locale: str) -> bytes | None:
    global _chart_pool
    spec = get_report(report)
    try:
        return await asyncio.get_running_loop().run_in_executor(
            _pool(), render_chart, spec, result, locale
        )
    except (concurrent.futures.process.BrokenProcessPool, OSError, pickle.PicklingError):
        logger.warning("the chart process failed; drawing in a thread", exc_info=True)
        _chart_pool = None
        return await asyncio.to_thread(render_chart, spec, result, locale)


def _days_before(day: dt.date, n: int) -> dt.date:
    return day - dt.timedelta(days=n)


def _periods(period: str, weekly: bool, tz: str) -> tuple[Period, Period]:
    """The period a digest sent in `period` covers, and the one it is compared with."""
    day = parse_period_day(period)
    if weekly:
        monday = day - dt.timedelta(days=day.weekday())
        return (
            make_period(_days_before(monday, 7), _days_before(monday, 1), tz),
            make_period(_days_before(monday, 14), _days_before(monday, 8), tz),
        )
    return (
        make_period(_days_before(day, 1), _days_before(day, 1), tz),
        make_period(_days_before(day, 2), _days_before(day, 2), tz),
    )


# --- the funnel digest --------------------------------------------------------------------------


def _bottleneck(result: ReportResult) -> tuple[Name, float] | None:
    """The stage that lets the smallest share of decided deals through (of any kind)."""
    from services.analytics.funnel import FLAG_LOWEST_PASS

    worst: tuple[Name, float] | None = None
    for funnel_kind in result.data.kinds:
        for stage in funnel_kind.stages:
            if (
                FLAG_LOWEST_PASS in stage.flags
                and stage.conversion is not None
                and (worst is None or stage.conversion < worst[1])
            ):
                worst = (stage.name, stage.conversion)
    return worst


async def funnel_push(recipient: Recipient, period: str, ctx: JobContext, *, weekly: bool) -> Push:
    current, previous = _periods(period, weekly, recipient.timezone)
    who = await audience(recipient, ctx)
    locale = recipient.locale
    key = ("funnel", weekly, period, who, recipient.timezone, locale)

    async def build() -> Push:
        from core.config import get_settings
        from services.analytics.export import format_ratio

        now_figures, before = await deal_figures(current, previous, who.owner_ids)
        window = FUNNEL_WEEKLY_WINDOW if weekly else FUNNEL_DAILY_WINDOW
        funnel_period = make_period(
            current.date_to - dt.timedelta(days=window - 1), current.date_to, recipient.timezone
        )
        funnel = await run_report("funnel", _params(recipient, funnel_period))
        forecast = await run_report("forecast", _params(recipient, options={"deals": "0"}))
        currency = get_settings().currency
        total = forecast.data.total
        if weekly:
            head = tr(
                "funnel_weekly",
                locale,
                **{
                    "from": texts.date(current.date_from, locale),
                    "to": texts.date(current.date_to, locale),
                },
            )
        else:
            head = tr("funnel_daily", locale, date=texts.date(current.date_from, locale))
        worst = _bottleneck(funnel)
        lines = [
            head,
            who.label(locale),
            "",
            tr(
                "new_deals",
                locale,
                count=now_figures.started,
                change=texts.signed(now_figures.started - before.started, locale),
            ),
            tr(
                "won",
                locale,
                count=now_figures.won,
                amount=texts.money(now_figures.won_minor, currency, locale),
                change=texts.signed(now_figures.won - before.won, locale),
            ),
            tr(
                "lost",
                locale,
                count=now_figures.lost,
                amount=texts.money(now_figures.lost_minor, currency, locale),
                change=texts.signed(now_figures.lost - before.lost, locale),
            ),
            tr(
                "pipeline",
                locale,
                amount=texts.money(total.expected_minor, currency, locale),
                count=total.deals,
            ),
            tr(
                "bottleneck",
                locale,
                stage=esc(worst[0].pick(locale)),
                rate=format_ratio(worst[1], locale),
            )
            if worst
            else tr("no_bottleneck", locale),
            "",
            tr("compare_week" if weekly else "compare_day", locale),
            tr("chart_window", locale, days=window),
        ]
        photo = await _chart("funnel", funnel, locale)
        return Push(
            texts.fit(lines, texts.CAPTION_LIMIT if photo else texts.TEXT_LIMIT),
            photo=photo,
            photo_key=_photo_key(*key) if photo else None,
        )

    return await ctx.cached(key, build)


@kind("funnel_daily", digest="funnel_daily", horizon=DAILY_GRACE)
async def render_funnel_daily(recipient: Recipient, period: str, ctx: JobContext) -> Push:
    return await funnel_push(recipient, period, ctx, weekly=False)


@kind("funnel_weekly", digest="funnel_weekly", horizon=WEEKLY_GRACE)
async def render_funnel_weekly(recipient: Recipient, period: str, ctx: JobContext) -> Push:
    return await funnel_push(recipient, period, ctx, weekly=True)


# --- claims -------------------------------------------------------------------------------------


def claims_text(summary: ClaimSummary, day: dt.date, who: Audience, locale: str) -> str:
    open_count = summary.registered + summary.in_processing
    lines = [
        tr("claims", locale, date=texts.date(day, locale)),
        who.label(locale),
        "",
        tr("claims_new", locale, count=summary.new),
        tr(
            "claims_open",
            locale,
            count=open_count,
            waiting=summary.registered,
            processing=summary.in_processing,
        ),
        tr("claims_overdue", locale, count=summary.overdue),
        tr(
            "claims_resolved",
            locale,
            count=summary.resolved,
            satisfied=summary.satisfied,
            not_satisfied=summary.not_satisfied,
        ),
    ]
    if summary.by_cause:
        lines += ["", tr("claims_causes", locale)]
        lines += [
            tr("bullet_count", locale, name=esc(cause.name.pick(locale)), count=cause.count)
            for cause in summary.by_cause
        ]
    return texts.fit(lines, texts.TEXT_LIMIT)


@kind("claims_daily", digest="claims_daily", horizon=DAILY_GRACE)
async def render_claims(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    current, _ = _periods(period, False, recipient.timezone)
    who = await audience(recipient, ctx)
    key = ("claims", period, who, recipient.timezone)
    summary = await ctx.cached(key, lambda: claim_summary(current, ctx.now, who.owner_ids))
    if summary.empty:
        return None
    return Push(claims_text(summary, current.date_from, who, recipient.locale))


# --- lost deals of the week ---------------------------------------------------------------------


@kind("lost_weekly", digest="lost_weekly", horizon=WEEKLY_GRACE)
async def render_lost(recipient: Recipient, period: str, ctx: JobContext) -> Push:
    current, previous = _periods(period, True, recipient.timezone)
    who = await audience(recipient, ctx)
    locale = recipient.locale
    key = ("lost", period, who, recipient.timezone, locale)

    async def build() -> Push:
        from core.config import get_settings

        result = await run_report("lost", _params(recipient, current))
        data = result.data
        now_figures, before = await deal_figures(current, previous, who.owner_ids)
        currency = get_settings().currency
        lines = [
            tr(
                "lost_weekly",
                locale,
                **{
                    "from": texts.date(current.date_from, locale),
                    "to": texts.date(current.date_to, locale),
                },
            ),
            who.label(locale),
            "",
        ]
        if not data.total_count:
            lines.append(tr("lost_none", locale))
            return Push("\n".join(lines))
        lines.append(
            tr(
                "lost_total",
                locale,
                count=data.total_count,
                amount=texts.money(data.total_minor, currency, locale),
                change=texts.signed(now_figures.lost - before.lost, locale),
            )
        )
        lines += ["", tr("lost_reasons", locale)]
        for reason in data.reasons[:5]:
            name = (
                reason.reason.pick(locale)
                if isinstance(reason.reason, Name)
                else tr("no_reason", locale)
            )
            lines.append(
                tr(
                    "lost_reason",
                    locale,
                    reason=esc(name),
                    count=reason.count,
                    amount=texts.money(reason.lost_minor, currency, locale),
                )
            )
        if data.stages:
            stage = data.stages[0]
            lines += [
                "",
                tr("lost_stage", locale, stage=esc(stage.stage.pick(locale)), count=stage.count),
            ]
        if data.competitors and data.competitors[0].won_against_us:
            rival = data.competitors[0]
            lines.append(
                tr(
                    "lost_rival",
                    locale,
                    name=esc(rival.name),
                    won=rival.won_against_us,
                    met=rival.met,
                )
            )
        photo = await _chart("lost", result, locale)
        return Push(
            texts.fit(lines, texts.CAPTION_LIMIT if photo else texts.TEXT_LIMIT),
            photo=photo,
            photo_key=_photo_key(*key) if photo else None,
        )

    return await ctx.cached(key, build)


# --- classification changes ---------------------------------------------------------------------


def _pair(abc: str, xyz: str, locale: str) -> str:
    return f"{abc}{xyz}" if abc or xyz else tr("class_none", locale)


@kind("classification", digest="classification", horizon=dt.timedelta(days=2))
async def render_classification(recipient: Recipient, period: str, ctx: JobContext) -> Push | None:
    from services.classification import get_run, list_class_changes

    try:
        run = await get_run(period)
    except DomainError:
        return None
    who = await audience(recipient, ctx)
    locale = recipient.locale
    changes = await ctx.cached(("class_changes", period), lambda: list_class_changes(period))
    if who.owner_ids is not None:
        changes = [c for c in changes if c.main_manager_id in who.owner_ids]
    if not changes:
        return None
    lines = [
        tr(
            "classes",
            locale,
            **{
                "from": texts.date(run.period_from, locale),
                "to": texts.date(run.period_to, locale),
            },
        ),
        who.label(locale),
        "",
        tr("classes_changed", locale, count=len(changes)),
    ]
    for change in changes[:CLASS_LINES]:
        lines.append(
            tr(
                "class_move",
                locale,
                name=esc(change.partner_name),
                before=_pair(change.abc_before, change.xyz_before, locale),
                after=_pair(change.abc_after, change.xyz_after, locale),
            )
        )
    if len(changes) > CLASS_LINES:
        lines.append(tr("more", locale, count=len(changes) - CLASS_LINES))
    return Push(texts.fit(lines, texts.TEXT_LIMIT))


# --- the jobs -----------------------------------------------------------------------------------


async def _timed(ctx: JobContext, job_id: str, digest: str, grace: dt.timedelta) -> JobReport:
    slots = await notifications.list_due_slots(digest, ctx.now, grace, force=ctx.force)
    items = [(slot.recipient, slot.period) for slot in slots]
    return await deliver(ctx, digest, items, JobReport(job_id))


async def send_funnel_daily(ctx: JobContext) -> JobReport:
    return await _timed(ctx, "digests:funnel_daily", "funnel_daily", DAILY_GRACE)


async def send_funnel_weekly(ctx: JobContext) -> JobReport:
    return await _timed(ctx, "digests:funnel_weekly", "funnel_weekly", WEEKLY_GRACE)


async def send_claims_daily(ctx: JobContext) -> JobReport:
    return await _timed(ctx, "digests:claims_daily", "claims_daily", DAILY_GRACE)


async def send_lost_weekly(ctx: JobContext) -> JobReport:
    return await _timed(ctx, "digests:lost_weekly", "lost_weekly", WEEKLY_GRACE)


async def send_classification(ctx: JobContext) -> JobReport:
    """After a scheduled classification: who moved between classes, at the subscriber's next
    local time (once per run)."""
    from services.classification import list_runs

    report = JobReport("digests:classification")
    runs = await list_runs(basis=SCHEDULED_BASIS, method=SCHEDULED_METHOD, limit=1)
    if not runs:
        report.note = "no classification yet"
        return report
    run = runs[0]
    if not ctx.force and ctx.now - run.computed_at > CLASSIFICATION_FRESH:
        return report
    slots = await notifications.list_due_slots(
        "classification", ctx.now, DAILY_GRACE, force=ctx.force
    )
    items = [(s.recipient, run.run_id) for s in slots if ctx.force or s.at >= run.computed_at]
    return await deliver(ctx, "classification", items, report)
