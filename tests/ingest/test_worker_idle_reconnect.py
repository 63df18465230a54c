"""A running worker against the real Dovecot: IDLE wakes it, IDLE is renewed, it polls when told
not to idle, it survives a server restart, and a message it cannot store does not stop it."""

from __future__ import annotations

import asyncio
import time

import ingest.pipeline
from ingest.matcher import decide
from models import ContactInfo, EmailMessage
from models.base import ContactKind, EmailState
from services import mail
from services.mailboxes import add_mailbox, get_mailbox
from tests.factories import load_default_kinds, make_contact, make_deal, make_partner
from tests.ingest.conftest import fixture_bytes, options, running_worker


def _note(i: int, sender: str = "client") -> bytes:
    return (
        f"From: {sender}{i}@kvitka.test\r\nSubject: note {i}\r\nMessage-ID: <n{i}.{sender}@k>"
        f"\r\n\r\ntext {i}\r\n"
    ).encode()


def committed(uid: int):
    return lambda e: e.kind == "committed" and e.data["last_uid"] >= uid


async def test_a_message_appended_while_idling_is_matched_within_two_seconds(
    mailbox, account, files_dir, notifier
):
    await load_default_kinds()
    zirka = await make_partner(name="ТОВ Зірка-Агро")
    olena = await make_contact(zirka)
    await ContactInfo.create(
        contact=olena,
        kind=ContactKind.EMAIL,
        value="olena.kovalenko@zirka-agro.test",
        normalized="olena.kovalenko@zirka-agro.test",
    )
    deal = await make_deal(partner=zirka)

    async with running_worker(mailbox, options(files_dir), notifier) as (_, log):
        await log.wait_for(lambda e: e.kind == "idle")
        mark = log.mark()
        await asyncio.to_thread(account.append, fixture_bytes("koi8u-invoice.eml"))
        appended = time.monotonic()
        await log.wait_for(committed(1), after=mark, within=5)
        elapsed = time.monotonic() - appended

    assert elapsed < 2.0
    assert log.kinds()[mark:].index("woke") < log.kinds()[mark:].index("committed")
    stored = await EmailMessage.get(subject="Рахунок 145 за жовтень")
    assert (stored.state, stored.deal_id) == (EmailState.ATTACHED, deal.id)
    assert [n.deal.id for n in notifier.attached] == [deal.id]


async def test_idle_is_renewed_without_mail(mailbox, files_dir):
    async with running_worker(mailbox, options(files_dir, idle_seconds=1)) as (_, log):
        first = await log.wait_for(lambda e: e.kind == "idle")
        assert first.data["timeout"] == 1
        for _ in range(2):
            mark = log.mark()
            await log.wait_for(lambda e: e.kind == "woke", after=mark, within=10)
            await log.wait_for(lambda e: e.kind == "idle", after=mark, within=10)
    assert log.kinds().count("connected") == 1  # renewed on the same connection


async def test_the_idle_limit_is_never_above_25_minutes():
    assert options(None, idle_seconds=40 * 60).idle_timeout() == 25 * 60


async def test_polls_when_idle_is_not_used(mailbox, account, files_dir):
    async with running_worker(mailbox, options(files_dir, use_idle=False)) as (_, log):
        await log.wait_for(lambda e: e.kind == "polled")
        await asyncio.to_thread(account.append, _note(1))
        await log.wait_for(committed(1))
    assert "idle" not in log.kinds()
    assert await EmailMessage.filter(subject="note 1").count() == 1


async def test_reconnects_after_a_dovecot_restart_and_catches_up(
    mailbox, account, dovecot, files_dir
):
    await asyncio.to_thread(account.append, _note(1))
    async with running_worker(mailbox, options(files_dir)) as (_, log):
        await log.wait_for(lambda e: e.kind == "idle")
        mark = log.mark()
        await asyncio.to_thread(dovecot.stop)
        await log.wait_for(lambda e: e.kind == "disconnected", after=mark)
        account.deliver_to_maildir(_note(2))  # mail arrives while the server is down
        account.deliver_to_maildir(_note(3))
        await asyncio.to_thread(dovecot.start)
        await log.wait_for(lambda e: e.kind == "connected", after=mark)
        await log.wait_for(committed(3), after=mark)
        await log.wait_for(lambda e: e.kind == "idle", after=mark)

    subjects = await EmailMessage.all().order_by("uid").values_list("subject", flat=True)
    assert subjects == ["note 1", "note 2", "note 3"]


async def test_a_message_that_cannot_be_stored_is_set_aside_and_the_rest_go_on(
    mailbox, account, files_dir, monkeypatch
):
    def fails_for_one_sender(clues, facts):
        if clues.sender == "client2@kvitka.test":
            raise RuntimeError("simulated bug while matching")
        return decide(clues, facts)

    monkeypatch.setattr(ingest.pipeline, "decide", fails_for_one_sender)
    await asyncio.to_thread(account.append, _note(1), _note(2), _note(3))

    async with running_worker(mailbox, options(files_dir)) as (_, log):
        await log.wait_for(committed(3))
        await log.wait_for(lambda e: e.kind == "idle")

    rows = await EmailMessage.all().order_by("uid")
    assert [(r.uid, r.state) for r in rows] == [
        (1, EmailState.UNSORTED),
        (2, EmailState.QUARANTINED),
        (3, EmailState.UNSORTED),
    ]
    assert "simulated bug while matching" in rows[1].state_reason
    assert rows[1].raw_file_id is not None
    assert "disconnected" not in log.kinds()
    assert (await get_mailbox("sales")).progress[0].last_uid == 3


async def test_after_commit_marks_seen_or_moves(db, account, files_dir, monkeypatch):
    monkeypatch.setenv("CRM_TEST_IMAP_PASSWORD", account.password)
    await asyncio.to_thread(account.create_folder, "Done")
    common = {
        "host": "127.0.0.1",
        "port": account.server.port,
        "security": "plain",
        "username": account.user,
        "password_env": "CRM_TEST_IMAP_PASSWORD",
    }
    await asyncio.to_thread(account.append, _note(1), _note(2))
    seen = await add_mailbox("seen", after_commit="seen", **common)
    async with running_worker(seen, options(files_dir)) as (_, log):
        await log.wait_for(lambda e: e.kind == "idle")
    assert all("\\Seen" in flags for flags in account.flags().values())

    await mail.ignore_email((await EmailMessage.get(uid=1)).id)
    moved = await add_mailbox("moved", after_commit="move:Done", **common)
    async with running_worker(moved, options(files_dir)) as (_, log):
        await log.wait_for(lambda e: e.kind == "idle")
    assert (account.count("INBOX"), account.count("Done")) == (0, 2)
    assert await EmailMessage.all().count() == 2  # the second mailbox saw duplicates only
