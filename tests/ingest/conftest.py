"""Ingest fixtures: a real Dovecot on loopback (session), an empty IMAP account and a mailbox
row per test, a recording notifier, and a way to run a worker and await what it does."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

from ingest.pipeline import IngestOptions, IngestPipeline
from ingest.worker import ImapSession, MailboxWorker, WorkerEvent
from services.mail import EmailNote, LoopGuard
from services.mailboxes import MailboxRow, add_mailbox, resolve_password
from tests.ingest.dovecot import Account, DovecotServer, install_dovecot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
CORPUS = Path(os.environ.get("CRM_EMAIL_CORPUS", "/work/shared/data/email-corpus"))
EVENT_TIMEOUT = 20.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """imaplib2 3.6 still calls threading's deprecated camelCase API."""
    here = str(Path(__file__).resolve().parent)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:imaplib2.*"))


@pytest.fixture(scope="session")
def dovecot():
    """Dovecot started from a temp dir for the whole session (installed when missing)."""
    binary = install_dovecot()
    if binary is None:
        pytest.skip("dovecot is not installed and `apt-get install dovecot-imapd` failed")
    server = DovecotServer(binary)
    try:
        server.start()
    except Exception as error:  # pragma: no cover - environment problem, not a test result
        server.cleanup()
        pytest.skip(f"dovecot did not start: {error}")
    yield server
    server.cleanup()


@pytest.fixture
def account(dovecot: DovecotServer) -> Account:
    return dovecot.add_user()


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    return tmp_path / "files"


@pytest_asyncio.fixture
async def mailbox(db, account: Account, monkeypatch: pytest.MonkeyPatch) -> MailboxRow:
    """A mailbox row for the test's IMAP account (password from an env variable)."""
    monkeypatch.setenv("CRM_TEST_IMAP_PASSWORD", account.password)
    return await add_mailbox(
        "sales",
        host="127.0.0.1",
        port=account.server.port,
        security="plain",
        username=account.user,
        password_env="CRM_TEST_IMAP_PASSWORD",
        plus_pattern="sales+{tag}@firm.test",
    )


@dataclass
class RecordingNotifier:
    """The bot's side of `ingest.pipeline.Notifier`, recording what it was asked to send."""

    attached: list[EmailNote] = field(default_factory=list)
    unsorted: list[EmailNote] = field(default_factory=list)
    fail_times: int = 0

    async def email_attached(self, note: EmailNote) -> None:
        self._maybe_fail()
        self.attached.append(note)

    async def email_unsorted(self, note: EmailNote) -> None:
        self._maybe_fail()
        self.unsorted.append(note)

    def _maybe_fail(self) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("telegram is down")


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


class EventLog:
    """Worker events, awaitable: `await log.wait_for(lambda e: e.kind == "idle")`."""

    def __init__(self) -> None:
        self.events: list[WorkerEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: WorkerEvent) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(
        self,
        predicate: Callable[[WorkerEvent], bool],
        *,
        after: int = 0,
        within: float = EVENT_TIMEOUT,
    ) -> WorkerEvent:
        """The first event from index `after` on that matches; waits for it (up to `within`
        seconds) if need be."""
        async with asyncio.timeout(within):
            while True:
                for event in self.events[after:]:
                    if predicate(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

    def mark(self) -> int:
        return len(self.events)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def options(files_dir: Path, **overrides: object) -> IngestOptions:
    values: dict[str, object] = {
        "files_dir": files_dir,
        "backoff_initial": 0.05,
        "backoff_max": 0.5,
        "poll_seconds": 0.2,
        "command_timeout": 30.0,
        "loop_guard": LoopGuard(max_messages=20, minutes=60),
    }
    values.update(overrides)
    return IngestOptions(**values)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running_worker(
    box: MailboxRow, opts: IngestOptions, notifier: object = None
) -> AsyncIterator[tuple[MailboxWorker, EventLog]]:
    """A worker running in the test's event loop; stopped (and awaited) on exit."""
    log = EventLog()
    pipeline = IngestPipeline(opts, notifier)  # type: ignore[arg-type]
    pipeline.start()
    worker = MailboxWorker(box, pipeline, on_event=log)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker, log
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
        pipeline.close()


async def ingest_once(
    box: MailboxRow, opts: IngestOptions, notifier: object = None
) -> tuple[int, EventLog]:
    """Connect, catch up every folder once, log out: how a test drives the real IMAP path."""
    log = EventLog()
    pipeline = IngestPipeline(opts, notifier)  # type: ignore[arg-type]
    pipeline.start()
    worker = MailboxWorker(box, pipeline, on_event=log)
    session = ImapSession(box, resolve_password(box), opts.command_timeout)
    await asyncio.to_thread(session.connect)
    try:
        stored = await worker.sync(session, asyncio.Event())
    finally:
        await asyncio.to_thread(session.close)
        pipeline.close()
    return stored, log


def fixture_bytes(name: str, **values: str) -> bytes:
    """One of the project's fixtures with its @@PLACEHOLDERS@@ filled in."""
    raw = (FIXTURES / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(f"@@{key.upper()}@@".encode(), value.encode())
    return raw
