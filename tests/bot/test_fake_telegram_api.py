"""The fake Bot API itself (tests/fakes/telegram.py) answers aiogram as Telegram does."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from tests.fakes.telegram import FakeTelegram


@pytest.fixture
async def bot(fake_telegram: FakeTelegram):
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake_telegram.base_url))
    bot = Bot(fake_telegram.token, session=session)
    yield bot
    await bot.session.close()


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="b", callback_data=data)]]
    )


async def test_me_and_long_polling(bot: Bot, fake_telegram: FakeTelegram):
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "crm_test_bot")
    assert await bot.get_updates(timeout=0) == []
    poll = bot.get_updates(offset=0, timeout=30)
    await fake_telegram.user_message(5, "/start abc")
    [update] = await poll  # returned on arrival, not after 30 s
    assert update.message.text == "/start abc" and update.message.from_user.language_code == "uk"
    await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert fake_telegram.confirmed_update_id == update.update_id


async def test_messages_edits_and_button_presses(bot: Bot, fake_telegram: FakeTelegram):
    sent = await bot.send_message(5, "<b>Hi</b>", parse_mode="HTML", reply_markup=keyboard("go"))
    event = await fake_telegram.next_event(5)
    assert (event.kind, event.text, event.button_texts()) == ("send", "<b>Hi</b>", ["b"])

    callback_id = await fake_telegram.click(5, "b")
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query.data == "go" and update.callback_query.chat_instance
    await bot.answer_callback_query(callback_id, text="ok")
    assert (await fake_telegram.wait_answered(callback_id))["text"] == "ok"

    await bot.edit_message_text("Bye", chat_id=5, message_id=sent.message_id)
    assert (await fake_telegram.next_event(5)).text == "Bye"
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text("Bye", chat_id=5, message_id=sent.message_id)
    await bot.delete_message(5, sent.message_id)
    assert (await fake_telegram.next_event(5)).kind == "delete"


async def test_what_telegram_refuses(bot: Bot, fake_telegram: FakeTelegram):
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(5, "x", reply_markup=keyboard("д" * 33))
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(5, "Tom & <Jerry>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.send_message(5, "я" * 4097)
    fake_telegram.block(6)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(6, "x")
    fake_telegram.rate_limit("sendMessage", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(5, "x")
    assert flood.value.retry_after == 7
    await bot.send_message(5, "x")  # only once


async def test_files_both_ways(bot: Bot, fake_telegram: FakeTelegram):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 30
    photo = await bot.send_photo(5, BufferedInputFile(png, "chart.png"), caption="Воронка")
    event = await fake_telegram.next_event(5)
    assert (event.kind, event.text, event.params["content"]) == ("photo", "Воронка", png)
    document = await bot.send_document(5, BufferedInputFile(b"%PDF-1.4", "offer.pdf"))
    assert (await fake_telegram.next_event(5)).params["file_name"] == "offer.pdf"
    assert photo.photo and document.document.file_name == "offer.pdf"

    message = await fake_telegram.user_document(5, b"a;b\n1;2\n", "prices.csv", "text/csv")
    file = await bot.get_file(message["document"]["file_id"])
    downloaded = await bot.download_file(file.file_path)
    assert downloaded.read() == b"a;b\n1;2\n"
    shot = await fake_telegram.user_photo(5, b"JPEG...", caption="склад")
    assert (await bot.download(shot["photo"][-1]["file_id"])).read() == b"JPEG..."


async def test_commands_and_webhook_settings(bot: Bot, fake_telegram: FakeTelegram):
    from aiogram.types import BotCommand, BotCommandScopeChat

    await bot.set_my_commands([BotCommand(command="menu", description="Меню")], language_code="uk")
    await bot.set_my_commands([BotCommand(command="menu", description="M")],
                              scope=BotCommandScopeChat(chat_id=5))  # fmt: skip
    assert [c.description for c in await bot.get_my_commands(language_code="uk")] == ["Меню"]
    assert fake_telegram.commands["chat:5:"] == [{"command": "menu", "description": "M"}]
    await bot.set_webhook("https://x.test/hook", secret_token="abc")
    assert fake_telegram.webhook == {"url": "https://x.test/hook", "secret_token": "abc"}
    await bot.delete_webhook()
    assert fake_telegram.webhook == {}
    await bot.send_chat_action(5, "typing")
    assert fake_telegram.pending_events(5) == []  # not a message: skipped by default
    assert (await fake_telegram.next_event(5, kinds={"chat_action"})).params["action"] == "typing"
