"""Tasks, clicked through: my lists, the card, complete with a result (echoed first; a guided
route's task refused with the missing checks), snooze, cancel, reassign by a head; forged ids."""

from __future__ import annotations

import datetime as dt

from models import Task
from models.base import TaskStatus
from models.employee import Team
from services.tasks import create_task
from tests.bot.conftest import buttons, click, forge_click, swap_item_id
from tests.factories import load_default_kinds, make_deal, make_employee, make_partner

MINE = (
    "bot.dialogs.menu.dialog",
    "bot.dialogs.settings.dialog",
    "bot.dialogs.deal_card.dialog",
    "bot.dialogs.tasks.dialog",
)


async def _typed(harness, client, text: str):
    harness.mm.reset_history()
    await client.send(text)
    return harness.mm.last_message()


async def _open_tasks(harness):
    """Olena (Telegram id 1) opens Tasks from the main menu: her client and today's tasks."""
    client = harness.client(1)
    await client.send("/menu")
    return client, await click(harness, client, "Tasks")


async def _setup(make_harness, clock, *, role: str = "manager"):
    harness = make_harness(features=MINE)
    team = await Team.create(name="Київ")
    me = await make_employee(telegram_id=1, locale="en", role=role, team=team, full_name="Olena")
    mate = await make_employee(telegram_id=2, locale="en", team=team, full_name="Petro")
    other = await make_employee(telegram_id=3, locale="en", full_name="Stranger")
    today = await create_task(
        title="Передзвонити <Альфі>", performer_id=me.id, due_at=clock + dt.timedelta(hours=2)
    )
    late = await create_task(
        title="Надіслати КП", performer_id=me.id, due_at=clock - dt.timedelta(hours=20)
    )
    later = await create_task(
        title="Зустріч", performer_id=me.id, due_at=clock + dt.timedelta(days=3)
    )
    foreign = await create_task(title="Чуже", performer_id=other.id, due_at=clock)
    return harness, me, mate, {"today": today, "late": late, "later": later, "foreign": foreign}


async def test_my_tasks_by_day_and_completing_one_with_a_result(make_harness, frozen_clock):
    harness, _me, _mate, tasks = await _setup(make_harness, frozen_clock)
    client = harness.client(1)
    await client.send("/menu")

    today = await click(harness, client, "Tasks")
    assert today.text.startswith("<b>My tasks</b>: Today")
    assert buttons(today)[:4] == ["• Today", "Overdue", "Upcoming", "▫️ 13:00 Передзвонити <Альфі>"]
    overdue = await click(harness, client, "Overdue")
    assert "🔥 26.11.2026 15:00 Надіслати КП" in buttons(overdue)
    upcoming = await click(harness, client, "Upcoming")
    assert "▫️ 30.11.2026 11:00 Зустріч" in buttons(upcoming)
    assert not [b for b in buttons(upcoming) if "Чуже" in b]

    await click(harness, client, "• Upcoming")
    await click(harness, client, "Today")
    card = await click(harness, client, "Передзвонити")
    assert card.text.split("\n")[:4] == [
        "<b>Передзвонити &lt;Альфі&gt;</b>",
        "Status: To do",
        "⏳ 27.11.2026 13:00",
        "👤 Olena",
    ]
    assert "👤 Reassign" not in buttons(card)  # managers do not reassign
    prompt = await click(harness, client, "Complete")
    said = await _typed(harness, client, "  ")
    assert "⚠️ Result: is required" in said.text
    said = await _typed(harness, client, "я" * 4001)
    assert "⚠️ Result: is too long (at most 4000 characters)" in said.text
    echoed = await _typed(harness, client, "Домовились на <п'ятницю>")
    assert "Complete the task with this result?\n📝 Домовились на &lt;п'ятницю&gt;" in echoed.text
    assert (await Task.get(id=tasks["today"].id)).status == TaskStatus.OPEN
    done = await click(harness, client, "Complete")
    assert "✅ The task is done." in done.text and "Status: Completed" in done.text
    task = await Task.get(id=tasks["today"].id)
    assert (task.status, task.result) == (TaskStatus.DONE, "Домовились на <п'ятницю>")
    assert prompt is not None


async def test_a_route_task_is_refused_with_the_missing_checks(make_harness, frozen_clock):
    harness = make_harness(features=MINE)
    await load_default_kinds()
    me = await make_employee(telegram_id=1, locale="en")
    deal = await make_deal(owner=me, partner=await make_partner(), kind_code="typical_sale")
    route_task = await Task.get(deal_id=deal.id, status=TaskStatus.OPEN)
    client, _ = await _open_tasks(harness)
    await click(harness, client, "Upcoming")
    await click(harness, client, route_task.title)
    await click(harness, client, "Complete")
    await _typed(harness, client, "Поговорили")
    refused = await click(harness, client, "Complete")

    assert (
        "⚠️ The stage cannot be finished yet. Missing: a completed (not planned) interaction "
        "with the client" in refused.text
    )
    assert "The task stays open" in refused.text
    assert (await Task.get(id=route_task.id)).status == TaskStatus.OPEN


async def test_snoozing_to_tomorrow_morning_and_by_an_hour(make_harness, frozen_clock):
    harness, _me, _mate, tasks = await _setup(make_harness, frozen_clock)
    client, _ = await _open_tasks(harness)
    await click(harness, client, "Передзвонити")
    choices = await click(harness, client, "Snooze")
    assert buttons(choices)[:3] == ["+1 hour", "+3 hours", "Tomorrow 9:00"]
    card = await click(harness, client, "Tomorrow 9:00")
    assert "⏰ I will remind you at 28.11.2026 09:00." in card.text
    task = await Task.get(id=tasks["today"].id)
    assert task.remind_at == dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC)

    await click(harness, client, "Snooze")
    await click(harness, client, "+1 hour")
    task = await Task.get(id=tasks["today"].id)
    assert task.remind_at == frozen_clock + dt.timedelta(hours=1)


async def test_cancelling_a_task(make_harness, frozen_clock):
    harness, _me, _mate, tasks = await _setup(make_harness, frozen_clock)
    client, _ = await _open_tasks(harness)
    await click(harness, client, "Передзвонити")
    question = await click(harness, client, "Cancel the task")
    assert "Cancel this task?" in question.text
    card = await click(harness, client, "Yes, cancel it")
    assert "🚫 The task is cancelled." in card.text
    assert (await Task.get(id=tasks["today"].id)).status == TaskStatus.CANCELLED


async def test_a_head_reassigns_to_a_team_member_only(make_harness, frozen_clock):
    harness, me, mate, tasks = await _setup(make_harness, frozen_clock, role="head")
    client, _ = await _open_tasks(harness)
    await click(harness, client, "Передзвонити")
    people = await click(harness, client, "Reassign")
    assert buttons(people)[:1] == ["Petro"] and "Stranger" not in buttons(people)
    data = people.reply_markup.inline_keyboard[0][0].callback_data
    harness.mm.reset_history()
    stranger_id = tasks["foreign"].performer_id
    callback_id = await forge_click(client, people, swap_item_id(data, mate.id, stranger_id))
    assert harness.fake.answered[callback_id]["text"] == "You do not have access to this."
    assert (await Task.get(id=tasks["today"].id)).performer_id == me.id

    card = await click(harness, client, "Petro", people)
    assert "👤 The task is handed to Petro." in card.text
    assert (await Task.get(id=tasks["today"].id)).performer_id == mate.id


async def test_forged_task_ids_open_and_change_nothing(make_harness, frozen_clock):
    harness, _me, _mate, tasks = await _setup(make_harness, frozen_clock)
    client, listing = await _open_tasks(harness)
    row = next(r for r in listing.reply_markup.inline_keyboard if "Передзвонити" in r[0].text)
    data = row[0].callback_data
    harness.mm.reset_history()

    foreign = tasks["foreign"]
    callback_id = await forge_click(
        client, listing, swap_item_id(data, tasks["today"].id, foreign.id)
    )
    assert harness.fake.answered[callback_id]["text"] == "You do not have access to this."
    assert not [m for m in harness.mm.sent_messages if m.text and "Чуже" in m.text]

    # a manager's forged Reassign press on their own task's card
    card = await click(harness, client, "Передзвонити", listing)
    reassign = card.reply_markup.inline_keyboard[0][0].callback_data.replace("complete", "reassign")
    harness.mm.reset_history()
    await forge_click(client, card, reassign)
    assert not [m for m in harness.mm.sent_messages if m.text and "Hand the task to" in m.text]
    assert (await Task.get(id=foreign.id)).status == TaskStatus.OPEN
