"""A SQLite file opens in WAL mode with synchronous=NORMAL and a 64 MiB page cache; settings
given in the address win."""

from __future__ import annotations

from tortoise import connections

from core.db import close_orm, init_orm, normalise_url


async def _pragmas(url: str) -> tuple[str, int, int]:
    await init_orm(db_url=url)
    try:
        conn = connections.get("default")
        mode = (await conn.execute_query_dict("PRAGMA journal_mode"))[0]["journal_mode"]
        sync = (await conn.execute_query_dict("PRAGMA synchronous"))[0]["synchronous"]
        cache = (await conn.execute_query_dict("PRAGMA cache_size"))[0]["cache_size"]
        return mode, sync, cache
    finally:
        await close_orm()


async def test_a_sqlite_file_gets_wal_normal_sync_and_a_bigger_cache(tmp_path):
    assert await _pragmas(f"sqlite://{tmp_path / 'crm.sqlite3'}") == ("wal", 1, -65536)


async def test_settings_in_the_address_win(tmp_path):
    url = f"sqlite://{tmp_path / 'crm.sqlite3'}?synchronous=FULL&cache_size=-2000"
    assert await _pragmas(url) == ("wal", 2, -2000)


def test_postgres_addresses_are_spoken_as_asyncpg_and_memory_is_left_alone():
    assert normalise_url("postgres://u@h:5432/db") == "asyncpg://u@h:5432/db"
    assert normalise_url("postgresql://u@h/db") == "asyncpg://u@h/db"
    assert normalise_url("sqlite://:memory:") == "sqlite://:memory:"
