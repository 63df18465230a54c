"""Shared fixtures: a fresh database per test (SQLite in memory, or PostgreSQL when
CRM_TEST_DATABASE_URL points at a server) and a frozen clock."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
import pytest_asyncio
from tortoise.context import tortoise_test_context

from core import clock
from core.db import APP_LABEL, MODELS_MODULE, normalise_url

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
    """The full schema in an isolated database, removed afterwards."""
    url = fresh_db_url()
    try:
        async with tortoise_test_context([MODELS_MODULE], db_url=url, app_label=APP_LABEL) as ctx:
            yield ctx
    finally:
        if PG_URL:
            await _drop_pg_database(url)


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
