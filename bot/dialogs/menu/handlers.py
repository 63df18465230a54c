from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Select

from bot.access import require_role


async def on_entry_selected(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    """Start the chosen dialog after checking the role again (the button may be forged)."""
    entries = {entry.id: entry for entry in manager.middleware_data.get("menu_entries", ())}
    entry = entries.get(item_id)
    if entry is None:  # an old keyboard of a feature that is gone, or forged data
        await manager.show()
        return
    require_role(manager.middleware_data.get("employee"), *entry.roles)
    await manager.start(entry.state)
