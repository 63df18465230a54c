"""aiogram-dialog's message manager with Telegram's length limits enforced.

Dialogs page their long lists themselves (`bot.texts.helpers.split_text`, paged widgets); this
is the safety net: a window whose text still exceeds 4,096 characters (1,024 for a caption)
is cut at a line end with "…" and a warning is logged, instead of Telegram refusing the whole
screen with "message is too long".
"""

from __future__ import annotations

import dataclasses
import logging

from aiogram import Bot
from aiogram_dialog.api.entities import NewMessage, OldMessage
from aiogram_dialog.manager.message_manager import MessageManager

from bot.texts.helpers import CAPTION_LIMIT, MESSAGE_LIMIT, split_text

logger = logging.getLogger(__name__)
ELLIPSIS = "\n…"


class LimitedMessageManager(MessageManager):
    async def show_message(
        self, bot: Bot, new_message: NewMessage, old_message: OldMessage | None
    ) -> OldMessage:
        limit = CAPTION_LIMIT if new_message.media else MESSAGE_LIMIT
        text = new_message.text
        if text and len(text) > limit:
            logger.warning("a window of %d characters was cut to %d", len(text), limit)
            cut = split_text(text, limit - len(ELLIPSIS))[0] + ELLIPSIS
            new_message = dataclasses.replace(new_message, text=cut)
        return await super().show_message(bot, new_message, old_message)
