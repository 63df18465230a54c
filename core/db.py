"""ORM configuration and lifecycle; the one place that knows how to reach the database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tortoise import Tortoise

from core.config import Settings, get_settings

APP_LABEL = "crm"
MODELS_MODULE = "models"
MIGRATIONS_MODULE = "models.migrations"


def normalise_url(url: str) -> str:
    """Tortoise speaks `asyncpg://`; accept the usual `postgres(ql)://` too. A SQLite file runs
    in WAL mode (Tortoise's default) with `synchronous=NORMAL`, the setting SQLite recommends
    for WAL: a crashed process loses no committed transaction, and commits need no fsync each.
    Its page cache may grow to 64 MiB (SQLite's default is 2 MiB): the reports scan the stage
    log and the interactions, and re-reading those pages from the OS costs them about a quarter
    of their time on a 100,000-deal database."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and ":memory:" not in url:
        for pragma, value in (("synchronous", "NORMAL"), ("cache_size", "-65536")):
            if f"{pragma}=" not in url:
                url += ("&" if "?" in url else "?") + f"{pragma}={value}"
    return url


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": normalise_url(db_url)},
        "apps": {
            APP_LABEL: {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite://") and ":memory:" not in url:
        Path(url.removeprefix("sqlite://").split("?")[0]).parent.mkdir(parents=True, exist_ok=True)


async def init_orm(settings: Settings | None = None, *, db_url: str | None = None) -> None:
    url = db_url or (settings or get_settings()).db_url
    _ensure_sqlite_dir(url)
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)


async def migrate(settings: Settings | None = None, *, db_url: str | None = None) -> None:
    """Apply every migration (the same files on SQLite and PostgreSQL)."""
    from tortoise.migrations.api import migrate as migrate_api

    url = db_url or (settings or get_settings()).db_url
    _ensure_sqlite_dir(url)
    await migrate_api(config=tortoise_config(url))


async def close_orm() -> None:
    await Tortoise.close_connections()


@contextlib.asynccontextmanager
async def orm(
    settings: Settings | None = None, *, migrate_first: bool = True
) -> AsyncIterator[None]:
    """Open the database for a CLI command or the app; migrate first unless told not to."""
    if migrate_first:
        await migrate(settings)
    await init_orm(settings)
    try:
        yield
    finally:
        await close_orm()
