"""Shared by the `crm` command tests: a fresh migrated database per test (SQLite copied from a
template migrated once, or a new PostgreSQL database) and helpers to run the command."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from click.testing import CliRunner

from cli.main import crm
from core.config import get_settings
from core.db import close_orm, init_orm
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
    """A fresh, migrated database for the `crm` command; English messages."""
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


def crm_run(*args: str):
    return CliRunner().invoke(crm, list(args))
