"""The e-mail notifications ingest sends through the bot, and their buttons.

Mail goes the real way (the ingest pipeline parses and stores a raw message and asks the bot's
notifier); the app polls the fake Bot API in-process, so what a user sees, presses and gets
back is what Telegram would carry (HTML checked, callback data at most 64 bytes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid

import pytest
import pytest_asyncio
from aiogram.exceptions import TelegramForbiddenError
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage

import core.i18n
from bot.app import build_app
from bot.notify.email import EmailNotifier, RecipientUnreachable, make_notifier
from bot.session import build_bot
from core.errors import AccessDenied
from core.i18n import translate_error
from ingest.pipeline import FetchedMessage, IngestOptions, IngestPipeline
from models import ContactInfo, Deal, EmailMessage, SentNotification, Task
from models.base import ContactKind, EmailState, Role
from services import mail
from services.mailboxes import add_mailbox
from tests.bot.conftest import CORE_FEATURES, make_settings
from tests.bot.uk_overlay import Overlay
from tests.factories import (
    load_default_kinds,
    make_contact,
    make_deal,
    make_employee,
    make_partner,
)
from tests.fakes.telegram import BotEvent, FakeTelegram

# The Ukrainian texts of the msgids this feature adds (the lead merges them into locales/uk).
UK = {
    "📧 <b>New e-mail on the deal %(number)s</b>": "📧 <b>Новий лист в угоді %(number)s</b>",
    "📥 <b>An e-mail found no single deal</b>": "📥 <b>Лист не знайшов своєї угоди</b>",
    "From: %(sender)s": "Від: %(sender)s",
    "Subject: %(subject)s": "Тема: %(subject)s",
    "Which deal is it? Candidates:": "До якої угоди він? Можливі:",
    "📂 Open the deal": "📂 Відкрити угоду",
    "⏰ Reply later": "⏰ Відповісти пізніше",
    "✖️ Not this deal": "✖️ Не ця угода",
    "➕ Create a deal": "➕ Створити угоду",
    "🚫 Ignore": "🚫 Ігнорувати",
    "✅ Deal %(deal)s created; the e-mail is on it.": (
        "✅ Угоду %(deal)s створено; лист додано до неї."
    ),
    "No open deal matches it: create one or ignore the e-mail.": (
        "Жодна відкрита угода не підходить: створіть угоду або проігноруйте лист."
    ),
}

OWNER_TG, OTHER_TG, HEAD_TG, HEAD2_TG = 101, 201, 301, 302
KYIV_NINE_TOMORROW = dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC)  # 09:00 in Kyiv (UTC+2)


@pytest.fixture(autouse=True)
def uk_texts(uk_catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    base = core.i18n.translations

    def translations(locale: str):
        real = base(locale)
        return real if locale == "en" else Overlay(real, UK)

    monkeypatch.setattr(core.i18n, "translations", translations)


@pytest_asyncio.fixture
async def live(db, fake_telegram: FakeTelegram, tmp_path, frozen_clock):
    """The app polling the fake Bot API, with the deal card dialog registered."""
    settings = make_settings(fake_telegram, tmp_path)
    app = build_app(
        settings,
        bot=build_bot(settings),
        storage=JsonMemoryStorage(),
        manage_orm=False,
        features=(*CORE_FEATURES, "bot.dialogs.deal_card.dialog"),
    )
    polling = asyncio.create_task(app.dispatcher.start_polling(app.bot, handle_signals=False))
    await fake_telegram.wait_request("getUpdates")
    yield app
    await app.dispatcher.stop_polling()
    await polling
    await app.bot.session.close()


@pytest_asyncio.fixture
async def world(db):
    """A manager with a partner (and its contact's address), another manager, two heads."""
    await load_default_kinds()
    owner = await make_employee(full_name="Іван Петренко", telegram_id=OWNER_TG, locale="en")
    other = await make_employee(full_name="Петро Інший", telegram_id=OTHER_TG, locale="en")
    head = await make_employee(full_name="Марія Голова", telegram_id=HEAD_TG, role=Role.HEAD)
    head2 = await make_employee(
        full_name="Head Two", telegram_id=HEAD2_TG, role=Role.HEAD, locale="en"
    )
    zirka = await make_partner(name="ТОВ Зірка-Агро", main_manager=owner)
    olena = await make_contact(zirka, full_name="Олена Коваленко")
    await ContactInfo.create(
        contact=olena,
        kind=ContactKind.EMAIL,
        value="olena@zirka-agro.test",
        normalized="olena@zirka-agro.test",
    )
    return {"owner": owner, "other": other, "head": head, "head2": head2, "zirka": zirka}


def raw_mail(
    subject: str,
    body: str = "Доброго дня!\nНадсилаємо рахунок.\n\n> старе листування",
    *,
    sender: str = "Олена Коваленко <olena@zirka-agro.test>",
    attachment: bytes | None = None,
) -> bytes:
    message = MimeMessage()
    message["From"] = sender
    message["To"] = "sales@firm.test"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="zirka-agro.test")
    message["Date"] = format_datetime(dt.datetime(2026, 11, 27, 8, 30, tzinfo=dt.UTC))
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename="Рахунок.pdf"
        )
    return message.as_bytes()


class Mail:
    """Deliver raw messages through the real ingest pipeline, notifying through `notifier`."""

    def __init__(self, notifier: object, files_dir) -> None:
        self.pipeline = IngestPipeline(IngestOptions(files_dir=files_dir), notifier)  # type: ignore[arg-type]
        self.uid = 0
        self.box = None

    async def deliver(self, raw: bytes) -> mail.RecordedEmail:
        if self.box is None:
            self.box = await add_mailbox(
                "sales", host="imap.firm.test", username="sales@firm.test", password_env="X"
            )
        self.uid += 1
        incoming = await self.pipeline.prepare(self.box, [FetchedMessage(self.uid, raw)])
        [stored] = await self.pipeline.store(self.box, "INBOX", 1, incoming, advance_to=self.uid)
        return stored


async def press(fake: FakeTelegram, chat_id: int, event: BotEvent, text: str) -> str:
    """Press the button with `text` on that message; its answer is awaited."""
    data = event.button(text)["callback_data"]
    callback = await fake.user_callback(chat_id, event.message["message_id"], data)
    await fake.wait_answered(callback)
    return callback


def callback_data(event: BotEvent) -> list[str]:
    return [b["callback_data"] for row in event.buttons for b in row]


async def test_attached_mail_tells_the_owner_and_every_button_does_what_it_says(
    live, fake_telegram: FakeTelegram, world, tmp_path
):
    fake, owner = fake_telegram, world["owner"]
    deal = await make_deal(owner=owner, partner=world["zirka"], title="Насіння <соняшнику> & Ко")
    post = Mail(make_notifier(live), tmp_path / "files")
    stored = await post.deliver(
        raw_mail(f"Рахунок <145> [{deal.number}]", attachment=b"%PDF-1.4 invoice")
    )
    assert stored.deal_id == deal.id

    note = await fake.next_event(OWNER_TG)
    assert note.kind == "send"
    assert note.params["parse_mode"] == "HTML"
    assert note.text.splitlines() == [
        f"📧 <b>New e-mail on the deal {deal.number}</b>",
        "Насіння &lt;соняшнику&gt; &amp; Ко",
        "",
        "From: Олена Коваленко &lt;olena@zirka-agro.test&gt;",
        f"Subject: <b>Рахунок &lt;145&gt; [{deal.number}]</b>",
        "<i>Доброго дня!</i>",
        "<i>Надсилаємо рахунок.</i>",
        "📎 1 attachment",
    ]
    assert note.button_texts() == ["📂 Open the deal", "⏰ Reply later", "✖️ Not this deal"]
    email_id = stored.email_id
    assert callback_data(note) == [
        f"em:open:{deal.id}",
        f"em:later:{email_id}",
        f"em:not:{email_id}",
    ]
    assert fake.pending_events(HEAD_TG) == [] and fake.pending_events(OTHER_TG) == []

    # open the deal (while the main menu is open): its card comes as a new message, the
    # notification keeps its buttons
    await fake.user_message(OWNER_TG, "/menu")
    await fake.next_event(OWNER_TG)
    await press(fake, OWNER_TG, note, "Open the deal")
    card = await fake.next_event(OWNER_TG, kinds={"send"})
    assert card.kind == "send" and deal.number in card.text
    assert fake.messages[(OWNER_TG, note.message["message_id"])]["reply_markup"] is not None

    # reply later: a task for tomorrow 09:00 local time, on the deal
    await press(fake, OWNER_TG, note, "Reply later")
    edited = await fake.next_event(OWNER_TG)
    assert edited.kind == "edit" and edited.message["message_id"] == note.message["message_id"]
    assert edited.text.splitlines()[0] == "⏰ A task to reply is set for 28.11.2026 09:00."
    assert edited.button_texts() == ["📂 Open the deal", "✖️ Not this deal"]
    task = await Task.get(performer_id=owner.id)
    assert (task.deal_id, task.due_at, task.author_id) == (deal.id, KYIV_NINE_TOMORROW, owner.id)
    assert task.title == f"Reply to the e-mail: Рахунок <145> [{deal.number}]"

    # not this deal: off the deal, back to the unsorted queue, with what can be done next
    await press(fake, OWNER_TG, edited, "Not this deal")
    detached = await fake.next_event(OWNER_TG)
    assert detached.text.splitlines()[0] == (
        f"✖️ Taken off the deal {deal.number} «Насіння &lt;соняшнику&gt; &amp; Ко»: "
        "the e-mail waits in the unsorted queue."
    )
    assert detached.button_texts() == ["➕ Create a deal", "🚫 Ignore"]
    email = await EmailMessage.get(id=email_id)
    assert (email.state, email.deal_id) == (EmailState.UNSORTED, None)

    # ignore: kept, on no deal, no buttons left
    await press(fake, OWNER_TG, detached, "Ignore")
    ignored = await fake.next_event(OWNER_TG)
    assert ignored.text.startswith("🚫 Ignored: the e-mail is kept, on no deal.")
    assert ignored.buttons == []
    assert (await EmailMessage.get(id=email_id)).state == EmailState.IGNORED
    assert await SentNotification.filter(sent_at__isnull=False).count() == 1


async def test_unsorted_mail_goes_to_the_main_manager_who_attaches_it_to_a_candidate(
    live, fake_telegram: FakeTelegram, world, tmp_path
):
    fake, owner, zirka = fake_telegram, world["owner"], world["zirka"]
    seeds = await make_deal(owner=owner, partner=zirka, title="Насіння")
    fertiliser = await make_deal(owner=owner, partner=zirka, title="Добрива")
    post = Mail(make_notifier(live), tmp_path / "files")
    stored = await post.deliver(raw_mail("Питання щодо поставки"))
    assert stored.outcome == "unsorted"

    note = await fake.next_event(OWNER_TG)
    lines = note.text.splitlines()
    assert lines[0] == "📥 <b>An e-mail found no single deal</b>"
    assert "Partner: ТОВ Зірка-Агро" in lines
    assert lines[-3] == "Which deal is it? Candidates:"
    assert sorted(lines[-2:]) == [f"• {seeds.number} «Насіння»", f"• {fertiliser.number} «Добрива»"]
    email_id = stored.email_id
    buttons = dict(zip(note.button_texts(), callback_data(note), strict=True))
    assert buttons == {
        f"📌 {seeds.number} · Насіння": f"em:att:{email_id}:{seeds.id}",
        f"📌 {fertiliser.number} · Добрива": f"em:att:{email_id}:{fertiliser.id}",
        "➕ Create a deal": f"em:new:{email_id}",
        "🚫 Ignore": f"em:ign:{email_id}",
    }
    assert note.button_texts()[-2:] == ["➕ Create a deal", "🚫 Ignore"]
    assert fake.pending_events(HEAD_TG) == []  # the partner has a main manager

    await press(fake, OWNER_TG, note, "Добрива")
    done = await fake.next_event(OWNER_TG)
    assert done.kind == "edit"
    assert done.text.splitlines()[0] == f"✅ Attached to the deal {fertiliser.number} «Добрива»."
    assert callback_data(done) == [f"em:open:{fertiliser.id}"]
    email = await EmailMessage.get(id=email_id)
    assert (email.state, email.deal_id) == (EmailState.ATTACHED, fertiliser.id)


async def test_mail_from_a_stranger_goes_to_the_heads_in_their_language_and_is_sorted_once(
    live, fake_telegram: FakeTelegram, world, tmp_path
):
    fake, head = fake_telegram, world["head"]
    post = Mail(make_notifier(live), tmp_path / "files")
    stored = await post.deliver(
        raw_mail("Запит ціни на 20 т добрив", sender="Новий Клієнт <buyer@gmail.com>")
    )

    uk_note = await fake.next_event(HEAD_TG)
    en_note = await fake.next_event(HEAD2_TG)
    assert uk_note.text.splitlines()[0] == "📥 <b>Лист не знайшов своєї угоди</b>"
    assert "Від: Новий Клієнт &lt;buyer@gmail.com&gt;" in uk_note.text
    assert uk_note.text.endswith(
        "Жодна відкрита угода не підходить: створіть угоду або проігноруйте лист."
    )
    assert uk_note.button_texts() == ["➕ Створити угоду", "🚫 Ігнорувати"]
    assert en_note.button_texts() == ["➕ Create a deal", "🚫 Ignore"]
    assert fake.pending_events(OWNER_TG) == []

    # the first head creates a deal from it: theirs, titled by the subject, the mail on it
    await press(fake, HEAD_TG, uk_note, "Створити угоду")
    created = await fake.next_event(HEAD_TG)
    deal = await Deal.get(owner_id=head.id)
    assert deal.title == "Запит ціни на 20 т добрив"
    assert (await deal.kind).code == "simple_deal"
    assert created.text.splitlines()[0] == (
        f"✅ Угоду {deal.number} «Запит ціни на 20 т добрив» створено; лист додано до неї."
    )
    assert callback_data(created) == [f"em:open:{deal.id}"]
    email = await EmailMessage.get(id=stored.email_id)
    assert (email.state, email.deal_id) == (EmailState.ATTACHED, deal.id)

    # the second head's later press changes nothing and shows where the mail went
    await press(fake, HEAD2_TG, en_note, "Ignore")
    seen = await fake.next_event(HEAD2_TG)
    assert seen.text.splitlines()[0] == (
        f"ℹ️ Already sorted: the e-mail is on the deal {deal.number} «Запит ціни на 20 т добрив»."
    )
    assert (await EmailMessage.get(id=stored.email_id)).state == EmailState.ATTACHED
    assert await Deal.all().count() == 1


async def test_forged_presses_are_refused_and_change_nothing(
    live, fake_telegram: FakeTelegram, world, tmp_path
):
    fake, owner, other = fake_telegram, world["owner"], world["other"]
    deal = await make_deal(owner=owner, partner=world["zirka"], title="Насіння")
    others_deal = await make_deal(owner=other, title="Чужа угода")
    post = Mail(make_notifier(live), tmp_path / "files")
    attached = await post.deliver(raw_mail(f"Рахунок [{deal.number}]"))
    unsorted = await post.deliver(raw_mail("Без угоди", sender="x@gmail.com"))
    await fake.next_event(OWNER_TG)

    await fake.user_message(OTHER_TG, "/menu")  # the other manager's chat has a bot message
    menu = await fake.next_event(OTHER_TG)
    refusal = translate_error(AccessDenied("access_denied"), "en")
    forged = [
        f"em:open:{deal.id}",
        f"em:later:{attached.email_id}",
        f"em:not:{attached.email_id}",
        f"em:att:{attached.email_id}:{others_deal.id}",
        f"em:new:{unsorted.email_id}",
        f"em:ign:{unsorted.email_id}",
        f"em:att:{unsorted.email_id}:{others_deal.id}",
        "em:att:1",
        "em:zap:1",
        f"em:later:{10**11}",
    ]
    for data in forged:
        callback = await fake.user_callback(OTHER_TG, menu.message["message_id"], data, forge=True)
        answer = await fake.wait_answered(callback)
        assert (answer.get("text"), str(answer.get("show_alert"))) == (refusal, "true"), data

    # the owner may not put the mail on another manager's deal either
    await fake.user_message(OWNER_TG, "/menu")
    owners_menu = await fake.next_event(OWNER_TG)
    callback = await fake.user_callback(
        OWNER_TG,
        owners_menu.message["message_id"],
        f"em:att:{attached.email_id}:{others_deal.id}",
        forge=True,
    )
    assert (await fake.wait_answered(callback))["text"] == refusal

    first = await EmailMessage.get(id=attached.email_id)
    second = await EmailMessage.get(id=unsorted.email_id)
    assert (first.state, first.deal_id) == (EmailState.ATTACHED, deal.id)
    assert (second.state, second.deal_id) == (EmailState.UNSORTED, None)
    assert await Task.all().count() == 0
    assert await Deal.all().count() == 2
    assert [e.kind for e in fake.pending_events(OTHER_TG)] == []


async def test_a_notifier_failure_raises_so_ingest_retries_later(
    live, fake_telegram: FakeTelegram, world, tmp_path
):
    fake, owner = fake_telegram, world["owner"]
    deal = await make_deal(owner=owner, partner=world["zirka"], title="Насіння")
    notifier = make_notifier(live)
    post = Mail(notifier, tmp_path / "files")
    fake.block(OWNER_TG)
    stored = await post.deliver(raw_mail(f"Рахунок [{deal.number}]"))

    [row] = await SentNotification.all()
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "blocked" in row.error
    [pending] = await mail.list_pending_email_notes()
    with pytest.raises(TelegramForbiddenError):
        await notifier.email_attached(pending)

    fake.blocked.clear()  # the user unblocked the bot: the next flush delivers it
    assert await post.pipeline.flush_pending() == 1
    note = await fake.next_event(OWNER_TG)
    assert f"em:later:{stored.email_id}" in callback_data(note)
    assert (await SentNotification.get(id=row.id)).sent_at is not None


async def test_a_recipient_without_telegram_is_not_sent_and_said_why(db, world, tmp_path):
    world["owner"].telegram_id = None
    await world["owner"].save()
    deal = await make_deal(owner=world["owner"], partner=world["zirka"])
    notifier = EmailNotifier(bot=None)  # type: ignore[arg-type]
    recorded = Mail(None, tmp_path / "files")
    await recorded.deliver(raw_mail(f"Лист [{deal.number}]"))
    [note] = await mail.list_pending_email_notes()
    with pytest.raises(RecipientUnreachable, match="no Telegram account"):
        await notifier.email_attached(note)
