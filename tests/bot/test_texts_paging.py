"""Long texts are paged within Telegram's limit; user text is escaped; buttons fit 64 bytes."""

from __future__ import annotations

import pytest

from bot.texts.helpers import (
    MESSAGE_LIMIT,
    Html,
    Translator,
    check_callback_data,
    escape,
    escape_values,
    split_text,
)
from tests.fakes.telegram import ApiError, visible_text


def test_a_long_timeline_is_paged_on_line_ends_and_every_page_parses():
    lines = [f"<b>{i:04d}</b> Дзвінок: {escape('ТОВ «Альфа» & <Бета>')}" for i in range(400)]
    text = "\n".join(lines)
    assert len(text) > 3 * MESSAGE_LIMIT

    pages = split_text(text)

    assert all(len(page) <= MESSAGE_LIMIT for page in pages)
    assert "\n".join(pages) == text  # nothing lost, nothing cut inside a line
    for page in pages:
        visible_text(page)  # the fake parses HTML as Telegram does


def test_a_single_huge_line_is_cut_at_spaces_and_never_inside_an_entity():
    line = " ".join(["&amp;&lt;x&gt;"] * 2000)
    pages = split_text(line, limit=1000)
    assert all(len(page) <= 1000 for page in pages)
    assert " ".join(pages) == line
    for page in pages:
        assert visible_text(page).startswith("&<x>")

    unbroken = "&amp;" * 1000
    pages = split_text(unbroken, limit=998)
    assert "".join(pages) == unbroken
    assert all(page.endswith(";") for page in pages)


async def test_a_long_text_is_sent_as_several_messages_with_the_keyboard_last(
    fake_telegram,
):
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    from bot.session import build_bot
    from bot.texts.helpers import send_paged
    from tests.bot.conftest import make_settings

    bot = build_bot(make_settings(fake_telegram, "."))
    text = "\n".join(f"{i}. <i>{escape('<нотатка>')}</i> " + "x" * 60 for i in range(200))
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Далі", callback_data="next")]]
    )
    try:
        sent = await send_paged(bot, 5, text, reply_markup=keyboard)
    finally:
        await bot.session.close()
    events = fake_telegram.pending_events(5)
    assert len(sent) == len(events) == len(split_text(text)) == 5
    assert [bool(e.buttons) for e in events] == [False, False, False, False, True]
    assert "\n".join(visible_text(e.text) for e in events) == visible_text(text)


def test_short_and_empty_texts_are_one_page():
    assert split_text("Привіт") == ["Привіт"]
    assert split_text("") == [""]


def test_escaping_keeps_safe_html_and_escapes_everything_else():
    assert escape("Tom & <Jerry>") == "Tom &amp; &lt;Jerry&gt;"
    assert escape(None) == ""
    safe = Html("<b>1 234,00 грн</b>")
    assert escape(safe) is safe
    assert escape_values({"name": "<x>", "total": safe, "n": 3}) == {
        "name": "&lt;x&gt;", "total": safe, "n": 3,
    }  # fmt: skip
    with pytest.raises(ApiError):
        visible_text("Tom & <Jerry>")  # what Telegram would refuse unescaped


def test_callback_data_must_fit_64_bytes():
    assert check_callback_data("deal:123456:stage:7") == "deal:123456:stage:7"
    with pytest.raises(ValueError):
        check_callback_data("партнер" * 5)  # 70 bytes in UTF-8
    with pytest.raises(ValueError):
        check_callback_data("")


def test_translator_binds_the_locale_and_formats():
    uk, en = Translator("uk"), Translator("en")
    assert uk("Main menu") == "Головне меню" and en("Main menu") == "Main menu"
    assert en("Welcome, %(name)s! You are registered as %(role)s.", name="A", role="admin") == (
        "Welcome, A! You are registered as admin."
    )
    assert en.ngettext("%(n)s call", "%(n)s calls", 1) == "1 call"
    assert en.ngettext("%(n)s call", "%(n)s calls", 5) == "5 calls"
