"""What the Partners and New deal dialogs share: error sentences, navigation rows, labels.

`error_text()` says a `DomainError` in the user's language, knowing the field and reason codes
the partner and sales-process services added (`services.i18n_extra_*`) before the lead merges
them into `core.i18n`; afterwards it is just `core.i18n.translate_error`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import F
from aiogram.fsm.state import State
from aiogram_dialog import DialogManager, StartMode
from aiogram_dialog.api.exceptions import UnregisteredDialogError
from aiogram_dialog.widgets.kbd import Button, NextPage, PrevPage, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Const

from bot.dialogs.states import MainMenuSG
from bot.dialogs.widgets import Tr
from bot.texts.helpers import Html, escape
from core import i18n as core_i18n
from core.errors import DomainError
from core.i18n import N_, gettext
from models.base import Direction, InteractionKind
from services import i18n_extra_new_deal, i18n_extra_partners, i18n_extra_pipeline

ERROR_KEY = "error"  # dialog data: the last refusal, shown above the prompt (escaped HTML)

KIND_NAMES: dict[str, str] = {
    InteractionKind.CALL: N_("Call"),
    InteractionKind.MEETING: N_("Meeting"),
    InteractionKind.EMAIL: N_("E-mail"),
    InteractionKind.TELEGRAM: N_("Telegram"),
    InteractionKind.NOTE: N_("Note"),
    InteractionKind.PLANNED: N_("Planned contact"),
}
DIRECTION_MARKS: dict[str, str] = {
    Direction.INCOMING: "⬅️",
    Direction.OUTGOING: "➡️",
    Direction.NONE: "",
}
MATCH_NAMES = {
    "name": N_("name"),
    "tax_id": N_("tax id"),
    "phone": N_("phone"),
    "email": N_("e-mail"),
}


# --- errors ------------------------------------------------------------------------------------


def _merged(name: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for module in (i18n_extra_pipeline, i18n_extra_partners, i18n_extra_new_deal):
        merged.update(getattr(module, f"EXTRA_{name}"))
    merged.update(getattr(core_i18n, name))
    return merged


def _format(template: str, params: dict[str, Any]) -> str:
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template


def error_text(error: DomainError, locale: str) -> str:
    """One sentence in the user's language: "Phone: is not a phone number"."""
    fields, reasons = _merged("FIELD_NAMES"), _merged("REASONS")
    params = dict(error.params)
    for key in ("field", "what"):
        if key in params:
            name = fields.get(str(params[key]))
            params[key] = gettext(name, locale) if name else str(params[key])
    if "reason" in params:
        reason = reasons.get(str(params["reason"]))
        if reason:
            params["reason"] = _format(gettext(reason, locale), params)
    messages = _merged("ERROR_MESSAGES")
    template = messages.get(error.code) or messages["domain_error"]
    return _format(gettext(template, locale), params)


def set_error(manager: DialogManager, error: DomainError | None) -> None:
    """Remember the refusal for the re-asked window (or forget the previous one)."""
    if error is None:
        manager.dialog_data.pop(ERROR_KEY, None)
    else:
        locale = str(manager.middleware_data.get("locale") or core_i18n.DEFAULT_LOCALE)
        manager.dialog_data[ERROR_KEY] = escape("⚠️ " + error_text(error, locale))


def error_line(manager: DialogManager) -> Html:
    return Html(manager.dialog_data.get(ERROR_KEY) or "")


# --- navigation --------------------------------------------------------------------------------


async def start_if_registered(manager: DialogManager, state: State, data: dict[str, Any]) -> bool:
    """Start another feature's dialog; False (nothing changed) while that feature is not
    registered yet (its StatesGroup may exist before its dialog does)."""
    try:
        await manager.start(state, data=data)
    except UnregisteredDialogError:
        return False
    return True


def pager(scroll: str) -> Row:
    """◀️ / ▶️ for a `StubScroll` whose getter says `has_prev` / `has_next` (pages are read
    from the database one at a time)."""
    return Row(
        PrevPage(scroll=scroll, id=f"{scroll}_prev", text=Const("◀️"), when=F["data"]["has_prev"]),
        NextPage(scroll=scroll, id=f"{scroll}_next", text=Const("▶️"), when=F["data"]["has_next"]),
    )


def home_button() -> Start:
    return Start(
        Tr(N_("Main menu"), prefix="🏠 "),
        id="home",
        state=MainMenuSG.MAIN,
        mode=StartMode.RESET_STACK,
    )


def back_text() -> Tr:
    return Tr(N_("Back"), prefix="⬅️ ")


def nav(back: State | Button | None = None) -> Row:
    """Back (to a state, or a button with its own handler) and Main menu."""
    buttons: list[Any] = []
    if isinstance(back, State):
        buttons.append(SwitchTo(back_text(), id="back", state=back))
    elif back is not None:
        buttons.append(back)
    buttons.append(home_button())
    return Row(*buttons)


# --- labels -------------------------------------------------------------------------------------


def kind_name(kind: Any, locale: str) -> str:
    """A process kind (or stage) in the user's language."""
    return str(kind.name_en if locale == "en" else kind.name_uk)


def short(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day(value: dt.date | None, locale: str) -> str:
    return core_i18n.format_date(value, locale) if value else "—"
