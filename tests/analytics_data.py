"""Realistic, seeded data for analytics tests and benchmarks (test setup only: it writes the
models directly with bulk_create, bypassing the services).

    ds = await generate(seed=7, deals=300)            # teams, managers, kinds, stages, deals...
    deal_id = await add_deal(ds, kind="sale", owner=ds.managers[0], started_at=...,
                             rows=[(0, t0, t1, "passed"), (1, t1, None, "current")])

The deals walk their kind's stages the way 1C keeps the stage log (reference §1): one row per
(deal, stage); passing closes the row as "passed"; a jump forward adds "skipped" rows that start
and end at the same moment; moving back deletes the rows after the target and reopens it; a loss
closes the current row as "lost". Open deals keep one "current" row. Around them: competitors on
lost deals, interactions, tasks (on time, late, open, overdue), orders with lines, invoices,
shipments and payments for won deals (some incomplete or overdue), and a few claims.

Stable API (other analytics tests import it): `generate`, `add_deal`, `Dataset`, `KINDS`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tortoise import connections
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models import (
    Claim,
    ClaimCause,
    Counterparty,
    Deal,
    DealKind,
    DealParticipant,
    DealStageLog,
    Employee,
    Interaction,
    Invoice,
    LossReason,
    Order,
    OrderLine,
    Partner,
    Payment,
    Product,
    Shipment,
    Stage,
    Task,
    Team,
)
from models.base import (
    ClaimStatus,
    DealStatus,
    DocStatus,
    InteractionKind,
    ParticipantRole,
    Role,
    StageResult,
    TaskStatus,
)

UTC = dt.UTC
DEFAULT_NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # tests/conftest.py FROZEN_AT

# kind code -> (names, stages: (code, uk, en, planned days, default probability, loss weight))
KINDS: dict[str, tuple[tuple[str, str], list[tuple[str, str, str, int, int, float]]]] = {
    "sale": (
        ("Типовий продаж", "Typical sale"),
        [
            ("contact", "Первинний контакт", "First contact", 2, 10, 0.18),
            ("qualify", "Кваліфікація клієнта", "Qualification", 2, 20, 0.15),
            ("offer", "Формування пропозиції", "Offer", 3, 35, 0.12),
            ("present", "Презентація", "Presentation", 5, 50, 0.14),
            ("terms", "Узгодження умов", "Negotiation", 7, 70, 0.2),
            ("deliver", "Виконання зобов'язань", "Fulfilment", 14, 90, 0.03),
        ],
    ),
    "project": (
        ("Проєктний продаж", "Project sale"),
        [
            ("brief", "Бриф", "Brief", 5, 15, 0.2),
            ("design", "Проєктування", "Design", 14, 40, 0.15),
            ("tender", "Тендер", "Tender", 10, 60, 0.35),
            ("contract", "Договір", "Contract", 7, 85, 0.05),
        ],
    ),
}
LOSS_REASONS = [
    ("price", "Висока ціна", "Price too high", False),
    ("competitor", "Обрали конкурента", "Chose a competitor", True),
    ("budget", "Немає бюджету", "No budget", False),
    ("timing", "Не на часі", "Bad timing", False),
    ("silence", "Клієнт зник", "No response", False),
]
CLAIM_CAUSES = [("quality", "Якість", "Quality"), ("delay", "Затримка", "Delay"),
                ("damage", "Пошкодження", "Damage")]
FIRST_NAMES = ["Олена", "Андрій", "Ірина", "Богдан", "Марія", "Тарас", "Оксана", "Дмитро",
               "Наталія", "Сергій", "Юлія", "Максим"]
LAST_NAMES = ["Коваленко", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Мельник",
              "Олійник", "Поліщук", "Савченко", "Руденко"]
COMPANY_WORDS = ["Агро", "Буд", "Світ", "Трейд", "Пром", "Сервіс", "Логістик", "Енерго",
                 "Текстиль", "Фуд", "Метал", "Дніпро", "Карпати", "Поділля", "Слобода"]


@dataclass
class Dataset:
    """What `generate` made: ids to filter by and to build test scenarios on."""

    seed: int
    now: dt.datetime
    admin: int = 0
    heads: list[int] = field(default_factory=list)
    managers: list[int] = field(default_factory=list)
    teams: list[int] = field(default_factory=list)
    team_of: dict[int, int | None] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    stages: dict[str, list[int]] = field(default_factory=dict)  # kind code -> ids by order
    clients: list[int] = field(default_factory=list)
    competitors: list[int] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    causes: list[int] = field(default_factory=list)
    products: list[int] = field(default_factory=list)
    deal_ids: list[int] = field(default_factory=list)
    next_id: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def sellers(self) -> list[int]:
        return self.managers + self.heads

    def take_id(self, table: str, n: int = 1) -> int:
        first = self.next_id.get(table, 1)
        self.next_id[table] = first + n
        return first


class _Sink:
    """Buffers model instances per model and bulk-inserts them in batches."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.buffers: dict[type[Model], list[Model]] = {}
        self.counts: dict[str, int] = {}
        self.order: list[type[Model]] = []

    def add(self, obj: Model) -> None:
        model = type(obj)
        if model not in self.buffers:
            self.buffers[model] = []
            self.order.append(model)
        self.buffers[model].append(obj)

    async def flush_if_full(self) -> None:
        if sum(len(b) for b in self.buffers.values()) >= self.batch:
            await self.flush()

    async def flush(self) -> None:
        # Parents before children: the order models were first seen in; one transaction.
        async with in_transaction():
            for model in self.order:
                rows = self.buffers[model]
                if rows:
                    await model.bulk_create(rows, batch_size=2000)
                    self.counts[model._meta.db_table] = (
                        self.counts.get(model._meta.db_table, 0) + len(rows)
                    )
                    self.buffers[model] = []


def _at(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0)


async def generate(
    seed: int = 1,
    deals: int = 200,
    *,
    now: dt.datetime = DEFAULT_NOW,
    span_days: int = 730,
    interactions_per_deal: float = 4.0,
    lines_per_order: float = 3.0,
    extra_interactions: int | None = None,
    batch: int = 20000,
) -> Dataset:
    """Create a company with two teams and `deals` deals over the `span_days` before `now`."""
    rng = random.Random(seed)
    ds = Dataset(seed=seed, now=now)
    sink = _Sink(batch)
    await _reference_data(ds, rng, sink, max(20, deals // 4))
    await sink.flush()
    extra = int(deals * interactions_per_deal * 0.1) if extra_interactions is None else (
        extra_interactions
    )
    for _ in range(deals):
        _simulate_deal(ds, rng, sink, span_days, interactions_per_deal, lines_per_order)
        await sink.flush_if_full()
    for _ in range(extra):
        _loose_interaction(ds, rng, sink, span_days)
        await sink.flush_if_full()
    await sink.flush()
    ds.counts = sink.counts
    await fix_sequences()
    return ds


async def fix_sequences() -> None:
    """PostgreSQL: move the id sequences past the ids given explicitly by bulk_create."""
    conn = connections.get("default")
    if not conn.capabilities.dialect.startswith("postgres"):
        return
    for model in (Team, Employee, DealKind, Stage, Partner, Counterparty, LossReason, Product,
                  Deal, DealStageLog, DealParticipant, Interaction, Task, Order, OrderLine,
                  Invoice, Shipment, Payment, ClaimCause, Claim):
        table = model._meta.db_table
        await conn.execute_script(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)"
        )


async def _reference_data(ds: Dataset, rng: random.Random, sink: _Sink, n_clients: int) -> None:
    people = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    names = iter(rng.sample(people, 40))
    for team_name in ("Київ", "Львів"):
        team_id = ds.take_id("team")
        sink.add(Team(id=team_id, name=f"Відділ продажів {team_name}"))
        ds.teams.append(team_id)
    ds.admin = _employee(ds, sink, next(names), Role.ADMIN, None)
    for team_id in ds.teams:
        ds.heads.append(_employee(ds, sink, next(names), Role.HEAD, team_id))
        for _ in range(3):
            ds.managers.append(_employee(ds, sink, next(names), Role.MANAGER, team_id))
    ds.managers.append(_employee(ds, sink, next(names), Role.MANAGER, None))  # no team

    for code, ((uk, en), stages) in KINDS.items():
        kind_id = ds.take_id("deal_kind")
        sink.add(DealKind(id=kind_id, code=code, name_uk=uk, name_en=en))
        ds.kinds[code] = kind_id
        ds.stages[code] = []
        for order, (scode, suk, sen, days, prob, _loss) in enumerate(stages, start=1):
            stage_id = ds.take_id("stage")
            sink.add(Stage(id=stage_id, kind_id=kind_id, code=scode, name_uk=suk, name_en=sen,
                           order=order * 10, planned_days=days, default_probability=prob))
            ds.stages[code].append(stage_id)
    for code, uk, en, needs in LOSS_REASONS:
        reason_id = ds.take_id("loss_reason")
        sink.add(LossReason(id=reason_id, code=code, name_uk=uk, name_en=en,
                            needs_competitor=needs))
        ds.reasons[code] = reason_id
    for code, uk, en in CLAIM_CAUSES:
        cause_id = ds.take_id("claim_cause")
        sink.add(ClaimCause(id=cause_id, code=code, name_uk=uk, name_en=en))
        ds.causes.append(cause_id)
    for number in range(1, 41):
        product_id = ds.take_id("product")
        price = rng.randrange(5_000, 500_000)
        sink.add(Product(id=product_id, sku=f"SKU-{number:04d}", name=f"Товар {number}",
                         price_minor=price, cost_minor=int(price * rng.uniform(0.55, 0.85))))
        ds.products.append(product_id)
    for number in range(n_clients):
        partner_id = ds.take_id("partner")
        name = f"ТОВ «{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_WORDS).lower()} {number}»"
        sink.add(Partner(id=partner_id, name=name, search_key=name.lower(), is_client=True,
                         main_manager_id=rng.choice(ds.sellers)))
        ds.clients.append(partner_id)
    for number in range(5):
        partner_id = ds.take_id("partner")
        name = f"Конкурент {rng.choice(COMPANY_WORDS)} {number + 1}"
        sink.add(Partner(id=partner_id, name=name, search_key=name.lower(), is_competitor=True))
        ds.competitors.append(partner_id)


def _employee(ds: Dataset, sink: _Sink, name: str, role: Role, team_id: int | None) -> int:
    employee_id = ds.take_id("employee")
    sink.add(Employee(id=employee_id, full_name=name, role=role, team_id=team_id,
                      telegram_id=1000 + employee_id))
    ds.team_of[employee_id] = team_id
    return employee_id


def _days(rng: random.Random, planned: int, pace: float) -> dt.timedelta:
    mean = max(planned, 1) * pace * (8 if rng.random() < 0.07 else 1)  # a deal gets stuck
    return dt.timedelta(seconds=int(rng.gammavariate(2.0, mean / 2.0) * 86400) + 60)


def _simulate_deal(
    ds: Dataset,
    rng: random.Random,
    sink: _Sink,
    span_days: int,
    interactions_per_deal: float,
    lines_per_order: float,
) -> None:
    kind = "sale" if rng.random() < 0.7 else "project"
    stage_ids = ds.stages[kind]
    stage_meta = KINDS[kind][1]
    owner = rng.choice(ds.sellers)
    pace = 0.6 + (owner % 5) * 0.25  # some managers are slower
    # More deals recently (the business grows), so a few percent are still open.
    started = _at(ds.now - dt.timedelta(seconds=int(span_days * 86400 * rng.random() ** 1.4)))
    potential = rng.randrange(1_000_000, 200_000_000)  # 10 000 to 2 000 000 UAH
    rows: dict[int, list[Any]] = {}  # stage index -> [entered, left, result, skipped]
    status, ended, moved_back = DealStatus.OPEN, None, False
    t, i = started, 0
    rows[0] = [t, None, StageResult.CURRENT, False]
    while True:
        t_next = t + _days(rng, stage_meta[i][3], pace)
        if t_next >= ds.now:
            break
        r = rng.random()
        loss = stage_meta[i][5]
        if r < loss:
            rows[i][1:3] = [t_next, StageResult.LOST]
            status, ended = DealStatus.LOST, t_next
            break
        if r < loss + 0.06 and i > 0 and not moved_back:
            moved_back = True
            j = rng.randrange(i)
            for later in [k for k in rows if k > j]:
                del rows[later]
            rows[j][1:4] = [None, StageResult.CURRENT, False]
            t, i = t_next, j
            continue
        rows[i][1:3] = [t_next, StageResult.PASSED]
        if r > 0.97 and i >= len(stage_ids) - 3:  # won early
            status, ended = DealStatus.WON, t_next
            break
        step = 2 if r > 0.9 and i + 2 < len(stage_ids) else 1
        if step == 2:
            rows[i + 1] = [t_next, t_next, StageResult.PASSED, True]
        i += step
        if i >= len(stage_ids):
            status, ended = DealStatus.WON, t_next
            break
        rows[i] = [t_next, None, StageResult.CURRENT, False]
        t = t_next

    deal_id = ds.take_id("deal")
    ds.deal_ids.append(deal_id)
    partner = rng.choice(ds.clients)
    last_stage = max(rows)
    reason = None
    if status is DealStatus.LOST:
        reason = None if rng.random() < 0.1 else rng.choice(list(ds.reasons.values()))
    manual = computed = expected = None
    if status is DealStatus.OPEN:
        if rng.random() < 0.3:
            manual = rng.randrange(5, 96, 5)
        elif rng.random() < 0.5:
            computed = rng.randrange(1, 100)
        if rng.random() < 0.35:
            expected = (ds.now + dt.timedelta(days=rng.randrange(-20, 150))).date()
    sink.add(Deal(
        id=deal_id, number=f"D-{deal_id:07d}", title=f"Угода {deal_id}", partner_id=partner,
        kind_id=ds.kinds[kind], stage_id=stage_ids[last_stage], status=status,
        closed=status is not DealStatus.OPEN, potential_minor=potential,
        manual_probability=manual, computed_probability=computed, loss_reason_id=reason,
        owner_id=owner, started_at=started, ended_at=ended, expected_close_on=expected,
    ))
    for index in sorted(rows):
        entered, left, result, skipped = rows[index]
        sink.add(DealStageLog(
            id=ds.take_id("deal_stage_log"), deal_id=deal_id, stage_id=stage_ids[index],
            entered_at=entered, left_at=left, result=result, potential_minor=potential,
            responsible_id=owner, skipped=skipped,
        ))
    if status is not DealStatus.OPEN and (
        reason == ds.reasons["competitor"] or rng.random() < 0.3
    ):
        sink.add(DealParticipant(
            id=ds.take_id("deal_participant"), deal_id=deal_id,
            partner_id=rng.choice(ds.competitors), role=ParticipantRole.COMPETITOR,
            won_the_deal=reason == ds.reasons["competitor"],
        ))
    until = ended or ds.now
    for _ in range(_count(rng, interactions_per_deal)):
        sink.add(Interaction(
            id=ds.take_id("interaction"), kind=rng.choice(list(InteractionKind)),
            starts_at=_between(rng, started, until), done=rng.random() < 0.85,
            owner_id=owner, deal_id=deal_id, partner_id=partner, subject="Контакт",
        ))
    for _ in range(rng.randrange(0, 4)):
        _task(ds, rng, sink, owner, deal_id, started, until)
    if status is DealStatus.WON:
        _documents(ds, rng, sink, deal_id, partner, owner, ended, potential, lines_per_order)
        if rng.random() < 0.08:
            registered = _between(rng, ended, ds.now)
            sink.add(Claim(
                id=ds.take_id("claim"), number=f"C-{deal_id:07d}", partner_id=partner,
                deal_id=deal_id, cause_id=rng.choice(ds.causes), description="Претензія",
                responsible_id=owner, registered_at=registered,
                status=rng.choice(list(ClaimStatus)),
            ))


def _count(rng: random.Random, mean: float) -> int:
    whole = int(mean * 2 * rng.random())
    return whole


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    seconds = max(int((end - start).total_seconds()), 1)
    return _at(start + dt.timedelta(seconds=rng.randrange(seconds)))


def _task(ds: Dataset, rng: random.Random, sink: _Sink, owner: int, deal_id: int | None,
          start: dt.datetime, until: dt.datetime) -> None:
    due = _between(rng, start, until + dt.timedelta(days=10))
    roll = rng.random()
    status, completed = TaskStatus.OPEN, None
    if roll < 0.55 and due < ds.now:
        status, completed = TaskStatus.DONE, min(due - dt.timedelta(hours=rng.randrange(1, 48)),
                                                 ds.now)
    elif roll < 0.8 and due < ds.now:
        late = due + dt.timedelta(hours=rng.randrange(1, 120))
        status, completed = TaskStatus.DONE, min(late, ds.now)
    elif roll < 0.85:
        status = TaskStatus.CANCELLED
    sink.add(Task(id=ds.take_id("task"), title="Зателефонувати", performer_id=owner,
                  author_id=owner, due_at=due, status=status, completed_at=completed,
                  deal_id=deal_id))


def _documents(ds: Dataset, rng: random.Random, sink: _Sink, deal_id: int, partner: int,
               owner: int, won_at: dt.datetime, potential: int, lines_per_order: float) -> None:
    """An order with lines, an invoice, shipments and payments; recent deals lag behind."""
    age_days = (ds.now - won_at).days
    day = won_at.date()
    order_id = ds.take_id("sales_order")
    n_lines = max(1, _count(rng, lines_per_order))
    amounts = [rng.randrange(1, 100) for _ in range(n_lines)]
    total_weight = sum(amounts)
    order_total = potential - potential % 100
    line_amounts = [order_total * a // total_weight for a in amounts]
    line_amounts[-1] += order_total - sum(line_amounts)
    cost_total = 0
    sink.add(Order(id=order_id, number=f"З-{order_id}", date=day, amount_minor=order_total,
                   deal_id=deal_id, partner_id=partner, manager_id=owner))
    for amount in line_amounts:
        cost = int(amount * rng.uniform(0.55, 0.85))
        cost_total += cost
        sink.add(OrderLine(id=ds.take_id("sales_order_line"), order_id=order_id,
                           product_id=rng.choice(ds.products), quantity_milli=1000,
                           price_minor=amount, amount_minor=amount, cost_minor=cost))
    invoice_id = ds.take_id("invoice")
    sink.add(Invoice(id=invoice_id, number=f"Р-{invoice_id}", date=day, amount_minor=order_total,
                     deal_id=deal_id, order_id=order_id, partner_id=partner,
                     due_on=day + dt.timedelta(days=rng.choice([5, 10, 14, 30]))))
    share = 1.0 if age_days > 45 and rng.random() < 0.85 else rng.choice([0.0, 0.5, 1.0])
    shipped = int(order_total * share)
    if shipped:
        ship_id = ds.take_id("shipment")
        sink.add(Shipment(id=ship_id, number=f"В-{ship_id}",
                          date=min(day + dt.timedelta(days=rng.randrange(0, 10)), ds.now.date()),
                          amount_minor=shipped, cost_minor=int(cost_total * share),
                          deal_id=deal_id, order_id=order_id, partner_id=partner))
    paid_share = 1.0 if age_days > 60 and rng.random() < 0.8 else rng.choice([0.0, 0.3, 1.0])
    paid = int(order_total * paid_share)
    if paid:
        pay_id = ds.take_id("payment")
        sink.add(Payment(id=pay_id, number=f"О-{pay_id}",
                         date=min(day + dt.timedelta(days=rng.randrange(0, 40)), ds.now.date()),
                         amount_minor=paid, deal_id=deal_id, invoice_id=invoice_id,
                         partner_id=partner,
                         status=DocStatus.POSTED if rng.random() < 0.97 else DocStatus.DRAFT))


def _loose_interaction(ds: Dataset, rng: random.Random, sink: _Sink, span_days: int) -> None:
    start = ds.now - dt.timedelta(days=span_days)
    sink.add(Interaction(
        id=ds.take_id("interaction"), kind=rng.choice(list(InteractionKind)),
        starts_at=_between(rng, start, ds.now), done=rng.random() < 0.8,
        owner_id=rng.choice(ds.sellers), partner_id=rng.choice(ds.clients), subject="Дзвінок",
    ))


# --- hand-made scenarios ----------------------------------------------------------------------


async def add_deal(
    ds: Dataset,
    *,
    kind: str = "sale",
    owner: int | None = None,
    started_at: dt.datetime,
    rows: Iterable[tuple[int, dt.datetime, dt.datetime | None, str] | tuple[Any, ...]],
    status: str = "open",
    ended_at: dt.datetime | None = None,
    potential_minor: int = 10_000_00,
    partner: int | None = None,
    loss_reason: str | None = None,
    manual_probability: int | None = None,
    computed_probability: int | None = None,
    expected_close_on: dt.date | None = None,
) -> int:
    """One deal with explicit stage-log rows: (stage index, entered, left, result[, skipped])."""
    rows = list(rows)
    stage_ids = ds.stages[kind]
    owner = owner if owner is not None else ds.managers[0]
    last = max(r[0] for r in rows) if rows else 0
    ds.counts["hand_made"] = number = ds.counts.get("hand_made", 0) + 1
    deal = await Deal.create(
        number=f"X-{ds.seed}-{number}", title=f"Угода вручну {number}",
        partner_id=partner if partner is not None else ds.clients[0], kind_id=ds.kinds[kind],
        stage_id=stage_ids[last], status=status, closed=status != "open",
        potential_minor=potential_minor, owner_id=owner, started_at=started_at,
        ended_at=ended_at, loss_reason_id=ds.reasons[loss_reason] if loss_reason else None,
        manual_probability=manual_probability, computed_probability=computed_probability,
        expected_close_on=expected_close_on,
    )
    deal_id = deal.id
    for row in rows:
        index, entered, left, result = row[:4]
        skipped = bool(row[4]) if len(row) > 4 else False
        await DealStageLog.create(
            deal_id=deal_id, stage_id=stage_ids[index], entered_at=entered, left_at=left,
            result=result, potential_minor=potential_minor, responsible_id=owner, skipped=skipped,
        )
    ds.deal_ids.append(deal_id)
    return deal_id


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
