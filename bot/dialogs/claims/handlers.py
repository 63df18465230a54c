"""Claims: what a press or a typed value does. Every id from callback data or start data is
loaded through `services.claims` / `services.access` with the acting employee before anything
opens or changes (another manager's claim is refused by the service: AccessDenied). Commands pass
the version the user saw on the card (`expected_version`); a concurrent change reloads the card
and writes nothing. Typed values are checked, echoed on a confirmation screen, then written."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, StartMode
from aiogram_dialog.widgets.input import ManagedTextInput, MessageInput
from aiogram_dialog.widgets.kbd import Button, Select

from bot.access import HEADS, has_role
from bot.dialogs.chat_files import download, file_of, is_too_big, too_big
from bot.dialogs.claims.getters import DUE_DAYS, FILTERS, LIST_SCROLL, claim_id_of
from bot.dialogs.deals.common import (
    acting,
    as_id,
    error_text,
    locale_of,
    notice_error,
    set_error,
    set_notice,
)
from bot.dialogs.states import ClaimNewSG, ClaimsSG, MainMenuSG
from core import clock
from core.errors import AccessDenied, ConcurrentUpdate, DomainError, ValidationFailed
from core.i18n import N_, format_money, gettext
from services import agenda
from services.access import get_deal_for, get_partner_for
from services.checks import MAX_POTENTIAL_MINOR, check_text
from services.claims import (
    MAX_DEPARTMENT,
    MAX_DESCRIPTION,
    MAX_RESOLUTION,
    ClaimTaskPlan,
    NewFile,
    add_claim_note,
    attach_claim_file,
    close_claim,
    find_claim_by_number,
    get_claim,
    list_claim_causes,
    plan_claim_tasks,
    reassign_claim,
    register_claim,
    reopen_claim,
    take_into_work,
)
from services.employees import list_employees
from services.exchange_deals import parse_amount

CHANGED = N_("The claim has changed meanwhile: here it is as it is now. Check and try again.")
NOT_FOUND = N_("No claim with the number «%(number)s» among yours.")
NOT_A_TEXT = N_("Please type the text.")
NOT_A_FILE = N_("That is not a photo or a file: send a photo or a document, or press Done.")
TOO_MANY_FILES = N_("At most %(max)s files at once; attach more from the claim card.")
MAX_WIZARD_FILES = 10
MAX_TASK_TITLE = 200
SEARCH_MAX = 40


def _chat_id(manager: DialogManager) -> int:
    return int(manager.middleware_data["event_chat"].id)


def _version(manager: DialogManager) -> int | None:
    version = manager.dialog_data.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


async def _command(manager: DialogManager, run: Callable[[], Awaitable[Any]]) -> bool:
    """Run one service command; on a refusal say why on the card (a stale card: reloaded) and
    return False. AccessDenied goes to the error handler, as everywhere."""
    try:
        await run()
    except AccessDenied:
        raise
    except ConcurrentUpdate:
        set_notice(manager, gettext(CHANGED, locale_of(manager)), mark="🔄")
        manager.dialog_data.pop("pending", None)
        await manager.switch_to(ClaimsSG.CARD)
        return False
    except DomainError as error:
        notice_error(manager, error)
        manager.dialog_data.pop("pending", None)
        await manager.switch_to(ClaimsSG.CARD)
        return False
    return True


async def _open_card(manager: DialogManager, claim_id: int, came_from: str) -> None:
    claim = await get_claim(claim_id, viewer_id=acting(manager).id)
    manager.dialog_data.update(claim_id=claim.id, came_from=came_from, timeline_offset=0)
    manager.dialog_data.pop("pending", None)
    set_error(manager, None)
    await manager.switch_to(ClaimsSG.CARD)


# --- the list -----------------------------------------------------------------------------------


async def on_claims_start(start_data: Any, manager: DialogManager) -> None:
    """{"claim_id": int}: that claim's card; {"partner_id": int}: the partner's claims."""
    data = start_data if isinstance(start_data, dict) else {}
    employee = acting(manager)
    manager.dialog_data.setdefault("filter", "open")
    if "claim_id" in data:
        claim_id = as_id(data.get("claim_id"))
        if claim_id is None:
            raise AccessDenied("access_denied")
        await _open_card(manager, claim_id, "start")
        if data.get("registered") is True:
            card = await get_claim(claim_id, viewer_id=employee.id)
            set_notice(
                manager,
                gettext(N_("The claim %(number)s is registered."), locale_of(manager))
                % {"number": card.number},
            )
        return
    if "partner_id" in data:
        partner = await get_partner_for(employee, as_id(data.get("partner_id")))
        manager.dialog_data["partner_id"] = partner.id


async def on_filter(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    if item_id in FILTERS:
        manager.dialog_data["filter"] = item_id
        await manager.find(LIST_SCROLL).set_page(0)


async def on_scope(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Heads: only the claims they are responsible for, or everyone's they see."""
    if not has_role(acting(manager), HEADS):
        raise AccessDenied("access_denied")
    manager.dialog_data["mine"] = button.widget_id == "only_mine"
    await manager.find(LIST_SCROLL).set_page(0)


async def on_claim_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    claim_id = as_id(item_id)
    if claim_id is None:
        raise AccessDenied("access_denied")
    await _open_card(manager, claim_id, "list")


async def on_search(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    """A number as printed (`C-000042`) or just its digits (`42`)."""
    employee = acting(manager)
    typed = " ".join(text.split())[:SEARCH_MAX]
    number = typed.upper()
    if number.isdigit():
        number = f"C-{int(number):06d}"
    elif number.startswith("C") and number[1:].lstrip("-").isdigit():
        number = f"C-{int(number[1:].lstrip('-')):06d}"
    try:
        claim = await find_claim_by_number(number, viewer_id=employee.id)
    except AccessDenied:
        claim = None  # another manager's claim: the same answer as a number that does not exist
    if claim is None:
        set_error(manager, gettext(NOT_FOUND, locale_of(manager)) % {"number": typed})
        return
    await _open_card(manager, claim.id, "list")


async def on_new_claim(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    data: dict[str, Any] = {}
    partner_id = manager.dialog_data.get("partner_id")
    if isinstance(partner_id, int):
        data["partner_id"] = (await get_partner_for(acting(manager), partner_id)).id
    await manager.start(ClaimNewSG.PARTNER_SEARCH, data=data)


async def on_list_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _leave(manager)


async def _leave(manager: DialogManager) -> None:
    """Back to whatever opened the dialog, or to the main menu when nothing did."""
    if len(manager.current_stack().intents) > 1:
        await manager.done()
    else:
        await manager.start(MainMenuSG.MAIN, mode=StartMode.RESET_STACK)


# --- the card -----------------------------------------------------------------------------------


async def on_card_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("pending", None)
    if manager.dialog_data.get("came_from") == "list":
        await manager.switch_to(ClaimsSG.LIST)
    else:
        await _leave(manager)


async def on_to_card(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("pending", None)
    set_error(manager, None)
    await manager.switch_to(ClaimsSG.CARD)


async def on_take(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    employee = acting(manager)
    claim_id = claim_id_of(manager)
    locale = locale_of(manager)

    async def run() -> None:
        claim = await take_into_work(
            claim_id, actor_id=employee.id, expected_version=_version(manager)
        )
        set_notice(
            manager, gettext(N_("The claim %(number)s is in processing."), locale)
            % {"number": claim.number},
        )  # fmt: skip

    await _command(manager, run)


async def on_timeline(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await get_claim(claim_id_of(manager), viewer_id=acting(manager).id)
    manager.dialog_data["timeline_offset"] = 0
    await manager.switch_to(ClaimsSG.TIMELINE)


async def on_newer(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    from bot.dialogs.claims.getters import TIMELINE_PAGE

    offset = int(manager.dialog_data.get("timeline_offset", 0) or 0)
    manager.dialog_data["timeline_offset"] = max(0, offset - TIMELINE_PAGE)


async def on_older(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    from bot.dialogs.claims.getters import TIMELINE_PAGE

    offset = int(manager.dialog_data.get("timeline_offset", 0) or 0)
    manager.dialog_data["timeline_offset"] = offset + TIMELINE_PAGE


async def _start_step(manager: DialogManager, state: Any, pending: dict[str, Any]) -> None:
    await get_claim(claim_id_of(manager), viewer_id=acting(manager).id)
    manager.dialog_data["pending"] = pending
    set_error(manager, None)
    await manager.switch_to(state)


async def on_note(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _start_step(manager, ClaimsSG.NOTE, {"action": "note"})


async def on_attach(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _start_step(manager, ClaimsSG.ATTACH, {"action": "attach"})


async def on_close(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _start_step(manager, ClaimsSG.CLOSE_OUTCOME, {"action": "close"})


async def on_reopen(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _start_step(manager, ClaimsSG.REOPEN, {"action": "reopen"})


async def on_plan(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _start_step(manager, ClaimsSG.PLAN_TITLE, {"action": "plan"})


async def on_reassign(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    if not has_role(acting(manager), HEADS):
        raise AccessDenied("access_denied")
    await _start_step(manager, ClaimsSG.REASSIGN, {"action": "reassign"})


def _pending(manager: DialogManager, action: str) -> dict[str, Any]:
    pending = manager.dialog_data.get("pending")
    if not isinstance(pending, dict) or pending.get("action") != action:
        pending = {"action": action}
    return pending


async def _next_step(
    manager: DialogManager, action: str, state: Any, *, drop: tuple[str, ...] = (), **values: Any
) -> None:
    """Keep `values` (and forget `drop`) in the pending `action`, then ask the next question."""
    pending = _pending(manager, action)
    for key in drop:
        pending.pop(key, None)
    pending.update(values)
    manager.dialog_data["pending"] = pending
    await manager.switch_to(state)


def _checked(
    manager: DialogManager, text: str, field: str, max_len: int, *, required: bool = True
) -> str | None:
    """The typed text, or None with the refusal shown under the question."""
    try:
        value = check_text(text, field, max_len=max_len, required=required)
    except ValidationFailed as error:
        set_error(manager, error_text(error, locale_of(manager)))
        return None
    set_error(manager, None)
    return value


async def on_not_text(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    set_error(manager, gettext(NOT_A_TEXT, locale_of(manager)))


async def on_note_text(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    value = _checked(manager, text, "comment", MAX_RESOLUTION)
    if value is None:
        return
    manager.dialog_data["pending"] = {"action": "note", "text": value}
    await manager.switch_to(ClaimsSG.CONFIRM)


async def on_reopen_text(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    value = _checked(manager, text, "comment", MAX_RESOLUTION)
    if value is None:
        return
    manager.dialog_data["pending"] = {"action": "reopen", "reason": value}
    await manager.switch_to(ClaimsSG.CONFIRM)


async def on_outcome(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    if item_id not in ("satisfied", "not_satisfied"):
        raise AccessDenied("access_denied")
    await get_claim(claim_id_of(manager), viewer_id=acting(manager).id)
    manager.dialog_data["pending"] = {"action": "close", "satisfied": item_id == "satisfied"}
    set_error(manager, None)
    await manager.switch_to(ClaimsSG.CLOSE_RESOLUTION)


async def on_resolution(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    value = _checked(manager, text, "resolution", MAX_RESOLUTION)
    if value is None:
        return
    satisfied = _pending(manager, "close").get("satisfied")
    await _next_step(
        manager, "close", ClaimsSG.CLOSE_DEPARTMENT if satisfied else ClaimsSG.CONFIRM,
        resolution=value,
    )  # fmt: skip


async def on_department(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    value = _checked(manager, text, "guilty_department", MAX_DEPARTMENT)
    if value is None:
        return
    await _next_step(manager, "close", ClaimsSG.CLOSE_GUILTY, department=value)


async def on_department_skip(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    set_error(manager, None)
    await _next_step(manager, "close", ClaimsSG.CLOSE_GUILTY, drop=("department",))


async def on_guilty(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    acting(manager)
    person_id = as_id(item_id)
    people = {p.id: p.full_name for p in await list_employees()}
    if person_id not in people:
        raise AccessDenied("access_denied")
    await _next_step(
        manager, "close", ClaimsSG.CONFIRM, guilty_id=person_id, guilty_name=people[person_id]
    )


async def on_guilty_skip(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _next_step(manager, "close", ClaimsSG.CONFIRM, drop=("guilty_id", "guilty_name"))


async def on_plan_title(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    value = _checked(manager, text, "title", MAX_TASK_TITLE)
    if value is None:
        return
    manager.dialog_data["pending"] = {"action": "plan", "title": value}
    await manager.switch_to(ClaimsSG.PLAN_PERFORMER)


async def on_plan_performer(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    employee = acting(manager)
    person_id = as_id(item_id)
    if person_id == employee.id:
        name = employee.full_name
    else:
        if person_id is None:
            raise AccessDenied("access_denied")
        await agenda.check_reassign(employee, person_id)  # a head's team, an admin's everyone
        name = next(p.full_name for p in await agenda.list_reassign_candidates(employee)
                    if p.id == person_id)  # fmt: skip
    await _next_step(
        manager, "plan", ClaimsSG.PLAN_DUE, performer_id=person_id, performer_name=name
    )


async def on_plan_due(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    employee = acting(manager)
    days = as_id(item_id)
    if days not in DUE_DAYS:
        raise AccessDenied("access_denied")
    zone = employee.timezone or "Europe/Kyiv"
    day = clock.today(zone) + dt.timedelta(days=days)
    due = clock.to_local(clock.now(), zone).replace(
        year=day.year, month=day.month, day=day.day, hour=18, minute=0, second=0, microsecond=0
    )
    await _next_step(
        manager, "plan", ClaimsSG.CONFIRM,
        due_at=due.astimezone(dt.UTC).isoformat(), due_text=due.strftime("%d.%m.%Y %H:%M"),
    )  # fmt: skip


async def on_reassign_to(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    """Heads and admins only; the new responsible person must be one of theirs."""
    employee = acting(manager)
    if not has_role(employee, HEADS):
        raise AccessDenied("access_denied")
    person_id = await agenda.check_reassign(employee, as_id(item_id))
    claim_id = claim_id_of(manager)
    locale = locale_of(manager)

    async def run() -> None:
        claim = await reassign_claim(
            claim_id, person_id, actor_id=employee.id, expected_version=_version(manager)
        )
        set_notice(
            manager, gettext(N_("The claim %(number)s has a new responsible person."), locale)
            % {"number": claim.number},
        )  # fmt: skip

    if await _command(manager, run):
        manager.dialog_data.pop("pending", None)
        await manager.switch_to(ClaimsSG.CARD)


async def on_confirm(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Write what the confirmation screen echoed."""
    employee = acting(manager)
    claim_id = claim_id_of(manager)
    locale = locale_of(manager)
    pending = manager.dialog_data.get("pending") or {}
    action = pending.get("action")
    version = _version(manager)
    say: str

    async def run() -> None:
        if action == "note":
            await add_claim_note(claim_id, str(pending["text"]), actor_id=employee.id)
        elif action == "reopen":
            await reopen_claim(
                claim_id, reason=str(pending["reason"]), actor_id=employee.id,
                expected_version=version,
            )  # fmt: skip
        elif action == "close":
            satisfied = bool(pending.get("satisfied"))
            await close_claim(
                claim_id, satisfied=satisfied, resolution=str(pending.get("resolution", "")),
                actor_id=employee.id,
                guilty_department=str(pending.get("department", "")) if satisfied else "",
                guilty_employee_id=pending.get("guilty_id") if satisfied else None,
                expected_version=version,
            )  # fmt: skip
        elif action == "plan":
            performer_id = pending.get("performer_id")
            if performer_id != employee.id:
                await agenda.check_reassign(employee, performer_id)
            await plan_claim_tasks(
                claim_id,
                [ClaimTaskPlan(title=str(pending["title"]), performer_id=int(performer_id),
                               due_at=dt.datetime.fromisoformat(str(pending["due_at"])))],
                actor_id=employee.id, expected_version=version,
            )  # fmt: skip
        else:
            raise AccessDenied("access_denied")

    done = {
        "note": N_("The note is added."),
        "reopen": N_("The claim is reopened."),
        "close": N_("The claim is closed."),
        "plan": N_("The task is set."),
    }
    say = gettext(done.get(str(action), N_("Done.")), locale)
    if await _command(manager, run):
        manager.dialog_data.pop("pending", None)
        set_notice(manager, say)
        await manager.switch_to(ClaimsSG.CARD)


# --- files --------------------------------------------------------------------------------------


def _sent_file(manager: DialogManager, message: Message) -> tuple[str, str, str] | None:
    """(file_id, name, MIME type) of the photo or document sent, or None with the refusal shown
    (not a file, or larger than a bot may download)."""
    employee = acting(manager)
    locale = locale_of(manager)
    found = file_of(message, employee.timezone or "Europe/Kyiv")
    if found is None:
        set_error(manager, gettext(NOT_A_FILE, locale))
        return None
    file_id, size, name, mime = found
    if is_too_big(size):
        set_error(manager, error_text(too_big(), locale))
        return None
    return file_id, name, mime


async def on_card_file(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    """A photo or document sent while the card asks for one: attached to the claim."""
    employee = acting(manager)
    claim_id = claim_id_of(manager)
    locale = locale_of(manager)
    found = _sent_file(manager, message)
    if found is None:
        return
    file_id, name, mime = found
    with contextlib.suppress(TelegramAPIError):
        await manager.middleware_data["bot"].send_chat_action(_chat_id(manager), ChatAction.TYPING)
    try:
        data = await download(manager.middleware_data["bot"], file_id)
        link = await attach_claim_file(
            claim_id, data=data, original_name=name, mime_type=mime, actor_id=employee.id
        )
    except AccessDenied:
        raise
    except DomainError as error:
        set_error(manager, error_text(error, locale))
        return
    set_error(manager, None)
    set_notice(manager, gettext(N_("Attached to the claim: %(name)s"), locale)
               % {"name": link.name}, mark="📎")  # fmt: skip
    manager.dialog_data.pop("pending", None)
    await manager.switch_to(ClaimsSG.CARD)


async def on_not_file(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    set_error(manager, gettext(NOT_A_FILE, locale_of(manager)))


# --- the registration wizard --------------------------------------------------------------------


async def on_new_start(start_data: Any, manager: DialogManager) -> None:
    """{"deal_id": int}: the deal's partner, the deal as the basis; {"partner_id": int}: that
    partner; else the partner is searched first. The responsible person is the author unless
    changed."""
    employee = acting(manager)
    data = start_data if isinstance(start_data, dict) else {}
    manager.dialog_data["responsible_id"] = employee.id
    manager.dialog_data["files"] = []
    if "deal_id" in data:
        deal = await get_deal_for(employee, as_id(data.get("deal_id")))
        if deal.partner_id is None:
            raise ValidationFailed("invalid", field="partner", reason="required")
        manager.dialog_data.update(deal_id=deal.id, partner_id=deal.partner_id, preset=True)
        await manager.switch_to(ClaimNewSG.CAUSE)
    elif "partner_id" in data:
        partner = await get_partner_for(employee, as_id(data.get("partner_id")))
        manager.dialog_data.update(partner_id=partner.id, preset=True)
        await manager.switch_to(ClaimNewSG.CAUSE)


async def on_new_cancel(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await _leave(manager)


async def on_partner_query(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    query = " ".join(text.split())[:200]
    if not query:
        set_error(
            manager,
            error_text(
                ValidationFailed("invalid", field="search", reason="required"), locale_of(manager)
            ),
        )
        return
    set_error(manager, None)
    manager.dialog_data["query"] = query
    await manager.switch_to(ClaimNewSG.PARTNER_PICK)


async def on_partner_picked(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    partner = await get_partner_for(acting(manager), as_id(item_id))
    manager.dialog_data["partner_id"] = partner.id
    manager.dialog_data.pop("deal_id", None)
    await manager.switch_to(ClaimNewSG.CAUSE)


async def on_cause_back(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    if manager.dialog_data.get("preset"):
        await _leave(manager)
    else:
        await manager.switch_to(ClaimNewSG.PARTNER_PICK)


async def on_cause(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    acting(manager)
    cause_id = as_id(item_id)
    if cause_id not in {c.id for c in await list_claim_causes()}:
        raise AccessDenied("access_denied")
    manager.dialog_data["cause_id"] = cause_id
    set_error(manager, None)
    await manager.switch_to(ClaimNewSG.DESCRIPTION)


async def on_description(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    value = _checked(manager, text, "description", MAX_DESCRIPTION)
    if value is None:
        return
    manager.dialog_data["description"] = value
    await manager.switch_to(ClaimNewSG.AMOUNT)


async def on_amount(
    message: Message, widget: ManagedTextInput, manager: DialogManager, text: str
) -> None:
    try:
        amount = parse_amount(text.strip(), "claimed")
    except ValidationFailed as error:
        if error.params.get("reason") == "too_large":  # say the limit as money, not kopiyky
            limit = format_money(MAX_POTENTIAL_MINOR, "UAH", locale_of(manager))
            error = ValidationFailed(error.code, **{**error.params, "max": limit})
        set_error(manager, error_text(error, locale_of(manager)))
        return
    set_error(manager, None)
    manager.dialog_data["claimed_minor"] = amount
    await manager.switch_to(ClaimNewSG.RESPONSIBLE)


async def on_amount_skip(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    manager.dialog_data["claimed_minor"] = 0
    await manager.switch_to(ClaimNewSG.RESPONSIBLE)


async def on_responsible(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    acting(manager)
    person_id = as_id(item_id)
    if person_id not in {p.id for p in await list_employees()}:
        raise AccessDenied("access_denied")
    manager.dialog_data["responsible_id"] = person_id
    await manager.switch_to(ClaimNewSG.PHOTOS)


async def on_new_file(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    """A photo or document for the new claim: kept by its Telegram file id until the claim is
    registered (dialog data holds JSON primitives only)."""
    locale = locale_of(manager)
    found = _sent_file(manager, message)
    if found is None:
        return
    file_id, name, mime = found
    files = list(manager.dialog_data.get("files") or [])
    if len(files) >= MAX_WIZARD_FILES:
        set_error(manager, gettext(TOO_MANY_FILES, locale) % {"max": MAX_WIZARD_FILES})
        return
    if any(f.get("file_id") == file_id for f in files):
        return
    taken = {str(f.get("name")) for f in files}
    base, dot, ext = name.rpartition(".")
    n = 2
    while name in taken:  # two photos in the same second
        name = f"{base}_{n}.{ext}" if dot else f"{ext}_{n}"
        n += 1
    files.append({"file_id": file_id, "name": name, "mime": mime})
    manager.dialog_data["files"] = files
    set_error(manager, None)


async def on_photos_done(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    set_error(manager, None)
    await manager.switch_to(ClaimNewSG.CONFIRM)


async def on_register(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Download the photos, register the claim with them (one transaction), open its card."""
    employee = acting(manager)
    data = manager.dialog_data
    locale = locale_of(manager)
    partner = await get_partner_for(employee, data.get("partner_id"))
    deal_id = data.get("deal_id")
    if deal_id is not None:
        deal_id = (await get_deal_for(employee, deal_id)).id
    files = data.get("files") or []
    bot = manager.middleware_data["bot"]
    if files:
        with contextlib.suppress(TelegramAPIError):
            await bot.send_chat_action(_chat_id(manager), ChatAction.TYPING)
    try:
        uploads = [
            NewFile(await download(bot, str(f["file_id"])), str(f["name"]), str(f["mime"]))
            for f in files
        ]
        claim = await register_claim(
            partner_id=partner.id, cause_id=int(data["cause_id"]),
            description=str(data.get("description", "")),
            responsible_id=int(data.get("responsible_id") or employee.id),
            author_id=employee.id, claimed_minor=int(data.get("claimed_minor") or 0),
            deal_id=deal_id, files=uploads,
        )  # fmt: skip
    except AccessDenied:
        raise
    except DomainError as error:
        set_error(manager, error_text(error, locale))
        return
    await manager.done()
    await manager.start(ClaimsSG.LIST, data={"claim_id": claim.id, "registered": True})
