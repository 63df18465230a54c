"""The New deal wizard clicked through: an existing partner, a quickly created one (with the
duplicate warning), bad input at every text step, the calendar, and the database afterwards."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.test_tools.keyboard import InlineButtonPositionLocator
from aiogram_dialog.widgets.kbd import Cancel
from aiogram_dialog.widgets.kbd.calendar_kbd import raw_from_date
from aiogram_dialog.widgets.text import Const, Format

from bot.dialogs import states
from models import ContactInfo, ContactPerson, Counterparty, Deal, DealKind, Partner
from models.base import ContactKind, DealStatus, LegalForm
from services import partners
from services.pipeline import load_default_pipelines
from services.validation import edrpou_check_digit, rnokpp_check_digit
from tests.bot.conftest import assert_buttons_fit, buttons, click, forge_click, make_employee

# The features under test, and a stand-in for the deal card another room builds: the wizard
# must end on the card of the deal it created, whatever that card shows.
MINE = (
    "bot.dialogs.menu.dialog",
    "bot.dialogs.settings.dialog",
    "bot.dialogs.new_deal.dialog",
    "bot.dialogs.partners.dialog",
)
WITH_CARD = (*MINE, __name__)


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
        )
    ]


def edrpou(first_seven: str) -> str:
    return first_seven + str(edrpou_check_digit(first_seven))


def rnokpp(first_nine: str) -> str:
    return first_nine + str(rnokpp_check_digit(first_nine))


GOOD_EDRPOU = edrpou("3214567")
BAD_EDRPOU = GOOD_EDRPOU[:7] + str((int(GOOD_EDRPOU[7]) + 1) % 10)
TODAY = dt.date(2026, 11, 27)  # the frozen clock's day in Kyiv


@pytest.fixture
async def world(db, frozen_clock):
    await load_default_pipelines()
    me = await make_employee(1, locale="en", name="Olena Petrenko")
    other = await make_employee(2, locale="en", name="Ivan Other")
    return me, other


async def _harness(make_harness, features=WITH_CARD):
    return make_harness(features=features)


async def _send(harness, client, text: str):
    harness.mm.reset_history()
    await client.send(text)
    shown = harness.mm.last_message()
    assert_buttons_fit(shown)
    return shown


async def _open_wizard(harness, client):
    await client.send("/menu")
    return await click(harness, client, "New deal")


async def _deal_steps(harness, client, *, kind="Simple deal", title="Cement, 20 t"):
    """From the kind to the confirmation, with good values."""
    await click(harness, client, kind)
    await _send(harness, client, title)
    await _send(harness, client, "125 000,50")
    return await click(harness, client, "[27]")


# --- an existing partner ------------------------------------------------------------------------


async def test_a_deal_with_an_existing_partner_is_created_and_its_card_opens(make_harness, world):
    me, other = world
    alpha = await partners.create_partner(name="ТОВ Альфа", is_client=True, main_manager_id=me.id)
    await partners.create_counterparty(partner_id=alpha.id, name="ТОВ «Альфа»", edrpou=GOOD_EDRPOU)
    await partners.create_partner(name="ТОВ Альфа-Схід", is_client=True, main_manager_id=other.id)
    harness = await _harness(make_harness)
    client = harness.client(1)

    start = await _open_wizard(harness, client)
    assert start.text.startswith("<b>New deal</b>\nWho is the client?")
    assert buttons(start) == ["➕ New partner", "⬅️ Back", "🏠 Main menu"]

    found = await _send(harness, client, "альфа")
    assert "Found for «альфа»" in found.text
    # another manager's partner matches the words too, but is not offered
    assert buttons(found) == [
        f"ТОВ Альфа · {GOOD_EDRPOU}", "➕ New partner", "⬅️ Back", "🏠 Main menu",
    ]  # fmt: skip

    kinds = await click(harness, client, "ТОВ Альфа")
    assert "Client: <b>ТОВ Альфа</b>" in kinds.text
    assert buttons(kinds)[:2] == ["Simple deal", "Typical sale"]

    await click(harness, client, "Simple deal")
    potential = await _send(harness, client, "  Cement,   20 t ")
    assert "Title: Cement,   20 t" in potential.text
    calendar = await _send(harness, client, "125000.5 грн")
    assert "Potential: 125,000.50 UAH" in calendar.text  # echoed back before anything is written
    confirm = await click(harness, client, "[27]")
    assert confirm.text == (
        "<b>New deal</b>\nCheck and create the deal:\n"
        "Client: <b>ТОВ Альфа</b>\nProcess: Simple deal\nTitle: Cement,   20 t\n"
        "Potential: 125,000.50 UAH\nExpected closing: 27.11.2026"
    )
    assert await Deal.all().count() == 0  # nothing is written before the confirmation

    card = await click(harness, client, "Create the deal")

    deal = await Deal.get()
    assert card.text == f"Deal card #{deal.id}"
    kind = await DealKind.get(id=deal.kind_id)
    assert (deal.partner_id, deal.owner_id, kind.code) == (alpha.id, me.id, "simple_deal")
    assert (deal.title, deal.potential_minor, deal.currency) == (
        "Cement,   20 t",
        12_500_050,
        "UAH",
    )
    assert deal.expected_close_on == TODAY and deal.status == DealStatus.OPEN
    assert deal.counterparty_id == (await Counterparty.get(partner_id=alpha.id)).id
    assert await Partner.all().count() == 2  # no partner was created

    menu = await click(harness, client, "Close")  # the card took the wizard's place
    assert menu.text.endswith("What shall we do?")


async def test_without_the_deal_card_the_wizard_says_the_number(make_harness, world):
    me, _ = world
    await partners.create_partner(name="ТОВ Бета", main_manager_id=me.id)
    harness = await _harness(make_harness, MINE)
    client = harness.client(1)
    await _open_wizard(harness, client)
    await _send(harness, client, "бета")
    await click(harness, client, "ТОВ Бета")
    await _deal_steps(harness, client)
    done = await click(harness, client, "Create the deal")
    number = (await Deal.get()).number
    assert done.text == f"✅ The deal <b>{number}</b> is created."
    assert buttons(done) == ["🏠 Main menu"]


async def test_search_results_are_paged(make_harness, world):
    me, other = world
    for n in range(11):
        await partners.create_partner(name=f"Partner {n:02d}", main_manager_id=me.id)
    await partners.create_partner(name="Partner 99 of someone else", main_manager_id=other.id)
    harness = await _harness(make_harness)
    client = harness.client(1)
    await _open_wizard(harness, client)

    first = await _send(harness, client, "partner")
    assert [b for b in buttons(first) if b.startswith("Partner")] == [
        f"Partner {n:02d}" for n in range(8)
    ]
    assert "▶️" in buttons(first) and "◀️" not in buttons(first)
    second = await click(harness, client, "▶️")
    assert [b for b in buttons(second) if b.startswith("Partner")] == [
        "Partner 08", "Partner 09", "Partner 10",
    ]  # fmt: skip
    assert "◀️" in buttons(second) and "▶️" not in buttons(second)

    nothing = await _send(harness, client, "no such company")
    assert "Nothing found for «no such company»" in nothing.text
    assert buttons(nothing) == ["➕ New partner", "⬅️ Back", "🏠 Main menu"]


async def test_a_forged_partner_id_does_not_become_the_client(make_harness, world):
    me, other = world
    await partners.create_partner(name="ТОВ Мій", main_manager_id=me.id)
    foreign = await partners.create_partner(name="ТОВ Чужий", main_manager_id=other.id)
    harness = await _harness(make_harness)
    client = harness.client(1)
    await _open_wizard(harness, client)
    found = await _send(harness, client, "тов")
    data = found.reply_markup.inline_keyboard[0][0].callback_data
    mine_id = data.rsplit(":", 1)[1]
    harness.mm.reset_history()

    callback_id = await forge_click(client, found, data[: -len(mine_id)] + str(foreign.id))

    assert harness.fake.answered[callback_id]["text"] == "You do not have access to this."
    assert not harness.mm.sent_messages  # nothing opened
    kinds = await click(harness, client, "ТОВ Мій", found)  # the wizard goes on
    assert "Client: <b>ТОВ Мій</b>" in kinds.text


# --- a new partner ------------------------------------------------------------------------------


async def test_a_quick_partner_with_bad_tax_id_and_phone_is_re_asked_then_created(
    make_harness, world
):
    me, _ = world
    harness = await _harness(make_harness)
    client = harness.client(1)
    await _open_wizard(harness, client)
    name = await click(harness, client, "New partner")
    assert "New partner. Type the name" in name.text
    assert buttons(name) == ["⬅️ Back", "🏠 Main menu"]

    too_long = await _send(harness, client, "Я" * 301)
    assert too_long.text.endswith("⚠️ Name: is too long (at most 300 characters)")
    tax = await _send(harness, client, "ТОВ «Нова Зоря»")
    assert "Client: <b>ТОВ «Нова Зоря»</b> (new)" in tax.text
    assert buttons(tax) == ["⏭ Skip", "⬅️ Back", "🏠 Main menu"]

    bad = await _send(harness, client, BAD_EDRPOU)
    assert bad.text.endswith("⚠️ EDRPOU code: has a wrong check digit")
    assert "EDRPOU (8 digits)" in bad.text  # the same question again
    bad = await _send(harness, client, "12345")
    assert bad.text.endswith("⚠️ Tax id: must have 8 / 10 digits")
    bad = await _send(harness, client, "1234567x")
    assert bad.text.endswith("⚠️ Tax id: must contain digits only")
    contact = await _send(harness, client, f"{GOOD_EDRPOU[:4]} {GOOD_EDRPOU[4:]}")
    assert f"(new) · tax id {GOOD_EDRPOU}" in contact.text
    assert "⚠️" not in contact.text

    phone = await _send(harness, client, "Ігор Коваль")
    assert "contact Ігор Коваль" in phone.text
    bad = await _send(harness, client, "12345")
    assert bad.text.endswith("⚠️ Phone: is not a phone number")
    kinds = await _send(harness, client, "067 123 45 67")
    assert "· +380 67 123 4567" in kinds.text  # no look-alikes: straight to the process kind
    assert "Choose the sales process:" in kinds.text
    assert await Partner.all().count() == 0

    confirm = await _deal_steps(harness, client, kind="Typical sale", title="Щебінь")
    assert "Client: <b>ТОВ «Нова Зоря»</b> (new) · tax id" in confirm.text
    await click(harness, client, "Create the deal")

    partner = await Partner.get()
    assert (partner.name, partner.main_manager_id, partner.is_client) == (
        "ТОВ «Нова Зоря»", me.id, True,
    )  # fmt: skip
    counterparty = await Counterparty.get(partner_id=partner.id)
    assert (counterparty.edrpou, counterparty.legal_form) == (GOOD_EDRPOU, LegalForm.LEGAL_ENTITY)
    contact_person = await ContactPerson.get(partner_id=partner.id)
    assert contact_person.full_name == "Ігор Коваль"
    phone_info = await ContactInfo.get(contact_id=contact_person.id, kind=ContactKind.PHONE)
    assert phone_info.normalized == "+380671234567"
    deal = await Deal.get()
    assert (deal.partner_id, deal.counterparty_id, deal.title) == (
        partner.id, counterparty.id, "Щебінь",
    )  # fmt: skip
    assert deal.guided  # the typical sale follows its route


async def test_a_person_with_a_rnokpp_only_skipping_the_rest(make_harness, world):
    harness = await _harness(make_harness, MINE)
    client = harness.client(1)
    await _open_wizard(harness, client)
    await click(harness, client, "New partner")
    await _send(harness, client, "ФОП Дмитренко")
    await _send(harness, client, rnokpp("123456789"))
    await click(harness, client, "Skip")  # no contact person
    kinds = await click(harness, client, "Skip")  # no phone
    assert "Choose the sales process:" in kinds.text
    await click(harness, client, "Simple deal")
    await _send(harness, client, "Консультація")
    await click(harness, client, "Skip")  # no potential
    confirm = await click(harness, client, "Skip")  # no closing date
    assert "Potential" not in confirm.text and "Expected closing" not in confirm.text
    await click(harness, client, "Create the deal")

    counterparty = await Counterparty.get()
    assert (counterparty.rnokpp, counterparty.legal_form) == (
        rnokpp("123456789"), LegalForm.ENTREPRENEUR,
    )  # fmt: skip
    assert await ContactPerson.all().count() == 0
    deal = await Deal.get()
    assert (deal.potential_minor, deal.expected_close_on) == (0, None)


async def _existing_alpha(me_id: int, other_id: int) -> tuple[Partner, Partner]:
    alpha = await partners.create_partner(
        name="ТОВ Альфа", is_client=True, main_manager_id=me_id, phones=["+380671112233"]
    )
    await partners.create_counterparty(partner_id=alpha.id, name="Альфа", edrpou=GOOD_EDRPOU)
    foreign = await partners.create_partner(
        name="ПП Омега", is_client=True, main_manager_id=other_id, phones=["+380504445566"]
    )
    return alpha, foreign


async def _quick_partner_with_look_alikes(harness, client):
    await _open_wizard(harness, client)
    await click(harness, client, "New partner")
    await _send(harness, client, "Альфа")
    await _send(harness, client, GOOD_EDRPOU)
    await _send(harness, client, "Марія Сидоренко")
    return await _send(harness, client, "+380 50 444 55 66")


async def test_the_duplicate_warning_lets_the_user_take_the_existing_partner(make_harness, world):
    me, other = world
    alpha, _ = await _existing_alpha(me.id, other.id)
    harness = await _harness(make_harness)
    client = harness.client(1)

    warning = await _quick_partner_with_look_alikes(harness, client)

    assert "⚠️ Similar partners are already in the CRM:" in warning.text
    assert "• <b>ТОВ Альфа</b>: tax id, name" in warning.text
    assert "• <b>ПП Омега</b> (another manager's): phone" in warning.text
    # only the partner this manager works with can be taken
    assert buttons(warning) == [
        "Use: ТОВ Альфа", "➕ Create a new partner anyway", "⬅️ Back", "🏠 Main menu",
    ]  # fmt: skip

    kinds = await click(harness, client, "Use: ТОВ Альфа")
    assert "Client: <b>ТОВ Альфа</b>\n" in kinds.text and "(new)" not in kinds.text
    await _deal_steps(harness, client)
    card = await click(harness, client, "Create the deal")

    deal = await Deal.get()
    assert card.text == f"Deal card #{deal.id}"
    assert deal.partner_id == alpha.id
    assert await Partner.all().count() == 2
    assert await ContactPerson.all().count() == 0


async def test_the_duplicate_warning_can_be_overruled(make_harness, world):
    me, other = world
    alpha, _ = await _existing_alpha(me.id, other.id)
    harness = await _harness(make_harness)
    client = harness.client(1)
    await _quick_partner_with_look_alikes(harness, client)

    kinds = await click(harness, client, "Create a new partner anyway")
    assert "Client: <b>Альфа</b> (new)" in kinds.text
    await _deal_steps(harness, client)
    await click(harness, client, "Create the deal")

    deal = await Deal.get()
    created = await Partner.get(id=deal.partner_id)
    assert created.id != alpha.id and created.name == "Альфа"
    assert created.main_manager_id == me.id
    assert await Counterparty.filter(edrpou=GOOD_EDRPOU).count() == 2


async def test_a_look_alike_created_meanwhile_is_warned_about_at_the_confirmation(
    make_harness, world
):
    me, _ = world
    harness = await _harness(make_harness)
    client = harness.client(1)
    await _open_wizard(harness, client)
    await click(harness, client, "New partner")
    await _send(harness, client, "ТОВ Гамма")
    await click(harness, client, "Skip")
    await click(harness, client, "Skip")
    await click(harness, client, "Skip")
    await _deal_steps(harness, client)
    await partners.create_partner(name="Гамма", main_manager_id=me.id)  # a colleague was faster

    warning = await click(harness, client, "Create the deal")

    assert "• <b>Гамма</b>: name" in warning.text
    assert await Deal.all().count() == 0 and await Partner.all().count() == 1
    kinds = await click(harness, client, "Use: Гамма")
    assert "Client: <b>Гамма</b>" in kinds.text


# --- the deal's own values ----------------------------------------------------------------------


async def test_bad_title_potential_and_dates_are_refused_and_asked_again(make_harness, world):
    me, _ = world
    await partners.create_partner(name="ТОВ Дельта", main_manager_id=me.id)
    harness = await _harness(make_harness)
    client = harness.client(1)
    await _open_wizard(harness, client)
    await _send(harness, client, "дельта")
    await click(harness, client, "ТОВ Дельта")
    title = await click(harness, client, "Simple deal")
    assert "Type the title of the deal" in title.text

    empty = await _send(harness, client, "   ")
    assert empty.text.endswith("⚠️ Title: is required")
    huge = await _send(harness, client, "x" * 10_000)
    assert huge.text.endswith("⚠️ Title: is too long (at most 300 characters)")
    assert "x" * 301 not in huge.text
    potential = await _send(harness, client, "Bolts <M8> & nuts")
    assert "Title: Bolts &lt;M8&gt; &amp; nuts" in potential.text  # escaped in HTML
    assert "⚠️" not in potential.text

    for typed, reason in (
        ("-5000", "Potential amount: cannot be negative"),
        ("twelve", "Potential amount: is not a number"),
        ("12,345.678", "Potential amount: is not a number"),
        ("999 999 999 999 999", "Potential amount: is too large (at most 100,000,000,000.00 UAH)"),
    ):
        refused = await _send(harness, client, typed)
        assert refused.text.endswith("⚠️ " + reason), typed
        assert "The potential amount in UAH" in refused.text
    calendar = await _send(harness, client, "125 000")
    assert "Potential: 125,000.00 UAH" in calendar.text

    # the calendar opens on today (frozen clock, Kyiv); past days are not offered ...
    assert "🗓 November 2026" in buttons(calendar)
    assert "[27]" in buttons(calendar) and "26" not in buttons(calendar)
    # ... and a press on one anyway (an old keyboard after midnight) is refused
    today = next(
        b.callback_data for row in calendar.reply_markup.inline_keyboard for b in row
        if b.text == "[27]"
    )  # fmt: skip
    past = today.replace(str(raw_from_date(TODAY)), str(raw_from_date(TODAY - dt.timedelta(1))))
    harness.mm.reset_history()
    await forge_click(client, calendar, past)
    refused = harness.mm.last_message()
    assert refused.text.endswith("⚠️ Expected closing date: cannot be in the past")
    assert "When do you expect to close the deal?" in refused.text
    nxt = await click(harness, client, "Dec »")
    assert "🗓 December 2026" in buttons(nxt)
    confirm = await click(harness, client, "15")
    assert "Expected closing: 15.12.2026" in confirm.text

    await click(harness, client, "Create the deal")
    deal = await Deal.get()
    assert (deal.title, deal.potential_minor) == ("Bolts <M8> & nuts", 12_500_000)
    assert deal.expected_close_on == dt.date(2026, 12, 15)


async def test_back_goes_one_step_and_keeps_what_was_typed(make_harness, world):
    me, _ = world
    await partners.create_partner(name="ТОВ Епсилон", main_manager_id=me.id)
    harness = await _harness(make_harness)
    client = harness.client(1)
    await _open_wizard(harness, client)
    await _send(harness, client, "епсилон")
    await click(harness, client, "ТОВ Епсилон")
    await click(harness, client, "Simple deal")
    await _send(harness, client, "Old title")
    title = await click(harness, client, "Back")
    assert "Type the title of the deal" in title.text and "Title: Old title" in title.text
    kinds = await click(harness, client, "Back")
    assert "Choose the sales process:" in kinds.text
    found = await click(harness, client, "Back")  # to the search results
    assert "Found for «епсилон»" in found.text

    harness.mm.reset_history()
    await client.send("/cancel")
    assert harness.mm.last_message().text.endswith("What shall we do?")
    assert await Deal.all().count() == 0


async def test_kinds_and_the_calendar_speak_ukrainian_by_default(make_harness, world):
    oksana = await make_employee(3, name="Оксана")  # the default language
    await partners.create_partner(name="ТОВ Дзета", main_manager_id=oksana.id)
    harness = await _harness(make_harness)
    client = harness.client(3)
    await client.send("/menu")
    menu = harness.mm.last_message()
    harness.mm.reset_history()
    await client.click(menu, InlineButtonPositionLocator(0, 0))  # New deal comes first
    await _send(harness, client, "дзета")
    await click(harness, client, "ТОВ Дзета")
    await click(harness, client, "Проста угода")  # the kind's Ukrainian name
    await _send(harness, client, "Цемент")
    calendar = await _send(harness, client, "1000")
    assert "1\u00a0000,00\u00a0грн" in calendar.text
    assert "🗓 листопад 2026" in buttons(calendar)
    assert buttons(calendar)[1:8] == ["пн", "вт", "ср", "чт", "пт", "сб", "нд"]
    assert "« жовт." not in buttons(calendar)  # no way back to past months
