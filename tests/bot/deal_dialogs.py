"""What the tests of My deals and the deal card share: the dialogs they run, and a click that
also checks the window is HTML Telegram parses.

    harness = make_harness(features=DEAL_DIALOGS)
    card = await click(harness, client, "D-1 · Поставка")
"""

from __future__ import annotations

from tests.bot.conftest import click as _click
from tests.fakes.telegram import visible_text

DEAL_DIALOGS = (
    "bot.dialogs.menu.dialog",
    "bot.dialogs.settings.dialog",
    "bot.dialogs.deals.dialog",
    "bot.dialogs.deal_card.dialog",
)


async def click(harness, client, text: str, message=None):
    """Press a button; the window shown must be HTML that Telegram parses."""
    shown = await _click(harness, client, text, message)
    visible_text(shown.text or shown.caption or "")
    return shown
