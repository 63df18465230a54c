"""classify_clients and list_class_changes against the slow computation on generated sales."""

import datetime as dt

import pytest

from core.errors import AccessDenied, NotFound, ValidationFailed
from models import ClientClassification, Partner
from services.classification import classify_clients, get_run, list_class_changes, list_runs
from tests.services.test_classification_data import (
    Sale,
    add_client,
    add_sales,
    seed_people,
    seed_sales,
    slow_classify,
    slow_stage,
)

OCT = dt.date(2026, 10, 31)
JUN = dt.date(2026, 6, 30)


async def stored(run_id: str) -> dict[int, tuple[str, str, int]]:
    rows = await ClientClassification.filter(run_id=run_id).values(
        "partner_id", "abc", "xyz", "value_minor"
    )
    return {r["partner_id"]: (r["abc"], r["xyz"], r["value_minor"]) for r in rows}


@pytest.mark.parametrize("basis", ["revenue", "profit", "count"])
@pytest.mark.parametrize("method", ["adaptive", "classic"])
async def test_classes_match_the_slow_computation(db, frozen_clock, basis, method):
    data = await seed_sales(seed=11)
    run = await classify_clients(basis=basis, method=method, period_to=OCT, months=4)

    expected = slow_classify(data.sales, basis, method, OCT, 4)
    assert await stored(run.run_id) == expected
    assert run.clients == len(expected)
    assert (run.period_from, run.period_to) == (dt.date(2026, 7, 1), OCT)
    # Every class is used on this data, so the cut really separates the clients.
    assert {abc for abc, _, _ in expected.values()} == {"A", "B", "C"}
    assert run.abc_counts["A"] == sum(1 for abc, _, _ in expected.values() if abc == "A")


async def test_shorter_abc_window_leaves_early_buyers_without_abc(db, frozen_clock):
    data = await seed_sales(seed=5)
    run = await classify_clients(period_to=OCT, months=3, abc_months=1)
    expected = slow_classify(data.sales, "revenue", "adaptive", OCT, 3, abc_months=1)
    assert await stored(run.run_id) == expected
    assert any(abc == "" and xyz for abc, xyz, _ in expected.values())
    assert run.abc_from == dt.date(2026, 10, 1)


async def test_clients_that_stop_buying_become_lost_and_stay_lost(db, frozen_clock):
    data = await seed_sales(seed=3)
    june = await classify_clients(period_to=JUN, months=3)
    october = await classify_clients(period_to=OCT, months=3)

    before = slow_classify(data.sales, "revenue", "adaptive", JUN, 3)
    now = slow_classify(data.sales, "revenue", "adaptive", OCT, 3)
    lost = set(before) - set(now)
    assert lost, "the generated data has clients that stopped buying"
    rows = await stored(october.run_id)
    assert {p for p, (abc, xyz, _) in rows.items() if xyz == ""} == lost
    assert october.stage_counts["lost"] == len(lost)
    assert october.previous_run_id == june.run_id

    # A later window with no sales at all: everyone classified before is lost now.
    january = await classify_clients(period_to=dt.date(2027, 1, 31), months=1)
    assert january.clients == len(set(before) | set(now))
    assert january.stage_counts == {"one_time": 0, "regular": 0, "lost": january.clients}


async def test_partner_stages_follow_the_latest_window(db, frozen_clock):
    data = await seed_sales(seed=3)
    await classify_clients(period_to=JUN, months=3)
    await classify_clients(period_to=OCT, months=3)
    expected_now = slow_classify(data.sales, "revenue", "adaptive", OCT, 3)
    expected_june = slow_classify(data.sales, "revenue", "adaptive", JUN, 3)

    stages = dict(await Partner.all().values_list("id", "relationship_stage"))
    for partner in data.clients:
        if partner in expected_now:
            assert stages[partner] == slow_stage(expected_now[partner][1])
        elif partner in expected_june:
            assert stages[partner] == "lost"
        else:
            assert stages[partner] == "potential"
    for partner in data.idle_clients:
        assert stages[partner] == "potential"

    # Computing an older window afterwards keeps the newer stages.
    back = await classify_clients(period_to=dt.date(2026, 3, 31), months=3)
    assert back.stages_updated is False
    assert dict(await Partner.all().values_list("id", "relationship_stage")) == stages


async def test_rerunning_a_window_replaces_its_rows(db, frozen_clock):
    data = await seed_sales(seed=2)
    first = await classify_clients(period_to=OCT)
    # A late shipment arrives for a client that had none in the window.
    newcomer = await add_client(data, "Новий клієнт", None)
    await add_sales(data, [Sale(newcomer, dt.date(2026, 10, 15), 1_000_00, 500_00)])
    again = await classify_clients(period_to=OCT)

    assert again.run_id == first.run_id
    assert (first.replaced, again.replaced) == (False, True)
    assert await ClientClassification.filter(run_id=again.run_id).count() == first.clients + 1
    expected = slow_classify(data.sales, "revenue", "adaptive", OCT, 3)
    assert await stored(again.run_id) == expected
    assert [r.run_id for r in await list_runs()] == [again.run_id]


async def test_empty_window_and_a_single_client(db, frozen_clock):
    data = await seed_people()
    empty = await classify_clients(period_to=OCT)
    assert empty.clients == 0
    assert await ClientClassification.all().count() == 0

    only = await add_client(data, "Єдиний", data.managers_a[0])
    await add_sales(
        data,
        [
            Sale(only, dt.date(2026, 9, 3), 10_000_00, 6_000_00),
            Sale(only, dt.date(2026, 10, 9), 10_000_00, 6_000_00),
        ],
    )
    adaptive = await classify_clients(period_to=OCT, months=2)
    classic = await classify_clients(period_to=OCT, months=2, method="classic")
    # 1C's cut always ends in C (and X); two equal months have CV 0.
    assert await stored(adaptive.run_id) == {only: ("C", "X", 20_000_00)}
    assert await stored(classic.run_id) == {only: ("A", "X", 20_000_00)}
    assert await Partner.get(id=only).values_list("relationship_stage", flat=True) == "regular"


async def test_drafts_cancellations_and_other_months_do_not_count(db, frozen_clock):
    data = await seed_people()
    client = await add_client(data, "Клієнт", None)
    await add_sales(
        data,
        [
            Sale(client, dt.date(2026, 10, 1), 100_00, 0),
            Sale(client, dt.date(2026, 10, 2), 900_00, 0, "draft"),
            Sale(client, dt.date(2026, 10, 3), 900_00, 0, "cancelled"),
            Sale(client, dt.date(2026, 11, 1), 900_00, 0),
            Sale(client, dt.date(2026, 7, 31), 900_00, 0),
        ],
    )
    run = await classify_clients(period_to=dt.date(2026, 11, 20), months=3)
    assert (run.period_from, run.period_to) == (dt.date(2026, 8, 1), OCT)
    assert (await stored(run.run_id))[client][2] == 100_00


async def test_default_window_ends_with_the_last_whole_month(db, frozen_clock):
    # The frozen clock says 27.11.2026: yesterday is in November, so the window ends in October.
    run = await classify_clients()
    assert run.period_to == OCT
    assert run.computed_at == frozen_clock


async def test_class_changes_list_who_moved(db, frozen_clock):
    data = await seed_sales(seed=11)
    await classify_clients(period_to=dt.date(2026, 8, 31), months=3)
    run = await classify_clients(period_to=OCT, months=3)
    before = slow_classify(data.sales, "revenue", "adaptive", dt.date(2026, 8, 31), 3)
    after = slow_classify(data.sales, "revenue", "adaptive", OCT, 3)

    expected = {}
    for partner in set(before) | set(after):
        old = before.get(partner, ("", "", 0))[:2] if partner in before else None
        new = after.get(partner, ("", "", 0))[:2]
        if old != new:
            expected[partner] = (old or ("", ""), new)
    changes = await list_class_changes(run.run_id)
    assert {
        c.partner_id: ((c.abc_before, c.xyz_before), (c.abc_after, c.xyz_after)) for c in changes
    } == expected
    new_client = (
        next(c for c in changes if c.partner_id not in before)
        if any(p not in before for p in expected)
        else None
    )
    if new_client is not None:
        assert new_client.stage_before == "potential"
    assert all(c.main_manager_id == data.manager_of[c.partner_id] for c in changes)
    # The first run has nothing to compare with.
    first = (await list_runs())[-1]
    assert await list_class_changes(first.run_id) == []


async def test_only_heads_and_admins_may_classify(db, frozen_clock):
    data = await seed_people()
    with pytest.raises(AccessDenied):
        await classify_clients(period_to=OCT, actor_id=data.managers_a[0])
    run = await classify_clients(period_to=OCT, actor_id=data.head_a)
    assert run.clients == 0


async def test_bad_input_is_refused(db, frozen_clock):
    with pytest.raises(ValidationFailed) as error:
        await classify_clients(basis="margin")
    assert error.value.params["field"] == "basis"
    with pytest.raises(ValidationFailed):
        await classify_clients(method="pareto")
    with pytest.raises(NotFound):
        await get_run("revenue:adaptive:20260101-20260131:1")
