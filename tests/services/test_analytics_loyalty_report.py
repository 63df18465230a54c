"""The loyalty report: stages over the kept classifications and the repeat-sales grid."""

import datetime as dt
from collections import Counter

from models import Partner
from models.base import Role
from services.analytics import ReportParams, run_report
from services.classification import classify_clients
from tests.services.test_classification_data import (
    Sale,
    add_client,
    add_sales,
    seed_people,
    seed_sales,
    slow_classify,
    slow_grid,
)

SEP1 = dt.date(2026, 9, 1)
OCT = dt.date(2026, 10, 31)


def grids(expected: dict[int, tuple[int | None, int]]):
    start = [[0] * 3 for _ in range(3)]
    end = [[0] * 3 for _ in range(3)]
    moves: Counter = Counter()
    for source, target in expected.values():
        end[target // 3][target % 3] += 1
        if source is not None:
            start[source // 3][source % 3] += 1
        if source != target:
            moves[(source, target)] += 1
    return start, end, moves


async def test_repeat_sales_grid_and_movements_match(db, frozen_clock):
    data = await seed_sales(seed=5)
    result = await run_report("loyalty", ReportParams(date_from=SEP1, date_to=OCT))
    start, end, moves = grids(slow_grid(data.sales, SEP1, OCT))

    loyalty = result.data
    assert (loyalty.start, loyalty.end) == (start, end)
    assert {(m.source, m.target): m.clients for m in loyalty.movements} == dict(moves)
    assert loyalty.first_buyers == sum(n for (source, _), n in moves.items() if source is None)
    some = next(m for m in loyalty.movements if m.source is not None)
    assert some.share == some.clients / start[some.source // 3][some.source % 3]
    # Every cell is reached on this data, so the bounds really split the clients.
    assert all(end[r][c] for r in range(3) for c in range(3) if (r, c) != (0, 0))


async def test_grid_bounds_are_1c_s(db, frozen_clock):
    data = await seed_people()
    day = OCT

    async def client(purchases: int, last_days_ago: int) -> int:
        partner = await add_client(data, f"К{purchases}-{last_days_ago}", None)
        last = day - dt.timedelta(days=last_days_ago)
        await add_sales(
            data,
            [Sale(partner, last - dt.timedelta(days=i), 1_000_00, 0) for i in range(purchases)],
        )
        return partner

    cells = {
        await client(1, 29): 0,  # new, active (< 30)
        await client(2, 30): 4,  # promising, falling asleep (30..50)
        await client(7, 50): 4,  # 7 purchases are still promising
        await client(8, 51): 8,  # loyal (> 7), sleeping (> 50)
    }
    # A return and a draft are not purchases.
    returned = await add_client(data, "Повернення", None)
    await add_sales(
        data,
        [
            Sale(returned, day, 5_000_00, 0),
            Sale(returned, day, -5_000_00, 0),
            Sale(returned, day, 5_000_00, 0, "draft"),
        ],
    )
    cells[returned] = 0

    result = await run_report("loyalty", ReportParams(date_from=SEP1, date_to=day))
    end = result.data.end
    expected = [[0] * 3 for _ in range(3)]
    for cell in cells.values():
        expected[cell // 3][cell % 3] += 1
    assert end == expected


async def test_stages_over_time_from_the_kept_runs(db, frozen_clock):
    data = await seed_sales(seed=3)
    # The idle clients were registered in August: potential from then on.
    await Partner.filter(id__in=data.idle_clients).update(
        created_at=dt.datetime(2026, 8, 10, tzinfo=dt.UTC)
    )
    await Partner.filter(id__in=data.clients).update(
        created_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    )
    ends = [dt.date(2026, 6, 30), dt.date(2026, 7, 31), dt.date(2026, 8, 31), OCT]
    for end in ends:
        await classify_clients(period_to=end, months=2)

    result = await run_report("loyalty", ReportParams(date_from=dt.date(2026, 7, 1), date_to=OCT))
    points = result.data.points
    assert [p.period_to for p in points] == ends[1:]
    seen: set[int] = set()
    for end in ends:
        classes = slow_classify(data.sales, "revenue", "adaptive", end, 2)
        lost = seen - set(classes)
        seen |= set(classes)
        if end == ends[0]:
            continue
        point = next(p for p in points if p.period_to == end)
        xyz = Counter(v[1] for v in classes.values())
        assert (point.regular_x, point.regular_y, point.one_time, point.lost) == (
            xyz["X"],
            xyz["Y"],
            xyz["Z"],
            len(lost),
        )
        never = [p for p in data.clients if p not in seen]
        idle = len(data.idle_clients) if end >= dt.date(2026, 8, 10) else 0
        assert point.potential == len(never) + idle


async def test_scope_and_empty_periods(db, frozen_clock):
    data = await seed_sales(seed=5)
    viewer = data.managers_a[1]
    result = await run_report(
        "loyalty",
        ReportParams(viewer_id=viewer, viewer_role=Role.MANAGER, date_from=SEP1, date_to=OCT),
    )
    mine = {p for p, m in data.manager_of.items() if m == viewer}
    start, end, _ = grids(slow_grid(data.sales, SEP1, OCT, mine))
    assert (result.data.start, result.data.end) == (start, end)
    assert result.data.points == []

    before_anything = await run_report(
        "loyalty", ReportParams(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 6, 30))
    )
    assert before_anything.data.end == [[0] * 3 for _ in range(3)]
    assert before_anything.data.movements == []
