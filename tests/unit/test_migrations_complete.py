"""Every migration applies to an empty database, and no model change lacks a migration."""

from __future__ import annotations

import pytest
from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from core.db import APP_LABEL, migrate, tortoise_config
from tests.conftest import PG_URL, _drop_pg_database, fresh_db_url


@pytest.fixture
def empty_db_url(tmp_path):
    if PG_URL:
        return fresh_db_url()
    return f"sqlite://{tmp_path / 'migrated.sqlite3'}"


async def _create_pg_database(url: str) -> None:
    import asyncpg

    base, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(base.replace("asyncpg://", "postgresql://") + "/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def test_all_migrations_apply_to_an_empty_database_twice(empty_db_url):
    if PG_URL:
        await _create_pg_database(empty_db_url)
    try:
        async with TortoiseContext():
            await migrate(db_url=empty_db_url)
            await migrate(db_url=empty_db_url)  # a second run is a no-op, not an error
            conn = Tortoise.get_connection("default")
            if empty_db_url.startswith("sqlite"):
                rows = await conn.execute_query_dict(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
                tables = {row["name"] for row in rows}
            else:
                rows = await conn.execute_query_dict(
                    "SELECT tablename AS name FROM pg_tables WHERE schemaname='public'"
                )
                tables = {row["name"] for row in rows}
            await Tortoise.close_connections()
    finally:
        if PG_URL:
            await _drop_pg_database(empty_db_url)
    for table in ("deal", "partner", "counterparty", "contact_person", "deal_stage_log",
                  "interaction", "task", "claim", "email_message", "stored_file", "invitation"):
        assert table in tables


async def test_models_have_no_change_without_a_migration():
    config = tortoise_config("sqlite://:memory:")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        detector = MigrationAutodetector(ctx.apps, config["apps"])
        writers = await detector.changes()
        pending = [op for w in writers for op in w.operations]
        assert not pending, f"run `make makemigrations`: {pending}"
        assert APP_LABEL in config["apps"]
