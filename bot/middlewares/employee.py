"""Who is writing: the active employee bound to the Telegram user, or None."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from models.employee import Employee

Finder = Callable[[int], Awaitable[Employee | None]]


def _default_finder() -> Finder:
    from services.employees import find_employee_by_telegram

    return find_employee_by_telegram


class EmployeeMiddleware(BaseMiddleware):
    def __init__(self, find_employee: Finder | None = None) -> None:
        self.find_employee = find_employee or _default_finder()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        employee = None
        if user is not None and not user.is_bot:
            employee = await self.find_employee(user.id)
            if employee is not None and not employee.active:
                employee = None
        data["employee"] = employee
        return await handler(event, data)
