"""aiogram-dialog text widgets that translate with the locale of the current update.

    Tr(N_("Settings"), prefix="⚙️ ")                a constant, for texts and buttons
    TrFormat(N_("Language: {language}"))             message text: translated, then formatted
                                                     with the getter's data, plain strings
                                                     HTML-escaped (wrap safe HTML in `Html`)
    TrLabel(N_("{title} ({count})"))                 a button label: formatted, not escaped
                                                     (Telegram shows button texts verbatim)

Mark msgids with `N_()` so `make i18n` extracts them. Plurals: compute them in the getter with
`i18n.ngettext(...)` and pass the result as a value.

And the keyboard pieces the dialogs share:

    nav()  nav(SomeSG.STATE)  nav(back_button(on_back))   Back (if any) + Main menu, one row
    pick("deals", "deal", on_deal)                        a button per item of the getter's list
    paged(pick(...), "deals_scroll", height=6)            the same, one column, paged
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.fsm.state import State
from aiogram_dialog import StartMode
from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.widgets.common import WhenCondition
from aiogram_dialog.widgets.kbd import Button, Row, ScrollingGroup, Select, Start, SwitchTo
from aiogram_dialog.widgets.text import Format, Text

from bot.dialogs.states import MainMenuSG
from bot.texts.helpers import escape_values
from core.i18n import DEFAULT_LOCALE, N_, gettext


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


# --- navigation ---------------------------------------------------------------------------------


def home_button() -> Start:
    return Start(
        Tr(N_("Main menu"), prefix="🏠 "),
        id="home",
        state=MainMenuSG.MAIN,
        mode=StartMode.RESET_STACK,
    )


def back_text() -> Tr:
    return Tr(N_("Back"), prefix="⬅️ ")


def back_button(on_click: Any) -> Button:
    return Button(back_text(), id="back", on_click=on_click)


def nav(back: State | Button | None = None) -> Row:
    """Back (to a state of this dialog, or a button with its own handler) and Main menu."""
    buttons: list[Any] = []
    if isinstance(back, State):
        buttons.append(SwitchTo(back_text(), id="back", state=back))
    elif back is not None:
        buttons.append(back)
    buttons.append(home_button())
    return Row(*buttons)


# --- lists to pick from -------------------------------------------------------------------------


def pick(items: str, widget_id: str, on_click: Any, *, label: str = "{item[label]}") -> Select:
    """A button for each item of the getter's list `items` (dicts with an `id`, shown by
    `label`); a press calls `on_click(callback, select, manager, id)`."""
    return Select(
        Format(label), id=widget_id, item_id_getter=itemgetter("id"), items=items, on_click=on_click
    )


def paged(select: Select, scroll_id: str, *, height: int) -> ScrollingGroup:
    """The buttons in one column, `height` a page; page buttons only for more than one page."""
    return ScrollingGroup(select, id=scroll_id, width=1, height=height, hide_on_single_page=True)
