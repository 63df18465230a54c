"""The one outgoing queue of every push (digests, reminders): within Telegram's limits, nothing
dropped, nothing sent twice.

    sender = Sender(bot)
    sender.start()                                  # in the running event loop
    sender.submit(Outgoing(chat_id, Push("text")))  # never blocks, never drops
    await sender.join()                             # until everything queued is done
    await sender.close()

Limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):
* at most `rate` (30) messages a second overall: starts are spaced `window / rate` apart (plus
  a 1 % margin), and a send starts only a window after the answer to the send `rate` places
  back, so that Telegram, which counts a message between our request and its answer, never
  sees more than `rate` in a second, however late a busy machine gets the requests out;
* at most one message a second in a private chat and 20 a minute in a group (one every 3 s),
  counted from the answer to the chat's previous message;
  messages of one chat keep their order, and a slow chat never holds the others up;
* a 429 answer pauses every send for its `retry_after` and retries the same message;
* network and server errors are retried with exponential back-off (`max_tries` times, then a
  recorded notification is left to the jobs' retry with its own back-off: never dropped);
* 403 "bot was blocked by the user" (or "user is deactivated") marks that employee inactive
  (`services.employees.deactivate_employee`) and ends that chat's queued messages, instead of
  retrying for ever; any other refusal (400) ends the message with its error recorded.

A message with a `key` is a recorded notification (`services.notifications`): its attempt is
claimed in the database right before the call (so two processes never both send it) and its
outcome recorded after. A photo with a `photo_key` is uploaded once; later messages with the same
key reuse Telegram's file_id (a digest chart fanned out to a thousand heads is one upload).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

logger = logging.getLogger(__name__)

Buttons = tuple[tuple[tuple[str, str], ...], ...]  # rows of (text, callback_data)


@dataclass(frozen=True, slots=True)
class Push:
    """What a person gets: an HTML text, or a photo with the text as its caption; buttons."""

    text: str
    photo: bytes | None = None
    photo_key: str | None = None  # the same picture for many chats: uploaded once
    buttons: Buttons = ()


@dataclass(slots=True)
class Outgoing:
    chat_id: int
    push: Push
    key: str | None = None  # a recorded notification (SentNotification.key)
    attempts: int = 0  # the record's attempts when queued; the claim expects this value
    employee_id: int | None = None
    tries: int = 0  # network / server errors met in this process
    claimed: bool = False


@dataclass(slots=True)
class SenderStats:
    sent: int = 0
    failed: int = 0  # ended with an error (recorded)
    retry_after: int = 0  # 429 answers met
    network_errors: int = 0
    blocked: int = 0
    skipped: int = 0  # already sent or taken by another process
    started_at: float | None = None
    last_sent_at: float | None = None


BlockedHook = Callable[[int, int | None], Awaitable[None]]


async def deactivate_blocked(chat_id: int, employee_id: int | None) -> None:
    """The default on 403 blocked: the employee is marked inactive."""
    from services import employees

    if employee_id is None:
        found = await employees.find_employee_by_telegram(chat_id)
        employee_id = found.id if found else None
    if employee_id is not None:
        await employees.deactivate_employee(employee_id)
        logger.warning("employee %s blocked the bot: marked inactive", employee_id)


class Sender:
    def __init__(
        self,
        bot: Bot,
        *,
        rate: int = 30,
        window: float = 1.0,
        chat_interval: float = 1.0,
        group_interval: float = 3.0,
        margin: float = 0.02,
        rate_margin: float = 0.01,
        workers: int = 16,
        max_tries: int = 8,
        retry_base: float = 0.5,
        retry_cap: float = 30.0,
        on_blocked: BlockedHook | None = deactivate_blocked,
        record: bool = True,
    ) -> None:
        self.bot = bot
        self.rate = rate
        self.window = window * (1 + rate_margin)  # at most `rate` starts in any such span
        self.spacing = self.window / rate
        self.chat_interval = chat_interval * (1 + margin)
        self.group_interval = group_interval * (1 + margin)
        self.workers = workers
        self.max_tries = max_tries
        self.retry_base, self.retry_cap = retry_base, retry_cap
        self.on_blocked = on_blocked
        self.record = record  # False: keys are not claimed or marked (no database)
        self.stats = SenderStats()
        self.held: set[str] = set()  # keys reserved by this process and not finished
        self._queues: dict[int, deque[Outgoing]] = {}
        self._ready_at: dict[int, float] = {}
        self._busy: set[int] = set()
        self._heap: list[tuple[float, int, int]] = []
        self._seq = itertools.count()
        self._file_ids: dict[str, str] = {}
        self._uploading: set[str] = set()
        self._parked: dict[str, list[int]] = {}
        self._next_start = 0.0
        self._starts: deque[list[float | None]] = deque(maxlen=rate)  # [started, answered]
        self._answered = asyncio.Condition()
        self._paused_until = 0.0
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._wake = asyncio.Event()
        self._free = workers
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._closed = False

    # --- public ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.get_running_loop().create_task(
                self._dispatch(), name="push-sender"
            )

    @property
    def pending(self) -> int:
        """Messages queued or in flight."""
        return self._pending

    def hold(self, keys: set[str] | list[str]) -> None:
        self.held.update(keys)

    def release(self, key: str | None) -> None:
        if key:
            self.held.discard(key)

    def submit(self, out: Outgoing) -> None:
        if self._closed:
            raise RuntimeError("the sender is closed")
        if out.key:
            self.held.add(out.key)
        self._queues.setdefault(out.chat_id, deque()).append(out)
        self._pending += 1
        self._idle.clear()
        if out.chat_id not in self._busy:
            self._schedule(out.chat_id)
        self._wake.set()

    async def join(self) -> None:
        """Until every queued message was sent or ended."""
        await self._idle.wait()

    async def close(self, timeout: float | None = 10.0) -> None:  # noqa: ASYNC109
        """Finish what is queued (up to `timeout`), then stop. Recorded notifications still
        queued stay recorded and unsent: the next start sends them."""
        self._closed = True
        if self._pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout)
        if self._pending:
            logger.warning(
                "stopping with %d push(es) not sent (recorded ones go next start)", self._pending
            )
        for task in [*self._tasks, self._loop_task]:
            if task is not None and not task.done():
                task.cancel()
        for task in [*self._tasks, self._loop_task]:
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._loop_task = None

    # --- scheduling -----------------------------------------------------------------------------

    def _interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.chat_interval

    def _schedule(self, chat_id: int) -> None:
        at = max(time.monotonic(), self._ready_at.get(chat_id, 0.0))
        heapq.heappush(self._heap, (at, next(self._seq), chat_id))

    async def _dispatch(self) -> None:
        while True:
            now = time.monotonic()
            while self._free > 0 and self._heap and self._heap[0][0] <= now:
                _, _, chat = heapq.heappop(self._heap)
                queue = self._queues.get(chat)
                if chat in self._busy or not queue:
                    continue
                if self._ready_at.get(chat, 0.0) > now:
                    self._schedule(chat)
                    continue
                photo_key = queue[0].push.photo_key if queue[0].push.photo is not None else None
                if photo_key and photo_key not in self._file_ids:
                    if photo_key in self._uploading:  # wait for the one upload of this picture
                        self._parked.setdefault(photo_key, []).append(chat)
                        continue
                    self._uploading.add(photo_key)
                out = queue.popleft()
                self._busy.add(chat)
                self._free -= 1
                task = asyncio.get_running_loop().create_task(self._deliver(out))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            timeout = None
            if self._free > 0 and self._heap:
                timeout = max(self._heap[0][0] - time.monotonic(), 0.0)
            self._wake.clear()
            if timeout == 0.0:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _pace(self) -> None:
        """Wait for this message's turn: starts spaced evenly, after any 429 pause."""
        while True:
            now = time.monotonic()
            start = max(now, self._next_start, self._paused_until)
            self._next_start = start + self.spacing
            if start > now:
                await asyncio.sleep(start - now)
            if time.monotonic() >= self._paused_until:
                return

    async def _admit(self) -> list[float | None]:
        """Right before the call: no send during a 429 pause, and at most `rate` sends within
        any `window`, counted from when the send `rate` places back *finished* (its answer came
        back). Telegram counts a message somewhere between our request and its answer, so this
        holds however late a busy event loop or machine gets the requests out. Checking and
        recording happen with no await in between: concurrent workers cannot both take the last
        place. Returns the entry to mark finished (`[started, finished]`)."""
        while True:
            now = time.monotonic()
            wait = self._paused_until - now
            if wait <= 0 and len(self._starts) >= self.rate:
                oldest = self._starts[0]
                if oldest[1] is None:  # still waiting for its answer
                    async with self._answered:
                        await self._answered.wait()
                    continue
                wait = oldest[1] + self.window - now
            if wait <= 0:
                entry: list[float | None] = [now, None]
                self._starts.append(entry)
                return entry
            await asyncio.sleep(wait)

    async def _answered_now(self, entry: list[float | None]) -> float:
        finished = time.monotonic()
        entry[1] = finished
        async with self._answered:
            self._answered.notify_all()
        return finished

    def _finish(self, out: Outgoing, *, requeue: bool = False, ready_at: float = 0.0) -> None:
        chat = out.chat_id
        self._busy.discard(chat)
        self._free += 1
        if ready_at:
            self._ready_at[chat] = max(self._ready_at.get(chat, 0.0), ready_at)
        if requeue:
            self._queues.setdefault(chat, deque()).appendleft(out)
        else:
            self._pending -= 1
            self.release(out.key)
            if self._pending == 0:
                self._idle.set()
        queue = self._queues.get(chat)
        if queue:
            self._schedule(chat)
        elif queue is not None:
            del self._queues[chat]
        self._wake.set()

    def _photo_done(self, out: Outgoing, file_id: str | None) -> None:
        key = out.push.photo_key
        if not key or out.push.photo is None or key not in self._uploading:
            return
        if file_id:
            self._file_ids[key] = file_id
        self._uploading.discard(key)
        for chat in self._parked.pop(key, []):
            self._schedule(chat)

    # --- one message ----------------------------------------------------------------------------

    async def _deliver(self, out: Outgoing) -> None:
        uploading = bool(
            out.push.photo_key
            and out.push.photo_key in self._uploading
            and out.push.photo_key not in self._file_ids
        )
        file_id: str | None = None
        try:
            await self._pace()
            if out.key and self.record and not out.claimed:
                # claimed only now, right before the call: a process stopped while this message
                # waited leaves it unclaimed, and the next start sends it
                from services.notifications import claim_attempt

                if not await claim_attempt(out.key, out.attempts):
                    self.stats.skipped += 1
                    self._finish(out)
                    return
                out.claimed = True
                out.attempts += 1
            entry = await self._admit()
            if self.stats.started_at is None:
                self.stats.started_at = entry[0]
            try:
                message = await self._call(out)
            finally:  # the chat's next message: an interval after this one's answer
                finished = await self._answered_now(entry)
                self._ready_at[out.chat_id] = finished + self._interval(out.chat_id)
        except TelegramRetryAfter as error:
            self.stats.retry_after += 1
            until = time.monotonic() + float(error.retry_after)
            self._paused_until = max(self._paused_until, until)
            logger.warning("429 from Telegram: pausing pushes for %s s", error.retry_after)
            self._finish(out, requeue=True, ready_at=until)
        except TelegramMigrateToChat as error:  # a group became a supergroup
            self._busy.discard(out.chat_id)
            out.chat_id = error.migrate_to_chat_id
            self._finish(out, requeue=True)
        except TelegramForbiddenError as error:
            await self._forbidden(out, error)
        except TelegramBadRequest as error:
            logger.error("Telegram refused a push to %s: %s", out.chat_id, error.message)
            self.stats.failed += 1
            await self._mark_failed(out, f"refused: {error.message}", permanent=True)
            self._finish(out)
        except (
            TelegramNetworkError,
            TelegramServerError,
            aiohttp.ClientError,
            TimeoutError,
            OSError,
        ) as error:
            await self._network_error(out, error)
        except TelegramAPIError as error:
            logger.error("push to %s failed: %s", out.chat_id, error)
            self.stats.failed += 1
            await self._mark_failed(out, str(error), permanent=False)
            self._finish(out)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug or the database: keep the worker alive
            logger.exception("push to %s failed", out.chat_id)
            self.stats.failed += 1
            await self._mark_failed(out, repr(error), permanent=False)
            self._finish(out)
        else:
            self.stats.sent += 1
            self.stats.last_sent_at = time.monotonic()
            if message is not None and message.photo:
                file_id = message.photo[-1].file_id
            if out.key and self.record:
                from services.notifications import mark_sent

                try:
                    await mark_sent(out.key)
                except Exception:
                    logger.exception("could not record %s as sent", out.key)
            self._finish(out)
        finally:
            if uploading:
                self._photo_done(out, file_id)

    async def _call(self, out: Outgoing) -> Any:
        push = out.push
        markup = None
        if push.buttons:
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
                    for row in push.buttons
                ]
            )
        if push.photo is not None:
            key = push.photo_key
            photo: Any = self._file_ids.get(key) if key else None
            if photo is None:
                photo = BufferedInputFile(push.photo, filename=f"{key or 'chart'}.png")
            return await self.bot.send_photo(
                out.chat_id,
                photo,
                caption=push.text or None,
                parse_mode="HTML",
                reply_markup=markup,
            )
        return await self.bot.send_message(
            out.chat_id, push.text, parse_mode="HTML", reply_markup=markup
        )

    async def _network_error(self, out: Outgoing, error: BaseException) -> None:
        self.stats.network_errors += 1
        out.tries += 1
        if out.key and self.record and out.tries >= self.max_tries:
            logger.error("push %s: giving up for now after %d tries: %s", out.key, out.tries, error)
            self.stats.failed += 1
            await self._mark_failed(out, f"network: {error}", permanent=False)
            self._finish(out)
            return
        delay = min(self.retry_base * 2 ** (out.tries - 1), self.retry_cap)
        logger.warning("push to %s: %s; retrying in %.1f s", out.chat_id, error, delay)
        self._finish(out, requeue=True, ready_at=time.monotonic() + delay)

    async def _forbidden(self, out: Outgoing, error: TelegramForbiddenError) -> None:
        text = error.message.lower()
        blocked = "blocked" in text or "deactivated" in text
        self.stats.failed += 1
        reason = ("blocked: " if blocked else "forbidden: ") + error.message
        await self._mark_failed(out, reason, permanent=True)
        dropped = []
        if blocked:
            self.stats.blocked += 1
            dropped = list(self._queues.pop(out.chat_id, ()))
            for other in dropped:
                await self._mark_failed(other, reason, permanent=True)
            if self.on_blocked is not None:
                try:
                    await self.on_blocked(out.chat_id, out.employee_id)
                except Exception:
                    logger.exception("could not mark chat %s as blocked", out.chat_id)
        self._finish(out)
        for other in dropped:
            self._pending -= 1
            self.release(other.key)
        if self._pending == 0:
            self._idle.set()

    async def _mark_failed(self, out: Outgoing, error: str, *, permanent: bool) -> None:
        if not (out.key and self.record):
            return
        from services.notifications import mark_failed

        try:
            await mark_failed(out.key, error, permanent=permanent)
        except Exception:
            logger.exception("could not record the failure of %s", out.key)
