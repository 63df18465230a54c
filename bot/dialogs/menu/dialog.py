from __future__ import annotations

from operator import itemgetter

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Group, Select
from aiogram_dialog.widgets.text import Format

from bot.dialogs.menu.getters import menu_getter
from bot.dialogs.menu.handlers import on_entry_selected
from bot.dialogs.states import MainMenuSG
from bot.dialogs.widgets import TrFormat
from core.i18n import N_


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                TrFormat(N_("<b>{name}</b>, {role}\nWhat shall we do?")),
                Group(
                    Select(
                        Format("{item[title]}"),
                        id="menu",
                        item_id_getter=itemgetter("id"),
                        items="entries",
                        on_click=on_entry_selected,
                    ),
                    width=2,
                ),
                state=MainMenuSG.MAIN,
                getter=menu_getter,
            ),
        )
    ]
