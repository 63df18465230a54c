"""Every StatesGroup of the bot. State names are stored in FSM storage (open dialogs survive a
restart), so they are a persisted API: add, never rename casually."""

from aiogram.fsm.state import State, StatesGroup


class MainMenuSG(StatesGroup):
    MAIN = State()


class SettingsSG(StatesGroup):
    MAIN = State()
    LANGUAGE = State()
    TIMEZONE = State()
