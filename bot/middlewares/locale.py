"""The user's language: the employee's setting, else their Telegram language, else the default."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.texts.helpers import Translator
from core.i18n import LOCALES, normalise_locale


def locale_for(employee: Any, user: User | None, default: str) -> str:
    if employee is not None and getattr(employee, "locale", None) in LOCALES:
        return str(employee.locale)
    if user is not None and user.language_code:
        return normalise_locale(user.language_code)
    return default


def bind_locale(data: dict[str, Any], locale: str) -> Translator:
    """Put the locale and the translators into handler data (also after a language change)."""
    i18n = Translator(locale)
    data["locale"] = locale
    data["i18n"] = i18n
    data["_"] = data["gettext"] = i18n.gettext
    return i18n


class LocaleMiddleware(BaseMiddleware):
    def __init__(self, default_locale: str = "uk") -> None:
        self.default_locale = default_locale

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        locale = locale_for(data.get("employee"), data.get("event_from_user"), self.default_locale)
        bind_locale(data, locale)
        return await handler(event, data)
