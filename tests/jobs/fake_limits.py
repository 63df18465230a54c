"""The fake Bot API (tests/fakes/telegram.py) enforcing Telegram's flood limits, as the jobs
tests and the fan-out benchmark need: a send that breaks one is answered 429 `retry_after` and
counted in `violations`, as Telegram would.

* at most `rate` sends in any `window` seconds overall (30 a second);
* at most one send a `chat_window` seconds in a private chat (one a second);
* at most `group_rate` sends a `group_window` in a group (chat id < 0; 20 a minute).

`drop_connections(n)` closes the connection of the next `n` sends without an answer (a network
error on the bot's side).

Run alone (the benchmark does, so that the server's clock is not stalled by the bot's event
loop, as Telegram's is not): `python -m tests.jobs.fake_limits` prints its base URL and serves
until its stdin closes; the extra methods `benchStats`, `benchStorm?times=N&retry_after=S` and
`benchReset` read and steer it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter, defaultdict, deque
from typing import Any

from aiohttp import web

from tests.fakes.telegram import ApiError, FakeTelegram

SENDS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendAudio",
    "sendVoice",
    "sendVideo",
    "sendAnimation",
    "sendMediaGroup",
    "copyMessage",
    "forwardMessage",
}


class LimitedTelegram(FakeTelegram):
    def __init__(
        self,
        *,
        rate: int = 30,
        window: float = 1.0,
        chat_window: float = 1.0,
        group_rate: int = 20,
        group_window: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rate, self.window = rate, window
        self.chat_window = chat_window
        self.group_rate, self.group_window = group_rate, group_window
        self.violations: list[tuple[str, int]] = []  # (which limit, chat id)
        self.retry_afters = 0  # every 429 answered, injected ones included
        self.accepted: list[tuple[float, int]] = []  # (monotonic arrival, chat id)
        self._recent: deque[float] = deque()
        self._chats: dict[int, deque[float]] = defaultdict(deque)
        self._drops = 0

    def drop_connections(self, times: int = 1) -> None:
        self._drops += times

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info.get("method", "")
        if method.startswith("bench") and request.match_info.get("token") == self.token:
            return web.json_response({"ok": True, "result": self._control(method, request)})
        if self._drops and request.match_info.get("method") in SENDS:
            self._drops -= 1
            await request.read()
            assert request.transport is not None
            request.transport.close()  # the bot sees a dropped connection
            return web.Response(status=500)
        return await super()._handle(request)

    def _check_limits(self, method: str, params: dict[str, Any]) -> None:
        try:
            super()._check_limits(method, params)
        except ApiError as error:
            if error.code == 429:
                self.retry_afters += 1
            raise
        if method not in SENDS:
            return
        now = time.monotonic()
        chat = int(params.get("chat_id") or 0)
        while self._recent and self._recent[0] <= now - self.window:
            self._recent.popleft()
        history = self._chats[chat]
        span, allowed = (self.group_window, self.group_rate) if chat < 0 else (self.chat_window, 1)
        while history and history[0] <= now - span:
            history.popleft()
        broken = None
        if len(self._recent) >= self.rate:
            broken = "overall"
        elif len(history) >= allowed:
            broken = "group" if chat < 0 else "chat"
        if broken:
            self.violations.append((broken, chat))
            self.retry_afters += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._recent.append(now)
        history.append(now)
        self.accepted.append((now, chat))

    def sent_to(self, chat_id: int) -> list[Any]:
        """The messages (and photos) the bot sent to the chat."""
        return [e for e in self.history[chat_id] if e.kind in ("send", "photo")]

    # --- steering a fake in another process -------------------------------------------------

    def _control(self, method: str, request: web.Request) -> Any:
        if method == "benchStorm":
            times = int(request.query.get("times", "1"))
            self.rate_limit(times=times, retry_after=int(request.query.get("retry_after", "1")))
            return True
        if method == "benchReset":
            self.history.clear()
            self.requests.clear()
            self.accepted.clear()
            self.violations.clear()
            self.retry_afters = 0
            return True
        per_chat = Counter(
            chat
            for chat, events in self.history.items()
            for e in events
            if e.kind in ("send", "photo")
        )
        arrivals = [at for at, _ in self.accepted]
        return {
            "delivered": len(per_chat),
            "twice": sum(1 for n in per_chat.values() if n > 1),
            "messages": sum(per_chat.values()),
            "window_s": (max(arrivals) - min(arrivals)) if arrivals else 0.0,
            "retry_after": self.retry_afters,
            "violations": len(self.violations),
            "uploads": sum(
                1
                for m, p in self.requests
                if m == "sendPhoto" and str(p.get("photo", "")).startswith("attach://")
            ),
        }


async def _serve() -> None:
    fake = LimitedTelegram()
    print(await fake.start(), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    await fake.close()


if __name__ == "__main__":
    asyncio.run(_serve())
