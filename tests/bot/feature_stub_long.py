"""A feature module whose only window is too long (for the message-length safety net)."""

from bot.dialogs import MenuEntry
from tests.bot.feature_stub import StubLongSG, build_long_dialogs

MENU_ENTRIES = (MenuEntry(id="long", title="Long", state=StubLongSG.MAIN, order=1),)


def build_dialogs():
    return build_long_dialogs()
