"""What every bot text goes through: gettext bound to the user's locale, HTML escaping, paging.

- `Translator(locale)` reaches handlers and getters as `i18n` (and its bound `gettext` as `_`)
  from the locale middleware; `i18n.error(err)` says a `DomainError` in the user's language.
- Messages are HTML (`DefaultBotProperties(parse_mode="HTML")`): every user-supplied string is
  escaped with `escape()`. Getter values are escaped by the dialog widgets unless wrapped in
  `Html(...)`, which marks text already built from escaped parts.
- Telegram refuses texts over 4,096 characters and callback data over 64 bytes:
  `split_text()` pages long texts on line boundaries (`send_paged()` sends them);
  `check_callback_data()` guards hand-made buttons.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.types import Message

from core.errors import DomainError
from core.i18n import DEFAULT_LOCALE, gettext, ngettext, translate_error

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64


class Html(str):
    """A string that is already safe HTML (built from escaped parts); widgets do not escape it."""

    __slots__ = ()


def escape(value: Any) -> Html:
    """User text (names, titles, notes, e-mail subjects) made safe for an HTML message."""
    if isinstance(value, Html):
        return value
    return Html(html.escape("" if value is None else str(value), quote=False))


def escape_values(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of format data with every plain string escaped (Html and non-strings kept)."""
    return {
        key: escape(value) if isinstance(value, str) and not isinstance(value, Html) else value
        for key, value in data.items()
    }


@dataclass(frozen=True, slots=True)
class Translator:
    """gettext, ngettext and error texts bound to one locale."""

    locale: str = DEFAULT_LOCALE

    def gettext(self, message: str, **params: Any) -> str:
        text = gettext(message, self.locale)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = ngettext(singular, plural, n, self.locale)
        return text % {"n": n, **params}

    def error(self, error: DomainError) -> str:
        return translate_error(error, self.locale)

    __call__ = gettext


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pages of at most `limit` characters, cut at line ends (or spaces) where possible.

    Tags must not span lines (every dialog text keeps its `<b>...</b>` on one line), so a page
    never ends inside a tag; a single over-long line is cut at a space, outside any entity.
    """
    pages: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pages.append(current)
        while len(line) > limit:
            cut = _cut_point(line, limit)
            pages.append(line[:cut])
            line = line[cut:].lstrip(" ")
        current = line
    if current or not pages:
        pages.append(current)
    return pages


async def send_paged(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> list[Message]:
    """Send a text of any length as consecutive messages; a keyboard goes on the last one."""
    markup = kwargs.pop("reply_markup", None)
    pages = split_text(text)
    return [
        await bot.send_message(
            chat_id, page, reply_markup=markup if i == len(pages) - 1 else None, **kwargs
        )
        for i, page in enumerate(pages)
    ]


def _cut_point(line: str, limit: int) -> int:
    cut = line.rfind(" ", 0, limit + 1)
    if cut <= 0:
        cut = limit
    amp = line.rfind("&", 0, cut)  # never cut an entity such as &amp; in two
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp or limit
    lt = line.rfind("<", 0, cut)  # nor a tag
    if lt > 0 and ">" not in line[lt:cut]:
        cut = lt
    return cut


def check_callback_data(data: str) -> str:
    """The data unchanged, or ValueError when Telegram would refuse it (over 64 bytes)."""
    if not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
        raise ValueError(f"callback data must be 1-64 bytes: {data!r}")
    return data
