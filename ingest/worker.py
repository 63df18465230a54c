"""One worker per mailbox: IMAP (imaplib2, on its own threads) -> the event loop -> pipeline.

Every blocking IMAP command runs in a thread (`asyncio.to_thread`); IDLE is started with a
callback that imaplib2 calls on its reader thread, which hands the wake-up to the event loop
with `loop.call_soon_threadsafe` and nothing else: the ORM and the bot are only touched from
the loop.

The loop of a worker: connect and log in; for each folder, SELECT it, read the progress for its
UIDVALIDITY, fetch the UIDs above the last one done in batches (the next batch is fetched while
the current one is stored), let the pipeline store each batch together with the progress;
then wait for mail: IDLE (re-issued at least every 25 minutes) when the server offers it, else
poll. Any failure (server restart, dropped connection, database error) closes the connection
and reconnects after a pause that doubles up to `backoff_max`; work resumes from the last
committed UID, so nothing is lost or stored twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import imaplib2

from ingest.pipeline import FetchedMessage, IngestOptions, IngestPipeline
from services import mail
from services.mailboxes import MailboxRow, resolve_password

logger = logging.getLogger(__name__)


class ConnectionLost(Exception):
    """The IMAP connection broke or the server said no; the worker reconnects."""


# --- IMAP, blocking (called in threads) ---------------------------------------------------------


class _VerifiedTLS:
    """imaplib2 verifies nothing unless told; use the system's CA store and check the name."""

    host: str
    sock: Any
    read_fd: int

    def ssl_wrap_socket(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)
        self.read_fd = self.sock.fileno()


class _IMAP4(_VerifiedTLS, imaplib2.IMAP4):
    pass


class _IMAP4_SSL(_VerifiedTLS, imaplib2.IMAP4_SSL):
    pass


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): 'Угоди' -> '&BCMEMwQ+BDQEOA-'."""
    import base64

    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def _quoted(folder: str) -> str:
    encoded = imap_utf7(folder)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uid_set(uids: list[int]) -> str:
    """[1, 2, 3, 7] -> '1:3,7'."""
    parts: list[str] = []
    ordered = sorted(set(uids))
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev > start else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if prev > start else str(start))
    return ",".join(parts)


_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_DATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def parse_internaldate(value: bytes) -> dt.datetime | None:
    """'27-Nov-2026 09:00:00 +0200' -> aware UTC datetime."""
    found = re.match(
        rb"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)", value
    )
    if not found:
        return None
    day, month, year, hh, mm, ss, sign, zh, zm = found.groups()
    try:
        offset = dt.timedelta(hours=int(zh), minutes=int(zm)) * (1 if sign == b"+" else -1)
        moment = dt.datetime(
            int(year),
            _MONTHS[month.decode().title()],
            int(day),
            int(hh),
            int(mm),
            int(ss),
            tzinfo=dt.timezone(offset),
        )
    except (KeyError, ValueError):
        return None
    return moment.astimezone(dt.UTC)


def parse_fetch(data: list[Any]) -> list[FetchedMessage]:
    """Messages out of a UID FETCH (UID INTERNALDATE BODY.PEEK[]) response."""
    messages: list[FetchedMessage] = []
    for index, item in enumerate(data):
        if not (isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes)):
            continue
        meta = item[0] if isinstance(item[0], bytes) else b""
        following = data[index + 1] if index + 1 < len(data) else b""
        if isinstance(following, bytes):
            meta += b" " + following  # items the server put after the literal
        uid = _FETCH_UID.search(meta)
        if uid is None:
            continue
        date = _FETCH_DATE.search(meta)
        messages.append(
            FetchedMessage(
                int(uid.group(1)), item[1], parse_internaldate(date.group(1)) if date else None
            )
        )
    return messages


class ImapSession:
    """A logged-in IMAP connection; every method blocks (call it from a thread)."""

    def __init__(self, mailbox: MailboxRow, password: str, timeout: float) -> None:
        self.mailbox = mailbox
        self.password = password
        self.timeout = timeout
        self.conn: Any = None
        self.capabilities: frozenset[str] = frozenset()

    def connect(self) -> None:
        box = self.mailbox
        kwargs = {"timeout": self.timeout, "identifier": f"imap:{box.name}"}
        try:
            if box.security == "tls":
                self.conn = _IMAP4_SSL(box.host, box.port, **kwargs)
            else:
                self.conn = _IMAP4(box.host, box.port, **kwargs)
                if box.security == "starttls":
                    self.conn.starttls()
            self.conn.login(box.username, self.password)
            _typ, data = self.conn.capability()
        except (imaplib2.IMAP4.error, OSError, ssl.SSLError) as error:
            self.close()
            raise ConnectionLost(f"{box.host}:{box.port}: {error}") from error
        words = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")
        self.capabilities = frozenset(words.upper().split()) | frozenset(
            str(c).upper() for c in self.conn.capabilities
        )

    def _ok(self, result: tuple[str, list[Any]], what: str) -> list[Any]:
        typ, data = result
        if typ != "OK":
            raise ConnectionLost(f"{what}: {typ} {data!r}")
        return data

    def select(self, folder: str, *, readonly: bool) -> tuple[int, int]:
        """(UIDVALIDITY, number of messages)."""
        data = self._ok(self.conn.select(_quoted(folder), readonly=readonly), f"SELECT {folder}")
        _typ, validity = self.conn.response("UIDVALIDITY")
        if not validity or validity[0] is None:
            raise ConnectionLost(f"SELECT {folder}: no UIDVALIDITY")
        exists = int(data[0]) if data and data[0] else 0
        return int(validity[-1]), exists

    def uids_after(self, last_uid: int) -> list[int]:
        self.conn.response("EXISTS")  # forget older notices: see `new_mail_noticed`
        data = self._ok(self.conn.uid("SEARCH", None, f"UID {last_uid + 1}:*"), "UID SEARCH")
        found = b" ".join(d for d in data if isinstance(d, bytes)).split()
        return sorted(u for u in (int(x) for x in found) if u > last_uid)

    def new_mail_noticed(self) -> bool:
        """Did the server announce new messages (EXISTS) since the last search?"""
        _typ, data = self.conn.response("EXISTS")
        return bool(data and data[0] is not None)

    def fetch(self, uids: list[int]) -> list[FetchedMessage]:
        data = self._ok(
            self.conn.uid("FETCH", _uid_set(uids), "(UID INTERNALDATE BODY.PEEK[])"), "UID FETCH"
        )
        return parse_fetch(data)

    def idle(self, timeout: int, callback: Callable[[Any], None]) -> None:
        """Start IDLE; `callback` runs on imaplib2's thread when it ends (mail, timeout, error).
        The timeout must be an int: imaplib2 ignores anything else."""
        self.conn.idle(timeout=int(timeout), callback=callback)

    def interrupt(self) -> None:
        """End an IDLE (any command does)."""
        self.conn.noop()

    def after_commit(self, uids: list[int] | str, action: str) -> None:
        """Mark as seen, or move to a folder, messages already stored (a list or a UID set)."""
        if not uids or not action:
            return
        uid_set = uids if isinstance(uids, str) else _uid_set(uids)
        if action == "seen":
            self._ok(self.conn.uid("STORE", uid_set, "+FLAGS.SILENT", "(\\Seen)"), "STORE")
        elif action.startswith("move:"):
            target = _quoted(action.removeprefix("move:"))
            if "MOVE" in self.capabilities:
                self._ok(self.conn.uid("MOVE", uid_set, target), "MOVE")
            else:
                self._ok(self.conn.uid("COPY", uid_set, target), "COPY")
                self._ok(self.conn.uid("STORE", uid_set, "+FLAGS.SILENT", "(\\Deleted)"), "STORE")
                if "UIDPLUS" in self.capabilities:
                    self._ok(self.conn.uid("EXPUNGE", uid_set), "UID EXPUNGE")
                else:
                    self._ok(self.conn.expunge(), "EXPUNGE")

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.logout()
        except Exception:  # the connection may already be gone; the threads still stop
            logger.debug("logout failed", exc_info=True)


# --- the worker (async) -----------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerEvent:
    """What a worker did; logged, and observed by tests and the benchmark."""

    kind: str  # connected, selected, committed, caught_up, idle, woke, polled, disconnected
    mailbox: str
    folder: str = ""
    data: dict[str, Any] = field(default_factory=dict)


EventSink = Callable[[WorkerEvent], None]


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class MailboxWorker:
    def __init__(
        self,
        mailbox: MailboxRow,
        pipeline: IngestPipeline,
        *,
        options: IngestOptions | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.pipeline = pipeline
        self.options = options or pipeline.options
        self.on_event = on_event
        self.session: ImapSession | None = None

    def _emit(self, kind: str, folder: str = "", **data: Any) -> None:
        event = WorkerEvent(kind, self.mailbox.name, folder, data)
        if kind in ("disconnected",):
            logger.warning("%s: %s %s", self.mailbox.name, kind, data.get("error", ""))
        elif kind == "committed":
            logger.info(
                "%s/%s: committed up to UID %s (%s messages)",
                self.mailbox.name,
                folder,
                data.get("last_uid"),
                data.get("count"),
            )
        else:
            logger.debug("%s/%s: %s %s", self.mailbox.name, folder, kind, data)
        if self.on_event is not None:
            self.on_event(event)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: connect, catch up, wait for mail; reconnect on any failure."""
        backoff = self.options.backoff_initial
        while not stop.is_set():
            try:
                password = resolve_password(self.mailbox)
                session = ImapSession(self.mailbox, password, self.options.command_timeout)
                self.session = session
                await asyncio.to_thread(session.connect)
                self._emit("connected", idle="IDLE" in session.capabilities)
                while not stop.is_set():
                    await self.sync(session, stop)
                    backoff = self.options.backoff_initial
                    if stop.is_set():
                        break
                    await self._wait_for_mail(session, stop)
            except asyncio.CancelledError:
                await self._close()
                raise
            except Exception as error:  # any failure: reconnect and resume
                self._emit("disconnected", error=f"{type(error).__name__}: {error}")
            await self._close()
            if stop.is_set():
                break
            pause = backoff * (1 + random.random() / 4)
            self._emit("backoff", seconds=round(pause, 2))
            await _sleep_unless(stop, pause)
            backoff = min(backoff * 2, self.options.backoff_max)
        self._emit("stopped")

    async def _close(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(session.close), timeout=10)
            except TimeoutError:
                logger.warning("%s: logout did not finish", self.mailbox.name)

    async def sync(self, session: ImapSession, stop: asyncio.Event) -> int:
        """Catch up every folder; returns how many messages were stored."""
        total = 0
        for folder in self.mailbox.folders:
            total += await self._sync_folder(session, folder, stop)
            if stop.is_set():
                break
        self._emit("caught_up", stored=total)
        return total

    async def _sync_folder(self, session: ImapSession, folder: str, stop: asyncio.Event) -> int:
        action = self.mailbox.after_commit
        readonly = not action
        uidvalidity, exists = await asyncio.to_thread(session.select, folder, readonly=readonly)
        last_uid = await mail.start_folder(self.mailbox.id, folder, uidvalidity)
        self._emit("selected", folder, uidvalidity=uidvalidity, last_uid=last_uid, exists=exists)
        if action and last_uid and exists:
            # what an earlier run committed but had no time to mark or move (idempotent)
            try:
                await asyncio.to_thread(session.after_commit, f"1:{last_uid}", action)
            except ConnectionLost as error:
                logger.info("%s/%s: %s", self.mailbox.name, folder, error)
        stored = 0
        while not stop.is_set():
            uids = await asyncio.to_thread(session.uids_after, last_uid)
            if not uids:
                if not await asyncio.to_thread(session.new_mail_noticed):
                    break
                continue
            size = max(1, self.options.batch_size)
            chunks = [uids[i : i + size] for i in range(0, len(uids), size)]

            async def fetch_and_prepare(chunk: list[int]) -> tuple[list[FetchedMessage], Any]:
                fetched = await asyncio.to_thread(session.fetch, chunk)
                return fetched, await self.pipeline.prepare(self.mailbox, fetched)

            # the next batch is fetched and parsed while the current one is being stored
            ahead = asyncio.ensure_future(fetch_and_prepare(chunks[0]))
            for index, chunk in enumerate(chunks):
                fetched, incoming = await ahead
                if index + 1 < len(chunks) and not stop.is_set():
                    ahead = asyncio.ensure_future(fetch_and_prepare(chunks[index + 1]))
                try:
                    results = await self.pipeline.store(
                        self.mailbox, folder, uidvalidity, incoming, advance_to=max(chunk)
                    )
                except BaseException:
                    if not ahead.done():
                        ahead.cancel()
                    await asyncio.gather(ahead, return_exceptions=True)
                    raise
                last_uid = max(chunk)
                stored += sum(1 for r in results if r.outcome != "duplicate")
                self._emit(
                    "committed",
                    folder,
                    last_uid=last_uid,
                    count=len(results),
                    outcomes=[(r.uid, r.outcome) for r in results],
                )
                if action:
                    await asyncio.to_thread(session.after_commit, [m.uid for m in fetched], action)
                if stop.is_set():
                    if index + 1 < len(chunks):
                        await asyncio.gather(ahead, return_exceptions=True)
                    break
        return stored

    async def _wait_for_mail(self, session: ImapSession, stop: asyncio.Event) -> None:
        if not (self.options.use_idle and "IDLE" in session.capabilities):
            await _sleep_unless(stop, self.options.poll_seconds)
            self._emit("polled")
            return
        folders = self.mailbox.folders
        timeout = self.options.idle_timeout()
        if len(folders) > 1:  # IDLE watches one folder; the others are polled meanwhile
            timeout = int(max(1, min(timeout, self.options.poll_seconds)))
            readonly = not self.mailbox.after_commit
            await asyncio.to_thread(session.select, folders[0], readonly=readonly)
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[Any] = loop.create_future()

        def on_idle_end(args: Any) -> None:  # imaplib2's thread: hand over, touch nothing else
            loop.call_soon_threadsafe(_settle, ended, args)

        await asyncio.to_thread(session.idle, timeout, on_idle_end)
        self._emit("idle", folders[0], timeout=timeout)
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                {ended, stopping}, timeout=timeout + 60, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopping.cancel()
        if not ended.done():
            await asyncio.to_thread(session.interrupt)
            if stop.is_set():
                return
            raise ConnectionLost("IDLE did not end in time")
        _, _, error = ended.result()
        if error is not None:
            raise ConnectionLost(f"IDLE: {error}")
        self._emit("woke", folders[0])


def _settle(future: asyncio.Future[Any], args: Any) -> None:
    if not future.done():
        if not (isinstance(args, tuple) and len(args) == 3):
            args = (args, None, None)
        future.set_result(args)
