"""Reports, clicked through by a head: the list, a period, the funnel's text, its chart as a
photo and its XLSX as a document; a manager's forged presses open nothing."""

from __future__ import annotations

import io

import openpyxl

from models.employee import Team
from services.employees import set_employee_role
from tests.bot.conftest import buttons, click, forge_click
from tests.factories import load_default_kinds, make_deal, make_employee

MINE = ("bot.dialogs.menu.dialog", "bot.dialogs.settings.dialog", "bot.dialogs.reports.dialog")


def _sent(harness, method: str) -> list[dict]:
    return [params for name, params in harness.fake.requests if name == method]


def _file(harness, params: dict, kind: str) -> dict:
    """What the fake server stored for a photo or document the bot uploaded."""
    return next(info for info in harness.fake.files.values() if info["file_path"].startswith(kind))


async def _setup(make_harness):
    harness = make_harness(features=MINE)
    team = await Team.create(name="Київ")
    boss = await make_employee(telegram_id=1, locale="en", role="head", team=team)
    manager = await make_employee(telegram_id=2, locale="en", team=team)
    await load_default_kinds()
    await make_deal(owner=manager, title="Поставка <труб>")
    return harness, boss, manager


async def test_a_head_gets_the_funnel_text_chart_and_xlsx(make_harness, frozen_clock):
    harness, _boss, _manager = await _setup(make_harness)
    client = harness.client(1)
    await client.send("/menu")
    assert "Reports" in buttons(harness.mm.last_message())

    listing = await click(harness, client, "Reports")
    assert listing.text == "<b>Reports</b>: which one?"
    assert "Sales funnel" in buttons(listing)
    periods = await click(harness, client, "Sales funnel")
    assert periods.text == "<b>Sales funnel</b>: for which period?"
    assert buttons(periods) == [
        "This month", "Last month", "Last 90 days", "⬅️ Back", "🏠 Main menu",
    ]  # fmt: skip

    report = await click(harness, client, "Last 90 days")
    assert report.text.startswith("Sales funnel")
    assert "30.08.2026" in report.text and "27.11.2026" in report.text
    assert "Simple deal: entered 1" in report.text  # the team member's deal counts
    assert len(report.text) <= 4096
    assert buttons(report) == ["📊 XLSX", "⬅️ Back", "🏠 Main menu"]
    actions = [p["action"] for p in _sent(harness, "sendChatAction")]
    assert "upload_photo" in actions
    [photo] = _sent(harness, "sendPhoto")
    assert photo["chat_id"] == 1
    assert photo["caption"] == "Sales funnel: 30.08.2026 – 27.11.2026"
    assert _file(harness, photo, "photos")["content"].startswith(b"\x89PNG")

    await click(harness, client, "XLSX")
    [document] = _sent(harness, "sendDocument")
    assert document["chat_id"] == 1
    stored = _file(harness, document, "documents")
    assert stored["file_name"] == "funnel_20260830_20261127.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(stored["content"]))
    assert book.sheetnames
    assert "📊 XLSX" in buttons(harness.mm.last_message())  # the window follows the file


async def test_a_manager_is_refused_reports_even_with_forged_presses(make_harness, frozen_clock):
    harness, _boss, _manager = await _setup(make_harness)
    client = harness.client(2)
    await client.send("/menu")
    menu = harness.mm.last_message()
    assert "Reports" not in buttons(menu)
    menu_data = menu.reply_markup.inline_keyboard[0][0].callback_data
    harness.mm.reset_history()

    callback_id = await forge_click(client, menu, menu_data.rsplit(":", 1)[0] + ":reports")

    assert harness.fake.answered[callback_id]["text"] == "You do not have access to this."
    assert not harness.mm.sent_messages


async def test_a_head_demoted_meanwhile_gets_no_report_from_an_open_window(
    make_harness, frozen_clock
):
    harness, boss, _manager = await _setup(make_harness)
    client = harness.client(1)
    await client.send("/menu")
    await click(harness, client, "Reports")
    periods = await click(harness, client, "Sales funnel")
    await set_employee_role(boss.id, "manager")
    harness.mm.reset_history()

    button = periods.reply_markup.inline_keyboard[2][0]
    assert button.text == "Last 90 days"
    data = button.callback_data
    callback_id = await forge_click(client, periods, data)

    assert harness.fake.answered[callback_id]["text"] == "You do not have access to this."
    assert not _sent(harness, "sendPhoto")
    assert not harness.mm.sent_messages


async def test_a_forged_report_name_opens_nothing(make_harness, frozen_clock):
    harness, _boss, _manager = await _setup(make_harness)
    client = harness.client(1)
    await client.send("/menu")
    listing = await click(harness, client, "Reports")
    data = listing.reply_markup.inline_keyboard[0][0].callback_data
    harness.mm.reset_history()

    callback_id = await forge_click(client, listing, data.rsplit(":", 1)[0] + ":nosuch")

    assert harness.fake.answered[callback_id]["text"] == "nosuch not found."
    assert not harness.mm.sent_messages
