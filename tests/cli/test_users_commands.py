"""`crm users invite` and `crm users list` against a real database file (or PostgreSQL)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from cli.main import crm
from core.config import get_settings
from services import employees
from tests.cli.conftest import run_in_db


def test_invite_prints_a_bot_link_that_registers_the_colleague(database_url, monkeypatch) -> None:
    monkeypatch.setenv("CRM_BOT_USERNAME", "@alfa_crm_bot")
    get_settings.cache_clear()
    result = CliRunner().invoke(
        crm, ["users", "invite", "--role", "head", "--team", "Київ", "--name", "Ірина Бондар"]
    )
    assert result.exit_code == 0, result.output
    match = re.search(r"https://t\.me/alfa_crm_bot\?start=([A-Za-z0-9_-]+)", result.output)
    assert match, result.output
    token = match.group(1)

    employee = run_in_db(
        database_url,
        lambda: employees.accept_invitation(token, telegram_id=111, full_name="Iryna"),
    )
    assert (employee.full_name, employee.role) == ("Ірина Бондар", "head")

    listing = CliRunner().invoke(crm, ["users", "list"])
    assert listing.exit_code == 0, listing.output
    line = next(row for row in listing.output.splitlines() if "Ірина Бондар" in row)
    assert "head of sales" in line and "Київ" in line and "111" in line


def test_invite_without_bot_username_prints_the_bare_token_with_a_hint(database_url) -> None:
    result = CliRunner().invoke(crm, ["users", "invite", "--role", "manager"])
    assert result.exit_code == 0, result.output
    first_line = result.output.splitlines()[0]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", first_line)
    assert "CRM_BOT_USERNAME" in result.output and f"/start {first_line}" in result.output


def test_bad_ttl_is_one_sentence_and_a_failure(database_url, monkeypatch) -> None:
    # The texts of the new codes, as they will be once merged into core.i18n.
    from core import i18n
    from services.i18n_extra_partners import EXTRA_FIELD_NAMES, EXTRA_REASONS

    monkeypatch.setattr(i18n, "FIELD_NAMES", {**i18n.FIELD_NAMES, **EXTRA_FIELD_NAMES})
    monkeypatch.setattr(i18n, "REASONS", {**i18n.REASONS, **EXTRA_REASONS})
    result = CliRunner().invoke(crm, ["users", "invite", "--role", "manager", "--ttl-hours", "0"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output == "Validity (hours): must be from 1 to 720\n"


def test_unknown_role_is_refused_by_the_command_line(database_url) -> None:
    result = CliRunner().invoke(crm, ["users", "invite", "--role", "boss"])
    assert result.exit_code == 2
    assert "boss" in result.output


def test_list_of_an_empty_database_says_how_to_invite(database_url) -> None:
    result = CliRunner().invoke(crm, ["users", "list"])
    assert result.exit_code == 0, result.output
    assert "crm users invite" in result.output


def test_list_hides_deactivated_unless_asked(database_url) -> None:
    async def seed():
        await employees.create_employee(full_name="Андрій Мельник", role="manager")
        gone = await employees.create_employee(full_name="Богдан Ткач", role="admin")
        await employees.deactivate_employee(gone.id)

    run_in_db(database_url, seed)
    active = CliRunner().invoke(crm, ["users", "list"]).output
    assert "Андрій Мельник" in active and "Богдан Ткач" not in active
    everyone = CliRunner().invoke(crm, ["users", "list", "--all"]).output
    assert "Богдан Ткач" in everyone and "deactivated" in everyone
