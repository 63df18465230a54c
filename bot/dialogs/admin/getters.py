"""Window data for Administration (every getter re-checks the role: admins only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram_dialog import DialogManager

from bot.access import ROLE_NAMES
from bot.dialogs.admin.handlers import EXPIRES_KEY, INVITE_ROLES, ROLE_KEY, TOKEN_KEY, admin
from bot.dialogs.widgets import locale_of
from core import clock
from core.i18n import gettext
from models.base import Role


def invite_link(token: str, bot_username: str | None) -> str:
    """https://t.me/<bot>?start=<token>, or the bare token when the bot's username is unknown."""
    username = (bot_username or "").strip().lstrip("@")
    return f"https://t.me/{username}?start={token}" if username else token


async def main_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    admin(dialog_manager)
    return {}


async def roles_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    admin(dialog_manager)
    locale = locale_of(dialog_manager)
    return {
        "roles": [
            {"id": role.value, "label": gettext(ROLE_NAMES[role], locale)} for role in INVITE_ROLES
        ]
    }


async def done_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    employee = admin(dialog_manager)
    locale = locale_of(dialog_manager)
    data = dialog_manager.dialog_data
    settings = dialog_manager.middleware_data.get("settings")
    token = str(data.get(TOKEN_KEY) or "")
    expires = dt.datetime.fromisoformat(str(data[EXPIRES_KEY]))
    local = clock.to_local(expires, employee.timezone or "Europe/Kyiv")
    return {
        "role": gettext(ROLE_NAMES[Role(data[ROLE_KEY])], locale),
        "link": invite_link(token, getattr(settings, "bot_username", None)),
        "expires": local.strftime("%d.%m.%Y %H:%M"),
    }
