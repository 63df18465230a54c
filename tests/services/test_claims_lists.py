"""Claim lists: by status, overdue (open past the due date), mine, paged, counted."""

from __future__ import annotations

import datetime as dt

from core import clock
from services.claims import (
    close_claim,
    count_claims,
    list_claims,
    reopen_claim,
    take_into_work,
)
from tests.services.test_claims_lifecycle import claims_world, register

HOUR = dt.timedelta(hours=1)


async def test_filters_and_the_overdue_flag(db, frozen_clock):
    w = await claims_world()
    start = frozen_clock - dt.timedelta(days=5)
    with clock.simulated(start):
        late = await register(w, description="Не та марка цементу")  # due in 24 h: overdue
        late_closed = await register(w, description="Недовага")
        await close_claim(late_closed.id, satisfied=False, resolution="Вага в нормі",
                          actor_id=w.m2)
    with clock.simulated(start + HOUR):
        working = await register(w, cause_id=w.causes["warranty"])  # 120 h: due in 6 days
        await take_into_work(working.id, actor_id=w.m2)
    fresh = await register(w, responsible_id=w.m1)

    rows = await list_claims(viewer_id=w.admin)
    assert [r.number for r in rows] == [fresh.number, working.number, late_closed.number,
                                        late.number]  # newest first
    flags = {r.number: r.overdue for r in rows}
    assert flags == {fresh.number: False, working.number: False, late_closed.number: False,
                     late.number: True}
    overdue = await list_claims(viewer_id=w.admin, overdue=True)
    assert [r.number for r in overdue] == [late.number]
    assert {r.number for r in await list_claims(viewer_id=w.admin, overdue=False)} == {
        fresh.number, working.number, late_closed.number}
    assert await count_claims(viewer_id=w.admin, overdue=True) == 1

    assert [r.number for r in await list_claims(viewer_id=w.admin, status="in_processing")] == [
        working.number]
    assert {r.number for r in await list_claims(
        viewer_id=w.admin, status=["registered", "in_processing"])} == {
            fresh.number, working.number, late.number}
    mine = await list_claims(viewer_id=w.m1, responsible_id=w.m1)
    assert [r.number for r in mine] == [fresh.number]
    page = await list_claims(viewer_id=w.admin, limit=2, offset=1)
    assert [r.number for r in page] == [working.number, late_closed.number]
    assert await count_claims(viewer_id=w.admin, partner_id=w.p1) == 4
    assert await count_claims(viewer_id=w.admin, partner_id=w.p2) == 0
    assert await count_claims(viewer_id=w.admin, registered_from=start + HOUR) == 2

    row = next(r for r in rows if r.number == working.number)
    assert (row.partner_name, row.responsible_name, row.status) == (
        "ТОВ «Будмайстер»", "Дмитро Ткаченко", "in_processing")
    assert row.cause_name_en == "Warranty case" and row.claimed_minor == 4_800_00

    # A reopened claim gets a fresh response time and is no longer overdue.
    reopened = await reopen_claim(late_closed.id, reason="Нове зважування", actor_id=w.m2)
    assert reopened.due_at > frozen_clock
    assert await count_claims(viewer_id=w.admin, overdue=True) == 1
