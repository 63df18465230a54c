"""Partners: what a press or a typed value does. Ids from buttons are loaded through
`services.access` / `services.partner_view` with the acting employee before anything opens."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, Select

from bot.access import require_role
from bot.dialogs import states
from bot.dialogs.partners.common import set_error, start_if_registered
from bot.dialogs.partners.getters import CONTACTS_SCROLL, LIST_SCROLL
from bot.dialogs.states import NewDealSG, PartnersSG
from bot.texts.helpers import Translator
from core.errors import AccessDenied, DomainError, ValidationFailed
from core.i18n import N_
from models.employee import Employee
from services import partner_view
from services.access import get_partner_for

QUERY_MAX = 200
NOT_YET = N_("This screen is not available yet.")
# the new-contact wizard: each field and the step after it
CONTACT_STEPS = {
    "full_name": PartnersSG.ADD_CONTACT_POSITION,
    "position": PartnersSG.ADD_CONTACT_PHONE,
    "phone": PartnersSG.ADD_CONTACT_EMAIL,
    "email": PartnersSG.CONFIRM,
}


def _employee(manager: DialogManager) -> Employee:
    return require_role(manager.middleware_data.get("employee"))


def _id(item_id: str) -> int:
    try:
        return int(item_id)
    except ValueError:
        raise AccessDenied("access_denied") from None


def _i18n(manager: DialogManager) -> Translator:
    return manager.middleware_data.get("i18n") or Translator()


async def on_start(start_data: Any, manager: DialogManager) -> None:
    """Started with {"partner_id": ...} (from a deal, a task...): that partner's card."""
    partner_id = start_data.get("partner_id") if isinstance(start_data, dict) else None
    if partner_id is None:
        if manager.current_context().state != PartnersSG.SEARCH:  # a card of nobody: search
            await manager.switch_to(PartnersSG.SEARCH)
        return
    try:
        partner = await get_partner_for(manager.middleware_data.get("employee"), partner_id)
    except DomainError as error:
        set_error(manager, error)
        await manager.switch_to(PartnersSG.SEARCH)
        return
    manager.dialog_data.update(partner_id=partner.id, came_from="start")
    await manager.switch_to(PartnersSG.CARD)


# --- finding ------------------------------------------------------------------------------------


async def on_query(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    _employee(manager)
    set_error(manager, None)
    manager.dialog_data["query"] = " ".join(text.split())[:QUERY_MAX]
    await manager.find(LIST_SCROLL).set_page(0)
    await manager.switch_to(PartnersSG.LIST)


async def on_mine(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    manager.dialog_data.pop("query", None)
    await manager.find(LIST_SCROLL).set_page(0)
    await manager.switch_to(PartnersSG.LIST)


async def on_partner_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    partner = await get_partner_for(_employee(manager), _id(item_id))
    set_error(manager, None)
    manager.dialog_data.update(partner_id=partner.id, came_from="list")
    manager.dialog_data.pop("note", None)
    await manager.switch_to(PartnersSG.CARD)


# --- the card -----------------------------------------------------------------------------------


async def on_card_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    manager.dialog_data.pop("note", None)
    if manager.dialog_data.get("came_from") == "start":
        await manager.done()
    else:
        await manager.switch_to(PartnersSG.LIST)


async def on_deal_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    deal_id = await partner_view.get_open_deal_for(
        _employee(manager), manager.dialog_data.get("partner_id"), _id(item_id)
    )
    card = getattr(states, "DealCardSG", None)  # the deal card lives in bot/dialogs/deals
    if card is None or not await start_if_registered(manager, card.MAIN, {"deal_id": deal_id}):
        await callback.answer(_i18n(manager)(NOT_YET), show_alert=True)


async def on_new_deal(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    partner = await get_partner_for(_employee(manager), manager.dialog_data.get("partner_id"))
    await manager.start(NewDealSG.KIND, data={"partner_id": partner.id})


async def on_log_call(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    partner = await get_partner_for(_employee(manager), manager.dialog_data.get("partner_id"))
    log = getattr(states, "LogInteractionSG", None)  # My day / Tasks / Log a call
    if log is None or not await start_if_registered(manager, log.START, {"partner_id": partner.id}):
        await callback.answer(_i18n(manager)(NOT_YET), show_alert=True)


async def on_contacts(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await manager.find(CONTACTS_SCROLL).set_page(0)
    await manager.switch_to(PartnersSG.CONTACTS)


# --- a new contact person -----------------------------------------------------------------------


async def on_add_contact(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await get_partner_for(_employee(manager), manager.dialog_data.get("partner_id"))
    set_error(manager, None)
    manager.dialog_data["contact"] = {}
    manager.dialog_data.pop("note", None)
    await manager.switch_to(PartnersSG.ADD_CONTACT_NAME)


def contact_field_handler(field: str) -> Any:
    async def on_value(
        message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
    ) -> None:
        _employee(manager)
        try:
            value = partner_view.check_contact_field(field, text)
        except ValidationFailed as error:
            set_error(manager, error)
            return
        set_error(manager, None)
        manager.dialog_data.setdefault("contact", {})[field] = value
        await manager.switch_to(CONTACT_STEPS[field])

    return on_value


def contact_skip_handler(field: str) -> Any:
    async def on_skip(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
        set_error(manager, None)
        manager.dialog_data.setdefault("contact", {}).pop(field, None)
        await manager.switch_to(CONTACT_STEPS[field])

    return on_skip


async def on_contact_cancel(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    set_error(manager, None)
    manager.dialog_data.pop("contact", None)
    await manager.switch_to(PartnersSG.CARD)


async def on_contact_save(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    draft = manager.dialog_data.get("contact") or {}
    try:
        contact = await partner_view.add_contact(
            _employee(manager),
            manager.dialog_data.get("partner_id"),
            full_name=draft.get("full_name", ""),
            position=draft.get("position") or "",
            phone=draft.get("phone"),
            email=draft.get("email"),
        )
    except AccessDenied:
        raise
    except DomainError as error:
        set_error(manager, error)
        return
    set_error(manager, None)
    manager.dialog_data.pop("contact", None)
    manager.dialog_data["note"] = _i18n(manager)(
        N_("✅ Contact person added: %(name)s"), name=contact.full_name
    )
    await manager.switch_to(PartnersSG.CARD)
