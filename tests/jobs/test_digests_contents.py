"""What the digests say, checked against the database and the analytics reports: a head sees the
team's figures, an admin everyone's, a manager their own; the weighted pipeline and the bottleneck
are the reports'; the claims, lost-deals and classification digests count what happened."""

from __future__ import annotations

import datetime as dt
import re

from core import clock
from core.i18n import format_money
from jobs.scheduler import run_job
from models import Claim, ClaimCause, Deal, Employee
from models.base import ClaimStatus, DealStatus, Role
from services.analytics import ReportParams, make_period, run_report
from services.analytics.export import format_ratio
from tests.analytics_data import DEFAULT_NOW, generate
from tests.factories import make_employee, make_partner
from tests.fakes.telegram import visible_text

WEEK = make_period(dt.date(2026, 11, 16), dt.date(2026, 11, 22), "Europe/Kyiv")


def caption(fake, employee) -> str:
    (event,) = [e for e in fake.history[employee.telegram_id] if e.kind in ("send", "photo")]
    return visible_text(event.text)


def number_after(label: str, text: str) -> int:
    match = re.search(re.escape(label) + r" (\d+)", text)
    assert match, (label, text)
    return int(match.group(1))


async def _week_figures(owner_ids: list[int] | None) -> tuple[int, int, int]:
    query = Deal.all() if owner_ids is None else Deal.filter(owner_id__in=owner_ids)
    started = await query.filter(started_at__gte=WEEK.start, started_at__lt=WEEK.end).count()
    won = query.filter(status=DealStatus.WON, ended_at__gte=WEEK.start, ended_at__lt=WEEK.end)
    won_minor = sum(await won.values_list("potential_minor", flat=True))
    return started, await won.count(), won_minor


async def test_weekly_funnel_digest_matches_the_database_and_the_reports(
    db, fake_telegram, make_sender
):
    ds = await generate(seed=7, deals=400)
    clock.freeze(DEFAULT_NOW)
    try:
        await Employee.filter(id=ds.admin).update(locale="en")
        sender = make_sender(fake_telegram)
        report = await run_job("digests:funnel_weekly", sender, force=True)
        await sender.join()
    finally:
        clock.unfreeze()
    assert report.queued == len(ds.sellers) + 1 and report.failed == 0

    head = await Employee.get(id=ds.heads[0])
    team = await Employee.filter(team_id=head.team_id).values_list("id", flat=True)
    text = caption(fake_telegram, head)
    started, won, won_minor = await _week_figures(list(team))
    assert number_after("Нові угоди:", text) == started
    assert f"Виграно: {won} на {format_money(won_minor)}" in text

    clock.freeze(DEFAULT_NOW)
    try:
        forecast = await run_report(
            "forecast", ReportParams(viewer_id=head.id, viewer_role=Role.HEAD)
        )
        window = make_period(dt.date(2026, 8, 24), dt.date(2026, 11, 22), "Europe/Kyiv")
        funnel = await run_report("funnel", ReportParams(
            viewer_id=head.id, viewer_role=Role.HEAD, date_from=window.date_from,
            date_to=window.date_to))  # fmt: skip
    finally:
        clock.unfreeze()
    assert f"Зважена воронка: {format_money(forecast.data.total.expected_minor)}" in text
    rates = [s for k in funnel.data.kinds for s in k.stages if "lowest_pass_rate" in s.flags]
    worst = min(rates, key=lambda s: s.conversion)
    assert f"Вузьке місце: {worst.name.uk}, проходить {format_ratio(worst.conversion, 'uk')}" in (
        text
    )
    photos = [e for e in fake_telegram.history[head.telegram_id] if e.kind == "photo"]
    assert photos[0].params["content"].startswith(b"\x89PNG")
    assert len(text) <= 1024

    admin_text = caption(fake_telegram, await Employee.get(id=ds.admin))
    assert "Whole company" in admin_text
    assert number_after("New deals:", admin_text) == (await _week_figures(None))[0]

    manager = await Employee.get(id=ds.managers[0])
    own = caption(fake_telegram, manager)
    assert "Ваші угоди" in own
    assert number_after("Нові угоди:", own) == (await _week_figures([manager.id]))[0]


async def test_claims_digest_counts_statuses_and_causes(db, clock_at, fake_telegram, make_sender):
    moment = dt.datetime(2026, 11, 27, 7, 30, tzinfo=dt.UTC)  # 09:30 in Kyiv
    clock_at(moment)
    head = await make_employee(role=Role.HEAD)
    partner = await make_partner()
    damage = await ClaimCause.create(code="damage", name_uk="Пошкодження", name_en="Damage")
    short = await ClaimCause.create(code="short", name_uk="Недовкладення", name_en="Short")
    yesterday = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    rows = [
        (damage, ClaimStatus.REGISTERED, yesterday, moment + dt.timedelta(days=2), None),
        (damage, ClaimStatus.IN_PROCESSING, yesterday, moment - dt.timedelta(hours=1), None),
        (short, ClaimStatus.IN_PROCESSING, yesterday - dt.timedelta(days=5), None, None),
        (short, ClaimStatus.SATISFIED, yesterday - dt.timedelta(days=9), None, yesterday),
        (short, ClaimStatus.NOT_SATISFIED, yesterday - dt.timedelta(days=9), None,
         yesterday - dt.timedelta(days=3)),
    ]  # fmt: skip
    for n, (cause, status, registered, due, closed) in enumerate(rows):
        await Claim.create(number=f"P-{n}", partner=partner, cause=cause, description="…",
                           responsible=head, status=status, registered_at=registered,
                           due_at=due, closed_at=closed)  # fmt: skip
    sender = make_sender(fake_telegram)
    await run_job("digests:claims_daily", sender)
    await sender.join()
    text = caption(fake_telegram, head)
    assert text.splitlines()[0] == "📮 Претензії, 26.11.2026"
    assert "Нові: 2" in text
    assert "Відкриті: 3 (очікують: 1, в обробці: 2)" in text
    assert "Прострочені: 1" in text
    assert "Розглянуто: 1 (задоволено: 1, не задоволено: 0)" in text
    assert "• Пошкодження: 2" in text and "Недовкладення" not in text.split("Причини")[1]


async def test_lost_weekly_digest_follows_the_lost_deals_report(db, fake_telegram, make_sender):
    ds = await generate(seed=11, deals=400)
    clock.freeze(DEFAULT_NOW)
    try:
        sender = make_sender(fake_telegram)
        await run_job("digests:lost_weekly", sender, force=True)
        await sender.join()
        admin = await Employee.get(id=ds.admin)
        result = await run_report("lost", ReportParams(date_from=WEEK.date_from,
                                                       date_to=WEEK.date_to))  # fmt: skip
    finally:
        clock.unfreeze()
    text = caption(fake_telegram, admin)
    assert text.splitlines()[0] == "📉 Програні угоди, 16.11.2026 – 22.11.2026"
    data = result.data
    if data.total_count:
        assert f"Програно: {data.total_count} на {format_money(data.total_minor)}" in text
        assert f"• {data.reasons[0].reason.uk}: {data.reasons[0].count}," in text
    else:
        assert "Цього тижня жодної угоди не програно." in text


async def test_classification_digest_lists_the_team_clients_that_moved(
    db, fake_telegram, make_sender
):
    from services.classification import classify_clients, list_class_changes

    ds = await generate(seed=5, deals=400)
    for month_end in (dt.date(2026, 9, 30), dt.date(2026, 10, 31)):
        with clock.simulated(dt.datetime.combine(month_end + dt.timedelta(days=1),
                                                 dt.time(3), tzinfo=dt.UTC)):  # fmt: skip
            run = await classify_clients(period_to=month_end)
    changes = await list_class_changes(run.run_id)
    head = await Employee.get(id=ds.heads[0])
    team = set(await Employee.filter(team_id=head.team_id).values_list("id", flat=True))
    mine = [c for c in changes if c.main_manager_id in team]
    assert changes and mine  # the data has movers

    clock.freeze(dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC))  # 10:00 in Kyiv
    try:
        sender = make_sender(fake_telegram)
        report = await run_job("digests:classification", sender)
        await sender.join()
        again = await run_job("digests:classification", sender)
    finally:
        clock.unfreeze()
    text = caption(fake_telegram, head)
    assert text.splitlines()[0] == "🔤 Класи клієнтів (ABC/XYZ), 01.08.2026 – 31.10.2026"
    assert f"Клієнтів, що змінили клас: {len(mine)}" in text
    assert report.queued >= 3 and again.queued == 0
    admin_text = caption(fake_telegram, await Employee.get(id=ds.admin))
    assert f"Клієнтів, що змінили клас: {len(changes)}" in admin_text
