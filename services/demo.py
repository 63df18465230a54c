"""`crm demo seed`: a realistic, deterministic Ukrainian trading company.

Everything is created through the services, so the demo obeys the same rules as real work:
deals replay their history on a simulated clock (`core.clock.simulated`) and end up with
consistent stage logs, tasks, interactions, orders, invoices, shipments and payments. The same
seed always gives the same company. Later features extend `seed_demo` through their services.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from core import clock
from core.errors import DomainError
from models import ContactPerson, Counterparty, Deal, Partner, Stage
from models.base import DealStatus, Role
from services import agreements, deals, employees, interactions, partners, pipeline, sales, tasks
from services.validation import edrpou_check_digit, iban_mod97, rnokpp_check_digit

DEMO_PREFIX = "demo-"
Progress = Callable[[str, int, int], None]


class DemoAlreadySeeded(DomainError):
    code = "demo_exists"


@dataclass
class DemoReport:
    employees: int = 0
    partners: int = 0
    counterparties: int = 0
    contacts: int = 0
    deals: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0
    interactions: int = 0
    orders: int = 0
    claims: int = 0
    extra: dict[str, int] = field(default_factory=dict)


# --- the company's people and market ------------------------------------------------------------

TEAMS = ("Київ — оптові продажі", "Львів — регіональні продажі")
STAFF = (
    ("Олександр Петренко", Role.ADMIN, None, "o.petrenko"),
    ("Ірина Коваленко", Role.HEAD, 0, "i.kovalenko"),
    ("Андрій Шевчук", Role.HEAD, 1, "a.shevchuk"),
    ("Марина Бондаренко", Role.MANAGER, 0, "m.bondarenko"),
    ("Дмитро Ткаченко", Role.MANAGER, 0, "d.tkachenko"),
    ("Оксана Кравченко", Role.MANAGER, 0, "o.kravchenko"),
    ("Сергій Олійник", Role.MANAGER, 0, "s.oliinyk"),
    ("Наталія Мельник", Role.MANAGER, 1, "n.melnyk"),
    ("Віталій Савченко", Role.MANAGER, 1, "v.savchenko"),
    ("Юлія Руденко", Role.MANAGER, 1, "y.rudenko"),
)
SEGMENTS = ("Будівельні компанії", "Роздрібні мережі", "Дилери та дистриб'ютори", "Держзамовники")
CITIES = (
    "Київ", "Львів", "Харків", "Одеса", "Дніпро", "Вінниця", "Полтава", "Житомир",
    "Чернівці", "Івано-Франківськ", "Тернопіль", "Рівне", "Луцьк", "Ужгород", "Черкаси",
)  # fmt: skip
NAME_ROOTS = (
    "Будмайстер", "Оселя", "Граніт", "Дніпробуд", "Карпати", "Поділля", "Світанок", "Явір",
    "Буковина", "Зоря", "Покрова", "Таврія", "Слобожанщина", "Галичина", "Волинь", "Кам'яр",
    "Лісовик", "Промінь", "Стожари", "Берегиня", "Козацький двір", "Вишиванка", "Оберіг",
    "Княжий град", "Полісся", "Січ", "Дубрава", "Легенда", "Ятрань", "Сварог", "Хортиця",
    "Смарагд", "Горизонт", "Еталон", "Фортеця", "Каштан", "Левада", "Мрія", "Соборна",
    "Теплий дім", "Цегла-Плюс", "Фасад-Майстер", "Дах і Стіни", "Добрий дім", "Гарбуз",
)  # fmt: skip
ACTIVITIES = ("Буд", "Торг", "Постач", "Інвест", "Девелопмент", "Ремсервіс", "Маркет")
GROUPS = (
    ("Група компаній «Київміськбуд-Інвест»", 3),
    ("Холдинг «Західбудтрейд»", 2),
    ("Мережа «Епіцентр-Регіон»", 3),
)
COMPETITORS = (
    "ТОВ «БудМаркет Україна»", "ТОВ «Мегабуд Трейд»", "ПП «Фортуна-Буд»",
    "ТОВ «Альфа Будпостач»", "ТОВ «Нова Лінія Опт»",
)  # fmt: skip
SUPPLIERS = (
    "ПрАТ «Івано-Франківськцемент»", "ТОВ «Кнауф Гіпс Київ»", "ТОВ «Ковальська Бетон»",
    "ТОВ «Сен-Гобен Будівельна Продукція Україна»",
)  # fmt: skip
FIRST_NAMES = (
    ("Олег", "m"), ("Тарас", "m"), ("Богдан", "m"), ("Василь", "m"), ("Микола", "m"),
    ("Роман", "m"), ("Ігор", "m"), ("Павло", "m"), ("Галина", "f"), ("Світлана", "f"),
    ("Людмила", "f"), ("Тетяна", "f"), ("Олена", "f"), ("Христина", "f"), ("Софія", "f"),
)  # fmt: skip
LAST_NAMES = (
    ("Гончаренко", "Гончаренко"), ("Левченко", "Левченко"), ("Мороз", "Мороз"),
    ("Лисенко", "Лисенко"), ("Марченко", "Марченко"), ("Поліщук", "Поліщук"),
    ("Захарчук", "Захарчук"), ("Дорошенко", "Дорошенко"), ("Сидоренко", "Сидоренко"),
    ("Кузьмич", "Кузьмич"), ("Гаврилюк", "Гаврилюк"), ("Остапчук", "Остапчук"),
    ("Білий", "Біла"), ("Чорний", "Чорна"), ("Зелений", "Зелена"),
)  # fmt: skip
POSITIONS = (
    ("Директор", ["decision_maker"]), ("Комерційний директор", ["decision_maker"]),
    ("Головний інженер", ["influencer"]), ("Менеджер із закупівель", ["buyer"]),
    ("Бухгалтер", ["accountant"]), ("Виконроб", ["user"]), ("Власник", ["decision_maker"]),
)  # fmt: skip
PRODUCTS = (
    ("CEM-500", "Цемент ПЦ II/Б-Ш-500, 25 кг", "Сухі суміші", 21500, 16800),
    ("CEM-400", "Цемент ПЦ II/А-Ш-400, 25 кг", "Сухі суміші", 18900, 14700),
    ("GKP-125", "Гіпсокартон стіновий 12,5 мм, 1,2×2,5 м", "Гіпсокартон", 24700, 19100),
    ("GKV-125", "Гіпсокартон вологостійкий 12,5 мм", "Гіпсокартон", 31200, 24300),
    ("PRF-CD60", "Профіль CD-60, 3 м", "Профілі", 8900, 6400),
    ("PRF-UD27", "Профіль UD-27, 3 м", "Профілі", 6300, 4500),
    ("BRK-M150", "Цегла рядова М-150", "Цегла", 890, 640),
    ("BRK-FAC", "Цегла лицьова червона", "Цегла", 1890, 1350),
    ("GAS-D500", "Газоблок D500 600×300×200", "Газобетон", 6700, 5100),
    ("INS-MW50", "Мінвата 50 мм, пачка 6 м²", "Утеплювачі", 42000, 33500),
    ("INS-EPS", "Пінопласт ПСБ-С-25, 50 мм", "Утеплювачі", 9800, 7200),
    ("MIX-GLUE", "Клей для плитки, 25 кг", "Сухі суміші", 26500, 19800),
    ("MIX-PLST", "Штукатурка гіпсова, 30 кг", "Сухі суміші", 33900, 25500),
    ("ROOF-MT", "Металочерепиця 0,45 мм, м²", "Покрівля", 32500, 25800),
    ("ROOF-MEM", "Гідроізоляційна мембрана, рулон 75 м²", "Покрівля", 189000, 148000),
    ("REB-12", "Арматура А500С Ø12, м", "Метал", 4200, 3400),
    ("PNT-FAC", "Фарба фасадна, 10 л", "Фарби", 165000, 118000),
    ("TIL-GR", "Керамограніт 60×60, м²", "Плитка", 54900, 41200),
)  # fmt: skip
LINK_KINDS = (
    ("входить до групи", "включає"),
    ("закуповує через", "постачає для"),
    ("рекомендував", "прийшов за рекомендацією"),
    ("конкурує з", "конкурує з"),
)
CONTACT_LINK_KINDS = (("впливає на рішення", "під впливом"), ("підпорядковується", "керує"))
CALL_SUBJECTS = (
    "Уточнення потреби на сезон", "Обговорення знижки на обсяг", "Погодження графіка поставок",
    "Презентація нової лінійки утеплювачів", "Нагадування про оплату рахунку",
    "Рекламація щодо пошкодженої упаковки", "Запит комерційної пропозиції",
)  # fmt: skip
CALL_RESULTS = (
    "Клієнт зацікавлений, чекає пропозицію", "Домовились про зустріч на об'єкті",
    "Потрібно погодити з власником", "Погодили ціну, готують замовлення",
    "Попросили передзвонити наступного тижня",
)  # fmt: skip
DEAL_TITLES = (
    "Поставка матеріалів на ЖК «{}»", "Комплектація складу «{}»", "Сезонне замовлення «{}»",
    "Покрівля для об'єкта «{}»", "Утеплення фасаду «{}»", "Оздоблення ТРЦ «{}»",
)  # fmt: skip
OBJECTS = ("Сонячний", "Липки", "Затишний", "Нивки", "Озерний", "Панорама", "Набережний")

_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
        "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
        "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
        "я": "ia", "'": "", " ": "-", "«": "", "»": "",
    }
)  # fmt: skip


def translit(text: str) -> str:
    return "".join(ch for ch in text.lower().translate(_TRANSLIT) if ch.isalnum() or ch == "-")


def make_edrpou(rng: random.Random) -> str:
    first = f"{rng.randint(3_000_000, 4_499_999):07d}"
    return first + str(edrpou_check_digit(first))


def make_rnokpp(rng: random.Random) -> str:
    first = f"{rng.randint(200_000_000, 399_999_999):09d}"
    return first + str(rnokpp_check_digit(first))


def make_iban(rng: random.Random) -> str:
    body = (
        f"{rng.choice(('305299', '300465', '322001', '380805'))}{rng.randint(0, 10**19 - 1):019d}"
    )
    check = 98 - iban_mod97(f"UA00{body}")
    return f"UA{check:02d}{body}"


def make_phone(rng: random.Random) -> str:
    operator = rng.choice((50, 63, 66, 67, 68, 73, 93, 95, 96, 97, 98, 99))
    return f"+380{operator}{rng.randint(0, 9_999_999):07d}"


# --- the seeder --------------------------------------------------------------------------------


class _Seeder:
    def __init__(self, seed: int, deal_count: int, progress: Progress | None) -> None:
        self.rng = random.Random(seed)
        self.deal_count = deal_count
        self.progress = progress or (lambda _step, _done, _total: None)
        self.report = DemoReport()
        self.now = clock.now()
        self.staff: list[tuple[int, Role, int | None]] = []
        self.managers: list[int] = []
        self.clients: list[Partner] = []
        self.competitors: list[Partner] = []
        self.products: list[int] = []
        self.agreements: dict[int, int] = {}
        self.reasons: dict[str, int] = {}

    async def run(self) -> DemoReport:
        if await Partner.filter(external_id__startswith=DEMO_PREFIX).exists():
            raise DemoAlreadySeeded()
        start = self.now - dt.timedelta(days=400)
        with clock.simulated(start):
            await pipeline.load_default_pipelines()
            self.reasons = {r.code: r.id for r in await deals.ensure_default_loss_reasons()}
            await self._staff()
            await self._catalogue()
            await self._partners()
        await self._deals()
        await self._classify()
        from services.claims_demo import seed_demo_claims

        await seed_demo_claims(self.report, self.rng, now=self.now)
        return self.report

    async def _classify(self) -> None:
        """ABC/XYZ classifications at the last four month-ends, as the monthly job would."""
        from services.classification import classify_clients

        month_start = clock.today().replace(day=1)
        ends = []
        for _ in range(4):
            month_end = month_start - dt.timedelta(days=1)
            ends.append(month_end)
            month_start = month_end.replace(day=1)
        for month_end in reversed(ends):
            moment = dt.datetime.combine(
                month_end + dt.timedelta(days=1), dt.time(3, 0), tzinfo=dt.UTC
            )
            with clock.simulated(moment):
                await classify_clients(period_to=month_end)
            self.report.extra["classifications"] = self.report.extra.get("classifications", 0) + 1

    async def _staff(self) -> None:
        teams = [await employees.create_team(name) for name in TEAMS]
        for index, (name, role, team, login) in enumerate(STAFF):
            employee = await employees.create_employee(
                full_name=name,
                role=role,
                team_id=teams[team].id if team is not None else None,
                email=f"{login}@budtorg.ua",
                telegram_username=f"budtorg_{login.replace('.', '_')}",
            )
            self.staff.append((employee.id, role, team))
            if role == Role.MANAGER:
                self.managers.append(employee.id)
            self.report.employees = index + 1

    async def _catalogue(self) -> None:
        for segment in SEGMENTS:
            await partners.create_segment(segment)
        for sku, name, group, price, cost in PRODUCTS:
            product = await sales.create_product(
                sku=sku, name=name, group=group, price_minor=price, cost_minor=cost
            )
            self.products.append(product.id)
        self.link_kinds = [await partners.create_link_kind(*pair) for pair in LINK_KINDS]
        self.contact_link_kinds = [
            await partners.create_link_kind(*pair) for pair in CONTACT_LINK_KINDS
        ]

    def _ext(self, kind: str) -> str:
        counter = self.report.extra.get(kind, 0) + 1
        self.report.extra[kind] = counter
        return f"{DEMO_PREFIX}{kind}-{counter:04d}"

    async def _company(
        self,
        name: str,
        *,
        client: bool = True,
        competitor: bool = False,
        supplier: bool = False,
        parent_id: int | None = None,
        is_group: bool = False,
        manager_id: int | None = None,
        contacts: int = 2,
    ) -> Partner:
        rng = self.rng
        domain = f"{translit(name.split('«')[-1].rstrip('»'))[:24].strip('-')}.com.ua"
        city = rng.choice(CITIES)
        partner = await partners.create_partner(
            name=name,
            is_client=client,
            is_competitor=competitor,
            is_supplier=supplier,
            parent_id=parent_id,
            is_group=is_group,
            is_division=parent_id is not None and not is_group,
            main_manager_id=manager_id,
            segments=[rng.choice(SEGMENTS)] if client else [],
            phones=[make_phone(rng)],
            emails=[f"office@{domain}"],
            website=f"https://{domain}",
            address=f"м. {city}, вул. {rng.choice(OBJECTS)}на, {rng.randint(1, 120)}",
            external_id=self._ext("p"),
            contact_cadence_days=rng.choice((14, 30, 30, 60)) if client else None,
            confirm_duplicates=True,
        )
        self.report.partners += 1
        if is_group:
            return partner
        entrepreneur = client and rng.random() < 0.15
        if entrepreneur:
            person = f"{rng.choice(LAST_NAMES)[0]} {rng.choice(FIRST_NAMES)[0]}"
            await partners.create_counterparty(
                partner_id=partner.id,
                name=f"ФОП {person}",
                full_name=f"Фізична особа-підприємець {person}",
                legal_form="entrepreneur",
                rnokpp=make_rnokpp(rng),
                iban=make_iban(rng),
                legal_address=f"м. {city}",
                external_id=self._ext("c"),
                confirm_duplicates=True,
            )
        else:
            short = name if "«" in name else f"ТОВ «{name}»"
            await partners.create_counterparty(
                partner_id=partner.id,
                name=short,
                full_name=short.replace("ТОВ", "Товариство з обмеженою відповідальністю", 1),
                legal_form="legal_entity",
                edrpou=make_edrpou(rng),
                iban=make_iban(rng),
                bank_name=rng.choice(
                    ("АТ КБ «ПриватБанк»", "АТ «Ощадбанк»", "АТ «Райффайзен Банк»")
                ),
                legal_address=f"м. {city}, вул. Промислова, {rng.randint(1, 60)}",
                external_id=self._ext("c"),
                confirm_duplicates=True,
            )
        self.report.counterparties += 1
        made: list[int] = []
        for _ in range(contacts):
            first, gender = rng.choice(FIRST_NAMES)
            last = rng.choice(LAST_NAMES)[0 if gender == "m" else 1]
            position, roles = rng.choice(POSITIONS)
            login = translit(first)[:1] + "." + translit(last)
            contact = await partners.create_contact(
                partner_id=partner.id,
                full_name=f"{last} {first}",
                position=position,
                phones=[make_phone(rng)],
                emails=[f"{login}@{domain}"],
                birthday=dt.date(rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28)),
                roles=roles,
                external_id=self._ext("k"),
            )
            made.append(contact.id)
            self.report.contacts += 1
        if len(made) >= 2:
            await partners.link_contacts(made[1], made[0], self.contact_link_kinds[0].id)
        return partner

    async def _partners(self) -> None:
        rng = self.rng
        for name, members in GROUPS:
            manager = rng.choice(self.managers)
            group = await self._company(name, is_group=True, manager_id=manager)
            for index in range(members):
                member = await self._company(
                    f"ТОВ «{name.split('«')[1].rstrip('»')}-{CITIES[index]}»",
                    parent_id=group.id,
                    manager_id=manager,
                )
                await partners.link_partners(member.id, group.id, self.link_kinds[0].id)
                self.clients.append(member)
        roots = list(NAME_ROOTS)
        rng.shuffle(roots)
        for root in roots:
            name = f"ТОВ «{root}-{rng.choice(ACTIVITIES)}»" if rng.random() < 0.8 else root
            partner = await self._company(
                name, manager_id=rng.choice(self.managers), contacts=rng.randint(1, 3)
            )
            self.clients.append(partner)
        for name in COMPETITORS:
            self.competitors.append(await self._company(name, client=False, competitor=True))
        for name in SUPPLIERS:
            await self._company(name, client=False, supplier=True, contacts=1)
        for a, b in zip(self.competitors, self.competitors[1:], strict=False):
            await partners.link_partners(a.id, b.id, self.link_kinds[3].id)
        for client in rng.sample(self.clients, 6):
            other = rng.choice(self.clients)
            if other.id != client.id:
                await partners.link_partners(client.id, other.id, self.link_kinds[2].id)

    # --- deals ---------------------------------------------------------------------------------

    async def _deals(self) -> None:
        rng = self.rng
        kinds = {kind.code: kind for kind in await pipeline.list_kinds()}
        starts = sorted(
            self.now - dt.timedelta(days=rng.uniform(2, 365), hours=rng.uniform(0, 10))
            for _ in range(self.deal_count)
        )
        for index, started in enumerate(starts):
            client = rng.choice(self.clients)
            kind = kinds["typical_sale" if rng.random() < 0.4 else "simple_deal"]
            await self._one_deal(client, kind.id, kind.control_type.value == "guided", started)
            self.progress("deals", index + 1, self.deal_count)

    def _at_work(self, moment: dt.datetime, days: float) -> dt.datetime:
        """`days` later, moved into working hours (Kyiv is UTC+2/+3: 07:00–15:00 UTC)."""
        later = moment + dt.timedelta(days=days)
        hour, minute = self.rng.randint(7, 14), self.rng.choice((0, 15, 30, 45))
        working = later.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return working if working > moment else working + dt.timedelta(days=1)

    async def _one_deal(self, client: Partner, kind_id: int, guided: bool, at: dt.datetime) -> None:
        rng = self.rng
        owner = client.main_manager_id or rng.choice(self.managers)
        title = rng.choice(DEAL_TITLES).format(rng.choice(OBJECTS))
        potential = rng.choice((18, 35, 60, 120, 250, 480, 900)) * 1000_00
        with clock.simulated(at):
            deal = await deals.create_deal(
                kind_id=kind_id,
                owner_id=owner,
                title=title,
                partner_id=client.id,
                potential_minor=potential,
                expected_close_on=(at + dt.timedelta(days=rng.randint(20, 60))).date(),
                source=rng.choice(
                    ("Сайт", "Рекомендація", "Виставка «ІнтерБудЕкспо»", "Холодний дзвінок")
                ),
                channel=rng.choice(("Телефон", "Ел. пошта", "Telegram", "Зустріч")),
                actor_id=owner,
            )
        self.report.deals += 1
        # How far it gets: a few deals stall, some are lost on the way, the rest are won.
        fate = rng.random()
        stages = [s for s in await pipeline.stages_in_order(kind_id) if not s.retired]
        stop = len(stages) if fate < 0.5 else rng.randint(1, len(stages) - 1)
        lose = 0.5 <= fate < 0.85
        moment = at
        position = 0  # index of the deal's current stage
        while position < stop:
            stage = stages[position]
            moment = self._at_work(moment, rng.uniform(0.3, stage.planned_days * 1.4 + 0.5))
            if moment >= self.now:
                await self._plan_next(deal.id, owner, self.now)
                self.report.open += 1
                return
            with clock.simulated(moment):
                await self._touch(deal.id, owner, client.id, moment)
                if guided:
                    if await self._work_guided_stage(deal.id, stage, client, owner):
                        break
                    position += 1
                else:
                    position = await self._move_manual(deal.id, stages, position, stop, owner)
        moment = self._at_work(moment, rng.uniform(0.2, 2))
        if moment >= self.now:
            await self._plan_next(deal.id, owner, self.now)
            self.report.open += 1
            return
        with clock.simulated(moment):
            current = await Deal.get(id=deal.id)
            if current.status == DealStatus.WON:
                self.report.won += 1
            elif lose:
                await self._lose(deal.id, owner)
                self.report.lost += 1
            elif stop == len(stages) and not guided:
                await self._fulfil(deal.id, client, owner)
                await deals.mark_won(deal.id, actor_id=owner)
                self.report.won += 1
            else:
                await self._plan_next(deal.id, owner, moment)
                self.report.open += 1

    async def _touch(self, deal_id: int, owner: int, partner_id: int, moment: dt.datetime) -> None:
        rng = self.rng
        contacts = await ContactPerson.filter(partner_id=partner_id).values_list("id", flat=True)
        kind = rng.choice(("call", "call", "call", "meeting", "email"))
        await interactions.log_interaction(
            kind=kind,
            owner_id=owner,
            deal_id=deal_id,
            partner_id=partner_id,
            direction=rng.choice(("incoming", "outgoing")) if kind != "meeting" else "none",
            subject=rng.choice(CALL_SUBJECTS),
            starts_at=moment,
            ends_at=moment + dt.timedelta(minutes=rng.choice((5, 10, 15, 45, 90))),
            done=True,
            result=rng.choice(CALL_RESULTS),
            contact_ids=list(contacts[:1]),
        )
        self.report.interactions += 1

    async def _plan_next(self, deal_id: int, owner: int, moment: dt.datetime) -> None:
        """An open deal keeps a planned call or meeting in the next days (the manager's day)."""
        deal = await Deal.get(id=deal_id)
        when = self._at_work(max(moment, self.now), self.rng.uniform(0, 6))
        with clock.simulated(min(moment, self.now)):
            await interactions.log_interaction(
                kind=self.rng.choice(("call", "meeting")),
                owner_id=owner,
                deal_id=deal_id,
                partner_id=deal.partner_id,
                subject=self.rng.choice(CALL_SUBJECTS),
                starts_at=when,
                done=False,
            )
        self.report.interactions += 1

    async def _work_guided_stage(
        self, deal_id: int, stage: Stage, client: Partner, owner: int
    ) -> bool:
        """Satisfy the stage's exit checks as a diligent manager would, then do its tasks."""
        checks = set(stage.exit_checks or [])
        if "agreement_set" in checks:
            agreement = self.agreements.get(client.id)
            if agreement is None:
                made = await agreements.create_agreement(
                    name=f"Типові умови для {client.name}"[:300],
                    partner_id=client.id,
                    payment_days=self.rng.choice((0, 7, 14, 30)),
                    discount_percent=self.rng.choice((0, 2, 3, 5)),
                    manager_id=owner,
                )
                agreement = self.agreements[client.id] = made.id
            await deals.update_deal(deal_id, actor_id=owner, agreement_id=agreement)
        if "checklist_confirmed" in checks:
            await deals.confirm_checklist(deal_id, actor_id=owner)
        if "decision_maker_present" in checks:
            await self._decision_maker(deal_id, client)
        if "counterparty_set" in checks or "order_exists" in checks:
            await self._order(deal_id, client, owner)
        if "invoice_or_shipment_exists" in checks:
            await self._invoice(deal_id)
        if "paid_and_shipped" in checks:
            await self._ship_and_pay(deal_id)
        for task in await tasks.list_deal_tasks(deal_id, open_only=True):
            await tasks.complete_task(
                task.id, self.rng.choice(CALL_RESULTS), actor_id=task.performer_id
            )
        return (await Deal.get(id=deal_id)).status != DealStatus.OPEN

    async def _move_manual(
        self, deal_id: int, stages: list[Stage], position: int, stop: int, owner: int
    ) -> int:
        """Move forward (now and then skipping a stage or stepping back and forth); returns the
        new position, or `stop` when the deal has reached the last stage it will reach."""
        if position + 1 >= stop:
            return stop
        target = position + 1
        if target + 1 < stop and self.rng.random() < 0.1:
            target += 1  # a skipped stage is logged as passed
        await pipeline.move_to_stage(deal_id, stages[target].id, actor_id=owner)
        if target >= 2 and self.rng.random() < 0.05:
            await pipeline.move_to_stage(deal_id, stages[target - 1].id, actor_id=owner)
            await pipeline.move_to_stage(deal_id, stages[target].id, actor_id=owner)
        return target

    async def _decision_maker(self, deal_id: int, client: Partner) -> None:
        from services import environment

        contact = (
            await ContactPerson.filter(partner_id=client.id).order_by("id").first()
        ) or await partners.create_contact(
            partner_id=client.id, full_name="Гончаренко Олег", position="Директор"
        )
        await environment.add_participant(
            deal_id, contact_id=contact.id, role="decision_maker", influence=5, attitude="supporter"
        )
        if self.competitors and self.rng.random() < 0.5:
            await environment.add_participant(
                deal_id,
                partner_id=self.rng.choice(self.competitors).id,
                role="competitor",
                influence=3,
                attitude="opponent",
            )

    async def _order(self, deal_id: int, client: Partner, owner: int) -> None:
        deal = await Deal.get(id=deal_id)
        if deal.counterparty_id is None:
            counterparty = await Counterparty.filter(partner_id=client.id).order_by("id").first()
            if counterparty is not None:
                await deals.update_deal(deal_id, actor_id=owner, counterparty_id=counterparty.id)
                deal.counterparty_id = counterparty.id
        lines = [
            sales.Line(product, self.rng.choice((10, 20, 50, 100, 250)) * 1000)
            for product in self.rng.sample(self.products, self.rng.randint(1, 4))
        ]
        await sales.create_order(
            partner_id=client.id,
            deal_id=deal_id,
            counterparty_id=deal.counterparty_id,
            manager_id=owner,
            lines=lines,
        )
        self.report.orders += 1

    async def _invoice(self, deal_id: int) -> None:
        from models import Order

        for order in await Order.filter(deal_id=deal_id, invoices__id__isnull=True).distinct():
            await sales.create_invoice(order_id=order.id)

    async def _ship_and_pay(self, deal_id: int) -> None:
        from models import Invoice, Order

        for order in await Order.filter(deal_id=deal_id, shipments__id__isnull=True).distinct():
            await sales.create_shipment(order_id=order.id)
        for invoice in await Invoice.filter(deal_id=deal_id, payments__id__isnull=True).distinct():
            await sales.register_payment(invoice_id=invoice.id)

    async def _fulfil(self, deal_id: int, client: Partner, owner: int) -> None:
        await self._order(deal_id, client, owner)
        await self._invoice(deal_id)
        await self._ship_and_pay(deal_id)

    async def _lose(self, deal_id: int, owner: int) -> None:
        code = self.rng.choice(tuple(self.reasons))
        competitor = self.rng.choice(self.competitors).id if code == "lost_to_competitor" else None
        await deals.mark_lost(
            deal_id,
            self.reasons[code],
            actor_id=owner,
            competitor_partner_id=competitor,
            comment=self.rng.choice(("", "Клієнт обрав дешевший варіант", "Проєкт заморожено")),
        )


async def seed_demo(
    seed: int = 1, *, deals_count: int = 300, progress: Progress | None = None
) -> DemoReport:
    """Fill an empty database with the demo company. Refuses a database that already has it."""
    return await _Seeder(seed, deals_count, progress).run()
