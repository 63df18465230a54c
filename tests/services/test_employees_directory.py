"""Employees and teams: the list admins see, language and deactivation."""

from __future__ import annotations

import pytest

from core.errors import NotFound, ValidationFailed
from services import employees


async def test_list_shows_active_employees_with_their_team(db) -> None:
    kyiv = await employees.create_team("Київ")
    lviv = await employees.create_team("Львів")
    iryna = await employees.create_employee(full_name="Ірина Бондар", role="head", team_id=kyiv.id)
    await employees.create_employee(full_name="Андрій Мельник", role="manager", team_id=lviv.id)
    gone = await employees.create_employee(full_name="Богдан Ткач", role="manager")
    await employees.deactivate_employee(gone.id)

    rows = await employees.list_employees()
    assert [(r.full_name, r.role, r.team_name) for r in rows] == [
        ("Андрій Мельник", "manager", "Львів"),
        ("Ірина Бондар", "head", "Київ"),
    ]
    assert [r.id for r in await employees.list_employees(team_id=kyiv.id)] == [iryna.id]
    everyone = await employees.list_employees(active_only=False)
    assert [r.full_name for r in everyone if not r.active] == ["Богдан Ткач"]


async def test_team_names_are_unique_and_found_by_name(db) -> None:
    team = await employees.create_team("  Київ  ")
    assert team.name == "Київ"
    assert (await employees.find_team_by_name("Київ")).id == team.id
    assert await employees.find_team_by_name("Одеса") is None
    with pytest.raises(ValidationFailed) as error:
        await employees.create_team("Київ")
    assert error.value.params == {"field": "team", "reason": "already_used"}


async def test_locale_is_one_of_ours(db) -> None:
    employee = await employees.create_employee(full_name="Олена", role="manager")
    await employees.set_employee_locale(employee.id, "en")
    assert (await employees.get_employee(employee.id)).locale == "en"
    with pytest.raises(ValidationFailed) as error:
        await employees.set_employee_locale(employee.id, "ru")
    assert error.value.params["reason"] == "bad_choice"


async def test_telegram_account_belongs_to_one_employee(db) -> None:
    await employees.create_employee(full_name="Олена", role="manager", telegram_id=111)
    with pytest.raises(ValidationFailed) as error:
        await employees.create_employee(full_name="Петро", role="manager", telegram_id=111)
    assert error.value.params == {"field": "telegram_id", "reason": "already_used"}


async def test_unknown_employee_or_team(db) -> None:
    with pytest.raises(NotFound):
        await employees.get_employee(404)
    with pytest.raises(NotFound):
        await employees.create_employee(full_name="Олена", role="manager", team_id=404)
    with pytest.raises(NotFound):
        await employees.deactivate_employee(404)
