"""The rules of the reminders a manager notices: idle deals once per cycle, at most five a day,
silent while snoozed; no default task reminders at night, but a snoozed one rings; a snoozed call
rings again; birthdays on 29 February; a contact through a deal counts for the cadence."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from jobs.scheduler import run_job
from models import Deal, Interaction, Task
from models.base import InteractionKind
from services import notifications
from services.reminders import list_birthdays, list_cadence_due
from tests.factories import load_default_kinds, make_contact, make_deal, make_employee, make_partner
from tests.fakes.telegram import visible_text

UTC = dt.UTC
KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def at_kyiv(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=KYIV).astimezone(UTC)


def pushes(fake, employee) -> list[str]:
    return [visible_text(e.text) for e in fake.history[employee.telegram_id]
            if e.kind in ("send", "photo")]  # fmt: skip


async def test_idle_deals_capped_snoozed_and_once_per_cycle(
    db, clock_at, fake_telegram, make_sender
):
    """Stage "new" rots after 3 days: deals idle since the 10th are reminded from the 13th, at
    most five a day, once per 3-day cycle; a snoozed one waits; activity ends the reminders."""
    clock_at(at_kyiv(10, 9))
    await load_default_kinds()
    manager = await make_employee()
    idle = [await make_deal(owner=manager, title=f"Угода {n}") for n in range(7)]
    sender = make_sender(fake_telegram, chat_interval=0.01)

    async def day(number: int) -> list[str]:
        seen = len(pushes(fake_telegram, manager))
        clock_at(at_kyiv(number, 10))  # the manager's 10:00
        await run_job("reminders:rotting", sender)
        await sender.join()
        return [re.search(r"Угода \d", t).group() for t in pushes(fake_telegram, manager)[seen:]]

    clock_at(at_kyiv(13, 10))
    await notifications.snooze_deal_reminders(manager.id, idle[0].id, days=3)
    assert await day(13) == [f"Угода {n}" for n in range(1, 6)]  # five; the snoozed one waits
    assert await day(14) == ["Угода 6"]  # the one left over
    assert await day(15) == []  # all reminded in this cycle
    # the 16th: a new cycle (6 days idle) and the snooze is over
    assert await day(16) == [f"Угода {n}" for n in range(5)]
    await Deal.filter(id=idle[5].id).update(last_activity_at=at_kyiv(16, 12))
    assert await day(17) == ["Угода 6"]  # deal 5 had activity: no longer idle


async def test_task_reminders_keep_quiet_at_night_unless_snoozed_to_then(
    db, clock_at, fake_telegram, make_sender
):
    clock_at(at_kyiv(26, 12))
    manager = await make_employee()
    early = await Task.create(title="Ранній дзвінок", performer=manager, due_at=at_kyiv(27, 7))
    snoozed = await Task.create(title="Нагадай уночі", performer=manager, due_at=at_kyiv(27, 9),
                                remind_at=at_kyiv(26, 23))  # fmt: skip
    sender = make_sender(fake_telegram, chat_interval=0.01)
    for moment in (at_kyiv(26, 23), at_kyiv(27, 6), at_kyiv(27, 7)):
        clock_at(moment)
        await run_job("reminders:tasks", sender)
    await sender.join()
    got = pushes(fake_telegram, manager)
    assert len(got) == 1 and "Нагадай уночі" in got[0]  # asked for: rings at 23:00
    assert early.id != snoozed.id


async def test_a_snoozed_call_rings_again(db, clock_at, fake_telegram, make_sender):
    clock_at(at_kyiv(27, 10, 45))
    manager = await make_employee(locale="en")
    call = await Interaction.create(kind=InteractionKind.CALL, subject="Prices", owner=manager,
                                    starts_at=at_kyiv(27, 11), done=False)  # fmt: skip
    sender = make_sender(fake_telegram, chat_interval=0.01)
    await run_job("reminders:interactions", sender)
    await Interaction.filter(id=call.id).update(snoozed_until=at_kyiv(27, 10, 55))
    clock_at(at_kyiv(27, 10, 55))
    await run_job("reminders:interactions", sender)
    await run_job("reminders:interactions", sender)  # the same tick twice: still once
    await sender.join()
    got = pushes(fake_telegram, manager)
    assert got == ["📞 Call at 11:00\nPrices", "📞 Call at 11:00\nPrices"]


async def test_birthdays_on_29_february_fall_on_28_february(db):
    manager = await make_employee()
    partner = await make_partner(main_manager=manager)
    leap = await make_contact(partner, full_name="Лютий", birthday=dt.date(1996, 2, 29))
    await make_contact(partner, full_name="Колишній", birthday=dt.date(1990, 2, 28),
                       active_to=dt.date(2026, 1, 1))  # fmt: skip
    found = await list_birthdays([dt.date(2027, 2, 28)])
    assert [b.contact_id for b in found] == [leap.id]
    assert await list_birthdays([dt.date(2028, 2, 28)]) == []  # a leap year: on the 29th
    assert [b.contact_id for b in await list_birthdays([dt.date(2028, 2, 29)])] == [leap.id]


async def test_a_call_on_a_deal_counts_as_contact_for_the_cadence(db, clock_at):
    clock_at(at_kyiv(27, 10))
    await load_default_kinds()
    manager = await make_employee()
    partner = await make_partner(main_manager=manager, contact_cadence_days=7,
                                 created_at=at_kyiv(1, 10))  # fmt: skip
    assert [d.partner_id for d in await list_cadence_due(at_kyiv(27, 10))] == [partner.id]
    deal = await make_deal(owner=manager, partner=partner)
    await Interaction.create(kind=InteractionKind.CALL, owner=manager, deal=deal, done=True,
                             starts_at=at_kyiv(25, 12))  # fmt: skip
    assert await list_cadence_due(at_kyiv(27, 10)) == []
    (due,) = await list_cadence_due(at_kyiv(27, 10) + dt.timedelta(days=6))
    assert due.last_contact_at == at_kyiv(25, 12) and due.cycle == 1
