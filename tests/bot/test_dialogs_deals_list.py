"""My deals: who sees which deals, paging, the tolerant search and the filters, clicked through."""

from __future__ import annotations

from models import Deal, Team
from models.base import Role
from services.deals import list_loss_reasons, mark_lost, mark_won
from services.partners import create_partner
from services.pipeline import find_kind, stages_in_order
from tests.bot.conftest import buttons
from tests.bot.deal_dialogs import DEAL_DIALOGS, click
from tests.factories import load_default_kinds, make_deal, make_employee, make_partner


async def _open_list(harness, client, label: str = "My deals"):
    await client.send("/menu")
    return await click(harness, client, label)


async def _employee(telegram_id: int, **fields):
    fields.setdefault("locale", "en")
    return await make_employee(telegram_id=telegram_id, **fields)


async def test_a_manager_sees_own_deals_newest_first_eight_a_page(make_harness, frozen_clock):
    harness = make_harness(features=DEAL_DIALOGS)
    await load_default_kinds()
    me = await _employee(1, full_name="Olena Petrenko")
    other = await _employee(2)
    client_partner = await make_partner(name="ТОВ «Альфа»")
    mine = [
        await make_deal(owner=me, partner=client_partner, title=f"Поставка {n}") for n in range(10)
    ]
    foreign = await make_deal(owner=other, title="Чужа угода")
    client = harness.client(1)

    page1 = await _open_list(harness, client)

    assert page1.text.startswith("<b>My deals</b>\nStatus: In progress\n10 deals found\n")
    assert f"🟢 <b>{mine[-1].number}</b> Поставка 9\nТОВ «Альфа» · New deal · 0.00 UAH" in (
        page1.text
    )
    deal_buttons = [b for b in buttons(page1) if b.startswith("D-")]
    assert deal_buttons == [f"{d.number} · {d.title}" for d in reversed(mine[2:])]
    assert buttons(page1)[8:] == ["◀️", "1/2", "▶️", "🔍 Search", "⚙️ Filters", "🏠 Main menu"]
    assert foreign.number not in page1.text

    page2 = await click(harness, client, "▶️")
    assert [b for b in buttons(page2) if b.startswith("D-")] == [
        f"{d.number} · {d.title}" for d in reversed(mine[:2])
    ]
    assert "2/2" in buttons(page2)
    assert foreign.number not in page2.text


async def test_a_head_sees_the_team_and_an_admin_sees_everyone(make_harness, frozen_clock):
    harness = make_harness(features=DEAL_DIALOGS)
    await load_default_kinds()
    north, south = await Team.create(name="North"), await Team.create(name="South")
    head = await _employee(1, role=Role.HEAD, team=north)
    admin = await _employee(2, role=Role.ADMIN)
    colleague = await _employee(3, team=north, full_name="Ivan North")
    stranger = await _employee(4, team=south)
    ours = await make_deal(owner=colleague, title="Північна угода")
    theirs = await make_deal(owner=stranger, title="Південна угода")

    head_list = await _open_list(harness, harness.client(1))
    assert head_list.text.startswith("<b>My team's deals</b>")
    assert ours.number in head_list.text and "Ivan North" in head_list.text
    assert theirs.number not in head_list.text

    admin_list = await _open_list(harness, harness.client(2))
    assert admin_list.text.startswith("<b>All deals</b>")
    assert ours.number in admin_list.text and theirs.number in admin_list.text
    assert head.id != admin.id


async def test_search_by_title_in_any_case_by_partner_and_by_number(make_harness, frozen_clock):
    harness = make_harness(features=DEAL_DIALOGS)
    await load_default_kinds()
    me = await _employee(1)
    alpha = await create_partner(name="ТОВ «Альфа-Сервіс»", is_client=True)
    pipes = await make_deal(owner=me, title="Поставка труб")
    pumps = await make_deal(owner=me, partner=alpha, title="Монтаж насосів")
    other = await make_deal(owner=me, title="Ремонт даху")
    client = harness.client(1)
    await _open_list(harness, client)

    prompt = await click(harness, client, "Search")
    assert prompt.text == "Type a deal number, a part of its title or the partner's name:"

    async def search(text: str):
        harness.mm.reset_history()
        await client.send(text)
        return harness.mm.last_message()

    found = await search("ПОСТАВКА")
    assert "Search: «ПОСТАВКА»" in found.text and "1 deal found" in found.text
    assert pipes.number in found.text and pumps.number not in found.text

    await click(harness, client, "Search")
    found = await search("AЛЬФA-cepвіс")  # the partner: other case, Latin look-alike letters
    assert pumps.number in found.text and pipes.number not in found.text

    await click(harness, client, "Search")
    found = await search(other.number.lower())
    assert [b for b in buttons(found) if b.startswith("D-")] == [f"{other.number} · Ремонт даху"]

    await click(harness, client, "Search")
    nothing = await search("молоко")
    assert "No deals found. Change the filters or the search." in nothing.text
    assert "✖️ Clear filters" in buttons(nothing)

    everything = await click(harness, client, "Clear filters")
    assert "3 deals found" in everything.text


async def test_a_too_long_search_is_refused_and_asked_again(make_harness):
    harness = make_harness(features=DEAL_DIALOGS)
    await load_default_kinds()
    me = await _employee(1)
    deal = await make_deal(owner=me, title="Поставка труб")
    client = harness.client(1)
    await _open_list(harness, client)
    await click(harness, client, "Search")

    harness.mm.reset_history()
    await client.send("x" * 101)

    again = harness.mm.last_message()
    assert again.text.endswith("⚠️ Search: is too long (at most 100 characters)")
    back = await click(harness, client, "Back")
    assert deal.number in back.text and "Search:" not in back.text


async def test_filters_by_status_kind_and_stage(make_harness, frozen_clock):
    harness = make_harness(features=DEAL_DIALOGS)
    await load_default_kinds()
    me = await _employee(1)
    simple = await make_deal(owner=me, title="Проста")
    guided = await make_deal(owner=me, title="Типова", kind_code="typical_sale")
    won = await make_deal(owner=me, title="Виграна")
    await mark_won(won.id, actor_id=me.id)
    lost = await make_deal(owner=me, title="Програна")
    await mark_lost(lost.id, (await list_loss_reasons())[1].id, actor_id=me.id)
    client = harness.client(1)
    await _open_list(harness, client)

    filters = await click(harness, client, "Filters")
    assert buttons(filters)[:4] == ["✅ In progress", "Won", "Lost", "All"]
    assert "🗂 Kind: any" in buttons(filters) and "📋 Show the deals (2)" in buttons(filters)

    filters = await click(harness, client, "Won")
    assert buttons(filters)[:2] == ["In progress", "✅ Won"]
    shown = await click(harness, client, "Show the deals")
    assert "Status: Won" in shown.text and won.number in shown.text
    assert simple.number not in shown.text and lost.number not in shown.text

    await click(harness, client, "Filters")
    await click(harness, client, "All")
    kinds = await click(harness, client, "Kind:")
    assert buttons(kinds)[:2] == ["Simple deal", "Typical sale"]
    filters = await click(harness, client, "Typical sale")
    assert "🗂 Kind: Typical sale" in buttons(filters)
    assert "📋 Show the deals (1)" in buttons(filters)

    stages = await click(harness, client, "Stage:")
    kind = await find_kind("typical_sale")
    names = [s.name_en for s in await stages_in_order(kind.id) if not s.retired]
    assert buttons(stages)[:3] == names[:3]
    filters = await click(harness, client, names[1])  # nobody is at the second stage
    assert "📋 Show the deals (0)" in buttons(filters)
    filters = await click(harness, client, "Stage:")
    filters = await click(harness, client, names[0], filters)
    shown = await click(harness, client, "Show the deals")
    assert f"Kind: Typical sale · Stage: {names[0]}" in shown.text
    assert [b for b in buttons(shown) if b.startswith("D-")] == [f"{guided.number} · Типова"]

    cleared = await click(harness, client, "Clear filters")
    assert "Status: In progress\n2 deals found" in cleared.text


async def test_money_and_names_in_ukrainian(make_harness, frozen_clock):
    harness = make_harness(features=DEAL_DIALOGS)
    await load_default_kinds()
    me = await _employee(1, locale="uk")
    deal = await make_deal(owner=me, title="Поставка труб", potential_minor=123_456_789)
    shown = await _open_list(harness, harness.client(1), "Мої угоди")
    assert shown.text.startswith("<b>Мої угоди</b>\nСтатус: У роботі\nЗнайдено 1 угоду\n")
    assert "Нова угода · 1\u00a0234\u00a0567,89\u00a0грн" in shown.text
    assert (await Deal.get(id=deal.id)).status == "open"
