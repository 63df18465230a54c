"""In-process micro-benchmark of the deal card's reads: the card, the probability explanation
and a timeline page, each called `--calls` times against one seeded deal.

The deal has ~30 timeline items (calls, planned calls, tasks, completed tasks, stage moves,
e-mails, the four sales documents, files) and its kind ~500 finished deals of history, so the
probability counts have rows to count. Printed per call: wall and CPU milliseconds (CPU of this
process: the client side, plus SQLite's own work on SQLite) and the SQL statements sent.

With `--baseline REV` (default: the commit before the plain-SQL rewrite) the same calls also
run through the old code of `services/probability.py`, `services/interactions.py` and
`bot/dialogs/deal_card/getters.py` read from git (`git show`, nothing in the tree changes),
their results are checked to be identical, and the ratio old/new is printed.

    .venv/bin/python bench/bench_deal_card_calls.py [--calls 200] [--db sqlite|<postgres url>]
        [--baseline REV | --no-baseline]

A PostgreSQL URL must name an empty database the benchmark may fill (it is not cleaned).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tortoise import connections  # noqa: E402

from core import clock  # noqa: E402
from core.db import close_orm, init_orm, migrate  # noqa: E402
from models import (  # noqa: E402
    Deal,
    DealEvent,
    DealStageLog,
    EmailMessage,
    Employee,
    FileLink,
    Invoice,
    Order,
    Payment,
    Shipment,
    Stage,
    StoredFile,
    Task,
)
from models.base import DealStatus, StageResult  # noqa: E402

BASELINE = "8926c9c"  # services/probability.py, interactions.py, deal card getters before
HISTORY = 500
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
OLD_MODULES = {
    "probability": "services/probability.py",
    "interactions": "services/interactions.py",
    "getters": "bot/dialogs/deal_card/getters.py",
}


# --- statement counting -----------------------------------------------------------------------


class Counter:
    """Counts the statements sent through the default connection (outermost calls only)."""

    METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")

    def __init__(self) -> None:
        self.count = 0
        self._depth = 0

    def install(self) -> None:
        conn = connections.get("default")
        for name in self.METHODS:
            original = getattr(conn, name)
            setattr(conn, name, self._wrap(original))

    def _wrap(self, original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self._depth == 0:
                self.count += 1
            self._depth += 1
            try:
                return await original(*args, **kwargs)
            finally:
                self._depth -= 1

        return wrapper


# --- seeding ----------------------------------------------------------------------------------


async def seed() -> tuple[Employee, Deal]:
    from services.deals import create_deal, ensure_default_loss_reasons
    from services.employees import create_employee
    from services.interactions import log_interaction
    from services.partners import create_partner
    from services.pipeline import load_default_pipelines, move_to_stage, stages_in_order

    await load_default_pipelines()
    await ensure_default_loss_reasons()
    clock.freeze(NOW)
    managers = [
        await create_employee(full_name=f"Bench Manager {n}", role="manager", telegram_id=n)
        for n in range(1, 6)
    ]
    me = managers[0]
    partners = [
        await create_partner(name=f"ТОВ «Бенч {n}»", is_client=True, main_manager_id=me.id)
        for n in range(1, 21)
    ]
    deal = await create_deal(
        kind_code="simple_deal", owner_id=me.id, partner_id=partners[0].id, title="Поставка"
    )
    stages = [s for s in await stages_in_order(deal.kind_id) if not s.retired]

    # the kind's history: finished deals that reached some of its stages
    rows, logs = [], []
    for n in range(HISTORY):
        reached = stages[: 1 + n % len(stages)]
        started = NOW - dt.timedelta(days=400 - n % 300)
        rows.append(
            Deal(
                number=f"H-{n:05d}",
                title=f"Історія {n}",
                kind_id=deal.kind_id,
                owner_id=managers[n % len(managers)].id,
                partner_id=partners[n % len(partners)].id if n % 7 else None,
                stage_id=reached[-1].id,
                status=DealStatus.WON if n % 3 == 0 else DealStatus.LOST,
                closed=True,
                started_at=started,
                ended_at=started + dt.timedelta(days=20),
                created_at=started,
            )
        )
    await Deal.bulk_create(rows, batch_size=200)
    history = await Deal.filter(number__startswith="H-").order_by("id")
    for n, old in enumerate(history):
        reached = stages[: 1 + n % len(stages)]
        for i, stage in enumerate(reached):
            last = i == len(reached) - 1
            logs.append(
                DealStageLog(
                    deal_id=old.id,
                    stage_id=stage.id,
                    entered_at=old.started_at + dt.timedelta(days=i),
                    left_at=old.started_at + dt.timedelta(days=i + 1),
                    result=StageResult.LOST
                    if last and old.status == DealStatus.LOST
                    else StageResult.PASSED,
                )
            )
    await DealStageLog.bulk_create(logs, batch_size=500)

    # the deal's timeline: ~30 items of every kind
    clock.freeze(NOW - dt.timedelta(days=20))
    for stage in stages[1:3]:
        await move_to_stage(deal.id, stage.id, actor_id=me.id)
    clock.freeze(NOW)
    for i in range(10):
        await log_interaction(
            kind="call",
            owner_id=me.id,
            deal_id=deal.id,
            direction="outgoing",
            subject=f"Дзвінок {i}",
            result="Домовились",
            starts_at=NOW - dt.timedelta(days=15 - i, hours=i),
        )
    await log_interaction(
        kind="planned",
        owner_id=me.id,
        deal_id=deal.id,
        subject="Передзвонити",
        starts_at=NOW + dt.timedelta(days=2),
        done=False,
    )
    for i in range(6):
        await Task.create(
            title=f"Задача {i}",
            performer_id=me.id,
            deal_id=deal.id,
            created_at=NOW - dt.timedelta(days=10 - i),
            due_at=NOW + dt.timedelta(days=i),
            completed_at=NOW - dt.timedelta(days=5 - i) if i % 2 else None,
            status="done" if i % 2 else "open",
        )
    for i in range(2):
        await EmailMessage.create(
            raw_sha256=f"{i:064d}",
            received_at=NOW - dt.timedelta(days=7, hours=i),
            sent_at=NOW - dt.timedelta(days=7, hours=i + 1),
            subject=f"Лист {i}",
            from_address="client@example.com",
            deal_id=deal.id,
        )
    day = (NOW - dt.timedelta(days=4)).date()
    for model in (Order, Invoice, Shipment, Payment):
        await model.create(
            number=f"{model.__name__[:3].upper()}-1",
            date=day,
            partner_id=partners[0].id,
            deal_id=deal.id,
            amount_minor=1_234_500,
        )
    for i in range(2):
        stored = await StoredFile.create(sha256=f"{i:064x}", original_name=f"f{i}.pdf", size=10)
        await FileLink.create(
            file_id=stored.id, deal_id=deal.id, name=f"Договір {i}.pdf", created_at=NOW
        )
    events = await DealEvent.filter(deal_id=deal.id).count()
    items = 10 + 1 + 6 + 3 + 2 + 4 + 2 + events
    print(f"seeded: {HISTORY} finished deals of the kind, the deal's timeline {items} items")
    await Stage.filter(id=stages[2].id).update(rot_days=3)  # the staleness component too
    # two more open deals for the identity check: no client and a manual estimate; a new client
    await create_deal(kind_code="simple_deal", owner_id=managers[1].id, title="Без клієнта")
    other = await create_deal(
        kind_code="simple_deal", owner_id=managers[2].id, partner_id=partners[5].id, title="Інша"
    )
    await Deal.filter(id=other.id).update(manual_probability=70)
    return me, await Deal.get(id=deal.id)


# --- the old code, read from git --------------------------------------------------------------


def load_old(rev: str) -> dict[str, types.ModuleType] | None:
    modules: dict[str, types.ModuleType] = {}
    for key, path in OLD_MODULES.items():
        try:
            source = subprocess.run(
                ["git", "show", f"{rev}:{path}"],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError) as err:
            print(f"no baseline: cannot read {path} at {rev} ({err})")
            return None
        module = types.ModuleType(f"bench_old_{key}")
        module.__file__ = f"<{rev}:{path}>"
        sys.modules[module.__name__] = module  # dataclasses look their module up
        exec(compile(source, module.__file__, "exec"), module.__dict__)
        modules[key] = module
    getters = modules["getters"]
    getters.list_deal_timeline = modules["interactions"].list_deal_timeline
    getters.explain_deal_probability = modules["probability"].explain_deal_probability
    return modules


class FakeManager:
    def __init__(self, deal_id: int) -> None:
        self.dialog_data: dict[str, Any] = {"deal_id": deal_id}


# --- measuring --------------------------------------------------------------------------------


async def measure(
    counter: Counter, calls: int, call: Callable[[], Awaitable[Any]]
) -> tuple[float, float, float]:
    """(wall ms, CPU ms, statements) per call."""
    await call()  # warm up
    counter.count = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall * 1000 / calls, cpu * 1000 / calls, counter.count / calls


def _plain(value: Any) -> Any:
    """Timeline items compared as data (the old and new modules define their own classes)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


async def check_identical(old: dict[str, types.ModuleType], me: Employee, deal: Deal) -> None:
    import services.interactions as new_interactions
    import services.probability as new_probability

    deal_ids = [deal.id, *await Deal.filter(status=DealStatus.OPEN).values_list("id", flat=True)]
    for deal_id in dict.fromkeys(deal_ids):
        for method in ("shrunk", "bayes"):
            a = await old["probability"].explain_deal_probability(deal_id, method)
            b = await new_probability.explain_deal_probability(deal_id, method)
            assert _plain(a) == _plain(b), (method, _plain(a), _plain(b))
    for offset in range(0, 40, 5):
        a = await old["interactions"].list_deal_timeline(deal.id, limit=11, offset=offset)
        b = await new_interactions.list_deal_timeline(deal.id, limit=11, offset=offset)
        assert _plain(a) == _plain(b), offset
    old_page = await old["getters"].timeline_getter(FakeManager(deal.id), me, "en")
    from bot.dialogs.deal_card.getters import timeline_getter

    new_page = await timeline_getter(FakeManager(deal.id), me, "en")
    assert old_page == new_page
    print("old and new results identical (explanations by both methods, timeline pages)")


async def run(options: argparse.Namespace) -> None:
    from bot.dialogs.deal_card import getters
    from services import deal_card
    from services.probability import explain_deal_probability

    old = None if options.no_baseline else load_old(options.baseline)
    with tempfile.TemporaryDirectory() as tmp:
        url = options.db
        if url == "sqlite":
            url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        await migrate(db_url=url)
        await init_orm(db_url=url)
        try:
            me, deal = await seed()
            if old is not None:
                await check_identical(old, me, deal)
            counter = Counter()
            counter.install()
            manager = FakeManager(deal.id)

            async def timeline_page() -> None:
                manager.dialog_data["tl_offset"] = 0
                await getters.timeline_getter(manager, me, "en")

            async def probability_page() -> None:
                await getters.probability_getter(manager, me, "en")

            new_calls = {
                "get_deal_card": lambda: deal_card.get_deal_card(me, deal.id),
                "explain_deal_probability": lambda: explain_deal_probability(deal.id),
                "  (the deal passed)": lambda: explain_deal_probability(deal.id, deal=deal),
                "probability page (getter)": probability_page,
                "timeline page (getter)": timeline_page,
            }
            results = {
                name: await measure(counter, options.calls, call)
                for name, call in new_calls.items()
            }
            before: dict[str, tuple[float, float, float]] = {}
            if old is not None:
                old_manager = FakeManager(deal.id)
                old_explain = old["probability"].explain_deal_probability

                async def old_card() -> None:
                    deal_card.explain_deal_probability = old_explain
                    try:
                        await deal_card.get_deal_card(me, deal.id)
                    finally:
                        deal_card.explain_deal_probability = explain_deal_probability

                async def old_timeline_page() -> None:
                    old_manager.dialog_data["tl_offset"] = 0
                    await old["getters"].timeline_getter(old_manager, me, "en")

                async def old_probability_page() -> None:
                    await old["getters"].probability_getter(old_manager, me, "en")

                old_calls = {
                    "get_deal_card": old_card,
                    "explain_deal_probability": lambda: old_explain(deal.id),
                    "probability page (getter)": old_probability_page,
                    "timeline page (getter)": old_timeline_page,
                }
                before = {
                    name: await measure(counter, options.calls, call)
                    for name, call in old_calls.items()
                }
        finally:
            await close_orm()
    db = "SQLite" if options.db == "sqlite" else "PostgreSQL"
    print(f"\n{options.calls} calls each on {db}; per call: wall ms, CPU ms, statements")
    header = f"{'':28} {'wall':>7} {'CPU':>7} {'stmts':>6}"
    if before:
        header += f"   {'old wall':>8} {'old CPU':>8} {'stmts':>6}   {'CPU old/new':>11}"
    print(header)
    for name, (wall, cpu, stmts) in results.items():
        line = f"{name:28} {wall:7.2f} {cpu:7.2f} {stmts:6.1f}"
        if name in before:
            o_wall, o_cpu, o_stmts = before[name]
            line += f"   {o_wall:8.2f} {o_cpu:8.2f} {o_stmts:6.1f}   {o_cpu / cpu:10.2f}x"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--db", default="sqlite", help="sqlite (a temporary file) or a DB URL")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old code")
    parser.add_argument("--no-baseline", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
