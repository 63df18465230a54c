"""`crm run` watches the configured mailboxes beside the bot: a message APPENDed to the real
Dovecot lands on its deal and the owner gets the Telegram message (the fake Bot API on
loopback), whose buttons work. Without an active mailbox no worker starts.

The bot process uses the embedded default database (SQLite in a temporary CRM_DATA_DIR); the
notifications and their buttons on PostgreSQL are covered in-process
(tests/bot/test_email_notifier_buttons.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import sqlite3
import sys
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest_asyncio

from core.config import load_settings
from core.db import orm
from models import Mailbox
from services.mailboxes import add_mailbox
from tests.factories import load_default_kinds, make_deal, make_employee, make_partner
from tests.fakes.telegram import FakeTelegram
from tests.ingest.dovecot import Account

ROOT = Path(__file__).resolve().parents[2]
RUN = "from cli.main import main; main()"
STARTUP = 60.0
OWNER_TG = 4242
PASSWORD_ENV = "SALES_IMAP_PASSWORD"


@pytest_asyncio.fixture
async def fake_telegram():
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.close()


def settings_for(fake: FakeTelegram, data_dir: Path):
    return load_settings(
        _env_file=None,
        bot_token=fake.token,
        telegram_api_base=fake.base_url,
        data_dir=data_dir,
        database_url=None,
        redis_url=None,
        webhook_url=None,
    )


async def seed(fake: FakeTelegram, data_dir: Path, account: Account) -> str:
    """The operator's setup in the bot's own database: an employee with a deal, a mailbox."""
    async with orm(settings_for(fake, data_dir)):
        await load_default_kinds()
        owner = await make_employee(full_name="Іван Петренко", telegram_id=OWNER_TG, locale="en")
        partner = await make_partner(name="ТОВ Зірка-Агро", main_manager=owner)
        deal = await make_deal(owner=owner, partner=partner, title="Насіння соняшнику")
        await add_mailbox(
            "sales",
            host="127.0.0.1",
            port=account.server.port,
            security="plain",
            username=account.user,
            password_env=PASSWORD_ENV,
        )
        return deal.number


def raw_mail(subject: str) -> bytes:
    message = MimeMessage()
    message["From"] = "Олена Коваленко <olena@zirka-agro.test>"
    message["To"] = "sales@firm.test"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="zirka-agro.test")
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message.set_content("Доброго дня!\nНадсилаємо рахунок за жовтень.")
    return message.as_bytes()


async def start_bot(fake: FakeTelegram, data_dir: Path, account: Account):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(
        CRM_DATA_DIR=str(data_dir),
        CRM_BOT_TOKEN=fake.token,
        CRM_TELEGRAM_API_BASE=fake.base_url,
        CRM_LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        **{PASSWORD_ENV: account.password},
    )
    log = (data_dir / "bot.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN, "run", cwd=data_dir, env=env, stdout=log, stderr=log
    )
    await fake.wait_request("getUpdates", timeout=STARTUP)
    return proc


async def stop_bot(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(proc.wait(), 60)


def query(data_dir: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(data_dir / "crm.sqlite3") as conn:
        return conn.execute(sql, args).fetchall()


async def test_crm_run_puts_appended_mail_on_its_deal_and_tells_the_owner(
    fake_telegram: FakeTelegram, account: Account, tmp_path: Path
):
    fake = fake_telegram
    number = await seed(fake, tmp_path, account)
    proc = await start_bot(fake, tmp_path, account)
    try:
        account.append(raw_mail(f"Рахунок за жовтень [{number}]"))

        note = await fake.next_event(OWNER_TG, timeout=STARTUP)
        assert note.kind == "send"
        assert note.text.splitlines()[0] == f"📧 <b>New e-mail on the deal {number}</b>"
        assert "Subject: <b>Рахунок за жовтень" in note.text
        assert note.button_texts() == ["📂 Open the deal", "⏰ Reply later", "✖️ Not this deal"]
        [(state, deal_number)] = query(
            tmp_path,
            "SELECT e.state, d.number FROM email_message e JOIN deal d ON d.id = e.deal_id",
        )
        assert (state, deal_number) == ("attached", number)

        # the buttons work in the same process
        await fake.click(OWNER_TG, "Reply later")
        edited = await fake.next_event(OWNER_TG)
        assert edited.kind == "edit"
        assert edited.text.startswith("⏰ A task to reply is set for ")
        [(title,)] = query(tmp_path, "SELECT title FROM task WHERE due_at IS NOT NULL")
        assert title == f"Reply to the e-mail: Рахунок за жовтень [{number}]"
    finally:
        code = await stop_bot(proc)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert code == 0, log
    assert "ingest: watching sales" in log
    assert "Traceback" not in log


async def test_without_an_active_mailbox_no_worker_starts(
    db, fake_telegram: FakeTelegram, account: Account, tmp_path: Path, caplog
):
    from bot.app import build_app, ingest_hooks
    from bot.session import build_bot
    from bot.storage import DatabaseStorage

    await add_mailbox(
        "sales", host="127.0.0.1", port=account.server.port, security="plain",
        username=account.user, password_env=PASSWORD_ENV,
    )  # fmt: skip
    await Mailbox.filter(name="sales").update(active=False)  # configured, but switched off
    settings = settings_for(fake_telegram, tmp_path)
    startup, shutdown = ingest_hooks(settings)
    app = build_app(settings, bot=build_bot(settings), storage=DatabaseStorage(), manage_orm=False)
    with caplog.at_level(logging.INFO, logger="bot.app"):
        await startup(app)
    try:
        assert "ingest: no active mailboxes" in caplog.text
        assert "sales" not in {task.get_name() for task in asyncio.all_tasks()}
    finally:
        await shutdown(app)
        await app.bot.session.close()
