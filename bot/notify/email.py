"""The e-mail notifications: what ingest's `Notifier` protocol (ingest/pipeline.py) asks the bot
to send, after the mail has committed.

    notifier = make_notifier(app)          # the App's Bot
    await notifier.email_attached(note)    # to the deal's owner
    await notifier.email_unsorted(note)    # to the partner's main manager or the heads of sales

Each message is in the recipient's language (`EmailNote.locale`), escaped HTML: the sender, the
subject, the first lines, the attachments, then the deal or the candidate deals; its buttons
carry callback data `em:<action>:<id>[:<id>]` (at most 64 bytes) that `bot.notify.handlers`
acts on after re-checking access. A failure raises (ingest records it and retries).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.texts.helpers import CALLBACK_DATA_LIMIT, Translator, escape
from core.i18n import N_
from services.mail import (
    EMPTY_ATTACHMENT_NOTE,
    SKIPPED_ATTACHMENT_NOTE,
    DealRef,
    EmailNote,
    SkippedAttachment,
)

# --- callback data -------------------------------------------------------------------------------

PREFIX = "em"
OPEN, LATER, NOT_THIS = "open", "later", "not"  # on an attached e-mail
ATTACH, NEW, IGNORE = "att", "new", "ign"  # on an unsorted one
ACTIONS = frozenset({OPEN, LATER, NOT_THIS, ATTACH, NEW, IGNORE})
MAX_ID = 2**31 - 1  # the ids are 32-bit: a larger one is forged (and PostgreSQL refuses it)
_DATA = re.compile(r"^em:([a-z]{3,5}):([1-9]\d{0,11})(?::([1-9]\d{0,11}))?$")


@dataclass(frozen=True)
class EmailButton:
    """One parsed press: `ref` is the e-mail's id (the deal's for `open`); `deal_id` only for
    `att`. Ids are untrusted: the handlers load them through `services.access`."""

    action: str
    ref: int
    deal_id: int | None = None

    def pack(self) -> str:
        data = f"{PREFIX}:{self.action}:{self.ref}"
        if self.deal_id is not None:
            data += f":{self.deal_id}"
        if len(data.encode()) > CALLBACK_DATA_LIMIT:  # pragma: no cover - ids are < 10**12
            raise ValueError(f"callback data too long: {data}")
        return data

    @classmethod
    def unpack(cls, data: str | None) -> EmailButton | None:
        found = _DATA.match(data or "")
        if not found or found.group(1) not in ACTIONS:
            return None
        action, ref = found.group(1), int(found.group(2))
        deal = int(found.group(3)) if found.group(3) else None
        if (action == ATTACH) != (deal is not None) or max(ref, deal or 0) > MAX_ID:
            return None
        return cls(action, ref, deal)


# --- texts ---------------------------------------------------------------------------------------

ATTACHED_TITLE = N_("📧 <b>New e-mail on the deal %(number)s</b>")
BOUNCE_TITLE = N_("↩️ <b>Undelivered mail on the deal %(number)s</b>")
BOUNCE_NOTE = N_("Our message did not reach the recipient.")
UNSORTED_TITLE = N_("📥 <b>An e-mail found no single deal</b>")
FROM = N_("From: %(sender)s")
PARTNER = N_("Partner: %(name)s")
SUBJECT = N_("Subject: %(subject)s")
NO_SUBJECT = N_("(no subject)")
UNKNOWN_SENDER = N_("unknown sender")
CANDIDATES = N_("Which deal is it? Candidates:")
NO_CANDIDATES = N_("No open deal matches it: create one or ignore the e-mail.")
MORE_CANDIDATES = N_("…and %(n)s more")
SIZE_KB = N_("%(n)s KB")
SIZE_MB = N_("%(n)s MB")

BUTTON_OPEN = N_("📂 Open the deal")
BUTTON_LATER = N_("⏰ Reply later")
BUTTON_NOT_THIS = N_("✖️ Not this deal")
BUTTON_NEW = N_("➕ Create a deal")
BUTTON_IGNORE = N_("🚫 Ignore")

SUBJECT_CHARS = 200
TITLE_CHARS = 80
BUTTON_TITLE_CHARS = 28
CANDIDATES_SHOWN = 8


class RecipientUnreachable(RuntimeError):
    """The employee has no Telegram account linked: the notification cannot go out."""


def clip(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def sender_line(i18n: Translator, name: str, address: str) -> str:
    name, address = clip(name, 100), clip(address, 200)
    if name and address and name.lower() != address.lower():
        sender = f"{escape(name)} &lt;{escape(address)}&gt;"
    else:
        sender = escape(name or address) if (name or address) else escape(i18n(UNKNOWN_SENDER))
    return i18n(FROM, sender=sender)


def subject_line(i18n: Translator, subject: str) -> str:
    shown = clip(subject, SUBJECT_CHARS)
    return i18n(SUBJECT, subject=f"<b>{escape(shown)}</b>" if shown else escape(i18n(NO_SUBJECT)))


def attachments_line(i18n: Translator, count: int) -> str:
    return i18n.ngettext("📎 %(n)s attachment", "📎 %(n)s attachments", count) if count else ""


def format_size(i18n: Translator, size: int) -> str:
    if size < 1024 * 1024:
        return i18n(SIZE_KB, n=max(1, round(size / 1024)))
    megabytes = f"{size / (1024 * 1024):.1f}".removesuffix(".0")
    return i18n(SIZE_MB, n=megabytes if i18n.locale == "en" else megabytes.replace(".", ","))


def skipped_line(i18n: Translator, skipped: SkippedAttachment) -> str:
    name = escape(clip(skipped.name, 100))
    if skipped.reason == "empty":
        return "⚠️ " + i18n(EMPTY_ATTACHMENT_NOTE, name=name)
    return "⚠️ " + i18n(
        SKIPPED_ATTACHMENT_NOTE,
        name=name,
        size=format_size(i18n, skipped.size),
        limit=format_size(i18n, skipped.limit),
    )


def deal_label(number: str, title: str, limit: int = TITLE_CHARS) -> str:
    """'D-000123 «Title»' (escaped)."""
    title = clip(title, limit)
    return f"{escape(number)} «{escape(title)}»" if title else str(escape(number))


def render_attached(note: EmailNote) -> str:
    i18n = Translator(note.locale)
    assert note.deal is not None
    title = BOUNCE_TITLE if note.is_bounce else ATTACHED_TITLE
    lines = [i18n(title, number=escape(note.deal.number)), escape(clip(note.deal.title, 200))]
    if note.is_bounce:
        lines.append(i18n(BOUNCE_NOTE))
    lines += ["", *_mail_lines(i18n, note)]
    return "\n".join(lines).strip()


def render_unsorted(note: EmailNote) -> str:
    i18n = Translator(note.locale)
    lines = [i18n(UNSORTED_TITLE), "", *_mail_lines(i18n, note), ""]
    if note.candidates:
        lines.append(i18n(CANDIDATES))
        lines += [f"• {deal_label(d.number, d.title)}" for d in note.candidates[:CANDIDATES_SHOWN]]
        if len(note.candidates) > CANDIDATES_SHOWN:
            lines.append(i18n(MORE_CANDIDATES, n=len(note.candidates) - CANDIDATES_SHOWN))
    else:
        lines.append(i18n(NO_CANDIDATES))
    return "\n".join(lines).strip()


def _mail_lines(i18n: Translator, note: EmailNote) -> list[str]:
    lines = [sender_line(i18n, note.sender_name, note.sender_address)]
    if note.partner_name and note.deal is None:
        lines.append(i18n(PARTNER, name=escape(clip(note.partner_name, 150))))
    lines.append(subject_line(i18n, note.subject))
    if note.preview:
        lines += [f"<i>{escape(line)}</i>" for line in note.preview.splitlines()]
    if note.attachment_count:
        lines.append(attachments_line(i18n, note.attachment_count))
    lines += [skipped_line(i18n, s) for s in note.skipped_attachments]
    return lines


# --- keyboards -----------------------------------------------------------------------------------


def _button(text: str, button: EmailButton) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=button.pack())


def keyboard(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def open_row(i18n: Translator, deal_id: int) -> list[InlineKeyboardButton]:
    return [_button(i18n(BUTTON_OPEN), EmailButton(OPEN, deal_id))]


def attached_keyboard(
    i18n: Translator, email_id: int, deal_id: int, *, later: bool = True
) -> InlineKeyboardMarkup | None:
    """Open the deal; reply later (a task); not this deal."""
    second = [_button(i18n(BUTTON_NOT_THIS), EmailButton(NOT_THIS, email_id))]
    if later:
        second.insert(0, _button(i18n(BUTTON_LATER), EmailButton(LATER, email_id)))
    return keyboard([open_row(i18n, deal_id), second])


def unsorted_keyboard(
    i18n: Translator, email_id: int, candidates: tuple[DealRef, ...] | list[DealRef] = ()
) -> InlineKeyboardMarkup | None:
    """One button per candidate deal (attach there); create a deal; ignore."""
    rows = [
        [
            _button(
                f"📌 {d.number} · {clip(d.title, BUTTON_TITLE_CHARS)}".rstrip(" ·"),
                EmailButton(ATTACH, email_id, d.id),
            )
        ]
        for d in candidates[:CANDIDATES_SHOWN]
    ]
    rows.append(
        [
            _button(i18n(BUTTON_NEW), EmailButton(NEW, email_id)),
            _button(i18n(BUTTON_IGNORE), EmailButton(IGNORE, email_id)),
        ]
    )
    return keyboard(rows)


# --- the notifier --------------------------------------------------------------------------------


class EmailNotifier:
    """ingest.pipeline.Notifier over the App's Bot (flood control is waited out by the Bot's
    session; any other failure raises, so ingest counts the attempt and retries later)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def email_attached(self, note: EmailNote) -> None:
        if note.deal is None:  # pragma: no cover - services build attached notes with a deal
            raise ValueError(f"e-mail {note.email_id}: an attached note without its deal")
        i18n = Translator(note.locale)
        await self._send(
            note, render_attached(note), attached_keyboard(i18n, note.email_id, note.deal.id)
        )

    async def email_unsorted(self, note: EmailNote) -> None:
        i18n = Translator(note.locale)
        await self._send(
            note, render_unsorted(note), unsorted_keyboard(i18n, note.email_id, note.candidates)
        )

    async def _send(self, note: EmailNote, text: str, markup: InlineKeyboardMarkup | None) -> None:
        if not note.recipient_telegram_id:
            raise RecipientUnreachable(f"employee {note.recipient_id} has no Telegram account")
        await self.bot.send_message(
            note.recipient_telegram_id,
            text,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )


def make_notifier(app: Any) -> EmailNotifier:
    """The `make_notifier` of `ingest.runner.app_hooks`: the notifier for a built `bot.app.App`."""
    return EmailNotifier(app.bot)
