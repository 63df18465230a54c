"""The deal card's participants (add, the environment picture), the process's documents sent as
files, attaching a photo, and "Log a call" handing over to its dialog."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message, Update
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Cancel
from aiogram_dialog.widgets.text import Const, Format

from bot.dialogs import states
from models import DealParticipant, FileLink, ProcessDocument, StoredFile
from models.base import Attitude, DocumentKind, ParticipantRole
from services.files import file_path, store_file
from services.partners import create_partner
from services.pipeline import find_kind
from tests.bot.conftest import buttons
from tests.bot.deal_dialogs import DEAL_DIALOGS, click
from tests.factories import load_default_kinds, make_competitor, make_deal, make_employee
from tests.fakes.telegram import visible_text

PNG = b"\x89PNG\r\n\x1a\n"


class StubLogSG(StatesGroup):
    START = State()


async def _stub_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    data = dialog_manager.start_data or {}
    return {"deal_id": data.get("deal_id"), "kind": data.get("kind")}


def build_dialogs() -> list[Dialog]:
    """A stand-in for the Log a call dialog (another engineer's), registered by these tests."""
    return [
        Dialog(
            Window(
                Format("Log a {kind} on deal {deal_id}"), Cancel(Const("Back")),
                state=StubLogSG.START, getter=_stub_getter,
            )
        )
    ]  # fmt: skip


async def _open(make_harness, features=DEAL_DIALOGS):
    harness = make_harness(features=features)
    await load_default_kinds()
    me = await make_employee(telegram_id=1, locale="en")
    client_partner = await create_partner(name="ТОВ «Альфа»", is_client=True)
    deal = await make_deal(owner=me, partner=client_partner, title="Поставка труб")
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "My deals")
    card = await click(harness, client, deal.number)
    return harness, client, me, deal, card


async def _typed(harness, client, text: str):
    harness.mm.reset_history()
    await client.send(text)
    shown = harness.mm.last_message()
    visible_text(shown.text or "")
    return shown


async def test_add_a_competitor_and_a_subcontractor(make_harness, frozen_clock):
    harness, client, _me, deal, _card = await _open(make_harness)
    rival = await make_competitor(name="ТОВ «Суперник»")
    builder = await create_partner(name="ТОВ «Монтажник»", is_supplier=True)

    people = await click(harness, client, "Participants")
    assert (
        people.text == f"<b>{deal.number}: participants</b>\n• <b>ТОВ «Альфа»</b> — Client, Neutral"
    )
    roles = await click(harness, client, "Add a participant")
    assert roles.text == "Who is the new participant?"
    assert buttons(roles)[:5] == [
        "Competitor", "Subcontractor", "Influencer", "Decision maker", "Other",
    ]  # fmt: skip

    pick = await click(harness, client, "Competitor")
    assert pick.text == "Competitor: choose the partner"
    assert buttons(pick) == ["ТОВ «Суперник»", "🔍 Search by name", "⬅️ Back", "🏠 Main menu"]
    levels = await click(harness, client, "Суперник")
    assert levels.text == (
        "<b>ТОВ «Суперник»</b> (Competitor): how strong is their influence on the decision?\n"
        "1: weak, 5: decisive."
    )
    assert buttons(levels)[:5] == ["1", "2", "3", "4", "5"]
    attitude = await click(harness, client, "4")
    assert buttons(attitude)[:3] == ["Supporter", "Neutral", "Opponent"]
    question = await click(harness, client, "Opponent")
    assert question.text == (
        f"Add ТОВ «Суперник» to the participants of {deal.number}?\n"
        "Role: Competitor\nInfluence: 4 of 5\nAttitude: Opponent"
    )
    people = await click(harness, client, "Confirm")
    assert people.text.startswith("✅ ТОВ «Суперник» is now a participant of the deal.\n")
    assert "• <b>ТОВ «Суперник»</b> — Competitor, influence 4 of 5, Opponent" in people.text
    added = await DealParticipant.get(deal_id=deal.id, partner_id=rival.id)
    assert (added.role, added.influence, added.attitude) == (
        ParticipantRole.COMPETITOR, 4, Attitude.OPPONENT,
    )  # fmt: skip

    await click(harness, client, "Add a participant")
    prompt = await click(harness, client, "Subcontractor")
    assert prompt.text == (
        "Subcontractor: type a part of the partner's name, its EDRPOU code or phone:"
    )
    nothing = await _typed(harness, client, "Неіснуюча фірма")
    assert nothing.text.endswith("\n⚠️ Nothing found for «Неіснуюча фірма».")
    found = await _typed(harness, client, "монтаж")
    assert found.text == "Subcontractor: choose the partner\nFound for «монтаж»:"
    await click(harness, client, "Монтажник")
    await click(harness, client, "2")
    await click(harness, client, "Supporter")
    people = await click(harness, client, "Confirm")  # the card's version was refreshed
    assert "• <b>ТОВ «Монтажник»</b> — Subcontractor, influence 2 of 5, Supporter" in people.text
    assert await DealParticipant.filter(deal_id=deal.id, partner_id=builder.id).exists()


async def test_the_environment_picture_comes_as_a_photo(make_harness, frozen_clock):
    harness, client, _me, deal, _card = await _open(make_harness)
    await click(harness, client, "Participants")
    harness.fake.history[1].clear()

    window = await click(harness, client, "Environment picture")

    kinds = [event.kind for event in harness.fake.history[1]]
    assert kinds == ["chat_action", "photo"]
    action, photo = harness.fake.history[1]
    assert action.params["action"] == "upload_photo"
    assert photo.params["content"].startswith(PNG)
    assert photo.text == f"{deal.number}: the deal's environment"
    assert window.text.startswith(f"<b>{deal.number}: participants</b>")  # sent again below


async def test_process_documents_are_sent_as_files(make_harness, frozen_clock):
    harness, client, _me, deal, _card = await _open(make_harness)
    kind = await find_kind("simple_deal")
    files_dir = harness.app.settings.files_path
    stored = await store_file(
        b"%PDF-1.4 price list", original_name="Прайс.pdf", mime_type="application/pdf",
        files_dir=files_dir,
    )  # fmt: skip
    await ProcessDocument.create(
        kind_id=kind.id, doc_kind=DocumentKind.TEMPLATE, title="Прайс-лист", file_id=stored.id
    )
    documents = await click(harness, client, "Documents")
    assert documents.text == (
        f"<b>{deal.number}: process documents</b>\n"
        "Regulations, instructions and templates: tap one to get it as a file."
    )
    assert buttons(documents) == [
        "📗 Як вести просту угоду", "📄 Прайс-лист", "⬅️ Back", "🏠 Main menu",
    ]  # fmt: skip
    harness.fake.history[1].clear()

    await click(harness, client, "Як вести просту угоду")
    await click(harness, client, "Прайс-лист")

    sent = [event for event in harness.fake.history[1] if event.kind == "document"]
    assert [event.params["file_name"] for event in sent] == [
        "Як_вести_просту_угоду.md", "Прайс.pdf",
    ]  # fmt: skip
    body = sent[0].params["content"].decode()
    assert body.startswith("# Як вести просту угоду\n\nПереводьте угоду на наступний етап")
    assert sent[0].text == f"{deal.number}: Як вести просту угоду"
    assert sent[1].params["content"] == b"%PDF-1.4 price list"


async def _send_photo(harness, client, content: bytes) -> None:
    raw = await harness.fake.user_photo(1, content)  # the bytes wait on the fake Bot API
    message = Message.model_validate(raw)
    harness.mm.reset_history()
    await client.dp.feed_update(
        client.bot, Update(update_id=client._new_update_id(), message=message)
    )


async def test_a_photo_is_attached_to_the_deal(make_harness, frozen_clock):
    harness, client, me, deal, card = await _open(make_harness)
    prompt = await click(harness, client, "Attach a file")
    assert prompt.text == (
        f"Send a file, a photo or a voice note: it will be attached to the deal {deal.number}."
    )
    not_a_file = await _typed(harness, client, "ось фото")
    assert not_a_file.text.endswith(
        "\n⚠️ That is not a file: send a document, a photo or a voice note."
    )

    content = PNG + b"a photo of the warehouse"
    await _send_photo(harness, client, content)

    card = harness.mm.last_message()
    assert card.text.startswith("📎 Attached to the deal: photo_20261127_110000.jpg\n\n")
    link = await FileLink.get(deal_id=deal.id).select_related("file")
    assert link.added_by_id == me.id and link.name == "photo_20261127_110000.jpg"
    assert link.file.sha256 == hashlib.sha256(content).hexdigest()
    assert link.file.mime_type == "image/jpeg"
    path = file_path(link.file.sha256, harness.app.settings.files_path)
    assert path.read_bytes() == content
    timeline = await click(harness, client, "Timeline")
    assert "📎 File: photo_20261127_110000.jpg" in timeline.text
    assert await StoredFile.all().count() == 1


async def test_log_a_call_opens_its_dialog_for_the_deal(
    make_harness, frozen_clock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(states, "LogInteractionSG", StubLogSG, raising=False)
    harness, client, _me, deal, card = await _open(make_harness, (*DEAL_DIALOGS, __name__))

    logging = await click(harness, client, "Log a call")
    assert logging.text == f"Log a call on deal {deal.id}"
    card = await click(harness, client, "Back")
    assert card.text.startswith(f"<b>{deal.number}</b>")


async def test_log_a_call_without_its_dialog_says_so(
    make_harness, frozen_clock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delattr(states, "LogInteractionSG", raising=False)
    harness, client, _me, _deal, card = await _open(make_harness)
    card = await click(harness, client, "Log a call")
    assert card.text.startswith("ℹ️ Logging calls is not available yet.\n\n")
