"""`crm users invite` and `crm users list` against a real database file (or PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
import shutil

import pytest
from click.testing import CliRunner

from cli.main import crm
from core.config import get_settings
from core.db import close_orm, init_orm
from services import employees
from tests.conftest import PG_URL, _drop_pg_database, fresh_db_url


async def _create_pg_database(url: str, template: str | None = None) -> None:
    import asyncpg

    base, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(base.replace("asyncpg://", "postgresql://") + "/postgres")
    try:
        suffix = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory):
    """A database migrated once by `crm db migrate` (a fresh migration takes seconds); each test
    gets its own copy: a copied SQLite file, or a PostgreSQL database made from this template."""
    if PG_URL:
        url = fresh_db_url()
        asyncio.run(_create_pg_database(url))
    else:
        url = f"sqlite://{tmp_path_factory.mktemp('template') / 'crm.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_DATABASE_URL", url)
        get_settings.cache_clear()
        result = CliRunner().invoke(crm, ["db", "migrate"])
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    yield url
    if PG_URL:
        asyncio.run(_drop_pg_database(url))


@pytest.fixture
def database_url(tmp_path, monkeypatch, migrated_template):
    """A fresh, migrated database for the `crm` command; settings read from the environment."""
    if PG_URL:
        url = fresh_db_url()
        asyncio.run(_create_pg_database(url, template=migrated_template))
    else:
        shutil.copy(migrated_template.removeprefix("sqlite://"), tmp_path / "crm.sqlite3")
        url = f"sqlite://{tmp_path / 'crm.sqlite3'}"
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "en")
    monkeypatch.delenv("CRM_BOT_USERNAME", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    if PG_URL:
        asyncio.run(_drop_pg_database(url))


def run_in_db(url: str, coro_factory):
    async def main():
        await init_orm(db_url=url)
        try:
            return await coro_factory()
        finally:
            await close_orm()

    return asyncio.run(main())


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
