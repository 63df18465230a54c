"""The parser on the mail Ukrainian companies really get (the project's own fixtures and a few
messages built here): what a manager reads on the deal must be the text the sender wrote."""

from __future__ import annotations

import base64

import pytest

from ingest.charsets import decode_bytes
from ingest.parser import parse_message
from ingest.tnef import read_tnef
from tests.ingest.conftest import FIXTURES, fixture_bytes


def test_koi8u_body_subject_sender_and_rfc2231_attachment_name():
    message = parse_message((FIXTURES / "koi8u-invoice.eml").read_bytes())

    assert message.subject == "Рахунок 145 за жовтень"
    assert message.from_name == "Олена Коваленко"
    assert message.from_address == "olena.kovalenko@zirka-agro.test"
    assert "Ґарантійний лист додамо завтра" in message.text
    assert "насіння соняшнику (їх 12 палет)" in message.text
    assert [(a.name, a.mime_type) for a in message.attachments] == [
        ("Рахунок-145.pdf", "application/pdf")
    ]
    assert message.attachments[0].data.startswith(b"%PDF-1.4")


def test_dos_ukrainian_labelled_cp866_is_read_as_written():
    message = parse_message((FIXTURES / "cp866-order.eml").read_bytes())

    assert message.subject == "Замовлення цукру"
    assert "цукор білий, 20 тонн" in message.text
    assert "Прошу підтвердити і виставити рахунок. Їхати будемо" in message.text
    assert "ФОП Ґудзь" in message.text


def test_windows1251_under_a_koi8r_label_and_raw_8bit_subject_and_file_name():
    message = parse_message((FIXTURES / "win1251-labelled-koi8r.eml").read_bytes())

    assert message.subject == "Підтвердження замовлення"
    assert "Підтверджуємо замовлення, специфікацію додаємо." in message.text
    assert "п’яти банківських днів" in message.text
    assert [a.name for a in message.attachments] == ["Специфікація.xlsx"]


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("koi8_u", "Рахунок на оплату: їжа, ґуля"), ("cp1251", "Привіт, як справи? Є питання")],
)
def test_mislabelled_single_byte_cyrillic_is_detected(encoding, text):
    decoded, _ = decode_bytes(text.encode(encoding), "iso-8859-1")
    assert decoded == text


def test_encoded_words_split_inside_a_character_are_joined():
    data = "Комерційна пропозиція".encode()
    first, second = data[:7], data[7:]  # byte 7 is in the middle of a two-byte letter
    raw = (
        b"From: a@b.test\r\nSubject: =?utf-8?B?"
        + base64.b64encode(first)
        + b"?=\r\n =?utf-8?B?"
        + base64.b64encode(second)
        + b"?=\r\n\r\nx\r\n"
    )
    assert parse_message(raw).subject == "Комерційна пропозиція"


def test_plain_text_is_preferred_over_its_html_twin():
    message = parse_message(
        fixture_bytes("outlook-changed-subject.eml", our_message_id="<x@y>", deal_number="D-1")
    )
    assert message.text.startswith("Доброго дня!\n\nНадсилаю оновлену специфікацію")
    assert "<p>" not in message.text
    assert not message.text_from_html


def test_html_only_mail_becomes_readable_text():
    html = (
        "<html><head><style>p {color: red}</style><title>x</title></head><body>"
        "<p>Шановні колеги,</p><p>ціна&nbsp;на <b>пшеницю</b> &mdash; 7&nbsp;200 грн/т.</p>"
        "<ul><li>доставка 3 дні</li><li>оплата 50%</li></ul><script>alert(1)</script>"
        "</body></html>"
    ).encode("cp1251")
    raw = (
        b"From: a@b.test\r\nSubject: html\r\nContent-Type: text/html; charset=windows-1251\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(html)
    )
    message = parse_message(raw)

    assert message.text_from_html
    assert "Шановні колеги," in message.text
    assert "ціна на пшеницю — 7 200 грн/т." in message.text
    assert "• доставка 3 дні\n• оплата 50%" in message.text
    assert "color" not in message.text and "alert" not in message.text


def test_forwarded_message_keeps_its_text_and_its_attachment():
    inner = (
        b"From: Petro <petro@kvitka.test>\r\nSubject: =?utf-8?B?"
        + base64.b64encode("Замовлення".encode())
        + b"?=\r\nDate: Mon, 23 Nov 2026 10:00:00 +0200"
        b"\r\nMessage-ID: <inner@kvitka.test>\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n"
        b"--in\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Прошу 5 тонн.".encode()
        + b"\r\n--in\r\nContent-Type: text/csv\r\n"
        b"Content-Disposition: attachment; filename=list.csv\r\n\r\na;b\r\n--in--\r\n"
    )
    raw = (
        b"From: boss@firm.test\r\nSubject: Fwd: order\r\nContent-Type: multipart/mixed; "
        b"boundary=out\r\n\r\n--out\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n--out\r\n"
        b"Content-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--out--\r\n"
    )
    message = parse_message(raw)

    assert "See below." in message.text
    assert "Subject: Замовлення" in message.text and "Прошу 5 тонн." in message.text
    assert message.forwarded[0]["message_id"] == "<inner@kvitka.test>"
    assert "list.csv" in [a.name for a in message.attachments]
    assert any(a.mime_type == "message/rfc822" for a in message.attachments)


def test_tnef_winmail_dat_is_listed_and_unpacked():
    message = parse_message((FIXTURES / "tnef-winmail.eml").read_bytes())

    assert message.tnef_files == [
        {"name": "Специфікація.xlsx", "size": 148},
        {"name": "logo.png", "size": 49},
    ]
    names = [a.name for a in message.attachments]
    assert names == ["Специфікація.xlsx", "logo.png"]
    assert message.attachments[0].data.startswith(b"PK\x03\x04")


def test_tnef_reader_survives_a_truncated_stream():
    message = parse_message((FIXTURES / "tnef-winmail.eml").read_bytes())
    assert message.attachments
    stream = b"\x78\x9f\x3e\x22\x01\x00" + b"\x02\x02\x90\x06\x00\xff\xff\xff\x7f"
    content = read_tnef(stream)
    assert content.problems == ["truncated"]
    assert content.files == []


def test_attachment_over_the_limit_is_noted_not_kept():
    raw = (
        b"From: a@b.test\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--b\r\nContent-Type: application/zip"
        b"\r\nContent-Disposition: attachment; filename=scan.zip\r\nContent-Transfer-Encoding: "
        b"base64\r\n\r\n" + base64.encodebytes(b"z" * 5000) + b"--b--\r\n"
    )
    message = parse_message(raw, max_attachment_bytes=1000)

    [attachment] = message.attachments
    assert (attachment.name, attachment.size, attachment.skipped) == ("scan.zip", 5000, "too_large")
    assert attachment.data is None


def test_multipart_with_an_unusable_boundary_still_gives_the_text():
    raw = (
        b"From: a@b.test\r\nSubject: broken\r\nContent-Type: multipart/alternative;\r\n"
        b"    boundary=----=_NextPart_000_0023\r\n\r\nThis is a multi-part message.\r\n\r\n"
        b"------=_NextPart_000_0023\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n"
        + "Доброго дня, ціни в силі.".encode("cp1251")
        + b"\r\n------=_NextPart_000_0023\r\nContent-Type: text/html\r\n\r\n<p>html twin</p>\r\n"
        b"------=_NextPart_000_0023--\r\n"
    )
    message = parse_message(raw)

    assert message.text == "Доброго дня, ціни в силі."


def test_a_huge_header_block_is_survived():
    received = b"".join(
        b"Received: from relay%d.example.test by mx.example.test; Fri, 27 Nov 2026\r\n" % i
        for i in range(4000)
    )
    raw = received + b"From: a@b.test\r\nSubject: still here\r\n\r\nbody\r\n"
    message = parse_message(raw)

    assert len(received) > 250_000
    assert (message.subject, message.text, message.parse_error) == ("still here", "body", "")


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\x01\x02" * 100, b"Content-Type: multipart/mixed\r\n\r\n--\r\n", b"\xff" * 5000],
)
def test_garbage_never_raises(raw):
    message = parse_message(raw)
    assert message.raw_sha256
    assert isinstance(message.text, str)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("autoreply-uk.eml", "subject"),
        ("autoreply-ru.eml", "subject"),
        ("autoreply-en.eml", "subject"),
        ("autoreply-uk-headers.eml", "auto-submitted: auto-replied"),
    ],
)
def test_auto_replies_in_ukrainian_russian_and_english_are_recognised(name, reason):
    message = parse_message(fixture_bytes(name, our_message_id="<a@b>"))
    assert message.is_auto
    assert message.auto_reason == reason
    assert not message.is_bounce


@pytest.mark.parametrize(
    "subject",
    ["Відсутні позиції в накладній", "Re: Out of office party on Friday?", "Автоматизація складу"],
)
def test_ordinary_subjects_are_not_taken_for_auto_replies(subject):
    raw = f"From: a@b.test\r\nSubject: {subject}\r\n\r\nx\r\n".encode()
    assert not parse_message(raw).is_auto


def test_delivery_report_gives_the_original_message_id():
    ours = "<m1.a1b2.crm-D-000042@firm.test>"
    message = parse_message(
        fixture_bytes("dsn-our-message.eml", our_message_id=ours, deal_number="D-000042")
    )

    assert message.is_bounce and not message.is_auto
    assert message.bounce.kind == "failed"
    assert message.bounce.recipients == ["petro.old@zirka-agro.test"]
    assert message.bounce.status == "5.1.1"
    assert message.original_message_ids == [ours]
