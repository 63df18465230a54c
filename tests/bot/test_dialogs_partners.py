"""Partners clicked through: the tolerant search limited to one's partners, the partner's card,
a new contact person with bad input re-asked, and forged ids that must open nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Cancel, Start
from aiogram_dialog.widgets.text import Const, Format

from bot.dialogs import MenuEntry, states
from models import ContactInfo, ContactPerson, Deal
from models.base import ContactKind, Direction, InteractionKind, Role
from services import partners
from services.deals import create_deal, mark_won
from services.employees import create_team
from services.interactions import log_interaction
from services.pipeline import load_default_pipelines
from services.validation import edrpou_check_digit, iban_mod97
from tests.bot.conftest import buttons, click, forge_click, make_employee

MINE = (
    "bot.dialogs.menu.dialog",
    "bot.dialogs.settings.dialog",
    "bot.dialogs.new_deal.dialog",
    "bot.dialogs.partners.dialog",
)
WITH_STUBS = (*MINE, __name__)
DENIED = "You do not have access to this."

# Stand-ins for other rooms: the deal card, and a dialog that opens a partner's card by id
# (as the deal card or a task will), here with whatever id the test puts into OPEN_PARTNER.


class StubSG(StatesGroup):
    MAIN = State()


OPEN_PARTNER: dict[str, Any] = {}
MENU_ENTRIES = (MenuEntry(id="stub_open", title="Open a partner", state=StubSG.MAIN, order=999),)


async def _card_getter(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
    return {"deal_id": dialog_manager.start_data["deal_id"]}


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                Format("Deal card #{deal_id}"),
                Cancel(Const("Close")),
                state=states.DealCardSG.MAIN,
                getter=_card_getter,
            )
        ),
        Dialog(
            Window(
                Const("Opener"),
                Start(
                    Const("Partner card"),
                    id="open",
                    state=states.PartnersSG.CARD,
                    data=OPEN_PARTNER,  # read when pressed
                ),
                state=StubSG.MAIN,
            )
        ),
    ]


def edrpou(first_seven: str) -> str:
    return first_seven + str(edrpou_check_digit(first_seven))


def iban(bank: str = "322001", account: str = "0000026007233566001") -> str:
    check = 98 - iban_mod97(f"UA00{bank}{account}")
    return f"UA{check:02d}{bank}{account}"


ALPHA_CODE = edrpou("3214567")
ALPHA_IBAN = iban()
KYIV_NOON = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)  # 12:00 in Kyiv


@pytest.fixture
async def world(db, frozen_clock):
    """Olena (manager) works with Alpha; Ivan (another manager) with Omega and one deal with
    Alpha; Hanna heads Olena's team; Adam is an administrator."""
    await load_default_pipelines()
    team = await create_team("Київ")
    olena = await make_employee(1, locale="en", name="Olena Petrenko")
    ivan = await make_employee(2, locale="en", name="Ivan Sydorenko")
    hanna = await make_employee(3, locale="en", name="Hanna Head", role=Role.HEAD)
    adam = await make_employee(4, locale="en", name="Adam Admin", role=Role.ADMIN)
    for employee in (olena, hanna):
        employee.team_id = team.id
        await employee.save()
    alpha = await partners.create_partner(
        name="ТОВ Альфа", is_client=True, main_manager_id=olena.id,
        phones=["+380 44 111 22 33"], emails=["info@alfa.ua"], website="alfa.ua",
    )  # fmt: skip
    await partners.create_counterparty(
        partner_id=alpha.id, name="ТОВ «Альфа-Трейд»", edrpou=ALPHA_CODE, iban=ALPHA_IBAN,
        bank_name="АТ КБ «ПриватБанк»",
    )  # fmt: skip
    await partners.create_contact(
        partner_id=alpha.id, full_name="Марія Коваль", position="Закупівельниця",
        phones=["+380671234567"], emails=["maria@alfa.ua"],
    )  # fmt: skip
    omega = await partners.create_partner(
        name="ПП Омега", is_client=True, main_manager_id=ivan.id, phones=["+380505556677"]
    )
    beta = await partners.create_partner(name="ТОВ Бета", main_manager_id=olena.id)
    kind = await partners.create_link_kind("Материнська компанія", "Дочірня компанія")
    await partners.link_partners(alpha.id, beta.id, kind.id)
    mine = await create_deal(
        owner_id=olena.id, title="Цемент М500", kind_code="simple_deal", partner_id=alpha.id,
        potential_minor=12_500_050, expected_close_on=dt.date(2026, 12, 15),
    )  # fmt: skip
    won = await create_deal(
        owner_id=olena.id, title="Старе замовлення", kind_code="simple_deal", partner_id=alpha.id
    )
    await mark_won(won.id, actor_id=olena.id)
    ivans = await create_deal(
        owner_id=ivan.id, title="Пісок", kind_code="simple_deal", partner_id=alpha.id
    )
    await log_interaction(
        kind=InteractionKind.CALL, owner_id=olena.id, starts_at=KYIV_NOON, partner_id=alpha.id,
        direction=Direction.OUTGOING, subject="Узгодили ціну",
    )  # fmt: skip
    await log_interaction(
        kind=InteractionKind.MEETING, owner_id=olena.id, deal_id=mine.id,
        starts_at=KYIV_NOON + dt.timedelta(days=1), subject="Зустріч <на складі>",
    )  # fmt: skip
    return {
        "olena": olena, "ivan": ivan, "hanna": hanna, "adam": adam, "alpha": alpha,
        "omega": omega, "beta": beta, "mine": mine, "ivans": ivans,
    }  # fmt: skip


def _harness(make_harness):
    OPEN_PARTNER.clear()
    return make_harness(features=WITH_STUBS)


async def _send(harness, client, text: str):
    harness.mm.reset_history()
    await client.send(text)
    return harness.mm.last_message()


async def _partners(harness, client):
    await client.send("/menu")
    return await click(harness, client, "Partners")


async def _open_alpha(harness, client):
    await _partners(harness, client)
    await _send(harness, client, "альфа")
    return await click(harness, client, "ТОВ Альфа")


def _names(message) -> list[str]:
    return [b for b in buttons(message) if b.startswith(("ТОВ", "ПП"))]


# --- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["альфа", "альфа-ТРЕЙД", ALPHA_CODE, "111 22 33", "0671234567", "INFO@alfa.ua", "maria@alfa"],
)
async def test_search_is_tolerant(make_harness, world, query):
    harness = _harness(make_harness)
    client = harness.client(1)
    start = await _partners(harness, client)
    assert start.text.startswith("<b>Partners</b>\nType a part of the name")
    assert buttons(start) == ["📋 My partners", "⬅️ Back", "🏠 Main menu"]

    found = await _send(harness, client, query)

    assert f"Found for «{query}»:" in found.text
    assert _names(found)[0].startswith("ТОВ Альфа")


async def test_a_manager_finds_and_lists_only_their_partners(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)
    await _partners(harness, client)

    nothing = await _send(harness, client, "омега")  # Ivan's partner
    assert "Nothing found for «омега»." in nothing.text
    assert _names(nothing) == []
    assert _names(await _send(harness, client, "0505556677")) == []

    mine = await click(harness, client, "Search")
    mine = await click(harness, client, "My partners")
    assert "Your partners:" in mine.text
    assert _names(mine) == ["ТОВ Альфа", "ТОВ Бета"]

    ivan = harness.client(2)  # a deal with Alpha is enough to work with it
    await _partners(harness, ivan)
    assert _names(await click(harness, ivan, "My partners")) == ["ПП Омега", "ТОВ Альфа"]


async def test_heads_see_their_team_and_admins_everybody(make_harness, world):
    harness = _harness(make_harness)
    expected_by_user = {3: ["ТОВ Альфа", "ТОВ Бета"], 4: ["ПП Омега", "ТОВ Альфа", "ТОВ Бета"]}
    for user, expected in expected_by_user.items():
        client = harness.client(user)
        await _partners(harness, client)
        assert _names(await click(harness, client, "My partners")) == expected, user


async def test_a_long_list_is_paged(make_harness, world):
    for n in range(9):
        await partners.create_partner(name=f"ТОВ Клієнт {n}", main_manager_id=world["olena"].id)
    harness = _harness(make_harness)
    client = harness.client(1)
    await _partners(harness, client)
    first = await _send(harness, client, "клієнт")
    assert _names(first) == [f"ТОВ Клієнт {n}" for n in range(8)]
    second = await click(harness, client, "▶️")
    assert _names(second) == ["ТОВ Клієнт 8"]
    assert "◀️" in buttons(second) and "▶️" not in buttons(second)


# --- the card -----------------------------------------------------------------------------------


async def test_the_card_shows_requisites_contacts_deals_interactions_and_links(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)

    card = await _open_alpha(harness, client)

    assert card.text == "\n".join(
        [
            "🏢 <b>ТОВ Альфа</b>",
            "client · potential",
            "Main manager: Olena Petrenko",
            "📞 +380 44 111 2233 · ✉️ info@alfa.ua · 🌐 https://alfa.ua",
            "",
            "<b>Requisites</b>",
            f"• <b>ТОВ «Альфа-Трейд»</b> · EDRPOU {ALPHA_CODE} · IBAN <code>{ALPHA_IBAN}</code>"
            " · АТ КБ «ПриватБанк»",
            "",
            "<b>Contact persons</b>",
            "• <b>Марія Коваль</b>, Закупівельниця",
            "   📞 +380 67 123 4567 · ✉️ maria@alfa.ua",
            "",
            "<b>Open deals</b>",
            f"• {world['mine'].number} Цемент М500 · 125,000.50 UAH · 15.12.2026",
            "  + 1 open deal of colleagues",
            "",
            "<b>Recent interactions</b>",
            f"• 21.11.2026 12:00 Meeting ({world['mine'].number}): Зустріч &lt;на складі&gt;"
            " — Olena Petrenko",
            "• 20.11.2026 12:00 Call ➡️: Узгодили ціну — Olena Petrenko",
            "",
            "<b>Links</b>",
            "• Материнська компанія: ТОВ Бета",
        ]
    )
    assert buttons(card) == [
        f"📂 {world['mine'].number} · Цемент М500",
        "👥 Contacts (1)", "➕ Add a contact",
        "💼 New deal", "📞 Log a call",
        "⬅️ Back", "🏠 Main menu",
    ]  # fmt: skip

    deal_card = await click(harness, client, "Цемент М500")
    assert deal_card.text == f"Deal card #{world['mine'].id}"
    back = await click(harness, client, "Close")
    assert back.text.startswith("🏢 <b>ТОВ Альфа</b>")

    found = await click(harness, client, "Back")
    assert "Found for «альфа»:" in found.text


async def test_the_other_side_of_a_link_reads_in_reverse(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)
    await _partners(harness, client)
    await _send(harness, client, "бета")
    card = await click(harness, client, "ТОВ Бета")
    assert card.text.endswith("<b>Links</b>\n• Дочірня компанія: ТОВ Альфа")


async def test_a_new_deal_from_the_card_starts_with_the_partner(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)
    await _open_alpha(harness, client)
    kinds = await click(harness, client, "New deal")
    assert "Client: <b>ТОВ Альфа</b>" in kinds.text
    assert "Choose the sales process:" in kinds.text
    card = await click(harness, client, "Back")  # back to the card it came from
    assert card.text.startswith("🏢 <b>ТОВ Альфа</b>")


async def test_contacts_are_listed_with_all_their_phones_and_e_mails(make_harness, world):
    await partners.create_contact(
        partner_id=world["alpha"].id, full_name="Андрій Бондар",
        phones=["+380501112233", "+380442223344"], emails=["a@alfa.ua"],
    )  # fmt: skip
    harness = _harness(make_harness)
    client = harness.client(1)
    await _open_alpha(harness, client)
    contacts = await click(harness, client, "Contacts (2)")
    assert contacts.text == (
        "<b>Contact persons of ТОВ Альфа</b>\n"
        "• <b>Андрій Бондар</b>\n   📞 +380 50 111 2233 · 📞 +380 44 222 3344 · ✉️ a@alfa.ua\n"
        "• <b>Марія Коваль</b>, Закупівельниця\n   📞 +380 67 123 4567 · ✉️ maria@alfa.ua"
    )
    assert buttons(contacts) == ["➕ Add a contact", "⬅️ Back", "🏠 Main menu"]


# --- a new contact person -----------------------------------------------------------------------


async def test_a_contact_person_is_added_after_bad_input_is_re_asked(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)
    await _open_alpha(harness, client)
    name = await click(harness, client, "Add a contact")
    assert name.text == "New contact person of <b>ТОВ Альфа</b>\nFull name:"
    assert buttons(name) == ["⬅️ Back", "🏠 Main menu"]

    refused = await _send(harness, client, "   ")
    assert refused.text.endswith("⚠️ Full name: is required")
    refused = await _send(harness, client, "П" * 201)
    assert refused.text.endswith("⚠️ Full name: is too long (at most 200 characters)")
    position = await _send(harness, client, "Петро   Іваненко")
    assert "Full name: Петро Іваненко\nPosition, e.g. procurement manager:" in position.text
    phone = await _send(harness, client, "Головний інженер")

    refused = await _send(harness, client, "067 123")
    assert refused.text.endswith("⚠️ Phone: is not a phone number")
    assert "Phone number:" in refused.text
    refused = await _send(harness, client, "call me maybe")
    assert refused.text.endswith("⚠️ Phone: is not a phone number")
    email = await _send(harness, client, "(067) 765-43-21")
    assert "Phone: +380 67 765 4321" in email.text and "⚠️" not in email.text

    refused = await _send(harness, client, "petro@")
    assert refused.text.endswith("⚠️ E-mail: is not an e-mail address")
    confirm = await _send(harness, client, "Petro@ALFA.ua")
    assert confirm.text == (
        "New contact person of <b>ТОВ Альфа</b>\nCheck and save:\n"
        "Full name: Петро Іваненко\nPosition: Головний інженер\n"
        "Phone: +380 67 765 4321\nE-mail: Petro@alfa.ua"
    )
    assert await ContactPerson.filter(full_name="Петро Іваненко").count() == 0

    card = await click(harness, client, "Save")

    assert "✅ Contact person added: Петро Іваненко" in card.text
    assert "• <b>Петро Іваненко</b>, Головний інженер" in card.text
    contact = await ContactPerson.get(full_name="Петро Іваненко")
    assert (contact.partner_id, contact.position) == (world["alpha"].id, "Головний інженер")
    infos = await ContactInfo.filter(contact_id=contact.id).order_by("kind")
    assert [(i.kind, i.normalized) for i in infos] == [
        (ContactKind.EMAIL, "petro@alfa.ua"), (ContactKind.PHONE, "+380677654321"),
    ]  # fmt: skip
    del phone


async def test_a_contact_with_only_a_name(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)
    await _open_alpha(harness, client)
    await click(harness, client, "Add a contact")
    await _send(harness, client, "Бухгалтерія")
    await click(harness, client, "Skip")
    await click(harness, client, "Skip")
    confirm = await click(harness, client, "Skip")
    assert confirm.text.endswith("Check and save:\nFull name: Бухгалтерія")
    await click(harness, client, "Save")
    contact = await ContactPerson.get(full_name="Бухгалтерія")
    assert contact.position == "" and not await ContactInfo.filter(contact_id=contact.id).exists()


async def test_back_from_the_first_contact_step_drops_the_draft(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)
    await _open_alpha(harness, client)
    await click(harness, client, "Add a contact")
    await _send(harness, client, "Чернетка")
    await click(harness, client, "Back")  # to the name
    card = await click(harness, client, "Back")  # to the card
    assert card.text.startswith("🏢 <b>ТОВ Альфа</b>")
    name = await click(harness, client, "Add a contact")
    assert name.text == "New contact person of <b>ТОВ Альфа</b>\nFull name:"
    assert await ContactPerson.all().count() == 1


# --- forged data --------------------------------------------------------------------------------


async def test_a_forged_partner_id_opens_no_card(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)
    await _partners(harness, client)
    found = await _send(harness, client, "альфа")
    data = found.reply_markup.inline_keyboard[0][0].callback_data
    forged = data.rsplit(":", 1)[0] + f":{world['omega'].id}"
    harness.mm.reset_history()

    callback_id = await forge_click(client, found, forged)

    assert harness.fake.answered[callback_id]["text"] == DENIED
    assert not harness.mm.sent_messages
    for junk in ("x", "-1", "99999"):
        callback_id = await forge_click(client, found, data.rsplit(":", 1)[0] + f":{junk}")
        assert harness.fake.answered[callback_id]["text"] == DENIED
    assert not harness.mm.sent_messages


async def test_a_forged_deal_id_on_the_card_opens_nothing(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)
    card = await _open_alpha(harness, client)
    data = card.reply_markup.inline_keyboard[0][0].callback_data
    assert data.endswith(f":{world['mine'].id}")
    harness.mm.reset_history()

    callback_id = await forge_click(
        client,
        card,
        data.rsplit(":", 1)[0] + f":{world['ivans'].id}",  # Ivan's deal with Alpha
    )

    assert harness.fake.answered[callback_id]["text"] == DENIED
    assert not harness.mm.sent_messages


async def test_a_card_opened_by_id_from_elsewhere_is_checked_too(make_harness, world):
    harness = _harness(make_harness)
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Open a partner")
    search = await click(harness, client, "Partner card")  # no id at all: the search
    assert search.text == (
        "<b>Partners</b>\n"
        "Type a part of the name, the EDRPOU / RNOKPP, a phone number or an e-mail."
    )

    OPEN_PARTNER["partner_id"] = world["omega"].id  # not Olena's
    await click(harness, client, "Main menu")
    await click(harness, client, "Open a partner")
    refused = await click(harness, client, "Partner card")
    assert refused.text.startswith("<b>Partners</b>\nType a part of the name")
    assert refused.text.endswith("⚠️ You do not have access to this.")
    assert "Омега" not in refused.text

    OPEN_PARTNER["partner_id"] = world["alpha"].id
    await click(harness, client, "Main menu")
    await click(harness, client, "Open a partner")
    card = await click(harness, client, "Partner card")
    assert card.text.startswith("🏢 <b>ТОВ Альфа</b>")
    opener = await click(harness, client, "Back")  # back to whoever opened it
    assert opener.text == "Opener"


async def test_a_stale_button_is_denied_once_the_manager_no_longer_works_with_the_partner(
    make_harness, world
):
    harness = _harness(make_harness)
    client = harness.client(2)  # Ivan sees Alpha through his open deal
    card = await _open_alpha(harness, client)
    assert "🏢 <b>ТОВ Альфа</b>" in card.text
    assert "Main manager: Olena Petrenko" in card.text
    await Deal.filter(id=world["ivans"].id).update(owner_id=world["olena"].id)  # reassigned

    harness.mm.reset_history()
    callback_id = await forge_click(
        client, card, card.reply_markup.inline_keyboard[0][0].callback_data
    )
    assert harness.fake.answered[callback_id]["text"] == DENIED
