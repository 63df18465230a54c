"""Forged callback data and forged start data never open or change another manager's deal:
the id is always loaded through `services.access` with the acting employee."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Cancel, Column, Select
from aiogram_dialog.widgets.text import Const, Format

from bot.dialogs import MenuEntry
from bot.dialogs.states import DealCardSG
from models import Deal, DealParticipant, ProcessDocument, Task, Team
from models.base import DealStatus, Role, TaskStatus
from services.pipeline import find_kind, stages_in_order
from services.tasks import create_task
from tests.bot.conftest import buttons, forge_click
from tests.bot.deal_dialogs import DEAL_DIALOGS, click
from tests.factories import load_default_kinds, make_deal, make_employee, make_partner

REFUSED_UK = "У вас немає доступу до цього."
REFUSED_EN = "You do not have access to this."


# A careless dialog (a notification button, another feature) that starts the card with any id
# it was given, without checking: the card itself must refuse.
class CarelessSG(StatesGroup):
    MAIN = State()


MENU_ENTRIES = (MenuEntry(id="careless", title="Careless", state=CarelessSG.MAIN, order=999),)


async def _all_deals(**kwargs: Any) -> dict[str, Any]:
    rows = await Deal.all().order_by("id").values("id", "number")
    return {"deals": [*rows, {"id": "junk", "number": "junk"}]}


async def _start_card(callback: Any, widget: Any, manager: DialogManager, item_id: str) -> None:
    deal_id: Any = int(item_id) if item_id.isdigit() else item_id
    await manager.start(DealCardSG.MAIN, data={"deal_id": deal_id})


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                Const("Any deal"),
                Column(
                    Select(
                        Format("{item[number]}"), id="any", item_id_getter=itemgetter("id"),
                        items="deals", on_click=_start_card,
                    )
                ),
                Cancel(Const("Back")),
                state=CarelessSG.MAIN,
                getter=_all_deals,
            )
        )
    ]  # fmt: skip


def _forged(message, text: str, item_id: int | str) -> str:
    """The callback data of the button labelled `text`, pointing at another item."""
    for row in message.reply_markup.inline_keyboard:
        for button in row:
            if text in button.text:
                return f"{button.callback_data.rsplit(':', 1)[0]}:{item_id}"
    raise LookupError(text)


async def _managers():
    await load_default_kinds()
    me = await make_employee(telegram_id=1, locale="uk")
    other = await make_employee(telegram_id=2, locale="uk")
    return me, other


async def test_a_forged_deal_button_in_the_list_opens_nothing(make_harness, frozen_clock):
    harness = make_harness(features=DEAL_DIALOGS)
    me, other = await _managers()
    mine = await make_deal(owner=me, title="Моя угода")
    theirs = await make_deal(owner=other, title="Чужа угода")
    client = harness.client(1)
    await client.send("/menu")
    listing = await click(harness, client, "Мої угоди")
    harness.mm.reset_history()

    callback_id = await forge_click(client, listing, _forged(listing, mine.number, theirs.id))

    said = harness.fake.answered[callback_id]
    assert said["text"] == REFUSED_UK and said["show_alert"] == "true"
    assert not any(theirs.number in (m.text or "") for m in harness.mm.sent_messages)
    callback_id = await forge_click(client, listing, _forged(listing, mine.number, "1 OR 1=1"))
    assert harness.fake.answered[callback_id]["text"] == REFUSED_UK
    card = await click(harness, client, mine.number, listing)  # the list still works
    assert card.text.startswith(f"<b>{mine.number}</b>")


async def test_forged_start_data_is_refused_by_the_card(make_harness, frozen_clock):
    harness = make_harness(features=(*DEAL_DIALOGS, __name__))
    north, south = await Team.create(name="North"), await Team.create(name="South")
    await load_default_kinds()
    await make_employee(telegram_id=1, locale="en", role=Role.MANAGER, team=north)
    head = await make_employee(telegram_id=3, locale="en", role=Role.HEAD, team=north)
    await make_employee(telegram_id=4, locale="en", role=Role.ADMIN)
    stranger = await make_employee(telegram_id=2, locale="en", team=south)
    theirs = await make_deal(owner=stranger, title="Чужа угода")
    before = await Deal.get(id=theirs.id)

    for user_id in (1, 3):  # a manager, a head of another team
        client = harness.client(user_id)
        await client.send("/menu")
        careless = await click(harness, client, "Careless")
        assert buttons(careless)[:2] == [theirs.number, "junk"]
        for label in (theirs.number, "junk"):
            harness.mm.reset_history()
            callback_id = await client.click(careless, _locator(label))
            assert harness.fake.answered[callback_id]["text"] == REFUSED_EN
            assert not any(theirs.number in (m.text or "") for m in harness.mm.sent_messages)

    admin = harness.client(4)  # an administrator sees every deal
    await admin.send("/menu")
    await click(harness, admin, "Careless")
    card = await click(harness, admin, theirs.number)
    assert card.text.startswith(f"<b>{theirs.number}</b>")
    after = await Deal.get(id=theirs.id)
    assert (after.version, after.stage_id, after.status) == (
        before.version, before.stage_id, before.status,
    )  # fmt: skip
    assert head.role == Role.HEAD


def _locator(text: str):
    import re

    from aiogram_dialog.test_tools.keyboard import InlineButtonTextLocator

    return InlineButtonTextLocator(f"^{re.escape(text)}$")


async def test_a_forged_task_id_completes_nothing(make_harness, frozen_clock):
    harness = make_harness(features=DEAL_DIALOGS)
    me, other = await _managers()
    mine = await make_deal(owner=me, title="Моя", kind_code="typical_sale")
    theirs = await make_deal(owner=other, title="Чужа", kind_code="typical_sale")
    await create_task(title="Ще одна справа", performer_id=me.id, deal_id=mine.id)
    their_task = await Task.get(deal_id=theirs.id)
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Мої угоди")
    await click(harness, client, mine.number)
    choice = await click(harness, client, "Виконати задачу")
    harness.mm.reset_history()

    callback_id = await forge_click(client, choice, _forged(choice, "Ще одна", their_task.id))

    assert harness.fake.answered[callback_id]["text"] == REFUSED_UK
    assert (await Task.get(id=their_task.id)).status == TaskStatus.OPEN
    assert not harness.mm.sent_messages  # nothing was shown instead


async def test_forged_stage_document_and_competitor_ids_change_nothing(make_harness, frozen_clock):
    harness = make_harness(features=DEAL_DIALOGS)
    await load_default_kinds()
    me = await make_employee(telegram_id=1, locale="en")
    deal = await make_deal(owner=me, title="Проста угода")
    not_a_rival = await make_partner(name="ТОВ «Клієнт, не конкурент»")
    guided = await find_kind("typical_sale")
    foreign_stage = (await stages_in_order(guided.id))[3]
    foreign_doc = await ProcessDocument.filter(kind_id=guided.id).first()
    assert foreign_doc is not None
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "My deals")
    await click(harness, client, deal.number)

    stages = await click(harness, client, "Choose the stage")
    harness.mm.reset_history()
    await forge_click(client, stages, _forged(stages, "New deal", foreign_stage.id))
    card = harness.mm.last_message()
    assert card.text.startswith("⚠️ Stage: belongs to another process kind\n\n")
    stored = await Deal.get(id=deal.id).select_related("stage")
    assert stored.stage.code == "new" and stored.version == deal.version

    documents = await click(harness, client, "Documents", card)
    harness.fake.history[1].clear()
    harness.mm.reset_history()
    await forge_click(client, documents, _forged(documents, "Як вести", foreign_doc.id))
    assert harness.mm.last_message().text.startswith(
        "⚠️ File: does not belong to this deal's process\n"
    )
    assert not [e for e in harness.fake.history[1] if e.kind == "document"]

    await click(harness, client, "Back")
    await click(harness, client, "Mark lost")
    rivals = await click(harness, client, "Lost to a competitor")
    await make_partner(name="ТОВ «Справжній конкурент»", is_competitor=True)
    rivals = await click(harness, client, "Back")
    rivals = await click(harness, client, "Lost to a competitor")
    harness.mm.reset_history()
    await forge_click(client, rivals, _forged(rivals, "Справжній", not_a_rival.id))
    assert harness.mm.last_message().text.startswith(
        "⚠️ Competitor: is not marked as a competitor\n"
    )
    assert (await Deal.get(id=deal.id)).status == DealStatus.OPEN
    assert not await DealParticipant.filter(deal_id=deal.id, won_the_deal=True).exists()
