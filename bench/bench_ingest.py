"""IMAP ingest throughput and latency against a real Dovecot on loopback.

Both sides read the same messages from the same folder in the same run, in interleaved rounds
(baseline, CRM, baseline, CRM...; medians compared), since the machine is shared and noisy:

* baseline: imaplib2 `UID FETCH` in batches + `email.message_from_bytes(policy=default)`;
* CRM: the mailbox worker's catch-up (fetch, parse in a process pool, match, store the raw
  message and the attachments, advance the progress, all committed per batch) on a fresh
  database (SQLite file by default, `--db-url` for PostgreSQL).

Printed: messages per second of each, the ratio (target: at least 0.5), and the latency from
APPEND to the deal owner's notification (the `Notifier` call the bot turns into a Telegram
message) with the worker idling.

    .venv/bin/python bench/bench_ingest.py [--messages 2000] [--rounds 3] [--db-url postgres://...]
"""

from __future__ import annotations

import argparse
import asyncio
import email
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import imaplib2  # noqa: E402

from tests.ingest.dovecot import DovecotServer, install_dovecot  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "mail"
BATCH = 50


def corpus(count: int, deal_number: str, our_id: str) -> list[bytes]:
    """A realistic mix: the project's fixtures (koi8-u, cp866, windows-1251, HTML, attachments,
    TNEF, auto-replies, a bounce), each with its own Message-ID and sender."""
    templates = []
    for path in sorted(FIXTURES.glob("*.eml")):
        raw = path.read_bytes()
        for key, value in (
            ("DEAL_NUMBER", deal_number),
            ("DEAL_TAG", deal_number.replace("-", "")),
            ("OUR_MESSAGE_ID", our_id),
        ):
            raw = raw.replace(f"@@{key}@@".encode(), value.encode())
        templates.append(raw)
    messages = []
    for i in range(count):
        raw = templates[i % len(templates)]
        raw = re.sub(
            rb"(?im)^Message-ID: <([^>]*)>",
            lambda m, i=i: b"Message-ID: <%d.%s>" % (i, m.group(1)),
            raw,
            count=1,
        )
        raw = re.sub(
            rb"(?im)^(From: .*?)([a-z0-9.]+)@",
            lambda m, i=i: m.group(1) + b"s%d.%s@" % (i % 97, m.group(2)),
            raw,
            count=1,
        )
        messages.append(raw)
    return messages


def append_all(server: DovecotServer, user: str, password: str, messages: list[bytes]) -> None:
    conn = imaplib2.IMAP4("127.0.0.1", server.port)
    conn.login(user, password)
    for raw in messages:
        conn.append("INBOX", None, None, raw)
    conn.logout()


def baseline(server: DovecotServer, user: str, password: str) -> tuple[int, float]:
    """imaplib2 fetch + email parsing of every message, as a bare script would do it."""
    started = time.perf_counter()
    conn = imaplib2.IMAP4("127.0.0.1", server.port)
    conn.login(user, password)
    conn.select("INBOX", readonly=True)
    _, data = conn.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    parsed = 0
    for start in range(0, len(uids), BATCH):
        chunk = b",".join(uids[start : start + BATCH]).decode()
        _, fetched = conn.uid("FETCH", chunk, "(UID BODY.PEEK[])")
        for item in fetched:
            if isinstance(item, tuple):
                message = email.message_from_bytes(item[1], policy=policy.default)
                message["subject"]
                parsed += 1
    conn.logout()
    return parsed, time.perf_counter() - started


async def crm(server, user, password, db_url, files_dir, parse_workers, latency_samples):
    from core.db import close_orm, init_orm, migrate
    from ingest.pipeline import IngestOptions, IngestPipeline
    from ingest.worker import ImapSession, MailboxWorker
    from models import EmailMessage
    from services.mailboxes import add_mailbox, resolve_password

    os.environ["BENCH_IMAP_PASSWORD"] = password
    await migrate(db_url=db_url)
    await init_orm(db_url=db_url)
    try:
        deal = await _world()
        box = await add_mailbox(
            "bench",
            host="127.0.0.1",
            port=server.port,
            security="plain",
            username=user,
            password_env="BENCH_IMAP_PASSWORD",
        )
        options = IngestOptions(files_dir=files_dir, parse_workers=parse_workers, batch_size=BATCH)
        pipeline = IngestPipeline(options, None)
        pipeline.start()
        await pipeline.parse([b"Subject: warm-up\r\n\r\nx"] * max(1, parse_workers))
        worker = MailboxWorker(box, pipeline)
        session = ImapSession(box, resolve_password(box), 60)
        started = time.perf_counter()
        await asyncio.to_thread(session.connect)
        await worker.sync(session, asyncio.Event())
        elapsed = time.perf_counter() - started
        await asyncio.to_thread(session.close)
        pipeline.close()
        stored = await EmailMessage.all().count()
        attached = await EmailMessage.filter(deal_id=deal.id).count()
        latencies = await _latency(server, box, deal, files_dir, latency_samples)
        return stored, elapsed, attached, latencies
    finally:
        await close_orm()


async def _world():
    from models import ContactInfo, Employee
    from models.base import ContactKind, Role
    from services.deals import create_deal
    from services.pipeline import load_default_pipelines

    await load_default_pipelines()
    owner = await Employee.create(full_name="Іван Петренко", telegram_id=1, role=Role.MANAGER)
    await Employee.create(full_name="Голова продажів", telegram_id=2, role=Role.HEAD)
    from models import ContactPerson, Partner

    zirka = await Partner.create(name="ТОВ Зірка-Агро", search_key="зірка", main_manager=owner)
    olena = await ContactPerson.create(partner=zirka, full_name="Олена", search_key="олена")
    await ContactInfo.create(
        contact=olena,
        kind=ContactKind.EMAIL,
        value="olena.kovalenko@zirka-agro.test",
        normalized="olena.kovalenko@zirka-agro.test",
    )
    return await create_deal(
        owner_id=owner.id,
        title="Насіння",
        kind_code="simple_deal",
        partner_id=zirka.id,
        actor_id=owner.id,
    )


class _Clock:
    def __init__(self) -> None:
        self.seen: dict[str, float] = {}
        self.arrived = asyncio.Event()

    async def email_attached(self, note) -> None:
        self.seen[note.subject] = time.perf_counter()
        self.arrived.set()

    async def email_unsorted(self, note) -> None:
        pass


async def _latency(server, box, deal, files_dir, samples: int) -> list[float]:
    from ingest.pipeline import IngestOptions, IngestPipeline
    from ingest.worker import MailboxWorker
    from services.mailboxes import resolve_password

    clock = _Clock()
    pipeline = IngestPipeline(IngestOptions(files_dir=files_dir), clock)
    idle = asyncio.Event()
    worker = MailboxWorker(box, pipeline, on_event=lambda e: e.kind == "idle" and idle.set())
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    conn = imaplib2.IMAP4("127.0.0.1", server.port)
    conn.login(box.username, resolve_password(box))
    latencies = []
    try:
        for i in range(samples):
            await asyncio.wait_for(idle.wait(), 30)
            idle.clear()
            clock.arrived.clear()
            subject = f"Latency probe {i} [{deal.number}]"
            raw = (
                f"From: probe{i}@kvitka.test\r\nSubject: {subject}\r\n"
                f"Message-ID: <probe{i}@bench>\r\n\r\nprobe\r\n"
            ).encode()
            await asyncio.to_thread(conn.append, "INBOX", None, None, raw)
            appended = time.perf_counter()
            while subject not in clock.seen:
                await asyncio.wait_for(clock.arrived.wait(), 30)
                clock.arrived.clear()
            latencies.append(clock.seen[subject] - appended)
    finally:
        conn.logout()
        stop.set()
        await task
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--db-url", default="", help="default: a SQLite file in a temp dir")
    parser.add_argument("--parse-workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--latency-samples", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    binary = install_dovecot()
    if binary is None:
        sys.exit("dovecot is not installed and could not be installed")
    server = DovecotServer(binary)
    server.start()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest."))
    databases: list[str] = []
    try:
        account = server.add_user("bench")
        messages = corpus(args.messages, "D-000001", "<k.1.crm-D-000001@firm.test>")
        started = time.perf_counter()
        append_all(server, account.user, account.password, messages)
        append_rate = len(messages) / (time.perf_counter() - started)

        base_rates: list[float] = []
        crm_rates: list[float] = []
        latencies: list[float] = []
        stored = attached = 0
        for round_no in range(1, args.rounds + 1):  # interleaved: the machine's noise hits both
            count, seconds = baseline(server, account.user, account.password)
            base_rates.append(count / seconds)
            if args.db_url.startswith("postgres"):
                db_url = _pg_database(args.db_url)
                databases.append(db_url)
            else:
                db_url = f"sqlite://{work / f'crm{round_no}.sqlite3'}"
            samples = args.latency_samples if round_no == args.rounds else 0
            stored, crm_time, attached, latencies = asyncio.run(
                crm(
                    server,
                    account.user,
                    account.password,
                    db_url,
                    work / f"files{round_no}",
                    args.parse_workers,
                    samples,
                )
            )
            crm_rates.append(stored / crm_time if stored else 0.0)
        base_rate = statistics.median(base_rates)
        crm_rate = statistics.median(crm_rates)
        print(
            f"messages: {len(messages)} (APPEND {append_rate:,.0f} msg/s), parse workers: "
            f"{args.parse_workers}, database: {db_url.split('://')[0]}, "
            f"{args.rounds} interleaved rounds (medians)"
        )
        print(
            f"baseline  imaplib2 fetch + email.message_from_bytes: {base_rate:,.0f} msg/s "
            f"(rounds: {', '.join(f'{r:,.0f}' for r in base_rates)})"
        )
        print(
            f"crm       fetch + parse + match + store + commit:     {crm_rate:,.0f} msg/s "
            f"(rounds: {', '.join(f'{r:,.0f}' for r in crm_rates)}; {stored} stored, "
            f"{attached} on the deal)"
        )
        print(
            f"ratio     crm / baseline: {crm_rate / base_rate:.2f} (target >= 0.5; per round: "
            f"{', '.join(f'{c / b:.2f}' for c, b in zip(crm_rates, base_rates, strict=True))})"
        )
        if latencies:
            ordered = sorted(latencies)
            p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
            print(
                f"latency   APPEND -> owner's notification, worker idling: "
                f"p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {ordered[-1] * 1000:.0f} ms ({len(ordered)} samples; Dovecot itself "
                f"wakes IDLE ~0.5 s after an APPEND)"
            )
    finally:
        server.cleanup()
        shutil.rmtree(work, ignore_errors=True)
        for url in databases:
            _pg_database(args.db_url, drop=url.rsplit("/", 1)[1])


def _pg_database(url: str, *, drop: str = "") -> str:
    """A fresh database next to `url` for the run (or drop it afterwards)."""
    import uuid

    import asyncpg

    name = drop or f"crm_ingest_bench_{uuid.uuid4().hex[:8]}"
    base = url.replace("postgres://", "postgresql://").rsplit("/", 1)[0]

    async def run() -> None:
        conn = await asyncpg.connect(base + "/postgres")
        try:
            if drop:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    return url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    main()
