"""How fast `crm import` writes partners and counterparties, against a raw bulk insert.

Generates N partners (phones, e-mails, segments, every tenth one in a group) and N counterparties
with valid ЄДРПОУ codes, imports them into a fresh temporary SQLite database, imports the same
partners file again (nothing changes), exports it and reads the export back; then inserts the
same rows with `bulk_create` into another fresh database as the baseline measured in this run.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--db-url postgres://...]

With --db-url each run creates and drops its own databases next to the one named in the URL.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import close_orm, init_orm, migrate, normalise_url  # noqa: E402
from services.exchange_files import write_csv  # noqa: E402
from services.validation import edrpou_check_digit  # noqa: E402

SEGMENTS = ("Опт", "Роздріб", "VIP", "Дилери", "HoReCa")


def edrpou(rng: random.Random, used: set[str]) -> str:
    while True:
        first = f"{rng.randrange(10_000_000):07d}"
        if first[0] in "06789":  # also valid, but keep the generator simple: 1..5 only
            continue
        code = first + str(edrpou_check_digit(first))
        if code not in used:
            used.add(code)
            return code


def generate(rows: int, seed: int = 7) -> tuple[bytes, bytes, list[dict[str, Any]]]:
    """(partners CSV, counterparties CSV, the same data as dicts for the baseline)."""
    rng = random.Random(seed)
    used: set[str] = set()
    data: list[dict[str, Any]] = []
    for n in range(1, rows + 1):
        group = n % 10 == 1
        data.append(
            {
                "ref": f"P{n:06d}",
                "name": f"ТОВ «Партнер {n:06d}»" if not group else f"Група {n:06d}",
                "group": group,
                "parent": None if group else f"P{(n - 1) // 10 * 10 + 1:06d}",
                "phone": f"+38067{n:07d}",
                "email": f"office{n}@partner{n}.com.ua",
                "segment": SEGMENTS[n % len(SEGMENTS)],
                "edrpou": edrpou(rng, used),
            }
        )
    partners = write_csv(
        [
            "Код",
            "Найменування",
            "Ролі",
            "Тип",
            "Код групи",
            "Телефони",
            "Електронна пошта",
            "Сегменти",
            "Коментар",
        ],
        [
            [
                d["ref"],
                d["name"],
                "клієнт",
                "група" if d["group"] else "",
                d["parent"] or "",
                d["phone"],
                d["email"],
                d["segment"],
                "з бенчмарку",
            ]
            for d in data
        ],
    )
    counterparties = write_csv(
        ["Код", "Код партнера", "Вид", "Найменування", "ЄДРПОУ", "Юридична адреса"],
        [
            [f"K{d['ref']}", d["ref"], "юридична особа", d["name"], d["edrpou"], "м. Київ"]
            for d in data
        ],
    )
    return partners, counterparties, data


async def baseline(data: list[dict[str, Any]]) -> None:
    """The same partners (phone, e-mail, segment, group) and counterparties, bulk-inserted in
    one transaction: what the database itself costs, without validation or services."""
    from tortoise import connections
    from tortoise.transactions import in_transaction

    from models import ContactInfo, Counterparty, Partner, Segment
    from models.base import ContactKind
    from services.text import search_key

    def partner(d: dict[str, Any], parent_id: int | None = None) -> Partner:
        return Partner(
            external_id=d["ref"],
            name=d["name"],
            search_key=search_key(d["name"]),
            is_client=True,
            is_group=d["group"],
            parent_id=parent_id,
            comment="з бенчмарку",
        )

    async with in_transaction():
        segments = {name: await Segment.create(name=name) for name in SEGMENTS}
        await Partner.bulk_create([partner(d) for d in data if d["group"]], batch_size=1000)
        ids = dict(await Partner.all().values_list("external_id", "id"))
        await Partner.bulk_create(
            [partner(d, ids[d["parent"]]) for d in data if not d["group"]], batch_size=1000
        )
        ids = dict(await Partner.all().values_list("external_id", "id"))
        await ContactInfo.bulk_create(
            [
                ContactInfo(
                    partner_id=ids[d["ref"]],
                    kind=kind,
                    value=value,
                    normalized=value.lower(),
                    is_primary=True,
                )
                for d in data
                for kind, value in (
                    (ContactKind.PHONE, d["phone"]),
                    (ContactKind.EMAIL, d["email"]),
                )
            ],
            batch_size=1000,
        )
        conn = connections.get("default")
        marks = "?, ?" if conn.capabilities.dialect == "sqlite" else "$1, $2"
        await conn.execute_many(
            f"INSERT INTO partner_segment (partner_id, segment_id) VALUES ({marks})",
            [[ids[d["ref"]], segments[d["segment"]].id] for d in data],
        )
        await Counterparty.bulk_create(
            [
                Counterparty(
                    external_id=f"K{d['ref']}",
                    partner_id=ids[d["ref"]],
                    name=d["name"],
                    search_key=search_key(d["name"]),
                    edrpou=d["edrpou"],
                    legal_address="м. Київ",
                )
                for d in data
            ],
            batch_size=1000,
        )


async def timed(label: str, rows: int, work: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    result = await work()
    seconds = time.perf_counter() - start
    extra = ""
    if result is not None and hasattr(result, "created"):
        extra = (
            f"  created {result.created}, updated {result.updated}, unchanged {result.unchanged}"
        )
    print(f"{label:<42} {seconds:8.2f} s  {rows / seconds:9.0f} rows/s{extra}")
    return seconds


class Database:
    """A fresh database (a SQLite file in a temp dir, or a new PostgreSQL database)."""

    def __init__(self, base_url: str | None, folder: Path, name: str) -> None:
        self.pg = base_url is not None
        if base_url:
            self.url = f"{normalise_url(base_url).rsplit('/', 1)[0]}/bench_{uuid.uuid4().hex[:10]}"
        else:
            self.url = f"sqlite://{folder / (name + '.sqlite3')}"

    async def __aenter__(self) -> Database:
        if self.pg:
            await self._admin(f'CREATE DATABASE "{self.url.rsplit("/", 1)[1]}"')
        await migrate(db_url=self.url)
        await close_orm()
        await init_orm(db_url=self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await close_orm()
        if self.pg:
            await self._admin(
                f'DROP DATABASE IF EXISTS "{self.url.rsplit("/", 1)[1]}" WITH (FORCE)'
            )

    async def _admin(self, sql: str) -> None:
        import asyncpg

        base = self.url.rsplit("/", 1)[0].replace("asyncpg://", "postgresql://")
        conn = await asyncpg.connect(base + "/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


async def main(rows: int, db_url: str | None) -> None:
    from services.exchange import export_master_data, import_master_data

    partners_csv, counterparties_csv, data = generate(rows)
    print(f"{rows} partners and {rows} counterparties, {'PostgreSQL' if db_url else 'SQLite'}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with Database(db_url, folder, "import"):
            first = await timed(
                "import partners (all new)",
                rows,
                lambda: import_master_data("partners", partners_csv),
            )
            await timed(
                "import partners again (all unchanged)",
                rows,
                lambda: import_master_data("partners", partners_csv),
            )
            second = await timed(
                "import counterparties (all new)",
                rows,
                lambda: import_master_data("counterparties", counterparties_csv),
            )
            exported: list[bytes] = []

            async def export() -> None:
                exported.append((await export_master_data("partners", "csv")).data)

            await timed("export partners (csv)", rows, export)
            await timed(
                "import the export back (all unchanged)",
                rows,
                lambda: import_master_data("partners", exported[0]),
            )
        async with Database(db_url, folder, "baseline"):
            base = await timed(
                "baseline: bulk_create the same rows", 2 * rows, lambda: baseline(data)
            )
    total = first + second
    print(
        f"import of partners + counterparties: {total:.2f} s for {2 * rows} rows, "
        f"{total / base:.1f}x the raw bulk insert ({base:.2f} s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--db-url", default=None, help="postgres://... to bench PostgreSQL")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.db_url))
