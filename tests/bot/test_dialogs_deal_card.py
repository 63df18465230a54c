"""The deal card of a manual deal: what it shows, the probability's explanation, the timeline,
moving the stage, won and lost (with a reason, with a competitor), and a stale card."""

from __future__ import annotations

import datetime as dt

from models import Deal, DealParticipant
from models.base import DealStatus
from services.deals import mark_lost, mark_won
from services.interactions import log_interaction
from services.pipeline import find_kind, move_to_stage, stages_in_order
from services.tasks import create_task
from tests.bot.conftest import buttons
from tests.bot.deal_dialogs import DEAL_DIALOGS, click
from tests.factories import (
    load_default_kinds,
    make_competitor,
    make_deal,
    make_employee,
    make_partner,
)

MANUAL_ACTIONS = [
    "➡️ Next stage: In contact",
    "🔀 Choose the stage",
    "🏆 Mark won",
    "❌ Mark lost",
]
CHANGED = "🔄 The deal has changed meanwhile: here it is as it is now. Check and try again."


async def open_card(harness, client, deal):
    await client.send("/menu")
    await click(harness, client, "My deals")
    return await click(harness, client, deal.number)


async def _setup(make_harness, **deal_fields):
    harness = make_harness(features=DEAL_DIALOGS)
    await load_default_kinds()
    me = await make_employee(telegram_id=1, locale="en", full_name="Olena Petrenko")
    partner = await make_partner(name="ТОВ «Альфа»")
    deal_fields.setdefault("title", "Поставка труб")
    deal = await make_deal(owner=me, partner=partner, **deal_fields)
    return harness, me, deal


async def _stage_code(deal: Deal) -> str:
    return (await Deal.get(id=deal.id).select_related("stage")).stage.code


async def test_the_card_shows_the_deal_its_next_task_and_latest_contacts(
    make_harness, frozen_clock
):
    harness, me, deal = await _setup(
        make_harness, potential_minor=123_456_789, expected_close_on=dt.date(2026, 12, 20)
    )
    await create_task(
        title="Надіслати КП", performer_id=me.id, deal_id=deal.id,
        due_at=frozen_clock + dt.timedelta(days=1),
    )  # fmt: skip
    await log_interaction(
        kind="call", owner_id=me.id, deal_id=deal.id, direction="outgoing",
        starts_at=frozen_clock - dt.timedelta(hours=1), subject="Дзвінок <щодо> труб",
        result="Погодили зустріч",
    )  # fmt: skip
    await log_interaction(
        kind="meeting", owner_id=me.id, deal_id=deal.id, done=False,
        starts_at=frozen_clock + dt.timedelta(days=2), subject="Зустріч у клієнта",
    )  # fmt: skip

    card = await open_card(harness, harness.client(1), deal)

    assert card.text.split("\n") == [
        f"<b>{deal.number}</b> · <b>Поставка труб</b>",
        "Partner: ТОВ «Альфа»",
        "Kind: Simple deal (stages moved by hand)",
        "Stage: New deal (1 of 5)",
        "Status: In progress",
        "Potential: 1,234,567.89 UAH",
        "Probability: 10 %",
        "Expected closing: 20.12.2026",
        "",
        "Next task: Надіслати КП, due 28.11.2026 11:00",
        "Planned: 🤝 29.11.2026 11:00 Meeting: Зустріч у клієнта",
        "",
        "<b>Latest contacts</b>",
        "📞 27.11.2026 10:00 Call ➡️: Дзвінок &lt;щодо&gt; труб — Погодили зустріч",
    ]
    assert buttons(card) == [
        "➡️ Next stage: In contact",
        "🔀 Choose the stage",
        "✅ Complete the task",  # any open task of the deal
        "🏆 Mark won",
        "❌ Mark lost",
        "📊 Probability 10 %",
        "🕓 Timeline",
        "👥 Participants",
        "📄 Documents",
        "📎 Attach a file",
        "📞 Log a call",
        "⬅️ Back",
        "🏠 Main menu",
    ]
    back = await click(harness, harness.client(1), "Back")
    assert back.text.startswith("<b>My deals</b>")


async def test_a_tap_on_the_probability_explains_it_with_samples(make_harness, frozen_clock):
    harness, me, deal = await _setup(make_harness)
    partner = await make_partner()
    for won in (True, True, False):
        closed = await make_deal(owner=me, partner=partner)
        if won:
            await mark_won(closed.id, actor_id=me.id)
        else:
            await mark_lost(closed.id, await _reason("price_too_high"), actor_id=me.id)
    client = harness.client(1)
    card = await open_card(harness, client, deal)
    label = next(b for b in buttons(card) if b.startswith("📊"))

    explained = await click(harness, client, "Probability")

    lines = explained.text.split("\n")
    percent = label.removeprefix("📊 Probability ").removesuffix(" %")
    assert lines[0] == f"<b>{deal.number}: win probability {percent} %</b>"
    assert lines[1] == "Method: Statistics with shrinkage"
    assert "  closed: 3, won: 2; pulled toward the deal kind's rate" in lines
    assert "  closed after reaching this stage: 3, won: 2; pulled toward the stage's rate" in lines
    assert any(line.startswith("• <b>Stage rate: ") for line in lines)
    assert any(line.startswith("• <b>Client's rate: ") for line in lines)
    assert "  closed after reaching this stage: 0, won: 0; pulled toward the stage's rate" in lines
    assert buttons(explained) == ["⬅️ Back", "🏠 Main menu"]


async def _reason(code: str) -> int:
    from services.deals import find_loss_reason

    reason = await find_loss_reason(code)
    assert reason is not None
    return reason.id


async def test_advance_and_choose_a_stage(make_harness, frozen_clock):
    harness, _me, deal = await _setup(make_harness)
    client = harness.client(1)
    await open_card(harness, client, deal)

    card = await click(harness, client, "Next stage: In contact")
    assert card.text.startswith("✅ The deal is now at the stage «In contact».\n\n")
    assert "Stage: In contact (2 of 5)" in card.text
    assert "➡️ Next stage: Proposal sent" in buttons(card)
    assert await _stage_code(deal) == "contact"

    stages = await click(harness, client, "Choose the stage")
    assert stages.text == "Now: In contact\nChoose the stage to move the deal to:"
    assert buttons(stages) == [
        "1. New deal", "📍 2. In contact", "3. Proposal sent", "4. Negotiation",
        "5. Invoice and payment", "⬅️ Back", "🏠 Main menu",
    ]  # fmt: skip
    card = await click(harness, client, "4. Negotiation")
    assert "Stage: Negotiation (4 of 5)" in card.text
    assert await _stage_code(deal) == "negotiation"

    await click(harness, client, "Choose the stage")
    card = await click(harness, client, "📍 4. Negotiation")
    assert card.text.startswith("⚠️ Stage: is the deal's current stage already\n\n")
    assert await _stage_code(deal) == "negotiation"

    timeline = await click(harness, client, "Timeline")
    assert "🚩 Stage: New deal → In contact" in timeline.text
    assert "🚩 Stage: In contact → Negotiation" in timeline.text


async def test_mark_won_is_confirmed_first(make_harness, frozen_clock):
    harness, _me, deal = await _setup(make_harness)
    client = harness.client(1)
    await open_card(harness, client, deal)

    question = await click(harness, client, "Mark won")
    assert question.text == f"Mark the deal {deal.number} as won?"
    assert buttons(question) == ["✅ Confirm", "✖️ Cancel", "🏠 Main menu"]
    card = await click(harness, client, "Cancel")
    assert "Status: In progress" in card.text
    assert (await Deal.get(id=deal.id)).status == DealStatus.OPEN

    await click(harness, client, "Mark won")
    card = await click(harness, client, "Confirm")

    assert card.text.startswith("🏆 The deal is won. Congratulations!\n\n")
    assert "Status: Won" in card.text and "Probability: 100 %" in card.text
    assert not set(MANUAL_ACTIONS) & set(buttons(card))
    assert (await Deal.get(id=deal.id)).status == DealStatus.WON


async def test_mark_lost_with_a_reason_from_the_catalogue(make_harness, frozen_clock):
    harness, _me, deal = await _setup(make_harness)
    client = harness.client(1)
    await open_card(harness, client, deal)

    reasons = await click(harness, client, "Mark lost")
    assert reasons.text == f"Why was the deal {deal.number} lost?"
    assert buttons(reasons)[:3] == [
        "Lost to a competitor", "The price is too high", "No budget",
    ]  # fmt: skip
    question = await click(harness, client, "The price is too high")
    assert question.text == (f"Mark the deal {deal.number} as lost?\nReason: The price is too high")
    card = await click(harness, client, "Confirm")

    assert card.text.startswith("⚫ The deal is marked as lost.\n\n")
    assert "Status: Lost: The price is too high" in card.text
    stored = await Deal.get(id=deal.id).select_related("loss_reason")
    assert stored.status == DealStatus.LOST and stored.loss_reason.code == "price_too_high"


async def test_lost_to_a_competitor_asks_which_one(make_harness, frozen_clock):
    harness, _me, deal = await _setup(make_harness)
    rival = await make_competitor(name="ТОВ «Суперник»")
    await make_partner(name="ТОВ «Просто клієнт»")
    client = harness.client(1)
    await open_card(harness, client, deal)
    await click(harness, client, "Mark lost")

    competitors = await click(harness, client, "Lost to a competitor")
    assert competitors.text == "Who won the deal? Choose the competitor:"
    assert buttons(competitors) == ["ТОВ «Суперник»", "⬅️ Back", "🏠 Main menu"]
    question = await click(harness, client, "Суперник")
    assert question.text.endswith("Reason: Lost to a competitor\nLost to: ТОВ «Суперник»")
    card = await click(harness, client, "Confirm")

    assert "Status: Lost: Lost to a competitor — won by ТОВ «Суперник»" in card.text
    winner = await DealParticipant.get(deal_id=deal.id, won_the_deal=True)
    assert winner.partner_id == rival.id and winner.role == "competitor"


async def test_no_competitors_in_the_catalogue_is_said(make_harness, frozen_clock):
    harness, _me, deal = await _setup(make_harness)
    client = harness.client(1)
    await open_card(harness, client, deal)
    await click(harness, client, "Mark lost")
    empty = await click(harness, client, "Lost to a competitor")
    assert empty.text.endswith(
        "There are no competitors in the catalogue yet: mark a partner as a competitor "
        "under Partners."
    )
    assert buttons(empty) == ["⬅️ Back", "🏠 Main menu"]
    assert (await Deal.get(id=deal.id)).status == DealStatus.OPEN


async def test_a_stale_card_says_the_deal_changed_and_reloads(make_harness, frozen_clock):
    harness, _me, deal = await _setup(make_harness)
    kind = await find_kind("simple_deal")
    stages = {s.code: s for s in await stages_in_order(kind.id)}
    client = harness.client(1)
    await open_card(harness, client, deal)
    # meanwhile someone (the web, a head, an import) moves the deal
    await move_to_stage(deal.id, stages["negotiation"].id, actor_id=None)

    card = await click(harness, client, "Next stage: In contact")

    assert card.text.startswith(CHANGED + "\n\n")
    assert "Stage: Negotiation (4 of 5)" in card.text
    assert await _stage_code(deal) == "negotiation"
    card = await click(harness, client, "Next stage: Invoice and payment")  # reloaded: works
    assert "Stage: Invoice and payment (5 of 5)" in card.text

    await click(harness, client, "Mark won")
    await move_to_stage(deal.id, stages["new"].id, actor_id=None)
    card = await click(harness, client, "Confirm")
    assert card.text.startswith(CHANGED)
    assert (await Deal.get(id=deal.id)).status == DealStatus.OPEN


async def test_the_timeline_is_paged_newest_first(make_harness, frozen_clock):
    harness, me, deal = await _setup(make_harness)
    for n in range(15):
        await log_interaction(
            kind="call", owner_id=me.id, deal_id=deal.id,
            starts_at=frozen_clock - dt.timedelta(hours=15 - n), subject=f"Дзвінок {n}",
        )  # fmt: skip
    client = harness.client(1)
    await open_card(harness, client, deal)

    page1 = await click(harness, client, "Timeline")
    lines = page1.text.split("\n")
    assert lines[:3] == [
        f"<b>{deal.number}: timeline</b>, page 1",
        "<i>27.11.2026 11:00</i> 🆕 Deal created",
        "<i>27.11.2026 10:00</i> 📞 Call: Дзвінок 14",
    ]
    assert len(lines) == 11 and lines[-1].endswith("Дзвінок 6")
    assert buttons(page1) == ["▶️ Older", "⬅️ Back", "🏠 Main menu"]

    page2 = await click(harness, client, "Older")
    assert page2.text.split("\n") == [
        f"<b>{deal.number}: timeline</b>, page 2",
        "<i>27.11.2026 01:00</i> 📞 Call: Дзвінок 5",
        "<i>27.11.2026 00:00</i> 📞 Call: Дзвінок 4",
        "<i>26.11.2026 23:00</i> 📞 Call: Дзвінок 3",
        "<i>26.11.2026 22:00</i> 📞 Call: Дзвінок 2",
        "<i>26.11.2026 21:00</i> 📞 Call: Дзвінок 1",
        "<i>26.11.2026 20:00</i> 📞 Call: Дзвінок 0",
    ]
    assert buttons(page2) == ["◀️ Newer", "⬅️ Back", "🏠 Main menu"]
    page1 = await click(harness, client, "Newer")
    assert "Дзвінок 14" in page1.text
