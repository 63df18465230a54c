"""FSM storage: the database storage (durable across restarts) and Redis behave the same."""

from __future__ import annotations

import uuid

import pytest
import pytest_asyncio
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.storage import DatabaseStorage
from models.system import FsmRecord
from tests.bot.conftest import REDIS_URL


class FormSG(StatesGroup):
    NAME = State()


KEY = StorageKey(bot_id=1, chat_id=10, user_id=10)
DIALOG_KEY = StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogd:context:abc")


@pytest_asyncio.fixture(params=["database", "redis"])
async def storage(request, db):
    if request.param == "database":
        storage = DatabaseStorage()
        yield storage
        await storage.close()
        return
    if not REDIS_URL:
        pytest.skip("CRM_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:56379/0)")
    from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage

    prefix = f"test{uuid.uuid4().hex}"  # this test's keys only: the server may be shared
    redis = RedisStorage.from_url(
        REDIS_URL, key_builder=DefaultKeyBuilder(prefix=prefix, with_destiny=True)
    )
    yield redis
    keys = [key async for key in redis.redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.redis.delete(*keys)
    await redis.close()


async def test_storage_keeps_state_and_data_per_key_and_destiny(storage):
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    await storage.set_state(KEY, FormSG.NAME)
    await storage.set_data(KEY, {"deal_id": 7, "on": "2026-11-27"})
    await storage.set_data(DIALOG_KEY, {"stack": ["a", "b"]})

    assert await storage.get_state(KEY) == "FormSG:NAME"
    assert await storage.get_data(KEY) == {"deal_id": 7, "on": "2026-11-27"}
    assert await storage.get_data(DIALOG_KEY) == {"stack": ["a", "b"]}
    assert await storage.update_data(KEY, {"page": 2}) == {
        "deal_id": 7,
        "on": "2026-11-27",
        "page": 2,
    }

    await storage.set_state(KEY, None)
    await storage.set_data(DIALOG_KEY, {})
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(DIALOG_KEY) == {}
    assert (await storage.get_data(KEY))["page"] == 2


@pytest.mark.parametrize("flush_delay", [0.05, None])
async def test_database_storage_survives_a_restart_and_forgets_empty_records(db, flush_delay):
    first = DatabaseStorage(flush_delay=flush_delay)
    await first.set_state(KEY, "FormSG:NAME")
    await first.set_data(KEY, {"deal_id": 7})
    await first.set_data(DIALOG_KEY, {"intent": "x"})
    await first.close()  # the bot stops (SIGTERM): what is pending is written

    second = DatabaseStorage(flush_delay=flush_delay)  # a new process: nothing cached
    assert await second.get_state(KEY) == "FormSG:NAME"
    assert await second.get_data(KEY) == {"deal_id": 7}
    assert await FsmRecord.all().count() == 2

    await second.set_data(DIALOG_KEY, {})
    await second.set_state(KEY, None)
    await second.set_data(KEY, {})
    await second.flush()
    assert await FsmRecord.all().count() == 0
    await second.close()


async def test_database_storage_writes_a_burst_of_changes_as_one_batch(db, monkeypatch):
    from services import fsm_store

    batches: list[dict] = []
    real = fsm_store.save_fsm_records

    async def recording(records):
        batches.append(dict(records))
        await real(records)

    monkeypatch.setattr(fsm_store, "save_fsm_records", recording)
    storage = DatabaseStorage(flush_delay=0.05)
    short_lived = StorageKey(bot_id=1, chat_id=10, user_id=10, destiny="aiogd:context:tmp")
    await storage.set_data(DIALOG_KEY, {"step": 1})
    await storage.set_data(short_lived, {"step": 1})  # a window opened and closed at once
    await storage.set_data(DIALOG_KEY, {"step": 2})
    await storage.set_data(short_lived, {})
    assert batches == []  # nothing written on the update's path

    await storage.flush()
    assert len(batches) == 1
    assert await storage.get_data(DIALOG_KEY) == {"step": 2}
    assert await FsmRecord.all().values_list("key", flat=True) == ["fsm:1:10:10:aiogd:context:abc"]
    await storage.close()


async def test_build_storage_follows_the_settings(tmp_path):
    from aiogram.fsm.storage.redis import RedisStorage

    from bot.storage import build_storage
    from core.config import load_settings

    embedded, _ = build_storage(load_settings(_env_file=None, data_dir=tmp_path, redis_url=None))
    assert isinstance(embedded, DatabaseStorage)
    redis, isolation = build_storage(
        load_settings(_env_file=None, data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0")
    )
    assert isinstance(redis, RedisStorage) and redis.key_builder.with_destiny
    assert isolation.redis is redis.redis  # one lock space across processes
    await redis.close()


async def test_database_storage_refuses_what_would_not_read_back(db):
    import datetime as dt

    storage = DatabaseStorage()
    with pytest.raises(TypeError, match="JSON primitives"):
        await storage.set_data(KEY, {"when": dt.datetime(2026, 11, 27, tzinfo=dt.UTC)})
    assert await storage.get_data(KEY) == {}
