"""FSM storage: Redis when `CRM_REDIS_URL` is set, otherwise durable records in the database.

aiogram-dialog keeps its stacks and contexts in FSM storage, so memory storage would lose every
open dialog on restart (`UnknownIntent`). `DatabaseStorage` keeps them in the `fsm_record`
table through `services.fsm_store`:

- reads come from an in-process cache (one bot process per database, as the embedded default
  runs; several processes need Redis, which also brings a cross-process event isolation);
- writes are collected for `flush_delay` seconds and stored in one transaction, so that the
  three or four records a dialog step touches (often a context created and dropped again) cost
  one upsert and one delete, off the path of the update. `close()` (on SIGTERM, after the
  updates in flight) writes what is pending; a crash loses at most the last `flush_delay`
  seconds of dialog moves, and the user then simply gets the main menu again.
  `flush_delay=None` writes through instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    DEFAULT_DESTINY,
    BaseEventIsolation,
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.memory import SimpleEventIsolation

from core.config import Settings
from services import fsm_store

logger = logging.getLogger(__name__)
Record = tuple[str | None, dict[str, Any]]
EMPTY: Record = (None, {})


def _key_builder() -> DefaultKeyBuilder:
    return DefaultKeyBuilder(with_bot_id=True, with_destiny=True)


class DatabaseStorage(BaseStorage):
    """aiogram `BaseStorage` over `services.fsm_store`; values must be JSON primitives."""

    def __init__(
        self,
        key_builder: KeyBuilder | None = None,
        *,
        cache_size: int = 10_000,
        flush_delay: float | None = 0.05,
    ) -> None:
        self.key_builder = key_builder or _key_builder()
        self.cache_size = cache_size
        self.flush_delay = flush_delay
        self._cache: OrderedDict[str, Record] = OrderedDict()
        self._dirty: dict[str, Record] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    # --- reading ---------------------------------------------------------------------------------

    async def _load(self, name: str) -> Record:
        record = self._dirty.get(name) or self._cache.get(name)
        if record is None:
            record = await fsm_store.find_fsm_record(name) or EMPTY
        self._remember(name, record)
        return record

    def _remember(self, name: str, record: Record) -> None:
        self._cache[name] = record
        self._cache.move_to_end(name)
        while len(self._cache) > self.cache_size:  # pending writes stay in _dirty meanwhile
            self._cache.popitem(last=False)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(self.key_builder.build(key)))[0]

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data = (await self._load(self.key_builder.build(key)))[1]
        return json.loads(json.dumps(data)) if data else {}

    # --- writing ---------------------------------------------------------------------------------

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        name = self.key_builder.build(key)
        old_state, data = await self._load(name)
        if value != old_state:
            await self._store(name, (value, data))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        try:
            value = json.loads(json.dumps(dict(data)))  # a copy, exactly as it will read back
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"FSM data must be JSON primitives (ids, ISO strings): {error}"
            ) from None
        name = self.key_builder.build(key)
        if key.destiny != DEFAULT_DESTINY and name not in self._cache and name not in self._dirty:
            # aiogram-dialog's records (stacks, contexts) never carry a state: no need to read
            old: Record = (None, None)  # type: ignore[assignment]
        else:
            old = await self._load(name)
        if value != old[1]:
            await self._store(name, (old[0], value))

    async def _store(self, name: str, record: Record) -> None:
        self._remember(name, record)
        if self.flush_delay is None:
            try:
                await fsm_store.save_fsm_records({name: record})
            except BaseException:
                self._cache.pop(name, None)  # unknown outcome: read it back next time
                raise
            return
        self._dirty[name] = record
        self._schedule(self.flush_delay)

    def _schedule(self, delay: float) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later(delay))

    async def _flush_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self._write_pending()
        except Exception:
            logger.exception("could not store %d FSM record(s); retrying", len(self._dirty))
            self._flusher = None
            self._schedule(1.0)

    async def _write_pending(self) -> None:
        async with self._lock:  # one batch at a time, in order: a newer one never loses
            while self._dirty:
                batch, self._dirty = self._dirty, {}
                try:
                    await fsm_store.save_fsm_records(batch)
                except BaseException:
                    self._dirty = {**batch, **self._dirty}  # newer changes win
                    raise

    async def flush(self) -> None:
        """Write every pending change now."""
        await self._write_pending()

    async def close(self) -> None:
        await self.flush()
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()  # asleep, or awake with nothing left to write
        self._cache.clear()


def build_storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    """The FSM storage and the matching event isolation for these settings."""
    if settings.redis_url is not None and settings.redis_url.get_secret_value():
        from aiogram.fsm.storage.redis import RedisStorage

        redis = RedisStorage.from_url(
            settings.redis_url.get_secret_value(), key_builder=_key_builder()
        )
        return redis, redis.create_isolation()
    return DatabaseStorage(), SimpleEventIsolation()
