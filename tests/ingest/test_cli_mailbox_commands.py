"""`crm mailbox add|list|remove|test` and the password rules (an env variable, or a file only
its owner can read), against the real Dovecot."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner

import cli.mailbox
from cli.mailbox import mailbox_group
from core.config import get_settings
from core.errors import ValidationFailed
from services.mailboxes import add_mailbox, get_mailbox, resolve_password


async def _invoke(*args: str):
    return await asyncio.to_thread(
        CliRunner().invoke, mailbox_group, list(args), catch_exceptions=False
    )


def _in_this_loop(monkeypatch):
    """The CLI runs in a thread here; its database work runs in the test's loop and database."""
    loop = asyncio.get_running_loop()

    def run_db(func, *args, **kwargs):
        return asyncio.run_coroutine_threadsafe(func(*args, **kwargs), loop).result(60)

    monkeypatch.setattr(cli.mailbox, "run_db", run_db)
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "en")  # the assertions below read English
    get_settings.cache_clear()


async def test_add_list_test_remove(db, account, tmp_path, monkeypatch):
    secret = tmp_path / "imap.pass"
    secret.write_text(account.password + "\n")
    secret.chmod(0o600)
    _in_this_loop(monkeypatch)

    added = await _invoke(
        "add",
        "sales",
        "--host",
        "127.0.0.1",
        "--port",
        str(account.server.port),
        "--security",
        "plain",
        "--user",
        account.user,
        "--password-file",
        str(secret),
        "--folder",
        "INBOX",
        "--plus-pattern",
        "sales+{tag}@firm.test",
    )
    assert added.exit_code == 0, added.output
    assert f"{account.user} at 127.0.0.1:{account.server.port}" in added.output

    await asyncio.to_thread(account.append, b"From: a@b.test\r\nSubject: x\r\n\r\ny\r\n")
    tested = await _invoke("test", "sales")
    assert tested.exit_code == 0, tested.output
    assert "IDLE" in tested.output
    assert "INBOX: messages: 1" in tested.output

    listed = await _invoke("list")
    assert f"sales: {account.user} @ 127.0.0.1:{account.server.port} (plain), INBOX; file:" in (
        listed.output
    )

    removed = await _invoke("remove", "sales", "--yes")
    assert removed.exit_code == 0
    assert "No mailboxes yet" in (await _invoke("list")).output


async def test_wrong_password_is_one_clear_line(db, account, monkeypatch):
    _in_this_loop(monkeypatch)
    monkeypatch.setenv("WRONG_PASSWORD", "not-it")
    await add_mailbox(
        "bad",
        host="127.0.0.1",
        port=account.server.port,
        security="plain",
        username=account.user,
        password_env="WRONG_PASSWORD",
    )

    result = await asyncio.to_thread(CliRunner().invoke, mailbox_group, ["test", "bad"])

    assert result.exit_code == 1
    assert "Authentication failed" in result.output


async def test_password_sources(db, tmp_path, monkeypatch):
    common = {"host": "imap.firm.test", "username": "sales@firm.test"}
    with pytest.raises(ValidationFailed) as neither:
        await add_mailbox("a", **common)
    assert neither.value.params["reason"] == "password_source"
    with pytest.raises(ValidationFailed):
        await add_mailbox("a", password_env="X", password_file="/tmp/y", **common)

    loose = tmp_path / "loose.pass"
    loose.write_text("secret")
    loose.chmod(0o644)
    with pytest.raises(ValidationFailed) as too_open:
        await add_mailbox("a", password_file=str(loose), **common)
    assert too_open.value.params["reason"] == "file_too_open"

    loose.chmod(0o600)
    row = await add_mailbox("a", password_file=str(loose), **common)
    assert (row.port, row.security) == (993, "tls")
    assert resolve_password(await get_mailbox("a")) == "secret"
    loose.chmod(0o640)  # someone loosened it later: the worker refuses to use it
    with pytest.raises(ValidationFailed) as later:
        resolve_password(await get_mailbox("a"))
    assert later.value.params["reason"] == "file_too_open"

    row = await add_mailbox("b", password_env="CRM_TEST_MISSING_PW", **common)
    monkeypatch.delenv("CRM_TEST_MISSING_PW", raising=False)
    with pytest.raises(ValidationFailed) as missing:
        resolve_password(row)
    assert missing.value.params == {
        "field": "password",
        "reason": "env_missing",
        "name": "CRM_TEST_MISSING_PW",
    }
    monkeypatch.setenv("CRM_TEST_MISSING_PW", "s3cret")
    assert resolve_password(row) == "s3cret"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("plus_pattern", "sales@firm.test", "bad_plus_pattern"),
        ("after_commit", "delete", "bad_after_commit"),
        ("security", "ssl3", "bad_choice"),
    ],
)
async def test_bad_settings_are_refused(db, field, value, reason):
    with pytest.raises(ValidationFailed) as error:
        await add_mailbox("x", host="h", username="u", password_env="P", **{field: value})
    assert error.value.params["reason"] == reason


async def test_ingest_once_catches_up_and_exits(db, mailbox, account, tmp_path, monkeypatch):
    import cli.ingest
    from core.config import load_settings
    from models import EmailMessage

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(
        cli.ingest,
        "run_db",
        lambda func, *a, **k: asyncio.run_coroutine_threadsafe(func(*a, **k), loop).result(120),
    )
    monkeypatch.setattr(
        cli.ingest,
        "settings",
        lambda: load_settings(files_dir=tmp_path / "files", log_level="WARNING"),
    )
    await asyncio.to_thread(
        account.append,
        b"From: a@b.test\r\nSubject: one\r\n\r\n1\r\n",
        b"From: c@d.test\r\nSubject: two\r\n\r\n2\r\n",
    )

    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli.ingest.ingest_cmd,
        ["--once", "--parse-workers", "0"],
        catch_exceptions=False,
    )

    assert result.exit_code == 0, result.output
    assert "sales: new messages: 2" in result.output
    assert await EmailMessage.all().count() == 2
    assert len(list((tmp_path / "files").rglob("*"))) > 2  # the raw messages are on disk
