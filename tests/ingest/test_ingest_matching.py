"""Mail delivered to a real Dovecot by IMAP APPEND lands on the right deal, in the issue's order,
and the right person hears about it (or nobody, for automatic mail)."""

from __future__ import annotations

import email
from email import policy

from ingest.pipeline import IngestPipeline
from models import ContactInfo, Deal, EmailMessage, FileLink, SentNotification
from models.base import ContactKind, EmailState, Role
from services import mail
from services.files import open_file
from services.interactions import list_deal_timeline
from services.mail import LoopGuard, make_message_id
from tests.factories import (
    load_default_kinds,
    make_contact,
    make_deal,
    make_employee,
    make_partner,
)
from tests.ingest.conftest import fixture_bytes, ingest_once, options


async def _world():
    await load_default_kinds()
    owner = await make_employee(full_name="Іван Петренко")
    head = await make_employee(full_name="Голова продажів", role=Role.HEAD)
    zirka = await make_partner(name="ТОВ Зірка-Агро", main_manager=owner)
    olena = await make_contact(zirka, full_name="Олена Коваленко")
    await ContactInfo.create(
        contact=olena,
        kind=ContactKind.EMAIL,
        value="Olena.Kovalenko@zirka-agro.test",
        normalized="olena.kovalenko@zirka-agro.test",
    )
    return owner, head, zirka, olena


async def _email(**filters) -> EmailMessage:
    return await EmailMessage.get(**filters)


async def test_reply_chain_with_changed_subjects_stays_on_its_deal(
    mailbox, account, files_dir, notifier
):
    owner, _, zirka, _ = await _world()
    offer = await make_deal(owner=owner, partner=zirka, title="Насіння соняшнику")
    await make_deal(owner=owner, partner=zirka, title="Добрива")  # the sender has two deals
    ours = make_message_id(offer.number, "firm.test")
    account.append(
        fixture_bytes("outlook-changed-subject.eml", our_message_id=ours, deal_number=offer.number),
        fixture_bytes("outlook-changed-subject-2.eml"),
    )

    stored, _ = await ingest_once(mailbox, options(files_dir), notifier)

    assert stored == 2
    first = await _email(subject="Оновлена специфікація та ціни")
    second = await _email(subject="RE: Остаточні ціни, без ПДВ")
    assert (first.deal_id, second.deal_id) == (offer.id, offer.id)
    assert first.headers["_crm"]["rule"] == second.headers["_crm"]["rule"] == "message_id"
    timeline = await list_deal_timeline(offer.id)
    assert {i.title for i in timeline if i.kind == "email"} == {first.subject, second.subject}
    assert [n.recipient_id for n in notifier.attached] == [owner.id, owner.id]
    note = notifier.attached[0]
    assert note.deal.number == offer.number
    assert (note.sender_name, note.sender_address) == (
        "Олена Коваленко",
        "olena.kovalenko@zirka-agro.test",
    )
    assert note.preview == ("Доброго дня!\nНадсилаю оновлену специфікацію, ціни змінилися на 3%.")


async def test_plus_address_and_subject_tag_name_the_deal(mailbox, account, files_dir, notifier):
    owner, *_ = await _world()
    by_plus = await make_deal(owner=owner)
    by_tag = await make_deal(owner=owner)
    tag = by_plus.number.replace("-", "").replace("D0000", "D")  # sales+D12@ as people type it
    account.append(
        fixture_bytes("plus-address.eml", deal_tag=tag),
        fixture_bytes("subject-tag.eml", deal_number=by_tag.number),
    )

    await ingest_once(mailbox, options(files_dir), notifier)

    plus = await _email(from_address="andrii.melnyk@gmail.com")
    tagged = await _email(from_address="oksana.v@ukr.net")
    assert (plus.deal_id, plus.headers["_crm"]["rule"]) == (by_plus.id, "plus_address")
    assert (tagged.deal_id, tagged.headers["_crm"]["rule"]) == (by_tag.id, "subject_tag")


async def test_known_sender_with_one_open_deal_gets_the_mail_and_its_files(
    mailbox, account, files_dir, notifier
):
    owner, _, zirka, olena = await _world()
    deal = await make_deal(owner=owner, partner=zirka)
    account.append(fixture_bytes("koi8u-invoice.eml"))

    await ingest_once(mailbox, options(files_dir), notifier)

    message = await _email(subject="Рахунок 145 за жовтень")
    assert (message.state, message.deal_id, message.contact_id) == (
        EmailState.ATTACHED,
        deal.id,
        olena.id,
    )
    assert message.headers["_crm"]["rule"] == "contact"
    assert "Ґарантійний лист додамо завтра" in message.text_body
    links = await FileLink.filter(deal_id=deal.id).prefetch_related("file")
    assert [link.name for link in links] == ["Рахунок-145.pdf"]
    assert (await open_file(links[0].file, files_dir=files_dir)).startswith(b"%PDF-1.4")
    raw = await open_file(await message.raw_file, files_dir=files_dir)
    assert email.message_from_bytes(raw, policy=policy.default)["Message-ID"] == (
        "<20261126101500.4411@zirka-agro.test>"
    )
    [note] = notifier.attached
    assert (note.recipient_id, note.attachment_count, note.skipped_attachments) == (owner.id, 1, ())
    assert (await Deal.get(id=deal.id)).last_activity_at is not None


async def test_several_deals_or_none_go_to_the_right_person(mailbox, account, files_dir, notifier):
    owner, head, zirka, _ = await _world()
    first = await make_deal(owner=owner, partner=zirka)
    second = await make_deal(owner=owner, partner=zirka)
    account.append(fixture_bytes("koi8u-invoice.eml"), fixture_bytes("cp866-order.eml"))

    await ingest_once(mailbox, options(files_dir), notifier)

    invoice = await _email(from_address="olena.kovalenko@zirka-agro.test")
    order = await _email(from_address="buh@gudz-fop.test")
    assert (invoice.state, invoice.deal_id, invoice.partner_id) == (
        EmailState.UNSORTED,
        None,
        zirka.id,
    )
    assert order.state == EmailState.UNSORTED and order.state_reason == "no deal found"
    by_email = {n.email_id: n for n in notifier.unsorted}
    assert by_email[invoice.id].recipient_id == owner.id  # the partner's main manager
    assert {d.id for d in by_email[invoice.id].candidates} == {first.id, second.id}
    assert by_email[order.id].recipient_id == head.id  # nobody knows the sender: heads of sales
    assert by_email[order.id].candidates == ()
    assert notifier.attached == []

    await mail.attach_email_to_deal(invoice.id, second.id, actor_id=owner.id)
    await mail.ignore_email(order.id, actor_id=head.id)
    assert (await _email(id=invoice.id)).deal_id == second.id
    assert [link.name for link in await FileLink.filter(deal_id=second.id)] == ["Рахунок-145.pdf"]
    assert (await _email(id=order.id)).state == EmailState.IGNORED
    assert [row.id for row in await mail.list_unsorted_emails()] == []

    await mail.detach_email(invoice.id, actor_id=owner.id)  # "not this deal"
    assert (await _email(id=invoice.id)).state == EmailState.UNSORTED
    assert await FileLink.filter(deal_id=second.id).count() == 0


async def test_company_domain_finds_the_partner(mailbox, account, files_dir, notifier):
    owner, *_ = await _world()
    kvitka = await make_partner(name="ТОВ Квітка-Трейд")
    await ContactInfo.create(
        partner=kvitka,
        kind=ContactKind.EMAIL,
        value="office@kvitka-trade.test",
        normalized="office@kvitka-trade.test",
    )
    deal = await make_deal(owner=owner, partner=kvitka)
    account.append(fixture_bytes("win1251-labelled-koi8r.eml"))

    await ingest_once(mailbox, options(files_dir), notifier)

    message = await _email(from_address="petro@kvitka-trade.test")
    assert (message.deal_id, message.headers["_crm"]["rule"]) == (deal.id, "domain")
    assert message.subject == "Підтвердження замовлення"


async def test_delivery_report_is_attached_to_the_original_deal_and_marked(
    mailbox, account, files_dir, notifier
):
    owner, *_ = await _world()
    deal = await make_deal(owner=owner)
    ours = make_message_id(deal.number, "firm.test")
    account.append(
        fixture_bytes("dsn-our-message.eml", our_message_id=ours, deal_number=deal.number)
    )

    await ingest_once(mailbox, options(files_dir), notifier)

    bounce = await _email(is_bounce=True)
    assert (bounce.deal_id, bounce.state, bounce.is_auto_reply) == (
        deal.id,
        EmailState.ATTACHED,
        False,
    )
    assert bounce.headers["_crm"]["bounce"]["recipients"] == ["petro.old@zirka-agro.test"]
    assert [n.is_bounce for n in notifier.attached] == [True]


async def test_auto_replies_are_marked_and_never_create_deals_or_notifications(
    mailbox, account, files_dir, notifier
):
    owner, *_ = await _world()
    deal = await make_deal(owner=owner)
    ours = make_message_id(deal.number, "firm.test")
    names = ["autoreply-uk.eml", "autoreply-ru.eml", "autoreply-en.eml", "autoreply-uk-headers.eml"]
    account.append(*(fixture_bytes(n, our_message_id=ours) for n in names))
    deals_before = await Deal.all().count()

    await ingest_once(mailbox, options(files_dir), notifier)

    rows = await EmailMessage.all().order_by("id")
    assert len(rows) == 4 and all(r.is_auto_reply for r in rows)
    assert [r.state for r in rows] == [EmailState.IGNORED] * 3 + [EmailState.ATTACHED]
    assert rows[3].deal_id == deal.id  # a reply to our own mail: on the deal, but silent
    assert rows[0].state_reason == "automatic reply (subject)"
    assert (notifier.attached, notifier.unsorted) == ([], [])
    assert await SentNotification.all().count() == 0
    assert await Deal.all().count() == deals_before


async def test_loop_guard_holds_a_flood_from_one_sender(mailbox, account, files_dir, notifier):
    await _world()
    flood = [
        f"From: robot@shop.test\r\nSubject: Order {i}\r\nMessage-ID: <flood{i}@shop.test>\r\n"
        f"\r\nbody {i}\r\n".encode()
        for i in range(5)
    ]
    account.append(*flood)

    await ingest_once(mailbox, options(files_dir, loop_guard=LoopGuard(3, 60)), notifier)

    states = [r.state for r in await EmailMessage.all().order_by("uid")]
    assert states == [EmailState.UNSORTED] * 3 + [EmailState.HELD] * 2
    held = await _email(state=EmailState.HELD, uid=4)
    assert held.state_reason.startswith("loop guard: more than 3 messages from robot@shop.test")
    assert len(notifier.unsorted) == 3


async def test_attachment_over_the_size_limit_is_noted(mailbox, account, files_dir, notifier):
    owner, _, zirka, _ = await _world()
    await make_deal(owner=owner, partner=zirka)
    raw = (
        b"From: olena.kovalenko@zirka-agro.test\r\nSubject: scan\r\nContent-Type: multipart/mixed;"
        b" boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee scan\r\n--b\r\n"
        b"Content-Type: application/zip\r\nContent-Disposition: attachment; filename=scan.zip\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + (b"QUFB" * 1000) + b"\r\n--b--\r\n"
    )
    account.append(raw)

    await ingest_once(mailbox, options(files_dir, max_attachment_bytes=1000), notifier)

    [entry] = (await _email(subject="scan")).headers["_crm"]["attachments"]
    assert (entry["name"], entry["size"], entry["skipped"], entry["limit"]) == (
        "scan.zip",
        3000,
        "too_large",
        1000,
    )
    [note] = notifier.attached
    assert [(s.name, s.size, s.reason, s.limit) for s in note.skipped_attachments] == [
        ("scan.zip", 3000, "too_large", 1000)
    ]
    assert await FileLink.all().count() == 0


async def test_notifications_wait_out_a_telegram_outage(mailbox, account, files_dir, notifier):
    owner, _, zirka, _ = await _world()
    await make_deal(owner=owner, partner=zirka)
    account.append(fixture_bytes("koi8u-invoice.eml"))
    notifier.fail_times = 1

    await ingest_once(mailbox, options(files_dir), notifier)

    assert notifier.attached == []
    pending = await SentNotification.get(kind=mail.NOTE_ATTACHED)
    assert (pending.sent_at, pending.attempts) == (None, 1)
    assert await IngestPipeline(options(files_dir), notifier).flush_pending() == 1
    assert [n.recipient_id for n in notifier.attached] == [owner.id]
    assert (await SentNotification.get(id=pending.id)).sent_at is not None
    assert await IngestPipeline(options(files_dir), notifier).flush_pending() == 0


async def test_the_same_message_twice_is_stored_once(mailbox, account, files_dir):
    await _world()
    original = fixture_bytes("cp866-order.eml")
    relayed = b"Received: from relay.example.test by mx.firm.test\r\n" + original
    reused_id = original.replace("цукор".encode("cp1125"), "борошно".encode("cp1125"))
    no_id = b"From: x@y.test\r\nSubject: no id\r\n\r\nsame bytes\r\n"
    account.append(original, original, relayed, reused_id, no_id, no_id)

    stored, log = await ingest_once(mailbox, options(files_dir))

    outcomes = [o for e in log.events if e.kind == "committed" for _, o in e.data["outcomes"]]
    assert outcomes == ["unsorted", "duplicate", "duplicate", "unsorted", "unsorted", "duplicate"]
    assert stored == 3
    assert await EmailMessage.filter(message_id="<dos.20261125.1@gudz-fop.test>").count() == 2
