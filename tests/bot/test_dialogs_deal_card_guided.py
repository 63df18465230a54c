"""The deal card of a guided deal: completing the current task with a result, refused with the
missing exit checks listed in the user's language, then accepted and the deal advanced."""

from __future__ import annotations

import datetime as dt

from models import Deal, Task
from models.base import TaskStatus
from services.interactions import log_interaction
from tests.bot.conftest import buttons
from tests.bot.deal_dialogs import DEAL_DIALOGS, click
from tests.factories import load_default_kinds, make_deal, make_employee, make_partner
from tests.fakes.telegram import visible_text


async def _setup(make_harness, locale: str = "en"):
    harness = make_harness(features=DEAL_DIALOGS)
    await load_default_kinds()
    me = await make_employee(telegram_id=1, locale=locale)
    deal = await make_deal(
        owner=me, partner=await make_partner(name="ТОВ «Бета»"), title="Типовий продаж",
        kind_code="typical_sale",
    )  # fmt: skip
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "My deals")
    card = await click(harness, client, deal.number)
    return harness, client, me, deal, card


async def _typed(harness, client, text: str):
    harness.mm.reset_history()
    await client.send(text)
    shown = harness.mm.last_message()
    visible_text(shown.text or "")
    return shown


async def test_a_guided_card_offers_the_task_not_the_stages(make_harness, frozen_clock):
    _harness, _client, _me, _deal, card = await _setup(make_harness)
    assert "Kind: Typical sale (guided by tasks)" in card.text
    assert "Stage: Primary contact (1 of 9)" in card.text
    assert "Next task: Record the primary contact, due 29.11.2026 11:00" in card.text
    assert buttons(card)[:2] == ["✅ Complete the task", "❌ Mark lost"]
    assert not {"🔀 Choose the stage", "🏆 Mark won"} & set(buttons(card))


async def test_failed_exit_checks_are_listed_then_the_task_completes(make_harness, frozen_clock):
    harness, client, me, deal, card = await _setup(make_harness)
    task = await Task.get(deal_id=deal.id, status=TaskStatus.OPEN)

    prompt = await click(harness, client, "Complete the task")
    assert prompt.text == (
        "<b>Record the primary contact</b>\n"
        "What was done? Type the result, or complete it without a comment."
    )
    assert buttons(prompt) == ["⏭ Without a comment", "⬅️ Back", "🏠 Main menu"]
    question = await _typed(harness, client, "Поговорили з <директором>")
    assert question.text == (
        "Complete the task «Record the primary contact»?\nResult: Поговорили з &lt;директором&gt;"
    )
    refused = await click(harness, client, "Confirm")

    assert refused.text.split("\n") == [
        f"<b>{deal.number}: the stage cannot be finished yet</b>",
        "Missing:",
        "• a completed (not planned) interaction with the client",
        "",
        "The task stays open. Do what is missing, then complete it.",
    ]
    assert buttons(refused) == ["📞 Log a call", "⬅️ Back", "🏠 Main menu"]
    assert (await Task.get(id=task.id)).status == TaskStatus.OPEN
    assert (await Deal.get(id=deal.id).select_related("stage")).stage.code == "primary_contact"

    await log_interaction(
        kind="call", owner_id=me.id, deal_id=deal.id, direction="outgoing",
        starts_at=frozen_clock - dt.timedelta(minutes=30), subject="Перший дзвінок",
    )  # fmt: skip
    await click(harness, client, "Back")
    await click(harness, client, "Complete the task")
    await _typed(harness, client, "Поговорили з директором")
    card = await click(harness, client, "Confirm")

    assert card.text.startswith("✅ Task completed: Record the primary contact\n\n")
    assert "Stage: Client qualification (2 of 9)" in card.text
    assert "Probability: 20 %" in card.text
    assert "Next task: Qualify the client" in card.text
    done = await Task.get(id=task.id)
    assert done.status == TaskStatus.DONE and done.result == "Поговорили з директором"
    assert (await Deal.get(id=deal.id).select_related("stage")).stage.code == "qualification"


async def test_a_blank_or_too_long_result_is_asked_again(make_harness, frozen_clock):
    harness, client, _me, deal, _card = await _setup(make_harness)
    await click(harness, client, "Complete the task")

    blank = await _typed(harness, client, "   ")
    assert blank.text.endswith("\n⚠️ Result: is required")
    too_long = await _typed(harness, client, "я" * 4001)
    assert too_long.text.endswith("\n⚠️ Result: is too long (at most 4000 characters)")
    assert (await Task.get(deal_id=deal.id)).status == TaskStatus.OPEN

    question = await click(harness, client, "Without a comment")
    assert question.text.endswith("\nWithout a comment.")
    await click(harness, client, "Cancel")
    assert (await Task.get(deal_id=deal.id)).status == TaskStatus.OPEN


async def test_several_open_tasks_are_chosen_from_a_list(make_harness, frozen_clock):
    from services.tasks import create_task

    harness, client, me, deal, card = await _setup(make_harness)
    extra = await create_task(
        title="Уточнити реквізити", performer_id=me.id, deal_id=deal.id,
        due_at=frozen_clock + dt.timedelta(hours=3),
    )  # fmt: skip
    card = await click(harness, client, "Back")  # the list, then the card again
    card = await click(harness, client, deal.number)

    choice = await click(harness, client, "Complete the task")
    assert choice.text == "Which task is done?"
    assert buttons(choice) == [
        "Уточнити реквізити · 27.11.2026 14:00",
        "Record the primary contact · 29.11.2026 11:00",
        "⬅️ Back",
        "🏠 Main menu",
    ]
    await click(harness, client, "Уточнити реквізити")
    await _typed(harness, client, "Готово")
    card = await click(harness, client, "Confirm")
    assert card.text.startswith("✅ Task completed: Уточнити реквізити")
    assert (await Task.get(id=extra.id)).status == TaskStatus.DONE
    assert "Stage: Primary contact (1 of 9)" in card.text  # not a route task: no move
