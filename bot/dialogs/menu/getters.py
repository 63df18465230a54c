from __future__ import annotations

from typing import Any

from bot.access import ROLE_NAMES, has_role
from bot.dialogs import MenuEntry
from bot.texts.helpers import Translator
from models.employee import Employee


async def menu_getter(
    employee: Employee | None,
    i18n: Translator,
    menu_entries: tuple[MenuEntry, ...] = (),
    **kwargs: Any,
) -> dict[str, Any]:
    entries = [
        {"id": entry.id, "title": i18n(entry.title)}
        for entry in menu_entries
        if has_role(employee, entry.roles)
    ]
    return {
        "name": employee.full_name if employee else "",
        "role": i18n(ROLE_NAMES[employee.role]) if employee else "",
        "entries": entries,
    }
