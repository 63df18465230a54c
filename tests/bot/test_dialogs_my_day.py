"""My day: today's tasks and planned calls in local time, overdue items; a tap opens the task's
card or the deal's card; forged item ids open nothing."""

from __future__ import annotations

import datetime as dt
import re

from services.interactions import log_interaction
from services.tasks import create_task
from tests.bot.conftest import buttons, click, forge_click
from tests.factories import load_default_kinds, make_deal, make_employee, make_partner

MINE = (
    "bot.dialogs.menu.dialog",
    "bot.dialogs.settings.dialog",
    "bot.dialogs.deal_card.dialog",
    "bot.dialogs.tasks.dialog",
    "bot.dialogs.my_day.dialog",
)


async def test_my_day_lists_today_and_overdue_and_opens_cards(make_harness, frozen_clock):
    harness = make_harness(features=MINE)
    await load_default_kinds()
    me = await make_employee(telegram_id=1, locale="en")
    other = await make_employee(telegram_id=2, locale="en")
    deal = await make_deal(owner=me, partner=await make_partner(), title="Поставка труб")
    await create_task(
        title="Надіслати КП", performer_id=me.id, due_at=frozen_clock + dt.timedelta(hours=3)
    )
    await create_task(
        title="Старе", performer_id=me.id, due_at=frozen_clock - dt.timedelta(hours=20)
    )
    await create_task(
        title="Завтра", performer_id=me.id, due_at=frozen_clock + dt.timedelta(days=1)
    )
    foreign = await create_task(title="Чуже", performer_id=other.id, due_at=frozen_clock)
    await log_interaction(
        kind="call",
        owner_id=me.id,
        deal_id=deal.id,
        done=False,
        starts_at=frozen_clock + dt.timedelta(hours=5),
        subject="Дзвінок щодо труб",
    )
    client = harness.client(1)
    await client.send("/menu")

    day = await click(harness, client, "My day")
    assert day.text.split("\n") == [
        "<b>My day</b>, 27.11.2026",
        "1 task · 1 planned call or meeting",
        "🔥 1 overdue",
    ]
    assert buttons(day)[:3] == [
        "🔥 26.11.2026 15:00 Старе",
        "✅ 14:00 Надіслати КП",
        "📞 16:00 Дзвінок щодо труб",
    ]
    card = await click(harness, client, "Надіслати КП")
    assert card.text.startswith("<b>Надіслати КП</b>")
    back = await click(harness, client, "Back")
    assert back.text.startswith("<b>My day</b>")
    deal_card = await click(harness, client, "Дзвінок щодо труб")
    assert deal.number in deal_card.text

    await client.send("/menu")
    day = await click(harness, client, "My day")
    data = next(
        r[0].callback_data for r in day.reply_markup.inline_keyboard if "Надіслати КП" in r[0].text
    )
    assert re.search(r"t\d+$", data)
    harness.mm.reset_history()
    callback_id = await forge_click(client, day, re.sub(r"t\d+$", f"t{foreign.id}", data))
    assert harness.fake.answered[callback_id]["text"] == "You do not have access to this."
    assert not [m for m in harness.mm.sent_messages if m.text and "Чуже" in m.text]
