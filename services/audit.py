"""The deal's append-only event log and its optimistic-concurrency guard.

Every command on a deal first *claims* it: a conditional UPDATE bumps `Deal.version` only if it
still holds the version the command read (or the one the user saw, `expected_version`). A
second writer gets `ConcurrentUpdate` ("the deal has changed, reload") and loses nothing: its
transaction is rolled back before anything was written. On PostgreSQL the UPDATE also takes the
row lock, so the rest of the command runs alone on that deal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.expressions import Q

from core import clock
from core.errors import ConcurrentUpdate, NotFound
from models import Deal, DealEvent


async def claim_deal(deal_id: int, expected_version: int | None = None) -> Deal:
    """Read the deal and bump its version, or raise `ConcurrentUpdate`. Call inside a
    transaction; the returned instance carries the new version."""
    deal = await Deal.get_or_none(id=deal_id)
    if deal is None:
        raise NotFound("not_found", what="deal")
    if expected_version is not None and deal.version != expected_version:
        raise ConcurrentUpdate("concurrent_update", what="deal", number=deal.number)
    bumped = await Deal.filter(id=deal_id, version=deal.version).update(version=deal.version + 1)
    if bumped == 0:
        raise ConcurrentUpdate("concurrent_update", what="deal", number=deal.number)
    deal.version += 1
    return deal


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(item) for item in value]
    return value


async def record_event(
    deal_id: int,
    action: str,
    *,
    actor_id: int | None,
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> DealEvent:
    """Append one event (never updated or deleted afterwards)."""
    moment = at or clock.now()
    return await DealEvent.create(
        deal_id=deal_id,
        at=moment,
        actor_id=actor_id,
        action=action,
        data=_jsonable(data or {}),
        created_at=moment,
    )


async def list_deal_events(deal_id: int) -> list[DealEvent]:
    return await DealEvent.filter(deal_id=deal_id).order_by("at", "id")


async def touch_deal_activity(deal_id: int, at: dt.datetime) -> None:
    """Remember the latest activity on the deal (for rotting); not an edit, so no version bump."""
    await Deal.filter(
        Q(id=deal_id) & (Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=at))
    ).update(last_activity_at=at)
