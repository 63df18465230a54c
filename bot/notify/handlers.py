"""The buttons of the e-mail notifications (`em:<action>:<id>[:<id>]`, see bot.notify.email).

Callback data is untrusted: every press loads the e-mail and the deal again through
`services.access` with the pressing employee (a manager: e-mails of their deals and partners,
sent to them or announced to them; heads and administrators: any), so forged data is refused
with the translated AccessDenied (by the error handler) and changes nothing. The action is a
service call; the message is then edited to say what happened (with the buttons still useful),
and the press is answered. A press on an e-mail someone else has sorted meanwhile changes
nothing and shows where the e-mail is now.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.dialogs.states import DealCardSG
from bot.notify.email import (
    ATTACH,
    FROM,
    IGNORE,
    LATER,
    NEW,
    NO_SUBJECT,
    NOT_THIS,
    OPEN,
    EmailButton,
    attached_keyboard,
    attachments_line,
    clip,
    deal_label,
    keyboard,
    open_row,
    sender_line,
    subject_line,
    unsorted_keyboard,
)
from bot.texts.helpers import Translator
from core import clock
from core.errors import AccessDenied, NotFound
from core.i18n import N_, format_datetime
from models import Deal, EmailMessage, Employee
from models.base import EmailState
from services import mail
from services.access import (
    acting_employee,
    can_see_deal,
    get_deal_for,
    get_email_deal_for,
    get_email_for,
)
from services.deals import create_deal, get_deal
from services.new_deal import list_new_deal_kinds
from services.tasks import create_task

logger = logging.getLogger(__name__)

DONE = N_("Done.")
DONE_ATTACHED = N_("✅ Attached to the deal %(deal)s.")
DONE_CREATED = N_("✅ Deal %(deal)s created; the e-mail is on it.")
DONE_IGNORED = N_("🚫 Ignored: the e-mail is kept, on no deal.")
DONE_DETACHED = N_("✖️ Taken off the deal %(deal)s: the e-mail waits in the unsorted queue.")
DONE_TASK = N_("⏰ A task to reply is set for %(due)s.")
ALREADY_ON_DEAL = N_("ℹ️ Already sorted: the e-mail is on the deal %(deal)s.")
ALREADY_IGNORED = N_("ℹ️ Already sorted: the e-mail was ignored.")
ALREADY_UNSORTED = N_("ℹ️ The e-mail waits in the unsorted queue.")
SET_ASIDE = N_("ℹ️ This e-mail was set aside and cannot be sorted here.")
TASK_TITLE = N_("Reply to the e-mail: %(subject)s")
NEW_DEAL_TITLE = N_("E-mail from %(sender)s")
EMAIL_CHANNEL = N_("E-mail")

PREFERRED_KIND = "simple_deal"
REPLY_AT = dt.time(9, 0)
TITLE_MAX = 300  # Deal.title


@dataclass(frozen=True)
class Press:
    """One press of an e-mail button and what every action needs to answer it."""

    callback: CallbackQuery
    button: EmailButton
    employee: Employee
    i18n: Translator
    bot: Bot
    dialog_manager: DialogManager

    async def finish(
        self, outcome: str, row: mail.EmailRow, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Edit the notification to say what happened to the e-mail; answer the press."""
        await _show(self.callback, self.bot, outcome_text(self.i18n, outcome, row), markup)
        await self.callback.answer(self.i18n(DONE))


Action = Callable[[Press], Awaitable[None]]


# --- what the edited message says ---------------------------------------------------------------


def outcome_text(i18n: Translator, outcome: str, row: mail.EmailRow) -> str:
    """The outcome first, then which e-mail it was about."""
    lines = [
        outcome,
        "",
        sender_line(i18n, row.sender_name, row.sender_address),
        subject_line(i18n, row.subject),
    ]
    if row.attachment_count:
        lines.append(attachments_line(i18n, row.attachment_count))
    return "\n".join(lines)


async def _show(
    callback: CallbackQuery, bot: Bot, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the notification in place; if Telegram will not (too old, deleted), say it anew."""
    message = callback.message
    chat_id = message.chat.id if message is not None else callback.from_user.id
    preview = LinkPreviewOptions(is_disabled=True)
    if message is not None:
        try:
            await bot.edit_message_text(
                text=text,
                chat_id=chat_id,
                message_id=message.message_id,
                reply_markup=markup,
                link_preview_options=preview,
            )
            return
        except TelegramBadRequest as error:
            if "not modified" in str(error):
                return
            logger.info("could not edit notification %s: %s", message.message_id, error)
    await bot.send_message(chat_id, text, reply_markup=markup, link_preview_options=preview)


async def _deal_text(deal_id: int) -> str:
    deal = await get_deal(deal_id)
    return deal_label(deal.number, deal.title)


async def _current_state(press: Press, email_id: int) -> None:
    """The e-mail was sorted meanwhile (by someone else, or by an earlier press): show where."""
    i18n = press.i18n
    row = await mail.get_email(email_id)
    markup = None
    if row.state == EmailState.ATTACHED and row.deal_id:
        outcome = i18n(ALREADY_ON_DEAL, deal=await _deal_text(row.deal_id))
        if await can_see_deal(press.employee, row.deal_id):
            markup = keyboard([open_row(i18n, row.deal_id)])
    elif row.state == EmailState.IGNORED:
        outcome = i18n(ALREADY_IGNORED)
    elif row.state == EmailState.UNSORTED:
        outcome = i18n(ALREADY_UNSORTED)
        markup = unsorted_keyboard(i18n, row.id)
    else:
        outcome = i18n(SET_ASIDE)
    await press.finish(outcome, row, markup)


async def _still_unsorted(press: Press, email: EmailMessage) -> bool:
    """Whether the e-mail still waits to be sorted; if not, the message shows where it is."""
    if email.state == EmailState.UNSORTED:
        return True
    await _current_state(press, email.id)
    return False


# --- the actions --------------------------------------------------------------------------------


async def open_deal(press: Press) -> None:
    """The deal card, as a new message: started in the background, so the notification keeps
    its buttons (a dialog started from this press would take them off as from its own window)."""
    deal = await get_deal_for(press.employee, press.button.ref)
    await press.callback.answer()
    await press.dialog_manager.bg().start(
        DealCardSG.MAIN,
        data={"deal_id": deal.id},
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )


def reply_due(employee: Employee) -> dt.datetime:
    """Tomorrow 09:00 in the employee's time zone, as aware UTC."""
    zone_name = employee.timezone or "Europe/Kyiv"
    tomorrow = clock.today(zone_name) + dt.timedelta(days=1)
    local = dt.datetime.combine(tomorrow, REPLY_AT, tzinfo=zoneinfo.ZoneInfo(zone_name))
    return local.astimezone(dt.UTC)


def _plain_sender(email: EmailMessage) -> str:
    name, address = email.from_name, email.from_address
    if name and address:
        return f"{clip(name, 100)} <{clip(address, 200)}>"
    return clip(name or address, 200)


async def reply_later(press: Press) -> None:
    """A task for the pressing employee, due tomorrow 09:00 local, on the e-mail's deal."""
    employee, i18n = press.employee, press.i18n
    email = await get_email_for(employee, press.button.ref)
    due = reply_due(employee)
    subject = clip(email.subject, 200) or i18n(NO_SUBJECT)
    await create_task(
        title=i18n(TASK_TITLE, subject=subject),
        description=i18n(FROM, sender=_plain_sender(email)),
        performer_id=employee.id,
        author_id=employee.id,
        due_at=due,
        deal_id=email.deal_id,
        partner_id=None if email.deal_id else email.partner_id,
    )
    row = await mail.get_email(email.id)
    outcome = i18n(DONE_TASK, due=format_datetime(due, employee.timezone or "Europe/Kyiv"))
    markup = None
    if row.state == EmailState.ATTACHED and row.deal_id:
        markup = attached_keyboard(i18n, row.id, row.deal_id, later=False)
    await press.finish(outcome, row, markup)


async def not_this_deal(press: Press) -> None:
    """Off the deal, back to the unsorted queue; then: create a deal or ignore."""
    email = await get_email_for(press.employee, press.button.ref)
    if email.state != EmailState.ATTACHED or email.deal_id is None:
        await _current_state(press, email.id)
        return
    deal = await _deal_text(email.deal_id)
    row = await mail.detach_email(email.id, actor_id=press.employee.id)
    await press.finish(
        press.i18n(DONE_DETACHED, deal=deal), row, unsorted_keyboard(press.i18n, row.id)
    )


async def attach(press: Press) -> None:
    """Onto the chosen candidate deal."""
    email = await get_email_for(press.employee, press.button.ref)
    deal = await get_email_deal_for(press.employee, press.button.deal_id)
    if not await _still_unsorted(press, email):
        return
    row = await mail.attach_email_to_deal(email.id, deal.id, actor_id=press.employee.id)
    await _done_on_deal(press, row, deal, DONE_ATTACHED)


async def new_deal(press: Press) -> None:
    """A deal owned by the pressing employee (the e-mail's partner, its subject as the title),
    with the e-mail on it."""
    employee, i18n = press.employee, press.i18n
    email = await get_email_for(employee, press.button.ref)
    if not await _still_unsorted(press, email):
        return
    kinds = await list_new_deal_kinds()
    if not kinds:
        raise NotFound("not_found", what="kind")
    kind = next((k for k in kinds if k.code == PREFERRED_KIND), kinds[0])
    title = clip(email.subject, TITLE_MAX) or clip(
        i18n(NEW_DEAL_TITLE, sender=_plain_sender(email)), TITLE_MAX
    )
    deal = await create_deal(
        owner_id=employee.id,
        title=title,
        kind_id=kind.id,
        partner_id=email.partner_id,
        channel=i18n(EMAIL_CHANNEL),
        actor_id=employee.id,
    )
    row = await mail.attach_email_to_deal(email.id, deal.id, actor_id=employee.id)
    await _done_on_deal(press, row, deal, DONE_CREATED)


async def _done_on_deal(press: Press, row: mail.EmailRow, deal: Deal, outcome: str) -> None:
    i18n = press.i18n
    can_see = await can_see_deal(press.employee, deal.id)
    markup = keyboard([open_row(i18n, deal.id)]) if can_see else None
    await press.finish(i18n(outcome, deal=deal_label(deal.number, deal.title)), row, markup)


async def ignore(press: Press) -> None:
    """On no deal; the e-mail stays stored."""
    email = await get_email_for(press.employee, press.button.ref)
    if not await _still_unsorted(press, email):
        return
    row = await mail.ignore_email(email.id, actor_id=press.employee.id)
    await press.finish(press.i18n(DONE_IGNORED), row, None)


ACTIONS: dict[str, Action] = {
    OPEN: open_deal,
    LATER: reply_later,
    NOT_THIS: not_this_deal,
    ATTACH: attach,
    NEW: new_deal,
    IGNORE: ignore,
}


async def on_email_button(
    callback: CallbackQuery,
    bot: Bot,
    dialog_manager: DialogManager,
    i18n: Translator,
    employee: Employee | None = None,
) -> None:
    """Any `em:` press: data that does not parse is as forged as another manager's ids."""
    button = EmailButton.unpack(callback.data)
    if button is None:
        raise AccessDenied("access_denied")
    employee = acting_employee(employee)
    await ACTIONS[button.action](Press(callback, button, employee, i18n, bot, dialog_manager))


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_email_button, F.data.startswith("em:"))
    return router
