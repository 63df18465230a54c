"""`crm run` wires the scheduler through `bot.app.jobs_hooks`: with CRM_JOBS_ENABLED (the
default) the App's start-up starts it and its shutdown stops it before the ORM closes; with
CRM_JOBS_ENABLED=false (the scheduler runs in `crm jobs` elsewhere) nothing is scheduled."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import jobs_hooks
from core.config import load_settings
from models.base import Role
from tests.bot.conftest import make_settings
from tests.factories import make_employee

MORNING = dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC)  # 09:00 in Kyiv


async def test_app_startup_starts_the_jobs_and_shutdown_stops_them(
    db, clock_at, make_harness, fake_telegram, tmp_path
):
    clock_at(MORNING)
    head = await make_employee(role=Role.HEAD)
    start, stop = jobs_hooks(make_settings(fake_telegram, tmp_path))
    app = make_harness(extra_startup=[start], extra_shutdown=[stop]).app
    await app.startup()
    scheduler = app.dispatcher["jobs"]
    try:
        assert scheduler.running
        event = await fake_telegram.next_event(head.telegram_id, timeout=20)
        assert event.kind == "photo" and event.text.startswith("📊 <b>Продажі, 26.11.2026</b>")
    finally:
        await app.shutdown()
    assert not scheduler.running
    assert "jobs" not in app.dispatcher.workflow_data


async def test_jobs_disabled_leaves_the_scheduler_to_crm_jobs(
    db, clock_at, make_harness, fake_telegram, tmp_path
):
    clock_at(MORNING)
    await make_employee(role=Role.HEAD)
    settings = make_settings(fake_telegram, tmp_path, jobs_enabled=False)
    start, stop = jobs_hooks(settings)
    app = make_harness(extra_startup=[start], extra_shutdown=[stop]).app
    await app.startup()
    try:
        assert "jobs" not in app.dispatcher.workflow_data
    finally:
        await app.shutdown()  # stopping what never started is fine


@pytest.mark.parametrize(
    ("value", "enabled"), [("false", False), ("0", False), ("true", True), ("1", True)]
)
def test_the_setting_is_read_from_the_environment(monkeypatch, value, enabled):
    monkeypatch.setenv("CRM_JOBS_ENABLED", value)
    assert load_settings(_env_file=None).jobs_enabled is enabled


def test_jobs_are_enabled_unless_said_otherwise(monkeypatch):
    monkeypatch.delenv("CRM_JOBS_ENABLED", raising=False)
    assert load_settings(_env_file=None).jobs_enabled is True


def test_a_wrong_value_names_the_setting(monkeypatch):
    from core.config import ConfigError

    monkeypatch.setenv("CRM_JOBS_ENABLED", "sometimes")
    with pytest.raises(ConfigError, match="CRM_JOBS_ENABLED is invalid"):
        load_settings(_env_file=None)
