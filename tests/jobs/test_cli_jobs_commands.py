"""`crm jobs list` and `crm jobs run JOB --now ...` from a real database file (or PostgreSQL),
pushing to the fake Bot API through CRM_TELEGRAM_API_BASE: every head gets the digest with its
chart, once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from core.config import get_settings
from models.base import Role
from tests.cli.conftest import crm_run, run_in_db
from tests.factories import make_employee
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
def threaded_fake() -> Iterator[FakeTelegram]:
    """The fake Bot API on its own event loop in a thread (the command runs its own loop)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeTelegram()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    yield fake
    asyncio.run_coroutine_threadsafe(fake.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def bot_env(database_url, threaded_fake, monkeypatch):
    monkeypatch.setenv("CRM_BOT_TOKEN", threaded_fake.token)
    monkeypatch.setenv("CRM_TELEGRAM_API_BASE", threaded_fake.base_url)
    get_settings.cache_clear()
    yield threaded_fake
    get_settings.cache_clear()


def test_list_shows_every_job_with_its_schedule(monkeypatch):
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    result = crm_run("jobs", "list")
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "digests:funnel_daily" in lines and "reminders:rotting" in lines
    at = lines.index("digests:funnel_daily")
    assert "local time" in lines[at + 1]
    assert "head of sales 09:00" in lines[at + 3] and "manager off" in lines[at + 3]
    weekly = lines.index("digests:funnel_weekly")
    assert "head of sales Mon 09:00" in lines[weekly + 3]


def test_run_sends_every_head_the_digest_once(bot_env, database_url):
    fake = bot_env

    async def seed():
        heads = [await make_employee(role=Role.HEAD) for _ in range(3)]
        await make_employee(role=Role.MANAGER)
        return [h.telegram_id for h in heads]

    chats = run_in_db(database_url, seed)
    first = crm_run("jobs", "run", "digests:funnel_daily", "--now", "2026-11-27T15:40")
    assert first.exit_code == 0, first.output
    assert "due 3, sent 3, sent before 0" in first.output
    again = crm_run("jobs", "run", "digests:funnel_daily", "--now", "2026-11-27T16:00")
    assert again.exit_code == 0, again.output
    assert "sent 0, sent before 3" in again.output

    for chat in chats:
        photos = [e for e in fake.history[chat] if e.kind == "photo"]
        assert len(photos) == 1
        assert photos[0].text.startswith("📊 <b>Продажі, 26.11.2026</b>")
        assert photos[0].params["content"].startswith(b"\x89PNG")
    assert sum(1 for method, _ in fake.requests if method == "sendPhoto") == 3


def test_run_refuses_unknown_jobs_bad_moments_and_a_missing_token(
    database_url,
    monkeypatch,
):
    assert crm_run("jobs", "run", "digests:horoscope").exit_code == 2
    bad = crm_run("jobs", "run", "digests:funnel_daily", "--now", "tomorrow")
    assert bad.exit_code == 2 and "--now" in bad.output
    monkeypatch.delenv("CRM_BOT_TOKEN", raising=False)
    get_settings.cache_clear()
    missing = crm_run("jobs", "run", "digests:funnel_daily")
    assert missing.exit_code == 2 and "CRM_BOT_TOKEN" in missing.output
