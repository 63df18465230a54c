"""Employees, teams and one-time invitations (the way a new colleague gets into the bot).

An admin creates an invitation (role, team, optional name); its token goes into a
`t.me/<bot>?start=<token>` link. The first /start with the token registers the Telegram account
as an employee (or re-uses the employee already registered with that account) and spends the
invitation; an expired, used or unknown token raises `InvitationInvalid`.
"""

from __future__ import annotations

import datetime as dt
import secrets

from tortoise.transactions import in_transaction

from core import clock
from core.errors import InvitationInvalid, NotFound, ValidationFailed
from core.i18n import LOCALES, normalise_locale
from models import Employee, Invitation, Team
from models.base import Role
from services import validation as v
from services.dto import EmployeeRow
from services.text import sort_key

MAX_TTL_HOURS = 24 * 30
TOKEN_BYTES = 24  # 32 URL-safe characters: fits Telegram's 64-character start parameter


def _invalid(field_name: str, reason: str, **extra: object) -> ValidationFailed:
    return ValidationFailed("invalid", field=field_name, reason=reason, **extra)


def _role(value: str | Role) -> Role:
    return Role(v.check_choice(value, Role, "role"))


async def _get_team(team_id: int) -> Team:
    team = await Team.get_or_none(id=team_id)
    if team is None:
        raise NotFound("not_found", what="team", id=team_id)
    return team


# --- teams --------------------------------------------------------------------------------------


async def create_team(name: str) -> Team:
    name = v.check_name(name, "team", 200)
    if await Team.filter(name=name).exists():
        raise _invalid("team", "already_used")
    return await Team.create(name=name)


async def find_team_by_name(name: str) -> Team | None:
    name = " ".join((name or "").split())
    return await Team.get_or_none(name=name) if name else None


async def list_teams() -> list[Team]:
    return await Team.all().order_by("name")


# --- employees ----------------------------------------------------------------------------------


async def get_employee(employee_id: int) -> Employee:
    employee = await Employee.get_or_none(id=employee_id)
    if employee is None:
        raise NotFound("not_found", what="employee", id=employee_id)
    return employee


async def find_employee_by_telegram(
    telegram_id: int, *, active_only: bool = True
) -> Employee | None:
    """The employee registered with this Telegram account; deactivated ones only on request."""
    query = Employee.filter(telegram_id=telegram_id)
    if active_only:
        query = query.filter(active=True)
    return await query.first()


async def create_employee(
    *,
    full_name: str,
    role: str | Role,
    team_id: int | None = None,
    telegram_id: int | None = None,
    email: str | None = None,
    telegram_username: str | None = None,
    locale: str = "uk",
) -> Employee:
    """An employee without an invitation (demo data, admin tools)."""
    full_name = v.check_name(full_name, "full_name", 200)
    role_value = _role(role)
    email_value = v.normalize_email(email) if email else None
    username = v.check_telegram_username(telegram_username) if telegram_username else None
    locale = v.check_choice(locale, LOCALES, "locale")
    if team_id is not None:
        await _get_team(team_id)
    if telegram_id is not None and await Employee.filter(telegram_id=telegram_id).exists():
        raise _invalid("telegram_id", "already_used")
    async with in_transaction():
        return await Employee.create(
            full_name=full_name,
            role=role_value,
            team_id=team_id,
            telegram_id=telegram_id,
            telegram_username=username,
            email=email_value,
            locale=locale,
        )


async def list_employees(
    *, active_only: bool = True, team_id: int | None = None
) -> list[EmployeeRow]:
    query = Employee.all()
    if active_only:
        query = query.filter(active=True)
    if team_id is not None:
        query = query.filter(team_id=team_id)
    rows = await query.order_by("id").values(
        "id", "full_name", "role", "team_id", "telegram_id", "telegram_username", "email",
        "locale", "active", team_name="team__name",
    )  # fmt: skip
    rows.sort(key=lambda row: sort_key(row["full_name"]))  # one team: tens of rows
    return [EmployeeRow(**{**row, "role": str(row["role"])}) for row in rows]


async def set_employee_locale(employee_id: int, locale: str) -> Employee:
    locale = v.check_choice(locale, LOCALES, "locale")
    employee = await get_employee(employee_id)
    async with in_transaction():
        await Employee.filter(id=employee.id).update(locale=locale, updated_at=clock.now())
    employee.locale = locale
    return employee


async def set_employee_role(employee_id: int, role: str | Role) -> Employee:
    role_value = _role(role)
    employee = await get_employee(employee_id)
    async with in_transaction():
        await Employee.filter(id=employee.id).update(role=role_value, updated_at=clock.now())
    employee.role = role_value
    return employee


async def deactivate_employee(employee_id: int) -> Employee:
    """The employee can no longer use the bot; their data and history stay."""
    employee = await get_employee(employee_id)
    async with in_transaction():
        await Employee.filter(id=employee.id).update(active=False, updated_at=clock.now())
    employee.active = False
    return employee


# --- invitations --------------------------------------------------------------------------------


async def create_invitation(
    *,
    role: str | Role,
    team_id: int | None = None,
    full_name: str | None = None,
    created_by_id: int | None = None,
    ttl_hours: int = 72,
) -> Invitation:
    """A one-time invitation valid for `ttl_hours` from now."""
    role_value = _role(role)
    ttl = v.check_positive_int(ttl_hours, "ttl_hours", MAX_TTL_HOURS)
    name = v.check_name(full_name, "full_name", 200) if full_name else None
    if team_id is not None:
        await _get_team(team_id)
    if created_by_id is not None:
        await get_employee(created_by_id)
    async with in_transaction():
        return await Invitation.create(
            token=secrets.token_urlsafe(TOKEN_BYTES),
            role=role_value,
            team_id=team_id,
            full_name=name,
            created_by_id=created_by_id,
            expires_at=clock.now() + dt.timedelta(hours=ttl),
        )


async def accept_invitation(
    token: str,
    *,
    telegram_id: int,
    full_name: str,
    username: str | None = None,
    locale: str | None = "uk",
) -> Employee:
    """Spend the invitation and return the employee of this Telegram account: a new one, or the
    one already registered (its role and team then follow the invitation, and it is active)."""
    token = (token or "").strip()
    if not token:
        raise InvitationInvalid("invitation_invalid")
    now = clock.now()
    invitation = await Invitation.get_or_none(token=token)
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        raise InvitationInvalid("invitation_invalid")
    telegram_name = " ".join((full_name or "").split())[:200]
    name = invitation.full_name or telegram_name or (username or "") or str(telegram_id)
    try:
        handle = v.check_telegram_username(username) if username else None
    except ValidationFailed:
        handle = None
    locale_code = normalise_locale(locale)
    async with in_transaction():
        # Spending the token is the guard: of two simultaneous accepts only one updates the row.
        spent = await Invitation.filter(id=invitation.id, used_at__isnull=True).update(used_at=now)
        if not spent:
            raise InvitationInvalid("invitation_invalid")
        employee = await Employee.get_or_none(telegram_id=telegram_id)
        if employee is None:
            employee = await Employee.create(
                telegram_id=telegram_id,
                telegram_username=handle,
                full_name=name,
                role=invitation.role,
                team_id=invitation.team_id,
                locale=locale_code,
            )
        else:
            employee.role = invitation.role
            employee.active = True
            if invitation.team_id is not None:
                employee.team_id = invitation.team_id
            if handle:
                employee.telegram_username = handle
            await employee.save(
                update_fields=["role", "active", "team_id", "telegram_username", "updated_at"]
            )
        await Invitation.filter(id=invitation.id).update(used_by_id=employee.id)
    return employee
