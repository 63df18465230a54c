"""/start <token>: an invitation registers the employee with the invited role."""

from __future__ import annotations

import datetime as dt

from core import clock
from models.employee import Employee
from services.employees import create_invitation
from tests.bot.conftest import buttons, make_employee
from tests.fakes.telegram import visible_text

INVALID_UK = "Це запрошення невідоме, прострочене або вже використане."


async def test_a_valid_invitation_registers_the_employee_and_shows_the_menu(harness):
    invitation = await create_invitation(role="head")
    client = harness.client(70)
    await client.send(f"/start {invitation.token}")

    employee = await Employee.get(telegram_id=70)
    assert (employee.role, employee.locale, employee.full_name) == ("head", "uk", "User70")
    [welcome] = harness.fake.pending_events(70)
    assert welcome.text == "Вітаємо, User70! Вас зареєстровано як: керівник відділу продажу."
    menu = harness.mm.one_message()
    assert menu.text == "<b>User70</b>, керівник відділу продажу\nЩо робимо?"
    assert buttons(menu) == ["Налаштування"]

    await client.send("/menu")  # from now on an employee
    assert len(harness.fake.pending_events(70)) == 1


async def test_an_english_speaking_invitee_gets_english(harness):
    invitation = await create_invitation(role="manager")
    await harness.client(71, language_code="en").send(f"/start {invitation.token}")
    assert (await Employee.get(telegram_id=71)).locale == "en"
    assert harness.fake.pending_events(71)[0].text == (
        "Welcome, User71! You are registered as manager."
    )
    assert harness.mm.one_message().text.endswith("What shall we do?")


async def test_user_names_are_escaped_in_html_messages(harness):
    invitation = await create_invitation(role="manager")
    client = harness.client(72)
    client.user = client.user.model_copy(update={"first_name": "Tom & <Jerry>"})
    await client.send(f"/start {invitation.token}")
    # the fake Bot API parses HTML as Telegram does (it refuses a bare "<"); the user sees the
    # name as typed
    welcome = harness.fake.pending_events(72)[0].text
    assert visible_text(welcome).startswith("Вітаємо, Tom & <Jerry>!")
    assert harness.mm.one_message().text.startswith("<b>Tom &amp; &lt;Jerry&gt;</b>")


async def test_an_expired_invitation_is_refused_once(harness, frozen_clock):
    invitation = await create_invitation(role="manager", ttl_hours=1)
    clock.freeze(frozen_clock + dt.timedelta(hours=2))
    client = harness.client(73)
    await client.send(f"/start {invitation.token}")
    await client.send(f"/start {invitation.token}")
    await client.send("hello")

    assert [e.text for e in harness.fake.pending_events(73)] == [INVALID_UK]
    assert not await Employee.filter(telegram_id=73).exists()
    assert harness.mm.sent_messages == []


async def test_a_used_invitation_does_not_register_another_account(harness):
    invitation = await create_invitation(role="admin")
    await harness.client(74).send(f"/start {invitation.token}")
    await harness.client(75).send(f"/start {invitation.token}")

    assert [e.text for e in harness.fake.pending_events(75)] == [INVALID_UK]
    assert not await Employee.filter(telegram_id=75).exists()
    assert await Employee.filter(telegram_id=74, role="admin").exists()


async def test_an_unknown_token_is_refused(harness):
    await harness.client(76).send("/start nosuchtoken")
    assert [e.text for e in harness.fake.pending_events(76)] == [INVALID_UK]


async def test_an_employee_with_a_link_again_just_gets_the_menu(harness):
    await make_employee(77, role="manager")
    invitation = await create_invitation(role="admin")
    await harness.client(77).send(f"/start {invitation.token}")
    assert harness.mm.one_message().text.endswith("менеджер\nЩо робимо?")
    assert harness.fake.pending_events(77) == []
    assert (await Employee.get(telegram_id=77)).role == "manager"
