"""aiogram-dialog text widgets that translate with the locale of the current update.

    Tr(N_("Settings"), prefix="⚙️ ")                a constant, for texts and buttons
    TrFormat(N_("Language: {language}"))             message text: translated, then formatted
                                                     with the getter's data, plain strings
                                                     HTML-escaped (wrap safe HTML in `Html`)
    TrLabel(N_("{title} ({count})"))                 a button label: formatted, not escaped
                                                     (Telegram shows button texts verbatim)

Mark msgids with `N_()` so `make i18n` extracts them. Plurals: compute them in the getter with
`i18n.ngettext(...)` and pass the result as a value.
"""

from __future__ import annotations

from typing import Any

from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.text import Text

from bot.texts.helpers import escape_values
from core.i18n import DEFAULT_LOCALE, gettext


def locale_of(manager: DialogManager) -> str:
    return str(manager.middleware_data.get("locale") or DEFAULT_LOCALE)


class Tr(Text):
    """`prefix` (an emoji) stays out of the msgid. Do not write `"⚙️ " + Tr(...)`: aiogram-dialog
    joins a str added on the left with a newline."""

    def __init__(self, msgid: str, when: WhenCondition = None, *, prefix: str = "") -> None:
        super().__init__(when=when)
        self.msgid = msgid
        self.prefix = prefix

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return self.prefix + gettext(self.msgid, locale_of(manager))


class TrFormat(Tr):
    escape = True

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        template = self.prefix + gettext(self.msgid, locale_of(manager))
        return template.format_map(escape_values(data) if self.escape else data)


class TrLabel(TrFormat):
    escape = False
