"""Shared fixtures: a fresh database per test (SQLite in memory, or PostgreSQL when
CRM_TEST_DATABASE_URL points at a server) and a frozen clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid

import pytest
import pytest_asyncio
from tortoise import Tortoise
from tortoise.context import TortoiseContext, tortoise_test_context

from core import clock
from core.db import APP_LABEL, MODELS_MODULE, migrate, normalise_url, tortoise_config

PG_URL = os.environ.get("CRM_TEST_DATABASE_URL", "")
FROZEN_AT = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def fresh_db_url() -> str:
    """A URL for one test's own database: in-memory SQLite, or a fresh PostgreSQL database."""
    if PG_URL:
        base = normalise_url(PG_URL).rsplit("/", 1)[0]
        return f"{base}/crm_test_{uuid.uuid4().hex[:12]}"
    return "sqlite://:memory:"


@pytest_asyncio.fixture
async def db():
    """The full schema in an isolated database, removed afterwards.

    On PostgreSQL each test's database is a copy of a template that the real migrations built
    once per run (`CREATE DATABASE ... TEMPLATE`), which is much faster than building 46 tables
    per test and tests the schema the migrations make."""
    if not PG_URL:
        async with tortoise_test_context(
            [MODELS_MODULE], db_url="sqlite://:memory:", app_label=APP_LABEL
        ) as ctx:
            yield ctx
        return
    url = fresh_db_url()
    template = await _pg_template()
    await _pg_execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}" TEMPLATE "{template}"')
    try:
        async with TortoiseContext() as ctx:
            await ctx.init(config=tortoise_config(url))
            try:
                yield ctx
            finally:
                await ctx.close_connections()
    finally:
        await _drop_pg_database(url)


_PG_TEMPLATE: list[str] = []


async def _pg_template() -> str:
    if not _PG_TEMPLATE:
        url = fresh_db_url().replace("crm_test_", "crm_template_")
        await _pg_execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
        async with TortoiseContext():
            await migrate(db_url=url)
            await Tortoise.close_connections()
        _PG_TEMPLATE.append(url.rsplit("/", 1)[1])
    return _PG_TEMPLATE[0]


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_template():
    yield
    if _PG_TEMPLATE:
        base = normalise_url(PG_URL).rsplit("/", 1)[0]
        asyncio.run(_drop_pg_database(f"{base}/{_PG_TEMPLATE.pop()}"))


async def _pg_execute(sql: str) -> None:
    import asyncpg

    base = normalise_url(PG_URL).rsplit("/", 1)[0]
    conn = await asyncpg.connect(base.replace("asyncpg://", "postgresql://") + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _drop_pg_database(url: str) -> None:
    import asyncpg

    base, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(base.replace("asyncpg://", "postgresql://") + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def frozen_clock():
    clock.freeze(FROZEN_AT)
    yield FROZEN_AT
    clock.unfreeze()
