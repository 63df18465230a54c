from __future__ import annotations

from operator import itemgetter

from aiogram_dialog import Dialog, StartMode, Window
from aiogram_dialog.widgets.kbd import Column, Row, Select, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.settings.getters import languages_getter, settings_getter, timezones_getter
from bot.dialogs.settings.handlers import on_language_selected, on_timezone_selected
from bot.dialogs.states import MainMenuSG, SettingsSG
from bot.dialogs.widgets import Tr, TrFormat
from core.i18n import N_

MENU_ENTRIES = (
    MenuEntry(id="settings", title=N_("Settings"), state=SettingsSG.MAIN, order=ORDER["settings"]),
)


def _navigation(back: bool = True) -> Row:
    buttons = []
    if back:
        buttons.append(SwitchTo(Tr(N_("Back"), prefix="⬅️ "), id="back", state=SettingsSG.MAIN))
    buttons.append(
        Start(
            Tr(N_("Main menu"), prefix="🏠 "),
            id="home",
            state=MainMenuSG.MAIN,
            mode=StartMode.RESET_STACK,
        )
    )
    return Row(*buttons)


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                TrFormat(N_("<b>Settings</b>\nLanguage: {language}\nTime zone: {timezone}")),
                Row(
                    SwitchTo(
                        Tr(N_("Language"), prefix="🌐 "), id="lang", state=SettingsSG.LANGUAGE
                    ),
                    SwitchTo(Tr(N_("Time zone"), prefix="🕒 "), id="tz", state=SettingsSG.TIMEZONE),
                ),
                _navigation(back=False),
                state=SettingsSG.MAIN,
                getter=settings_getter,
            ),
            Window(
                Tr(N_("Choose the language of the bot:")),
                Column(
                    Select(
                        Format("{item[mark]}{item[name]}"),
                        id="lang_pick",
                        item_id_getter=itemgetter("code"),
                        items="languages",
                        on_click=on_language_selected,
                    )
                ),
                _navigation(),
                state=SettingsSG.LANGUAGE,
                getter=languages_getter,
            ),
            Window(
                Tr(N_("Choose your time zone:")),
                Column(
                    Select(
                        Format("{item[mark]}{item[label]}"),
                        id="tz_pick",
                        item_id_getter=itemgetter("zone"),
                        items="zones",
                        on_click=on_timezone_selected,
                    )
                ),
                _navigation(),
                state=SettingsSG.TIMEZONE,
                getter=timezones_getter,
            ),
        )
    ]
