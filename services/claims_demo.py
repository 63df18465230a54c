"""Claims for `crm demo seed`: clients complain about shipments of won deals, and the company
works the claims through `services.claims` on a simulated clock, as people would have.

Most claims are closed (satisfied with the guilty department named, or rejected with a reason),
some after their response time; a few went through a work plan (an assignment checked by the
responsible person), one or two were reopened; the latest are still open and a few of the older
open ones are past their response time. The same rng state gives the same claims.

Call it at the end of `services.demo._Seeder.run()`, after the deals (it needs their shipments):

    from services.claims_demo import seed_demo_claims
    await seed_demo_claims(self.report, self.rng, now=self.now)
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from core import clock
from models import Employee, Shipment, ShipmentLine
from models.base import DealStatus, DocStatus, Role, TaskStatus
from services import claims

# cause code -> (weight, share of the shipment claimed (low, high), guilty departments)
CAUSES: dict[str, tuple[int, tuple[float, float], tuple[str, ...]]] = {
    "damaged_goods": (20, (0.03, 0.15), ("Логістика", "Склад")),
    "short_delivery": (14, (0.02, 0.10), ("Склад",)),
    "wrong_goods": (11, (0.05, 0.20), ("Склад", "Відділ продажів")),
    "quality_defect": (15, (0.05, 0.25), ("Відділ закупівель", "Склад")),
    "late_delivery": (10, (0.005, 0.02), ("Логістика", "Відділ продажів")),
    "documents_error": (9, (0.0, 0.0), ("Бухгалтерія", "Відділ продажів")),
    "price_error": (8, (0.01, 0.05), ("Відділ продажів", "Бухгалтерія")),
    "incomplete_set": (7, (0.02, 0.08), ("Склад",)),
    "packaging": (6, (0.01, 0.05), ("Склад", "Логістика")),
}
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "damaged_goods": (
        "Під час розвантаження «{product}» виявлено пошкоджені пакування: {n} од. "
        "Акт складено разом з водієм перевізника, фото додамо.",
        "Товар «{product}» прибув з вологими й розірваними мішками ({n} од.), "
        "використати неможливо.",
    ),
    "short_delivery": (
        "За накладною {doc} недостача «{product}»: отримали на {n} од. менше, ніж зазначено.",
        "Під час перерахунку на складі клієнта бракує {n} од. «{product}» (накладна {doc}).",
    ),
    "wrong_goods": (
        "Замість замовленого «{product}» привезли іншу марку. Просимо заміну до кінця тижня.",
        "Пересорт у поставці {doc}: {n} од. «{product}» не того розміру.",
    ),
    "quality_defect": (
        "Партія «{product}» не відповідає сертифікату якості: брак у {n} од.",
        "«{product}» з поставки {doc} кришиться, на об'єкті зупинили роботи.",
    ),
    "late_delivery": (
        "Поставку {doc} отримали із запізненням на {days} дні, бригада простоювала.",
        "Порушено погоджений графік поставки {doc}: запізнення {days} дні.",
    ),
    "documents_error": (
        "У видатковій накладній {doc} помилка в реквізитах покупця, просимо виправити.",
        "Податкову накладну за поставкою {doc} не зареєстровано вчасно, бухгалтерія клієнта "
        "не може взяти ПДВ у кредит.",
    ),
    "price_error": (
        "Ціна «{product}» у рахунку не відповідає погодженій у специфікації.",
        "До поставки {doc} не застосували обіцяну знижку на обсяг.",
    ),
    "incomplete_set": (
        "Поставка {doc} некомплектна: бракує кріплень до «{product}».",
    ),
    "packaging": (
        "На «{product}» відсутнє маркування партії, склад клієнта не приймає товар.",
        "Пакування «{product}» пошкоджене ще до відвантаження, {n} од. у зім'ятих коробках.",
    ),
}  # fmt: skip
SATISFIED = (
    "Замінили товар наступною поставкою за наш рахунок.",
    "Довезли недостачу та компенсували доставку.",
    "Надали знижку на суму претензії в наступному рахунку.",
    "Виправили документи, податкову накладну перереєстровано.",
    "Оформили коригування рахунку, різницю повернено.",
    "Повернули кошти за бракований товар.",
)
REJECTED = (
    "Пошкодження виникло після приймання: акт підписано без зауважень.",
    "Недостачу не підтверджено під час спільного перерахунку.",
    "Запізнення сталося з вини клієнта: майданчик не був готовий до розвантаження.",
    "Якість відповідає сертифікату, лабораторія виробника дефекту не виявила.",
    "Ціна відповідає чинній специфікації, знижку на цей обсяг не погоджували.",
)
TASKS = (
    "Перевірити залишки та зробити фото на складі",
    "Отримати висновок перевізника",
    "Запросити висновок виробника щодо якості",
    "Підготувати коригувальні документи",
    "Погодити заміну з постачальником",
)
NOTES = (
    "Клієнт просить відповідь до кінця тижня.",
    "Перевізник визнає пошкодження частково.",
    "Директор клієнта телефонував особисто, важливий клієнт.",
)
CALL_RESULTS = (
    "Клієнт погодився на заміну",
    "Пояснили позицію компанії, клієнт незадоволений",
    "Домовились про спільний огляд товару",
)


@dataclass
class _Staff:
    managers: list[int]
    heads: dict[int | None, list[int]]  # team -> heads
    team_of: dict[int, int | None]


async def _staff() -> _Staff:
    rows = await Employee.filter(active=True).order_by("id").values("id", "role", "team_id")
    heads: dict[int | None, list[int]] = {}
    for r in rows:
        if r["role"] == Role.HEAD:
            heads.setdefault(r["team_id"], []).append(r["id"])
    return _Staff(
        managers=[r["id"] for r in rows if r["role"] == Role.MANAGER],
        heads=heads,
        team_of={r["id"]: r["team_id"] for r in rows},
    )


def _work_moment(rng: random.Random, moment: dt.datetime, hours: float) -> dt.datetime:
    """`hours` later, moved into working hours (Kyiv 09:00-17:00 is 07:00-15:00 UTC or so)."""
    later = moment + dt.timedelta(hours=hours)
    if 7 <= later.hour < 15:
        return later.replace(second=0, microsecond=0)
    shifted = later.replace(hour=rng.randint(7, 14), minute=rng.choice((0, 10, 20, 30, 40, 50)),
                            second=0, microsecond=0)  # fmt: skip
    return shifted if shifted > moment else shifted + dt.timedelta(days=1)


async def _product(shipment_id: int) -> tuple[str, int]:
    line = await ShipmentLine.filter(shipment_id=shipment_id).order_by("id").first().values(
        "quantity_milli", name="product__name"
    )
    if line is None:
        return "товар", 1
    return line["name"], max(1, line["quantity_milli"] // 1000)


async def seed_demo_claims(
    seeder_report: Any,
    rng: random.Random,
    *,
    now: dt.datetime | None = None,
    count: int = 26,
) -> int:
    """Register and work up to `count` claims against shipments of won deals; returns how many
    (also added to `seeder_report.claims`)."""
    now = now or clock.now()
    await claims.ensure_default_causes()
    causes = {c.code: c for c in await claims.list_claim_causes()}
    staff = await _staff()
    shipments = await (
        Shipment.filter(deal__status=DealStatus.WON, status=DocStatus.POSTED)
        .order_by("date", "id")
        .values("id", "number", "date", "partner_id", "amount_minor", order_number="order__number",
                owner_id="deal__owner_id", manager_id="partner__main_manager_id")
    )  # fmt: skip
    if not shipments or not staff.managers:
        return 0
    picked = sorted(rng.sample(range(len(shipments)), min(count, len(shipments))))
    codes = [code for code in CAUSES if code in causes]
    weights = [CAUSES[code][0] for code in codes]
    plans = []
    for index in picked:
        s = shipments[index]
        shipped = dt.datetime.combine(s["date"], dt.time(8), tzinfo=dt.UTC)
        registered = _work_moment(rng, shipped, rng.uniform(20, 240))
        if registered >= now - dt.timedelta(hours=2):
            registered = now - dt.timedelta(hours=rng.uniform(2, 30))
        plans.append((registered, s, rng.choices(codes, weights)[0]))
    plans.sort(key=lambda p: (p[0], p[1]["id"]))
    # The latest claims stay open; of the older ones, a few are stuck past their due date.
    recent = {i for i, (at, _, _) in enumerate(plans) if now - at < dt.timedelta(days=2)}
    older = [i for i in range(len(plans)) if i not in recent]
    stuck = set(older[-3:]) if len(older) > 6 else set()
    reopen = set(rng.sample(older[: max(0, len(older) - 3)], min(2, max(0, len(older) - 3))))
    made = 0
    for i, (registered, shipment, code) in enumerate(plans):
        await _one_claim(rng, staff, causes[code], code, shipment, registered, now,
                         open_stage=None if i not in recent | stuck else rng.choice((0, 1)),
                         reopen=i in reopen)  # fmt: skip
        made += 1
    seeder_report.claims = getattr(seeder_report, "claims", 0) + made
    return made


async def _one_claim(
    rng: random.Random,
    staff: _Staff,
    cause: claims.ClaimCauseRow,
    code: str,
    shipment: dict,
    registered: dt.datetime,
    now: dt.datetime,
    *,
    open_stage: int | None,
    reopen: bool,
) -> None:
    owner = shipment["owner_id"] or rng.choice(staff.managers)
    team = staff.team_of.get(owner)
    heads = staff.heads.get(team) or [h for hs in staff.heads.values() for h in hs] or [owner]
    responsible = owner if rng.random() < 0.7 else rng.choice(heads)
    author = shipment["manager_id"] or owner
    product, quantity = await _product(shipment["id"])
    low, high = CAUSES[code][1]
    claimed = int(shipment["amount_minor"] * rng.uniform(low, high)) // 100_00 * 100_00
    description = rng.choice(DESCRIPTIONS[code]).format(
        product=product, n=max(1, quantity // rng.randint(5, 20)), doc=shipment["number"],
        days=rng.randint(2, 6),
    )  # fmt: skip
    with clock.simulated(registered):
        claim = await claims.register_claim(
            partner_id=shipment["partner_id"], cause_id=cause.id, description=description,
            claimed_minor=claimed, shipment_id=shipment["id"], responsible_id=responsible,
            author_id=author,
        )  # fmt: skip
    if open_stage == 0:
        return
    moment = _work_moment(rng, registered, rng.uniform(0.5, 5))
    if moment >= now:
        return
    with clock.simulated(moment):
        await claims.take_into_work(claim.id, actor_id=responsible)
        if rng.random() < 0.3:
            await claims.add_claim_note(claim.id, rng.choice(NOTES), actor_id=responsible)
    colleagues = [m for m in staff.managers if staff.team_of.get(m) == team and m != responsible]
    if colleagues and rng.random() < 0.4:
        moment = await _work_plan(rng, claim.id, responsible, rng.choice(colleagues), moment, now)
        if moment is None:
            return
    call = _work_moment(rng, moment, rng.uniform(1, 20))
    if call < now:
        with clock.simulated(call):
            await claims.log_claim_interaction(
                claim.id, actor_id=responsible, kind="call", direction="outgoing",
                starts_at=call, subject=f"Претензія {claim.number}",
                result=rng.choice(CALL_RESULTS),
            )  # fmt: skip
        moment = call
    if open_stage is not None:
        return  # still being worked (and maybe past its due date)
    closing = max(moment, registered + dt.timedelta(
        hours=cause.response_hours * rng.uniform(0.15, 1.1)))  # fmt: skip
    closing = _work_moment(rng, closing, 0)
    if closing >= now:
        return
    await _close(rng, claim.id, code, claimed, responsible, owner, closing)
    if reopen:
        again = _work_moment(rng, closing, rng.uniform(24, 96))
        if again >= now:
            return
        with clock.simulated(again):
            await claims.reopen_claim(
                claim.id, reason="Клієнт не погодився з рішенням і надіслав нові фото",
                actor_id=responsible)  # fmt: skip
        final = _work_moment(rng, again, rng.uniform(4, 40))
        if final < now:
            await _close(rng, claim.id, code, claimed, responsible, owner, final)


async def _work_plan(
    rng: random.Random, claim_id: int, responsible: int, colleague: int,
    moment: dt.datetime, now: dt.datetime,
) -> dt.datetime | None:  # fmt: skip
    """An assignment for a colleague, done and accepted by the responsible (sometimes after a
    rework); returns when it was over, or None if that is still ahead."""
    from services import tasks

    with clock.simulated(moment):
        [task] = await claims.plan_claim_tasks(claim_id, [claims.ClaimTaskPlan(
            rng.choice(TASKS), colleague, moment + dt.timedelta(hours=rng.choice((8, 24, 48))),
        )], actor_id=responsible)  # fmt: skip
    step_id, rework = task.id, rng.random() < 0.25
    while True:
        moment = _work_moment(rng, moment, rng.uniform(2, 20))
        if moment >= now:
            return None
        with clock.simulated(moment):
            await tasks.complete_task(step_id, "Зроблено, результат у коментарі",
                                      actor_id=colleague)
            steps = await tasks.list_assignment_steps(step_id)
            check = next((t for t in reversed(steps) if t.status == TaskStatus.OPEN), None)
            if check is None:
                return moment
            if rework:
                rework = False
                again = await tasks.return_for_rework(check.id, "Додай фото з маркуванням",
                                                      actor_id=responsible)
                step_id = again.id
                continue
            await tasks.accept_assignment(check.id, actor_id=responsible)
            return moment


async def _close(
    rng: random.Random, claim_id: int, code: str, claimed: int, responsible: int, owner: int,
    moment: dt.datetime,
) -> None:  # fmt: skip
    satisfied = rng.random() < 0.65
    with clock.simulated(moment):
        if satisfied:
            department = rng.choice(CAUSES[code][2])
            guilty = owner if department == "Відділ продажів" and rng.random() < 0.8 else None
            await claims.close_claim(
                claim_id, satisfied=True, resolution=rng.choice(SATISFIED), actor_id=responsible,
                settled_minor=claimed if rng.random() < 0.6 else claimed // 2,
                guilty_department=department if rng.random() < 0.9 else "",
                guilty_employee_id=guilty,
            )  # fmt: skip
        else:
            await claims.close_claim(claim_id, satisfied=False, resolution=rng.choice(REJECTED),
                                     actor_id=responsible)
