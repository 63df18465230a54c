"""Deals with a hand-written stage log for the probability tests (test setup only: the models
are written directly, so a test can say exactly which stages a finished deal reached).

    kind, (s1, s2) = await make_kind("sale", 2, default_probability=50)
    await make_deal(kind, owner, DealStatus.LOST, [s1, s2])   # lost at s2
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from models import Deal, DealKind, DealStageLog, Employee, Partner, Stage
from models.base import DealStatus, StageResult

T0 = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
_numbers = itertools.count(1)


async def make_kind(code: str, stages: int, **stage_fields: Any) -> tuple[DealKind, list[Stage]]:
    """A kind with stages s1..sN in that order, each with `stage_fields`."""
    kind = await DealKind.create(code=code, name_uk=code, name_en=code)
    rows = [
        await Stage.create(
            kind=kind, code=f"s{i}", name_uk=f"s{i}", name_en=f"s{i}", order=i, **stage_fields
        )
        for i in range(1, stages + 1)
    ]
    return kind, rows


async def make_deal(
    kind: DealKind,
    owner: Employee,
    status: str,
    reached: list[Stage],
    *,
    partner: Partner | None = None,
    **extra: Any,
) -> Deal:
    """A deal that went through `reached` a day a stage from `started_at` (default T0): the
    last stage is current for an open deal, where a lost deal was lost, passed for a won one;
    a finished deal ended on day 9."""
    deal = await Deal.create(
        number=f"P-{next(_numbers)}",
        title="Угода",
        kind=kind,
        owner=owner,
        partner=partner,
        status=status,
        stage=reached[-1],
        started_at=extra.pop("started_at", T0),
        ended_at=None if status == DealStatus.OPEN else T0 + dt.timedelta(days=9),
        **extra,
    )
    for index, stage in enumerate(reached):
        last = index == len(reached) - 1
        result = StageResult.PASSED
        if last and status == DealStatus.OPEN:
            result = StageResult.CURRENT
        elif last and status == DealStatus.LOST:
            result = StageResult.LOST
        await DealStageLog.create(
            deal=deal,
            stage=stage,
            entered_at=deal.started_at + dt.timedelta(days=index),
            left_at=None if result == StageResult.CURRENT else T0 + dt.timedelta(days=index + 1),
            result=result,
        )
    return deal
