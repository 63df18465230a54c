"""The BCG report: cells, quadrants, lost / potential and transitions against the slow way."""

import datetime as dt
from collections import Counter

from models import Partner
from models.base import Role
from services.analytics import ReportParams, run_report
from services.analytics.bcg import quadrant_of
from services.classification import classify_clients
from tests.services.test_classification_data import (
    Sale,
    add_client,
    add_sales,
    seed_people,
    seed_sales,
    slow_classify,
)

AUG = dt.date(2026, 8, 31)
OCT = dt.date(2026, 10, 31)


def with_lost(before: dict, now: dict) -> dict:
    now = dict(now)
    for partner in set(before) - set(now):
        now[partner] = ("", "", 0)
    return now


async def test_cells_quadrants_and_transitions_match(db, frozen_clock):
    data = await seed_sales(seed=11)
    inactive = await add_client(data, "Архівний", None)
    await Partner.filter(id=inactive).update(active=False)
    await classify_clients(period_to=AUG)
    await classify_clients(period_to=OCT)
    before = slow_classify(data.sales, "revenue", "adaptive", AUG, 3)
    now = with_lost(before, slow_classify(data.sales, "revenue", "adaptive", OCT, 3))

    result = await run_report("bcg", ReportParams())
    bcg = result.data
    for abc in "ABC":
        for xyz in "XYZ":
            members = [v for v in now.values() if (v[0], v[1]) == (abc, xyz)]
            cell = bcg.cell(abc, xyz)
            assert (cell.clients, cell.money) == (len(members), sum(v[2] for v in members))
    quadrants = {q.quadrant: q.clients for q in bcg.quadrants}
    assert quadrants["stars"] == sum(1 for v in now.values() if v[:2] == ("A", "Z"))
    assert quadrants["cows"] == sum(1 for v in now.values() if v[:2] == ("A", "X"))
    assert quadrants["dogs"] == sum(1 for v in now.values() if v[:2] == ("C", "X"))
    assert sum(quadrants.values()) == sum(1 for v in now.values() if v[1])
    assert bcg.lost == sum(1 for v in now.values() if not v[1]) > 0
    # Active clients never classified; the inactive one and the supplier do not count.
    assert bcg.potential == len([p for p in data.clients + data.idle_clients if p not in now])

    keys = ["A", "B", "C", ""]
    expected = [[0] * 4 for _ in range(4)]
    for partner, (abc, _, _) in now.items():
        expected[keys.index(before.get(partner, ("",))[0])][keys.index(abc)] += 1
    assert bcg.abc_transitions == expected
    xyz_keys = ["X", "Y", "Z", ""]
    expected = [[0] * 4 for _ in range(4)]
    for partner, (_, xyz, _) in now.items():
        expected[xyz_keys.index(before.get(partner, ("", ""))[1])][xyz_keys.index(xyz)] += 1
    assert bcg.xyz_transitions == expected
    into = Counter(
        before.get(p, ("", ""))[:2] != ("A", "X") for p, v in now.items() if v[:2] == ("A", "X")
    )
    assert bcg.into_cows == into[True]


def test_quadrants_are_1c_s():
    assert quadrant_of("A", "Z") == "stars"
    assert quadrant_of("A", "X") == "cows"
    assert quadrant_of("C", "X") == "dogs"
    assert {quadrant_of(a, x) for a, x in ("AY", "BX", "BY", "BZ", "CY", "CZ")} == {"questions"}


async def test_count_basis_weighs_cells_by_revenue_and_scope_applies(db, frozen_clock):
    data = await seed_people()
    mine = await add_client(data, "Мій", data.managers_a[0])
    other = await add_client(data, "Чужий", data.manager_b)
    await add_sales(
        data,
        [
            Sale(mine, dt.date(2026, 8, 5), 4_000_00, 1_000_00),
            Sale(mine, dt.date(2026, 9, 5), 6_000_00, 1_000_00),
            Sale(mine, dt.date(2026, 10, 5), 5_000_00, 1_000_00),
            Sale(other, dt.date(2026, 10, 7), 9_000_00, 1_000_00),
        ],
    )
    await classify_clients(basis="count", period_to=OCT)

    result = await run_report(
        "bcg",
        ReportParams(
            viewer_id=data.managers_a[0], viewer_role=Role.MANAGER, options={"basis": "count"}
        ),
    )
    cells = [c for c in result.data.cells if c.clients]
    # Classes are company-wide: sales 3 and 1 give shares 75 and 100, T = 175 / 3 = 58.3 is
    # exceeded at once, so 1C's cut makes them B and C; one sale a month is steady (X). The
    # manager sees only their client, weighed by its revenue (not by the 3 sales).
    assert [(c.abc, c.xyz, c.clients, c.money) for c in cells] == [("B", "X", 1, 15_000_00)]
    assert result.data.money_basis == "revenue"


async def test_no_classification_gives_an_empty_matrix(db, frozen_clock):
    data = await seed_people()
    await add_client(data, "Новий", None)
    result = await run_report("bcg", ReportParams())
    assert result.data.run_id is None
    assert all(c.clients == 0 for c in result.data.cells)
    assert result.data.potential == 1
