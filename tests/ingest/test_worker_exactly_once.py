"""Exactly once: a worker killed with SIGKILL in the middle of 2,000 messages and started again
stores each of them once; a folder whose UIDVALIDITY changed is read again without duplicates."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
import uuid
from pathlib import Path

import pytest

from models import EmailMessage, MailboxFolderState
from services.mailboxes import add_mailbox
from tests.conftest import PG_URL
from tests.ingest.conftest import ingest_once, options

CRM = str(Path(sys.executable).with_name("crm"))
TOTAL = 2000
KILL_AFTER = 400
COMMITTED = re.compile(rb"committed up to UID (\d+)")


def _message(i: int) -> bytes:
    return (
        f"From: Client {i} <client{i}@shop{i % 37}.test>\r\nTo: sales@firm.test\r\n"
        f"Subject: =?utf-8?B?0JfQsNC80L7QstC70LXQvdC90Y8=?= {i}\r\n"
        f"Message-ID: <order-{i}@shop{i % 37}.test>\r\nDate: Fri, 27 Nov 2026 09:00:00 +0200\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\nЗамовлення {i}: 10 мішків.\r\n"
    ).encode()


class SharedDatabase:
    """A database two processes can open: a SQLite file, or a fresh PostgreSQL database."""

    def __init__(self, tmp_path: Path) -> None:
        self.name = f"crm_kill_{uuid.uuid4().hex[:10]}"
        if PG_URL:
            self.url = PG_URL.rsplit("/", 1)[0] + "/" + self.name
        else:
            self.path = tmp_path / "crm.sqlite3"
            self.url = f"sqlite://{self.path}"

    async def create(self) -> None:
        if PG_URL:
            await self._pg_admin(f'CREATE DATABASE "{self.name}"')

    async def drop(self) -> None:
        if PG_URL:
            await self._pg_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    async def _pg_admin(self, sql: str) -> None:
        import asyncpg

        base = PG_URL.replace("postgres://", "postgresql://").rsplit("/", 1)[0]
        conn = await asyncpg.connect(base + "/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def rows(self, sql: str) -> list[tuple]:
        if PG_URL:
            import asyncpg

            conn = await asyncpg.connect(self.url.replace("postgres://", "postgresql://"))
            try:
                return [tuple(r) for r in await conn.fetch(sql)]
            finally:
                await conn.close()
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql).fetchall()


async def _crm(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        CRM, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )


async def _wait_for_commit(process: asyncio.subprocess.Process, uid: int) -> int:
    """Read the worker's log until it reports a commit at or beyond `uid`."""
    async with asyncio.timeout(180):
        while True:
            line = await process.stderr.readline()
            if not line:
                raise AssertionError(f"the worker exited before committing UID {uid}")
            found = COMMITTED.search(line)
            if found and int(found.group(1)) >= uid:
                return int(found.group(1))


async def test_sigkill_in_the_middle_of_2000_messages_loses_and_repeats_nothing(account, tmp_path):
    await asyncio.to_thread(account.append, *(_message(i) for i in range(TOTAL)))
    database = SharedDatabase(tmp_path)
    await database.create()
    env = {
        **os.environ,
        "CRM_DATABASE_URL": database.url,
        "CRM_DATA_DIR": str(tmp_path),
        "CRM_FILES_DIR": str(tmp_path / "files"),
        "CRM_LOG_LEVEL": "INFO",
        "KILL_TEST_PASSWORD": account.password,
    }
    try:
        add = await _crm(
            env,
            "mailbox",
            "add",
            "kill",
            "--host",
            "127.0.0.1",
            "--port",
            str(account.server.port),
            "--security",
            "plain",
            "--user",
            account.user,
            "--password-env",
            "KILL_TEST_PASSWORD",
        )
        _out, err = await add.communicate()
        assert add.returncode == 0, err.decode()

        first = await _crm(env, "ingest", "--mailbox", "kill")
        reached = await _wait_for_commit(first, KILL_AFTER)
        first.send_signal(signal.SIGKILL)  # the next batch is being fetched, parsed, stored
        await first.wait()
        assert first.returncode == -signal.SIGKILL
        [(done_at_kill,)] = await database.rows("SELECT last_uid FROM mailbox_folder_state")
        assert KILL_AFTER <= reached <= done_at_kill < TOTAL

        second = await _crm(env, "ingest", "--mailbox", "kill")
        await _wait_for_commit(second, TOTAL)
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=60)
        assert second.returncode == 0

        [(count, ids, uids, lo, hi)] = await database.rows(
            "SELECT COUNT(*), COUNT(DISTINCT message_id), COUNT(DISTINCT uid), MIN(uid), "
            "MAX(uid) FROM email_message"
        )
        assert (count, ids, uids, lo, hi) == (TOTAL, TOTAL, TOTAL, 1, TOTAL)
        assert await database.rows("SELECT last_uid FROM mailbox_folder_state") == [(TOTAL,)]
        [(files,)] = await database.rows("SELECT COUNT(*) FROM stored_file")
        assert files == TOTAL  # one raw message each, nothing stored twice
    finally:
        await database.drop()


@pytest.mark.parametrize("folder", ["Угоди"])
async def test_changed_uidvalidity_is_read_again_without_duplicates(
    db, account, files_dir, monkeypatch, folder
):
    monkeypatch.setenv("CRM_TEST_IMAP_PASSWORD", account.password)
    await asyncio.to_thread(account.create_folder, _utf7(folder))
    box = await add_mailbox(
        "deals",
        host="127.0.0.1",
        port=account.server.port,
        security="plain",
        username=account.user,
        password_env="CRM_TEST_IMAP_PASSWORD",
        folders=[folder],
    )
    first_batch = [_message(i) for i in range(3)]
    await asyncio.to_thread(account.append, *first_batch, folder=_utf7(folder))
    assert (await ingest_once(box, options(files_dir)))[0] == 3
    old_validity = await asyncio.to_thread(account.uidvalidity, _utf7(folder))

    # the server lost its index: same messages, new UIDs, new UIDVALIDITY, plus two new ones
    await asyncio.to_thread(account.recreate_folder, _utf7(folder))
    await asyncio.to_thread(
        account.append, *first_batch, _message(3), _message(4), folder=_utf7(folder)
    )
    new_validity = await asyncio.to_thread(account.uidvalidity, _utf7(folder))
    stored, log = await ingest_once(box, options(files_dir))

    assert new_validity != old_validity
    assert stored == 2
    outcomes = [o for e in log.events if e.kind == "committed" for _, o in e.data["outcomes"]]
    assert outcomes == ["duplicate"] * 3 + ["unsorted"] * 2
    assert await EmailMessage.all().count() == 5
    states = (
        await MailboxFolderState.filter(folder=folder)
        .order_by("uidvalidity")
        .values_list("uidvalidity", "last_uid")
    )
    assert states == [(old_validity, 3), (new_validity, 5)]


def _utf7(name: str) -> str:
    from ingest.worker import imap_utf7

    return '"' + imap_utf7(name) + '"'
