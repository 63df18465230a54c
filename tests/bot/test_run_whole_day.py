"""A whole working day in Telegram, without Telegram: `crm run` as a real process in polling
mode against the fake Bot API on loopback (tests/fakes/telegram.py), one SQLite data directory.

The operator loads the shipped process kinds and invites an administrator and a manager with
`crm users invite`. The manager registers and creates a deal for a new client; the bot process
is restarted in the middle of that wizard and the wizard goes on where it was. She logs a call
with a next step, completes that task, moves the deal to the next stage, attaches a file from
her phone and marks the deal won; a second, guided deal gets its first task done (refused until
a call is logged). The administrator gets the funnel as a chart and as an XLSX file. A stranger
is refused once and hears nothing more. The users press buttons by their visible text; what
they saw is checked in the fake, what happened in the SQLite database afterwards.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest_asyncio
from openpyxl import load_workbook

from services.validation import edrpou_check_digit
from tests.bot.processes import EMBEDDED_ONLY, BotProcess
from tests.fakes.telegram import BotEvent, FakeTelegram

pytestmark = EMBEDDED_ONLY

MANAGER, ADMIN, STRANGER = 42, 43, 777
WAIT = 30.0  # generous: the bot process is on a loaded machine; nothing here sleeps
EDRPOU = "3214567" + str(edrpou_check_digit("3214567"))
PDF = b"%PDF-1.4\n% the commercial offer\n"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XLSX_SIGNATURE = b"PK\x03\x04"
SCREENS = frozenset({"send", "edit"})


class Chat:
    """One user of the fake Telegram: types, presses buttons by their text, and reads the
    window the bot shows in reply."""

    def __init__(self, fake: FakeTelegram, chat_id: int, first_name: str) -> None:
        self.fake, self.chat_id = fake, chat_id
        self.user = fake.user(chat_id, first_name=first_name)

    async def next(self, kinds: frozenset[str] | set[str] = SCREENS) -> BotEvent:
        return await self.fake.next_event(self.chat_id, timeout=WAIT, kinds=kinds)

    async def type(self, text: str) -> BotEvent:
        """Send a text; the window the bot sends below it (the old one loses its keyboard)."""
        await self.fake.user_message(self.chat_id, text, user=self.user)
        return await self.next({"send"})

    async def press(self, text: str, *, exact: bool = False) -> BotEvent:
        """Press the button on the latest keyboard; the window shown in reply."""
        callback = await self.fake.click(self.chat_id, text, user=self.user, exact=exact)
        await self.fake.wait_answered(callback, timeout=WAIT)  # every press is answered
        return await self.next()

    async def press_today(self) -> BotEvent:
        """The calendar marks today (in the employee's zone) as [27]."""
        [today] = [t for t in self.current().button_texts() if re.fullmatch(r"\[\d+]", t)]
        return await self.press(today, exact=True)

    def current(self) -> BotEvent:
        """The latest window, as it was shown."""
        for event in reversed(self.fake.history[self.chat_id]):
            if event.kind in SCREENS:
                return event
        raise LookupError("no window yet")


@pytest_asyncio.fixture
async def bot_process(fake_telegram: FakeTelegram, tmp_path: Path):
    process = BotProcess(fake_telegram, tmp_path)
    yield process
    await process.kill()
    # shown when the test fails: the bot's log, and what each chat saw
    print(process.log()[-20_000:])
    for chat_id, events in fake_telegram.history.items():
        for event in events:
            print(chat_id, event.kind, event.message.get("message_id"), repr(event.text[:200]))


async def test_a_whole_working_day(bot_process: BotProcess, fake_telegram: FakeTelegram):
    fake, process = fake_telegram, bot_process
    loaded = await process.cli("pipelines", "load", "--defaults")
    assert "typical_sale" in loaded and "simple_deal" in loaded
    admin_token = await process.invite("admin")
    manager_token = await process.invite("manager")
    await process.start()

    # --- the invitation -------------------------------------------------------------------------
    olena = Chat(fake, MANAGER, "Олена")
    await fake.user_message(MANAGER, f"/start {manager_token}", user=olena.user)
    assert (await olena.next()).text == "Вітаємо, Олена! Вас зареєстровано як: менеджер."
    menu = await olena.next()
    assert menu.text.endswith("Що робимо?") and "Нова угода" in menu.button_texts()
    assert "Звіти" not in menu.button_texts()  # reports are for heads and administrators

    # --- a stranger is refused once, and hears nothing more -------------------------------------
    await fake.user_message(STRANGER, "/start")
    refusal = await fake.next_event(STRANGER, timeout=WAIT)
    assert refusal.text.startswith("Вибачте, цей бот працює лише для працівників компанії.")
    assert refusal.buttons == []
    await fake.user_message(STRANGER, "/menu")

    # --- a new deal for a new client ------------------------------------------------------------
    search = await olena.press("Нова угода")
    assert "Хто клієнт?" in search.text
    nothing = await olena.type("Сонячний")
    assert "Нічого не знайдено за «Сонячний»" in nothing.text
    await olena.press("Новий партнер")
    await olena.type("ТОВ Сонячний Агро")
    bad = await olena.type(EDRPOU[:7] + str((int(EDRPOU[7]) + 1) % 10))
    assert "⚠️" in bad.text and "ЄДРПОУ партнера" in bad.text  # re-asked with the reason
    await olena.type(EDRPOU)
    await olena.type("Петро Іваненко")
    kinds = await olena.type("+380671234567")
    assert f"ТОВ Сонячний Агро</b> (новий) · код {EDRPOU} · контакт Петро Іваненко" in kinds.text
    assert kinds.button_texts()[:2] == ["Проста угода", "Типовий продаж"]
    await olena.press("Проста угода")
    potential = await olena.type("Насіння соняшнику, 20 т")
    assert potential.text.endswith("Потенційна сума в гривнях, напр. 125 000,50:")

    # the bot stops in the middle of the wizard and comes back: the wizard goes on
    assert await process.stop() == 0
    await process.start()
    calendar = await olena.type("150 000")
    assert "Назва: Насіння соняшнику, 20 т\nПотенційна сума: 150\xa0000,00\xa0грн" in calendar.text
    assert calendar.text.endswith("Коли плануєте закрити угоду?")
    confirm = await olena.press_today()
    assert "Перевірте й створіть угоду:" in confirm.text
    assert process.query("SELECT COUNT(*) FROM deal") == [(0,)]  # nothing before the confirmation

    card = await olena.press("Створити угоду")
    [(deal_id, number)] = process.query("SELECT id, number FROM deal")
    assert card.text.startswith(f"<b>{number}</b> · <b>Насіння соняшнику, 20 т</b>")
    assert "Партнер: ТОВ Сонячний Агро" in card.text
    assert "Етап: Нова угода (1 з 5)" in card.text
    assert "Потенційна сума: 150\xa0000,00\xa0грн" in card.text

    # --- log a call with a next step ------------------------------------------------------------
    await olena.press("Записати дзвінок")
    await olena.press("Відбувся")
    await olena.press("Вихідний")
    await olena.press("Учора")
    await olena.press("10:00", exact=True)
    contacts = await olena.press("15 хв")
    assert "▫️ Петро Іваненко" in contacts.button_texts()
    await olena.press("Петро Іваненко")
    await olena.press("Далі")
    await olena.type("Домовились про пробну партію")
    await olena.press("Задача з нагадуванням")
    await olena.press("Завтра")
    check = await olena.press("11:00", exact=True)
    assert check.text.endswith("Перевірте й збережіть:")
    saved = await olena.press("Зберегти")
    assert saved.text.endswith("✅ Збережено.")
    card = await olena.press("Відкрити угоду")
    assert "Наступна задача: Наступний крок: Насіння соняшнику, 20 т" in card.text
    assert "Домовились про пробну партію" in card.text  # the latest contacts

    # --- complete the task, move the deal on ----------------------------------------------------
    await olena.press("Виконати задачу")
    sure = await olena.type("Надіслав пропозицію")
    assert sure.text.startswith("Завершити задачу «Наступний крок: Насіння соняшнику, 20 т»?")
    card = await olena.press("Підтвердити")
    assert card.text.startswith("✅ Задачу виконано: Наступний крок")
    card = await olena.press("Наступний етап")
    assert card.text.startswith("✅ Угода тепер на етапі «Контакт з клієнтом».")
    assert "Етап: Контакт з клієнтом (2 з 5)" in card.text

    # --- a file from the phone, attached to the deal --------------------------------------------
    ask = await olena.press("Прикріпити файл")
    assert ask.text.startswith("Надішліть файл, фото чи голосове повідомлення")
    upload = await fake.user_document(
        MANAGER, PDF, "Пропозиція.pdf", "application/pdf", user=olena.user
    )
    card = await olena.next({"send"})
    assert card.text.startswith("📎 Прикріплено до угоди: Пропозиція.pdf")
    assert len(fake.downloads) == 1  # fetched with getFile and downloaded from the fake
    assert fake.files[upload["document"]["file_id"]]["file_path"] == fake.downloads[0]

    # --- won ------------------------------------------------------------------------------------
    sure = await olena.press("Позначити виграною")
    assert sure.button_texts()[:2] == ["✅ Підтвердити", "✖️ Скасувати"]
    card = await olena.press("Підтвердити")
    assert card.text.startswith("🏆 Угоду виграно. Вітаємо!")
    assert "Позначити виграною" not in card.button_texts()

    # --- a second deal for the same client, on the guided route ---------------------------------
    await olena.press("Головне меню")
    await olena.press("Нова угода")
    found = await olena.type("сонячний")
    assert f"ТОВ Сонячний Агро · {EDRPOU}" in found.button_texts()
    await olena.press("ТОВ Сонячний Агро")
    await olena.press("Типовий продаж")
    await olena.type("Добрива, сезон 2027")
    await olena.press("Пропустити")  # no amount yet
    await olena.press("Пропустити")  # no closing date yet
    card = await olena.press("Створити угоду")
    assert "Етап: Первинний контакт (1 з 9)" in card.text
    await olena.press("Виконати задачу")
    await olena.press("Без коментаря")
    missing = await olena.press("Підтвердити")  # the stage's exit check is not met yet
    assert "етап ще не можна завершити" in missing.text
    assert "• проведена (не запланована) взаємодія з клієнтом" in missing.text
    await olena.press("Записати дзвінок")
    await olena.press("Відбувся")
    await olena.press("Вхідний")
    await olena.press("Сьогодні")
    await olena.press("08:00", exact=True)
    await olena.press("5 хв")
    await olena.press("Далі")  # nobody ticked: the partner's contact is not asked for
    await olena.type("Клієнт сам зателефонував, цікавиться добривами")
    await olena.press("Без наступного кроку")
    await olena.press("Зберегти")
    await olena.press("Відкрити угоду")
    await olena.press("Виконати задачу")
    await olena.press("Без коментаря")
    card = await olena.press("Підтвердити")
    assert card.text.startswith("✅ Задачу виконано: Зафіксувати первинний контакт")
    assert "Етап: Кваліфікація клієнта (2 з 9)" in card.text

    # --- the administrator's report: a chart, then the XLSX -------------------------------------
    ivan = Chat(fake, ADMIN, "Іван")
    await fake.user_message(ADMIN, f"/start {admin_token}", user=ivan.user)
    assert (await ivan.next()).text == "Вітаємо, Іван! Вас зареєстровано як: адміністратор."
    assert "Звіти" in (await ivan.next()).button_texts()
    await ivan.press("Звіти")
    await ivan.press("Воронка продажу")
    report = await ivan.press("Цей місяць")  # the picture first, the text below it
    assert report.text.startswith("Воронка продажу\nПеріод: ")
    assert "Проста угода: увійшло 1" in report.text and "📊 XLSX" in report.button_texts()
    [chart] = fake.sent_files(ADMIN, "photo")
    assert chart.params["content"].startswith(PNG_SIGNATURE)
    assert chart.text.startswith("Воронка продажу: ")
    await ivan.press("XLSX")
    [table] = fake.sent_files(ADMIN, "document")
    assert table.params["file_name"].startswith("funnel_") and table.params["file_name"].endswith(
        ".xlsx"
    )
    assert table.params["content"].startswith(XLSX_SIGNATURE)
    book = load_workbook(io.BytesIO(table.params["content"]), read_only=True)
    cells = {str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for c in row if c is not None}  # fmt: skip
    assert {"Проста угода", "Типовий продаж"} <= cells

    # --- the stranger heard one refusal, nothing more -------------------------------------------
    assert await process.stop() == 0
    assert [e.kind for e in fake.history[STRANGER]] == ["send"]
    log = process.log()
    assert "Traceback" not in log and "UnknownIntent" not in log

    # --- the database afterwards ----------------------------------------------------------------
    [(manager_id,)] = process.query("SELECT id FROM employee WHERE telegram_id = ?", MANAGER)
    [(partner_id, partner_manager)] = process.query(
        "SELECT id, main_manager_id FROM partner WHERE name = 'ТОВ Сонячний Агро'"
    )
    assert partner_manager == manager_id
    assert process.query("SELECT edrpou FROM counterparty WHERE partner_id = ?", partner_id) == [
        (EDRPOU,)
    ]
    [(contact_id,)] = process.query(
        "SELECT id FROM contact_person WHERE partner_id = ? AND full_name = 'Петро Іваненко'",
        partner_id,
    )
    won = process.query(
        "SELECT d.status, d.closed, d.potential_minor, d.owner_id, d.partner_id, k.code, s.code"
        " FROM deal d JOIN deal_kind k ON k.id = d.kind_id JOIN stage s ON s.id = d.stage_id"
        " WHERE d.id = ?",
        deal_id,
    )
    assert won == [("won", 1, 15_000_000, manager_id, partner_id, "simple_deal", "contact")]
    call = process.query(
        "SELECT i.id, i.direction, i.done, i.result FROM interaction i"
        " WHERE i.deal_id = ? AND i.kind = 'call'",
        deal_id,
    )
    assert [row[1:] for row in call] == [("outgoing", 1, "Домовились про пробну партію")]
    assert process.query(
        "SELECT contact_id FROM interaction_participant WHERE interaction_id = ?", call[0][0]
    ) == [(contact_id,)]
    assert process.query("SELECT title, status, result FROM task WHERE deal_id = ?", deal_id) == [
        ("Наступний крок: Насіння соняшнику, 20 т", "done", "Надіслав пропозицію")
    ]
    [(file_name, size, sha256)] = process.query(
        "SELECT l.name, f.size, f.sha256 FROM file_link l JOIN stored_file f ON f.id = l.file_id"
        " WHERE l.deal_id = ?",
        deal_id,
    )
    assert (file_name, size) == ("Пропозиція.pdf", len(PDF))
    assert (process.data_dir / "files" / sha256[:2] / sha256[2:]).read_bytes() == PDF

    guided = process.query(
        "SELECT d.status, d.guided, s.code FROM deal d JOIN stage s ON s.id = d.stage_id"
        " WHERE d.id != ?",
        deal_id,
    )
    assert guided == [("open", 1, "qualification")]
    assert process.query(
        "SELECT t.status FROM task t JOIN deal d ON d.id = t.deal_id"
        " WHERE d.id != ? AND t.template_code = 'record_primary_contact'",
        deal_id,
    ) == [("done",)]
