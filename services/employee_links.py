"""Binding an employee to a Telegram account by hand (`crm users link`): an admin rebinding a
colleague who changed phones, or someone stepping into a demo employee's account.

The employee is named by id or e-mail; a Telegram id already bound to someone else is refused
(unbinding stays explicit: the other employee keeps their account until an admin rebinds them).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core import clock
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, register_messages
from models import Employee
from services import validation as v

MAX_TELEGRAM_ID = 2**52 - 1  # Telegram: user ids have at most 52 significant bits

register_messages(
    fields={"telegram_id": N_("Telegram id"), "employee": N_("Employee")},
    reasons={"linked_to_other": N_("is already linked to %(holder)s (id %(holder_id)s)")},
)


async def get_employee_by_ref(ref: str | int) -> Employee:
    """The employee with this id (digits) or e-mail (any case); NotFound otherwise."""
    text = str(ref).strip()
    employee = None
    if text.isascii() and text.isdigit():
        employee = await Employee.get_or_none(id=int(text))
    elif "@" in text:
        try:
            email = v.normalize_email(text)
        except ValidationFailed:
            email = None
        if email:
            employee = await Employee.filter(email__iexact=email).order_by("id").first()
    if employee is None:
        raise NotFound("not_found", what="employee", ref=text)
    return employee


async def link_telegram(employee_id: int, telegram_id: int | str) -> Employee:
    """Bind the employee to the Telegram account `telegram_id` (a new account forgets the old
    @username). Refused when another employee holds that account."""
    account = v.check_positive_int(telegram_id, "telegram_id", MAX_TELEGRAM_ID)
    employee = await Employee.get_or_none(id=employee_id)
    if employee is None:
        raise NotFound("not_found", what="employee", id=employee_id)
    if employee.telegram_id == account:
        return employee
    await _refuse_if_held(employee.id, account)
    try:
        async with in_transaction():
            await Employee.filter(id=employee.id).update(
                telegram_id=account, telegram_username=None, updated_at=clock.now()
            )
    except IntegrityError:  # bound meanwhile by a concurrent command or an invitation
        await _refuse_if_held(employee.id, account)
        raise
    employee.telegram_id, employee.telegram_username = account, None
    return employee


async def _refuse_if_held(employee_id: int, account: int) -> None:
    holder = (
        await Employee.filter(telegram_id=account)
        .exclude(id=employee_id)
        .first()
        .values("id", "full_name")
    )
    if holder is not None:
        raise ValidationFailed(
            "invalid",
            field="telegram_id",
            reason="linked_to_other",
            holder=holder["full_name"],
            holder_id=holder["id"],
        )
