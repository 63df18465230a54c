"""Buttons on the pushed claim notifications (jobs/reminders.py, jobs/callbacks.py `ClaimNudge`):
the responsible person's notice takes the claim into work or opens its card, the client's
manager's notice opens the card; a press by anyone who may not see the claim is refused and
nothing opens or changes."""

from __future__ import annotations

import datetime as dt

from aiogram.types import Message

from core.errors import NotFound
from core.i18n import translate_error
from jobs.callbacks import ClaimAction, ClaimNudge
from jobs.scheduler import run_job
from models import Claim, ClaimEvent
from models.base import ClaimStatus
from services.claims import register_claim
from tests.bot.conftest import forge_click
from tests.bot.test_dialogs_claims import DENIED_UK, FEATURES, claims_bot_world, foreign_claim
from tests.fakes.telegram import visible_text
from tests.jobs.conftest import make_sender  # noqa: F401  (a fixture)


async def _press(harness, client, data: str) -> tuple[str, list[Message]]:
    pushed = Message(message_id=999, date=dt.datetime(2026, 11, 27), chat=client.chat, text="…")
    harness.mm.reset_history()
    assert len(data.encode()) <= 64
    callback_id = await forge_click(client, pushed, data)
    return harness.fake.answered.get(callback_id, {}).get("text", ""), harness.mm.sent_messages


def _pushed(fake, telegram_id: int):
    return [e for e in fake.history[telegram_id] if e.kind == "send"]


async def test_pushed_claim_notices_carry_buttons_that_act_on_the_claim(
    make_harness,
    frozen_clock,
    fake_telegram,
    make_sender,  # noqa: F811
):
    harness = make_harness(features=FEATURES)
    w = await claims_bot_world()
    claim = await register_claim(
        partner_id=w.partner.id, cause_id=w.causes["damaged_goods"], description="Бій плитки",
        responsible_id=w.colleague.id, author_id=w.head.id, deal_id=w.deal_id,
    )  # fmt: skip
    sender = make_sender(fake_telegram)
    report = await run_job("reminders:claims", sender)
    await sender.join()
    assert report.queued == 2

    (assigned,) = _pushed(fake_telegram, w.colleague.telegram_id)
    assert visible_text(assigned.text).startswith(f"Претензія {claim.number} від ТОВ «Альфа»")
    assert assigned.button_texts() == ["🛠 Взяти в роботу", "Відкрити"]
    (registered,) = _pushed(fake_telegram, w.me.telegram_id)  # the deal's owner
    assert registered.button_texts() == ["Відкрити"]
    take = assigned.button("Взяти в роботу")["callback_data"]
    opened = assigned.button("Відкрити")["callback_data"]
    assert take == ClaimNudge(action=ClaimAction.TAKE, claim_id=claim.id).pack()
    assert registered.button("Відкрити")["callback_data"] == opened

    said, shown = await _press(harness, harness.client(1), opened)  # the owner opens it
    assert said == ""
    assert shown[-1].text.startswith(f"<b>Претензія {claim.number}</b> · Зареєстрована\n")

    colleague = harness.client(w.colleague.telegram_id)
    said, _ = await _press(harness, colleague, take)
    assert said == f"Претензія {claim.number} обробляється."
    assert (await Claim.get(id=claim.id)).status == ClaimStatus.IN_PROCESSING
    said, _ = await _press(harness, colleague, take)  # pressed again: said why, nothing changes
    assert said == f"Претензія {claim.number} уже в обробці."
    _, shown = await _press(harness, colleague, opened)
    assert shown[-1].text.startswith(f"<b>Претензія {claim.number}</b> · Обробляється\n")
    assert "🛠 Взяти в роботу" not in str(shown[-1].reply_markup)


async def test_a_forged_claim_button_is_refused(make_harness, frozen_clock):
    harness = make_harness(features=FEATURES)
    w = await claims_bot_world()
    foreign = await foreign_claim(w)
    me = harness.client(1)
    for action in ClaimAction:
        said, shown = await _press(
            harness, me, ClaimNudge(action=action, claim_id=foreign.id).pack()
        )
        assert said == DENIED_UK
        assert not [m for m in shown if m.text and foreign.number in m.text]
    untouched = await Claim.get(id=foreign.id)
    assert (untouched.status, untouched.version) == (ClaimStatus.REGISTERED, foreign.version)
    assert await ClaimEvent.filter(claim_id=foreign.id).count() == 1
    said, _ = await _press(harness, me, ClaimNudge(action=ClaimAction.OPEN, claim_id=10**9).pack())
    assert said == translate_error(NotFound("not_found", what="claim"), "uk")  # said so
