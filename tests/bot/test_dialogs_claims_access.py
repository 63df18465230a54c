"""Who may open and change which claim in the bot: forged callback data with another manager's
claim id opens and changes nothing; a manager cannot reassign (even with a forged press); a head
reassigns the team's claims, to the team's people only."""

from __future__ import annotations

from aiogram.types import Message

from models import Claim, ClaimEvent
from models.base import ClaimStatus
from services.claims import register_claim
from tests.bot.conftest import buttons, forge_click, swap_item_id
from tests.bot.test_dialogs_claims import (
    DENIED_UK,
    FEATURES,
    claims_bot_world,
    click,
    foreign_claim,
)


def _data(message: Message, text: str) -> str:
    markup = message.reply_markup
    assert markup is not None
    for row in markup.inline_keyboard:
        for button in row:
            if text in button.text:
                assert button.callback_data is not None
                return button.callback_data
    raise AssertionError((text, buttons(message)))


async def _forged(harness, client, message: Message, data: str) -> tuple[str, list[Message]]:
    harness.mm.reset_history()
    callback_id = await forge_click(client, message, data)
    said = harness.fake.answered.get(callback_id, {}).get("text", "")
    return said, harness.mm.sent_messages


async def _mine(w):
    return await register_claim(
        partner_id=w.partner.id, cause_id=w.causes["damaged_goods"], description="Бій плитки",
        responsible_id=w.me.id, author_id=w.me.id,
    )  # fmt: skip


async def test_another_managers_claim_never_opens_from_forged_callback_data(
    make_harness, frozen_clock
):
    harness = make_harness(features=FEATURES)
    w = await claims_bot_world()
    mine, foreign = await _mine(w), await foreign_claim(w)
    client = harness.client(1)
    await client.send("/menu")
    listing = await click(harness, client, "Претензії")
    assert buttons(listing)[3] == f"🆕 {mine.number} · ТОВ «Альфа»"
    assert foreign.number not in str(buttons(listing))

    forged = swap_item_id(_data(listing, mine.number), mine.id, foreign.id)
    said, shown = await _forged(harness, client, listing, forged)
    assert said == DENIED_UK
    assert not [m for m in shown if m.text and (foreign.number in m.text or "Бета" in m.text)]

    # the card of one's own claim: its buttons act on the claim the server keeps, not on ids
    card = await click(harness, client, mine.number, listing)
    assert card.text.startswith(f"<b>Претензія {mine.number}</b>")
    await _forged(harness, client, card, _data(card, "Взяти в роботу"))
    untouched = await Claim.get(id=foreign.id)
    assert (untouched.status, untouched.version) == (ClaimStatus.REGISTERED, foreign.version)
    assert (await Claim.get(id=mine.id)).status == ClaimStatus.IN_PROCESSING
    assert not await ClaimEvent.filter(claim_id=foreign.id).exclude(action="registered").exists()


async def test_a_manager_cannot_reassign_even_with_a_forged_press(make_harness, frozen_clock):
    harness = make_harness(features=FEATURES)
    w = await claims_bot_world()
    mine = await _mine(w)
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Претензії")
    card = await click(harness, client, mine.number)
    assert "👤 Передати" not in buttons(card)

    intent = _data(card, "Історія").rsplit("\x1d", 1)[0]
    said, shown = await _forged(harness, client, card, f"{intent}\x1dreassign")
    assert said == DENIED_UK
    assert not [m for m in shown if m.text and "Хто відповідатиме" in m.text]
    claim = await Claim.get(id=mine.id)
    assert (claim.responsible_id, claim.version) == (w.me.id, mine.version)


async def test_a_head_sees_the_team_claims_and_reassigns_within_the_team(
    make_harness, frozen_clock
):
    harness = make_harness(features=FEATURES)
    w = await claims_bot_world()
    mine, foreign = await _mine(w), await foreign_claim(w)
    head = harness.client(3)
    await head.send("/menu")
    listing = await click(harness, head, "Претензії")
    assert listing.text.startswith("<b>Претензії команди</b>\n1 претензія")
    assert foreign.number not in str(buttons(listing))
    assert "👤 Лише мої" in buttons(listing)
    only_mine = await click(harness, head, "Лише мої")
    assert only_mine.text.startswith("<b>Мої претензії</b>\n0 претензій")
    listing = await click(harness, head, "Усі")

    card = await click(harness, head, mine.number)
    people = await click(harness, head, "Передати")
    assert people.text == (
        f"<b>Претензія {mine.number}</b>\nХто відповідатиме за претензію замість нинішнього?"
    )
    assert buttons(people) == [
        "Ірина Коваленко", "Олег Мельник", "⬅️ Назад", "🏠 Головне меню",
    ]  # fmt: skip

    forged = swap_item_id(_data(people, "Олег Мельник"), w.colleague.id, w.other.id)
    said, _ = await _forged(harness, head, people, forged)  # someone of another team
    assert said == DENIED_UK
    assert (await Claim.get(id=mine.id)).responsible_id == w.me.id

    card = await click(harness, head, "Олег Мельник", people)
    assert card.text.startswith(
        f"✅ У претензії {mine.number} новий відповідальний.\n<b>Претензія {mine.number}</b>"
    )
    assert "👤 Відповідальний: Олег Мельник" in card.text
    claim = await Claim.get(id=mine.id)
    assert claim.responsible_id == w.colleague.id
    event = await ClaimEvent.get(claim_id=mine.id, action="reassigned")
    assert (event.actor_id, event.data["responsible_id"]) == (w.head.id, w.colleague.id)

    listing = await click(harness, head, "Назад")
    forged = swap_item_id(_data(listing, mine.number), mine.id, foreign.id)
    said, shown = await _forged(harness, head, listing, forged)  # another team's claim
    assert said == DENIED_UK
    assert not [m for m in shown if m.text and foreign.number in m.text]
