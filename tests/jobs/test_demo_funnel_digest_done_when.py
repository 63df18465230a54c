"""Issue 7's "done when": on the demo database (`crm demo seed`), with the heads of sales bound
to Telegram accounts (`crm users link`), `crm jobs run digests:funnel_daily --now ...` sends every
head their digest with its chart, once. The commands run as real processes against the fake Bot
API; the database is SQLite, or PostgreSQL with CRM_TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys

import pytest

from core.config import get_settings
from models import Employee
from tests.bot.test_run_end_to_end import CLI, ROOT
from tests.cli.conftest import _create_pg_database, crm_run, run_in_db
from tests.conftest import PG_URL, _drop_pg_database, fresh_db_url
from tests.fakes.telegram import FakeTelegram
from tests.jobs.test_cli_jobs_commands import threaded_fake  # noqa: F401  (fixture)

NOW = "2026-11-27T07:30:00+00:00"  # 09:30 in Kyiv
HEAD_CHATS = (810_000_001, 810_000_002)


@pytest.fixture(scope="module")
def demo(migrated_template, tmp_path_factory):
    """The demo company in a database of its own (seeded once: it takes a while), with the
    invitations `crm demo seed --invitations` printed."""
    data_dir = tmp_path_factory.mktemp("demo")
    if PG_URL:
        url = fresh_db_url()
        asyncio.run(_create_pg_database(url, template=migrated_template))
    else:
        shutil.copy(migrated_template.removeprefix("sqlite://"), data_dir / "crm.sqlite3")
        url = f"sqlite://{data_dir / 'crm.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRM_DATABASE_URL", url)
        patch.setenv("CRM_DATA_DIR", str(data_dir))
        patch.setenv("CRM_DEFAULT_LOCALE", "en")
        patch.setenv("CRM_BOT_USERNAME", "@budtorg_crm_bot")
        get_settings.cache_clear()
        seeded = crm_run("demo", "seed", "--invitations")
        get_settings.cache_clear()
    assert seeded.exit_code == 0, seeded.output
    yield url, data_dir, seeded.output
    if PG_URL:
        asyncio.run(_drop_pg_database(url))


def crm(url, data_dir, fake: FakeTelegram, *args: str, lang: str = "en"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(
        PYTHONPATH=str(ROOT), CRM_DATABASE_URL=url, CRM_DATA_DIR=str(data_dir),
        CRM_DEFAULT_LOCALE=lang, CRM_BOT_TOKEN=fake.token, CRM_TELEGRAM_API_BASE=fake.base_url,
    )  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=data_dir, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


async def _heads() -> list[tuple[str, str, str]]:
    rows = Employee.filter(role="head").order_by("id")
    return await rows.values_list("email", "full_name", "team__name")


def test_demo_seed_prints_an_invitation_per_head_and_manager(demo):
    _, _, output = demo
    links = re.findall(r"https://t\.me/budtorg_crm_bot\?start=[A-Za-z0-9_-]{32}", output)
    assert len(links) == len(set(links)) == 9  # 2 heads of sales and 7 managers; no admin
    line = next(row for row in output.splitlines() if row.startswith("Ірина Коваленко"))
    assert "head of sales · Київ — оптові продажі · i.kovalenko@budtorg.ua: https://t.me/" in line
    assert "Олександр Петренко" not in output  # the administrator gets no invitation
    assert "crm users link EMAIL --telegram-id" in output


def test_every_head_gets_the_funnel_digest_with_its_chart_once(demo, threaded_fake):  # noqa: F811
    url, data_dir, _ = demo
    fake = threaded_fake
    heads = run_in_db(url, _heads)
    assert len(heads) == len(HEAD_CHATS)

    for (email, name, _), chat in zip(heads, HEAD_CHATS, strict=True):
        linked = crm(url, data_dir, fake, "users", "link", email, "--telegram-id", str(chat),
                     lang="uk")  # fmt: skip
        assert linked.returncode == 0, linked.stderr
        assert linked.stdout.startswith(f"{name} (керівник відділу продажу, id ")
        assert f"прив'язано до облікового запису Telegram {chat}" in linked.stdout

    first = crm(url, data_dir, fake, "jobs", "run", "digests:funnel_daily", "--now", NOW)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "27.11.2026 09:30 (Europe/Kyiv): due 2, sent 2, sent before 0" in first.stdout

    for (_, _, team), chat in zip(heads, HEAD_CHATS, strict=True):
        events = fake.history[chat]
        assert [e.kind for e in events] == ["photo"]
        caption = events[0].text
        assert caption.startswith("📊 <b>Продажі, 26.11.2026</b>")
        assert team in caption  # the head's own team's figures
        assert events[0].params["content"].startswith(b"\x89PNG")
    photos = [params for method, params in fake.requests if method == "sendPhoto"]
    assert sorted(int(p["chat_id"]) for p in photos) == sorted(HEAD_CHATS)  # nobody else

    again = crm(url, data_dir, fake, "jobs", "run", "digests:funnel_daily", "--now", NOW)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "due 2, sent 0, sent before 2" in again.stdout
    assert sum(1 for method, _ in fake.requests if method == "sendPhoto") == len(HEAD_CHATS)
