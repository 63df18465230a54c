"""All the mailbox workers of one process: `crm ingest` runs them alone, `crm run` beside the bot.

    runner = IngestRunner(notifier=bot_notifier)       # nothing happens yet
    await runner.start()                               # the ORM must be open
    ...
    await runner.stop()

`app_hooks(make_notifier)` gives the two coroutines the bot's composition root takes as
`extra_startup` / `extra_shutdown`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ingest.pipeline import IngestOptions, IngestPipeline, Notifier
from ingest.worker import EventSink, ImapSession, MailboxWorker
from services.mailboxes import MailboxRow, list_mailboxes, resolve_password

logger = logging.getLogger(__name__)

FLUSH_EVERY_SECONDS = 60.0


class IngestRunner:
    def __init__(
        self,
        *,
        options: IngestOptions | None = None,
        notifier: Notifier | None = None,
        mailbox_names: list[str] | tuple[str, ...] | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        self.options = options or IngestOptions()
        self.pipeline = IngestPipeline(self.options, notifier)
        self.mailbox_names = list(mailbox_names or [])
        self.on_event = on_event
        self.stop_event = asyncio.Event()
        self.workers: list[MailboxWorker] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def mailboxes(self) -> list[MailboxRow]:
        boxes = await list_mailboxes(active_only=True)
        if self.mailbox_names:
            boxes = [b for b in boxes if b.name in self.mailbox_names]
        return boxes

    async def start(self) -> list[str]:
        """Start one worker per active mailbox; returns their names."""
        self.stop_event.clear()
        self.pipeline.start()
        await self.pipeline.flush_pending()
        boxes = await self.mailboxes()
        for box in boxes:
            worker = MailboxWorker(box, self.pipeline, on_event=self.on_event)
            self.workers.append(worker)
            self._tasks.append(asyncio.create_task(worker.run(self.stop_event), name=box.name))
        if self.pipeline.notifier is not None:
            self._tasks.append(asyncio.create_task(self._flush_regularly(), name="mail-notes"))
        return [b.name for b in boxes]

    async def _flush_regularly(self) -> None:
        while not self.stop_event.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), FLUSH_EVERY_SECONDS)
            if not self.stop_event.is_set():
                try:
                    await self.pipeline.flush_pending()
                except Exception:
                    logger.exception("sending pending mail notifications failed")

    async def stop(self, grace: float = 30.0) -> None:
        """Ask the workers to finish the batch in hand and log out; cancel them after `grace`."""
        self.stop_event.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._tasks.clear()
        self.workers.clear()
        self.pipeline.close()

    async def wait(self) -> None:
        """Until the workers end (after `stop`, or when there were none to start)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def run_once(self) -> dict[str, int]:
        """Catch every mailbox up once and return; messages stored per mailbox."""
        self.pipeline.start()
        stored: dict[str, int] = {}
        try:
            await self.pipeline.flush_pending()
            for box in await self.mailboxes():
                worker = MailboxWorker(box, self.pipeline, on_event=self.on_event)
                session = ImapSession(box, resolve_password(box), self.options.command_timeout)
                await asyncio.to_thread(session.connect)
                try:
                    stored[box.name] = await worker.sync(session, self.stop_event)
                finally:
                    await asyncio.to_thread(session.close)
        finally:
            self.pipeline.close()
        return stored


def app_hooks(
    make_notifier: Callable[[Any], Notifier | None],
    *,
    options: IngestOptions | None = None,
) -> tuple[Callable[[Any], Awaitable[None]], Callable[[Any], Awaitable[None]]]:
    """(startup, shutdown) for `bot.app.build_app(extra_startup=..., extra_shutdown=...)`:
    the workers start once the ORM is open, with `make_notifier(app)` as their notifier."""
    runner: dict[str, IngestRunner] = {}

    async def startup(app: Any) -> None:
        runner["it"] = IngestRunner(options=options, notifier=make_notifier(app))
        names = await runner["it"].start()
        logger.info("ingest: watching %s", ", ".join(names) or "no mailboxes")

    async def shutdown(app: Any) -> None:
        if "it" in runner:
            await runner.pop("it").stop()

    return startup, shutdown
