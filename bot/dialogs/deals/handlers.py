"""My deals: reactions to the buttons and the typed search (filters live in dialog data)."""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, Select

from bot.dialogs.deals.common import acting, as_id, error_text, locale_of, set_error
from bot.dialogs.deals.getters import SCROLL_ID, STATUS_CHOICES
from bot.dialogs.states import DealCardSG, DealsSG
from core.errors import AccessDenied, ValidationFailed
from services.access import get_deal_for
from services.deal_card import clean_search, list_kind_choices, list_stage_choices


async def _first_page(manager: DialogManager) -> None:
    await manager.find(SCROLL_ID).set_page(0)


async def on_deal_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    """Open the card; the id is untrusted, so it is loaded through the access check first."""
    deal_id = as_id(item_id)
    if deal_id is None:
        raise AccessDenied("access_denied")
    deal = await get_deal_for(acting(manager), deal_id)
    await manager.start(DealCardSG.MAIN, data={"deal_id": deal.id})


async def on_search(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, text: str
) -> None:
    acting(manager)
    try:
        search = clean_search(text)
        if not search:
            raise ValidationFailed("invalid", field="search", reason="required")
    except ValidationFailed as error:
        set_error(manager, error_text(error, locale_of(manager)))
        return
    set_error(manager, None)
    manager.dialog_data["search"] = search
    await _first_page(manager)
    await manager.switch_to(DealsSG.LIST)


async def on_search_cleared(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    manager.dialog_data.pop("search", None)
    set_error(manager, None)
    await _first_page(manager)
    await manager.switch_to(DealsSG.LIST)


async def on_status_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    acting(manager)
    if item_id in STATUS_CHOICES:
        manager.dialog_data["status"] = item_id
        await _first_page(manager)


async def on_kind_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    acting(manager)
    kind_id = as_id(item_id)
    if kind_id == 0:
        kind_id = None
    elif kind_id is None or kind_id not in {kind.id for kind in await list_kind_choices()}:
        return  # forged or gone: nothing to filter by
    data = manager.dialog_data
    if kind_id != data.get("kind_id"):
        data["kind_id"] = kind_id
        data.pop("stage_id", None)  # a stage belongs to one kind
    await _first_page(manager)
    await manager.switch_to(DealsSG.FILTERS)


async def on_stage_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    acting(manager)
    stage_id = as_id(item_id)
    data = manager.dialog_data
    if stage_id == 0:
        data.pop("stage_id", None)
    else:
        stages = {stage.id: stage for stage in await list_stage_choices(data.get("kind_id"))}
        if stage_id not in stages:
            return
        data["stage_id"] = stage_id
        data["kind_id"] = stages[stage_id].kind_id
    await _first_page(manager)
    await manager.switch_to(DealsSG.FILTERS)


async def on_filters_cleared(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    for key in ("status", "kind_id", "stage_id", "search"):
        manager.dialog_data.pop(key, None)
    await _first_page(manager)
    await manager.switch_to(DealsSG.LIST)


async def on_start_list(start_data: Any, manager: DialogManager) -> None:
    """Started by another dialog with {"status": ..., "search": ...}: those filters."""
    if isinstance(start_data, dict):
        if start_data.get("status") in STATUS_CHOICES:
            manager.dialog_data["status"] = start_data["status"]
        if isinstance(start_data.get("search"), str):
            with contextlib.suppress(ValidationFailed):
                manager.dialog_data["search"] = clean_search(start_data["search"])
