"""Log a call or meeting, clicked through: the subject, took place or planned, direction, date
(calendar) and time (grid or typed), duration, contacts, result, next step, the confirmation, and
the database afterwards; bad input at every text step; forged ids of another manager's deal."""

from __future__ import annotations

import datetime as dt
import re

from aiogram.types import Location, Message, Update
from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator

from models import Interaction, InteractionParticipant, Task
from models.base import Direction, InteractionKind
from tests.bot.conftest import buttons, click, forge_click, swap_item_id
from tests.factories import (
    load_default_kinds,
    make_contact,
    make_deal,
    make_employee,
    make_partner,
)

MINE = (
    "bot.dialogs.menu.dialog",
    "bot.dialogs.settings.dialog",
    "bot.dialogs.deal_card.dialog",
    "bot.dialogs.log_interaction.dialog",
)


async def _setup(make_harness):
    harness = make_harness(features=MINE)
    await load_default_kinds()
    me = await make_employee(telegram_id=1, locale="en", full_name="Olena Petrenko")
    other = await make_employee(telegram_id=2, locale="en", full_name="Taras Bondar")
    partner = await make_partner(name="ТОВ «Альфа»")
    ivan = await make_contact(partner, full_name="Іван Коваль", position="директор")
    await make_contact(partner, full_name="Марія Шевчук")
    deal = await make_deal(owner=me, partner=partner, title="Поставка <труб>")
    foreign = await make_deal(owner=other, title="Чужа угода")
    return harness, me, deal, foreign, ivan


async def exact(harness, client, text: str) -> Message:
    """Press the button whose text is exactly `text`."""
    message = harness.mm.last_message()
    harness.mm.reset_history()
    await client.click(message, InlineButtonTextLocator(f"^{re.escape(text)}$"))
    return harness.mm.last_message()


async def type_text(harness, client, text: str) -> Message:
    harness.mm.reset_history()
    await client.send(text)
    return harness.mm.last_message()


async def send_location(harness, client) -> Message:
    harness.mm.reset_history()
    message = Message(
        message_id=client._new_message_id(),
        date=dt.datetime(2026, 11, 27),
        chat=client.chat,
        from_user=client.user,
        location=Location(latitude=50.45, longitude=30.52),
    )
    await client.dp.feed_update(
        client.bot, Update(update_id=client._new_update_id(), message=message)
    )
    return harness.mm.last_message()


async def test_a_done_call_on_a_deal_with_a_task_as_the_next_step(make_harness, frozen_clock):
    harness, me, deal, _foreign, ivan = await _setup(make_harness)
    client = harness.client(1)
    await client.send("/menu")

    start = await click(harness, client, "Log a call")
    assert "Which deal is it about?" in start.text
    assert "Чужа угода" not in " ".join(buttons(start))  # another manager's deal is not offered
    done = await click(harness, client, deal.number)
    assert done.text.split("\n")[:2] == [
        "<b>Log a call</b>",
        f"💼 {deal.number} Поставка &lt;труб&gt;",
    ]
    assert buttons(done)[:2] == ["Took place", "Planned"]
    direction = await exact(harness, client, "Took place")
    assert "Who called whom?" in direction.text
    date = await exact(harness, client, "Outgoing")
    assert "Which day?" in date.text and "[27]" in buttons(date)
    assert "28" not in buttons(date)  # a call that took place is not tomorrow
    time = await exact(harness, client, "26")  # the calendar: yesterday
    assert "🕒 26.11.2026" in time.text
    duration = await exact(harness, client, "10:00")
    assert "🕒 26.11.2026 10:00" in duration.text
    contacts = await exact(harness, client, "30 min")
    assert "🕒 26.11.2026 10:00 · 30 min" in contacts.text
    assert buttons(contacts)[:2] == ["▫️ Іван Коваль, директор", "▫️ Марія Шевчук"]
    ticked = await exact(harness, client, "▫️ Іван Коваль, директор")
    assert buttons(ticked)[0] == "✅ Іван Коваль, директор"
    result = await click(harness, client, "Next")
    assert "👤 Іван Коваль" in result.text
    assert "What is the result?" in result.text

    # bad input at the text step: blank, too long, not text at all
    said = await type_text(harness, client, "   ")
    assert "⚠️ Result: is required" in said.text
    said = await type_text(harness, client, "x" * 4001)
    assert "⚠️ Result: is too long (at most 4000 characters)" in said.text
    said = await send_location(harness, client)
    assert "⚠️ Please type the answer as text." in said.text

    next_step = await type_text(harness, client, "Домовились надіслати <КП>")
    assert "📝 Result: Домовились надіслати &lt;КП&gt;" in next_step.text
    assert "⚠️" not in next_step.text
    await exact(harness, client, "A task with a reminder")
    next_time = await exact(harness, client, "Tomorrow")
    # bad input at the typed time: not a time, a time in words, then a proper one
    said = await type_text(harness, client, "25:99")
    assert "⚠️ Time: is not a time (use HH:MM, e.g. 14:30)" in said.text
    said = await type_text(harness, client, "a" * 5000)
    assert "⚠️ Time: is not a time" in said.text
    assert "The next step: at what time?" in next_time.text
    confirm = await type_text(harness, client, "9:15")
    assert confirm.text.split("\n") == [
        "<b>Log a call</b>",
        f"💼 {deal.number} Поставка &lt;труб&gt;",
        "🏢 ТОВ «Альфа»",
        "✅ Took place",
        "↔️ Outgoing",
        "🕒 26.11.2026 10:00 · 30 min",
        "👤 Іван Коваль",
        "📝 Result: Домовились надіслати &lt;КП&gt;",
        "➡️ A task with a reminder: 28.11.2026 09:15",
        "Check and save:",
    ]
    assert await Interaction.all().count() == 0  # nothing is written before Save

    saved = await click(harness, client, "Save")
    assert "✅ Saved." in saved.text
    call = await Interaction.get(deal_id=deal.id)
    assert (call.kind, call.direction, call.done) == (
        InteractionKind.CALL,
        Direction.OUTGOING,
        True,
    )
    assert call.starts_at == dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)  # 10:00 in Kyiv
    assert call.ends_at == dt.datetime(2026, 11, 26, 8, 30, tzinfo=dt.UTC)
    assert call.result == "Домовились надіслати <КП>"
    assert call.owner_id == me.id
    participants = await InteractionParticipant.filter(interaction_id=call.id)
    assert [p.contact_id for p in participants] == [ivan.id]
    task = await Task.get(deal_id=deal.id)
    assert task.performer_id == me.id
    assert task.due_at == dt.datetime(2026, 11, 28, 7, 15, tzinfo=dt.UTC)
    assert task.title == "Follow-up: Поставка <труб>"


async def test_a_planned_meeting_with_a_partner_found_by_search(make_harness, frozen_clock):
    harness, _me, _deal, _foreign, ivan = await _setup(make_harness)
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Log a meeting")
    search = await click(harness, client, "Find a partner")
    said = await type_text(harness, client, "  ")
    assert "⚠️ Partner: is required" in said.text
    found = await type_text(harness, client, "альфа")
    assert "Found for «альфа»:" in found.text
    planned = await exact(harness, client, "ТОВ «Альфа»")
    assert "<b>Log a meeting</b>" in planned.text and "💼" not in planned.text
    date = await exact(harness, client, "Planned")
    assert "26" not in buttons(date)  # a planned meeting is not in the past
    time = await exact(harness, client, "Today")
    said = await exact(harness, client, "10:00")  # 10:00 has passed (it is 11:00 in Kyiv)
    assert "⚠️ Start: must be in the future" in said.text
    duration = await exact(harness, client, "15:30")
    await click(harness, client, "Skip")
    subject = await click(harness, client, "Next")
    assert "What is it about?" in subject.text
    confirm = await type_text(harness, client, "Презентація нового прайсу")
    assert "➡️" not in confirm.text  # a planned meeting has no next step
    assert "🗓 Planned" in confirm.text and "🕒 27.11.2026 15:30" in confirm.text
    await click(harness, client, "Save")

    meeting = await Interaction.get()
    assert (meeting.kind, meeting.done, meeting.deal_id) == (InteractionKind.MEETING, False, None)
    assert meeting.partner_id == ivan.partner_id
    assert meeting.subject == "Презентація нового прайсу"
    assert meeting.starts_at == dt.datetime(2026, 11, 27, 13, 30, tzinfo=dt.UTC)
    assert time is not None and duration is not None and search is not None


async def test_a_done_call_cannot_be_later_than_now(make_harness, frozen_clock):
    harness, _me, deal, _foreign, _ivan = await _setup(make_harness)
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Log a call")
    await click(harness, client, deal.number)
    await exact(harness, client, "Took place")
    await exact(harness, client, "Incoming")
    await exact(harness, client, "Today")
    said = await exact(harness, client, "15:00")
    assert "⚠️ Start: is too far in the future" in said.text
    assert "At what time?" in said.text


async def test_a_forged_deal_id_opens_nothing_and_writes_nothing(make_harness, frozen_clock):
    harness, _me, deal, foreign, _ivan = await _setup(make_harness)
    client = harness.client(1)
    await client.send("/menu")
    start = await click(harness, client, "Log a call")
    data = next(
        b.callback_data
        for row in start.reply_markup.inline_keyboard
        for b in row
        if deal.number in b.text
    )
    harness.mm.reset_history()

    callback_id = await forge_click(client, start, swap_item_id(data, deal.id, foreign.id))

    assert harness.fake.answered[callback_id]["text"] == "You do not have access to this."
    assert not [m for m in harness.mm.sent_messages if m.text and "Took place" in str(buttons(m))]
    assert await Interaction.all().count() == 0


class _Context:
    def __init__(self, state):
        self.state = state


class _Manager:
    """Just enough of a DialogManager for `on_start` (what another dialog's start passes)."""

    def __init__(self, employee, state):
        self.middleware_data = {"employee": employee, "locale": "en"}
        self.dialog_data: dict = {}
        self.context = _Context(state)
        self.switched: list = []

    def current_context(self):
        return self.context

    async def switch_to(self, state, **kwargs):
        self.switched.append(state)
        self.context.state = state


async def test_start_data_naming_another_managers_deal_or_partner_is_refused(
    make_harness, frozen_clock
):
    import pytest

    from bot.dialogs.log_interaction.handlers import on_start
    from bot.dialogs.states import LogInteractionSG
    from core.errors import AccessDenied

    _harness, me, deal, foreign, ivan = await _setup(make_harness)
    stranger_partner = await make_partner(name="ТОВ «Чужий»")
    for data in (
        {"deal_id": foreign.id},
        {"partner_id": stranger_partner.id},
        {"deal_id": "1; drop"},
        {"partner_id": None, "deal_id": True},
    ):
        manager = _Manager(me, LogInteractionSG.START)
        with pytest.raises(AccessDenied):
            await on_start(data, manager)
        assert manager.switched == []

    manager = _Manager(me, LogInteractionSG.START)
    await on_start({"deal_id": deal.id, "kind": "meeting"}, manager)
    assert manager.switched == [LogInteractionSG.PLANNED_OR_DONE]  # subject and kind are known
    assert manager.dialog_data["partner_id"] == ivan.partner_id
