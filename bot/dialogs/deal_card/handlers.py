"""The deal card's reactions. Every one loads the deal (and any task, stage, partner or document
named by callback data) through `services.access` / the services with the acting employee, then
calls one service command. Commands that change the deal pass the version the user saw on the
card (`expected_version`): a concurrent change is answered "the deal has changed" with the card
reloaded, and nothing is written."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.state import State
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.widgets.input import ManagedTextInput, MessageInput
from aiogram_dialog.widgets.kbd import Button, Select

from bot.dialogs.chat_files import download, file_of, is_too_big, too_big
from bot.dialogs.deal_card.getters import ATTITUDES, NEW_ROLES, deal_id_of
from bot.dialogs.deals.common import (
    acting,
    as_id,
    error_text,
    local_name,
    locale_of,
    notice_error,
    set_error,
    set_notice,
    tr,
)
from bot.dialogs.states import DealCardSG, MainMenuSG
from charts.environment import render_environment_png
from core.errors import AccessDenied, ConcurrentUpdate, DomainError, ValidationFailed
from core.i18n import N_, gettext
from services.access import get_deal_for, get_deal_task_for
from services.checks import ExitChecksNotMet, check_text
from services.deal_card import (
    attach_to_deal,
    get_competitor,
    load_deal_document,
)
from services.deals import list_loss_reasons, mark_lost, mark_won
from services.environment import INFLUENCE_MAX, add_participant, deal_environment
from services.partners import get_partner, search_partners
from services.pipeline import get_stage, move_to_stage
from services.tasks import complete_task

CHANGED = N_("The deal has changed meanwhile: here it is as it is now. Check and try again.")
RESULT_MAX = 4000
ENVIRONMENT_DEPTH = 2


def _chat_id(manager: DialogManager) -> int:
    return int(manager.middleware_data["event_chat"].id)


def _files_dir(manager: DialogManager) -> Any:
    settings = manager.middleware_data.get("settings")
    return settings.files_path if settings is not None else None


async def _command(
    manager: DialogManager, run: Callable[[], Awaitable[Any]], *, back: State = DealCardSG.MAIN
) -> bool:
    """Run one service command; on a refusal say why on `back` (a stale card: on the reloaded
    card) and return False. AccessDenied goes to the error handler, as everywhere."""
    try:
        await run()
    except AccessDenied:
        raise
    except ConcurrentUpdate:
        set_notice(manager, gettext(CHANGED, locale_of(manager)), mark="🔄")
        await manager.switch_to(DealCardSG.MAIN)
        return False
    except DomainError as error:
        notice_error(manager, error)
        await manager.switch_to(back)
        return False
    return True


def _seen_version(manager: DialogManager) -> int | None:
    version = manager.dialog_data.get("version")
    return version if isinstance(version, int) else None


async def _refresh_version(manager: DialogManager) -> None:
    """After our own change the card we showed is still current for the next command."""
    employee = acting(manager)
    manager.dialog_data["version"] = (await get_deal_for(employee, deal_id_of(manager))).version


# --- opening and closing ------------------------------------------------------------------------


async def on_card_start(start_data: Any, manager: DialogManager) -> None:
    """`start_data` is {"deal_id": int}; another manager's deal is refused before anything is
    shown (the error handler says so; the dialog is not opened)."""
    deal_id = as_id(start_data.get("deal_id")) if isinstance(start_data, dict) else None
    if deal_id is None:
        raise AccessDenied("access_denied")
    deal = await get_deal_for(acting(manager), deal_id)
    manager.dialog_data["deal_id"] = deal.id


async def on_close_card(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Back to whatever opened the card, or to the main menu when nothing did."""
    if len(manager.current_stack().intents) > 1:
        await manager.done()
    else:
        await manager.start(MainMenuSG.MAIN, mode=StartMode.RESET_STACK)


# --- stages -------------------------------------------------------------------------------------


async def _move(manager: DialogManager, stage_id: int) -> None:
    employee = acting(manager)
    deal = await get_deal_for(employee, deal_id_of(manager))
    locale = locale_of(manager)

    async def run() -> None:
        moved = await move_to_stage(
            deal.id, stage_id, actor_id=employee.id, expected_version=_seen_version(manager)
        )
        manager.dialog_data["version"] = moved.version
        stage = await get_stage(stage_id)
        set_notice(
            manager,
            gettext(N_("The deal is now at the stage «%(stage)s»."), locale)
            % {"stage": local_name(stage.name_uk, stage.name_en, locale)},
        )
        await manager.switch_to(DealCardSG.MAIN)

    await _command(manager, run)


async def on_advance(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    stage_id = manager.dialog_data.get("next_stage_id")
    if not isinstance(stage_id, int):
        await manager.switch_to(DealCardSG.MAIN)
        return
    await _move(manager, stage_id)


async def on_stage_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    stage_id = as_id(item_id)
    if stage_id is None:
        raise AccessDenied("access_denied")
    await _move(manager, stage_id)


# --- won and lost -------------------------------------------------------------------------------


async def on_won(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await get_deal_for(acting(manager), deal_id_of(manager))
    manager.dialog_data["confirm"] = {"action": "won"}
    await manager.switch_to(DealCardSG.CONFIRM)


async def on_reason_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    await get_deal_for(acting(manager), deal_id_of(manager))
    locale = locale_of(manager)
    reason_id = as_id(item_id)
    reason = next((r for r in await list_loss_reasons() if r.id == reason_id), None)
    if reason is None:  # retired meanwhile, or forged
        notice_error(manager, ValidationFailed("invalid", field="loss_reason", reason="inactive"))
        await manager.switch_to(DealCardSG.MAIN)
        return
    data = manager.dialog_data
    data["lost_reason_id"] = reason.id
    data["lost_reason_name"] = local_name(reason.name_uk, reason.name_en, locale)
    data.pop("lost_competitor_id", None)
    data.pop("lost_competitor_name", None)
    data["confirm"] = {"action": "lost"}
    if reason.needs_competitor:
        await manager.switch_to(DealCardSG.LOST_COMPETITOR)
    else:
        await manager.switch_to(DealCardSG.CONFIRM)


async def on_competitor_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    await get_deal_for(acting(manager), deal_id_of(manager))

    async def run() -> None:
        competitor = await get_competitor(as_id(item_id))
        manager.dialog_data["lost_competitor_id"] = competitor.id
        manager.dialog_data["lost_competitor_name"] = competitor.name
        await manager.switch_to(DealCardSG.CONFIRM)

    await _command(manager, run, back=DealCardSG.LOST_COMPETITOR)


# --- tasks --------------------------------------------------------------------------------------


async def on_complete_task(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    from services.deal_card import list_open_tasks

    tasks = await list_open_tasks(acting(manager), deal_id_of(manager))
    if not tasks:
        await manager.switch_to(DealCardSG.MAIN)
        return
    if len(tasks) == 1:
        await _choose_task(manager, tasks[0].id)
    else:
        await manager.switch_to(DealCardSG.COMPLETE_TASK)


async def _choose_task(manager: DialogManager, task_id: Any) -> None:
    task = await get_deal_task_for(acting(manager), deal_id_of(manager), task_id)
    manager.dialog_data["task_id"] = task.id
    manager.dialog_data.pop("task_result", None)
    set_error(manager, None)
    await manager.switch_to(DealCardSG.TASK_RESULT)


async def on_task_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    await _choose_task(manager, as_id(item_id))


async def on_task_result(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, text: str
) -> None:
    await get_deal_task_for(
        acting(manager), deal_id_of(manager), manager.dialog_data.get("task_id")
    )
    try:
        result = check_text(text, "result", max_len=RESULT_MAX, required=True)
    except ValidationFailed as error:
        set_error(manager, error_text(error, locale_of(manager)))
        return
    set_error(manager, None)
    manager.dialog_data["task_result"] = result
    manager.dialog_data["confirm"] = {"action": "complete_task"}
    await manager.switch_to(DealCardSG.CONFIRM)


async def on_no_result(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    await get_deal_task_for(
        acting(manager), deal_id_of(manager), manager.dialog_data.get("task_id")
    )
    set_error(manager, None)
    manager.dialog_data["task_result"] = ""
    manager.dialog_data["confirm"] = {"action": "complete_task"}
    await manager.switch_to(DealCardSG.CONFIRM)


# --- participants -------------------------------------------------------------------------------


async def on_role_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    await get_deal_for(acting(manager), deal_id_of(manager))
    if item_id not in NEW_ROLES:
        return
    data = manager.dialog_data
    for key in ("p_query", "p_partner_id", "p_name", "p_influence", "p_attitude"):
        data.pop(key, None)
    data["p_role"] = item_id
    set_error(manager, None)
    if item_id == "competitor":
        await manager.switch_to(DealCardSG.PARTICIPANT_PICK)
    else:
        await manager.switch_to(DealCardSG.PARTICIPANT_SEARCH)


async def on_participant_search(
    message: Message, widget: ManagedTextInput[str], manager: DialogManager, text: str
) -> None:
    await get_deal_for(acting(manager), deal_id_of(manager))
    locale = locale_of(manager)
    try:
        query = check_text(text, "search", max_len=100, required=True)
    except ValidationFailed as error:
        set_error(manager, error_text(error, locale))
        return
    if not await search_partners(query, limit=1):
        set_error(manager, gettext(N_("Nothing found for «%(text)s»."), locale) % {"text": query})
        return
    set_error(manager, None)
    manager.dialog_data["p_query"] = query
    await manager.switch_to(DealCardSG.PARTICIPANT_PICK)


async def on_partner_picked(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    await get_deal_for(acting(manager), deal_id_of(manager))
    partner_id = as_id(item_id)

    async def run() -> None:
        if manager.dialog_data.get("p_role") == "competitor":
            picked = await get_competitor(partner_id)
            name = picked.name
        else:
            if partner_id is None:
                raise AccessDenied("access_denied")
            partner = await get_partner(partner_id)
            name = partner.name
        manager.dialog_data["p_partner_id"] = partner_id
        manager.dialog_data["p_name"] = name
        await manager.switch_to(DealCardSG.PARTICIPANT_INFLUENCE)

    await _command(manager, run, back=DealCardSG.PARTICIPANT_PICK)


async def on_influence(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    level = as_id(item_id)
    if level is None or not 1 <= level <= INFLUENCE_MAX:
        return
    manager.dialog_data["p_influence"] = level
    await manager.switch_to(DealCardSG.PARTICIPANT_ATTITUDE)


async def on_attitude(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    if item_id not in ATTITUDES:
        return
    manager.dialog_data["p_attitude"] = item_id
    manager.dialog_data["confirm"] = {"action": "add_participant"}
    await manager.switch_to(DealCardSG.CONFIRM)


async def on_environment(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """The environment picture as a photo (rendered off the event loop); the dialog follows it."""
    employee = acting(manager)
    deal = await get_deal_for(employee, deal_id_of(manager))
    locale = locale_of(manager)
    bot = manager.middleware_data["bot"]
    chat_id = _chat_id(manager)
    with contextlib.suppress(TelegramAPIError):
        await bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    environment = await deal_environment(deal.id, depth=ENVIRONMENT_DEPTH)
    png = await asyncio.to_thread(render_environment_png, environment, locale=locale)
    await bot.send_photo(
        chat_id,
        BufferedInputFile(png, filename=f"environment_{deal.number}.png"),
        caption=tr(locale, N_("%(number)s: the deal's environment"), number=deal.number),
    )
    manager.show_mode = ShowMode.DELETE_AND_SEND  # the window goes below the picture


# --- the confirmation ---------------------------------------------------------------------------


async def on_confirm(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    employee = acting(manager)
    deal = await get_deal_for(employee, deal_id_of(manager))
    data = manager.dialog_data
    action = (data.get("confirm") or {}).get("action")
    locale = locale_of(manager)
    version = _seen_version(manager)

    if action == "won":

        async def run() -> None:
            won = await mark_won(deal.id, actor_id=employee.id, expected_version=version)
            data["version"] = won.version
            set_notice(manager, gettext(N_("The deal is won. Congratulations!"), locale), mark="🏆")
            await manager.switch_to(DealCardSG.MAIN)

        await _command(manager, run)
    elif action == "lost":

        async def run() -> None:
            lost = await mark_lost(
                deal.id,
                data.get("lost_reason_id"),
                actor_id=employee.id,
                competitor_partner_id=data.get("lost_competitor_id"),
                expected_version=version,
            )
            data["version"] = lost.version
            set_notice(manager, gettext(N_("The deal is marked as lost."), locale), mark="⚫")
            await manager.switch_to(DealCardSG.MAIN)

        await _command(manager, run)
    elif action == "complete_task":
        await _complete(manager, employee, deal.id)
    elif action == "add_participant":

        async def run() -> None:
            await add_participant(
                deal.id,
                partner_id=data.get("p_partner_id"),
                role=str(data.get("p_role")),
                influence=data.get("p_influence") or 0,
                attitude=str(data.get("p_attitude")),
                actor_id=employee.id,
                expected_version=version,
            )
            await _refresh_version(manager)
            set_notice(
                manager,
                gettext(N_("%(name)s is now a participant of the deal."), locale)
                % {"name": data.get("p_name", "")},
            )
            await manager.switch_to(DealCardSG.PARTICIPANTS)

        await _command(manager, run, back=DealCardSG.PARTICIPANTS)
    else:
        await manager.switch_to(DealCardSG.MAIN)
    data.pop("confirm", None)


async def _complete(manager: DialogManager, employee: Any, deal_id: int) -> None:
    data = manager.dialog_data
    task = await get_deal_task_for(employee, deal_id, data.get("task_id"))
    locale = locale_of(manager)

    async def run() -> None:
        try:
            await complete_task(task.id, str(data.get("task_result") or ""), actor_id=employee.id)
        except ExitChecksNotMet as error:
            data["missing"] = [str(code) for code in error.params.get("missing", ())]
            await manager.switch_to(DealCardSG.CHECKS)
            return
        data.pop("missing", None)
        await _refresh_version(manager)
        set_notice(
            manager,
            gettext(N_("Task completed: %(title)s"), locale) % {"title": task.title},
        )
        await manager.switch_to(DealCardSG.MAIN)

    await _command(manager, run)


async def on_cancel_confirm(
    callback: CallbackQuery, button: Button, manager: DialogManager
) -> None:
    action = (manager.dialog_data.pop("confirm", None) or {}).get("action")
    back = DealCardSG.PARTICIPANTS if action == "add_participant" else DealCardSG.MAIN
    await manager.switch_to(back)


# --- the timeline -------------------------------------------------------------------------------


async def on_timeline(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["tl_offset"] = 0
    await manager.switch_to(DealCardSG.TIMELINE)


def _page(step: int) -> Callable[[CallbackQuery, Button, DialogManager], Awaitable[None]]:
    async def on_click(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
        from bot.dialogs.deal_card.getters import TIMELINE_PAGE

        offset = int(manager.dialog_data.get("tl_offset") or 0) + step * TIMELINE_PAGE
        manager.dialog_data["tl_offset"] = max(0, offset)

    return on_click


on_older = _page(+1)
on_newer = _page(-1)


# --- documents and files ------------------------------------------------------------------------


async def on_document(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    """Send a document of the deal's process as a file (a forged id of another process is
    refused by the service)."""
    employee = acting(manager)
    deal = await get_deal_for(employee, deal_id_of(manager))
    bot = manager.middleware_data["bot"]
    chat_id = _chat_id(manager)
    try:
        document = await load_deal_document(
            employee, deal.id, as_id(item_id), files_dir=_files_dir(manager)
        )
    except AccessDenied:
        raise
    except DomainError as error:
        notice_error(manager, error)
        return
    with contextlib.suppress(TelegramAPIError):
        await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    caption = tr(
        locale_of(manager), N_("%(number)s: %(title)s"), number=deal.number, title=document.title
    )
    await bot.send_document(
        chat_id,
        document.telegram_file_id or BufferedInputFile(document.data, filename=document.filename),
        caption=caption[:1024],
    )
    manager.show_mode = ShowMode.DELETE_AND_SEND


async def on_file(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    """Download what was sent and attach it to the deal."""
    employee = acting(manager)
    deal = await get_deal_for(employee, deal_id_of(manager))
    locale = locale_of(manager)
    found = file_of(message, employee.timezone or "Europe/Kyiv")
    if found is None:
        await on_not_a_file(message, widget, manager)
        return
    file_id, size, name, mime = found
    if is_too_big(size):
        set_error(manager, error_text(too_big(), locale))
        return
    bot = manager.middleware_data["bot"]
    with contextlib.suppress(TelegramAPIError):
        await bot.send_chat_action(_chat_id(manager), ChatAction.TYPING)
    try:
        data = await download(bot, file_id)
        attached = await attach_to_deal(
            employee, deal.id, data, name=name, mime_type=mime, files_dir=_files_dir(manager)
        )
    except AccessDenied:
        raise
    except DomainError as error:
        set_error(manager, error_text(error, locale))
        return
    set_error(manager, None)
    set_notice(
        manager,
        gettext(N_("Attached to the deal: %(name)s"), locale) % {"name": attached.name},
        mark="📎",
    )
    await manager.switch_to(DealCardSG.MAIN)


async def on_not_a_file(message: Message, widget: MessageInput, manager: DialogManager) -> None:
    set_error(
        manager,
        gettext(
            N_("That is not a file: send a document, a photo or a voice note."), locale_of(manager)
        ),
    )


# --- another dialog -----------------------------------------------------------------------------


async def on_log_call(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Log a call on this deal: `LogInteractionSG.START` with {"deal_id", "kind": "call"}."""
    deal = await get_deal_for(acting(manager), deal_id_of(manager))
    from bot.dialogs import states

    group = getattr(states, "LogInteractionSG", None)
    start = getattr(group, "START", None) if group is not None else None
    if start is None:  # that dialog is not installed
        set_notice(
            manager,
            gettext(N_("Logging calls is not available yet."), locale_of(manager)),
            mark="ℹ️",
        )
        await manager.switch_to(DealCardSG.MAIN)
        return
    await manager.start(start, data={"deal_id": deal.id, "kind": "call"})
