"""The one outgoing queue against a fake Bot API that enforces Telegram's limits: 30 messages a
second overall, one a second per chat, 20 a minute per group; 429 `retry_after` honoured,
dropped connections retried, nothing lost and nothing sent twice."""

from __future__ import annotations

import itertools
import time

from jobs.sender import Outgoing, Push
from tests.jobs.fake_limits import LimitedTelegram


def texts_in(fake: LimitedTelegram, chat: int) -> list[str]:
    return [event.text for event in fake.sent_to(chat)]


async def test_a_burst_stays_within_the_limits_and_keeps_each_chat_in_order(
    limited_telegram, make_sender
):
    sender = make_sender(limited_telegram)
    started = time.monotonic()
    for chat in range(1, 41):
        sender.submit(Outgoing(chat, Push(f"digest {chat}")))
    for n in range(3):
        sender.submit(Outgoing(7, Push(f"reminder {n}")))
    await sender.join()
    elapsed = time.monotonic() - started

    assert limited_telegram.violations == []  # Telegram would not have answered 429 once
    assert limited_telegram.retry_afters == 0
    assert all(texts_in(limited_telegram, chat)[:1] == [f"digest {chat}"] for chat in range(1, 41))
    assert texts_in(limited_telegram, 7) == ["digest 7", "reminder 0", "reminder 1", "reminder 2"]
    assert elapsed >= 42 / 30  # 43 messages cannot leave faster than 30 a second
    arrivals = [at for at, chat in limited_telegram.accepted if chat == 7]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(arrivals))


async def test_retry_after_is_honoured_and_nothing_is_lost(limited_telegram, make_sender):
    sender = make_sender(limited_telegram)
    limited_telegram.rate_limit(times=3, retry_after=1)
    started = time.monotonic()
    for chat in range(1, 11):
        sender.submit(Outgoing(chat, Push(f"digest {chat}")))
    await sender.join()

    assert sender.stats.retry_after == 3
    assert time.monotonic() - started >= 1.0  # it waited as asked
    assert all(texts_in(limited_telegram, chat) == [f"digest {chat}"] for chat in range(1, 11))
    assert limited_telegram.violations == []


async def test_a_group_chat_gets_at_most_20_a_minute(make_sender):
    """Scaled down 10x so the test is quick: 20 per 6 s in the group, 0.1 s per private chat."""
    fake = LimitedTelegram(group_window=6.0, chat_window=0.1)
    await fake.start()
    try:
        sender = make_sender(fake, group_interval=0.3, chat_interval=0.1)
        for n in range(5):
            sender.submit(Outgoing(-100123, Push(f"group {n}")))
            sender.submit(Outgoing(55, Push(f"private {n}")))
        await sender.join()
        assert fake.violations == []
        assert texts_in(fake, -100123) == [f"group {n}" for n in range(5)]
        group = [at for at, chat in fake.accepted if chat == -100123]
        assert all(b - a >= 0.3 for a, b in itertools.pairwise(group))
        private = [at for at, chat in fake.accepted if chat == 55]
        assert private[-1] < group[-1]  # the group's pace did not hold the private chat up
    finally:
        await fake.close()


async def test_dropped_connections_are_retried_with_back_off(limited_telegram, make_sender):
    sender = make_sender(limited_telegram, retry_base=0.05)
    limited_telegram.drop_connections(2)
    sender.submit(Outgoing(1, Push("first")))
    sender.submit(Outgoing(2, Push("second")))
    await sender.join()
    assert sender.stats.network_errors == 2
    assert texts_in(limited_telegram, 1) == ["first"]
    assert texts_in(limited_telegram, 2) == ["second"]


async def test_one_chart_is_uploaded_once_for_many_chats(limited_telegram, make_sender):
    sender = make_sender(limited_telegram)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    for chat in range(1, 6):
        sender.submit(Outgoing(chat, Push("digest", photo=png, photo_key="funnel")))
    await sender.join()
    photos = [params["photo"] for method, params in limited_telegram.requests
              if method == "sendPhoto"]  # fmt: skip
    assert len(photos) == 5
    assert sum(1 for p in photos if p.startswith("attach://")) == 1  # uploaded once
    assert all(len(limited_telegram.sent_to(chat)) == 1 for chat in range(1, 6))
