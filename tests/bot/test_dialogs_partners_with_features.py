"""With every registered feature (the deal card and Log a call are other rooms'): a new deal
opens the real deal card, and a partner's card starts Log a call about that partner."""

from __future__ import annotations

import pytest

from bot.dialogs import FEATURES
from models import Deal
from services import partners
from services.pipeline import load_default_pipelines
from tests.bot.conftest import buttons, click, make_employee


@pytest.fixture
async def harness(make_harness, db, frozen_clock):
    await load_default_pipelines()
    olena = await make_employee(1, locale="en", name="Olena Petrenko")
    await partners.create_partner(name="ТОВ Альфа", is_client=True, main_manager_id=olena.id)
    return make_harness(features=FEATURES)


async def _send(harness, client, text):
    harness.mm.reset_history()
    await client.send(text)
    return harness.mm.last_message()


async def test_the_partner_card_logs_a_call_about_the_partner_and_comes_back(harness):
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Partners")
    await _send(harness, client, "альфа")
    await click(harness, client, "ТОВ Альфа")

    log = await click(harness, client, "Log a call")

    assert "🏢 ТОВ Альфа" in log.text  # the subject is not asked again
    assert "Call" in buttons(log)
    card = await click(harness, client, "Back")
    assert card.text.startswith("🏢 <b>ТОВ Альфа</b>")


async def test_a_new_deal_opens_the_deal_card(harness):
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "New deal")
    await _send(harness, client, "альфа")
    await click(harness, client, "ТОВ Альфа")
    await click(harness, client, "Simple deal")
    await _send(harness, client, "Цемент")
    await click(harness, client, "Skip")
    await click(harness, client, "Skip")

    card = await click(harness, client, "Create the deal")

    deal = await Deal.get()
    assert card.text.startswith(f"<b>{deal.number}</b> · <b>Цемент</b>\nPartner: ТОВ Альфа")
    menu = await click(harness, client, "Back")  # the card took the wizard's place
    assert menu.text.endswith("What shall we do?")
