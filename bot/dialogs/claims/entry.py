"""Buttons other cards put up to reach claims (the partner card, the deal card):

    from bot.dialogs.claims.entry import claims_installed, on_claim_from_deal
    Button(Tr(N_("Register a claim"), prefix="📮 "), id="claim", on_click=on_claim_from_deal,
           when=claims_installed)

`claims_installed` hides them while the claims dialogs are not registered (an app built with a
shorter list of features, as in other dialogs' tests). The handlers read the card's own dialog
data (`deal_id` / `partner_id`) and load it through `services.access` with the acting employee
before starting anything."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Button

from bot.dialogs.deals.common import acting
from bot.dialogs.states import ClaimNewSG, ClaimsSG
from services.access import get_deal_for, get_partner_for

MENU_ID = "claims"


def claims_installed(data: dict[str, Any], widget: Any, manager: DialogManager) -> bool:
    """A `when=` condition: the claims dialogs are part of this bot."""
    entries = manager.middleware_data.get("menu_entries") or ()
    return any(getattr(entry, "id", None) == MENU_ID for entry in entries)


async def on_claim_from_deal(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    """Register a claim on the basis of the deal of this card."""
    deal = await get_deal_for(acting(manager), manager.dialog_data.get("deal_id"))
    await manager.start(ClaimNewSG.PARTNER_SEARCH, data={"deal_id": deal.id})


async def on_claim_from_partner(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    """Register a claim of the partner of this card."""
    partner = await get_partner_for(acting(manager), manager.dialog_data.get("partner_id"))
    await manager.start(ClaimNewSG.PARTNER_SEARCH, data={"partner_id": partner.id})


async def on_partner_claims(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    """The claims of the partner of this card."""
    partner = await get_partner_for(acting(manager), manager.dialog_data.get("partner_id"))
    await manager.start(ClaimsSG.LIST, data={"partner_id": partner.id})
