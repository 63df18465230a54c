"""The composition root: start-up work, hooks for later workers, the webhook entry."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app, build_webhook_app, webhook_secret
from bot.session import build_bot
from tests.bot.conftest import CORE_FEATURES, make_settings


async def test_startup_registers_commands_and_runs_the_extra_workers(db, fake_telegram, tmp_path):
    settings = make_settings(fake_telegram, tmp_path)
    calls: list[str] = []

    async def scheduler(app) -> None:
        calls.append(f"start {app.settings.timezone}")

    async def stop_scheduler(app) -> None:
        calls.append("stop")

    app = build_app(settings, bot=build_bot(settings), manage_orm=False, features=CORE_FEATURES,
                    extra_startup=[scheduler], extra_shutdown=[stop_scheduler])  # fmt: skip
    await app.dispatcher.emit_startup(bot=app.bot)
    await app.dispatcher.emit_shutdown(bot=app.bot)
    await app.bot.session.close()

    assert calls == ["start Europe/Kyiv", "stop"]
    menus = fake_telegram.commands
    assert [c["command"] for c in menus[""]] == ["start", "menu", "cancel", "help"]
    assert menus[""] == menus["uk"]  # the default for other languages: Ukrainian
    assert [c["description"] for c in menus["en"]] == [
        "Start the bot", "Main menu", "Cancel and return to the main menu", "Help",
    ]  # fmt: skip
    assert [c["description"] for c in menus["uk"]][1:] == [
        "Головне меню", "Скасувати й повернутися до головного меню", "Довідка",
    ]  # fmt: skip


async def test_the_webhook_checks_telegrams_secret_header(db, fake_telegram, tmp_path):
    settings = make_settings(
        fake_telegram, tmp_path, webhook_url="https://crm.example.test/tg/hook",
        webhook_secret="s3cret-token",
    )  # fmt: skip
    app = build_app(settings, bot=build_bot(settings), manage_orm=False, features=CORE_FEATURES)
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 1795740000, "text": "hello",
            "chat": {"id": 60, "type": "private", "first_name": "X"},
            "from": {"id": 60, "is_bot": False, "first_name": "X", "language_code": "en"},
        },
    }  # fmt: skip
    async with TestClient(TestServer(build_webhook_app(app))) as client:
        body = json.dumps(update)
        forged = await client.post("/tg/hook", data=body, headers={
            "X-Telegram-Bot-Api-Secret-Token": "guess"})  # fmt: skip
        assert forged.status == 401
        missing = await client.post("/tg/hook", data=body)
        assert missing.status == 401
        assert fake_telegram.pending_events(60) == []

        genuine = await client.post("/tg/hook", data=body, headers={
            "X-Telegram-Bot-Api-Secret-Token": "s3cret-token"})  # fmt: skip
        assert genuine.status == 200
        refusal = await fake_telegram.next_event(60)  # handled: a stranger is refused
        assert refusal.text.startswith("Sorry, this bot works only for the employees")


def test_without_a_configured_secret_one_is_derived_from_the_token(fake_telegram, tmp_path):
    one = make_settings(fake_telegram, tmp_path, webhook_url="https://x.test/hook")
    again = make_settings(fake_telegram, tmp_path, webhook_url="https://x.test/hook")
    other = make_settings(fake_telegram, tmp_path, bot_token="654321:" + "B" * 35)
    assert webhook_secret(one) == webhook_secret(again) != webhook_secret(other)
    assert fake_telegram.token not in webhook_secret(one)


def test_dialogs_opened_within_one_second_get_different_ids(monkeypatch):
    """aiogram-dialog's own ids repeat once in 100 within a second, and a repeated id deletes
    the dialog underneath; the app's ids do not repeat."""
    from aiogram_dialog.api.entities import stack

    from bot.app import use_collision_free_intent_ids

    monkeypatch.setattr(stack, "new_id", stack.new_id)  # restored after the test
    monkeypatch.setattr(stack.time, "time", lambda: 1_790_000_000.0)  # one and the same second
    use_collision_free_intent_ids()
    ids = [stack.new_id() for _ in range(10_000)]

    assert len(set(ids)) == len(ids)
    assert max(len(i) for i in ids) <= 8  # callback data stays short
