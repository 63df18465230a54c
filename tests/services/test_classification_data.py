"""Seeded sales for the classification, BCG and loyalty tests, and the plain slow way of
computing what those reports should say (no tests here: the other modules import it).

The slow side works only on the Python list of shipments the generator made, never on the
database, and follows 1C's code (reference §12 and §14) literally, with float shares.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from models import Employee, Partner, Shipment, Team
from models.base import DocStatus, Role


@dataclass(frozen=True)
class Sale:
    partner_id: int
    date: dt.date
    amount: int
    cost: int
    status: str = "posted"


@dataclass
class Sales:
    admin: int = 0
    head_a: int = 0
    managers_a: list[int] = field(default_factory=list)
    manager_b: int = 0
    team_a: int = 0
    clients: list[int] = field(default_factory=list)
    manager_of: dict[int, int | None] = field(default_factory=dict)
    sales: list[Sale] = field(default_factory=list)
    idle_clients: list[int] = field(default_factory=list)  # is_client, never bought


async def seed_people() -> Sales:
    team_a = await Team.create(name="Команда А")
    team_b = await Team.create(name="Команда Б")
    data = Sales(team_a=team_a.id)
    data.admin = (await Employee.create(full_name="Адмін", role=Role.ADMIN)).id
    data.head_a = (await Employee.create(full_name="Голова А", role=Role.HEAD, team=team_a)).id
    for name in ("Олена", "Тарас"):
        data.managers_a.append((await Employee.create(full_name=name, team=team_a)).id)
    data.manager_b = (await Employee.create(full_name="Ірина", team=team_b)).id
    return data


async def add_client(data: Sales, name: str, manager: int | None, is_client: bool = True) -> int:
    partner = await Partner.create(
        name=name, search_key=name.lower(), is_client=is_client, main_manager_id=manager
    )
    data.manager_of[partner.id] = manager
    return partner.id


async def add_sales(data: Sales, sales: list[Sale]) -> None:
    await Shipment.bulk_create(
        [
            Shipment(
                number=f"В-{i}",
                date=s.date,
                status=DocStatus(s.status),
                partner_id=s.partner_id,
                amount_minor=s.amount,
                cost_minor=s.cost,
            )
            for i, s in enumerate(sales, start=len(data.sales) + 1)
        ],
        batch_size=500,
    )
    data.sales.extend(sales)


async def seed_sales(
    seed: int = 7,
    clients: int = 60,
    first: dt.date = dt.date(2026, 1, 1),
    last: dt.date = dt.date(2026, 11, 26),
) -> Sales:
    """Clients of three managers (and some without one) buying with their own rhythm and size;
    some drafts, cancellations and returns that must not count."""
    rnd = random.Random(seed)
    data = await seed_people()
    owners = [*data.managers_a, data.head_a, data.manager_b, None]
    sales: list[Sale] = []
    days = (last - first).days
    for i in range(clients):
        partner = await add_client(data, f"ТОВ Клієнт {i:03d}", rnd.choice(owners))
        data.clients.append(partner)
        rate = rnd.choice([0.3, 1, 2, 4, 8]) / 30  # purchases per day
        size = rnd.choice([5_000_00, 20_000_00, 80_000_00, 300_000_00])
        stop = (
            first + dt.timedelta(days=rnd.randint(days // 3, days)) if rnd.random() < 0.3 else last
        )
        start = (
            first + dt.timedelta(days=rnd.randint(0, days // 2)) if rnd.random() < 0.3 else first
        )
        day = start
        while day <= stop:
            if rnd.random() < rate:
                amount = rnd.randint(size // 4, size * 2)
                status = rnd.choices(["posted", "draft", "cancelled"], [0.9, 0.05, 0.05])[0]
                sales.append(
                    Sale(partner, day, amount, amount * rnd.randint(50, 95) // 100, status)
                )
                if rnd.random() < 0.03:  # a return
                    sales.append(Sale(partner, day, -amount // 3, -amount // 4))
            day += dt.timedelta(days=1)
    for i in range(3):
        data.idle_clients.append(await add_client(data, f"Потенційний {i}", rnd.choice(owners)))
    await add_client(data, "Постачальник", None, is_client=False)
    await add_sales(data, sales)
    return data


# --- the slow way ---------------------------------------------------------------------------------


def months_of(period_to: dt.date, months: int) -> list[tuple[int, int]]:
    """(year, month) of the window, oldest first."""
    out = []
    year, month = period_to.year, period_to.month
    for _ in range(months):
        out.append((year, month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def slow_series(sales: list[Sale], basis: str, window: list[tuple[int, int]]) -> dict[int, list]:
    series: dict[int, list[int]] = {}
    for sale in sales:
        key = (sale.date.year, sale.date.month)
        if sale.status != "posted" or key not in window:
            continue
        values = series.setdefault(sale.partner_id, [0] * len(window))
        value = {"revenue": sale.amount, "profit": sale.amount - sale.cost, "count": 1}[basis]
        values[window.index(key)] += value
    return series


def slow_1c_cut(values: list[float], labels: str) -> list[str]:
    """1C's ВыполнитьABCКлассификацию, literally: float shares, mean thresholds."""
    n = len(values)
    total = sum(values)
    shares, current = [], 0.0
    for value in values:
        if total != 0:
            current += value * 100 / total
        shares.append(current)
    remaining = sum(shares)
    mean = remaining / (n + 1)
    cls, out = labels[0], [labels[2]] * n
    for i in range(n - 1):
        if shares[i] > mean:
            if cls == labels[0]:
                cls = labels[1]
            else:
                break
            mean = remaining / (n - i)
        remaining -= shares[i]
        out[i] = cls
    return out


def slow_classic_abc(values: list[int]) -> list[str]:
    positive = sum(v for v in values if v > 0)
    out, before = [], 0.0
    for value in values:
        if value <= 0:
            out.append("C")
        else:
            share = before / positive
            out.append("A" if share < 0.8 else "B" if share < 0.95 else "C")
            before += value
    return out


def slow_cv(values: list[int]) -> float:
    mean = sum(values) / len(values)
    if mean == 0:
        return 0.0
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) * 100 / abs(mean)


def slow_classify(
    sales: list[Sale],
    basis: str,
    method: str,
    period_to: dt.date,
    months: int,
    abc_months: int | None = None,
) -> dict[int, tuple[str, str, int]]:
    """partner -> (abc, xyz, value) for the clients with sales in the window."""
    window = months_of(period_to, months)
    abc_window = window[-(abc_months or months) :]
    series = slow_series(sales, basis, window)
    abc_series = slow_series(sales, basis, abc_window)
    values = {p: sum(v) for p, v in abc_series.items()}
    in_abc = sorted(values, key=lambda p: (-values[p], p))
    if method == "adaptive":
        abc_classes = slow_1c_cut([values[p] for p in in_abc], "ABC")
    else:
        abc_classes = slow_classic_abc([values[p] for p in in_abc])
    cvs = {p: slow_cv(v) for p, v in series.items()}
    in_xyz = sorted(cvs, key=lambda p: (-cvs[p], p))
    if method == "adaptive":
        xyz_classes = slow_1c_cut([cvs[p] for p in in_xyz], "ZYX")
    else:
        xyz_classes = ["X" if cvs[p] <= 10 else "Y" if cvs[p] <= 25 else "Z" for p in in_xyz]
    abc = dict(zip(in_abc, abc_classes, strict=True))
    xyz = dict(zip(in_xyz, xyz_classes, strict=True))
    return {p: (abc.get(p, ""), xyz[p], values.get(p, 0)) for p in series}


def slow_stage(xyz: str) -> str:
    return {"X": "regular", "Y": "regular", "Z": "one_time"}.get(xyz, "lost")


def slow_grid(
    sales: list[Sale], date_from: dt.date, date_to: dt.date, partners: set[int] | None = None
) -> dict[int, tuple[int | None, int]]:
    """partner -> (cell at the start or None, cell at the end); 1C's Повторные продажи."""
    posted: dict[int, list[dt.date]] = defaultdict(list)
    for sale in sales:
        counted = sale.status == "posted" and sale.amount > 0 and sale.date <= date_to
        if counted and (partners is None or sale.partner_id in partners):
            posted[sale.partner_id].append(sale.date)

    def cell(dates: list[dt.date], on: dt.date) -> int:
        count, days = len(dates), (on - max(dates)).days
        row = 0 if count == 1 else 1 if 2 <= count <= 7 else 2
        column = 0 if days < 30 else 1 if 30 <= days <= 50 else 2
        return row * 3 + column

    out = {}
    for partner, dates in posted.items():
        before = [d for d in dates if d < date_from]
        out[partner] = (cell(before, date_from) if before else None, cell(dates, date_to))
    return out
