"""Claims in the bot: registering a claim from a deal card and from a partner card with photos
and documents sent in the chat (bad input refused at every text step, in Ukrainian), the claim
card, taking it into work, closing it satisfied or not, reopening it, the history, and the list
with its filters and the search by number.

`claims_bot_world()`, `files_dir` and the chat helpers are shared by the other claim bot tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from aiogram.types import Message, Update

from core.config import get_settings
from models import Claim, ClaimEvent, Employee, FileLink, Partner, Team
from models.base import ClaimStatus, Role
from services.claims import ensure_default_causes, register_claim
from services.files import file_path
from tests.bot.conftest import buttons
from tests.bot.conftest import click as _click
from tests.factories import load_default_kinds, make_deal, make_employee, make_partner
from tests.fakes.telegram import visible_text

FEATURES = (
    "bot.dialogs.menu.dialog",
    "bot.dialogs.settings.dialog",
    "bot.dialogs.deals.dialog",
    "bot.dialogs.deal_card.dialog",
    "bot.dialogs.partners.dialog",
    "bot.dialogs.claims.dialog",
)
PNG = b"\x89PNG\r\n\x1a\n"
DENIED_UK = "У вас немає доступу до цього."


@dataclass
class ClaimsBotWorld:
    head: Employee  # telegram 3, team Київ
    me: Employee  # telegram 1, team Київ, manages ТОВ «Альфа», owns its deal
    colleague: Employee  # telegram 4, team Київ
    other: Employee  # telegram 2, team Львів, manages ТОВ «Бета»
    partner: Partner
    foreign_partner: Partner
    deal_id: int
    deal_number: str
    causes: dict[str, int]


async def claims_bot_world(locale: str = "uk") -> ClaimsBotWorld:
    await load_default_kinds()
    causes = {c.code: c.id for c in await ensure_default_causes()}
    kyiv, lviv = await Team.create(name="Київ"), await Team.create(name="Львів")
    head = await make_employee(telegram_id=3, role=Role.HEAD, team=kyiv, locale=locale,
                               full_name="Ірина Коваленко")  # fmt: skip
    me = await make_employee(telegram_id=1, team=kyiv, locale=locale,
                             full_name="Марина Бондаренко")  # fmt: skip
    colleague = await make_employee(telegram_id=4, team=kyiv, locale=locale,
                                    full_name="Олег Мельник")  # fmt: skip
    other = await make_employee(telegram_id=2, team=lviv, locale=locale,
                                full_name="Андрій Шевчук")  # fmt: skip
    partner = await make_partner(name="ТОВ «Альфа»", main_manager=me)
    foreign_partner = await make_partner(name="ТОВ «Бета»", main_manager=other)
    deal = await make_deal(owner=me, partner=partner, title="Поставка плитки")
    return ClaimsBotWorld(head, me, colleague, other, partner, foreign_partner, deal.id,
                          deal.number, causes)  # fmt: skip


async def foreign_claim(w: ClaimsBotWorld) -> Claim:
    """A claim of another team's client, registered by its manager."""
    return await register_claim(
        partner_id=w.foreign_partner.id, cause_id=w.causes["short_delivery"],
        description="Недовкладення 3 шт.", responsible_id=w.other.id, author_id=w.other.id,
    )  # fmt: skip


@pytest.fixture
def files_dir(tmp_path, monkeypatch):
    """Where `services.files` keeps what the claims get (the settings the services read)."""
    monkeypatch.setenv("CRM_FILES_DIR", str(tmp_path / "files"))
    get_settings.cache_clear()
    yield tmp_path / "files"
    get_settings.cache_clear()


async def click(harness, client, text: str, message=None) -> Message:
    """Press a button; the window shown must be HTML that Telegram parses."""
    shown = await _click(harness, client, text, message)
    visible_text(shown.text or "")
    return shown


async def typed(harness, client, text: str) -> Message:
    harness.mm.reset_history()
    await client.send(text)
    shown = harness.mm.last_message()
    visible_text(shown.text or "")
    return shown


async def send_photo(harness, client, content: bytes, chat_id: int = 1) -> Message:
    raw = await harness.fake.user_photo(chat_id, content)  # the bytes wait on the fake Bot API
    return await _feed(harness, client, raw)


async def send_document(harness, client, content: bytes, name: str, mime: str) -> Message:
    raw = await harness.fake.user_document(client.chat.id, content, name, mime)
    return await _feed(harness, client, raw)


async def _feed(harness, client, raw) -> Message:
    harness.mm.reset_history()
    await client.dp.feed_update(
        client.bot, Update(update_id=client._new_update_id(), message=Message.model_validate(raw))
    )
    return harness.mm.last_message()


async def open_deal_card(harness, client, deal_number: str) -> Message:
    await client.send("/menu")
    await click(harness, client, "Мої угоди")
    return await click(harness, client, deal_number)


# --- registering from a deal card ---------------------------------------------------------------


async def test_register_a_claim_from_a_deal_card_with_a_photo_then_work_it_to_satisfied(
    make_harness, frozen_clock, files_dir
):
    harness = make_harness(features=FEATURES)
    w = await claims_bot_world()
    client = harness.client(1)
    card = await open_deal_card(harness, client, w.deal_number)
    assert "📮 Зареєструвати претензію" in buttons(card)

    causes = await click(harness, client, "Зареєструвати претензію")
    assert causes.text == (
        "<b>Нова претензія</b>\n"
        "🏢 Партнер: ТОВ «Альфа»\n"
        f"💼 Підстава: угода {w.deal_number} Поставка плитки\n"
        "Чого стосується претензія? Оберіть причину:"
    )
    assert buttons(causes)[:2] == [
        "Пошкодження товару під час перевезення", "Недопоставка (нестача кількості)",
    ]  # fmt: skip
    assert buttons(causes)[-2:] == ["⬅️ Назад", "🏠 Головне меню"]

    describe = await click(harness, client, "Пошкодження товару")
    assert describe.text.endswith(
        "❗ Причина: Пошкодження товару під час перевезення\n"
        "Опишіть претензію: що сталося, який товар, скільки?"
    )
    refused = await typed(harness, client, "   ")
    assert refused.text.endswith("\n⚠️ Опис: обов'язкове поле")
    refused = await typed(harness, client, "б" * 4001)
    assert refused.text.endswith("\n⚠️ Опис: задовге (не більше 4000 символів)")
    amount = await typed(harness, client, "Бій плитки <Cersanit>: 12 коробок")
    assert "📝 Бій плитки &lt;Cersanit&gt;: 12 коробок" in amount.text
    assert amount.text.endswith(
        "Яку суму заявляє клієнт, у гривнях? Напр. 1 234,56. Або пропустіть."
    )
    assert buttons(amount) == ["⏭ Без суми", "⬅️ Назад", "🏠 Головне меню"]
    for bad, says in (
        ("дванадцять тисяч", "Заявлена сума: не є числом"),
        ("-5", "Заявлена сума: не може бути від'ємним"),
        ("1,2,3", "Заявлена сума: не є числом"),
    ):
        refused = await typed(harness, client, bad)
        assert refused.text.endswith(f"\n⚠️ {says}"), refused.text
    responsible = await typed(harness, client, "12 345,60 грн")
    assert "💰 Сума претензії: 12 345,60 грн" in responsible.text
    assert responsible.text.endswith(
        "Відповідальний: <b>Марина Бондаренко</b>. Залиште або оберіть іншого:"
    )
    assert buttons(responsible)[0] == "✅ Залишити"

    photos = await click(harness, client, "Залишити")
    assert photos.text.endswith(
        "Надішліть фото пошкодженого товару або документи (одне чи кілька), потім натисніть "
        "«Готово»."
    )
    assert buttons(photos) == ["⏭ Без фото", "⬅️ Назад", "🏠 Головне меню"]
    refused = await typed(harness, client, "фото потім")
    assert refused.text.endswith(
        "\n⚠️ Це не фото і не файл: надішліть фото чи документ або натисніть «Готово»."
    )
    content = PNG + b"broken tiles"
    shown = await send_photo(harness, client, content)
    assert shown.text.endswith("📎 1 файл: photo_20261127_110000.jpg")
    assert buttons(shown) == ["✅ Готово", "⬅️ Назад", "🏠 Головне меню"]

    confirm = await click(harness, client, "Готово")
    assert confirm.text == (
        "<b>Нова претензія</b>\n"
        "Перевірте й зареєструйте:\n"
        "🏢 Партнер: ТОВ «Альфа»\n"
        f"💼 Підстава: угода {w.deal_number} Поставка плитки\n"
        "❗ Причина: Пошкодження товару під час перевезення\n"
        "📝 Бій плитки &lt;Cersanit&gt;: 12 коробок\n"
        "💰 Сума претензії: 12 345,60 грн\n"
        "👤 Відповідальний: Марина Бондаренко\n"
        "📎 Файли (1): photo_20261127_110000.jpg"
    )
    assert await Claim.all().count() == 0  # nothing is written before the confirmation

    card = await click(harness, client, "Зареєструвати")
    claim = await Claim.get(partner_id=w.partner.id)
    assert claim.number == "C-000001"
    assert card.text == (
        "✅ Претензію C-000001 зареєстровано.\n"
        "<b>Претензія C-000001</b> · Зареєстрована\n"
        "🏢 Партнер: ТОВ «Альфа»\n"
        f"💼 Підстава: угода {w.deal_number} Поставка плитки\n"
        "❗ Причина: Пошкодження товару під час перевезення\n"
        "📝 Бій плитки &lt;Cersanit&gt;: 12 коробок\n"
        "💰 Сума претензії: 12 345,60 грн\n"
        "👤 Відповідальний: Марина Бондаренко\n"
        "⏳ Відповісти до: 28.11.2026 11:00\n"
        "📎 Файли (1): photo_20261127_110000.jpg"
    )
    assert buttons(card) == [
        "🛠 Взяти в роботу",
        "🏁 Закрити претензію", "🗓 Запланувати задачу",
        "📝 Додати примітку", "📎 Прикріпити фото чи файл",
        "🕓 Історія",
        "⬅️ Назад", "🏠 Головне меню",
    ]  # fmt: skip
    assert (claim.deal_id, claim.responsible_id, claim.author_id) == (w.deal_id, w.me.id, w.me.id)
    assert (claim.claimed_minor, claim.status) == (1_234_560, ClaimStatus.REGISTERED)
    link = await FileLink.get(claim_id=claim.id).select_related("file")
    assert link.name == "photo_20261127_110000.jpg" and link.file.mime_type == "image/jpeg"
    assert link.file.sha256 == hashlib.sha256(content).hexdigest()
    assert file_path(link.file.sha256, files_dir).read_bytes() == content

    card = await click(harness, client, "Взяти в роботу")
    assert card.text.startswith(
        "✅ Претензія C-000001 обробляється.\n<b>Претензія C-000001</b> · Обробляється\n"
    )
    assert "🛠 Взяти в роботу" not in buttons(card)

    outcome = await click(harness, client, "Закрити претензію")
    assert outcome.text == "<b>Претензія C-000001</b>\nЯке рішення за претензією?"
    assert buttons(outcome) == ["✅ Задоволена", "⛔ Не задоволена", "⬅️ Назад", "🏠 Головне меню"]
    await click(harness, client, "✅ Задоволена")
    refused = await typed(harness, client, "  ")
    assert refused.text.endswith("\n⚠️ Рішення: обов'язкове поле")
    department = await typed(harness, client, "Замінили 12 коробок за рахунок перевізника")
    assert department.text == (
        "<b>Претензія C-000001</b>: Задоволена\nЯкий підрозділ винен? Напишіть або пропустіть."
    )
    refused = await typed(harness, client, "С" * 201)
    assert refused.text.endswith("\n⚠️ Винний підрозділ: задовге (не більше 200 символів)")
    guilty = await typed(harness, client, "Склад")
    assert buttons(guilty)[-3:] == ["⏭ Пропустити", "⬅️ Назад", "🏠 Головне меню"]
    confirm = await click(harness, client, "Олег Мельник")
    assert confirm.text == (
        "<b>Претензія C-000001</b>\n"
        "Закрити претензію як «Задоволена».\n"
        "Результат: Замінили 12 коробок за рахунок перевізника\n"
        "Винний підрозділ: Склад\n"
        "Винний співробітник: Олег Мельник\n"
        "\n"
        "Усе правильно?"
    )
    assert (await Claim.get(id=claim.id)).status == ClaimStatus.IN_PROCESSING
    card = await click(harness, client, "Підтвердити")
    assert card.text.startswith("✅ Претензію закрито.\n<b>Претензія C-000001</b> · Задоволена\n")
    assert "🏁 Закрито: 27.11.2026 11:00\nРезультат: Замінили 12 коробок" in card.text
    assert "Винний підрозділ: Склад\nВинний співробітник: Олег Мельник" in card.text
    assert "⏳" not in card.text
    assert buttons(card) == [
        "↩️ Відкрити знову", "📝 Додати примітку", "📎 Прикріпити фото чи файл", "🕓 Історія",
        "⬅️ Назад", "🏠 Головне меню",
    ]  # fmt: skip
    closed = await Claim.get(id=claim.id)
    assert closed.status == ClaimStatus.SATISFIED
    assert (closed.resolution, closed.guilty_department, closed.guilty_employee_id) == (
        "Замінили 12 коробок за рахунок перевізника", "Склад", w.colleague.id,
    )  # fmt: skip

    history = await click(harness, client, "Історія")
    assert history.text.split("\n\n") == [
        "<b>Претензія C-000001: історія</b>",
        "27.11.2026 11:00 · <b>Претензію закрито</b> — Марина Бондаренко\n"
        "   Задоволена: Замінили 12 коробок за рахунок перевізника",
        "27.11.2026 11:00 · <b>Взято в роботу</b> — Марина Бондаренко",
        "27.11.2026 11:00 · <b>Файл прикріплено</b> — Марина Бондаренко\n"
        "   photo_20261127_110000.jpg",
        "27.11.2026 11:00 · <b>Претензію зареєстровано</b> — Марина Бондаренко",
    ]
    await click(harness, client, "Назад")
    back = await click(harness, client, "Назад")  # the card was opened by the deal card's wizard
    assert back.text.startswith(f"<b>{w.deal_number}")


# --- registering from a partner card ------------------------------------------------------------


async def test_register_from_a_partner_card_with_photos_and_a_document_then_not_satisfied(
    make_harness, frozen_clock, files_dir
):
    harness = make_harness(features=FEATURES)
    w = await claims_bot_world()
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Партнери")
    await click(harness, client, "Мої партнери")
    card = await click(harness, client, "Альфа")
    assert buttons(card)[-4:-2] == ["📮 Зареєструвати претензію", "📂 Претензії"]

    causes = await click(harness, client, "Зареєструвати претензію")
    assert causes.text.startswith("<b>Нова претензія</b>\n🏢 Партнер: ТОВ «Альфа»\nЧого")
    await click(harness, client, "Некомплектність")
    await typed(harness, client, "Бракує кріплень у 5 комплектах")
    responsible = await click(harness, client, "Без суми")
    assert "💰 Сума претензії: не вказана" in responsible.text
    photos = await click(harness, client, "Олег Мельник")  # another responsible person
    await send_photo(harness, client, PNG + b"one")
    await send_photo(harness, client, PNG + b"two")  # the same second: named apart
    shown = await send_document(harness, client, b"%PDF act", "Акт.pdf", "application/pdf")
    assert shown.text.endswith(
        "📎 3 файли: photo_20261127_110000.jpg, photo_20261127_110000_2.jpg, Акт.pdf"
    )
    assert photos.text != shown.text
    confirm = await click(harness, client, "Готово")
    assert "👤 Відповідальний: Олег Мельник" in confirm.text
    assert "💼" not in confirm.text  # no deal: the basis is the partner alone

    card = await click(harness, client, "Зареєструвати")
    assert card.text.startswith("✅ Претензію C-000001 зареєстровано.")
    claim = await Claim.get(partner_id=w.partner.id)
    assert (claim.deal_id, claim.responsible_id, claim.claimed_minor) == (None, w.colleague.id, 0)
    names = await FileLink.filter(claim_id=claim.id).order_by("id").values_list("name", flat=True)
    assert names == ["photo_20261127_110000.jpg", "photo_20261127_110000_2.jpg", "Акт.pdf"]

    note = await click(harness, client, "Додати примітку")
    assert note.text == "<b>Претензія C-000001</b>\nНапишіть примітку:"
    refused = await typed(harness, client, " ")
    assert refused.text.endswith("\n⚠️ Коментар: обов'язкове поле")
    confirm = await typed(harness, client, "Клієнт чекає дзвінка")
    assert confirm.text == (
        "<b>Претензія C-000001</b>\nДодати примітку:\nКлієнт чекає дзвінка\n\nУсе правильно?"
    )
    card = await click(harness, client, "Підтвердити")
    assert card.text.startswith("✅ Примітку додано.")

    await click(harness, client, "Закрити претензію")
    await click(harness, client, "Не задоволена")
    confirm = await typed(harness, client, "Комплектність підтверджено актом")
    assert confirm.text == (
        "<b>Претензія C-000001</b>\n"
        "Закрити претензію як «Не задоволена».\n"
        "Результат: Комплектність підтверджено актом\n"
        "\n"
        "Усе правильно?"
    )
    card = await click(harness, client, "Підтвердити")
    assert card.text.startswith("✅ Претензію закрито.\n<b>Претензія C-000001</b> · Не задоволена")
    assert (await Claim.get(id=claim.id)).status == ClaimStatus.NOT_SATISFIED

    reason = await click(harness, client, "Відкрити знову")
    refused = await typed(harness, client, " ")
    assert refused.text.endswith("\n⚠️ Коментар: обов'язкове поле")
    confirm = await typed(harness, client, "Клієнт надіслав нові фото")
    assert "Відкрити претензію знову. Причина:\nКлієнт надіслав нові фото" in confirm.text
    card = await click(harness, client, "Підтвердити")
    assert card.text.startswith("✅ Претензію відкрито знову.\n<b>Претензія C-000001</b> · Обр")
    assert "⏳ Відповісти до: 29.11.2026 11:00" in card.text  # a fresh response time (48 h)
    reopened = await Claim.get(id=claim.id)
    assert (reopened.status, reopened.resolution) == (ClaimStatus.IN_PROCESSING, "")
    assert reason.text.endswith("Чому претензію відкрито знову? Напишіть причину:")

    attach = await click(harness, client, "Прикріпити фото чи файл")
    assert attach.text == (
        "<b>Претензія C-000001</b>\nНадішліть фото або файл: його буде прикріплено до претензії."
    )
    card = await send_photo(harness, client, PNG + b"three")
    assert card.text.startswith("📎 Прикріплено до претензії: photo_20261127_110000.jpg")
    assert "📎 Файли (4)" in card.text
    actions = (
        await ClaimEvent.filter(claim_id=claim.id).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["registered", "file_attached", "file_attached", "file_attached", "note",
                       "closed", "reopened", "file_attached"]  # fmt: skip

    back = await click(harness, client, "Назад")
    assert back.text.startswith("🏢 <b>ТОВ «Альфа»</b>")
    claims = await click(harness, client, "📂 Претензії")
    assert claims.text.startswith("<b>Претензії ТОВ «Альфа»</b>\n1 претензія")
    assert buttons(claims)[:4] == [
        "• Відкриті",
        "Прострочені",
        "Закриті",
        "🛠 C-000001 · ТОВ «Альфа»",
    ]


# --- a plan of work -----------------------------------------------------------------------------


async def test_plan_a_task_takes_the_claim_into_processing(make_harness, frozen_clock, files_dir):
    from models import Task

    harness = make_harness(features=FEATURES)
    w = await claims_bot_world()
    claim = await register_claim(
        partner_id=w.partner.id, cause_id=w.causes["quality_defect"], description="Брак фарби",
        responsible_id=w.me.id, author_id=w.me.id,
    )  # fmt: skip
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Претензії")
    await click(harness, client, claim.number)
    title = await click(harness, client, "Запланувати задачу")
    assert title.text.endswith("Що треба зробити? Напишіть задачу:")
    refused = await typed(harness, client, " ")
    assert refused.text.endswith("\n⚠️ Назва: обов'язкове поле")
    performers = await typed(harness, client, "Відібрати зразки фарби")
    assert buttons(performers)[0] == "Марина Бондаренко"  # a manager plans for themselves
    due = await click(harness, client, "Марина Бондаренко")
    assert buttons(due)[:3] == ["Через 1 день", "Через 3 дні", "Через 7 днів"]
    confirm = await click(harness, client, "Через 3 дні")
    assert confirm.text == (
        f"<b>Претензія {claim.number}</b>\n"
        "Нова задача: Відібрати зразки фарби\n"
        "Виконавець: Марина Бондаренко\n"
        "Термін: 30.11.2026 18:00\n"
        "\n"
        "Усе правильно?"
    )
    card = await click(harness, client, "Підтвердити")
    assert card.text.startswith(
        f"✅ Задачу поставлено.\n<b>Претензія {claim.number}</b> · Обробляється"
    )
    assert "<b>План робіт</b>\n▫️ Відібрати зразки фарби — Марина Бондаренко 30.11.2026 18:00" in (
        card.text
    )
    task = await Task.get(claim_id=claim.id)
    assert (task.performer_id, task.title) == (w.me.id, "Відібрати зразки фарби")


# --- the list -----------------------------------------------------------------------------------


async def test_the_list_filters_and_finds_by_number(make_harness, frozen_clock, files_dir):
    import datetime as dt

    from core import clock

    harness = make_harness(features=FEATURES)
    w = await claims_bot_world()
    made = []
    for n in range(10):
        made.append(await register_claim(
            partner_id=w.partner.id, cause_id=w.causes["damaged_goods"], description=f"№{n}",
            responsible_id=w.me.id, author_id=w.me.id,
        ))  # fmt: skip
    foreign = await foreign_claim(w)
    from services.claims import close_claim

    await close_claim(made[0].id, satisfied=True, resolution="Ок", actor_id=w.me.id)
    clock.freeze(frozen_clock + dt.timedelta(hours=30))  # a day's response time ran out
    try:
        client = harness.client(1)
        await client.send("/menu")
        listing = await click(harness, client, "Претензії")
        assert listing.text.startswith("<b>Мої претензії</b>\n9 претензій")
        assert buttons(listing)[3:5] == ["🔥 C-000010 · ТОВ «Альфа»", "🔥 C-000009 · ТОВ «Альфа»"]
        assert "▶️" in buttons(listing) and foreign.number not in str(buttons(listing))
        page2 = await click(harness, client, "▶️")
        assert buttons(page2)[3] == "🔥 C-000002 · ТОВ «Альфа»"
        closed = await click(harness, client, "Закриті")
        assert closed.text.startswith("<b>Мої претензії</b>\n1 претензія")
        assert buttons(closed)[:4] == [
            "Відкриті",
            "Прострочені",
            "• Закриті",
            "✅ C-000001 · ТОВ «Альфа»",
        ]
        overdue = await click(harness, client, "Прострочені")
        assert overdue.text.startswith("<b>Мої претензії</b>\n9 претензій")

        search = await click(harness, client, "Знайти за номером")
        assert search.text == "Введіть номер претензії, напр. C-000042 або 42:"
        missing = await typed(harness, client, "C-000999")
        assert missing.text.endswith("\n⚠️ Серед ваших немає претензії з номером «C-000999».")
        hidden = await typed(harness, client, foreign.number)  # another team's: as if missing
        assert hidden.text.endswith(
            f"\n⚠️ Серед ваших немає претензії з номером «{foreign.number}»."
        )
        card = await typed(harness, client, "5")
        assert card.text.startswith("<b>Претензія C-000005</b> · Зареєстрована\n")
        assert "⏳ Відповісти до: 28.11.2026 11:00 🔥 прострочено" in card.text
        back = await click(harness, client, "Назад")
        assert back.text.startswith("<b>Мої претензії</b>")
    finally:
        clock.freeze(frozen_clock)
