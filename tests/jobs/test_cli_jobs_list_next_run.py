"""`crm jobs list` says when each job runs next and, for the digests, when they next go out at
their default time, in the company's time zone (Europe/Kyiv)."""

from __future__ import annotations

import datetime as dt

from core import clock
from core.config import get_settings
from tests.cli.conftest import crm_run

FRIDAY = dt.datetime(2026, 11, 27, 7, 30, 10, tzinfo=dt.UTC)  # Friday 09:30:10 in Kyiv


def _block(lines: list[str], job_id: str) -> list[str]:
    at = lines.index(job_id)
    block = []
    for line in lines[at + 1 :]:
        if not line.startswith("  "):
            break
        block.append(line.strip())
    return block


def _jobs_list(monkeypatch, locale: str) -> list[str]:
    """The lines of `crm jobs list` on FRIDAY in `locale`, in the default time zone."""
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", locale)
    monkeypatch.delenv("CRM_TIMEZONE", raising=False)
    get_settings.cache_clear()
    clock.freeze(FRIDAY)
    try:
        result = crm_run("jobs", "list")
    finally:
        clock.unfreeze()
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_list_shows_the_next_run_in_local_time(monkeypatch):
    lines = _jobs_list(monkeypatch, "en")

    daily = _block(lines, "digests:funnel_daily")
    assert "next run: within a minute (while `crm run` or `crm jobs` runs)" in daily
    assert "next at the default time: 28.11.2026 09:00" in daily  # 09:00 today has passed
    weekly = _block(lines, "digests:funnel_weekly")
    assert "next at the default time: 30.11.2026 09:00" in weekly  # Monday
    claims = _block(lines, "digests:claims_daily")
    assert "next at the default time: 27.11.2026 09:30" not in claims  # that minute has begun
    assert "next at the default time: 28.11.2026 09:30" in claims
    rotting = _block(lines, "reminders:rotting")
    assert "next at the default time: 27.11.2026 10:00" in rotting
    tasks = _block(lines, "reminders:tasks")
    assert tasks[-1] == "next run: within a minute (while `crm run` or `crm jobs` runs)"
    assert not any(line.startswith("next at the default time") for line in tasks)
    monthly = _block(lines, "classify:monthly")
    assert monthly[-1] == "next run: 27.11.2026 10:20 (Europe/Kyiv)"  # hourly at :20 UTC


def test_list_in_ukrainian(monkeypatch):
    lines = _jobs_list(monkeypatch, "uk")
    daily = _block(lines, "digests:funnel_daily")
    assert "наступний запуск: протягом хвилини (поки працює `crm run` або `crm jobs`)" in daily
    assert "наступна розсилка в типовий час: 28.11.2026 09:00" in daily
    monthly = _block(lines, "classify:monthly")
    assert monthly[-1] == "наступний запуск: 27.11.2026 10:20 (Europe/Kyiv)"
