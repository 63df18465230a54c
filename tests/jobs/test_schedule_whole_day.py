"""A whole schedule day on a frozen clock: the scheduler's every-minute jobs ticked from Kyiv's
midnight to the end of New York's day, and who gets what, when, in which language and time zone.
Ticking the same day again (a restart) sends nothing more."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

import pytest

from core import clock
from jobs.callbacks import DealNudge, MeetingNudge, PartnerNudge, TaskNudge
from jobs.registry import JOBS
from jobs.scheduler import run_job
from models import Claim, ClaimCause, Interaction, Task, Team
from models.base import ClaimStatus, InteractionKind, Role, TaskStatus
from services import deals, notifications
from tests.factories import load_default_kinds, make_contact, make_deal, make_employee, make_partner
from tests.fakes.telegram import visible_text

UTC = dt.UTC
KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
FIRST_TICK = dt.datetime(2026, 11, 26, 22, 0, tzinfo=UTC)  # 00:00 on Friday 27.11 in Kyiv
LAST_TICK = dt.datetime(2026, 11, 28, 5, 0, tzinfo=UTC)  # 00:00 on Saturday in New York
STEP = dt.timedelta(minutes=15)


def kyiv(hour: int, minute: int = 0, day: int = 27) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=KYIV).astimezone(UTC)


@dataclass
class Received:
    at: dt.datetime  # the tick that sent it (UTC)
    kind: str  # send / photo
    text: str  # as the user sees it
    buttons: list[str]  # callback data

    def local(self, zone: zoneinfo.ZoneInfo) -> str:
        return self.at.astimezone(zone).strftime("%d %H:%M")


@pytest.fixture
async def company(db):
    """Two teams; an admin, two heads, three managers in three time zones; a day's work."""
    with clock.simulated(dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)):
        await load_default_kinds()
        kyiv_team = await Team.create(name="Київ — оптові продажі")
        lviv_team = await Team.create(name="Львів")
        people = {
            "admin": await make_employee(role=Role.ADMIN, locale="en", full_name="Olena Admin"),
            "head_kyiv": await make_employee(role=Role.HEAD, team=kyiv_team),
            "head_lviv": await make_employee(role=Role.HEAD, team=lviv_team, locale="en",
                                             timezone="Asia/Tokyo"),
            "m1": await make_employee(team=kyiv_team, full_name="Марина Бондаренко"),
            "m2": await make_employee(team=kyiv_team, locale="en", timezone="America/New_York"),
            "m3": await make_employee(team=lviv_team),
            "gone": await make_employee(team=kyiv_team, active=False),
        }  # fmt: skip
        m1 = people["m1"]
        client = await make_partner(name="ТОВ «Граніт»", main_manager=m1)
        await make_contact(client, full_name="Олег Мороз", position="Директор",
                           birthday=dt.date(1980, 11, 27))  # fmt: skip
        await make_partner(
            name="ТОВ «Оселя»",
            main_manager=m1,
            contact_cadence_days=14,
            created_at=dt.datetime(2026, 10, 1, tzinfo=UTC),
        )  # never contacted
        idle = await make_deal(owner=m1, partner=client, title="Цемент на склад",
                               potential_minor=1_250_000)  # fmt: skip
    with clock.simulated(kyiv(10, day=26)):
        won = await make_deal(owner=m1, title="Гіпсокартон", potential_minor=500_000)
        await deals.mark_won(won.id, actor_id=m1.id)
        await make_deal(owner=people["m3"], title="Профіль")
        cause = await ClaimCause.create(code="damage", name_uk="Пошкодження", name_en="Damage")
        await Claim.create(number="P-1", partner=client, cause=cause, description="Бій",
                           responsible=m1, registered_at=kyiv(11, day=26),
                           due_at=kyiv(11, day=29), status=ClaimStatus.REGISTERED)  # fmt: skip
    await Task.create(title="Передзвонити щодо знижки", performer=m1, due_at=kyiv(15),
                      deal_id=idle.id)  # fmt: skip
    await Interaction.create(kind=InteractionKind.CALL, subject="Узгодити графік", owner=m1,
                             starts_at=kyiv(11), done=False, partner=client)  # fmt: skip
    await Task.create(title="Send the price list", performer=people["m2"],
                      due_at=dt.datetime(2026, 11, 27, 10, 0, tzinfo=NEW_YORK))  # fmt: skip
    await Task.create(title="Звіт", performer=people["m3"], due_at=kyiv(12, day=26))
    await Task.create(title="Old", performer=people["gone"], due_at=kyiv(16))
    # settings: M1 wants their own figures at 18:00; the Kyiv head the weekly one on Friday;
    # M3 does not want the morning plan
    await notifications.set_subscription(m1.id, "funnel_daily", muted=False, local_time="18:00")
    await notifications.set_subscription(people["head_kyiv"].id, "funnel_weekly", weekday=4,
                                         local_time="17:00")  # fmt: skip
    await notifications.set_subscription(people["m3"].id, "my_day", muted=True)
    return people


async def tick_through(fake, sender, start: dt.datetime, end: dt.datetime) -> dict[int, list]:
    """Run every job at each tick as the scheduler would (the hourly one on the hour)."""
    seen = {chat: len(events) for chat, events in fake.history.items()}
    received: dict[int, list[Received]] = {}
    moment = start
    while moment <= end:
        clock.freeze(moment)
        for job in JOBS:
            if job.schedule == "hourly" and moment.minute != 0:
                continue
            await run_job(job.id, sender, now=moment)
        await sender.join()
        for chat, events in fake.history.items():
            for event in events[seen.get(chat, 0) :]:
                if event.kind in ("send", "photo"):
                    data = [b["callback_data"] for row in event.buttons for b in row]
                    received.setdefault(chat, []).append(
                        Received(moment, event.kind, visible_text(event.text), data)
                    )
            seen[chat] = len(events)
        moment += STEP
    return received


def first_lines(messages: list[Received], zone: zoneinfo.ZoneInfo) -> list[tuple[str, str]]:
    return [(m.local(zone), m.text.splitlines()[0]) for m in messages]


async def test_a_whole_day_of_pushes(company, fake_telegram, make_sender):
    sender = make_sender(fake_telegram, chat_interval=0.01)
    got = await tick_through(fake_telegram, sender, FIRST_TICK, LAST_TICK)
    people = company

    admin = got[people["admin"].telegram_id]
    assert first_lines(admin, KYIV) == [
        ("27 09:00", "📊 Sales, 26.11.2026"),
        ("27 09:30", "📮 Claims, 26.11.2026"),
    ]
    assert admin[0].kind == "photo" and "Whole company" in admin[0].text
    assert "Won: 1 for 5,000.00 UAH (+1)" in admin[0].text
    assert "New deals: 2 (+2)" in admin[0].text  # both teams

    head_kyiv = got[people["head_kyiv"].telegram_id]
    assert first_lines(head_kyiv, KYIV) == [
        ("27 09:00", "📊 Продажі, 26.11.2026"),
        ("27 09:30", "📮 Претензії, 26.11.2026"),
        ("27 17:00", "📊 Продажі, тиждень 16.11.2026 – 22.11.2026"),
    ]
    daily = head_kyiv[0].text
    assert "Команда: Київ — оптові продажі" in daily
    assert "Нові угоди: 1 (+1)" in daily  # only the Kyiv team's deal
    assert "Виграно: 1 на 5\u00a0000,00\u00a0грн (+1)" in daily
    assert "Зважена воронка:" in daily and head_kyiv[0].kind == "photo"
    claims = head_kyiv[1].text
    assert "Нові: 1" in claims and "• Пошкодження: 1" in claims

    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    head_lviv = got[people["head_lviv"].telegram_id]
    assert first_lines(head_lviv, tokyo) == [
        ("27 09:00", "📊 Sales, 26.11.2026"),
        ("28 09:00", "📊 Sales, 27.11.2026"),
    ]
    assert "Team: Львів" in head_lviv[0].text and "New deals: 1 (+1)" in head_lviv[0].text

    m1 = got[people["m1"].telegram_id]
    assert first_lines(m1, KYIV) == [
        ("27 08:30", "☀️ Ваш день, 27.11.2026"),
        ("27 09:00", "🎂 Сьогодні дні народження"),
        ("27 10:00", "💤 Угода без активності 6 днів"),
        ("27 10:00", "📇 Час зв'язатися з ТОВ «Оселя»"),
        ("27 10:45", "📞 Дзвінок о 11:00"),
        ("27 14:00", "⏰ Завдання на 15:00"),
        ("27 15:00", "❗ Завдання прострочене (строк 15:00)"),
        ("27 18:00", "📊 Продажі, 26.11.2026"),
    ]
    my_day = m1[0].text
    assert "1 завдання на сьогодні:" in my_day and "• 15:00 Передзвонити щодо знижки" in my_day
    assert "• 11:00 📞 Узгодити графік · ТОВ «Граніт»" in my_day
    assert "💤 1 угода без активності" in my_day
    assert "Олег Мороз (ТОВ «Граніт»)" in my_day
    assert "Олег Мороз, Директор (ТОВ «Граніт»)" in m1[1].text
    assert {DealNudge.unpack(d).action for d in m1[2].buttons} == {"call", "snooze", "lost", "open"}
    assert {PartnerNudge.unpack(d).action for d in m1[3].buttons} == {"call", "open"}
    assert {MeetingNudge.unpack(d).action for d in m1[4].buttons} == {"done", "snooze", "open"}
    assert {TaskNudge.unpack(d).action for d in m1[5].buttons} == {"done", "snooze", "open"}
    assert "Ваші угоди" in m1[7].text
    assert all(len(d.encode()) <= 64 for m in m1 for d in m.buttons)

    m2 = got[people["m2"].telegram_id]
    assert first_lines(m2, NEW_YORK) == [
        ("27 08:30", "☀️ Your day, 27.11.2026"),
        ("27 09:00", "⏰ Task due at 10:00"),
        ("27 10:00", "❗ Task overdue (due 10:00)"),
    ]
    assert "1 task for today:" in m2[0].text and "• 10:00 Send the price list" in m2[0].text

    assert people["m3"].telegram_id not in got  # muted the morning plan; nothing else due
    assert people["gone"].telegram_id not in got  # inactive

    # ticking the same day again (a restart of the scheduler) sends nothing more
    again = await tick_through(fake_telegram, sender, kyiv(8), kyiv(18))
    assert again == {}


async def test_a_task_done_before_its_reminder_is_not_reminded(company, fake_telegram,
                                                               make_sender):  # fmt: skip
    sender = make_sender(fake_telegram, chat_interval=0.01)
    m1 = company["m1"]
    await Task.filter(performer_id=m1.id).update(status=TaskStatus.DONE)
    got = await tick_through(fake_telegram, sender, kyiv(13, 45), kyiv(15, 15))
    texts = [m.text for m in got.get(m1.telegram_id, [])]
    assert not any(re.search("Завдання", t) for t in texts)
