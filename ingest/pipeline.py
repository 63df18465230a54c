"""parse -> match -> services -> notify, for one batch of fetched messages (async).

Parsing runs off the event loop: in a process pool when `parse_workers` > 0 (the CPU-bound
part, so two cores parse twice as fast), else in a thread. The batch is stored in one
transaction that also advances the folder's progress (`services.mail.record_incoming_batch`).
If that transaction fails, the messages are stored one by one, and one that still fails is set
aside (quarantined with the reason, raw bytes kept): a message never stops the worker. If even
that fails (the database is gone), the error goes up and the worker retries from the last
committed UID.

Notifications go out only after the commit, through a `Notifier` (the bot implements it); the
ones not sent (no notifier, Telegram down) stay recorded and `flush_pending` sends them later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from core import clock
from ingest.matcher import decide, default_plus_pattern, extract_clues
from ingest.parser import DEFAULT_MAX_ATTACHMENT_BYTES, ParsedMessage, parse_many
from services import mail
from services.mail import EmailNote, IncomingAttachment, IncomingEmail, LoopGuard, RecordedEmail
from services.mailboxes import MailboxRow

logger = logging.getLogger(__name__)

MAX_IDLE_SECONDS = 25 * 60  # servers may drop an IDLE older than 29-30 minutes


class Notifier(Protocol):
    """What ingest needs from the bot. Both are called after the commit, once per recipient;
    raising means "not sent" (it is retried later, up to 5 times).

    `email_attached`: tell `note.recipient_telegram_id` (the deal's owner) that a message from
    `note.sender_name <note.sender_address>` landed on `note.deal` (subject, `note.preview`,
    `note.attachment_count`, `note.skipped_attachments`), with buttons: open the deal, reply
    later (a task), not this deal (`services.mail.detach_email`).

    `email_unsorted`: tell the recipient (the partner's main manager or a head of sales) that a
    message found no single deal, with buttons: attach to one of `note.candidates`
    (`services.mail.attach_email_to_deal`), create a deal, ignore (`services.mail.ignore_email`).
    """

    async def email_attached(self, note: EmailNote) -> None: ...

    async def email_unsorted(self, note: EmailNote) -> None: ...


@dataclass
class IngestOptions:
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
    max_raw_bytes: int = mail.DEFAULT_MAX_RAW_BYTES
    loop_guard: LoopGuard = field(default_factory=LoopGuard)
    batch_size: int = 50
    files_dir: Path | None = None
    parse_workers: int = 0  # 0: parse in a thread; n: in a pool of n processes
    use_idle: bool = True
    idle_seconds: float = 24 * 60  # an IDLE is re-issued at least this often (<= 25 min)
    poll_seconds: float = 60.0  # without IDLE (or for the other folders)
    backoff_initial: float = 1.0
    backoff_max: float = 300.0
    command_timeout: float = 120.0

    def idle_timeout(self) -> int:
        """Whole seconds: imaplib2 ignores a float timeout (and idles 29 minutes)."""
        return int(max(1, min(self.idle_seconds, MAX_IDLE_SECONDS)))


@dataclass(frozen=True)
class FetchedMessage:
    uid: int
    raw: bytes
    internal_date: dt.datetime | None = None


def _parse_worker_init(parent_pid: int) -> None:
    """In each parse worker: die with the ingest process, even when it is SIGKILLed (a
    leftover worker would keep its pipes, and its memory, forever); leave Ctrl+C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # it died before the line above took effect
        os._exit(0)

    def watch() -> None:  # where prctl does not exist
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def to_incoming(
    parsed: ParsedMessage, fetched: FetchedMessage, *, plus_pattern: str, limit: int
) -> IncomingEmail:
    """What the service layer stores, from what the parser read."""
    bounce = None
    if parsed.bounce is not None:
        bounce = {
            "kind": parsed.bounce.kind,
            "recipients": parsed.bounce.recipients[:20],
            "status": parsed.bounce.status,
            "diagnostic": parsed.bounce.diagnostic,
            "original_message_ids": parsed.original_message_ids,
        }
    meta: dict[str, object] = {}
    if parsed.tnef_files:
        meta["tnef"] = parsed.tnef_files
    if parsed.forwarded:
        meta["forwarded"] = parsed.forwarded[:10]
    if parsed.defects:
        meta["defects"] = parsed.defects[:20]
    if parsed.text_from_html:
        meta["text_from_html"] = True
    return IncomingEmail(
        raw=fetched.raw,
        raw_sha256=parsed.raw_sha256,
        received_at=fetched.internal_date or clock.now(),
        clues=extract_clues(parsed, plus_pattern=plus_pattern),
        uid=fetched.uid,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        from_address=parsed.from_address,
        from_name=parsed.from_name,
        to=[{"name": a.name, "address": a.address} for a in parsed.to],
        cc=[{"name": a.name, "address": a.address} for a in parsed.cc],
        subject=parsed.subject,
        sent_at=parsed.sent_at,
        text=parsed.text,
        headers=dict(parsed.headers),
        attachments=[
            IncomingAttachment(
                name=a.name,
                mime_type=a.mime_type,
                size=a.size,
                data=a.data,
                inline=a.inline,
                skipped=a.skipped,
                source=a.source,
                limit=limit,
            )
            for a in parsed.attachments
        ],
        is_bounce=parsed.is_bounce,
        bounce=bounce,
        is_auto=parsed.is_auto,
        auto_reason=parsed.auto_reason,
        meta=meta,
        problem=parsed.parse_error,
    )


class IngestPipeline:
    def __init__(self, options: IngestOptions | None = None, notifier: Notifier | None = None):
        self.options = options or IngestOptions()
        self.notifier = notifier
        self._executor: Executor | None = None

    def start(self) -> None:
        if self.options.parse_workers > 0 and self._executor is None:
            import multiprocessing

            # spawn: the workers inherit neither the IMAP threads nor the event loop, and they
            # are the direct children of this process, so they can die with it
            self._executor = ProcessPoolExecutor(
                self.options.parse_workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_parse_worker_init,
                initargs=(os.getpid(),),
            )

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def parse(self, raws: list[bytes]) -> list[ParsedMessage]:
        limit = self.options.max_attachment_bytes
        executor = self._executor
        if executor is None:
            return await asyncio.to_thread(parse_many, raws, limit)
        loop = asyncio.get_running_loop()
        workers = max(1, self.options.parse_workers)
        size = max(1, -(-len(raws) // workers))
        chunks = [raws[i : i + size] for i in range(0, len(raws), size)]
        try:
            results = await asyncio.gather(
                *(loop.run_in_executor(executor, partial(parse_many, c, limit)) for c in chunks)
            )
        except BrokenProcessPool:
            logger.warning("the parse workers died; starting new ones")
            self.close()
            self.start()
            return await asyncio.to_thread(parse_many, raws, limit)
        return [parsed for chunk in results for parsed in chunk]

    async def prepare(
        self, mailbox: MailboxRow, batch: list[FetchedMessage]
    ) -> list[IncomingEmail]:
        """Parse (off the loop), read the matching clues and put the files on disk: no
        database work, so it runs while the previous batch is being stored."""
        parsed = await self.parse([m.raw for m in batch]) if batch else []
        pattern = mailbox.plus_pattern or default_plus_pattern(mailbox.username)
        incoming = [
            to_incoming(p, f, plus_pattern=pattern, limit=self.options.max_attachment_bytes)
            for p, f in zip(parsed, batch, strict=True)
        ]
        await mail.prewrite_files(
            incoming, files_dir=self.options.files_dir, max_raw_bytes=self.options.max_raw_bytes
        )
        return incoming

    async def process(
        self,
        mailbox: MailboxRow,
        folder: str,
        uidvalidity: int,
        batch: list[FetchedMessage],
        *,
        advance_to: int,
    ) -> list[RecordedEmail]:
        """Parse and store a batch (progress advanced to `advance_to` with it), then notify."""
        incoming = await self.prepare(mailbox, batch)
        return await self.store(mailbox, folder, uidvalidity, incoming, advance_to=advance_to)

    async def store(
        self,
        mailbox: MailboxRow,
        folder: str,
        uidvalidity: int,
        incoming: list[IncomingEmail],
        *,
        advance_to: int,
    ) -> list[RecordedEmail]:
        """Store prepared messages in one transaction with the progress, then notify."""
        common = {
            "mailbox_id": mailbox.id,
            "folder": folder,
            "uidvalidity": uidvalidity,
            "decide": decide,
            "loop_guard": self.options.loop_guard,
            "files_dir": self.options.files_dir,
            "max_raw_bytes": self.options.max_raw_bytes,
        }
        try:
            results = await mail.record_incoming_batch(incoming, advance_to=advance_to, **common)
        except Exception:
            logger.exception(
                "%s/%s: batch up to UID %s failed, storing one by one",
                mailbox.name,
                folder,
                advance_to,
            )
            results = await self._one_by_one(incoming, advance_to, common)
        await self.notify([i for r in results for i in r.note_ids])
        return results

    async def _one_by_one(
        self, incoming: list[IncomingEmail], advance_to: int, common: dict[str, object]
    ) -> list[RecordedEmail]:
        results = []
        for item in incoming:
            try:
                stored = await mail.record_incoming_batch(
                    [item],
                    advance_to=item.uid,
                    **common,  # type: ignore[arg-type]
                )
                results.extend(stored)
            except Exception as error:
                logger.exception("UID %s could not be stored; setting it aside", item.uid)
                results.append(
                    await mail.record_unreadable(
                        item.raw,
                        mailbox_id=common["mailbox_id"],  # type: ignore[arg-type]
                        folder=str(common["folder"]),
                        uidvalidity=common["uidvalidity"],  # type: ignore[arg-type]
                        uid=item.uid,
                        received_at=item.received_at,
                        problem=f"{type(error).__name__}: {error}"[:500],
                        files_dir=self.options.files_dir,
                    )
                )
        await mail.record_incoming_batch([], advance_to=advance_to, **common)  # type: ignore[arg-type]
        return results

    async def notify(self, note_ids: list[int]) -> None:
        if self.notifier is None or not note_ids:
            return
        for note in await mail.list_pending_email_notes(note_ids=note_ids):
            await self._send(note)

    async def flush_pending(self, limit: int = 100) -> int:
        """Send what earlier runs recorded but could not send; returns how many went out."""
        if self.notifier is None:
            return 0
        sent = 0
        for note in await mail.list_pending_email_notes(limit=limit):
            sent += await self._send(note)
        return sent

    async def _send(self, note: EmailNote) -> int:
        assert self.notifier is not None
        try:
            if note.kind == "attached":
                await self.notifier.email_attached(note)
            else:
                await self.notifier.email_unsorted(note)
        except Exception as error:
            logger.warning("notification %s not sent: %s", note.notification_id, error)
            await mail.mark_email_note_failed(note.notification_id, str(error))
            return 0
        await mail.mark_email_note_sent(note.notification_id)
        return 1
