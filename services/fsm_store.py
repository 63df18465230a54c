"""Durable FSM records for the bot when Redis is not configured (the `fsm_record` table).

The bot's storage (`bot/storage.py`) keeps the aiogram FSM state and data, including
aiogram-dialog's stacks and contexts, here, so that open dialogs survive a restart. Values are
JSON primitives only. A record with no state and no data is deleted, so the table holds only
live conversations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.transactions import in_transaction

from core import clock
from models.system import FsmRecord


async def find_fsm_record(key: str) -> tuple[str | None, dict[str, Any]] | None:
    """(state, data) stored under `key`, or None when nothing is stored."""
    rows = await FsmRecord.filter(key=key).limit(1).values_list("state", "data")
    if not rows:
        return None
    state, data = rows[0]
    return state, dict(data or {})


async def save_fsm_record(key: str, state: str | None, data: dict[str, Any]) -> None:
    """Store the whole record; an empty one (no state, no data) is deleted."""
    await save_fsm_records({key: (state, data)})


async def save_fsm_records(records: Mapping[str, tuple[str | None, dict[str, Any]]]) -> None:
    """Store many records in one transaction: one DELETE for the emptied ones, one upsert
    (INSERT ... ON CONFLICT (key) DO UPDATE, on SQLite and PostgreSQL alike) for the rest."""
    now = clock.now()
    emptied = [key for key, (state, data) in records.items() if state is None and not data]
    kept = [
        FsmRecord(key=key, state=state, data=dict(data), created_at=now, updated_at=now)
        for key, (state, data) in records.items()
        if state is not None or data
    ]
    async with in_transaction():
        if emptied:
            await FsmRecord.filter(key__in=emptied).delete()
        if kept:
            await FsmRecord.bulk_create(
                kept, on_conflict=["key"], update_fields=["state", "data", "updated_at"]
            )


async def remove_fsm_records(prefix: str) -> int:
    """Forget every record whose key starts with `prefix` (e.g. a departed employee's chat)."""
    return await FsmRecord.filter(key__startswith=prefix).delete()
