"""Backtest of the win-probability methods on a generated history, split in time.

    .venv/bin/python bench/bench_probability.py [--seed N] [--deals N] [--seeds N]

A deterministic generator (random seed) writes two deal kinds with their stages, managers of
different skill, clients of different quality and deals that move through the stages, each stage
passed with a probability that depends on the stage, the manager and the client; a deal that is
going to be lost goes quiet before it is written off (it is the pattern the staleness penalty
relies on: an assumption of this generator, not a measurement).

The history is cut at a date T. The temporary SQLite database holds what was known at T: deals
closed before T with their whole stage log (the training set), and deals open at T with their
log up to T (the test set; their outcome after T is kept aside). Every test deal is scored
through the real services with the clock frozen at T, by both methods, by 1C's original formula
(raw rates, mean of those above zero) and by the baseline: the kind's overall win rate among the
training deals. Printed: Brier score and log loss of each, and their ratio to the baseline
(lower is better).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tortoise.transactions import in_transaction

from core import clock
from core.db import close_orm, init_orm, migrate
from models import Deal, DealKind, DealStageLog, Employee, Partner, Stage
from models.base import ControlType, DealStatus, StageResult
from services.probability import DEFAULT_METHOD, explain_deal_probability

START = dt.datetime(2024, 1, 1, 7, 0, tzinfo=dt.UTC)
HISTORY_DAYS = 720
SPLIT_DAY = 540

# (code, planned days, pass logit, default probability %)
KINDS = {
    "typical": [
        ("primary_contact", 2, 1.8, 10),
        ("qualification", 2, 1.2, 15),
        ("offer", 3, 0.9, 25),
        ("presentation", 5, 1.4, 35),
        ("negotiation", 7, 1.0, 50),
        ("order", 1, 2.5, 70),
        ("obligations", 2, 2.8, 80),
        ("fulfilment", 14, 3.0, 90),
        ("result", 1, 3.5, 95),
    ],
    "simple": [
        ("new", 3, 0.8, 20),
        ("offer", 5, 0.6, 40),
        ("negotiation", 7, 1.1, 60),
        ("closing", 3, 2.0, 80),
    ],
}
KIND_SHARE = {"typical": 0.7, "simple": 0.3}


@dataclass
class Visit:
    stage: int  # index into the kind's stages
    entered: dt.datetime
    left: dt.datetime
    active_until: dt.datetime  # the last moment of activity during the visit
    lost_here: bool = False


@dataclass
class GenDeal:
    number: int
    kind: str
    owner: int
    partner: int | None
    started: dt.datetime
    ended: dt.datetime
    won: bool
    visits: list[Visit] = field(default_factory=list)


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def rot_days(planned: int) -> int:
    return max(3, 2 * planned)


def generate(seed: int, n_deals: int) -> tuple[list[GenDeal], list[float], list[float]]:
    rng = random.Random(seed)
    owner_skill = [rng.gauss(0, 0.5) for _ in range(10)]
    partner_quality = [rng.gauss(0, 0.7) for _ in range(max(20, n_deals // 12))]
    partner_weight = [1 / (i + 1) ** 0.8 for i in range(len(partner_quality))]
    deals = []
    for number in range(1, n_deals + 1):
        kind = "typical" if rng.random() < KIND_SHARE["typical"] else "simple"
        owner = rng.randrange(len(owner_skill))
        partner = None
        if rng.random() > 0.1:
            partner = rng.choices(range(len(partner_quality)), weights=partner_weight)[0]
        offset = owner_skill[owner] + (partner_quality[partner] if partner is not None else 0.0)
        started = START + dt.timedelta(days=rng.uniform(0, HISTORY_DAYS))
        t = started
        visits = []
        won = True
        for index, (_code, planned, logit, _p) in enumerate(KINDS[kind]):
            if rng.random() < sigmoid(logit + offset):
                stay = dt.timedelta(days=rng.expovariate(1 / (1.5 * planned)) + 0.2)
                visits.append(Visit(index, t, t + stay, t + stay))
                t += stay
                continue
            # lost here: activity stops early, the loss is written down later
            stay = dt.timedelta(days=rng.expovariate(1 / (1.5 * rot_days(planned))) + 0.5)
            quiet_from = t + stay * rng.uniform(0.0, 0.4)
            visits.append(Visit(index, t, t + stay, quiet_from, lost_here=True))
            t += stay
            won = False
            break
        deals.append(GenDeal(number, kind, owner, partner, started, t, won, visits))
    return deals, owner_skill, partner_quality


@dataclass
class TestCase:
    deal_id: int
    kind: str
    won: bool
    deal: GenDeal
    stage: int  # index of its stage at the split


async def load(
    deals: list[GenDeal], n_owners: int, n_partners: int, split: dt.datetime, rng: random.Random
) -> list[TestCase]:
    """Write what was known at `split`; return the deals open at `split` with their outcome."""
    owners = [Employee(id=i + 1, full_name=f"Менеджер {i + 1}") for i in range(n_owners)]
    await Employee.bulk_create(owners)
    partners = [
        Partner(id=i + 1, name=f"Клієнт {i + 1}", search_key=f"клієнт {i + 1}", is_client=True)
        for i in range(n_partners)
    ]
    await Partner.bulk_create(partners, batch_size=500)
    stage_ids: dict[str, list[int]] = {}
    kind_ids: dict[str, int] = {}
    next_stage = 1
    for kind_index, (code, stages) in enumerate(KINDS.items(), start=1):
        await DealKind.create(
            id=kind_index, code=code, name_uk=code, name_en=code, control_type=ControlType.MANUAL
        )
        kind_ids[code] = kind_index
        stage_ids[code] = []
        for order, (stage_code, planned, _logit, probability) in enumerate(stages, start=1):
            await Stage.create(
                id=next_stage,
                kind_id=kind_index,
                code=stage_code,
                name_uk=stage_code,
                name_en=stage_code,
                order=order,
                planned_days=planned,
                default_probability=probability,
                rot_days=rot_days(planned),
            )
            stage_ids[code].append(next_stage)
            next_stage += 1

    rows: list[Deal] = []
    logs: list[DealStageLog] = []
    cases: list[TestCase] = []
    for deal in deals:
        if deal.started > split:
            continue
        closed = deal.ended <= split
        visits = deal.visits if closed else [v for v in deal.visits if v.entered <= split]
        current = visits[-1]
        if closed:
            status = DealStatus.WON if deal.won else DealStatus.LOST
            last_activity = deal.ended
        else:
            status = DealStatus.OPEN
            active_end = min(split, current.active_until)
            idle = dt.timedelta(days=rng.expovariate(1 / 1.5))
            last_activity = max(current.entered, active_end - idle)
            cases.append(TestCase(deal.number, deal.kind, deal.won, deal, current.stage))
        rows.append(
            Deal(
                id=deal.number,
                number=f"BENCH-{deal.number}",
                title=f"Угода {deal.number}",
                kind_id=kind_ids[deal.kind],
                stage_id=stage_ids[deal.kind][current.stage],
                status=status,
                closed=closed,
                owner_id=deal.owner + 1,
                partner_id=deal.partner + 1 if deal.partner is not None else None,
                started_at=deal.started,
                ended_at=deal.ended if closed else None,
                last_activity_at=last_activity,
            )
        )
        for visit in visits:
            is_current = visit is current
            if is_current and not closed:
                result, left = StageResult.CURRENT, None
            elif is_current and visit.lost_here:
                result, left = StageResult.LOST, visit.left
            else:
                result, left = StageResult.PASSED, visit.left
            logs.append(
                DealStageLog(
                    deal_id=deal.number,
                    stage_id=stage_ids[deal.kind][visit.stage],
                    entered_at=visit.entered,
                    left_at=left,
                    result=result,
                    responsible_id=deal.owner + 1,
                )
            )
    async with in_transaction():
        await Deal.bulk_create(rows, batch_size=500)
        await DealStageLog.bulk_create(logs, batch_size=1000)
    return cases


def scores(predictions: list[float], outcomes: list[bool]) -> tuple[float, float]:
    brier = 0.0
    loss = 0.0
    for p, won in zip(predictions, outcomes, strict=True):
        p = min(0.99, max(0.01, p))
        y = 1.0 if won else 0.0
        brier += (p - y) ** 2
        loss -= y * math.log(p) + (1 - y) * math.log(1 - p)
    n = len(predictions)
    return brier / n, loss / n


def one_c_as_is(train: list[GenDeal]):
    """1C's formula (reference §5) from the training deals: raw won / decided by the stage
    reached, by the owner, by the client and by the kind (owner and client over every kind);
    the mean of those above zero."""
    counts: dict[tuple[object, ...], list[int]] = {}

    def add(key: tuple[object, ...], won: bool) -> None:
        entry = counts.setdefault(key, [0, 0])
        entry[0] += won
        entry[1] += 1

    for deal in train:
        for index in {visit.stage for visit in deal.visits}:
            add(("stage", deal.kind, index), deal.won)
        add(("owner", deal.owner), deal.won)
        if deal.partner is not None:
            add(("partner", deal.partner), deal.won)
        add(("kind", deal.kind), deal.won)

    def predict(case: TestCase) -> float:
        keys = [
            ("stage", case.kind, case.stage),
            ("owner", case.deal.owner),
            ("partner", case.deal.partner),
            ("kind", case.kind),
        ]
        rates = [won / total for won, total in (counts.get(k, [0, 0]) for k in keys) if won]
        return sum(rates) / len(rates) if rates else 0.0

    return predict


async def run(seed: int, n_deals: int, verbose: bool = True) -> dict[str, tuple[float, float]]:
    deals, owner_skill, partner_quality = generate(seed, n_deals)
    split = START + dt.timedelta(days=SPLIT_DAY)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        await migrate(db_url=url)
        await init_orm(db_url=url)
        try:
            rng = random.Random(seed + 1)
            cases = await load(deals, len(owner_skill), len(partner_quality), split, rng)
            train = [d for d in deals if d.ended <= split]
            kind_rate = {
                kind: sum(d.won for d in train if d.kind == kind)
                / max(1, sum(1 for d in train if d.kind == kind))
                for kind in KINDS
            }
            clock.freeze(split)
            predictions: dict[str, list[float]] = {
                "baseline (kind's win rate)": [],
                "1C as is (raw rates, mean > 0)": [],
                "shrunk": [],
                "shrunk without staleness": [],
                "bayes": [],
                "bayes without staleness": [],
            }
            started = time.perf_counter()
            one_c = one_c_as_is(train)
            for case in cases:
                predictions["baseline (kind's win rate)"].append(kind_rate[case.kind])
                predictions["1C as is (raw rates, mean > 0)"].append(one_c(case))
                for method in ("shrunk", "bayes"):
                    explanation = await explain_deal_probability(case.deal_id, method)
                    predictions[method].append(explanation.percent / 100)
                    before = explanation.before_penalty
                    plain = explanation.percent if before is None else before
                    predictions[f"{method} without staleness"].append(plain / 100)
            elapsed = time.perf_counter() - started
        finally:
            clock.unfreeze()
            await close_orm()
    outcomes = [case.won for case in cases]
    results = {name: scores(p, outcomes) for name, p in predictions.items()}
    if verbose:
        won = sum(outcomes)
        print(
            f"seed {seed}: {len(deals)} deals generated, {len(train)} closed before "
            f"{split.date()} (training), {len(cases)} open then (test, {won} won later)"
        )
        print(f"scoring {len(cases)} deals x 2 methods took {elapsed:.2f} s")
        base_brier, base_loss = results["baseline (kind's win rate)"]
        print(f"{'predictor':34} {'Brier':>8} {'ratio':>6} {'log loss':>9} {'ratio':>6}")
        for name, (brier, loss) in results.items():
            print(
                f"{name:34} {brier:8.4f} {brier / base_brier:6.3f} "
                f"{loss:9.4f} {loss / base_loss:6.3f}"
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--deals", type=int, default=10000)
    parser.add_argument("--seeds", type=int, default=1, help="also average over N seeds")
    args = parser.parse_args()
    results = asyncio.run(run(args.seed, args.deals))
    if args.seeds > 1:
        totals: dict[str, list[float]] = {name: [0.0, 0.0] for name in results}
        for offset in range(args.seeds):
            one = asyncio.run(run(args.seed + offset, args.deals, verbose=False))
            for name, (brier, loss) in one.items():
                totals[name][0] += brier / args.seeds
                totals[name][1] += loss / args.seeds
        print(f"\nmean over {args.seeds} seeds:")
        for name, (brier, loss) in totals.items():
            print(f"{name:34} Brier {brier:.4f}  log loss {loss:.4f}")
    shrunk, bayes = results["shrunk"], results["bayes"]
    better = "bayes" if bayes[0] + bayes[1] < shrunk[0] + shrunk[1] else "shrunk"
    print(
        f"better on both measures: {better}; services.probability.DEFAULT_METHOD = {DEFAULT_METHOD}"
    )


if __name__ == "__main__":
    main()
