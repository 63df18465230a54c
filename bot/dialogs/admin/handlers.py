"""Administration (admins only): invitations for new employees. Every callback re-checks the
role on the server (`require_role(employee, *ADMINS)`)."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Select

from bot.access import ADMINS, require_role
from bot.dialogs.states import AdminSG
from core.errors import NotFound
from models.base import Role
from models.employee import Employee
from services.employees import create_invitation

INVITE_ROLES = (Role.MANAGER, Role.HEAD, Role.ADMIN)
TOKEN_KEY = "token"
ROLE_KEY = "role"
EXPIRES_KEY = "expires_at"


def admin(manager: DialogManager) -> Employee:
    """The acting employee when they are an administrator, else AccessDenied."""
    return require_role(manager.middleware_data.get("employee"), *ADMINS)


async def on_invite_role(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    employee = admin(manager)
    if item_id not in {role.value for role in INVITE_ROLES}:
        raise NotFound("not_found", what="role")
    invitation = await create_invitation(role=item_id, created_by_id=employee.id)
    manager.dialog_data[TOKEN_KEY] = invitation.token
    manager.dialog_data[ROLE_KEY] = item_id
    manager.dialog_data[EXPIRES_KEY] = invitation.expires_at.isoformat()
    await manager.switch_to(AdminSG.INVITE_DONE)
