"""A stand-in feature module (as later dialogs will be) for the main-menu registry tests."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Cancel
from aiogram_dialog.widgets.text import Const

from bot.access import HEADS, require_role
from bot.dialogs import ORDER, MenuEntry
from core.i18n import N_


class StubDealsSG(StatesGroup):
    MAIN = State()


class StubReportsSG(StatesGroup):
    MAIN = State()


MENU_ENTRIES = (
    MenuEntry(id="reports", title=N_("Reports"), state=StubReportsSG.MAIN,
              order=ORDER["reports"], roles=HEADS),
    MenuEntry(id="my_deals", title=N_("My deals"), state=StubDealsSG.MAIN,
              order=ORDER["my_deals"]),
)  # fmt: skip


async def reports_getter(employee: Any = None, **kwargs: Any) -> dict[str, Any]:
    require_role(employee, *HEADS)  # the dialog checks again, whatever opened it
    return {}


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(Window(Const("Deals"), Cancel(Const("Back")), state=StubDealsSG.MAIN)),
        Dialog(
            Window(
                Const("Reports"), Cancel(Const("Back")), state=StubReportsSG.MAIN,
                getter=reports_getter,
            )
        ),
    ]  # fmt: skip


class StubLongSG(StatesGroup):
    MAIN = State()


def build_long_dialogs() -> list[Dialog]:
    """A window that forgot to page its text (6,000 characters)."""
    text = "\n".join(f"{i:03d} " + "ж" * 56 for i in range(100))
    return [Dialog(Window(Const(text), Cancel(Const("Back")), state=StubLongSG.MAIN))]
