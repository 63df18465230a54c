"""Files sent in the chat, as the deal card and the claim card take them: what the message
carries, the size a bot may download, and the download itself."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message

from core import clock
from core.errors import ValidationFailed
from services.deal_card import ATTACH_MAX_BYTES

logger = logging.getLogger(__name__)

SentFile = tuple[str, int | None, str, str]  # file_id, size, name, MIME type


def file_of(message: Message, tz: str) -> SentFile | None:
    """What the message carries, or None; a photo, voice note or video note is named by the
    local time it came."""
    stamp = clock.to_local(clock.now(), tz).strftime("%Y%m%d_%H%M%S")
    if message.document:
        doc = message.document
        name = doc.file_name or f"file_{stamp}"
        return doc.file_id, doc.file_size, name, doc.mime_type or "application/octet-stream"
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return photo.file_id, photo.file_size, f"photo_{stamp}.jpg", "image/jpeg"
    if message.voice:
        voice = message.voice
        return voice.file_id, voice.file_size, f"voice_{stamp}.ogg", voice.mime_type or "audio/ogg"
    if message.audio:
        audio = message.audio
        name = audio.file_name or f"audio_{stamp}.mp3"
        return audio.file_id, audio.file_size, name, audio.mime_type or "audio/mpeg"
    if message.video:
        video = message.video
        name = video.file_name or f"video_{stamp}.mp4"
        return video.file_id, video.file_size, name, video.mime_type or "video/mp4"
    if message.video_note:
        note = message.video_note
        return note.file_id, note.file_size, f"video_note_{stamp}.mp4", "video/mp4"
    return None


def too_big() -> ValidationFailed:
    return ValidationFailed(
        "invalid", field="file", reason="too_big", max=ATTACH_MAX_BYTES // (1024 * 1024)
    )


def is_too_big(size: int | None) -> bool:
    return size is not None and size > ATTACH_MAX_BYTES


async def download(bot: Bot, file_id: str) -> bytes:
    """The bytes of a file sent in the chat; `too_big()` when Telegram will not give it."""
    try:
        buffer = await bot.download(file_id)
    except TelegramAPIError as error:  # e.g. "file is too big" from Telegram itself
        logger.info("could not download file %s: %s", file_id, error)
        raise too_big() from None
    return buffer.read() if buffer is not None else b""
