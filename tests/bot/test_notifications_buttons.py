"""Buttons on pushed reminders (jobs/callbacks.py): each re-checks access on the server, then
calls one service or opens the dialog; forged ids of another manager's objects change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from aiogram.types import Message

from jobs.callbacks import DealNudge, MeetingNudge, NudgeAction, PartnerNudge, TaskNudge
from models import Interaction, Task
from models.base import TaskStatus
from services.interactions import log_interaction
from services.notifications import list_snoozed_deals
from services.tasks import create_task
from tests.bot.conftest import CORE_FEATURES, forge_click
from tests.factories import load_default_kinds, make_deal, make_employee, make_partner

FEATURES = (
    *CORE_FEATURES,
    "bot.dialogs.deal_card.dialog",
    "bot.dialogs.partners.dialog",
    "bot.dialogs.log_interaction.dialog",
    "bot.dialogs.tasks.dialog",
)
DENIED = "You do not have access to this."


@pytest.fixture
def harness(make_harness, monkeypatch):
    import bot.app

    monkeypatch.setattr(
        bot.app, "BEFORE_DIALOGS", (*bot.app.BEFORE_DIALOGS, "bot.handlers.notifications")
    )
    return make_harness(features=FEATURES)


async def _world(frozen_clock):
    await load_default_kinds()
    me = await make_employee(telegram_id=1, locale="en")
    other = await make_employee(telegram_id=2, locale="en")
    partner = await make_partner(name="ТОВ «Альфа»", main_manager=me)
    mine = await make_deal(owner=me, partner=partner, title="Моя угода")
    foreign = await make_deal(owner=other, title="Чужа угода")
    my_task = await create_task(title="Моє", performer_id=me.id, due_at=frozen_clock)
    foreign_task = await create_task(title="Чуже", performer_id=other.id, due_at=frozen_clock)
    meeting = await log_interaction(
        kind="meeting",
        owner_id=me.id,
        deal_id=mine.id,
        done=False,
        starts_at=frozen_clock + dt.timedelta(minutes=15),
    )
    return me, other, mine, foreign, my_task, foreign_task, meeting


async def press(harness, client, data) -> tuple[str, list[Message]]:
    pushed = Message(
        message_id=999, date=dt.datetime(2026, 11, 27), chat=client.chat, text="reminder"
    )
    harness.mm.reset_history()
    packed = data.pack()
    assert len(packed.encode()) <= 64
    callback_id = await forge_click(client, pushed, packed)
    return harness.fake.answered.get(callback_id, {}).get("text", ""), harness.mm.sent_messages


async def test_deal_buttons_snooze_open_and_log_a_call(harness, frozen_clock):
    me, _other, mine, _foreign, *_ = await _world(frozen_clock)
    client = harness.client(1)

    said, _ = await press(
        harness, client, DealNudge(action=NudgeAction.SNOOZE, deal_id=mine.id, days=3)
    )
    assert said == "No reminders about this deal until 30.11.2026 11:00."
    assert (me.id, mine.id) in await list_snoozed_deals(frozen_clock)

    _, shown = await press(harness, client, DealNudge(action=NudgeAction.OPEN, deal_id=mine.id))
    assert mine.number in shown[-1].text

    _, shown = await press(harness, client, DealNudge(action=NudgeAction.CALL, deal_id=mine.id))
    assert shown[-1].text.startswith(f"<b>Log a call</b>\n💼 {mine.number} Моя угода")
    assert "Has it taken place, or is it planned?" in shown[-1].text


@pytest.mark.parametrize("action", list(NudgeAction))
async def test_forged_deal_buttons_are_refused(harness, frozen_clock, action):
    _me, _other, _mine, foreign, *_ = await _world(frozen_clock)
    said, shown = await press(
        harness, harness.client(1), DealNudge(action=action, deal_id=foreign.id, days=3)
    )
    assert said == DENIED
    assert not [m for m in shown if m.text and "Чужа угода" in m.text]
    assert await list_snoozed_deals(frozen_clock) == set()


async def test_task_buttons_and_a_forged_task(harness, frozen_clock):
    _me, _other, _mine, _foreign, my_task, foreign_task, _ = await _world(frozen_clock)
    client = harness.client(1)

    said, _ = await press(
        harness, client, TaskNudge(action=NudgeAction.SNOOZE, task_id=my_task.id, minutes=60)
    )
    assert said == "I will remind you at 27.11.2026 12:00."
    assert (await Task.get(id=my_task.id)).remind_at == frozen_clock + dt.timedelta(hours=1)

    _, shown = await press(harness, client, TaskNudge(action=NudgeAction.OPEN, task_id=my_task.id))
    assert shown[-1].text.startswith("<b>Моє</b>")

    said, _ = await press(harness, client, TaskNudge(action=NudgeAction.DONE, task_id=my_task.id))
    assert said == "The task is done."
    assert (await Task.get(id=my_task.id)).status == TaskStatus.DONE

    for action in (NudgeAction.DONE, NudgeAction.SNOOZE, NudgeAction.OPEN):
        said, shown = await press(
            harness, client, TaskNudge(action=action, task_id=foreign_task.id, minutes=60)
        )
        assert said == DENIED
        assert not [m for m in shown if m.text and "Чуже" in m.text]
    untouched = await Task.get(id=foreign_task.id)
    assert (untouched.status, untouched.remind_at) == (TaskStatus.OPEN, None)


async def test_meeting_and_partner_buttons(harness, frozen_clock):
    _me, _other, mine, _foreign, _, _, meeting = await _world(frozen_clock)
    client = harness.client(1)
    said, _ = await press(
        harness,
        client,
        MeetingNudge(action=NudgeAction.SNOOZE, interaction_id=meeting.id, minutes=10),
    )
    assert said == "I will remind you at 27.11.2026 11:10."
    snoozed = await Interaction.get(id=meeting.id)
    assert snoozed.snoozed_until == frozen_clock + dt.timedelta(minutes=10)
    said, _ = await press(
        harness, client, MeetingNudge(action=NudgeAction.DONE, interaction_id=meeting.id)
    )
    assert said == "Marked as taken place."
    assert (await Interaction.get(id=meeting.id)).done is True

    said, _ = await press(
        harness,
        harness.client(2),
        MeetingNudge(action=NudgeAction.SNOOZE, interaction_id=meeting.id, minutes=10),
    )
    assert said == DENIED

    _, shown = await press(
        harness, client, PartnerNudge(action=NudgeAction.CALL, partner_id=mine.partner_id)
    )
    assert "🏢 ТОВ «Альфа»" in shown[-1].text and "<b>Log a call</b>" in shown[-1].text
    said, _ = await press(
        harness,
        harness.client(2),
        PartnerNudge(action=NudgeAction.OPEN, partner_id=mine.partner_id),
    )
    assert said == DENIED
