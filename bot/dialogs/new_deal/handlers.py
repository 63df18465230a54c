"""New deal: what a press or a typed value does. Every value goes through a service check (a
refusal re-asks with the reason); ids from buttons are loaded through `services.access`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.input import ManagedTextInput
from aiogram_dialog.widgets.kbd import Button, Select

from bot.access import require_role
from bot.dialogs import states
from bot.dialogs.new_deal.getters import FOUND_SCROLL
from bot.dialogs.partners.common import set_error, start_if_registered
from bot.dialogs.states import NewDealSG
from core.errors import AccessDenied, DomainError, DuplicateFound, NotFound, ValidationFailed
from core.i18n import DEFAULT_LOCALE, format_money
from models.employee import Employee
from services import new_deal as new_deal_service
from services import partner_view
from services.access import get_partner_for
from services.checks import MAX_POTENTIAL_MINOR
from services.dto import DuplicateCandidate

QUERY_MAX = 200
# the quick new-partner form: each field and the step after it
PARTNER_STEPS = {
    "name": NewDealSG.QUICK_PARTNER_TAX_ID,
    "tax_id": NewDealSG.QUICK_PARTNER_CONTACT,
    "contact_name": NewDealSG.QUICK_PARTNER_PHONE,
    "phone": None,  # then the duplicate check
}


def _employee(manager: DialogManager) -> Employee:
    return require_role(manager.middleware_data.get("employee"))


def _id(item_id: str) -> int:
    """An id from callback data; anything else is forged."""
    try:
        return int(item_id)
    except ValueError:
        raise AccessDenied("access_denied") from None


def _use_partner(manager: DialogManager, partner_id: int, name: str, came_from: str) -> None:
    data = manager.dialog_data
    data.update(partner_id=partner_id, partner_name=name, came_from=came_from)
    for key in ("new_partner", "duplicates", "dup_confirmed"):
        data.pop(key, None)


# --- start --------------------------------------------------------------------------------------


async def on_start(start_data: Any, manager: DialogManager) -> None:
    """Started with {"partner_id": ...} (from a partner's card): that partner, if visible."""
    partner_id = start_data.get("partner_id") if isinstance(start_data, dict) else None
    if partner_id is None:
        if manager.current_context().state not in (NewDealSG.PARTNER_SEARCH, NewDealSG.DONE):
            await manager.switch_to(NewDealSG.PARTNER_SEARCH)  # no client yet: ask for one
        return
    try:
        partner = await get_partner_for(manager.middleware_data.get("employee"), partner_id)
    except DomainError as error:
        set_error(manager, error)
        await manager.switch_to(NewDealSG.PARTNER_SEARCH)
        return
    _use_partner(manager, partner.id, partner.name, came_from="start")


# --- the partner --------------------------------------------------------------------------------


async def on_partner_query(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    _employee(manager)
    set_error(manager, None)
    manager.dialog_data["query"] = " ".join(text.split())[:QUERY_MAX]
    await manager.find(FOUND_SCROLL).set_page(0)
    await manager.switch_to(NewDealSG.PARTNER_PICK)


async def on_partner_picked(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    partner = await get_partner_for(_employee(manager), _id(item_id))
    set_error(manager, None)
    _use_partner(manager, partner.id, partner.name, came_from="pick")
    await manager.switch_to(NewDealSG.KIND)


async def on_new_partner(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    for key in ("partner_id", "partner_name", "duplicates", "dup_confirmed"):
        manager.dialog_data.pop(key, None)
    manager.dialog_data["new_partner"] = {}
    manager.dialog_data["came_from"] = "new"
    await manager.switch_to(NewDealSG.QUICK_PARTNER_NAME)


def partner_field_handler(field: str) -> Any:
    async def on_value(
        message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
    ) -> None:
        _employee(manager)
        try:
            value = new_deal_service.check_partner_field(field, text)
        except ValidationFailed as error:
            set_error(manager, error)
            return
        set_error(manager, None)
        manager.dialog_data.setdefault("new_partner", {})[field] = value
        await _after_partner_field(manager, field)

    return on_value


def partner_skip_handler(field: str) -> Any:
    async def on_skip(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
        set_error(manager, None)
        manager.dialog_data.setdefault("new_partner", {}).pop(field, None)
        await _after_partner_field(manager, field)

    return on_skip


async def _after_partner_field(manager: DialogManager, field: str) -> None:
    following = PARTNER_STEPS[field]
    if following is not None:
        await manager.switch_to(following)
        return
    new = _new_partner(manager)
    assert new is not None
    await _warn_or_continue(manager, await new_deal_service.find_duplicates(new))


def _new_partner(manager: DialogManager) -> new_deal_service.NewPartner | None:
    values = manager.dialog_data.get("new_partner")
    if not values:
        return None
    return new_deal_service.NewPartner(
        name=values["name"],
        tax_id=values.get("tax_id"),
        contact_name=values.get("contact_name"),
        phone=values.get("phone"),
    )


async def _warn_or_continue(manager: DialogManager, found: list[DuplicateCandidate]) -> None:
    manager.dialog_data["dup_confirmed"] = False
    if not found:
        manager.dialog_data["duplicates"] = []
        await manager.switch_to(NewDealSG.KIND)
        return
    visible = await partner_view.visible_partner_ids(
        _employee(manager), [c.partner_id for c in found]
    )
    manager.dialog_data["duplicates"] = [
        {
            "id": c.partner_id,
            "name": c.name,
            "matched": list(c.matched),
            "visible": c.partner_id in visible,
        }
        for c in found[:10]
    ]
    await manager.switch_to(NewDealSG.DUPLICATE_WARNING)


async def on_duplicate_used(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    partner = await get_partner_for(_employee(manager), _id(item_id))
    set_error(manager, None)
    _use_partner(manager, partner.id, partner.name, came_from="pick")
    await manager.switch_to(NewDealSG.KIND)


async def on_create_anyway(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    manager.dialog_data["dup_confirmed"] = True
    await manager.switch_to(NewDealSG.KIND)


# --- the deal -----------------------------------------------------------------------------------


async def on_kind_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    came_from = manager.dialog_data.get("came_from")
    if came_from == "start":
        await manager.done()
    elif came_from == "new":
        await manager.switch_to(NewDealSG.QUICK_PARTNER_PHONE)
    elif came_from == "pick" and manager.dialog_data.get("query"):
        await manager.switch_to(NewDealSG.PARTNER_PICK)
    else:
        await manager.switch_to(NewDealSG.PARTNER_SEARCH)


async def on_kind_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    _employee(manager)
    kind_id = _id(item_id)
    if kind_id not in {kind.id for kind in await new_deal_service.list_new_deal_kinds()}:
        raise NotFound("not_found", what="kind")
    set_error(manager, None)
    manager.dialog_data["kind_id"] = kind_id
    await manager.switch_to(NewDealSG.TITLE)


async def on_title(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    _employee(manager)
    try:
        title = new_deal_service.check_title(text)
    except ValidationFailed as error:
        set_error(manager, error)
        return
    set_error(manager, None)
    manager.dialog_data["title"] = title
    await manager.switch_to(NewDealSG.POTENTIAL)


async def on_potential(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    _employee(manager)
    try:
        amount = new_deal_service.parse_potential(text)
    except ValidationFailed as error:
        if error.params.get("reason") == "too_large":  # say the limit as money, not kopiyky
            locale = str(manager.middleware_data.get("locale") or DEFAULT_LOCALE)
            error = ValidationFailed(
                error.code,
                **{**error.params, "max": format_money(MAX_POTENTIAL_MINOR, "UAH", locale)},
            )
        set_error(manager, error)
        return
    set_error(manager, None)
    manager.dialog_data["potential_minor"] = amount
    await manager.switch_to(NewDealSG.CLOSE_DATE)


async def on_potential_skip(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    set_error(manager, None)
    manager.dialog_data.pop("potential_minor", None)
    await manager.switch_to(NewDealSG.CLOSE_DATE)


async def on_close_date(
    callback: CallbackQuery, widget: Any, manager: DialogManager, day: dt.date
) -> None:
    employee = _employee(manager)
    try:
        new_deal_service.check_close_date(day, employee)
    except ValidationFailed as error:
        set_error(manager, error)
        return
    set_error(manager, None)
    manager.dialog_data["close_on"] = day.isoformat()
    await manager.switch_to(NewDealSG.CONFIRM)


async def on_close_date_skip(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    set_error(manager, None)
    manager.dialog_data.pop("close_on", None)
    await manager.switch_to(NewDealSG.CONFIRM)


async def on_confirm(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Create the deal (and the new partner), then open the deal's card."""
    employee = _employee(manager)
    data = manager.dialog_data
    new = _new_partner(manager)
    close_on = data.get("close_on")
    try:
        deal = await new_deal_service.start_deal(
            employee,
            kind_id=data["kind_id"],
            title=data["title"],
            partner_id=None if new else data.get("partner_id"),
            new_partner=new,
            confirm_duplicates=bool(data.get("dup_confirmed")),
            potential_minor=data.get("potential_minor") or 0,
            expected_close_on=dt.date.fromisoformat(close_on) if close_on else None,
        )
    except DuplicateFound as error:  # a similar partner appeared meanwhile
        set_error(manager, None)
        await _warn_or_continue(manager, list(error.params.get("duplicates", ())))
        return
    except AccessDenied:
        raise
    except DomainError as error:  # e.g. the kind was closed for new deals meanwhile
        set_error(manager, error)
        return
    set_error(manager, None)
    card = getattr(states, "DealCardSG", None)  # the deal card lives in bot/dialogs/deals
    await manager.mark_closed()  # the card takes this wizard's place: Back leads where we came from
    if card is None or not await start_if_registered(manager, card.MAIN, {"deal_id": deal.id}):
        await manager.start(NewDealSG.DONE, data={"deal_number": deal.number})
