"""Invitations: a link works once, until it expires, and gives the role it was made for."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import InvitationInvalid, ValidationFailed
from core.i18n import translate_error
from models import Employee, Invitation
from services import employees


async def test_invitation_registers_a_new_employee_with_its_role_and_team(db, frozen_clock) -> None:
    team = await employees.create_team("Київ")
    invitation = await employees.create_invitation(
        role="head", team_id=team.id, full_name="Ірина Бондар"
    )
    assert len(invitation.token) >= 32
    assert invitation.expires_at == frozen_clock + dt.timedelta(hours=72)

    employee = await employees.accept_invitation(
        invitation.token, telegram_id=111, full_name="Iryna B", username="@iryna_b", locale="en-US"
    )
    # The name the admin typed wins over the Telegram display name.
    assert (employee.full_name, employee.role, employee.team_id) == (
        "Ірина Бондар",
        "head",
        team.id,
    )
    assert (employee.telegram_username, employee.locale) == ("iryna_b", "en")
    assert (await employees.find_employee_by_telegram(111)).id == employee.id
    stored = await Invitation.get(id=invitation.id)
    assert stored.used_by_id == employee.id and stored.used_at == frozen_clock


async def test_invitation_works_only_once(db, frozen_clock) -> None:
    invitation = await employees.create_invitation(role="manager")
    await employees.accept_invitation(invitation.token, telegram_id=111, full_name="Олена")
    with pytest.raises(InvitationInvalid) as error:
        await employees.accept_invitation(invitation.token, telegram_id=222, full_name="Петро")
    assert translate_error(error.value, "en") == (
        "This invitation is unknown, expired or already used."
    )
    assert await Employee.all().count() == 1


async def test_expired_invitation_is_refused(db, frozen_clock) -> None:
    invitation = await employees.create_invitation(role="manager", ttl_hours=1)
    clock.freeze(frozen_clock + dt.timedelta(minutes=59))
    # Still valid a minute before expiry: accept it on a copy to prove the boundary.
    other = await employees.create_invitation(role="manager", ttl_hours=1)
    clock.freeze(frozen_clock + dt.timedelta(hours=1))
    with pytest.raises(InvitationInvalid):
        await employees.accept_invitation(invitation.token, telegram_id=111, full_name="Олена")
    assert await Employee.all().count() == 0
    # The second one was created a minute later and still has a minute left.
    employee = await employees.accept_invitation(other.token, telegram_id=111, full_name="Олена")
    assert employee.full_name == "Олена"


@pytest.mark.parametrize("token", ["", "   ", "no-such-token"])
async def test_unknown_token_is_refused(db, token: str) -> None:
    with pytest.raises(InvitationInvalid):
        await employees.accept_invitation(token, telegram_id=111, full_name="Олена")


async def test_registered_account_is_reused_and_gets_the_new_role(db, frozen_clock) -> None:
    existing = await employees.create_employee(
        full_name="Олена Коваль", role="manager", telegram_id=111
    )
    await employees.deactivate_employee(existing.id)
    assert await employees.find_employee_by_telegram(111) is None
    invitation = await employees.create_invitation(role="admin")
    employee = await employees.accept_invitation(
        invitation.token, telegram_id=111, full_name="Olena"
    )
    assert employee.id == existing.id
    assert (employee.role, employee.active, employee.full_name) == ("admin", True, "Олена Коваль")
    assert await Employee.all().count() == 1


async def test_invitation_options_are_validated(db) -> None:
    with pytest.raises(ValidationFailed) as error:
        await employees.create_invitation(role="boss")
    assert error.value.params["reason"] == "bad_choice"
    with pytest.raises(ValidationFailed) as error:
        await employees.create_invitation(role="manager", ttl_hours=0)
    assert error.value.params["field"] == "ttl_hours"
    assert await Invitation.all().count() == 0


async def test_tokens_are_unique(db) -> None:
    tokens = {(await employees.create_invitation(role="manager")).token for _ in range(20)}
    assert len(tokens) == 20
