"""Administration, clicked through by an admin: an invitation per role with its t.me link (or
the bare token without a configured bot username); others are refused, forged presses too."""

from __future__ import annotations

from models.base import Role
from models.employee import Invitation
from services.employees import set_employee_role
from tests.bot.conftest import buttons, click, forge_click
from tests.factories import make_employee

MINE = ("bot.dialogs.menu.dialog", "bot.dialogs.settings.dialog", "bot.dialogs.admin.dialog")


async def test_an_admin_invites_a_head_and_gets_the_start_link(make_harness, frozen_clock):
    harness = make_harness(features=MINE)
    harness.app.dispatcher["settings"] = harness.app.settings.model_copy(
        update={"bot_username": "@crm_test_bot"}
    )
    boss = await make_employee(telegram_id=1, locale="en", role="admin")
    client = harness.client(1)
    await client.send("/menu")

    main = await click(harness, client, "Administration")
    assert main.text == "<b>Administration</b>"
    roles = await click(harness, client, "Invite an employee")
    assert roles.text == "Invite as:"
    assert buttons(roles) == [
        "manager", "head of sales", "administrator", "⬅️ Back", "🏠 Main menu",
    ]  # fmt: skip
    done = await click(harness, client, "head of sales")

    invitation = await Invitation.get()
    assert invitation.role == Role.HEAD and invitation.created_by_id == boss.id
    assert done.text == (
        "Invitation for a head of sales created. Pass this on; it works once, until "
        f"30.11.2026 11:00:\n<code>https://t.me/crm_test_bot?start={invitation.token}</code>"
    )


async def test_without_a_bot_username_the_bare_token_is_shown(make_harness, frozen_clock):
    harness = make_harness(features=MINE)
    assert harness.app.settings.bot_username is None
    await make_employee(telegram_id=1, locale="en", role="admin")
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Administration")
    await click(harness, client, "Invite an employee")
    done = await click(harness, client, "manager")

    invitation = await Invitation.get()
    assert invitation.role == Role.MANAGER
    assert f"<code>{invitation.token}</code>" in done.text
    assert "t.me" not in done.text


async def test_a_head_is_refused_administration_even_when_forged(make_harness, frozen_clock):
    harness = make_harness(features=MINE)
    await make_employee(telegram_id=1, locale="en", role="head")
    client = harness.client(1)
    await client.send("/menu")
    menu = harness.mm.last_message()
    assert "Administration" not in buttons(menu)
    data = menu.reply_markup.inline_keyboard[0][0].callback_data
    harness.mm.reset_history()

    callback_id = await forge_click(client, menu, data.rsplit(":", 1)[0] + ":admin")

    assert harness.fake.answered[callback_id]["text"] == "You do not have access to this."
    assert not harness.mm.sent_messages


async def test_an_admin_demoted_meanwhile_creates_no_invitation(make_harness, frozen_clock):
    harness = make_harness(features=MINE)
    boss = await make_employee(telegram_id=1, locale="en", role="admin")
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Administration")
    roles = await click(harness, client, "Invite an employee")
    await set_employee_role(boss.id, "head")
    harness.mm.reset_history()

    button = roles.reply_markup.inline_keyboard[2][0]
    assert button.text == "administrator"
    callback_id = await forge_click(client, roles, button.callback_data)

    assert harness.fake.answered[callback_id]["text"] == "You do not have access to this."
    assert await Invitation.all().count() == 0
