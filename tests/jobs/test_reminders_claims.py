"""Claim notifications pushed by the jobs (what `services.claims.due_claim_notifications` finds):
the responsible person on assignment and when the response time runs out, the client's manager
on registration; once each, and still right when sent later by the retry job."""

from __future__ import annotations

import datetime as dt

from jobs.scheduler import run_job
from models.base import Role
from services.claims import ensure_default_causes, register_claim
from tests.factories import make_employee, make_partner
from tests.fakes.telegram import visible_text
from tests.jobs.conftest import DiesAfter, bot_for

NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


async def _claim():
    author = await make_employee(full_name="Марина Бондаренко")
    responsible = await make_employee(role=Role.HEAD, locale="en")
    manager = await make_employee(locale="en")
    partner = await make_partner(name="ТОВ «Граніт»", main_manager=manager)
    cause = (await ensure_default_causes())[0]
    claim = await register_claim(
        partner_id=partner.id, cause_id=cause.id, description="Бій плитки",
        responsible_id=responsible.id, author_id=author.id,
    )  # fmt: skip
    return claim, author, responsible, manager


def texts(fake, employee) -> list[str]:
    return [visible_text(e.text) for e in fake.history[employee.telegram_id] if e.kind == "send"]


async def test_claim_notifications_go_once_each(db, clock_at, fake_telegram, make_sender):
    clock_at(NOW)
    claim, author, responsible, manager = await _claim()
    sender = make_sender(fake_telegram)
    first = await run_job("reminders:claims", sender)
    again = await run_job("reminders:claims", sender)
    await sender.join()

    assert first.queued == 2 and again.queued == 0
    (assigned,) = texts(fake_telegram, responsible)
    assert assigned.startswith(f"Claim {claim.number} from ТОВ «Граніт» is yours:")
    (registered,) = texts(fake_telegram, manager)
    assert registered.startswith(f"Марина Бондаренко registered claim {claim.number} against")
    assert texts(fake_telegram, author) == []  # it was theirs to register

    clock_at(claim.due_at + dt.timedelta(minutes=1))
    await run_job("reminders:claims", sender)
    await run_job("reminders:claims", sender)
    await sender.join()
    overdue = texts(fake_telegram, responsible)[1:]
    assert len(overdue) == 1 and overdue[0].startswith(f"The response time of claim {claim.number}")


async def test_a_claim_notification_left_unsent_is_rendered_again_by_the_retry_job(
    db, clock_at, fake_telegram, make_sender
):
    clock_at(NOW)
    claim, _author, responsible, manager = await _claim()
    bot = bot_for(fake_telegram)
    dead = DiesAfter(bot, sends=0)  # the process stops before sending anything
    dead.start()
    assert (await run_job("reminders:claims", dead)).queued == 2
    await dead.died.wait()
    await dead.close(timeout=0)
    await bot.session.close()

    clock_at(NOW + dt.timedelta(minutes=2))
    sender = make_sender(fake_telegram)
    assert (await run_job("reminders:claims", sender)).queued == 0  # recorded already
    assert (await run_job("notifications:retry", sender)).queued == 2
    await sender.join()
    assert texts(fake_telegram, responsible)[0].startswith(f"Claim {claim.number} from ТОВ")
    assert texts(fake_telegram, manager)[0].startswith("Марина Бондаренко registered claim")
