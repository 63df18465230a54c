"""Who may do what in the bot, checked on the server for every button and command.

A button is only a suggestion: Telegram clients can be modified and old keyboards stay in the
chat, so callback data is untrusted input. Every `on_*` callback and getter that opens or changes
something must check access again on the server:

- role gates (Reports for heads and admins, invitations for admins): `require_role()` here, or
  `RoleFilter` on a plain handler; hiding a button (`when=role_is(...)`) is cosmetic only;
- ownership (a manager's own deals, tasks and partners): the service called with the acting
  employee decides and raises `core.errors.AccessDenied`, never the bot alone. Always load the
  object by the id from callback data *through* such a service.

`AccessDenied` raised anywhere in a handler is answered by the error handler in the user's
language; nothing is changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from core.errors import AccessDenied
from core.i18n import N_
from models.base import Role
from models.employee import Employee

EVERYONE = frozenset(Role)
HEADS = frozenset({Role.HEAD, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})

ROLE_NAMES = {
    Role.MANAGER: N_("manager"),
    Role.HEAD: N_("head of sales"),
    Role.ADMIN: N_("administrator"),
}


def has_role(employee: Employee | None, roles: Iterable[Role | str]) -> bool:
    if employee is None or not employee.active:
        return False
    return Role(employee.role) in {Role(r) for r in roles}


def require_role(employee: Employee | None, *roles: Role | str) -> Employee:
    """The employee when they hold one of `roles` (any role if none given), else AccessDenied."""
    if employee is None or not employee.active or (roles and not has_role(employee, roles)):
        raise AccessDenied("access_denied")
    return employee


class RoleFilter(Filter):
    """A router filter for plain handlers: `router.message.register(cmd_x, RoleFilter(*HEADS))`."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles) or EVERYONE

    async def __call__(self, event: TelegramObject, employee: Employee | None = None) -> bool:
        return has_role(employee, self.roles)


def role_is(*roles: Role) -> Any:
    """A `when=` condition for aiogram-dialog widgets (display only; re-check on click)."""
    allowed = frozenset(roles)

    def condition(data: dict[str, Any], widget: Any, manager: Any) -> bool:
        return has_role(manager.middleware_data.get("employee"), allowed)

    return condition
