"""What Log a call, Tasks, My day, Reports and Admin share: the acting employee, refusals shown
in the window, typed-text checks, local dates and times, and navigation rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram.fsm.state import State
from aiogram.types import Message
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Button, Cancel, Row

from bot.access import require_role
from bot.dialogs import widgets
from bot.dialogs.widgets import back_text, locale_of
from bot.texts.helpers import Html, escape
from core import clock
from core.errors import AccessDenied, DomainError
from core.i18n import N_, gettext, translate_error
from models.employee import Employee
from services import agenda as _agenda_texts  # noqa: F401  (registers its error texts)
from services import i18n_extra_pipeline
from services.checks import check_text

ERROR_KEY = "error"
NOTICE_KEY = "notice"
NOT_TEXT = N_("Please type the answer as text.")


def acting(manager: DialogManager) -> Employee:
    """The employee pressing the button or typing (AccessDenied for anyone else)."""
    return require_role(manager.middleware_data.get("employee"))


def as_id(value: Any) -> int | None:
    """An id from start data or callback data: an int, or digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        return int(value)
    return None


def say_error(error: DomainError, locale: str) -> str:
    """A refusal in the user's language; missing exit checks named one by one."""
    if error.code == "exit_checks_not_met":
        return i18n_extra_pipeline.translate_pipeline_error(error, locale)
    return translate_error(error, locale)


def set_error(manager: DialogManager, error: DomainError | str | None) -> None:
    """The refusal shown under the question until the next answer (escaped here)."""
    if error is None:
        manager.dialog_data.pop(ERROR_KEY, None)
        return
    text = error if isinstance(error, str) else say_error(error, locale_of(manager))
    manager.dialog_data[ERROR_KEY] = "⚠️ " + escape(text)


def set_notice(manager: DialogManager, text: str, *, mark: str = "✅") -> None:
    manager.dialog_data[NOTICE_KEY] = f"{mark} {escape(text)}"


def status_lines(manager: DialogManager) -> dict[str, Any]:
    """`error` / `notice` for the window (each shown once)."""
    error = manager.dialog_data.get(ERROR_KEY) or ""
    notice = manager.dialog_data.pop(NOTICE_KEY, "") or ""
    return {
        "error": Html(error),
        "has_error": bool(error),
        "notice": Html(notice),
        "has_notice": bool(notice),
    }


async def refuse(manager: DialogManager, error: DomainError) -> None:
    """Show the refusal in the window; AccessDenied goes on to the error handler."""
    if isinstance(error, AccessDenied):
        raise error
    set_error(manager, error)
    await manager.show()


def typed_text(manager: DialogManager, text: str, field: str, *, max_len: int) -> str | None:
    """The typed answer, checked (required); None when refused: the refusal is shown under the
    question until the next answer."""
    try:
        value = check_text(text, field, max_len=max_len, required=True)
    except DomainError as error:
        set_error(manager, error)
        return None
    set_error(manager, None)
    return value


async def on_not_text(message: Message, widget: Any, manager: DialogManager) -> None:
    """A sticker, photo or voice note where text is asked for."""
    set_error(manager, gettext(NOT_TEXT, locale_of(manager)))


def local_day(moment: dt.datetime, employee: Employee) -> str:
    return clock.to_local(moment, employee.timezone or "Europe/Kyiv").strftime("%d.%m.%Y")


def local_time(moment: dt.datetime, employee: Employee) -> str:
    return clock.to_local(moment, employee.timezone or "Europe/Kyiv").strftime("%H:%M")


def local_moment(moment: dt.datetime | None, employee: Employee) -> str:
    if moment is None:
        return ""
    return clock.to_local(moment, employee.timezone or "Europe/Kyiv").strftime("%d.%m.%Y %H:%M")


def short(text: str | None, limit: int = 48) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def t(manager: DialogManager, msgid: str) -> str:
    return gettext(msgid, locale_of(manager))


def nav(back: State | Button | None = None) -> Row:
    """Back (to a state, a button with its own handler, or by default Cancel: to whoever
    started the dialog) and Main menu."""
    return widgets.nav(back if back is not None else Cancel(back_text(), id="back"))
